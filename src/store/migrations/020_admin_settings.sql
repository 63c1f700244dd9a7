-- Per-tenant settings an administrator manages: who must use 2FA, and the
-- WebAuthn relying party. One row per tenant; no row means the defaults
-- (nobody enforced; the relying party from the service configuration).
-- These are small per-tenant tables keyed by tenant alone: under a
-- distributed deployment they are reference tables, not sharded by user.

CREATE TABLE enforcement_policies (
  tenant_id       text        NOT NULL PRIMARY KEY,
  enforced        boolean     NOT NULL,
  -- JSON arrays of group names, validated and deduplicated by the service.
  include_groups  jsonb       NOT NULL DEFAULT '[]'::jsonb,
  exclude_groups  jsonb       NOT NULL DEFAULT '[]'::jsonb,
  updated_at      timestamptz NOT NULL,
  updated_by      text        NOT NULL DEFAULT ''
);

CREATE TABLE relying_parties (
  tenant_id       text        NOT NULL PRIMARY KEY,
  rp_id           text        NOT NULL,
  rp_name         text        NOT NULL,
  -- JSON arrays: normalised origins (scheme://host[:port]) and lower-case AAGUIDs.
  allowed_origins jsonb       NOT NULL,
  allowed_aaguids jsonb       NOT NULL DEFAULT '[]'::jsonb,
  updated_at      timestamptz NOT NULL,
  updated_by      text        NOT NULL DEFAULT ''
);

-- Which kinds of second factor each tenant offers, and the limits of the
-- kinds that have them (docs/design.md "Provider policy"). One row per
-- tenant; no row means the default: every kind enabled, no limits. Like the
-- other per-tenant settings (020), a small table keyed by tenant alone.

CREATE TABLE provider_policies (
  tenant_id          text        NOT NULL PRIMARY KEY,
  -- The kinds turned off, validated and deduplicated by the service.
  disabled_kinds     text[]      NOT NULL DEFAULT '{}'
    CHECK (disabled_kinds <@ ARRAY['totp', 'hotp', 'webauthn', 'passwordless', 'backup_codes', 'app_passwords']),
  -- TOTP limits: NULL lists mean no limit.
  totp_algorithms    text[]      CHECK (totp_algorithms <@ ARRAY['SHA1', 'SHA256', 'SHA512'] AND cardinality(totp_algorithms) > 0),
  totp_digits        integer[]   CHECK (totp_digits <@ ARRAY[6, 8] AND cardinality(totp_digits) > 0),
  -- Only hardware token profiles; authenticator apps are refused.
  totp_hardware_only boolean     NOT NULL DEFAULT false,
  -- The longest lifetime of an app password; NULL means no maximum.
  app_password_max_lifetime_ms bigint CHECK (app_password_max_lifetime_ms > 0),
  updated_at         timestamptz NOT NULL,
  updated_by         text        NOT NULL DEFAULT ''
);

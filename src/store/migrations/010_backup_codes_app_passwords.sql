-- Backup codes and app passwords. Keyed by (tenant_id, user_id) first like every
-- user-owned table, so they can later be distributed by user. Codes and passwords
-- are stored only as HMAC-SHA256 under the server pepper, never in plain.

-- One row per user that has a backup code list: when it was made and how long it
-- was. Regeneration upserts this row first, so its row lock serialises two
-- concurrent regenerations of the same user's list.
CREATE TABLE backup_code_lists (
  tenant_id     text        NOT NULL,
  user_id       text        NOT NULL,
  generated_at  timestamptz NOT NULL,
  total         integer     NOT NULL CHECK (total BETWEEN 1 AND 20),
  PRIMARY KEY (tenant_id, user_id)
);

-- The codes of the current list. The primary key is the lookup index for
-- redemption: (tenant, user, hash) finds a code with one index probe, and
-- UPDATE ... WHERE used_at IS NULL RETURNING consumes it exactly once.
CREATE TABLE backup_codes (
  tenant_id  text        NOT NULL,
  user_id    text        NOT NULL,
  -- HMAC-SHA256("backup-code", normalised code) under the server pepper.
  code_hash  bytea       NOT NULL CHECK (length(code_hash) = 32),
  used_at    timestamptz,
  PRIMARY KEY (tenant_id, user_id, code_hash)
);

CREATE TABLE app_passwords (
  tenant_id      text        NOT NULL,
  user_id        text        NOT NULL,
  id             uuid        NOT NULL,
  name           text        NOT NULL,
  -- A JSON array of scope strings, deduplicated.
  scopes         jsonb       NOT NULL,
  -- HMAC-SHA256("app-password", normalised password) under the server pepper.
  password_hash  bytea       NOT NULL CHECK (length(password_hash) = 32),
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz,
  last_used_at   timestamptz,
  last_used_ip   text        NOT NULL DEFAULT '',
  revoked_at     timestamptz,
  PRIMARY KEY (tenant_id, user_id, id)
);
-- Verification looks a password up by its hash with one index probe.
CREATE UNIQUE INDEX app_passwords_hash ON app_passwords (tenant_id, user_id, password_hash);

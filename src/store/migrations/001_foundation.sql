-- The foundation: callers, OTP factors, login transactions, throttling, audit.
-- Every user-owned table is keyed by (tenant_id, user_id) first so it can later
-- be distributed by user without redesign.

CREATE TABLE api_keys (
  tenant_id   text        NOT NULL,
  id          text        NOT NULL,
  role        text        NOT NULL CHECK (role IN ('service', 'admin')),
  name        text        NOT NULL DEFAULT '',
  -- HMAC-SHA256 of the key's secret part under the server pepper.
  key_hash    bytea       NOT NULL,
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX api_keys_key_hash ON api_keys (key_hash);

CREATE TABLE factors (
  tenant_id          text        NOT NULL,
  user_id            text        NOT NULL,
  id                 uuid        NOT NULL,
  kind               text        NOT NULL CHECK (kind IN ('totp', 'hotp', 'webauthn', 'passwordless')),
  label              text        NOT NULL,
  state              text        NOT NULL CHECK (state IN ('pending', 'active')),
  created_at         timestamptz NOT NULL,
  confirmed_at       timestamptz,
  last_used_at       timestamptz,
  pending_expires_at timestamptz,
  -- OTP factors.
  algorithm          text CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
  digits             smallint CHECK (digits IN (6, 8)),
  period_seconds     smallint CHECK (period_seconds IN (30, 60)),
  token_profile      text        NOT NULL DEFAULT 'software',
  -- AES-256-GCM sealed secret (key id inside), bound to tenant, user and factor id.
  secret_sealed      bytea,
  -- TOTP: the last accepted time step. HOTP: the last accepted counter value.
  -- Replay is refused by UPDATE ... WHERE last_step < $n.
  last_step          bigint      NOT NULL DEFAULT -1,
  -- TOTP: learned clock offset in steps.
  drift_steps        integer     NOT NULL DEFAULT 0,
  -- Automatic resync memory: an out-of-window code's step and offset.
  resync_step        bigint,
  resync_offset      integer,
  PRIMARY KEY (tenant_id, user_id, id)
);

CREATE TABLE login_transactions (
  tenant_id   text        NOT NULL,
  -- Empty for a passwordless transaction until a credential names the user.
  user_id     text        NOT NULL,
  id          uuid        NOT NULL,
  purpose     text        NOT NULL CHECK (purpose IN ('second_factor', 'passwordless')),
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  attempts    integer     NOT NULL DEFAULT 0,
  spent_at    timestamptz,
  -- WebAuthn challenge (base64url) where WebAuthn applies.
  challenge   text,
  PRIMARY KEY (tenant_id, user_id, id)
);
CREATE UNIQUE INDEX login_transactions_id ON login_transactions (tenant_id, id);

CREATE TABLE throttles (
  tenant_id        text        NOT NULL,
  user_id          text        NOT NULL,
  failures         integer     NOT NULL DEFAULT 0,
  last_failure_at  timestamptz,
  blocked_until    timestamptz,
  PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE audit_events (
  tenant_id   text        NOT NULL,
  user_id     text        NOT NULL DEFAULT '',
  id          bigint      GENERATED ALWAYS AS IDENTITY,
  kind        text        NOT NULL,
  factor_id   text        NOT NULL DEFAULT '',
  at          timestamptz NOT NULL,
  api_key_id  text        NOT NULL DEFAULT '',
  client_ip   text        NOT NULL DEFAULT '',
  details     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (tenant_id, user_id, id)
);
CREATE INDEX audit_events_tenant_id ON audit_events (tenant_id, id DESC);

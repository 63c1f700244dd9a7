-- WebAuthn credentials (second factor and passwordless) live on the factors
-- row they belong to, so everything that lists, removes or resets factors
-- (RemoveFactor, the admin reset by kind) covers them with no extra table.

ALTER TABLE factors
  -- The pending enrolment's registration challenge (base64url); cleared on confirmation.
  ADD COLUMN webauthn_challenge text,
  -- The credential id (base64url) as the authenticator returned it.
  ADD COLUMN credential_id      text,
  -- The COSE public key of the credential.
  ADD COLUMN public_key         bytea,
  -- The signature counter last accepted; advanced by UPDATE ... WHERE sign_count = $old.
  ADD COLUMN sign_count         bigint  NOT NULL DEFAULT 0,
  ADD COLUMN transports         jsonb   NOT NULL DEFAULT '[]'::jsonb,
  -- Lower-case AAGUID; all zeros for FIDO U2F keys.
  ADD COLUMN aaguid             text,
  ADD COLUMN backup_eligible    boolean NOT NULL DEFAULT false,
  ADD COLUMN backed_up          boolean NOT NULL DEFAULT false,
  -- Set when a counter did not increase (a cloned key?); refuses further logins.
  ADD COLUMN clone_suspected    boolean NOT NULL DEFAULT false;

-- A credential id names at most one factor in a tenant, whatever its user or
-- role: the same authenticator cannot be enrolled twice, nor for both roles.
-- Also the lookup index of Verify, which starts from the credential id.
CREATE UNIQUE INDEX factors_credential_id ON factors (tenant_id, credential_id) WHERE credential_id IS NOT NULL;

-- The stable random WebAuthn user handle (user.id) of each user, so a
-- passwordless assertion's userHandle names the user without revealing user_id
-- to the authenticator (W3C WebAuthn §14.6.1).
CREATE TABLE webauthn_user_handles (
  tenant_id    text        NOT NULL,
  user_id      text        NOT NULL,
  user_handle  text        NOT NULL,
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);
CREATE UNIQUE INDEX webauthn_user_handles_handle ON webauthn_user_handles (tenant_id, user_handle);

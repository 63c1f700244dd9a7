-- What a one-statement Verify judges an OTP code on again when the rows
-- changed since the Challenge (docs/design.md "Database round trips"):
-- the tenant's provider policy and the user's OTP candidates, as one JSON
-- value. It is a function so that the statement carries a call rather than
-- the reads themselves: Postgres prepares every part of a statement each
-- time it runs, whether that part runs or not, and these reads ran only
-- when the rows had changed, yet were about a tenth of the statement's
-- work. A function's query is planned when it is called.
--
-- $1 tenant, $2 user, $3 the factor the proof names (any state), or NULL
-- for the user's active TOTP and HOTP factors. The columns are those of
-- providerPolicyJsonSql (src/domain/policy/provider-policy-store.ts) and
-- FACTOR_COLUMNS (src/domain/factors/row.ts); test/domain/factor-rows-json.test.ts
-- checks the function against them.
CREATE FUNCTION twofold_otp_verify_basis(text, text, uuid) RETURNS json
LANGUAGE sql STABLE AS $$
  SELECT json_build_object(
    'providers', (SELECT row_to_json(pp) FROM (
        SELECT disabled_kinds, totp_algorithms, totp_digits, totp_hardware_only, app_password_max_lifetime_ms
        FROM provider_policies WHERE tenant_id = $1) pp),
    'candidates', (SELECT json_agg(fr ORDER BY fr.created_at, fr.id) FROM (
        SELECT tenant_id, user_id, id::text AS id, kind, label, state, created_at, confirmed_at, last_used_at,
               pending_expires_at, algorithm, digits, period_seconds, token_profile, secret_sealed, last_step,
               drift_steps, resync_step, resync_offset, webauthn_challenge, credential_id, public_key, sign_count,
               transports, aaguid, backup_eligible, backed_up, clone_suspected
        FROM factors
        WHERE tenant_id = $1 AND user_id = $2 AND kind IN ('totp', 'hotp')
          AND CASE WHEN $3 IS NULL THEN state = 'active' ELSE id = $3 END) fr))
$$;

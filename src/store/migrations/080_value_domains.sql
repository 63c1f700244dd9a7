-- Value sets as domains instead of table CHECK constraints (docs/design.md
-- "Database round trips"). Postgres evaluates every CHECK of a table on each
-- row a statement inserts or updates, and for each statement it first reads
-- the constraint's expression back from its stored text: a login updates a
-- factor (five CHECKs) and a transaction (one), and that reading was about a
-- tenth of the Verify statement's work. A domain's constraint is parsed once
-- per connection and checked only where a value is converted to the domain:
-- on insert, and on update of that column. The login's writes touch none of
-- these columns, so they check nothing, and the sets are enforced as before.

CREATE DOMAIN factor_kind AS text CHECK (VALUE IN ('totp', 'hotp', 'webauthn', 'passwordless'));
CREATE DOMAIN factor_state AS text CHECK (VALUE IN ('pending', 'active'));
CREATE DOMAIN otp_algorithm AS text CHECK (VALUE IN ('SHA1', 'SHA256', 'SHA512'));
CREATE DOMAIN otp_digits AS smallint CHECK (VALUE IN (6, 8));
CREATE DOMAIN otp_period_seconds AS smallint CHECK (VALUE IN (30, 60));
CREATE DOMAIN login_purpose AS text CHECK (VALUE IN ('second_factor', 'passwordless'));

ALTER TABLE factors
  DROP CONSTRAINT factors_kind_check,
  DROP CONSTRAINT factors_state_check,
  DROP CONSTRAINT factors_algorithm_check,
  DROP CONSTRAINT factors_digits_check,
  DROP CONSTRAINT factors_period_seconds_check,
  ALTER COLUMN kind TYPE factor_kind,
  ALTER COLUMN state TYPE factor_state,
  ALTER COLUMN algorithm TYPE otp_algorithm,
  ALTER COLUMN digits TYPE otp_digits,
  ALTER COLUMN period_seconds TYPE otp_period_seconds;

ALTER TABLE login_transactions
  DROP CONSTRAINT login_transactions_purpose_check,
  ALTER COLUMN purpose TYPE login_purpose;

-- The login hot path in one statement per step (docs/design.md, "Database
-- round trips").

-- Aborts the statement that calls it, with SQLSTATE `code`. A write that
-- composes several changes in one statement (burn an OTP step and spend the
-- login transaction) calls it when one change happened without the other,
-- so the whole statement rolls back: both or neither, without BEGIN/COMMIT.
CREATE FUNCTION twofold_abort(code text, message text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = code, MESSAGE = message;
END
$$;

-- Audit paging in commit order. Identity ids are handed out when a row is
-- inserted, not when its transaction commits, so a reader paging by id can
-- pass an id whose transaction commits later and never see that row. The
-- writing transaction's id, with the reader's snapshot xmin as the upper
-- bound, gives a key no later commit can land behind.
ALTER TABLE audit_events ADD COLUMN tx_id xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX audit_events_tenant_tx ON audit_events (tenant_id, tx_id, id);
CREATE INDEX audit_events_user_tx ON audit_events (tenant_id, user_id, tx_id, id);

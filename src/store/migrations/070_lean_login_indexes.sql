-- Fewer index entries per login (docs/design.md "Database round trips"):
-- each Challenge inserts a transaction and an audit row, each Verify another
-- audit row, and every index on those tables is one more entry to write.

-- A login transaction is only ever looked up by (tenant_id, id): that unique
-- index becomes the primary key, and the (tenant_id, user_id, id) key that
-- nothing reads goes.
ALTER TABLE login_transactions DROP CONSTRAINT login_transactions_pkey;
ALTER TABLE login_transactions ADD CONSTRAINT login_transactions_pkey PRIMARY KEY USING INDEX login_transactions_id;

-- Audit events are read in commit order through their tx_id indexes (050);
-- the identity id alone names a row, and the (tenant_id, id) index that
-- nothing reads goes.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_pkey;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);
DROP INDEX audit_events_tenant_id;

-- A generation number on each backup code list, counted up by every
-- regeneration. Replacing a list is one statement, and one statement reads
-- through the snapshot it started with: a regeneration that committed after
-- that snapshot, but before this statement got the header's row lock, has
-- codes this statement's DELETE cannot see. The statement compares the
-- generation it locked with the one its snapshot saw and aborts (40001) when
-- they differ, and the caller runs it again on a fresh snapshot.
ALTER TABLE backup_code_lists ADD COLUMN generation bigint NOT NULL DEFAULT 1;

-- Each journal entry carries the term of the leader that wrote it, inside the same fenced
-- transaction: read in order, the terms never go back (one term's entries, then the next's).
-- Entries written before this column existed have term 0.
ALTER TABLE journal ADD COLUMN term BIGINT NOT NULL DEFAULT 0;

-- The coordinator's store in PostgreSQL: the same contents as the embedded store, one table
-- per sled tree. Records, drafts and journal entries are kept as the JSON the coordinator
-- writes, byte for byte; hashes as bytes.

-- Every proposal by id; `active` while it is unfinished.
CREATE TABLE proposals (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    account TEXT NOT NULL,
    active BOOLEAN NOT NULL
);
CREATE INDEX proposals_active ON proposals (id) WHERE active;

-- Idempotency key -> the draft or proposal it names.
CREATE TABLE idempotency (
    key TEXT PRIMARY KEY,
    id TEXT NOT NULL
);

-- Prepared, not yet proposed.
CREATE TABLE drafts (
    id TEXT PRIMARY KEY,
    draft TEXT NOT NULL
);

-- Inner hash -> proposal: "did Hanko approve this?", and no two proposals with the same bytes.
CREATE TABLE by_inner (
    hash BYTEA PRIMARY KEY,
    id TEXT NOT NULL
);

-- Inner hash -> draft: no draft with the bytes of another.
CREATE TABLE drafted (
    hash BYTEA PRIMARY KEY,
    id TEXT NOT NULL
);

-- The hash-chained journal.
CREATE TABLE journal (
    seq BIGINT PRIMARY KEY,
    entry TEXT NOT NULL
);

-- The journal's head (`audit_head`), the freeze (`freeze`), the last probe (`probe`).
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

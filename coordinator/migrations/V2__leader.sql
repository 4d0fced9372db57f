-- Which coordinator leads: one row. A coordinator leads while its lease has not expired; a
-- new leader takes the next term. Every write checks, in its own transaction, that its
-- writer's term is the current one and its lease unexpired (fencing): a leader that was
-- paused or cut off and wakes up after another took over writes nothing.
CREATE TABLE leader (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    term BIGINT NOT NULL,
    holder TEXT NOT NULL,
    address TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
INSERT INTO leader (id, term, holder, address, expires_at)
VALUES (1, 0, '', '', '-infinity');

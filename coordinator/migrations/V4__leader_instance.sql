-- Which process holds the lease, beside its coordinator's name: a lease is renewed or taken
-- back at once only by the process that holds it. Another process under the same name (a
-- restart, or a second host misconfigured with the same name) waits for it to run out, as
-- any standby does, instead of taking it from a live holder.
ALTER TABLE leader ADD COLUMN instance TEXT NOT NULL DEFAULT '';

-- `arena workers revoke NAME`: the worker's token stops working at once (its hash is
-- replaced by a value no token hashes to) and the row stays, with the jobs it did.
alter table worker add column revoked_at text;

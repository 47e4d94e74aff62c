-- Workers only do their own jobs, and public pages only say why a job failed in
-- general terms.

-- `arena workers add NAME --models a,b`: JSON array of the model slugs the worker's
-- token may lease; null: every model (the embedded worker, and workers added before).
alter table worker add column allowed_models text;

-- A fresh random value (128 bits, hex) set at each lease and returned to the worker:
-- heartbeats, results and failures must carry it, so that a request from an earlier
-- lease, or a guessed one, cannot touch the job.
alter table job add column lease_token text;

-- Why a failed job failed, in the terms public pages use (the worker's own words stay
-- in failure_reason, for /admin/queue only):
--   'model'     the worker reported that the model could not draw it
--   'timed_out' no image in time: its worker stopped responding, gave it back until its
--               attempts ran out, or the live battle's deadline passed while it was drawn
--   'no_worker' a live job whose deadline passed before any worker leased it: the
--               arena lacked a free worker; not counted against the model
alter table job add column failure_cause text
    check (failure_cause in ('model', 'timed_out', 'no_worker'));

update job set failure_cause = 'no_worker'
    where state = 'failed' and kind = 'live' and leased_at is null;
update job set failure_cause = 'timed_out'
    where state = 'failed' and failure_cause is null
      and (failure_reason like 'timed out%' or failure_reason like 'the worker stopped responding%');
update job set failure_cause = 'model' where state = 'failed' and failure_cause is null;

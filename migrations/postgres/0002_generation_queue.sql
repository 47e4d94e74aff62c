-- The generation queue: jobs that workers lease over the worker protocol, the workers
-- themselves, and what live battles and prompt moderation need.

create table worker (
    id bigint generated always as identity primary key,
    name text not null unique,
    -- sha256 (hex) of the bearer token; the token itself is shown once and never stored
    token_hash text not null unique,
    created_at timestamptz not null,
    last_seen_at timestamptz,
    -- JSON array of the model slugs the worker asked for at its latest lease
    models text not null default '[]'
);

create table job (
    id bigint generated always as identity primary key,
    -- 'live': a voter is waiting for it; 'pool': an image for pool battles
    kind text not null check (kind in ('live', 'pool')),
    -- higher is leased first (live jobs outrank pool refills)
    priority integer not null,
    model_id bigint not null references model (id),
    prompt_id bigint not null references prompt (id),
    seed bigint not null,
    width integer not null,
    height integer not null,
    -- queued -> leased -> done | failed; cancelled when its live battle failed already
    state text not null default 'queued'
        check (state in ('queued', 'leased', 'done', 'failed', 'cancelled')),
    -- the worker holding (or that last held) the lease
    worker_id bigint references worker (id),
    -- how many times the job was leased
    attempts integer not null default 0,
    leased_at timestamptz,
    lease_expires_at timestamptz,
    -- progress reported by heartbeats: step k of n
    progress_step integer,
    progress_steps integer,
    -- why the latest attempt failed; for a failed job, why it failed
    failure_reason text,
    generation_id bigint references generation (id),
    -- the live battle and the slot (0 = A) this image is for
    battle_id text references battle (id),
    slot smallint,
    -- a live job not done by then fails (the voter stops waiting)
    deadline_at timestamptz,
    created_at timestamptz not null,
    finished_at timestamptz
);
create index job_lease on job (state, priority, id);
create index job_battle on job (battle_id);
create index job_model on job (model_id, state);
-- at most one open pool job per image: refills from several servers do not duplicate
create unique index job_open_pool on job (model_id, prompt_id)
    where kind = 'pool' and state in ('queued', 'leased');

-- the voter who typed a live-battle prompt (accepted or rejected)
alter table prompt add column voter_id text references voter (id);

-- Votes worth trusting: where requests came from (as keyed hashes, never the address
-- itself), when a voter's images were fetched, the flags the rigging detector raises,
-- the operator's audit log and the rate-limit counters every server shares.

-- Keyed hashes (HMAC under the arena's judge key) of the client's address and of its
-- network (/24 for IPv4, /48 for IPv6), so that limits and the detector can group
-- requests by address without keeping one.
alter table battle add column client_hash text;
alter table battle add column client_net text;
alter table vote add column client_hash text;
alter table vote add column client_net text;
create index battle_client on battle (client_hash);
create index vote_voter on vote (voter_id);

-- When the battle's own voter first fetched this image (null: never).
alter table battle_image add column fetched_at timestamptz;

-- What the rigging detector found: one flag per voter or address, with its figures.
-- While a flag is not cleared, its subject's votes do not count.
create table flag (
    id bigint generated always as identity primary key,
    -- 'voter' (a voter id) or 'address' (a client_hash)
    subject_kind text not null check (subject_kind in ('voter', 'address')),
    subject text not null,
    -- the model the votes favour, when the test names one
    model_id bigint references model (id),
    -- which test raised it: likelihood, favouritism, selection, cohort, burst
    test text not null,
    -- a sentence for the operator
    reason text not null,
    -- the figures behind it (JSON object)
    evidence text not null default '{}',
    created_at timestamptz not null,
    cleared_at timestamptz,
    cleared_by text
);
create index flag_subject on flag (subject_kind, subject);

-- The flag that excluded a vote; clearing the flag makes the vote count again.
alter table vote add column flag_id bigint references flag (id);
create index vote_flag on vote (flag_id);

-- Every operator action and every flag the detector raised or cleared.
create table audit (
    id bigint generated always as identity primary key,
    at timestamptz not null,
    -- 'admin', 'detector' or 'cli'
    actor text not null,
    -- e.g. 'flag', 'clear_flag', 'exclude_vote', 'restore_vote'
    action text not null,
    subject text not null,
    -- what changed (JSON object)
    detail text not null default '{}'
);

-- Rate-limit counters in fixed windows, shared by every server on this database.
create table limit_counter (
    -- what is counted and for whom, e.g. 'vote:address:<client_hash>'
    key text not null,
    window_start timestamptz not null,
    n integer not null,
    primary key (key, window_start)
);

-- When the detector last ran, so that one server of many runs it at a time.
create table integrity_scan (
    id integer primary key check (id = 1),
    started_at timestamptz not null,
    finished_at timestamptz
);

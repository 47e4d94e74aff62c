-- K-wise battles: three or four images of different models for one prompt
-- (`battle_size`, `kwise_share` in the config). Their images are rows of
-- `battle_image` like a pair's (slots 0–3 shown as A–D); their votes are here, one per
-- battle: the image judged best and, optionally, the one judged worst. Pairwise votes,
-- their tallies and their exports are untouched. A battle holds either a `vote`
-- (two images) or a `choice_vote` (more), never both.
create table choice_vote (
    id integer primary key autoincrement,
    battle_id text not null unique references battle (id),
    voter_id text not null references voter (id),
    -- the models in display order, copied from battle_image (model_d_id: four images)
    model_a_id bigint not null references model (id),
    model_b_id bigint not null references model (id),
    model_c_id bigint not null references model (id),
    model_d_id bigint references model (id),
    -- slot of the image judged best (0 is A), and of the one judged worst if any
    best smallint not null check (best between 0 and 3),
    worst smallint check (worst between 0 and 3 and worst <> best),
    created_at text not null,
    -- milliseconds from serving the battle to the vote
    latency_ms bigint,
    counts_for_leaderboard integer not null default 1,
    exclusion_reason text,
    flag_id bigint references flag (id),
    -- 'arena' for votes cast here
    source text not null default 'arena',
    client_hash text,
    client_net text
);
create index choice_vote_voter on choice_vote (voter_id);
create index choice_vote_flag on choice_vote (flag_id);
create index choice_vote_client on choice_vote (client_hash);

-- Counted K-wise votes per (prompt category, models shown, best, worst), kept by the
-- same transactions as the pairwise tallies: `models` is the model ids in display
-- order joined by commas, `worst` is -1 when the voter chose none.
create table choice_tally (
    category text not null,
    models text not null,
    best smallint not null,
    worst smallint not null,
    n bigint not null check (n > 0),
    primary key (category, models, best, worst)
);

-- The same per UTC day of the vote: ratings over time.
create table choice_daily_tally (
    day text not null,
    models text not null,
    best smallint not null,
    worst smallint not null,
    n bigint not null check (n > 0),
    primary key (day, models, best, worst)
);

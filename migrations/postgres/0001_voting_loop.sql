-- The voting loop: models, prompts, generated images, battles served to voters, votes.

create table model (
    id bigint generated always as identity primary key,
    slug text not null unique,
    display_name text not null,
    -- which kind of generator serves the model: demo, openai, candle, gallery, imported
    backend text not null,
    version text not null default '',
    description text not null default '',
    status text not null default 'active' check (status in ('active', 'disabled', 'deprecated')),
    -- relative matchmaking weight; the config file may override it
    weight double precision not null default 1.0 check (weight >= 0),
    added_at timestamptz not null,
    deprecated_at timestamptz
);

create table prompt (
    id bigint generated always as identity primary key,
    text text not null,
    category text not null,
    -- where the prompt came from: 'default' (shipped), 'import:<file>', 'voter'
    source text not null,
    -- 'ok' or 'rejected'; rejected prompts stay with their reason
    moderation text not null default 'ok' check (moderation in ('ok', 'rejected')),
    moderation_reason text,
    created_at timestamptz not null
);
create index prompt_text on prompt (text);
create index prompt_category on prompt (category);

create table generation (
    id bigint generated always as identity primary key,
    model_id bigint not null references model (id),
    prompt_id bigint not null references prompt (id),
    -- key of the re-encoded PNG in the blob store
    blob_key text not null,
    -- sha256 of the stored PNG bytes, hex
    sha256 text not null,
    width integer not null,
    height integer not null,
    seed bigint not null,
    steps integer,
    -- generation parameters as the generator reported them (JSON object)
    params text not null default '{}',
    latency_ms bigint not null,
    created_at timestamptz not null,
    unique (model_id, prompt_id, seed)
);
create index generation_prompt on generation (prompt_id);

create table voter (
    -- random id carried in the voter's private cookie
    id text primary key,
    created_at timestamptz not null,
    flagged boolean not null default false,
    flag_reason text
);

create table battle (
    -- opaque random id, the only handle a voter sees
    id text primary key,
    prompt_id bigint references prompt (id),
    voter_id text not null references voter (id),
    -- 'pool' (pre-generated images), 'live' (the voter's prompt), 'imported'
    mode text not null check (mode in ('pool', 'live', 'imported')),
    -- false for battles whose model names were visible before the vote (imported data)
    anony boolean not null default true,
    served_at timestamptz not null
);
create index battle_voter on battle (voter_id);

-- The images of a battle, one row per position; two today, room for K-wise battles.
create table battle_image (
    battle_id text not null references battle (id),
    -- 0 is shown as A (left), 1 as B (right)
    slot smallint not null,
    generation_id bigint references generation (id),
    model_id bigint not null references model (id),
    -- opaque URL token of this image in this battle, never reused
    token text not null unique,
    primary key (battle_id, slot)
);

create table vote (
    id bigint generated always as identity primary key,
    battle_id text not null references battle (id),
    -- what was judged; 'overall' today, room for separate axes
    axis text not null default 'overall',
    winner text not null check (winner in ('a', 'b', 'tie', 'both_bad')),
    voter_id text not null references voter (id),
    -- copied from battle_image so that leaderboards aggregate one table
    model_a_id bigint not null references model (id),
    model_b_id bigint not null references model (id),
    created_at timestamptz not null,
    -- milliseconds from serving the battle to the vote
    latency_ms bigint,
    counts_for_leaderboard boolean not null default true,
    exclusion_reason text,
    -- 'arena' for votes cast here, 'import:<file>' for imported ones
    source text not null default 'arena',
    unique (battle_id, axis)
);
create index vote_created_at on vote (created_at);

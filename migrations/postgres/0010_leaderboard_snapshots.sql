-- Published leaderboards, kept as they were: one row per board (view) per snapshot,
-- never updated. `votes`/`digest` describe the counted vote log the board came from:
-- the number of votes in it and a SHA-256 hash chain over their canonical export rows
-- (`arena leaderboard --verify` recomputes both from an export).
create table leaderboard_snapshot (
    id bigint generated always as identity primary key,
    taken_at timestamptz not null,
    -- the board's query string (`method=elo`, `category=animals`; '' the default)
    view text not null,
    votes bigint not null,
    digest text not null,
    -- the leaderboard as served (JSON)
    board text not null
);
create index leaderboard_snapshot_view on leaderboard_snapshot (view, taken_at);

-- Background work that must run once however many servers share the database (the
-- leaderboard snapshots): a server claims a task by moving its time forward, which
-- only one of several concurrent claims can do.
create table background_claim (
    task text primary key,
    claimed_at text not null
);

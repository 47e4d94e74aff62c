-- Leaderboards read running totals instead of aggregating the vote table: every
-- transaction that adds a counted vote (counts_for_leaderboard, axis 'overall') adds
-- one to its row here, so recomputing a leaderboard reads O(pairs) rows whatever the
-- number of votes. Votes are never changed or deleted once stored, so adding is enough.

-- Counted votes per (prompt category, model pair, outcome); category is '' for
-- battles without a prompt (imported votes).
create table vote_tally (
    category text not null,
    model_a_id bigint not null references model (id),
    model_b_id bigint not null references model (id),
    winner text not null check (winner in ('a', 'b', 'tie', 'both_bad')),
    n bigint not null check (n > 0),
    primary key (category, model_a_id, model_b_id, winner)
);

-- Counted votes per (UTC day of the vote, model pair, outcome): ratings over time.
create table vote_daily_tally (
    day text not null,
    model_a_id bigint not null references model (id),
    model_b_id bigint not null references model (id),
    winner text not null check (winner in ('a', 'b', 'tie', 'both_bad')),
    n bigint not null check (n > 0),
    primary key (day, model_a_id, model_b_id, winner)
);

insert into vote_tally (category, model_a_id, model_b_id, winner, n)
select coalesce(p.category, ''), v.model_a_id, v.model_b_id, v.winner, count(*)
from vote v join battle b on b.id = v.battle_id left join prompt p on p.id = b.prompt_id
where v.counts_for_leaderboard and v.axis = 'overall'
group by 1, 2, 3, 4;

insert into vote_daily_tally (day, model_a_id, model_b_id, winner, n)
select to_char(v.created_at at time zone 'UTC', 'YYYY-MM-DD'), v.model_a_id, v.model_b_id,
       v.winner, count(*)
from vote v
where v.counts_for_leaderboard and v.axis = 'overall'
group by 1, 2, 3, 4;

-- Only the aggregation used it; every vote insert paid for it.
drop index vote_counted_pair;

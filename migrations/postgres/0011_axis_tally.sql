-- Judgement axes: besides the overall question, an operator may ask more of each
-- battle (`axes` in the config: "Which follows the prompt better?", …). Each answer is
-- its own row of `vote` (its `axis`); the overall vote stays in `vote_tally`, and
-- the counted answers on every other axis are kept running here, per (axis, prompt
-- category, model pair, outcome), so that each axis's leaderboard reads a few rows.
create table axis_tally (
    axis text not null,
    category text not null,
    model_a_id bigint not null references model (id),
    model_b_id bigint not null references model (id),
    winner text not null check (winner in ('a', 'b', 'tie', 'both_bad')),
    n bigint not null check (n > 0),
    primary key (axis, category, model_a_id, model_b_id, winner)
);

insert into axis_tally (axis, category, model_a_id, model_b_id, winner, n)
select v.axis, coalesce(p.category, ''), v.model_a_id, v.model_b_id, v.winner, count(*)
from vote v join battle b on b.id = v.battle_id left join prompt p on p.id = b.prompt_id
where v.counts_for_leaderboard and v.axis <> 'overall'
group by 1, 2, 3, 4, 5;

-- Leaderboards aggregate the counted votes per (pair, outcome). This partial index
-- holds exactly those columns of exactly those votes, so the aggregation reads the
-- index alone, in group order, instead of every vote row.
create index vote_counted_pair on vote (model_a_id, model_b_id, winner)
    where counts_for_leaderboard and axis = 'overall';

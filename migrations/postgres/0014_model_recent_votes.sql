-- A model page shows the model's latest votes: these read them newest first on
-- each side of the pair, however many votes the table holds (the page used to join
-- every vote of the model before sorting).
create index vote_model_a_recent on vote (model_a_id, created_at, id);
create index vote_model_b_recent on vote (model_b_id, created_at, id);

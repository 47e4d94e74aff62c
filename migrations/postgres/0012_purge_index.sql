-- Battles served and never voted on are purged once they are old enough (see
-- store/purge.rs); this index finds them without reading the whole table.
create index battle_served_at on battle (served_at);
-- A voter with no battle, vote or prompt left is purged too (old enough): these find
-- the old ones and their prompts.
create index voter_created_at on voter (created_at);
create index prompt_voter on prompt (voter_id);

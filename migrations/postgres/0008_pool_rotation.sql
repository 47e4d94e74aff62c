-- Pool images stop being stable identifiers: each (prompt, model) keeps several
-- images, each from its own seed, and an image leaves the pool after a configured
-- number of battles (`[queue] pool_images`, `[queue] pool_image_battles`).

-- how many pool battles have shown this image (counted when each is served)
alter table generation add column battles integer not null default 0;
-- when the image left the battle pool: it is never served in a new battle again, and
-- only from then on may public pages show it beside its model's name
alter table generation add column retired_at timestamptz;
update generation set battles = (select count(*) from battle_image bi
    join battle b on b.id = bi.battle_id
    where bi.generation_id = generation.id and b.mode = 'pool');

-- at most one open pool job per image (model, prompt, seed): refills from several
-- servers do not duplicate, and a (prompt, model) may draw several images at once
drop index job_open_pool;
create unique index job_open_pool on job (model_id, prompt_id, seed)
    where kind = 'pool' and state in ('queued', 'leased');
-- the refill counts every pool job of a (prompt, model) to give the next one a new seed
create index job_pool_image on job (model_id, prompt_id) where kind = 'pool';

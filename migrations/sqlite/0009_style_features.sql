-- Pixel statistics of each stored image (brightness, contrast, saturation,
-- colourfulness, sharpness, complexity, near_blank; see server/src/generation/style.rs),
-- a JSON object computed when the image is stored; null until `arena features backfill`
-- has computed it for images stored before.
alter table generation add column style text;

//! `arena gallery import DIR`: bring your own pre-generated images.
//!
//! `DIR/prompts.jsonl` (`id`, `text`, `category`) and `DIR/<model>/<prompt-id>.png`
//! become prompts, models with backend `gallery`, and generations that enter pool
//! battles like generated ones. Every image is decoded and re-encoded (one format and
//! size, metadata stripped, as blindness requires) before the database sees any of
//! them, so a bad gallery changes nothing; a re-import adds only what is new.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use super::import::model_slug;
use crate::generation::blob::{BlobStore, normalize_bytes};
use crate::store::{GalleryCounts, GalleryImage, Store};
use crate::voting::prompts::MAX_PROMPT_CHARS;

#[derive(Deserialize)]
struct GalleryPrompt {
    id: serde_json::Value,
    text: String,
    #[serde(default)]
    category: Option<String>,
}

/// Imports the gallery in `dir`; images are re-encoded to `image_size` pixels square.
pub async fn import_gallery(
    store: &Store,
    blobs: &BlobStore,
    dir: &Path,
    image_size: u32,
) -> anyhow::Result<GalleryCounts> {
    let prompts = read_gallery_prompts(&dir.join("prompts.jsonl"))?;
    let mut files = Vec::new();
    let mut models = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .collect::<Result<Vec<_>, _>>()?;
    models.sort_by_key(|e| e.file_name());
    for model in models.into_iter().filter(|e| e.path().is_dir()) {
        let model_name = model.file_name().to_string_lossy().into_owned();
        let mut images = std::fs::read_dir(model.path())?.collect::<Result<Vec<_>, _>>()?;
        images.sort_by_key(|e| e.file_name());
        for image in images {
            let file_name = image.file_name().to_string_lossy().into_owned();
            if file_name.starts_with('.') {
                continue;
            }
            let Some(prompt_id) = file_name.strip_suffix(".png") else {
                bail!("{model_name}/{file_name}: gallery images must be named <prompt-id>.png");
            };
            let Some((text, category)) = prompts.get(prompt_id) else {
                bail!(
                    "{model_name}/{file_name}: prompts.jsonl has no prompt with id {prompt_id:?}"
                );
            };
            files.push((
                image.path(),
                model_name.clone(),
                text.clone(),
                category.clone(),
                format!("{model_name}/{file_name}"),
            ));
        }
    }
    if files.is_empty() {
        bail!(
            "{} has no images (expected <model>/<prompt-id>.png)",
            dir.display()
        );
    }
    // Normalise (and so decode) every image before the database sees any of them.
    let mut images = Vec::with_capacity(files.len());
    for (path, model_name, prompt_text, prompt_category, file) in files {
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {file}"))?;
        let stored = tokio::task::spawn_blocking(move || normalize_bytes(&bytes, image_size))
            .await?
            .with_context(|| format!("{file} is not a readable image"))?;
        let (blob_key, sha256) = blobs.put_png(&stored.png).await?;
        images.push(GalleryImage {
            model_slug: model_slug(&model_name),
            model_name,
            prompt_text,
            prompt_category,
            blob_key,
            sha256,
            size: image_size,
            file,
            style: stored.style,
        });
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(store
        .import_gallery(&images, &format!("gallery:{name}"))
        .await?)
}

/// Prompt id → (text, category) from the gallery's `prompts.jsonl`.
fn read_gallery_prompts(path: &Path) -> anyhow::Result<HashMap<String, (String, String)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut prompts = HashMap::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let at = || format!("{} line {}", path.display(), i + 1);
        let p: GalleryPrompt = serde_json::from_str(line).with_context(|| {
            format!(
                "{}: expected {{\"id\": …, \"text\": …, \"category\": …}}",
                at()
            )
        })?;
        let id = match p.id {
            serde_json::Value::String(s) if !s.is_empty() => s,
            serde_json::Value::Number(n) => n.to_string(),
            _ => bail!("{}: id must be a non-empty string or a number", at()),
        };
        let text = p.text.trim().to_string();
        if text.is_empty() || text.chars().count() > MAX_PROMPT_CHARS {
            bail!(
                "{}: the prompt text must be 1 to {MAX_PROMPT_CHARS} characters",
                at()
            );
        }
        let category = p
            .category
            .map(|c| c.trim().to_lowercase())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "general".to_string());
        if prompts.insert(id.clone(), (text, category)).is_some() {
            bail!("{}: the id {id:?} is used twice", at());
        }
    }
    if prompts.is_empty() {
        bail!("{} holds no prompts", path.display());
    }
    Ok(prompts)
}

//! The files a model needs: what loading it reads, and so what the hub fetcher
//! downloads.

use super::flux::FluxFiles;
use super::folder::{self, Family, Files};
use super::sd::SdFiles;

/// Every file loading the model in `files` reads, relative to its folder: what the hub
/// fetcher downloads. The pipelines' loaders pick their files with the same
/// `locate` functions, so the two cannot disagree.
pub(crate) fn needed_files(files: &impl Files) -> anyhow::Result<Vec<String>> {
    let (family, _) = folder::family(files)?;
    let parts = match family {
        Family::StableDiffusion | Family::StableDiffusionXl => {
            SdFiles::locate(files, family)?.all()
        }
        Family::Flux => FluxFiles::locate(files)?.all(),
    };
    let mut needed = vec![folder::MODEL_INDEX.to_string()];
    for rel in parts {
        if !needed.contains(&rel) {
            needed.push(rel);
        }
    }
    Ok(needed)
}

//! `--images DIR`: the images an export's votes refer to, named `<sha256>.png` so that
//! the rows' `image_a_sha256` / `image_b_sha256` find them (and a reader can check
//! them). Each image is written once, however many votes show it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use tokio::runtime::Handle;

use crate::generation::blob::BlobStore;
use crate::store::ExportRow;

pub struct ImageDir {
    dir: PathBuf,
    blobs: BlobStore,
}

impl ImageDir {
    pub fn create(dir: &Path, blobs: BlobStore) -> anyhow::Result<ImageDir> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the image directory {}", dir.display()))?;
        Ok(ImageDir {
            dir: dir.to_path_buf(),
            blobs,
        })
    }

    /// Writes the row's images that are not in the directory yet; returns how many.
    pub fn save(&self, handle: &Handle, row: &ExportRow) -> anyhow::Result<u64> {
        let mut written = 0;
        let sides = [
            (&row.image_a_key, &row.image_a_sha256),
            (&row.image_b_key, &row.image_b_sha256),
        ];
        for (key, sha) in sides {
            let (Some(key), Some(sha)) = (key, sha) else {
                continue;
            };
            let path = self.dir.join(format!("{sha}.png"));
            if path.exists() {
                continue;
            }
            let bytes = handle
                .block_on(self.blobs.get(key))
                .with_context(|| format!("cannot read the image {key}"))?;
            let tmp = path.with_extension("png.partial");
            std::fs::write(&tmp, bytes)
                .and_then(|()| std::fs::rename(&tmp, &path))
                .with_context(|| format!("cannot write {}", path.display()))?;
            written += 1;
        }
        Ok(written)
    }
}

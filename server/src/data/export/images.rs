//! `--images DIR`: the images an export's votes refer to, named by the rows'
//! `image_a_sha256` / `image_b_sha256` (`<name>.png`: keyed hashes by default, the
//! PNG's SHA-256 when the export is plain) so that the rows find them. Each image is
//! written once, however many votes show it.

use std::path::{Path, PathBuf};

use anyhow::Context;
use tokio::runtime::Handle;

use super::Record;
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

    /// Writes the row's images that are not in the directory yet, under the names
    /// its record gives them; returns how many.
    pub fn save(
        &self,
        handle: &Handle,
        row: &ExportRow,
        record: &Record<'_>,
    ) -> anyhow::Result<u64> {
        let mut written = 0;
        let kwise = record.kwise.as_ref();
        let sides = [
            (&row.image_a_key, record.image_a_sha256.as_ref()),
            (&row.image_b_key, record.image_b_sha256.as_ref()),
            (
                &row.image_c_key,
                kwise.and_then(|k| k.image_c_sha256.as_ref()),
            ),
            (
                &row.image_d_key,
                kwise.and_then(|k| k.image_d_sha256.as_ref()),
            ),
        ];
        for (key, name) in sides {
            let (Some(key), Some(name)) = (key, name) else {
                continue;
            };
            let path = self.dir.join(format!("{name}.png"));
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

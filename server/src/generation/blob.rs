//! Image blobs: every stored image is re-encoded to one PNG format and size, then kept
//! in a content-addressed store (a local directory by default).

use std::io;
use std::path::{Path, PathBuf};

use image::{DynamicImage, ImageFormat, ImageReader, Limits, RgbImage, imageops::FilterType};
use sha2::{Digest, Sha256};

use super::style::Style;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the image cannot be decoded: {0}")]
    Decode(#[from] image::ImageError),
    #[error("blob store I/O failed: {0}")]
    Io(#[from] io::Error),
    #[error("not a valid blob key: {0}")]
    BadKey(String),
}

/// A stored image: its PNG bytes and their style statistics.
#[derive(Debug)]
pub struct Normalized {
    pub png: Vec<u8>,
    pub style: Style,
}

/// The one format every served image has: RGB8 PNG of `size`×`size` pixels, with its
/// [`Style`] statistics taken from the same pixels.
///
/// Decoding to raw pixels and encoding anew drops every ancillary chunk (text, EXIF,
/// time, ICC), so nothing in the bytes can tell which model or tool produced them.
pub fn normalize(image: DynamicImage, size: u32) -> Result<Normalized, BlobError> {
    let rgb: RgbImage = if image.width() == size && image.height() == size {
        image.into_rgb8()
    } else {
        image
            .resize_to_fill(size, size, FilterType::Lanczos3)
            .into_rgb8()
    };
    let mut out = io::Cursor::new(Vec::with_capacity((size * size) as usize));
    rgb.write_to(&mut out, ImageFormat::Png)?;
    let png = out.into_inner();
    let style = Style::of(&rgb, png.len());
    Ok(Normalized { png, style })
}

/// The widest and tallest image a worker may upload, in pixels.
pub const MAX_UPLOAD_SIDE: u32 = 4096;

/// The most memory decoding one upload may take.
pub const MAX_UPLOAD_ALLOC: u64 = 512 * 1024 * 1024;

/// Decodes an uploaded image within [`MAX_UPLOAD_SIDE`] and [`MAX_UPLOAD_ALLOC`]: the
/// header is read first, so a small file that claims huge dimensions is refused before
/// any pixel buffer is allocated (`ImageError::Limits`).
pub fn decode_upload(bytes: &[u8]) -> Result<DynamicImage, image::ImageError> {
    let mut reader = ImageReader::new(io::Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_UPLOAD_SIDE);
    limits.max_image_height = Some(MAX_UPLOAD_SIDE);
    limits.max_alloc = Some(MAX_UPLOAD_ALLOC);
    reader.limits(limits);
    reader.decode()
}

/// Decodes PNG/JPEG/WebP… bytes and normalises them (see [`normalize`]).
pub fn normalize_bytes(bytes: &[u8], size: u32) -> Result<Normalized, BlobError> {
    normalize(image::load_from_memory(bytes)?, size)
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Content-addressed PNG files under a directory: `ab/abcdef….png`.
#[derive(Clone, Debug)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn open(root: impl Into<PathBuf>) -> Result<BlobStore, BlobError> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(BlobStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stores PNG bytes; returns (key, sha256). Writing the same bytes twice is a no-op.
    pub async fn put_png(&self, bytes: &[u8]) -> Result<(String, String), BlobError> {
        let sha = sha256_hex(bytes);
        let key = format!("{}/{}.png", &sha[..2], sha);
        let path = self.root.join(&key);
        if tokio::fs::try_exists(&path).await? {
            // Fresh again: the collection of unreferenced blobs spares recent files,
            // and this one is about to be referenced.
            let touched = path.clone();
            tokio::task::spawn_blocking(move || {
                std::fs::File::options()
                    .append(true)
                    .open(&touched)?
                    .set_modified(std::time::SystemTime::now())
            })
            .await
            .map_err(std::io::Error::other)??;
            return Ok((key, sha));
        }
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        // Write to a temporary name and rename, so a crash never leaves half a file
        // under a key the database may already point to.
        let tmp = path.with_extension(format!("tmp{}", rand::random::<u32>()));
        tokio::fs::write(&tmp, bytes).await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok((key, sha))
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let valid = key.len() == 71
            && key.as_bytes()[2] == b'/'
            && key.ends_with(".png")
            && key[..2]
                .bytes()
                .chain(key[3..67].bytes())
                .all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(BlobError::BadKey(key.to_string()));
        }
        Ok(tokio::fs::read(self.root.join(key)).await?)
    }

    /// Whether the store can be read and written now (for `/readyz`): a probe file is
    /// written and removed.
    pub async fn is_reachable(&self) -> bool {
        let probe = self.root.join(format!(".ready-{}", rand::random::<u64>()));
        let written = tokio::fs::write(&probe, b"ok").await.is_ok();
        let _ = tokio::fs::remove_file(&probe).await;
        written
    }

    /// Deletes the files under the store that no key in `referenced` names and that
    /// were last written before `before` (a blob is written before the row naming it
    /// commits: recent ones may be about to be referenced), and leftover temporary
    /// files of interrupted writes. Returns how many files went.
    pub fn collect_unreferenced(
        &self,
        referenced: &std::collections::HashSet<String>,
        before: std::time::SystemTime,
    ) -> Result<u64, BlobError> {
        let mut removed = 0;
        for dir in std::fs::read_dir(&self.root)? {
            let dir = dir?;
            let prefix = dir.file_name();
            let Some(prefix) = prefix.to_str().filter(|p| p.len() == 2) else {
                continue;
            };
            if !dir.file_type()?.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(dir.path())? {
                let file = file?;
                let name = file.file_name();
                let Some(name) = name.to_str() else { continue };
                let key = format!("{prefix}/{name}");
                if referenced.contains(&key) || file.metadata()?.modified()? >= before {
                    continue;
                }
                std::fs::remove_file(file.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_makes_square_png_of_the_requested_size() {
        let img = DynamicImage::ImageRgb8(RgbImage::from_pixel(300, 200, image::Rgb([10, 20, 30])));
        let stored = normalize(img, 128).unwrap();
        let back = image::load_from_memory(&stored.png).unwrap();
        assert_eq!((back.width(), back.height()), (128, 128));
        // The statistics are those of the stored pixels.
        assert_eq!(stored.style, Style::of_png(&stored.png).unwrap());
    }

    #[tokio::test]
    async fn blob_store_round_trips_and_rejects_path_tricks() {
        let dir = std::env::temp_dir().join(format!("arena-blob-{}", rand::random::<u64>()));
        let store = BlobStore::open(&dir).unwrap();
        let (key, sha) = store.put_png(b"not really a png").await.unwrap();
        assert!(key.starts_with(&sha[..2]));
        assert_eq!(store.get(&key).await.unwrap(), b"not really a png");
        assert!(matches!(
            store.get("../../etc/passwd").await,
            Err(BlobError::BadKey(_))
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn storing_bytes_again_makes_their_file_recent_for_the_collection() {
        let dir = std::env::temp_dir().join(format!("arena-blob-{}", rand::random::<u64>()));
        let store = BlobStore::open(&dir).unwrap();
        let (key, _) = store.put_png(b"png bytes").await.unwrap();
        let path = dir.join(&key);
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        std::fs::File::options()
            .append(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        assert_eq!(store.put_png(b"png bytes").await.unwrap().0, key);
        assert!(std::fs::metadata(&path).unwrap().modified().unwrap() > hour_ago);
        // Named or recent: kept; neither: collected.
        let none = std::collections::HashSet::new();
        assert_eq!(store.collect_unreferenced(&none, hour_ago).unwrap(), 0);
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(1);
        let named = std::collections::HashSet::from([key.clone()]);
        assert_eq!(store.collect_unreferenced(&named, later).unwrap(), 0);
        assert_eq!(store.collect_unreferenced(&none, later).unwrap(), 1);
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

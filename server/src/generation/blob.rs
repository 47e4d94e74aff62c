//! Image blobs: every stored image is re-encoded to one PNG format and size, then kept
//! in a content-addressed store: a local directory by default, or an S3-compatible
//! bucket (`image_store = "s3://…"`) that several servers share.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ClientConfigKey, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
};

use image::{DynamicImage, ImageFormat, ImageReader, Limits, RgbImage, imageops::FilterType};
use sha2::{Digest, Sha256};

use super::style::Style;
use crate::config::{ImageStore, S3Config};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the image cannot be decoded: {0}")]
    Decode(#[from] image::ImageError),
    #[error("blob store I/O failed: {0}")]
    Io(#[from] io::Error),
    #[error("not a valid blob key: {0}")]
    BadKey(String),
    #[error("the image store failed: {0}")]
    Object(#[from] object_store::Error),
    #[error("image_store has an invalid prefix: {0}")]
    Prefix(#[from] object_store::path::Error),
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

/// Content-addressed PNG files, `ab/abcdef….png`, in a local directory or under a
/// prefix of an S3-compatible bucket. Voters never see where: the server reads the
/// bytes and serves them under a per-battle token.
#[derive(Clone, Debug)]
pub struct BlobStore {
    backend: Backend,
}

#[derive(Clone, Debug)]
enum Backend {
    Dir(PathBuf),
    Object {
        store: Arc<dyn ObjectStore>,
        /// Keys live under it (the empty path: the bucket's root).
        prefix: ObjectPath,
    },
}

impl BlobStore {
    /// Opens the store `image_store` names: creates a local directory; for a bucket,
    /// builds the client (nothing is sent until the first request).
    pub fn open(spec: &ImageStore) -> Result<BlobStore, BlobError> {
        let backend = match spec {
            ImageStore::Dir(root) => {
                std::fs::create_dir_all(root)?;
                Backend::Dir(root.clone())
            }
            ImageStore::S3 {
                bucket,
                prefix,
                config,
            } => Backend::Object {
                store: Arc::new(s3_client(bucket, config)?),
                prefix: ObjectPath::parse(prefix)?,
            },
        };
        Ok(BlobStore { backend })
    }

    /// Stores PNG bytes; returns (key, sha256). Writing the same bytes twice is a no-op
    /// but for the time of last writing, which the collection of unreferenced blobs
    /// reads (it spares recent ones, and this one is about to be referenced).
    pub async fn put_png(&self, bytes: &[u8]) -> Result<(String, String), BlobError> {
        let sha = sha256_hex(bytes);
        let key = format!("{}/{}.png", &sha[..2], sha);
        match &self.backend {
            Backend::Dir(root) => put_file(&root.join(&key), bytes).await?,
            // One PUT either way: a whole object replaces the old one atomically, and
            // the same bytes again just make it recent.
            Backend::Object { store, prefix } => {
                store
                    .put(&object_path(prefix, &key), PutPayload::from(bytes.to_vec()))
                    .await?;
            }
        }
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
        match &self.backend {
            Backend::Dir(root) => Ok(tokio::fs::read(root.join(key)).await?),
            Backend::Object { store, prefix } => {
                let object = store.get(&object_path(prefix, key)).await?;
                Ok(object.bytes().await?.to_vec())
            }
        }
    }

    /// Whether the store can be read and written now (for `/readyz`): a probe is
    /// written and removed.
    pub async fn is_reachable(&self) -> bool {
        let probe = format!(".ready-{}", rand::random::<u64>());
        match &self.backend {
            Backend::Dir(root) => {
                let probe = root.join(probe);
                let written = tokio::fs::write(&probe, b"ok").await.is_ok();
                let _ = tokio::fs::remove_file(&probe).await;
                written
            }
            Backend::Object { store, prefix } => {
                let probe = object_path(prefix, &probe);
                let written = store
                    .put(&probe, PutPayload::from_static(b"ok"))
                    .await
                    .is_ok();
                let _ = store.delete(&probe).await;
                written
            }
        }
    }

    /// Deletes the blobs that no key in `referenced` names and that were last written
    /// before `before` (a blob is written before the row naming it commits: recent
    /// ones may be about to be referenced), and leftover temporary files of
    /// interrupted writes. Returns how many went.
    pub async fn collect_unreferenced(
        &self,
        referenced: HashSet<String>,
        before: SystemTime,
    ) -> Result<u64, BlobError> {
        match &self.backend {
            Backend::Dir(root) => {
                let root = root.clone();
                tokio::task::spawn_blocking(move || collect_files(&root, &referenced, before))
                    .await
                    .map_err(io::Error::other)?
            }
            Backend::Object { store, prefix } => {
                let before = chrono::DateTime::<chrono::Utc>::from(before);
                let mut removed = 0;
                let mut listing = store.list(Some(prefix));
                while let Some(meta) = listing.try_next().await? {
                    let Some(key) = relative_key(prefix, &meta.location) else {
                        continue;
                    };
                    if referenced.contains(&key) || meta.last_modified >= before {
                        continue;
                    }
                    store.delete(&meta.location).await?;
                    removed += 1;
                }
                Ok(removed)
            }
        }
    }
}

/// Writes `bytes` at `path` unless a file is there, which is only made recent again.
async fn put_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if tokio::fs::try_exists(path).await? {
        let touched = path.to_path_buf();
        return tokio::task::spawn_blocking(move || {
            std::fs::File::options()
                .append(true)
                .open(&touched)?
                .set_modified(SystemTime::now())
        })
        .await
        .map_err(io::Error::other)?;
    }
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    // Write to a temporary name and rename, so a crash never leaves half a file under
    // a key the database may already point to.
    let tmp = path.with_extension(format!("tmp{}", rand::random::<u32>()));
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::rename(&tmp, path).await
}

/// The local side of [`BlobStore::collect_unreferenced`]: files in the two-character
/// directories.
fn collect_files(
    root: &Path,
    referenced: &HashSet<String>,
    before: SystemTime,
) -> Result<u64, BlobError> {
    let mut removed = 0;
    for dir in std::fs::read_dir(root)? {
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

/// The object a blob key names under `prefix`.
fn object_path(prefix: &ObjectPath, key: &str) -> ObjectPath {
    key.split('/')
        .fold(prefix.clone(), |path, part| path.join(part))
}

/// The blob key of an object listed under `prefix`: `ab/….png` only (a probe or a
/// foreign object under the prefix is never taken for a blob).
fn relative_key(prefix: &ObjectPath, location: &ObjectPath) -> Option<String> {
    let parts: Vec<_> = location.prefix_match(prefix)?.collect();
    match parts.as_slice() {
        [dir, name] if dir.as_ref().len() == 2 => {
            Some(format!("{}/{}", dir.as_ref(), name.as_ref()))
        }
        _ => None,
    }
}

/// An S3 client: the `AWS_*` variables first, then what `[s3]` sets.
fn s3_client(bucket: &str, config: &S3Config) -> Result<AmazonS3, BlobError> {
    // The S3 client's TLS uses the process's rustls provider: ring, as everywhere in
    // the binary (an error only means that one is installed already).
    let _ = rustls::crypto::ring::default_provider().install_default();
    // A request that cannot connect fails within seconds and is retried twice, not for
    // the default three minutes: a voter waits on an image, `/readyz` on the probe.
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(1),
            base: 2.0,
        },
        max_retries: 2,
        retry_timeout: Duration::from_secs(10),
    };
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(bucket)
        .with_retry(retry)
        .with_config(
            AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
            "3s",
        )
        .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), "30s");
    if let Some(endpoint) = config
        .endpoint
        .clone()
        .or_else(|| std::env::var("AWS_ENDPOINT_URL").ok())
    {
        builder = builder
            .with_allow_http(endpoint.starts_with("http://"))
            .with_endpoint(endpoint);
    }
    if let Some(region) = &config.region {
        builder = builder.with_region(region);
    } else if std::env::var_os("AWS_REGION").is_none()
        && std::env::var_os("AWS_DEFAULT_REGION").is_none()
    {
        builder = builder.with_region("us-east-1");
    }
    if let Some(id) = &config.access_key_id {
        builder = builder.with_access_key_id(id);
    }
    if let Some(secret) = &config.secret_access_key {
        builder = builder.with_secret_access_key(secret);
    }
    if let Some(token) = &config.session_token {
        builder = builder.with_token(token);
    }
    if let Some(virtual_hosted) = config.virtual_hosted_style {
        builder = builder.with_virtual_hosted_style_request(virtual_hosted);
    }
    Ok(builder.build()?)
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
        let store = BlobStore::open(&ImageStore::Dir(dir.clone())).unwrap();
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
        let store = BlobStore::open(&ImageStore::Dir(dir.clone())).unwrap();
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
        assert_eq!(
            store
                .collect_unreferenced(none.clone(), hour_ago)
                .await
                .unwrap(),
            0
        );
        let later = std::time::SystemTime::now() + std::time::Duration::from_secs(1);
        let named = std::collections::HashSet::from([key.clone()]);
        assert_eq!(store.collect_unreferenced(named, later).await.unwrap(), 0);
        assert_eq!(store.collect_unreferenced(none, later).await.unwrap(), 1);
        assert!(!path.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Configuration: command-line flags (with environment fallbacks) over an optional
//! TOML file over built-in defaults.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::Utc;
use serde::Deserialize;

use crate::data::export::ImageHashes;
use crate::integrity::config::{IntegrityConfig, LimitsConfig, TrustedProxies};
use crate::metrics::MetricsConfig;
use crate::store::LiveLimits;
use crate::voting::axes::{self, Axis};
use crate::voting::moderation::ModerationConfig;

/// The optional TOML file (`--config`, env `ARENA_CONFIG`). Every key may be omitted.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bind: Option<SocketAddr>,
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    /// Where images are kept: `file:///path` (default: `images` in the data dir) or
    /// `s3://bucket/prefix` on an S3-compatible service (see `[s3]`). Servers that
    /// share a database must share it.
    pub image_store: Option<String>,
    /// `[s3]`: endpoint, region and credentials of an `s3://` image store; each falls
    /// back to the usual `AWS_*` variable.
    #[serde(default)]
    pub s3: S3Config,
    /// Side of the square PNG every image is re-encoded to.
    pub image_size: Option<u32>,
    /// Seconds after serving during which a battle can be voted on.
    pub battle_ttl_secs: Option<u64>,
    /// 64 random bytes as 128 hex digits; encrypts the voter cookie. Servers that share
    /// a database must share it. Without it a key is generated in the data dir.
    pub cookie_key: Option<String>,
    /// Mark the voter cookie `Secure` (serve over HTTPS).
    pub cookie_secure: Option<bool>,
    /// Register the built-in demo models in a fresh database.
    pub register_demo_models: Option<bool>,
    /// Import the shipped prompt set on start.
    pub default_prompts: Option<bool>,
    /// Run a generation worker inside the server process.
    pub embedded_worker: Option<bool>,
    /// A worker.toml whose models the embedded worker serves besides the demo ones
    /// (demo and openai backends; candle models run in `arena-worker` only).
    pub embedded_worker_config: Option<PathBuf>,
    /// Matchmaking weight per model slug, overriding the database's.
    #[serde(default)]
    pub model_weights: HashMap<String, f64>,
    /// How the models of a battle are chosen: `uniform` (by weight, the default) or
    /// `active` (where the leaderboard is least sure of a close order).
    pub matchmaking: Option<Matchmaking>,
    /// Share of active battles drawn uniformly all the same (default 0.2).
    pub exploration: Option<f64>,
    /// Images in a K-wise battle: 3 or 4 (default 4). Served for a share
    /// `kwise_share` of pool battles; the rest are pairs.
    pub battle_size: Option<usize>,
    /// Share of pool battles that show `battle_size` images (default 0: pairs only).
    pub kwise_share: Option<f64>,
    /// `[queue]`: leases, attempts, live-battle timeout, pool refill.
    #[serde(default)]
    pub queue: QueueConfig,
    /// `[moderation]`: prompt length, block lists, an external moderation endpoint.
    #[serde(default)]
    pub moderation: ModerationConfig,
    /// 32 random bytes as 64 hex digits: the key of the hash that turns voter ids into
    /// the `judge` of exports. Without it a key is generated in the data dir.
    pub judge_key: Option<String>,
    /// Whether `GET /api/v1/export/votes` is open to anyone (else admin token only).
    pub export_public: Option<bool>,
    /// How exports name images: `keyed` (default: an HMAC of the SHA-256 under the
    /// judge key, so a served image's bytes do not lead to its model) or `plain`.
    pub export_image_hashes: Option<ImageHashes>,
    /// Bearer token for admin-only endpoints (at least 32 characters).
    pub admin_token: Option<String>,
    /// Proxies (CIDRs or addresses) whose `X-Forwarded-For` names the client; from any
    /// other peer the header is ignored and the socket's address is the client's.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// A vote counts only when both images were fetched by its voter at least this many
    /// milliseconds before it (0: every vote counts, seen or not).
    pub min_view_ms: Option<u64>,
    /// The questions each battle asks, in order (default `["overall"]`): `overall`
    /// first, then e.g. `prompt` ("Which image follows the prompt better?") and
    /// `quality` ("Which image looks better?"), or axes of your own with a question
    /// under `[axis_questions]`. Each answer is a vote with its own leaderboard.
    pub axes: Option<Vec<String>>,
    /// The question of an axis that is not built in (or a rewording of one).
    #[serde(default)]
    pub axis_questions: HashMap<String, String>,
    /// Votes a voter casts before `/me` shows their own leaderboard (default 20).
    pub personal_min_votes: Option<u64>,
    /// The penalty on the style-controlled board's coefficients (arena-rank's `reg`,
    /// on the mean log-likelihood): 1 by default, as LMArena's style control; 0 fits
    /// them freely, which undoes a style preference fully (see the methodology page).
    pub style_control_reg: Option<f64>,
    /// Seconds between snapshots of every published board (default a day; 0: only
    /// `arena snapshot`).
    pub snapshot_every: Option<u64>,
    /// `[limits]`: per address and per voter, per hour.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// `[integrity]`: the rigging detector and proof of work.
    #[serde(default)]
    pub integrity: IntegrityConfig,
    /// `[http]`: timeouts, the concurrency cap, body and export limits, origins.
    #[serde(default)]
    pub http: HttpConfig,
    /// `[metrics]`: `/metrics` on or off, and its bearer token.
    #[serde(default)]
    pub metrics: MetricsConfig,
}

impl FileConfig {
    pub fn load(path: &Path) -> anyhow::Result<FileConfig> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }
}

/// Where the data lives; shared by every subcommand that touches the database.
#[derive(Clone, Debug)]
pub struct Storage {
    pub database_url: String,
    pub data_dir: PathBuf,
    /// Where images are kept.
    pub image_store: ImageStore,
}

/// Where images are kept (`image_store`).
#[derive(Clone, Debug, PartialEq)]
pub enum ImageStore {
    /// A local directory.
    Dir(PathBuf),
    /// A bucket of an S3-compatible service, under a key prefix (maybe empty).
    S3 {
        bucket: String,
        prefix: String,
        config: S3Config,
    },
}

impl ImageStore {
    /// Parses `file://PATH` or `s3://BUCKET[/PREFIX]`.
    pub fn parse(url: &str, s3: &S3Config) -> anyhow::Result<ImageStore> {
        if let Some(path) = url.strip_prefix("file://") {
            if path.is_empty() {
                bail!("image_store {url:?} names no directory: write file:///absolute/path");
            }
            Ok(ImageStore::Dir(PathBuf::from(path)))
        } else if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                bail!("image_store {url:?} names no bucket: write s3://bucket/prefix");
            }
            Ok(ImageStore::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
                config: s3.clone(),
            })
        } else {
            bail!("image_store must be file://PATH or s3://BUCKET/PREFIX, not {url:?}")
        }
    }

    /// The local directory, when images are kept in one.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            ImageStore::Dir(dir) => Some(dir),
            ImageStore::S3 { .. } => None,
        }
    }
}

impl std::fmt::Display for ImageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageStore::Dir(dir) => write!(f, "file://{}", dir.display()),
            ImageStore::S3 { bucket, prefix, .. } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// `[s3]`: the service behind `image_store = "s3://…"`. A key left out is read from
/// its `AWS_*` variable (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
/// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then from the instance's role.
#[derive(Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// e.g. `http://127.0.0.1:9000` for MinIO; unset for AWS itself.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// `bucket.endpoint/key` requests instead of `endpoint/bucket/key` (default false).
    pub virtual_hosted_style: Option<bool>,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets stay out of logs and error messages.
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "…"),
            )
            .field("session_token", &self.session_token.as_ref().map(|_| "…"))
            .field("virtual_hosted_style", &self.virtual_hosted_style)
            .finish()
    }
}

impl Storage {
    /// A database and a data dir whose `images` folder keeps the images (the default).
    pub fn local(database_url: impl Into<String>, data_dir: impl Into<PathBuf>) -> Storage {
        let data_dir = data_dir.into();
        Storage {
            database_url: database_url.into(),
            image_store: ImageStore::Dir(data_dir.join("images")),
            data_dir,
        }
    }

    pub fn resolve(
        database_url: Option<String>,
        data_dir: Option<PathBuf>,
        file: &FileConfig,
    ) -> anyhow::Result<Storage> {
        let data_dir = data_dir
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| PathBuf::from("arena-data"));
        let database_url = database_url
            .or_else(|| file.database_url.clone())
            .unwrap_or_else(|| format!("sqlite:{}", data_dir.join("arena.db").display()));
        let image_store = match &file.image_store {
            Some(url) => ImageStore::parse(url, &file.s3),
            None => Ok(ImageStore::Dir(data_dir.join("images"))),
        }?;
        Ok(Storage {
            database_url,
            data_dir,
            image_store,
        })
    }

    /// Creates the data dir and proves it writable, with a one-line error otherwise.
    pub fn prepare_data_dir(&self) -> anyhow::Result<()> {
        let dir = &self.data_dir;
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        let probe = dir.join(".write-test");
        std::fs::write(&probe, b"ok")
            .with_context(|| format!("the data directory {} is not writable", dir.display()))?;
        let _ = std::fs::remove_file(probe);
        Ok(())
    }
}

/// Everything `arena serve` needs, resolved.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub storage: Storage,
    /// The questions each battle asks; the first is the overall one.
    pub axes: Vec<Axis>,
    /// Votes before a voter's own leaderboard appears at `/me`.
    pub personal_min_votes: u64,
    /// The style-controlled board's coefficient penalty.
    pub style_control_reg: f64,
    /// Time between leaderboard snapshots (zero: only on demand).
    pub snapshot_every: Duration,
    pub bind: SocketAddr,
    pub image_size: u32,
    pub battle_ttl: Duration,
    pub cookie_key: Vec<u8>,
    pub cookie_secure: bool,
    pub register_demo_models: bool,
    pub default_prompts: bool,
    pub embedded_worker: bool,
    pub embedded_worker_config: Option<PathBuf>,
    pub model_weights: HashMap<String, f64>,
    pub matchmaking: Matchmaking,
    /// Share of active battles drawn uniformly.
    pub exploration: f64,
    /// Images in a K-wise battle (3 or 4).
    pub battle_size: usize,
    /// Share of pool battles that are K-wise (0: pairs only).
    pub kwise_share: f64,
    pub queue: QueueConfig,
    pub moderation: ModerationConfig,
    pub judge_key: Vec<u8>,
    pub export_public: bool,
    pub export_image_hashes: ImageHashes,
    pub admin_token: Option<String>,
    pub trusted_proxies: TrustedProxies,
    pub min_view: Duration,
    pub limits: LimitsConfig,
    pub integrity: IntegrityConfig,
    pub http: HttpConfig,
    pub metrics: MetricsConfig,
}

/// How the models of a battle are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Matchmaking {
    /// In proportion to the models' weights.
    #[default]
    Uniform,
    /// By the expected reduction of the leaderboard's uncertainty about close pairs
    /// (`arena_evaluator::matchmaking`), with a uniform share `exploration`.
    Active,
}

/// The shortest admin token accepted: a guessable one would open every admin action.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

impl ServeConfig {
    pub fn resolve(
        storage: Storage,
        bind: Option<SocketAddr>,
        no_embedded_worker: bool,
        file: FileConfig,
    ) -> anyhow::Result<ServeConfig> {
        let image_size = file.image_size.unwrap_or(512);
        if !(64..=2048).contains(&image_size) {
            bail!("image_size must be between 64 and 2048, not {image_size}");
        }
        if let Some((slug, w)) = file
            .model_weights
            .iter()
            .find(|(_, w)| w.is_nan() || **w < 0.0)
        {
            bail!("model_weights.{slug} must be a non-negative number, not {w}");
        }
        let exploration = file.exploration.unwrap_or(0.2);
        if !(0.0..=1.0).contains(&exploration) {
            bail!("exploration must be between 0 and 1, not {exploration}");
        }
        let battle_size = file.battle_size.unwrap_or(4);
        if !(3..=4).contains(&battle_size) {
            bail!("battle_size must be 3 or 4 (images in a K-wise battle), not {battle_size}");
        }
        let kwise_share = file.kwise_share.unwrap_or(0.0);
        if !(0.0..=1.0).contains(&kwise_share) {
            bail!("kwise_share must be between 0 and 1, not {kwise_share}");
        }
        let judge_key = judge_key(&file, &storage)?;
        file.queue.check()?;
        file.http.check()?;
        let cookie_key = match file
            .cookie_key
            .or_else(|| std::env::var("ARENA_COOKIE_KEY").ok())
        {
            Some(hex_key) => parse_key(&hex_key)?,
            None => load_or_create_key(&storage.data_dir.join("cookie.key"))?,
        };
        let style_control_reg = file.style_control_reg.unwrap_or(1.0);
        if !(style_control_reg >= 0.0 && style_control_reg.is_finite()) {
            bail!("style_control_reg must be 0 or more, not {style_control_reg}");
        }
        let admin_token = file.admin_token.filter(|t| !t.is_empty());
        if let Some(token) = &admin_token
            && token.chars().count() < MIN_ADMIN_TOKEN_CHARS
        {
            bail!(
                "admin_token must be at least {MIN_ADMIN_TOKEN_CHARS} characters (this one has {}); \
                 generate one with `openssl rand -hex 32`",
                token.chars().count()
            );
        }
        let axes = axes::resolve(file.axes.as_deref(), &file.axis_questions)?;
        Ok(ServeConfig {
            axes,
            judge_key,
            export_public: file.export_public.unwrap_or(true),
            export_image_hashes: file.export_image_hashes.unwrap_or_default(),
            admin_token,
            trusted_proxies: TrustedProxies::parse(&file.trusted_proxies)?,
            min_view: Duration::from_millis(file.min_view_ms.unwrap_or(1500)),
            personal_min_votes: file.personal_min_votes.unwrap_or(20).max(1),
            style_control_reg,
            snapshot_every: Duration::from_secs(file.snapshot_every.unwrap_or(24 * 3600)),
            limits: file.limits,
            integrity: file.integrity,
            bind: bind
                .or(file.bind)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            image_size,
            battle_ttl: Duration::from_secs(file.battle_ttl_secs.unwrap_or(24 * 3600)),
            cookie_key,
            cookie_secure: file.cookie_secure.unwrap_or(false),
            register_demo_models: file.register_demo_models.unwrap_or(true),
            default_prompts: file.default_prompts.unwrap_or(true),
            embedded_worker: !no_embedded_worker && file.embedded_worker.unwrap_or(true),
            embedded_worker_config: file.embedded_worker_config,
            model_weights: file.model_weights,
            matchmaking: file.matchmaking.unwrap_or_default(),
            exploration,
            battle_size,
            kwise_share,
            queue: file.queue,
            moderation: file.moderation,
            http: file.http,
            metrics: file.metrics,
            storage,
        })
    }
}

impl ServeConfig {
    /// The per-voter live-battle limits, none when `[limits] enabled = false`.
    pub fn live_limits(&self) -> LiveLimits {
        match self.limits.enabled {
            true => self.queue.live_limits(),
            false => LiveLimits {
                per_hour: 0,
                generating: 0,
            },
        }
    }
}

/// The key that hashes voter ids into export `judge`s: `judge_key` from the file or
/// `ARENA_JUDGE_KEY`, else one generated once in the data dir. Every export of one
/// arena must use the same key, or one voter's votes stop linking across exports.
pub fn judge_key(file: &FileConfig, storage: &Storage) -> anyhow::Result<Vec<u8>> {
    let parse = |text: &str| -> anyhow::Result<Vec<u8>> {
        let key = hex::decode(text.trim()).context("judge_key must be hexadecimal")?;
        if key.len() < 32 {
            bail!(
                "judge_key must be 32 bytes (64 hex digits), got {} bytes",
                key.len()
            );
        }
        Ok(key)
    };
    if let Some(text) = file
        .judge_key
        .clone()
        .or_else(|| std::env::var("ARENA_JUDGE_KEY").ok())
    {
        return parse(&text);
    }
    let path = storage.data_dir.join("judge.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return parse(&text).with_context(|| format!("in {}", path.display()));
    }
    // A first import or export may come before the first `serve`: make the folder.
    storage.prepare_data_dir()?;
    let key: [u8; 32] = std::array::from_fn(|_| rand::random());
    match write_private(&path, hex::encode(key).as_bytes()) {
        Ok(()) => Ok(key.to_vec()),
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => judge_key(file, storage),
        Err(e) => Err(e).with_context(|| format!("cannot write {}", path.display())),
    }
}

fn parse_key(hex_key: &str) -> anyhow::Result<Vec<u8>> {
    let key = hex::decode(hex_key.trim()).context("cookie_key must be hexadecimal")?;
    if key.len() < 64 {
        bail!(
            "cookie_key must be 64 bytes (128 hex digits), got {} bytes",
            key.len()
        );
    }
    Ok(key)
}

/// The cookie key kept in the data dir, generated on first start.
fn load_or_create_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    if path.exists() {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        return parse_key(&text).with_context(|| format!("in {}", path.display()));
    }
    let key: [u8; 64] = std::array::from_fn(|_| rand::random());
    write_private(path, hex::encode(key).as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(key.to_vec())
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// Most images per (prompt, model): the refill queues this many jobs for every pair.
const MAX_POOL_IMAGES: u32 = 100;

/// `[queue]` in the server's config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QueueConfig {
    /// Seconds a lease lasts unless a heartbeat extends it.
    pub lease_secs: u64,
    /// Leases per job before it fails for good.
    pub max_attempts: u32,
    /// Seconds a voter waits for the two images of a live battle.
    pub live_timeout_secs: u64,
    /// Queue the missing pool images of every model a live worker serves.
    pub pool_refill: bool,
    /// A worker counts as live for this long after its latest request.
    pub worker_seen_secs: u64,
    /// Live battles one voter may start in any rolling hour (0: no limit).
    pub live_per_voter_per_hour: u32,
    /// Live battles of one voter that may be generating at once (0: no limit).
    pub live_generating_per_voter: u32,
    /// Images the pool keeps of each (prompt, model), each from its own seed: one
    /// image per pair would make its bytes a stable name for its model.
    pub pool_images: u32,
    /// Battles after which a pool image is retired and replaced by one with a new
    /// seed (0: never).
    pub pool_image_battles: u32,
}

impl Default for QueueConfig {
    fn default() -> QueueConfig {
        QueueConfig {
            lease_secs: 60,
            max_attempts: 3,
            live_timeout_secs: 180,
            pool_refill: true,
            worker_seen_secs: 90,
            live_per_voter_per_hour: 30,
            live_generating_per_voter: 2,
            pool_images: 3,
            pool_image_battles: 0,
        }
    }
}

impl QueueConfig {
    pub fn check(&self) -> anyhow::Result<()> {
        if self.lease_secs == 0
            || self.max_attempts == 0
            || self.live_timeout_secs == 0
            || self.worker_seen_secs == 0
        {
            anyhow::bail!(
                "queue.lease_secs, queue.max_attempts, queue.live_timeout_secs and \
                 queue.worker_seen_secs must be positive"
            );
        }
        if !(1..=MAX_POOL_IMAGES).contains(&self.pool_images) {
            anyhow::bail!(
                "queue.pool_images must be between 1 and {MAX_POOL_IMAGES}, not {}",
                self.pool_images
            );
        }
        Ok(())
    }

    /// Workers seen since this instant count as live.
    pub fn live_workers_since(&self, now: chrono::DateTime<Utc>) -> chrono::DateTime<Utc> {
        now - chrono::Duration::seconds(self.worker_seen_secs as i64)
    }

    pub fn live_limits(&self) -> LiveLimits {
        LiveLimits {
            per_hour: self.live_per_voter_per_hour,
            generating: self.live_generating_per_voter,
        }
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }

    /// Heartbeats come three times per lease, so one lost heartbeat costs nothing.
    pub fn heartbeat_secs(&self) -> u64 {
        (self.lease_secs / 3).max(1)
    }
}

/// `[http]` in the server's config file: how much one client may ask of the server.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Seconds a client has to send a request's headers (and an idle keep-alive
    /// connection waits for the next request) before it is disconnected.
    pub header_read_timeout_secs: u64,
    /// Seconds an ordinary request may take until its response starts (503 after).
    /// The event stream and the exports are streamed: their bodies are not limited.
    pub request_timeout_secs: u64,
    /// The same for the worker protocol, whose leases wait for jobs (up to 30 s) and
    /// whose uploads may be large.
    pub worker_request_timeout_secs: u64,
    /// Requests handled at once by this process; over it: 503 with `Retry-After`.
    pub max_concurrent_requests: usize,
    /// Largest request body of every route but the worker's image upload (64 MiB).
    pub max_body_bytes: usize,
    /// Vote exports streamed at once (each holds a database connection); others
    /// wait a moment, then get 503 with `Retry-After`.
    pub max_concurrent_exports: usize,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Origins (`https://arena.example`) allowed to post besides the request's own
    /// (`Host`), e.g. when a proxy rewrites `Host`.
    pub allowed_origins: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            header_read_timeout_secs: 10,
            request_timeout_secs: 30,
            worker_request_timeout_secs: 300,
            max_concurrent_requests: 512,
            max_body_bytes: 8 * 1024,
            max_concurrent_exports: 2,
            shutdown_grace_secs: 30,
            allowed_origins: Vec::new(),
        }
    }
}

impl HttpConfig {
    pub fn check(&self) -> anyhow::Result<()> {
        if self.header_read_timeout_secs == 0
            || self.request_timeout_secs == 0
            || self.worker_request_timeout_secs == 0
            || self.max_concurrent_requests == 0
            || self.max_concurrent_exports == 0
        {
            bail!(
                "http.header_read_timeout_secs, http.request_timeout_secs, \
                 http.worker_request_timeout_secs, http.max_concurrent_requests and \
                 http.max_concurrent_exports must be positive"
            );
        }
        if self.max_body_bytes < 1024 {
            bail!("http.max_body_bytes must be at least 1024");
        }
        if let Some(bad) = self
            .allowed_origins
            .iter()
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")) || o.ends_with('/'))
        {
            bail!("http.allowed_origins: {bad:?} is not an origin such as https://arena.example");
        }
        Ok(())
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_secs)
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    pub fn worker_request_timeout(&self) -> Duration {
        Duration::from_secs(self.worker_request_timeout_secs)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_in_the_data_dir_is_the_default_database() {
        let s = Storage::resolve(None, Some("/tmp/x".into()), &FileConfig::default()).unwrap();
        assert_eq!(s.database_url, "sqlite:/tmp/x/arena.db");
    }

    #[test]
    fn flags_override_the_file() {
        let file: FileConfig =
            toml::from_str("database_url = \"postgres://a/b\"\ndata_dir = \"/d\"").unwrap();
        let s = Storage::resolve(Some("sqlite:/e.db".into()), None, &file).unwrap();
        assert_eq!(s.database_url, "sqlite:/e.db");
        assert_eq!(s.data_dir, PathBuf::from("/d"));
    }

    #[test]
    fn unknown_keys_in_the_file_are_an_error() {
        assert!(toml::from_str::<FileConfig>("bnid = \"x\"").is_err());
    }

    /// The serve configuration of a config file's text, keys given.
    fn resolve(text: &str) -> anyhow::Result<ServeConfig> {
        let storage = Storage::resolve(None, Some(std::env::temp_dir()), &FileConfig::default())?;
        let file: FileConfig = toml::from_str(text)?;
        let file = FileConfig {
            judge_key: Some("ab".repeat(32)),
            cookie_key: Some("cd".repeat(64)),
            ..file
        };
        ServeConfig::resolve(storage, None, true, file)
    }

    #[test]
    fn exports_name_images_by_keyed_hashes_unless_told_plain() {
        assert_eq!(resolve("").unwrap().export_image_hashes, ImageHashes::Keyed);
        let plain = resolve("export_image_hashes = \"plain\"").unwrap();
        assert_eq!(plain.export_image_hashes, ImageHashes::Plain);
        let keyed = resolve("export_image_hashes = \"keyed\"").unwrap();
        assert_eq!(keyed.export_image_hashes, ImageHashes::Keyed);
        assert!(resolve("export_image_hashes = \"sha256\"").is_err());
    }

    #[test]
    fn matchmaking_is_uniform_unless_told_active_and_exploration_is_a_share() {
        let default = resolve("").unwrap();
        assert_eq!(
            (default.matchmaking, default.exploration),
            (Matchmaking::Uniform, 0.2)
        );
        let active = resolve("matchmaking = \"active\"\nexploration = 0.1").unwrap();
        assert_eq!(
            (active.matchmaking, active.exploration),
            (Matchmaking::Active, 0.1)
        );
        assert!(resolve("matchmaking = \"smart\"").is_err());
        assert!(resolve("exploration = 1.5").is_err());
    }

    #[test]
    fn battles_are_pairs_unless_a_kwise_share_is_set() {
        let default = resolve("").unwrap();
        assert_eq!((default.battle_size, default.kwise_share), (4, 0.0));
        let three = resolve("battle_size = 3\nkwise_share = 0.5").unwrap();
        assert_eq!((three.battle_size, three.kwise_share), (3, 0.5));
        assert!(resolve("battle_size = 2").is_err());
        assert!(resolve("battle_size = 5").is_err());
        assert!(resolve("kwise_share = -0.1").is_err());
        assert!(resolve("kwise_share = 2").is_err());
    }

    #[test]
    fn the_pool_keeps_three_images_per_pair_and_refuses_none() {
        let queue: QueueConfig = toml::from_str("").unwrap();
        assert_eq!((queue.pool_images, queue.pool_image_battles), (3, 0));
        assert!(queue.check().is_ok());
        let none: QueueConfig = toml::from_str("pool_images = 0").unwrap();
        assert!(none.check().is_err());
        let many: QueueConfig = toml::from_str("pool_images = 1000").unwrap();
        assert!(many.check().is_err());
        let rotating: QueueConfig =
            toml::from_str("pool_images = 5\npool_image_battles = 40").unwrap();
        assert!(rotating.check().is_ok());
    }

    #[test]
    fn the_http_table_has_defaults_and_refuses_zero_limits() {
        let file: FileConfig = toml::from_str("[http]\nmax_concurrent_exports = 4").unwrap();
        assert_eq!(file.http.max_concurrent_exports, 4);
        assert_eq!(file.http.request_timeout_secs, 30);
        file.http.check().unwrap();
        let zero: FileConfig = toml::from_str("[http]\nmax_concurrent_requests = 0").unwrap();
        assert!(zero.http.check().is_err());
        let origin: FileConfig =
            toml::from_str("[http]\nallowed_origins = [\"arena.example\"]").unwrap();
        assert!(origin.http.check().is_err());
    }

    #[test]
    fn short_cookie_keys_are_refused() {
        assert!(parse_key("abcd").is_err());
        assert!(parse_key(&"ab".repeat(64)).is_ok());
    }
}

//! Research exports: the votes, in the formats other tools read, with a dataset card.
//!
//! One row shape ([`Record`], the export row of DESIGN.md) is written by one writer
//! per format. Rows come from a database stream one at a time and go straight to the
//! writer, so an export of any size runs in flat memory; the driver is synchronous
//! (it runs on a blocking thread and pulls each row from the async stream), which lets
//! the same code write a file for the CLI or feed an HTTP body chunk by chunk.

pub mod card;
mod csv;
mod fastchat;
mod genai_bench;
mod images;
mod jsonl;
pub mod parquet;

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context;
use arena_evaluator::Outcome;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;

use crate::generation::blob::BlobStore;
use crate::store::parse_style;
use crate::store::{ExportFilter, ExportRow, Store};

pub use card::CardStats;
pub use images::ImageDir;

/// The formats an export can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line, every field of the export row.
    Jsonl,
    /// A header row, then every field of the export row.
    Csv,
    /// Every field of the export row in typed columns, Snappy-compressed row groups.
    Parquet,
    /// FastChat's clean-battle JSON array (what FastChat and arena-rank read).
    Fastchat,
    /// GenAI-Bench's columns, one JSON object per line.
    GenaiBench,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 5] = [
        ExportFormat::Jsonl,
        ExportFormat::Csv,
        ExportFormat::Parquet,
        ExportFormat::Fastchat,
        ExportFormat::GenaiBench,
    ];

    /// Whether it holds votes on battles of three or four images (FastChat's and
    /// GenAI-Bench's formats are pairs only).
    pub fn holds_kwise(self) -> bool {
        matches!(
            self,
            ExportFormat::Jsonl | ExportFormat::Csv | ExportFormat::Parquet
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "jsonl",
            ExportFormat::Csv => "csv",
            ExportFormat::Parquet => "parquet",
            ExportFormat::Fastchat => "fastchat",
            ExportFormat::GenaiBench => "genai-bench",
        }
    }

    /// The file name a download of this format gets.
    pub fn file_name(self) -> &'static str {
        match self {
            ExportFormat::Jsonl => "votes.jsonl",
            ExportFormat::Csv => "votes.csv",
            ExportFormat::Parquet => "votes.parquet",
            ExportFormat::Fastchat => "clean_battle.json",
            ExportFormat::GenaiBench => "votes.genai-bench.jsonl",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Jsonl | ExportFormat::GenaiBench => "application/x-ndjson",
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Parquet => "application/vnd.apache.parquet",
            ExportFormat::Fastchat => "application/json",
        }
    }
}

/// The formats by the names `?format=` takes, listed from [`ExportFormat::ALL`].
impl utoipa::PartialSchema for ExportFormat {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(ExportFormat::ALL.map(ExportFormat::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for ExportFormat {}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ExportFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        ExportFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                format!("unknown export format {s:?} (expected jsonl, csv, parquet, fastchat or genai-bench)")
            })
    }
}

/// The export row of DESIGN.md, borrowed from one database row. Field order is the
/// documented column order of the JSONL, CSV and Parquet formats.
#[derive(Debug, Serialize)]
pub struct Record<'a> {
    pub battle_id: &'a str,
    /// Unix seconds of the vote.
    pub tstamp: f64,
    pub prompt_id: Option<i64>,
    pub prompt: Option<&'a str>,
    pub category: Option<&'a str>,
    pub model_a: &'a str,
    pub model_b: &'a str,
    /// FastChat's label: `model_a`, `model_b`, `tie`, `tie (bothbad)`; in a battle of
    /// three or four images the best one, `model_a` to `model_d`.
    pub winner: &'static str,
    /// A pair's outcome (`None` for a battle of three or four images).
    #[serde(skip)]
    pub outcome: Option<Outcome>,
    pub judge: String,
    pub anony: bool,
    /// The image's name: keyed or plain, as [`ImageHashes`] says.
    pub image_a_sha256: Option<Cow<'a, str>>,
    pub image_b_sha256: Option<Cow<'a, str>>,
    pub gen_a_seed: Option<i64>,
    pub gen_a_steps: Option<i32>,
    pub gen_a_width: Option<i32>,
    pub gen_a_height: Option<i32>,
    pub gen_a_latency_ms: Option<i64>,
    pub gen_b_seed: Option<i64>,
    pub gen_b_steps: Option<i32>,
    pub gen_b_width: Option<i32>,
    pub gen_b_height: Option<i32>,
    pub gen_b_latency_ms: Option<i64>,
    pub counts_for_leaderboard: bool,
    pub exclusion_reason: Option<&'a str>,
    pub source: &'a str,
    // The two images' style statistics (`crate::generation::style`): columns rather
    // than objects, so that every format holds them the same way.
    pub style_a_brightness: Option<f64>,
    pub style_a_contrast: Option<f64>,
    pub style_a_saturation: Option<f64>,
    pub style_a_colourfulness: Option<f64>,
    pub style_a_sharpness: Option<f64>,
    pub style_a_complexity: Option<f64>,
    pub style_a_near_blank: Option<f64>,
    pub style_b_brightness: Option<f64>,
    pub style_b_contrast: Option<f64>,
    pub style_b_saturation: Option<f64>,
    pub style_b_colourfulness: Option<f64>,
    pub style_b_sharpness: Option<f64>,
    pub style_b_complexity: Option<f64>,
    pub style_b_near_blank: Option<f64>,
    /// The answers on the other judgement axes (`axes` in the config), in axis order:
    /// a JSON object `{"prompt": "model_a", …}` (FastChat's labels, as `winner`) after
    /// the other fields — in JSONL only when there are any, in CSV and Parquet as that
    /// object's text in the last column, empty when there are none.
    #[serde(skip)]
    pub axes: Vec<(&'a str, Outcome)>,
    /// A battle of three or four images: written after `axes` (see [`KwiseFields`]).
    #[serde(skip)]
    pub kwise: Option<KwiseFields<'a>>,
}

/// What a vote on three or four images adds to the export row, in the last columns:
/// the other models, the image judged worst (`model_a` … `model_d`, if any), and the
/// other images' names. In JSONL only on such votes; CSV and Parquet have the columns
/// always, empty for pairs.
#[derive(Debug, Default, Serialize)]
pub struct KwiseFields<'a> {
    pub model_c: Option<&'a str>,
    pub model_d: Option<&'a str>,
    pub worst: Option<&'static str>,
    pub image_c_sha256: Option<Cow<'a, str>>,
    pub image_d_sha256: Option<Cow<'a, str>>,
}

/// FastChat's label of the image in slot `slot`: `model_a` … `model_d`.
fn slot_label(slot: i16) -> &'static str {
    match slot {
        0 => "model_a",
        1 => "model_b",
        2 => "model_c",
        _ => "model_d",
    }
}

/// [`Record::axes`] as the JSON object the exports write.
pub struct AxesObject<'r, 'a>(pub &'r [(&'a str, Outcome)]);

impl Serialize for AxesObject<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (axis, winner) in self.0 {
            map.serialize_entry(axis, winner.fastchat_label())?;
        }
        map.end()
    }
}

impl<'a> Record<'a> {
    /// The `axes` column of CSV and Parquet: the JSON object's text, `None` when the
    /// vote has no answers on other axes.
    pub fn axes_text(&self) -> Option<String> {
        (!self.axes.is_empty()).then(|| {
            serde_json::to_string(&AxesObject(&self.axes)).expect("strings always serialise")
        })
    }

    pub fn new(row: &'a ExportRow, judge_key: &[u8], images: &ImageNamer) -> Record<'a> {
        let style_a = parse_style(row.style_a.as_deref());
        let style_b = parse_style(row.style_b.as_deref());
        Record {
            battle_id: &row.battle_id,
            tstamp: row.created_at.timestamp_micros() as f64 / 1e6,
            prompt_id: row.prompt_id,
            prompt: row.prompt.as_deref(),
            category: row.category.as_deref(),
            model_a: &row.model_a,
            model_b: &row.model_b,
            winner: match row.best {
                Some(best) => slot_label(best),
                None => row.winner.fastchat_label(),
            },
            outcome: row.best.is_none().then_some(row.winner),
            judge: judge(judge_key, &row.voter_id),
            anony: row.anony,
            image_a_sha256: row.image_a_sha256.as_deref().map(|s| images.name(s)),
            image_b_sha256: row.image_b_sha256.as_deref().map(|s| images.name(s)),
            gen_a_seed: row.gen_a_seed,
            gen_a_steps: row.gen_a_steps,
            gen_a_width: row.gen_a_width,
            gen_a_height: row.gen_a_height,
            gen_a_latency_ms: row.gen_a_latency_ms,
            gen_b_seed: row.gen_b_seed,
            gen_b_steps: row.gen_b_steps,
            gen_b_width: row.gen_b_width,
            gen_b_height: row.gen_b_height,
            gen_b_latency_ms: row.gen_b_latency_ms,
            counts_for_leaderboard: row.counts_for_leaderboard,
            exclusion_reason: row.exclusion_reason.as_deref(),
            source: &row.source,
            style_a_brightness: style_a.map(|s| s.brightness),
            style_a_contrast: style_a.map(|s| s.contrast),
            style_a_saturation: style_a.map(|s| s.saturation),
            style_a_colourfulness: style_a.map(|s| s.colourfulness),
            style_a_sharpness: style_a.map(|s| s.sharpness),
            style_a_complexity: style_a.map(|s| s.complexity),
            style_a_near_blank: style_a.map(|s| s.near_blank),
            style_b_brightness: style_b.map(|s| s.brightness),
            style_b_contrast: style_b.map(|s| s.contrast),
            style_b_saturation: style_b.map(|s| s.saturation),
            style_b_colourfulness: style_b.map(|s| s.colourfulness),
            style_b_sharpness: style_b.map(|s| s.sharpness),
            style_b_complexity: style_b.map(|s| s.complexity),
            style_b_near_blank: style_b.map(|s| s.near_blank),
            axes: row.axis_answers(),
            kwise: row.best.map(|_| KwiseFields {
                model_c: row.model_c.as_deref(),
                model_d: row.model_d.as_deref(),
                worst: row.worst.map(slot_label),
                image_c_sha256: row.image_c_sha256.as_deref().map(|s| images.name(s)),
                image_d_sha256: row.image_d_sha256.as_deref().map(|s| images.name(s)),
            }),
        }
    }

    /// The style columns in schema order: A's statistics, then B's.
    pub fn style_values(&self) -> [Option<f64>; 14] {
        [
            self.style_a_brightness,
            self.style_a_contrast,
            self.style_a_saturation,
            self.style_a_colourfulness,
            self.style_a_sharpness,
            self.style_a_complexity,
            self.style_a_near_blank,
            self.style_b_brightness,
            self.style_b_contrast,
            self.style_b_saturation,
            self.style_b_colourfulness,
            self.style_b_sharpness,
            self.style_b_complexity,
            self.style_b_near_blank,
        ]
    }
}

/// The `judge` of a voter: HMAC-SHA256 of the voter id under the arena's judge key,
/// 128 bits in hex. One voter's votes link together, but without the key nobody can
/// get from a judge back to a cookie (or test guesses of one).
pub fn judge(key: &[u8], voter_id: &str) -> String {
    hex::encode(&hmac_sha256(key, voter_id.as_bytes())[..16])
}

/// RFC 2104 HMAC over SHA-256 (written out: the `hmac` crate in our lock file targets
/// a newer `sha2` than the one this crate uses).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    HmacKey::new(key).mac(message)
}

/// An HMAC-SHA256 key with its padded blocks already hashed, for many messages.
#[derive(Clone)]
struct HmacKey {
    inner: Sha256,
    outer: Sha256,
}

impl HmacKey {
    fn new(key: &[u8]) -> HmacKey {
        const BLOCK: usize = 64;
        let mut block = [0u8; BLOCK];
        if key.len() > BLOCK {
            block[..32].copy_from_slice(&Sha256::digest(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let pad = |byte: u8| block.map(|b| b ^ byte);
        HmacKey {
            inner: Sha256::new().chain_update(pad(0x36)),
            outer: Sha256::new().chain_update(pad(0x5c)),
        }
    }

    fn mac(&self, message: &[u8]) -> [u8; 32] {
        let inner = self.inner.clone().chain_update(message).finalize();
        self.outer.clone().chain_update(inner).finalize().into()
    }
}

/// How exports name images (`export_image_hashes` in the config).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageHashes {
    /// [`keyed_image_hash`]: the same image has the same name in every export of this
    /// arena, but nobody without the key can tell which rows show an image they hold.
    #[default]
    Keyed,
    /// The SHA-256 of the PNG: anyone holding a served image finds its rows, and so
    /// its model, while the image can still be served in battles.
    Plain,
}

impl ImageHashes {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageHashes::Keyed => "keyed",
            ImageHashes::Plain => "plain",
        }
    }
}

/// The keyed name of an image: HMAC-SHA256, under the arena's judge key, of
/// `image:` followed by the hex SHA-256 of its PNG, in hex. The prefix keeps these
/// apart from the judges made with the same key.
pub fn keyed_image_hash(key: &[u8], sha256_hex: &str) -> String {
    ImageNamer::new(ImageHashes::Keyed, key)
        .name(sha256_hex)
        .into_owned()
}

/// Names images in an export's rows as [`ImageHashes`] says.
#[derive(Clone)]
pub struct ImageNamer(Option<HmacKey>);

impl ImageNamer {
    pub fn new(hashes: ImageHashes, key: &[u8]) -> ImageNamer {
        ImageNamer(match hashes {
            ImageHashes::Keyed => Some(HmacKey::new(key)),
            ImageHashes::Plain => None,
        })
    }

    /// The name of the image whose PNG has the (hex) SHA-256 `sha256_hex`.
    pub fn name<'a>(&self, sha256_hex: &'a str) -> Cow<'a, str> {
        match &self.0 {
            Some(key) => {
                let mut message = Vec::with_capacity(6 + sha256_hex.len());
                message.extend_from_slice(b"image:");
                message.extend_from_slice(sha256_hex.as_bytes());
                Cow::Owned(hex::encode(key.mac(&message)))
            }
            None => Cow::Borrowed(sha256_hex),
        }
    }
}

/// Writes records in one format.
pub trait RowWriter: Send {
    fn write(&mut self, record: &Record<'_>) -> io::Result<()>;
    /// Writes what the format needs at the end (a closing bracket, a footer).
    fn finish(self: Box<Self>) -> io::Result<()>;
}

/// A writer of `format` onto `out`.
pub fn writer(format: ExportFormat, out: Box<dyn Write + Send>) -> io::Result<Box<dyn RowWriter>> {
    Ok(match format {
        ExportFormat::Jsonl => Box::new(jsonl::JsonlWriter::new(out)),
        ExportFormat::Csv => Box::new(csv::CsvWriter::new(out)?),
        ExportFormat::Parquet => Box::new(parquet::ParquetWriter::new(out)?),
        ExportFormat::Fastchat => Box::new(fastchat::FastchatWriter::new(out)),
        ExportFormat::GenaiBench => Box::new(genai_bench::GenaiBenchWriter::new(out)),
    })
}

/// What to export and how.
#[derive(Clone, Debug)]
pub struct ExportOptions {
    pub format: ExportFormat,
    pub filter: ExportFilter,
    /// Keys the `judge`s and, unless `image_hashes` is plain, the image names.
    pub judge_key: Vec<u8>,
    pub image_hashes: ImageHashes,
}

/// Streams the votes `options` select into `out`, and the images they show into
/// `images` when given. Blocks: call it from a blocking thread (it pulls each row
/// from the database through `handle`).
pub fn run_blocking(
    handle: &Handle,
    store: &Store,
    options: &ExportOptions,
    out: Box<dyn Write + Send>,
    images: Option<&ImageDir>,
) -> anyhow::Result<CardStats> {
    // Rows that are already decoded are taken in one go (up to a few hundred): waking
    // this thread once per row would cost more than writing the row.
    let filter = ExportFilter {
        pairs_only: !options.format.holds_kwise(),
        ..options.filter.clone()
    };
    let mut rows = store.export_rows(&filter).ready_chunks(256);
    let mut writer = writer(options.format, out)?;
    let mut stats = CardStats::default();
    let namer = ImageNamer::new(options.image_hashes, &options.judge_key);
    while let Some(chunk) = handle.block_on(rows.next()) {
        for row in chunk {
            let row = row?;
            let record = Record::new(&row, &options.judge_key, &namer);
            writer.write(&record)?;
            stats.observe(&record);
            if let Some(images) = images {
                stats.images_written += images.save(handle, &row, &record)?;
            }
        }
    }
    writer.finish()?;
    if filter.pairs_only {
        // What the card says this format leaves out.
        stats.kwise_left_out = handle.block_on(store.export_summary(&filter))?.kwise as u64;
    }
    Ok(stats)
}

/// Counts the bytes written through it.
struct Counter(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Votes written to size an export; a larger export is extrapolated from them.
const SIZE_SAMPLE: usize = 400;

/// How many bytes an export of `total` votes in each format takes: the first votes
/// `options.filter` selects are written in every format, twice (all of them and
/// half), which gives each format's bytes per vote and its fixed part (header,
/// footer), then `total` is extrapolated. Exact when `total` fits in the sample.
pub async fn estimate_sizes(
    store: &Store,
    options: &ExportOptions,
    total: u64,
) -> anyhow::Result<Vec<(ExportFormat, u64)>> {
    let rows: Vec<ExportRow> = store
        .export_rows(&options.filter)
        .take(SIZE_SAMPLE)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let options = options.clone();
    tokio::task::spawn_blocking(move || {
        let namer = ImageNamer::new(options.image_hashes, &options.judge_key);
        let size_of = |format: ExportFormat, rows: &[ExportRow]| -> io::Result<u64> {
            let count = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let mut w = writer(format, Box::new(Counter(count.clone())))?;
            for row in rows {
                let record = Record::new(row, &options.judge_key, &namer);
                if record.outcome.is_some() || format.holds_kwise() {
                    w.write(&record)?;
                }
            }
            w.finish()?;
            Ok(count.load(std::sync::atomic::Ordering::Relaxed))
        };
        ExportFormat::ALL
            .into_iter()
            .map(|format| {
                let all = size_of(format, &rows)?;
                let n = rows.len() as u64;
                if total <= n || n < 2 {
                    return Ok((format, all));
                }
                let half = size_of(format, &rows[..rows.len() / 2])?;
                let per_vote = (all - half.min(all)) as f64 / (n - n / 2) as f64;
                let fixed = (all as f64 - per_vote * n as f64).max(0.0);
                Ok((format, (fixed + per_vote * total as f64).round() as u64))
            })
            .collect::<io::Result<Vec<_>>>()
    })
    .await?
    .map_err(Into::into)
}

/// `arena export`: writes `out` (through a temporary file, so that a failed export
/// leaves nothing behind), the images into `images_dir`, and the dataset card beside
/// `out`; returns the card's path and the numbers.
pub async fn export_to_file(
    store: &Store,
    blobs: &BlobStore,
    options: ExportOptions,
    out: &Path,
    images_dir: Option<&Path>,
) -> anyhow::Result<(PathBuf, CardStats)> {
    let images = images_dir
        .map(|dir| ImageDir::create(dir, blobs.clone()))
        .transpose()?;
    let partial = out.with_extension(format!("partial{}", rand::random::<u32>()));
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("cannot create {}", out.display()))?;
    let (store_, options_) = (store.clone(), options.clone());
    let handle = Handle::current();
    let written = tokio::task::spawn_blocking(move || {
        let out = Box::new(io::BufWriter::with_capacity(1 << 16, file));
        run_blocking(&handle, &store_, &options_, out, images.as_ref())
    })
    .await
    .context("the export stopped")?;
    let stats = match written {
        Ok(stats) => stats,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e.context(format!("cannot write {}", out.display())));
        }
    };
    std::fs::rename(&partial, out).with_context(|| format!("cannot write {}", out.display()))?;
    let card_path = card::path_beside(out);
    let file_name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let text = card::render(&card::CardInput {
        file_name: &file_name,
        format: options.format,
        filter: &options.filter,
        image_hashes: options.image_hashes,
        stats: &stats,
        generated_at: chrono::Utc::now(),
    });
    std::fs::write(&card_path, text)
        .with_context(|| format!("cannot write {}", card_path.display()))?;
    Ok((card_path, stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_test_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_keyed_image_name_is_the_hmac_of_the_prefixed_hash_and_plain_is_the_hash() {
        let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let keyed = keyed_image_hash(b"key one", sha);
        assert_eq!(
            keyed,
            hex::encode(hmac_sha256(b"key one", format!("image:{sha}").as_bytes()))
        );
        assert_eq!(keyed.len(), 64);
        assert_ne!(keyed, sha);
        assert_ne!(keyed, keyed_image_hash(b"key two", sha));
        let namer = ImageNamer::new(ImageHashes::Keyed, b"key one");
        assert_eq!(namer.name(sha), keyed);
        assert_eq!(namer.name(sha), namer.name(sha));
        assert_eq!(
            ImageNamer::new(ImageHashes::Plain, b"key one").name(sha),
            sha
        );
    }

    #[test]
    fn a_judge_depends_on_the_key_and_the_voter() {
        let j = judge(b"key one", "voter");
        assert_eq!(j.len(), 32);
        assert_eq!(j, judge(b"key one", "voter"));
        assert_ne!(j, judge(b"key two", "voter"));
        assert_ne!(j, judge(b"key one", "other voter"));
    }

    #[test]
    fn the_row_serialises_in_the_documented_field_order() {
        let row = ExportRow {
            battle_id: "b".into(),
            created_at: chrono::DateTime::UNIX_EPOCH,
            prompt_id: None,
            prompt: None,
            category: None,
            model_a: "x".into(),
            model_b: "y".into(),
            winner: Outcome::A,
            voter_id: "v".into(),
            anony: true,
            image_a_sha256: None,
            image_b_sha256: None,
            image_a_key: None,
            image_b_key: None,
            gen_a_seed: None,
            gen_a_steps: None,
            gen_a_width: None,
            gen_a_height: None,
            gen_a_latency_ms: None,
            gen_b_seed: None,
            gen_b_steps: None,
            gen_b_width: None,
            gen_b_height: None,
            gen_b_latency_ms: None,
            counts_for_leaderboard: true,
            exclusion_reason: None,
            source: "arena".into(),
            style_a: Some(r#"{"brightness":0.5,"contrast":0.1,"saturation":0.2,"colourfulness":30.0,"sharpness":12.0,"complexity":1.5,"near_blank":0.0}"#.into()),
            style_b: None,
            axes: Some("prompt=a,quality=both_bad".into()),
            model_c: None,
            model_d: None,
            best: None,
            worst: None,
            image_c_sha256: None,
            image_d_sha256: None,
            image_c_key: None,
            image_d_key: None,
        };
        let namer = ImageNamer::new(ImageHashes::Keyed, b"k");
        let record = Record::new(&row, b"k", &namer);
        let json = serde_json::to_string(&jsonl::Line::of(&record)).unwrap();
        assert!(
            json.ends_with(r#","axes":{"prompt":"model_a","quality":"tie (bothbad)"}}"#),
            "{json}"
        );
        // A pair's line has every field but those of battles of three or four images.
        let in_order = |json: &str, fields: &[&str]| {
            let mut at = 0;
            for name in fields {
                let found = json[at..]
                    .find(&format!("\"{name}\":"))
                    .unwrap_or_else(|| panic!("{name} out of order in {json}"));
                at += found;
            }
        };
        let names: Vec<&str> = card::FIELDS.iter().map(|(name, _, _)| *name).collect();
        let kwise_fields = names.len() - 5;
        assert_eq!(names[kwise_fields], "model_c");
        in_order(&json, &names[..kwise_fields]);
        assert!(!json.contains("model_c"), "{json}");

        // A battle of four images: every field (it asks no further questions, so no
        // `axes`), `winner` naming the best.
        let row = ExportRow {
            axes: None,
            model_c: Some("z".into()),
            model_d: Some("w".into()),
            best: Some(2),
            worst: Some(0),
            image_c_sha256: Some("cc".into()),
            image_d_sha256: Some("dd".into()),
            ..row
        };
        let record = Record::new(&row, b"k", &namer);
        assert_eq!(record.outcome, None);
        let json = serde_json::to_string(&jsonl::Line::of(&record)).unwrap();
        let without_axes: Vec<&str> = names.iter().copied().filter(|n| *n != "axes").collect();
        in_order(&json, &without_axes);
        assert!(json.contains(r#""winner":"model_c""#), "{json}");
        assert!(
            json.contains(r#","model_c":"z","model_d":"w","worst":"model_a","image_c_sha256":""#),
            "{json}"
        );
    }

    #[test]
    fn every_format_parses_back_from_its_name() {
        for f in ExportFormat::ALL {
            assert_eq!(f.as_str().parse::<ExportFormat>(), Ok(f));
        }
        assert!("xml".parse::<ExportFormat>().is_err());
    }
}

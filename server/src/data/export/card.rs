//! The dataset card: a Markdown file beside every export that says what is in it
//! (counts, dates, models, sources), what each field means, how the votes were
//! filtered, and under which licence they may be used.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};

use super::{ExportFormat, ImageHashes, Record};
use crate::store::{ExportFilter, ExportSummary};

/// The fields of the export row (JSONL, CSV, Parquet), in order: name, type, meaning.
pub const FIELDS: [(&str, &str, &str); 45] = [
    (
        "battle_id",
        "string",
        "the battle (one pair of images shown to one voter)",
    ),
    (
        "tstamp",
        "float",
        "when the vote was cast, Unix seconds (UTC)",
    ),
    ("prompt_id", "integer?", "the prompt's id in this arena"),
    ("prompt", "string?", "the prompt both images were made for"),
    ("category", "string?", "the prompt's category"),
    ("model_a", "string", "the model shown as A (left)"),
    ("model_b", "string", "the model shown as B (right)"),
    (
        "winner",
        "string",
        "`model_a`, `model_b`, `tie` or `tie (bothbad)`",
    ),
    (
        "judge",
        "string",
        "keyed hash of the voter: links one voter's votes, nothing more",
    ),
    (
        "anony",
        "bool",
        "true when the voter could not see the model names before voting",
    ),
    (
        "image_a_sha256",
        "string?",
        "image A: a keyed hash of its PNG's SHA-256, or the SHA-256 itself (see \"Image names\"); `--images` writes `<this>.png`",
    ),
    (
        "image_b_sha256",
        "string?",
        "as image_a_sha256, for image B",
    ),
    ("gen_a_seed", "integer?", "seed image A was generated with"),
    (
        "gen_a_steps",
        "integer?",
        "sampling steps of image A, when the generator has steps",
    ),
    ("gen_a_width", "integer?", "width of image A in pixels"),
    ("gen_a_height", "integer?", "height of image A in pixels"),
    (
        "gen_a_latency_ms",
        "integer?",
        "time image A took to generate, milliseconds",
    ),
    ("gen_b_seed", "integer?", "as gen_a_seed, for image B"),
    ("gen_b_steps", "integer?", "as gen_a_steps, for image B"),
    ("gen_b_width", "integer?", "as gen_a_width, for image B"),
    ("gen_b_height", "integer?", "as gen_a_height, for image B"),
    (
        "gen_b_latency_ms",
        "integer?",
        "as gen_a_latency_ms, for image B",
    ),
    (
        "counts_for_leaderboard",
        "bool",
        "false for votes the arena excluded (kept, with a reason)",
    ),
    ("exclusion_reason", "string?", "why a vote does not count"),
    (
        "source",
        "string",
        "`arena` for votes cast here, `import:<file>` for imported ones",
    ),
    (
        "style_a_brightness",
        "float?",
        "image A: mean luma, 0 (black) to 1 (white)",
    ),
    (
        "style_a_contrast",
        "float?",
        "image A: standard deviation of the luma (0 to 0.5)",
    ),
    (
        "style_a_saturation",
        "float?",
        "image A: mean HSV saturation, 0 (grey) to 1",
    ),
    (
        "style_a_colourfulness",
        "float?",
        "image A: Hasler–Süsstrunk colourfulness (0 grey, ~100 extremely colourful)",
    ),
    (
        "style_a_sharpness",
        "float?",
        "image A: variance of the luma's Laplacian: edges and fine detail",
    ),
    (
        "style_a_complexity",
        "float?",
        "image A: the stored PNG's bytes per pixel: how little the image compresses",
    ),
    (
        "style_a_near_blank",
        "float?",
        "image A: 1 when the image is almost uniform, else 0",
    ),
    (
        "style_b_brightness",
        "float?",
        "image B: mean luma, 0 (black) to 1 (white)",
    ),
    (
        "style_b_contrast",
        "float?",
        "image B: standard deviation of the luma (0 to 0.5)",
    ),
    (
        "style_b_saturation",
        "float?",
        "image B: mean HSV saturation, 0 (grey) to 1",
    ),
    (
        "style_b_colourfulness",
        "float?",
        "image B: Hasler–Süsstrunk colourfulness (0 grey, ~100 extremely colourful)",
    ),
    (
        "style_b_sharpness",
        "float?",
        "image B: variance of the luma's Laplacian: edges and fine detail",
    ),
    (
        "style_b_complexity",
        "float?",
        "image B: the stored PNG's bytes per pixel: how little the image compresses",
    ),
    (
        "style_b_near_blank",
        "float?",
        "image B: 1 when the image is almost uniform, else 0",
    ),
    (
        "axes",
        "object?",
        "the answers on the arena's other judgement axes, e.g. `{\"prompt\": \"model_a\", \"quality\": \"tie\"}` \
         (labels as `winner`; CSV and Parquet hold the object's JSON text); absent when the battle asked only which image is better",
    ),
    (
        "model_c",
        "string?",
        "a battle of three or four images: the model shown as C (then `winner` names the image judged best, `model_a` … `model_d`); absent (empty) for a pair",
    ),
    (
        "model_d",
        "string?",
        "a battle of four images: the model shown as D",
    ),
    (
        "worst",
        "string?",
        "a battle of three or four images: the image judged worst (`model_a` … `model_d`), when the voter chose one",
    ),
    (
        "image_c_sha256",
        "string?",
        "image C's name, as `image_a_sha256`",
    ),
    (
        "image_d_sha256",
        "string?",
        "image D's name, as `image_a_sha256`",
    ),
];

/// What an export holds, counted as it was written (or by the database for `/data`).
#[derive(Clone, Debug, Default)]
pub struct CardStats {
    pub votes: u64,
    pub counted: u64,
    pub anonymous: u64,
    /// First and last vote, Unix seconds.
    pub first: Option<f64>,
    pub last: Option<f64>,
    /// Votes each model took part in.
    pub models: BTreeMap<String, u64>,
    pub sources: BTreeMap<String, u64>,
    /// Votes that do not count, by reason.
    pub exclusions: BTreeMap<String, u64>,
    pub images_written: u64,
    /// Votes on battles of three or four images in the file.
    pub kwise: u64,
    /// Votes on battles of three or four images the format cannot hold (FastChat's
    /// and GenAI-Bench's are pairs only).
    pub kwise_left_out: u64,
}

fn bump(map: &mut BTreeMap<String, u64>, key: &str, n: u64) {
    match map.get_mut(key) {
        Some(count) => *count += n,
        None => {
            map.insert(key.to_string(), n);
        }
    }
}

impl CardStats {
    pub fn observe(&mut self, r: &Record<'_>) {
        self.votes += 1;
        self.counted += u64::from(r.counts_for_leaderboard);
        self.anonymous += u64::from(r.anony);
        self.first = Some(self.first.map_or(r.tstamp, |t| t.min(r.tstamp)));
        self.last = Some(self.last.map_or(r.tstamp, |t| t.max(r.tstamp)));
        bump(&mut self.models, r.model_a, 1);
        bump(&mut self.models, r.model_b, 1);
        if let Some(k) = &r.kwise {
            self.kwise += 1;
            for model in [k.model_c, k.model_d].into_iter().flatten() {
                bump(&mut self.models, model, 1);
            }
        }
        bump(&mut self.sources, r.source, 1);
        if !r.counts_for_leaderboard {
            bump(
                &mut self.exclusions,
                r.exclusion_reason.unwrap_or("unspecified"),
                1,
            );
        }
    }

    /// The numbers of an export in `format` whose filter's summary is `s`.
    pub fn from_summary(s: &ExportSummary, format: ExportFormat) -> CardStats {
        let (kwise, kwise_left_out) = match format.holds_kwise() {
            true => (s.kwise as u64, 0),
            false => (0, s.kwise as u64),
        };
        let secs = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_micros() as f64 / 1e6);
        let map = |rows: &[(String, i64)]| {
            rows.iter()
                .map(|(k, n)| (k.clone(), *n as u64))
                .collect::<BTreeMap<_, _>>()
        };
        CardStats {
            votes: s.votes as u64,
            counted: s.counted as u64,
            anonymous: s.anonymous as u64,
            first: secs(s.first),
            last: secs(s.last),
            models: s
                .models
                .iter()
                .map(|(slug, _, _, n)| (slug.clone(), *n as u64))
                .collect(),
            sources: map(&s.sources),
            exclusions: map(&s.exclusions),
            images_written: 0,
            kwise,
            kwise_left_out,
        }
    }
}

/// Where the card of an export goes: `votes.jsonl` → `votes.jsonl.card.md`.
pub fn path_beside(export: &Path) -> PathBuf {
    let mut name = export.file_name().unwrap_or_default().to_os_string();
    name.push(".card.md");
    export.with_file_name(name)
}

pub struct CardInput<'a> {
    pub file_name: &'a str,
    pub format: ExportFormat,
    pub filter: &'a ExportFilter,
    /// How the rows name images (said in the card, which readers need to know).
    pub image_hashes: ImageHashes,
    pub stats: &'a CardStats,
    pub generated_at: DateTime<Utc>,
}

fn date(secs: Option<f64>) -> String {
    secs.and_then(|s| DateTime::from_timestamp_micros((s * 1e6).round() as i64))
        .map_or_else(
            || "–".to_string(),
            |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
        )
}

/// The card as Markdown.
pub fn render(c: &CardInput<'_>) -> String {
    let s = c.stats;
    let mut md = String::new();
    let _ = writeln!(md, "# Arena votes — dataset card\n");
    let _ = writeln!(
        md,
        "`{}` (format `{}`), exported {} by arena {}.\n",
        c.file_name,
        c.format,
        c.generated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(md, "## Contents\n\n| | |\n|---|---:|");
    let excluded = s.votes - s.counted;
    for (what, n) in [
        ("votes", s.votes.to_string()),
        ("counting for the leaderboard", s.counted.to_string()),
        ("excluded (kept with their reason)", excluded.to_string()),
        ("anonymous battles", s.anonymous.to_string()),
        ("models", s.models.len().to_string()),
        ("first vote", date(s.first)),
        ("last vote", date(s.last)),
    ] {
        let _ = writeln!(md, "| {what} | {n} |");
    }
    if s.images_written > 0 {
        let _ = writeln!(md, "| images written | {} |", s.images_written);
    }
    if s.kwise > 0 {
        let _ = writeln!(md, "| on battles of three or four images | {} |", s.kwise);
    }
    if s.kwise_left_out > 0 {
        let _ = writeln!(
            md,
            "\n{} votes on battles of three or four images are not in this file: the {} format \
             holds pairs only. JSONL, CSV and Parquet exports hold them (`model_c`, `model_d`, \
             `worst`).",
            s.kwise_left_out, c.format
        );
    }
    let _ = writeln!(
        md,
        "\n## Models\n\n| model | votes it took part in |\n|---|---:|"
    );
    for (model, n) in &s.models {
        let _ = writeln!(md, "| {model} | {n} |");
    }
    let _ = writeln!(md, "\n## Sources\n\n| source | votes |\n|---|---:|");
    for (source, n) in &s.sources {
        let _ = writeln!(md, "| {source} | {n} |");
    }
    filtering(&mut md, c);
    fields(&mut md, c.format);
    image_names(&mut md, c.image_hashes);
    let _ = writeln!(
        md,
        "\n## Privacy\n\n`judge` is an HMAC-SHA256 of the voter's random id under a key kept by \
         the arena: one voter's votes link together, inside this export and across exports of \
         the same arena, but not to a cookie or a person. The arena stores no IP address, only \
         keyed hashes of addresses for its limits and its rigging detector, and exports never \
         contain them. \
         Imported votes get a judge keyed the same way from the judge named in their file.\n\n\
         ## Licence\n\n_Placeholder — the operator of this arena states here under which licence \
         these votes may be used (for example CC BY 4.0)._ Imported votes (sources \
         `import:…`) keep the licence of the file they came from.\n\n\
         ## Reproduce the leaderboard\n\n```sh\narena leaderboard --input {}\n```",
        c.file_name
    );
    md
}

fn filtering(md: &mut String, c: &CardInput<'_>) {
    let _ = writeln!(md, "\n## How the votes were filtered\n");
    let _ = writeln!(
        md,
        "- Every vote on the `overall` axis, in the order they were cast."
    );
    if let Some(since) = c.filter.since {
        let _ = writeln!(
            md,
            "- Only votes cast at or after {}.",
            since.to_rfc3339_opts(SecondsFormat::Secs, true)
        );
    }
    if c.filter.include_excluded {
        let _ = writeln!(
            md,
            "- Excluded votes are included, with `counts_for_leaderboard: false` and their \
             `exclusion_reason`; tools that do not read that field (FastChat) count them."
        );
        for (reason, n) in &c.stats.exclusions {
            let _ = writeln!(md, "  - {reason}: {n}");
        }
    } else {
        let _ = writeln!(
            md,
            "- Votes the arena excluded from the leaderboard are left out (`--include-excluded` keeps them)."
        );
    }
    let named = c.stats.votes - c.stats.anonymous;
    if named == 0 {
        let _ = writeln!(
            md,
            "- Every vote is from an anonymous battle (`anony` is true throughout): the voter \
             saw the model names only after voting."
        );
    } else {
        let _ = writeln!(
            md,
            "- {} votes are from anonymous battles and {named} from battles whose model names \
             were shown before the vote; `anony` tells them apart. The leaderboard counts \
             anonymous battles only, as `arena leaderboard` does by default.",
            c.stats.anonymous
        );
    }
}

fn image_names(md: &mut String, hashes: ImageHashes) {
    let _ = writeln!(md, "\n## Image names\n");
    let text = match hashes {
        ImageHashes::Keyed => {
            "Images are named by keyed hashes (`image_a_sha256`, `image_b_sha256`, \
             GenAI-Bench's `left_image` / `right_image`, the files `--images` writes): \
             HMAC-SHA256, under a key kept by the arena, of `image:` followed by the hex \
             SHA-256 of the PNG. One image has one name in every export of this arena, so \
             rows that show the same image link together; but the name cannot be computed \
             from the image's bytes, so nobody holding an image the arena still serves in \
             battles can find its rows (and its model) here. With `--images`, each file's \
             bytes are the image itself."
        }
        ImageHashes::Plain => {
            "Images are named by the plain SHA-256 of their PNG (`image_a_sha256`, \
             `image_b_sha256`, GenAI-Bench's `left_image` / `right_image`, the files \
             `--images` writes): anyone can check an image against its row. The operator \
             chose this (`export_image_hashes = \"plain\"`); it lets whoever holds an image \
             the arena still serves find the model that drew it."
        }
    };
    let _ = writeln!(md, "{text}");
}

fn fields(md: &mut String, format: ExportFormat) {
    let _ = writeln!(md, "\n## Fields\n");
    match format {
        ExportFormat::Fastchat => {
            let _ = writeln!(
                md,
                "A JSON array of FastChat clean-battle objects: `question_id` (the battle id), \
                 `model_a`, `model_b`, `winner`, `judge`, `turn` (always 1), `anony`, `tstamp`, \
                 then `category`, `prompt` and `counts_for_leaderboard` as in the table below."
            );
        }
        ExportFormat::GenaiBench => {
            let _ = writeln!(
                md,
                "One JSON object per line with GenAI-Bench's columns: `prompt`, `left_model`, \
                 `right_model`, `left_image` / `right_image` (the image's name, see \"Image names\", \
                 with `.png`, as `--images` names the files; null for imported votes), `vote_type` (`leftvote`, \
                 `rightvote`, `tievote`, `bothbad_vote`), then `battle_id`, `judge`, `tstamp`."
            );
        }
        _ => {}
    }
    let _ = writeln!(md, "\n| field | type | meaning |\n|---|---|---|");
    for (name, ty, meaning) in FIELDS {
        let _ = writeln!(md, "| `{name}` | {ty} | {meaning} |");
    }
    let _ = writeln!(
        md,
        "\n`?` marks a field that may be empty (null); imported votes have no prompt, images or generation parameters."
    );
}

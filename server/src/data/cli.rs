//! The research-data subcommands: `arena export`, `arena import votes` and
//! `arena gallery import`.

use std::path::PathBuf;

use anyhow::bail;
use arena_evaluator::Format;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Subcommand};

use super::export::{self, ExportFormat, ExportOptions};
use super::import::ImportSelection;
use crate::app::open_store;
use crate::config::{FileConfig, Storage, judge_key};
use crate::generation::blob::BlobStore;
use crate::store::ExportFilter;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// jsonl, csv, parquet, fastchat or genai-bench.
    #[arg(long)]
    pub format: ExportFormat,
    /// The file to write; the dataset card goes beside it as FILE.card.md.
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the images the votes show, as DIR/<name>.png (the rows' image names).
    #[arg(long, value_name = "DIR")]
    pub images: Option<PathBuf>,
    /// Only votes cast at or after T: RFC 3339, a date (YYYY-MM-DD) or Unix seconds.
    #[arg(long, value_name = "T", value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Also votes excluded from the leaderboard (marked, with their reason).
    #[arg(long)]
    pub include_excluded: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import votes from a FastChat clean-battle JSON, JSONL or CSV file. Importing
    /// the same file again adds nothing.
    Votes {
        file: PathBuf,
        /// auto, jsonl, csv or fastchat.
        #[arg(long, default_value = "auto", value_parser = parse_vote_format)]
        format: Format,
        /// Import only votes between models whose names (as in the file) match one of
        /// these globs (`*`, `?`; repeat the option or separate with commas).
        #[arg(long, value_delimiter = ',')]
        models: Vec<String>,
        /// Leave out every vote involving a model whose name matches one of these
        /// globs, e.g. `--exclude-models '*_edition'`.
        #[arg(long, value_delimiter = ',')]
        exclude_models: Vec<String>,
        /// A TOML file of `"name in the file" = "Name people see"` lines.
        #[arg(long, value_name = "FILE")]
        rename: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum GalleryCommand {
    /// Import DIR/prompts.jsonl (id, text, category) and DIR/<model>/<prompt-id>.png
    /// as models with pre-generated images, ready for battles.
    Import { dir: PathBuf },
}

fn parse_vote_format(s: &str) -> Result<Format, String> {
    s.parse().map_err(|e: arena_evaluator::Error| e.to_string())
}

fn parse_since(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.to_utc());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    s.parse::<i64>()
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or_else(|| {
            format!("{s:?} is not a time (use 2024-02-20, 2024-02-20T12:00:00Z or Unix seconds)")
        })
}

pub async fn export(
    args: ExportArgs,
    storage: &Storage,
    file: &FileConfig,
    demo_models: bool,
) -> anyhow::Result<()> {
    let judge_key = judge_key(file, storage)?;
    let store = open_store(storage, demo_models).await?;
    let blobs = BlobStore::open(&storage.image_store)?;
    let options = ExportOptions {
        format: args.format,
        filter: ExportFilter {
            since: args.since,
            include_excluded: args.include_excluded,
            pairs_only: false,
        },
        judge_key,
        image_hashes: file.export_image_hashes.unwrap_or_default(),
    };
    let (card, stats) =
        export::export_to_file(&store, &blobs, options, &args.out, args.images.as_deref()).await?;
    println!(
        "exported {} votes ({} count for the leaderboard) to {}; dataset card: {}",
        stats.votes,
        stats.counted,
        args.out.display(),
        card.display()
    );
    if let Some(dir) = &args.images {
        println!(
            "wrote {} new images to {}",
            stats.images_written,
            dir.display()
        );
    }
    Ok(())
}

pub async fn import(
    cmd: ImportCommand,
    storage: &Storage,
    file: &FileConfig,
    demo_models: bool,
) -> anyhow::Result<()> {
    let ImportCommand::Votes {
        file: path,
        format,
        models,
        exclude_models,
        rename,
    } = cmd;
    let selection = ImportSelection {
        models,
        exclude_models,
        rename: match &rename {
            Some(file) => ImportSelection::read_rename_file(file)?,
            None => Default::default(),
        },
    };
    let judge_key = judge_key(file, storage)?;
    let store = open_store(storage, demo_models).await?;
    let report = super::import::import_votes(&store, &path, format, &judge_key, &selection).await?;
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    println!(
        "imported {} new votes from {} ({} already present); new models: {}",
        report.added,
        path.display(),
        report.already_present,
        list(&report.models_added)
    );
    if report.left_out > 0 {
        println!(
            "left out {} of {} votes: they involve a model that --models/--exclude-models leave out",
            report.left_out, report.read
        );
    }
    if !report.renamed.is_empty() {
        println!("named: {}", list(&report.renamed));
    }
    if !report.unused_renames.is_empty() {
        eprintln!(
            "warning: no imported vote has these names of the rename file: {}",
            list(&report.unused_renames)
        );
    }
    Ok(())
}

pub async fn gallery(
    cmd: GalleryCommand,
    storage: &Storage,
    file: &FileConfig,
    demo_models: bool,
) -> anyhow::Result<()> {
    let GalleryCommand::Import { dir } = cmd;
    let size = file.image_size.unwrap_or(512);
    if !(64..=2048).contains(&size) {
        bail!("image_size must be between 64 and 2048, not {size}");
    }
    let store = open_store(storage, demo_models).await?;
    let blobs = BlobStore::open(&storage.image_store)?;
    let counts = super::gallery::import_gallery(&store, &blobs, &dir, size).await?;
    println!(
        "imported {} new images from {} ({} already present): {} new models, {} new prompts",
        counts.images_added,
        dir.display(),
        counts.images_present,
        counts.models_added,
        counts.prompts_added
    );
    Ok(())
}

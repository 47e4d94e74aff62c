//! The `arena` command line (DESIGN.md "CLI").

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, Parser, Subcommand};

use crate::app::open_store;
use crate::config::{FileConfig, ServeConfig, Storage};
use crate::store::{ModelStatus, NewModel};

#[derive(Debug, Parser)]
#[command(
    name = "arena",
    version,
    about = "Blind pairwise voting on text-to-image models"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// TOML configuration file.
    #[arg(long, env = "ARENA_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// `postgres://…` or `sqlite:…`; default: SQLite in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Where the SQLite database, images and keys live [default: ./arena-data].
    #[arg(long, env = "ARENA_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the arena (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// List and manage models.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Manage prompt sets.
    #[command(subcommand)]
    Prompts(PromptsCommand),
    /// Write the votes for research: jsonl, csv, parquet, fastchat or genai-bench.
    Export(crate::data::cli::ExportArgs),
    /// Bring in votes from another arena's file.
    #[command(subcommand)]
    Import(crate::data::cli::ImportCommand),
    /// Bring your own pre-generated images.
    #[command(subcommand)]
    Gallery(crate::data::cli::GalleryCommand),
    /// Create and list generation workers (`arena workers add NAME` prints a token).
    #[command(subcommand)]
    Workers(crate::generation::workers::WorkersCommand),
    /// Print a leaderboard from a vote file or from the database.
    Leaderboard(crate::rankings::cli::LeaderboardArgs),
    /// Find voters and addresses whose votes are improbable and exclude their votes.
    #[command(subcommand)]
    Integrity(IntegrityCommand),
    /// Image style statistics (brightness, contrast, …) for style control.
    #[command(subcommand)]
    Features(FeaturesCommand),
    /// Snapshot every published leaderboard now, with the digest of the counted votes
    /// (`arena leaderboard --verify` checks one against an export).
    Snapshot,
    /// Delete now what the server purges every hour: battles served and never voted on
    /// and voters with nothing left, once older than the vote window and the rigging
    /// detector's period (30 days). Votes and what they name are never deleted.
    Purge,
    /// Load a running arena with simulated voters; report throughput and latency, and
    /// check that every acknowledged vote is stored exactly once.
    Bench(crate::bench::BenchArgs),
    /// Compare matchmaking strategies ({uniform, active} × {pairs, four images}) on
    /// simulated voters: voter actions and seconds until the leaderboard is right.
    Simulate(crate::rankings::simulate::SimulateArgs),
}

#[derive(Debug, Subcommand)]
pub enum FeaturesCommand {
    /// Compute the style statistics of every stored image that has none yet (images
    /// stored before they existed); safe to run again, and while the arena runs.
    Backfill,
}

#[derive(Debug, Subcommand)]
pub enum IntegrityCommand {
    /// Run the rigging detector now; prints what it flagged (as JSON with --json).
    Scan {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "ARENA_BIND")]
    pub bind: Option<SocketAddr>,
    /// Do not run a generation worker inside the server.
    #[arg(long)]
    pub no_embedded_worker: bool,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List every model with its status.
    List,
    /// Register a model.
    Add {
        /// Short unique name used in URLs and exports.
        slug: String,
        /// Name shown to people.
        #[arg(long)]
        name: String,
        /// What serves it: demo, openai, candle, gallery…
        #[arg(long)]
        backend: String,
        #[arg(long, default_value = "")]
        version: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Relative matchmaking weight.
        #[arg(long, default_value_t = 1.0)]
        weight: f64,
    },
    /// Stop matching a model in new battles (its votes stay).
    Disable { slug: String },
    /// Match a disabled or deprecated model again.
    Enable { slug: String },
    /// Retire a model: not matched, marked deprecated on the leaderboard.
    Deprecate { slug: String },
    /// Change the name people see (the slug, votes and exports stay).
    Rename {
        slug: String,
        /// The new display name.
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PromptsCommand {
    /// Add prompts from a JSONL or CSV file with `text` and `category`.
    Import { file: PathBuf },
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let command = match self.command.unwrap_or(Command::Serve(ServeArgs::default())) {
            // The bench talks to an arena over HTTP: no configuration or storage.
            Command::Bench(args) => return crate::bench::run(args).await,
            Command::Simulate(args) => {
                return tokio::task::spawn_blocking(|| crate::rankings::simulate::run(args))
                    .await?;
            }
            command => command,
        };
        let file = match &self.global.config {
            Some(path) => FileConfig::load(path)?,
            None => FileConfig::default(),
        };
        let storage = Storage::resolve(self.global.database_url, self.global.data_dir, &file)?;
        let demo_models = file.register_demo_models.unwrap_or(true);
        match command {
            Command::Bench(_) | Command::Simulate(_) => unreachable!("handled above"),
            Command::Serve(args) => {
                storage.prepare_data_dir()?;
                let config =
                    ServeConfig::resolve(storage, args.bind, args.no_embedded_worker, file)?;
                crate::serve::serve(config).await
            }
            Command::Leaderboard(args) => {
                crate::rankings::cli::run(args, &storage, demo_models).await
            }
            Command::Workers(cmd) => {
                crate::generation::workers::run(cmd, open_store(&storage, demo_models).await?).await
            }
            Command::Export(args) => {
                crate::data::cli::export(args, &storage, &file, demo_models).await
            }
            Command::Import(cmd) => {
                crate::data::cli::import(cmd, &storage, &file, demo_models).await
            }
            Command::Gallery(cmd) => {
                crate::data::cli::gallery(cmd, &storage, &file, demo_models).await
            }
            Command::Integrity(IntegrityCommand::Scan { json }) => {
                let store = open_store(&storage, demo_models).await?;
                let report = crate::integrity::scan::scan(&store, "cli").await?;
                if json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    println!(
                        "looked at {} counted votes of {} voters in {} pass(es); {} new flag(s)",
                        report.votes,
                        report.voters,
                        report.passes,
                        report.flags.len()
                    );
                    for f in &report.flags {
                        println!(
                            "flag {}: {} [{}] {} ({} votes excluded)",
                            f.id, f.subject_kind, f.test, f.reason, f.votes_excluded
                        );
                    }
                }
                Ok(())
            }
            Command::Features(FeaturesCommand::Backfill) => {
                let store = open_store(&storage, demo_models).await?;
                let blobs = crate::generation::blob::BlobStore::open(&storage.image_store)?;
                let report = crate::generation::style::backfill(&store, &blobs).await?;
                println!(
                    "computed the style of {} image(s); {} could not be read",
                    report.computed, report.unreadable
                );
                Ok(())
            }
            Command::Purge => {
                let store = open_store(&storage, demo_models).await?;
                let ttl = std::time::Duration::from_secs(file.battle_ttl_secs.unwrap_or(24 * 3600));
                let cutoff = crate::voting::purge::cutoff(ttl, chrono::Utc::now());
                let purged = store.purge(cutoff).await?;
                println!(
                    "purged {} unvoted battle(s) served before {} ({} image token(s)) and {} idle voter(s)",
                    purged.battles,
                    cutoff.format("%Y-%m-%d %H:%M UTC"),
                    purged.image_tokens,
                    purged.voters
                );
                Ok(())
            }
            Command::Snapshot => {
                let store = open_store(&storage, demo_models).await?;
                let judge_key = crate::config::judge_key(&file, &storage)?;
                let style = crate::rankings::board::StyleControl {
                    reg: file.style_control_reg.unwrap_or(1.0),
                };
                let axes =
                    crate::voting::axes::resolve(file.axes.as_deref(), &file.axis_questions)?;
                let ids = crate::rankings::snapshot::take(&store, &judge_key, style, &axes).await?;
                if ids.is_empty() {
                    println!("no vote counts yet: nothing to snapshot");
                    return Ok(());
                }
                let first = store.snapshot(ids[0]).await?.expect("just stored");
                println!(
                    "took {} snapshot(s), ids {}–{}, of {} counted votes, digest {}",
                    ids.len(),
                    ids[0],
                    ids[ids.len() - 1],
                    first.votes,
                    first.digest
                );
                Ok(())
            }
            Command::Migrate => {
                let store = open_store(&storage, demo_models).await?;
                println!("database is up to date ({})", store.backend_name());
                Ok(())
            }
            Command::Models(cmd) => models(cmd, open_store(&storage, demo_models).await?).await,
            Command::Prompts(PromptsCommand::Import { file: path }) => {
                let prompts = crate::voting::prompts::read_prompt_file(&path)?;
                let store = open_store(&storage, demo_models).await?;
                let added = store.import_prompts(&prompts).await?;
                println!(
                    "imported {added} new prompts from {} ({} already present)",
                    path.display(),
                    prompts.len() as u64 - added
                );
                Ok(())
            }
        }
    }
}

async fn models(cmd: ModelsCommand, store: crate::store::Store) -> anyhow::Result<()> {
    let set_status = |slug: String, status: ModelStatus| {
        let store = store.clone();
        async move {
            if !store.set_model_status(&slug, status).await? {
                bail!("there is no model {slug:?} (see `arena models list`)");
            }
            println!("{slug} is now {}", status.as_str());
            Ok(())
        }
    };
    match cmd {
        ModelsCommand::List => {
            println!(
                "{:<24} {:<10} {:<8} {:>6}  NAME",
                "SLUG", "STATUS", "BACKEND", "WEIGHT"
            );
            for m in store.list_models().await? {
                println!(
                    "{:<24} {:<10} {:<8} {:>6.2}  {}",
                    m.slug,
                    m.status.as_str(),
                    m.backend,
                    m.weight,
                    m.display_name
                );
            }
            Ok(())
        }
        ModelsCommand::Add {
            slug,
            name,
            backend,
            version,
            description,
            weight,
        } => {
            if !crate::data::import::is_valid_slug(&slug) {
                bail!(
                    "a model slug is 1–64 characters of a-z, 0-9, '-', '_' and '.' (got {slug:?})"
                );
            }
            if weight.is_nan() || weight < 0.0 {
                bail!("--weight must be a non-negative number");
            }
            let model = NewModel {
                slug: slug.clone(),
                display_name: crate::data::import::display_name(&name)?,
                backend,
                version,
                description,
                weight,
            };
            match store.add_model(&model).await {
                Ok(_) => {
                    println!("added model {slug}");
                    Ok(())
                }
                Err(crate::store::StoreError::Conflict) => {
                    bail!("a model called {slug:?} already exists")
                }
                Err(e) => Err(e.into()),
            }
        }
        ModelsCommand::Disable { slug } => set_status(slug, ModelStatus::Disabled).await,
        ModelsCommand::Enable { slug } => set_status(slug, ModelStatus::Active).await,
        ModelsCommand::Deprecate { slug } => set_status(slug, ModelStatus::Deprecated).await,
        ModelsCommand::Rename { slug, name } => {
            let name = crate::data::import::display_name(&name)?;
            if !store.set_model_display_name(&slug, &name).await? {
                bail!("there is no model {slug:?} (see `arena models list`)");
            }
            println!("{slug} is now shown as {name:?}");
            Ok(())
        }
    }
}

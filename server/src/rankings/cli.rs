//! `arena leaderboard`: the evaluator's command-line face, on a vote file (any export
//! or FastChat-format file) or on this arena's database.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use arena_evaluator::{
    Anchor, BothBad, CiMethod, Control, Format, LeaderboardOptions, Method, VoteFilter,
    leaderboard_from_path, leaderboard_from_reader_with_progress,
};
use clap::{Args, ValueEnum};

use crate::config::Storage;
use crate::data::read_parquet;

#[derive(Debug, Args)]
pub struct LeaderboardArgs {
    /// A vote file: any format `arena export` writes (JSONL, CSV, Parquet, FastChat
    /// clean-battle JSON, GenAI-Bench), or LLMFAO's CSV; without it, the database.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Format of --input: auto (by extension, then content), jsonl, csv, parquet,
    /// fastchat or genai-bench.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: InputFormat,
    /// bt (Bradley–Terry) or elo (online Elo, in vote order).
    #[arg(long, default_value = "bt")]
    pub method: Method,
    /// sandwich (robust standard errors) or bootstrap.
    #[arg(long, default_value = "sandwich")]
    pub ci: CiMethod,
    /// Bootstrap rounds.
    #[arg(long = "bootstrap", default_value_t = 1000)]
    pub bootstrap_rounds: usize,
    /// Bootstrap seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95)]
    pub level: f64,
    /// Pin one model's rating instead of centring the mean on 1000: MODEL=RATING.
    #[arg(long)]
    pub anchor: Option<Anchor>,
    /// What "both bad" votes count as: tie or exclude.
    #[arg(long, default_value = "tie")]
    pub both_bad: BothBad,
    /// Weigh each vote by 1 / max(votes of its pair, 50), as arena-rank's
    /// reweighted=True: pairs the matchmaking showed more often count no more.
    #[arg(long)]
    pub reweight: bool,
    /// Contextual Bradley–Terry (style control) on these covariates of each vote
    /// (JSONL `features` objects, CSV `feature.NAME` columns), or `all` of them;
    /// prints each covariate's coefficient with its interval. Rows are reweighted, as
    /// arena-rank's ContextualBradleyTerry does. JSONL, CSV and FastChat --input files.
    #[arg(long, value_name = "NAME[,NAME…]|all")]
    pub control: Option<Control>,
    /// L2 penalty on the --control coefficients (arena-rank's reg, on the mean
    /// log-likelihood): 1 as arena-rank, which holds them well toward zero; 0 fits them
    /// by plain maximum likelihood.
    #[arg(long, default_value_t = 1.0)]
    pub control_reg: f64,
    /// Rate the answers on this judgement axis (`axes` in the config, e.g. `prompt`)
    /// instead of the overall winner: the `axes` object of an export's rows, or the
    /// database's votes on that axis. Votes without an answer on it are left out.
    #[arg(long, value_name = "AXIS")]
    pub axis: Option<String>,
    /// Only votes of this prompt category.
    #[arg(long)]
    pub category: Option<String>,
    /// Include votes on battles that were not anonymous (files only).
    #[arg(long)]
    pub all_battles: bool,
    /// Only votes at or after this Unix time (files only).
    #[arg(long)]
    pub since: Option<f64>,
    /// Only votes before this Unix time (files only).
    #[arg(long)]
    pub until: Option<f64>,
    /// Hide models with fewer battles.
    #[arg(long, default_value_t = 0)]
    pub min_battles: u64,
    /// Mark models with fewer battles as provisional.
    #[arg(long, default_value_t = 100)]
    pub provisional_below: u64,
    /// table (for people), json or csv.
    #[arg(long, default_value = "table")]
    pub output: Output,
    /// Check a downloaded snapshot (`/api/v1/leaderboard/snapshots/{id}`) against
    /// --input, a JSONL export: recompute the digest of its first votes and the board.
    #[arg(long, value_name = "SNAPSHOT.json", requires = "input")]
    pub verify: Option<PathBuf>,
}

/// The layouts `--input` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    /// `.parquet` or a file that starts like one is Parquet; otherwise as the
    /// evaluator decides (extension, then the first byte).
    Auto,
    Jsonl,
    Csv,
    Parquet,
    Fastchat,
    /// One JSON object per line with GenAI-Bench's names (`left_model`,
    /// `right_model`, `vote_type`), which the JSONL reader knows.
    GenaiBench,
}

impl InputFormat {
    /// The evaluator's name for a text format; `None` for Parquet, which the server
    /// reads itself.
    fn text_format(self) -> Option<Format> {
        match self {
            InputFormat::Auto => Some(Format::Auto),
            InputFormat::Jsonl | InputFormat::GenaiBench => Some(Format::Jsonl),
            InputFormat::Csv => Some(Format::Csv),
            InputFormat::Fastchat => Some(Format::Fastchat),
            InputFormat::Parquet => None,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Output {
    Table,
    Json,
    Csv,
}

impl LeaderboardArgs {
    fn options(&self) -> LeaderboardOptions {
        LeaderboardOptions {
            method: self.method,
            ci: self.ci,
            bootstrap_rounds: self.bootstrap_rounds,
            seed: self.seed,
            level: self.level,
            anchor: self.anchor.clone(),
            both_bad: self.both_bad,
            reweight: self.reweight,
            control: self.control.clone(),
            control_reg: self.control_reg,
            min_battles: self.min_battles,
            provisional_below: self.provisional_below,
            filter: VoteFilter {
                anonymous_only: !self.all_battles,
                category: self.category.clone(),
                since: self.since,
                until: self.until,
            },
            axis: self.axis.clone(),
            ..LeaderboardOptions::default()
        }
    }
}

/// Draws "bootstrap k/n" on stderr when it is a terminal.
fn progress_bar(done: usize, total: usize) {
    let mut err = std::io::stderr();
    let _ = write!(err, "\rbootstrap {done}/{total}");
    if done == total {
        let _ = writeln!(err);
    }
    let _ = err.flush();
}

pub async fn run(
    args: LeaderboardArgs,
    storage: &Storage,
    demo_models: bool,
) -> anyhow::Result<()> {
    if let Some(snapshot) = &args.verify {
        let export = args
            .input
            .as_deref()
            .expect("clap requires --input with --verify");
        let report = super::snapshot::verify(snapshot, export)?;
        if matches!(args.output, Output::Json) {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            for d in &report.differences {
                println!("{d}");
            }
            println!(
                "digest {} · numbers {} ({} votes, digest {})",
                if report.digest_matches {
                    "matches"
                } else {
                    "DIFFERS"
                },
                if report.numbers_match {
                    "match"
                } else {
                    "DIFFER"
                },
                report.votes,
                report.recomputed_digest
            );
        }
        if !(report.digest_matches && report.numbers_match) {
            anyhow::bail!("the snapshot does not match the export");
        }
        return Ok(());
    }
    let options = args.options();
    options.validate()?;
    let show_progress = options.ci == CiMethod::Bootstrap && std::io::stderr().is_terminal();
    let board = match &args.input {
        Some(path) => {
            let format = match args.format {
                InputFormat::Auto if read_parquet::is_parquet(path) => None,
                known => known.text_format(),
            };
            match format {
                None if options.control.is_some() => anyhow::bail!(
                    "--control reads each vote's features from JSONL, CSV or FastChat files, \
                     not Parquet"
                ),
                None => read_parquet::leaderboard(path, &options)?,
                Some(format) if show_progress => {
                    let format = match format {
                        Format::Auto => Format::from_extension(path),
                        known => known,
                    };
                    let file = std::fs::File::open(path)
                        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
                    let reader = std::io::BufReader::with_capacity(1 << 20, file);
                    leaderboard_from_reader_with_progress(reader, format, &options, &progress_bar)?
                }
                Some(format) => leaderboard_from_path(path, format, &options)?,
            }
        }
        None => {
            if args.all_battles || args.since.is_some() || args.until.is_some() {
                anyhow::bail!("--all-battles, --since and --until apply to --input files only");
            }
            if args.control.is_some() {
                anyhow::bail!(
                    "--control needs each vote's covariates: give an --input file whose votes \
                     carry features"
                );
            }
            let store = crate::app::open_store(storage, demo_models).await?;
            let axis = options.axis.as_deref().unwrap_or(crate::store::OVERALL);
            let gathered =
                super::board::gather(&store, axis, args.category.as_deref(), options.method)
                    .await?;
            let progress: Option<arena_evaluator::Progress<'_>> =
                show_progress.then_some(&progress_bar);
            super::board::fit(&gathered, &options, progress)?
        }
    };
    // The table lists the warnings itself; JSON and CSV keep stdout machine-readable.
    if !matches!(args.output, Output::Table) {
        for warning in &board.warnings {
            eprintln!("warning: {warning}");
        }
    }
    let text = match args.output {
        Output::Table => board.to_table(),
        Output::Json => board.to_json(),
        Output::Csv => board.to_csv(),
    };
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(())
}

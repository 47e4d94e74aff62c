//! `arena bench`: load a running arena with simulated voters over its public HTTP API,
//! measure it, and check afterwards that no acknowledged vote was lost or doubled.
//!
//! Each simulated voter is a [`Session`]: its own connection pool (kept alive), its
//! own cookies and so its own voter cookie, and with `--forwarded-for` its own
//! `X-Forwarded-For` address in 198.18.0.0/15 (the range set aside for benchmarks), a
//! different /24 for each voter. Until the duration ends, each voter loops:
//!
//! 1. `POST /api/v1/battles` with `{}` — or, for `--live-share` of the battles, with
//!    `{"prompt": …}`, then follows `GET /api/v1/battles/{id}/events` until both
//!    images are drawn;
//! 2. `GET` both image URLs of the battle (a voter does not vote on an image that did
//!    not load);
//! 3. sleeps about `--think-ms` (from half to one and a half times it);
//! 4. `POST /api/v1/battles/{id}/vote` with a random `winner` (`a`, `b`, `tie`,
//!    `both_bad`), solving the battle's proof of work first when it asks for one.
//!    A 200 is an acknowledged vote.
//!
//! A battle under way when the duration ends is finished, so the run may last a
//! little longer; the rates are over the time it actually took. A refused request
//! (`no_battle_ready`, `rate_limited`, a 5xx, a lost connection) is counted as an
//! error of its kind, and the voter waits what `Retry-After` asks, at most a second,
//! before its next battle. Beside the voters, `--readers` clients browse
//! `/leaderboard`, `/api/v1/leaderboard` and `/models/{slug}` in a loop, `--think-ms`
//! after each page.
//!
//! What the target does limits what a run measures: `[limits]` per address and per
//! voter refuse votes past their hourly allowance (set `[limits] enabled = false` on
//! the target, or `--forwarded-for` with the bench's address in its
//! `trusted_proxies`); a vote sooner than `min_view_ms` (default 1500) after its
//! images is stored but does not count (`too_fast`); `[integrity] pow` makes each
//! vote pay for its proof of work, here as on a browser.
//!
//! After the run, [`check`] reads the target's vote export and counts each
//! acknowledged vote's rows. The report ([`stats`]) is printed either way; a missing
//! or doubled vote makes the command fail.

mod check;
mod session;
mod stats;
mod voter;

use std::io::{IsTerminal, Write};
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};
use tokio::task::JoinSet;

use session::Session;
use stats::{Progress, Recorder, Report, RunInfo};
use voter::{ModelList, Plan};

/// The most simulated clients of one kind (each holds a connection and a task).
const MAX_CLIENTS: i64 = 10_000;

/// The longest run: a week.
const MAX_DURATION_SECS: u64 = 7 * 24 * 3600;

/// How far before the target's clock at the start the export is read from: room for
/// servers behind one address whose clocks disagree a little.
const CLOCK_MARGIN: chrono::Duration = chrono::Duration::minutes(5);

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The arena to load: its base URL, such as http://127.0.0.1:8080.
    #[arg(long, value_name = "URL", value_parser = parse_target)]
    pub target: String,
    /// Simulated voters, each with its own voter cookie.
    #[arg(long, value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..=MAX_CLIENTS))]
    pub voters: u32,
    /// Seconds during which voters start new battles.
    #[arg(long, value_name = "S",
        value_parser = clap::value_parser!(u64).range(1..=MAX_DURATION_SECS))]
    pub duration: u64,
    /// Milliseconds between having both images and voting, on average (each pause is
    /// drawn from half to one and a half times it; voters start spread over one), and
    /// a reader's pause after each page. The target counts a vote only when at least
    /// its min_view_ms (default 1500) passed; quicker votes are stored, but excluded
    /// as too_fast.
    #[arg(long, value_name = "M", default_value_t = 0)]
    pub think_ms: u64,
    /// The fraction (0–1) of battles that are live, drawn from a prompt of the voter's:
    /// they need running workers.
    #[arg(long, value_name = "F", default_value_t = 0.0, value_parser = parse_share)]
    pub live_share: f64,
    /// Clients reading the leaderboard and model pages [default: voters / 10, at least 1].
    #[arg(long, value_name = "R",
        value_parser = clap::value_parser!(u32).range(0..=MAX_CLIENTS))]
    pub readers: Option<u32>,
    /// The target's admin_token: the check then reads every stored vote, excluded ones
    /// too. Needed when the target's export is not public.
    #[arg(
        long,
        value_name = "T",
        env = "ARENA_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
    /// Send each client's own address in X-Forwarded-For (the target believes it only
    /// when its trusted_proxies covers the bench's address).
    #[arg(long)]
    pub forwarded_for: bool,
    /// table (for people) or json.
    #[arg(long, value_enum, default_value = "table")]
    pub output: BenchOutput,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum BenchOutput {
    Table,
    Json,
}

/// A base URL the bench can append API paths to: http or https, a host, no path.
fn parse_target(text: &str) -> Result<String, String> {
    let example = "such as http://127.0.0.1:8080";
    let url = reqwest::Url::parse(text).map_err(|e| {
        format!("{text:?} is not a URL ({e}); give the arena's base URL, {example}")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the target must be an http or https URL, {example}"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("the target URL needs a host, {example}"));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "give the arena's base URL without a path or query, {example} (the API's paths are absolute)"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn parse_share(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
        _ => Err(format!(
            "a fraction from 0 to 1, such as 0.1 (got {text:?})"
        )),
    }
}

/// Client `i`'s address for `X-Forwarded-For`: in 198.18.0.0/15, on a /24 of its own
/// for the first 512 clients (the detector groups addresses by /24).
fn forwarded_address(i: u32) -> Ipv4Addr {
    let network = i % 512;
    let host = 1 + (i / 512) % 254;
    Ipv4Addr::from(u32::from(Ipv4Addr::new(198, 18, 0, 0)) + (network << 8) + host)
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let readers = args.readers.unwrap_or((args.voters / 10).max(1));
    let (slugs, target_clock) = preflight(&args.target).await?;
    let progress = Arc::new(Progress::default());
    let started = Instant::now();
    let plan = Plan {
        deadline: started + Duration::from_secs(args.duration),
        think: Duration::from_millis(args.think_ms),
        live_share: args.live_share,
    };
    let identity = |i: u32| args.forwarded_for.then(|| forwarded_address(i));
    let mut tasks = JoinSet::new();
    for i in 0..args.voters {
        let session = Session::new(&args.target, identity(i))?;
        let recorder = Recorder::new(progress.clone());
        tasks.spawn(voter::vote_loop(session, plan, recorder));
    }
    for i in 0..readers {
        let session = Session::new(&args.target, identity(args.voters + i))?;
        let recorder = Recorder::new(progress.clone());
        tasks.spawn(voter::read_loop(
            session,
            slugs.clone(),
            plan.think,
            plan.deadline,
            recorder,
        ));
    }
    let ticker = std::io::stderr()
        .is_terminal()
        .then(|| tokio::spawn(show_progress(progress.clone(), started)));

    let mut total = Recorder::new(progress.clone());
    while let Some(done) = tasks.join_next().await {
        total.merge(done.context("a simulated client failed")?);
    }
    let elapsed = started.elapsed();
    if let Some(ticker) = ticker {
        ticker.abort();
        eprintln!();
        eprintln!(
            "checking {} acknowledged vote(s) against the vote export…",
            total.acknowledged.len()
        );
    }

    let since = target_clock.map(|t| t - CLOCK_MARGIN);
    let checked = check::run(
        &args.target,
        args.admin_token.as_deref(),
        since,
        &total.acknowledged,
    )
    .await;
    let (check, failure) = match checked {
        Ok(check) => (Some(check), None),
        Err(e) => (None, Some(e)),
    };
    let info = RunInfo {
        target: args.target.clone(),
        voters: args.voters,
        readers,
        think_ms: args.think_ms,
        live_share: args.live_share,
        elapsed,
    };
    let report = Report::new(info, total, check);
    match args.output {
        BenchOutput::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        BenchOutput::Table => print!("{}", report.table()),
    }
    std::io::stdout().flush()?;

    if let Some(e) = failure {
        return Err(e);
    }
    if let Some(check) = &report.check
        && !check.stored_exactly_once
    {
        bail!("{}", check.failure());
    }
    if report.acknowledged_votes == 0 {
        eprintln!(
            "warning: the target acknowledged no vote; see errors_by_kind (a new arena may \
             still be drawing its first images: no_battle_ready)"
        );
    }
    Ok(())
}

/// Makes sure the target is an arena before loading it: its model list (for the
/// readers) and its clock (the export is then read from shortly before the run).
async fn preflight(target: &str) -> anyhow::Result<(Vec<String>, Option<DateTime<Utc>>)> {
    let url = format!("{target}/api/v1/models");
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()?
        .get(&url)
        .send()
        .await
        .with_context(|| format!("cannot reach the arena at {target}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("{url} answered {status}: is {target} an arena?");
    }
    let clock = response
        .headers()
        .get(reqwest::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
        .map(|t| t.to_utc());
    let models: ModelList = response
        .json()
        .await
        .with_context(|| format!("{url} did not answer with the arena's model list"))?;
    Ok((models.models.into_iter().map(|m| m.slug).collect(), clock))
}

/// Rewrites one line on the terminal every second: time, votes, their rate, errors.
async fn show_progress(progress: Arc<Progress>, started: Instant) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    loop {
        tick.tick().await;
        let seconds = started.elapsed().as_secs_f64();
        let votes = progress.votes.load(Ordering::Relaxed);
        let errors = progress.errors.load(Ordering::Relaxed);
        eprint!(
            "\r{seconds:>7.1} s  {votes:>8} votes  {:>9.1} votes/s  {errors:>6} errors\x1b[K",
            votes as f64 / seconds
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_base_urls() {
        assert_eq!(
            parse_target("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            parse_target("https://arena.example").unwrap(),
            "https://arena.example"
        );
        for bad in [
            "127.0.0.1:8080",
            "ftp://arena.example",
            "http://arena.example/arena",
            "http://arena.example/?x=1",
            "not a url",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn live_shares_are_fractions() {
        assert_eq!(parse_share("0.25"), Ok(0.25));
        assert!(parse_share("1.5").is_err());
        assert!(parse_share("-0.1").is_err());
        assert!(parse_share("NaN").is_err());
    }

    #[test]
    fn each_client_has_its_own_benchmark_address() {
        assert_eq!(forwarded_address(0), Ipv4Addr::new(198, 18, 0, 1));
        assert_eq!(forwarded_address(1), Ipv4Addr::new(198, 18, 1, 1));
        assert_eq!(forwarded_address(511), Ipv4Addr::new(198, 19, 255, 1));
        assert_eq!(forwarded_address(512), Ipv4Addr::new(198, 18, 0, 2));
        let all: std::collections::HashSet<_> = (0..10_000).map(forwarded_address).collect();
        assert_eq!(all.len(), 10_000);
    }
}

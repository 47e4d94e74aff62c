//! Verifiable history: snapshots of every published board, kept as they were, each
//! with the number of counted votes and a digest of the counted vote log it came from.
//!
//! The digest is a SHA-256 hash chain over the counted votes in id order (the order of
//! `arena export`): `h₀ = SHA-256("arena vote log v1")`, `hₖ = SHA-256(hₖ₋₁ ‖ rowₖ)`,
//! where `rowₖ` is the vote's canonical export row ([`canonical_row`]). Anyone with the
//! export and a snapshot can recompute both the digest and the board
//! (`arena leaderboard --verify SNAPSHOT.json --input EXPORT.jsonl`): a vote changed,
//! added or left out of the first `votes` rows changes the digest.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arena_evaluator::{Format, Leaderboard, LeaderboardOptions, leaderboard_from_reader};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::board::{self, BoardQuery};
use crate::app::App;
use crate::data::export::{ImageHashes, ImageNamer, Record};
use crate::store::{ExportFilter, NewSnapshot, Snapshot, Store};
use crate::voting::axes::Axis;

/// What the chain starts from.
const SEED: &[u8] = b"arena vote log v1";

/// A vote's row in the digest: battle, time (Unix seconds, six decimals), the two
/// models, the winner as the export writes it and the voter's judge hash, then for
/// each answer on another judgement axis (in axis order) `axis=winner`, and for a
/// battle of three or four images `model_c=…`, `model_d=…` and `worst=…` (those it
/// has), tab separated, with a final newline.
pub fn canonical_row<'a>(
    battle_id: &str,
    tstamp: f64,
    model_a: &str,
    model_b: &str,
    winner: &str,
    judge: &str,
    axes: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut row = format!("{battle_id}\t{tstamp:.6}\t{model_a}\t{model_b}\t{winner}\t{judge}");
    for (axis, winner) in axes {
        row.push('\t');
        row.push_str(axis);
        row.push('=');
        row.push_str(winner);
    }
    row.push('\n');
    row
}

/// The `(field, value)` entries a K-wise vote adds to its canonical row, in order,
/// those it has.
fn kwise_fields<'a>(
    fields: Option<[(&'a str, Option<&'a str>); 3]>,
) -> impl Iterator<Item = (&'a str, &'a str)> {
    fields
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| Some((name, value?)))
}

/// The hash chain over rows, one at a time.
#[derive(Clone, Debug)]
pub struct Chain {
    hash: [u8; 32],
    pub votes: u64,
}

impl Default for Chain {
    fn default() -> Self {
        Chain {
            hash: Sha256::digest(SEED).into(),
            votes: 0,
        }
    }
}

impl Chain {
    pub fn push(&mut self, row: &str) {
        let mut h = Sha256::new();
        h.update(self.hash);
        h.update(row.as_bytes());
        self.hash = h.finalize().into();
        self.votes += 1;
    }

    pub fn hex(&self) -> String {
        hex::encode(self.hash)
    }
}

/// The counted vote log now: its size and digest, from the rows `arena export` writes.
pub async fn log_digest(store: &Store, judge_key: &[u8]) -> anyhow::Result<Chain> {
    let namer = ImageNamer::new(ImageHashes::Plain, judge_key);
    let mut chain = Chain::default();
    let mut rows = store.export_rows(&ExportFilter::default());
    while let Some(row) = rows.next().await {
        let row = row?;
        let r = Record::new(&row, judge_key, &namer);
        let kwise = r.kwise.as_ref().map(|k| {
            [
                ("model_c", k.model_c),
                ("model_d", k.model_d),
                ("worst", k.worst),
            ]
        });
        chain.push(&canonical_row(
            r.battle_id,
            r.tstamp,
            r.model_a,
            r.model_b,
            r.winner,
            &r.judge,
            r.axes
                .iter()
                .map(|(axis, w)| (*axis, w.fastchat_label()))
                .chain(kwise_fields(kwise)),
        ));
    }
    Ok(chain)
}

/// A snapshot as it is downloaded and verified.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SnapshotFile {
    pub id: i64,
    pub taken_at: DateTime<Utc>,
    /// The board's query string (`''`: the default board).
    pub view: String,
    /// Votes in the counted log when it was taken: the first `votes` rows of an export.
    pub votes: u64,
    pub digest: String,
    /// Exactly how the board was computed.
    pub options: LeaderboardOptions,
    pub board: Leaderboard,
}

/// What is stored per snapshot in its `board` column: the options and the board.
#[derive(Serialize, Deserialize)]
struct Stored {
    options: LeaderboardOptions,
    board: Leaderboard,
}

impl SnapshotFile {
    pub fn from_row(row: &Snapshot) -> anyhow::Result<SnapshotFile> {
        let stored: Stored =
            serde_json::from_str(&row.board).context("a stored snapshot is unreadable")?;
        Ok(SnapshotFile {
            id: row.id,
            taken_at: row.taken_at,
            view: row.view.clone(),
            votes: row.votes as u64,
            digest: row.digest.clone(),
            options: stored.options,
            board: stored.board,
        })
    }
}

/// The boards a snapshot keeps: the default, online Elo, reweighted, style-controlled,
/// the default board of every category and of every judgement axis but the overall.
pub fn views(categories: &[String], axes: &[Axis]) -> Vec<BoardQuery> {
    let default = BoardQuery::default();
    let mut views = vec![
        default.clone(),
        BoardQuery {
            method: arena_evaluator::Method::Elo,
            ..default.clone()
        },
        BoardQuery {
            reweight: true,
            ..default.clone()
        },
        BoardQuery {
            control_style: true,
            ..default.clone()
        },
    ];
    views.extend(categories.iter().map(|c| BoardQuery {
        category: Some(c.clone()),
        ..default.clone()
    }));
    views.extend(axes.iter().skip(1).map(|a| BoardQuery {
        axis: Some(a.name.clone()),
        ..default.clone()
    }));
    views
}

/// Takes a snapshot of every view now; returns the stored ids (none while no vote
/// counts: there is nothing to publish yet).
pub async fn take(
    store: &Store,
    judge_key: &[u8],
    style: board::StyleControl,
    axes: &[Axis],
) -> anyhow::Result<Vec<i64>> {
    let taken_at = Utc::now();
    let chain = log_digest(store, judge_key).await?;
    if chain.votes == 0 {
        return Ok(Vec::new());
    }
    let categories = store.prompt_categories().await?;
    let mut stored = Vec::new();
    for view in views(&categories, axes) {
        let computed = board::compute_with(store, &view, style).await?;
        let mut options = board::options_for(&view);
        options.control_reg = style.reg;
        options.filter.category = view.category.clone();
        let text = serde_json::to_string(&Stored {
            options,
            board: computed.leaderboard,
        })?;
        stored.push((view.query_string(), text));
    }
    let digest = chain.hex();
    let rows: Vec<NewSnapshot<'_>> = stored
        .iter()
        .map(|(view, board)| NewSnapshot {
            view,
            votes: chain.votes as i64,
            digest: &digest,
            board,
        })
        .collect();
    Ok(store.insert_snapshots(&rows, taken_at).await?)
}

/// Takes snapshots every `snapshot_every` (checked each minute; 0: only on demand).
pub fn spawn_background(app: Arc<App>) {
    let every = app.config.snapshot_every;
    if every.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60).min(every));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let due = match app.store.last_snapshot_at().await {
                Ok(Some(last)) => (Utc::now() - last).to_std().unwrap_or_default() >= every,
                Ok(None) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the last snapshot");
                    false
                }
            };
            // Of several servers on one database, the one that claims it takes them.
            let claim = chrono::Duration::from_std(every / 2).unwrap_or(chrono::Duration::MAX);
            let due = due
                && match app.store.claim_task("snapshot", claim).await {
                    Ok(claimed) => claimed,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot claim the snapshots");
                        false
                    }
                };
            if due {
                let style = board::StyleControl {
                    reg: app.config.style_control_reg,
                };
                match take(&app.store, &app.config.judge_key, style, &app.config.axes).await {
                    Ok(ids) => tracing::info!(snapshots = ids.len(), "leaderboard snapshots taken"),
                    Err(e) => tracing::warn!(error = %e, "taking leaderboard snapshots failed"),
                }
            }
        }
    });
}

/// Where one model stood in one snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Standing {
    pub taken_at: DateTime<Utc>,
    pub rating: f64,
    pub rank: usize,
}

/// Every model's standing in each of `snapshots` (oldest first) that lists it.
pub fn standings(snapshots: &[SnapshotFile]) -> std::collections::BTreeMap<String, Vec<Standing>> {
    let mut by_model: std::collections::BTreeMap<String, Vec<Standing>> = Default::default();
    for s in snapshots {
        for e in &s.board.models {
            by_model.entry(e.model.clone()).or_default().push(Standing {
                taken_at: s.taken_at,
                rating: e.rating,
                rank: e.rank_ub,
            });
        }
    }
    by_model
}

/// A model's ranks as runs: (rank, first day, last day) in time order.
pub fn rank_runs(standings: &[Standing]) -> Vec<(usize, String, String)> {
    let mut runs: Vec<(usize, String, String)> = Vec::new();
    for s in standings {
        let day = s.taken_at.format("%Y-%m-%d").to_string();
        match runs.last_mut() {
            Some(run) if run.0 == s.rank => run.2 = day,
            _ => runs.push((s.rank, day.clone(), day)),
        }
    }
    runs
}

/// The last standing of each day, as (day, rating): the rating chart's series.
pub fn daily_ratings(standings: &[Standing]) -> Vec<(String, f64)> {
    let mut series: Vec<(String, f64)> = Vec::new();
    for s in standings {
        let day = s.taken_at.format("%Y-%m-%d").to_string();
        match series.last_mut() {
            Some(last) if last.0 == day => last.1 = s.rating,
            _ => series.push((day, s.rating)),
        }
    }
    series
}

/// What a verification found.
#[derive(Debug, Serialize)]
pub struct Verification {
    pub digest_matches: bool,
    pub numbers_match: bool,
    pub votes: u64,
    pub recomputed_digest: String,
    /// Each difference found, in words.
    pub differences: Vec<String>,
}

/// Recomputes a snapshot's digest and board from a JSONL export (`arena export
/// --format jsonl`): the first `votes` rows, in the file's order.
pub fn verify(snapshot: &Path, export: &Path) -> anyhow::Result<Verification> {
    let text = std::fs::read_to_string(snapshot)
        .with_context(|| format!("cannot read {}", snapshot.display()))?;
    let snap: SnapshotFile = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a snapshot file", snapshot.display()))?;
    let file =
        std::fs::File::open(export).with_context(|| format!("cannot open {}", export.display()))?;
    let mut chain = Chain::default();
    let mut kept = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        if chain.votes == snap.votes {
            break;
        }
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let row: serde_json::Value = serde_json::from_str(&line)
            .with_context(|| format!("{} line {}: not JSON", export.display(), n + 1))?;
        let field = |name: &str| -> anyhow::Result<&str> {
            row[name].as_str().with_context(|| {
                format!(
                    "{} line {}: no {name} (a JSONL export is needed)",
                    export.display(),
                    n + 1
                )
            })
        };
        let tstamp = row["tstamp"]
            .as_f64()
            .with_context(|| format!("{} line {}: no tstamp", export.display(), n + 1))?;
        let mut axes: Vec<(&str, &str)> = Vec::new();
        if let Some(object) = row.get("axes").and_then(|a| a.as_object()) {
            for (axis, winner) in object {
                let winner = winner.as_str().with_context(|| {
                    format!(
                        "{} line {}: axes.{axis} is not a label",
                        export.display(),
                        n + 1
                    )
                })?;
                axes.push((axis, winner));
            }
        }
        axes.sort_by(|x, y| x.0.cmp(y.0));
        let kwise = row
            .get("model_c")
            .and_then(|c| c.as_str())
            .map(|_| ["model_c", "model_d", "worst"].map(|f| (f, row[f].as_str())));
        chain.push(&canonical_row(
            field("battle_id")?,
            tstamp,
            field("model_a")?,
            field("model_b")?,
            field("winner")?,
            field("judge")?,
            axes.into_iter().chain(kwise_fields(kwise)),
        ));
        kept.extend_from_slice(line.as_bytes());
        kept.push(b'\n');
    }
    let mut differences = Vec::new();
    if chain.votes < snap.votes {
        differences.push(format!(
            "the export has {} votes, the snapshot counted {}",
            chain.votes, snap.votes
        ));
    }
    let recomputed_digest = chain.hex();
    let digest_matches = recomputed_digest == snap.digest;
    if !digest_matches {
        differences.push(format!(
            "digest {recomputed_digest} of the export's first {} votes is not the snapshot's {}",
            chain.votes, snap.digest
        ));
    }
    let board = leaderboard_from_reader(kept.as_slice(), Format::Jsonl, &snap.options)
        .context("the export's votes cannot be rated")?;
    let before = differences.len();
    compare(&snap.board, &board, &mut differences);
    let numbers_match = differences.len() == before;
    Ok(Verification {
        digest_matches,
        numbers_match,
        votes: chain.votes,
        recomputed_digest,
        differences,
    })
}

/// Ratings and bounds within 1e-6 points, the same models and vote count.
fn compare(want: &Leaderboard, got: &Leaderboard, differences: &mut Vec<String>) {
    if want.n_votes != got.n_votes {
        differences.push(format!(
            "the board counted {} votes, the export gives {}",
            want.n_votes, got.n_votes
        ));
    }
    for w in &want.models {
        let Some(g) = got.entry(&w.model) else {
            differences.push(format!("{} is not on the recomputed board", w.model));
            continue;
        };
        let close = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-6,
            (None, None) => true,
            _ => false,
        };
        if !close(Some(w.rating), Some(g.rating))
            || !close(w.ci_low, g.ci_low)
            || !close(w.ci_high, g.ci_high)
        {
            differences.push(format!(
                "{}: {:.4} [{:?}, {:?}] in the snapshot, {:.4} [{:?}, {:?}] from the export",
                w.model, w.rating, w.ci_low, w.ci_high, g.rating, g.ci_low, g.ci_high
            ));
        }
    }
    for g in &got.models {
        if want.entry(&g.model).is_none() {
            differences.push(format!("{} is on the recomputed board only", g.model));
        }
    }
}

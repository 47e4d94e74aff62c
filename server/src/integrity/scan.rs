//! Running the rigging detector: read the last weeks' counted votes and served battles,
//! fit the current ratings, run the tests ([`super::detector`]), and flag what they
//! find — each flag excludes its subject's votes, with the evidence, in one
//! transaction with its audit entry. Flagging changes the ratings, so the scan runs
//! again on what is left until nothing new is found. It runs in the background on one
//! server at a time (`[integrity] scan_every_secs`) and on demand (`arena integrity
//! scan`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::Serialize;
use utoipa::ToSchema;

use super::detector::{self, Cell, Input, ServedRecord, Subject, Thresholds, VoteRecord};
use crate::app::App;
use crate::store::{FlagSubject, NewFlag, Store};

/// How far back a scan looks.
pub const PERIOD_DAYS: i64 = 30;
/// Scans run again on what is left at most this many times (each stage of the
/// detector may need a pass of its own, and a stage may find more once the ratings
/// are cleaner).
const MAX_PASSES: usize = 8;

/// What one scan did.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct ScanReport {
    /// Counted votes looked at in the first pass.
    pub votes: usize,
    /// Voters among them.
    pub voters: usize,
    pub passes: usize,
    pub flags: Vec<RaisedFlag>,
}

/// A flag a scan raised.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RaisedFlag {
    pub id: i64,
    pub subject_kind: &'static str,
    pub test: &'static str,
    pub model: Option<String>,
    pub reason: String,
    pub votes_excluded: u64,
}

/// Why a scan failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Scans now; `actor` goes into the audit log (`detector` or `cli`).
pub async fn scan(store: &Store, actor: &str) -> Result<ScanReport, Error> {
    let since = Utc::now() - chrono::Duration::days(PERIOD_DAYS);
    let thresholds = Thresholds::default();
    let mut report = ScanReport::default();
    for pass in 0..MAX_PASSES {
        let (input, model_ids) = input(store, since).await?;
        if pass == 0 {
            report.votes = input.votes.len();
            report.voters = input.voters.len();
        }
        report.passes = pass + 1;
        let already = standing(store, &input).await?;
        let findings = detector::detect(&input, &thresholds, &already);
        if findings.is_empty() {
            break;
        }
        for f in findings {
            let (subject_kind, subject) = match f.subject {
                Subject::Voter(v) => (FlagSubject::Voter, input.voters[v].0.clone()),
                Subject::Address(a) => (FlagSubject::Address, input.addresses[a].clone()),
            };
            let flag = NewFlag {
                subject_kind,
                subject,
                model_id: f.model.map(|m| model_ids[m]),
                test: f.test.to_string(),
                reason: f.reason.clone(),
                evidence: f.evidence.clone(),
            };
            let (id, votes_excluded) = store.raise_flag(&flag, actor).await?;
            tracing::warn!(flag.id = id, flag.test = f.test, flag.votes = votes_excluded, reason = %f.reason, "rigging detector raised a flag");
            report.flags.push(RaisedFlag {
                id,
                subject_kind: subject_kind.as_str(),
                test: f.test,
                model: f.model.map(|m| input.models[m].clone()),
                reason: f.reason,
                votes_excluded,
            });
        }
    }
    Ok(report)
}

/// The subjects of `input` that have a standing flag already.
async fn standing(store: &Store, input: &Input) -> Result<Vec<Subject>, Error> {
    let flags = store.standing_flags().await?;
    let voter_index: HashMap<&str, usize> = input
        .voters
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i))
        .collect();
    let address_index: HashMap<&str, usize> = input
        .addresses
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    Ok(flags
        .iter()
        .filter_map(|(kind, subject)| match kind.as_str() {
            "voter" => voter_index
                .get(subject.as_str())
                .map(|&i| Subject::Voter(i)),
            "address" => address_index
                .get(subject.as_str())
                .map(|&i| Subject::Address(i)),
            _ => None,
        })
        .collect())
}

/// The detector's input from the database, and the model id of each model index.
async fn input(store: &Store, since: chrono::DateTime<Utc>) -> Result<(Input, Vec<i64>), Error> {
    let models = store.list_models().await?;
    let model_index: HashMap<i64, usize> =
        models.iter().enumerate().map(|(i, m)| (m.id, i)).collect();
    let counts = store
        .pair_counts_by_id(None)
        .await?
        .into_iter()
        .filter_map(|c| {
            let cell = Cell {
                model_a: *model_index.get(&c.model_a_id)?,
                model_b: *model_index.get(&c.model_b_id)?,
                outcome: c.winner,
            };
            Some((cell, c.n.max(0) as u64))
        })
        .collect();
    let mut input = Input {
        models: models.iter().map(|m| m.slug.clone()).collect(),
        counts,
        ..Input::default()
    };
    let model_ids = models.iter().map(|m| m.id).collect();
    let mut voters: HashMap<String, usize> = HashMap::new();
    let mut addresses: HashMap<String, usize> = HashMap::new();
    let mut address_of = |hash: &Option<String>, input: &mut Input| {
        hash.as_ref().map(|h| {
            *addresses.entry(h.clone()).or_insert_with(|| {
                input.addresses.push(h.clone());
                input.addresses.len() - 1
            })
        })
    };
    for v in store.scan_votes(since).await? {
        let (Some(&a), Some(&b)) = (
            model_index.get(&v.model_a_id),
            model_index.get(&v.model_b_id),
        ) else {
            continue;
        };
        let voter = *voters.entry(v.voter_id.clone()).or_insert_with(|| {
            input.voters.push((v.voter_id.clone(), v.voter_created_at));
            input.voters.len() - 1
        });
        let address = address_of(&v.client_hash, &mut input);
        input.votes.push(VoteRecord {
            voter,
            address,
            model_a: a,
            model_b: b,
            outcome: v.winner,
            at: v.created_at,
        });
    }
    for s in store.scan_served(since).await? {
        // Battles never voted on count too: an address that skips all but one model's
        // battles shows itself by what it skips.
        let (Some(&a), Some(&b)) = (
            model_index.get(&s.model_a_id),
            model_index.get(&s.model_b_id),
        ) else {
            continue;
        };
        let voter = *voters.entry(s.voter_id.clone()).or_insert_with(|| {
            input.voters.push((s.voter_id.clone(), s.voter_created_at));
            input.voters.len() - 1
        });
        let address = address_of(&s.client_hash, &mut input);
        input.served.push(ServedRecord {
            voter,
            address,
            model_a: a,
            model_b: b,
            voted: s.voted,
        });
    }
    Ok((input, model_ids))
}

/// Runs the scan every `[integrity] scan_every_secs` on whichever server claims it,
/// and prunes expired limit counters.
pub fn spawn_background(app: Arc<App>) {
    let every = app.config.integrity.scan_every_secs;
    if every == 0 {
        return;
    }
    tokio::spawn(async move {
        let period = chrono::Duration::seconds(every as i64);
        loop {
            tokio::time::sleep(Duration::from_secs(every.min(60))).await;
            if let Err(e) = super::limits::prune(&app).await {
                tracing::warn!(error = %e, "pruning limit counters failed");
            }
            match app.store.claim_scan(period).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming the integrity scan failed");
                    continue;
                }
            }
            match scan(&app.store, "detector").await {
                Ok(report) if !report.flags.is_empty() => {
                    app.rankings.clear().await;
                    tracing::info!(flags = report.flags.len(), "integrity scan finished");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "integrity scan failed"),
            }
            if let Err(e) = app.store.finish_scan().await {
                tracing::warn!(error = %e, "recording the integrity scan failed");
            }
        }
    });
}

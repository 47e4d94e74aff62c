//! What a run measured: each request's latency by endpoint, the errors by kind, the
//! acknowledged votes; and the report built from them, as JSON or as a table.
//!
//! Every task keeps its own [`Recorder`] (no lock on the hot path) and hands it back
//! when it ends; the recorders are merged once. Only the two figures the progress line
//! shows are shared while the run goes on ([`Progress`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

use super::check::Check;

/// The requests a run makes, by what they are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Endpoint {
    /// `POST /api/v1/battles` with `{}`: a pool battle.
    Battle,
    /// `POST /api/v1/battles` with a prompt: a live battle.
    LiveBattle,
    /// `GET /api/v1/battles/{id}/events`, timed until the battle is ready or failed.
    LiveEvents,
    /// `GET /images/{token}`.
    Image,
    /// `POST /api/v1/battles/{id}/vote`.
    Vote,
    /// `GET /leaderboard`.
    Leaderboard,
    /// `GET /api/v1/leaderboard`.
    LeaderboardApi,
    /// `GET /models/{slug}`.
    ModelPage,
}

impl Endpoint {
    pub const ALL: [Endpoint; 8] = [
        Endpoint::Battle,
        Endpoint::LiveBattle,
        Endpoint::LiveEvents,
        Endpoint::Image,
        Endpoint::Vote,
        Endpoint::Leaderboard,
        Endpoint::LeaderboardApi,
        Endpoint::ModelPage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Battle => "battle",
            Endpoint::LiveBattle => "live_battle",
            Endpoint::LiveEvents => "live_events",
            Endpoint::Image => "image",
            Endpoint::Vote => "vote",
            Endpoint::Leaderboard => "leaderboard",
            Endpoint::LeaderboardApi => "leaderboard_api",
            Endpoint::ModelPage => "model_page",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The figures the progress line shows, shared by every task while the run goes on.
#[derive(Debug, Default)]
pub struct Progress {
    pub votes: AtomicU64,
    pub errors: AtomicU64,
}

/// One endpoint's measurements in one task.
#[derive(Debug, Default)]
struct EndpointSamples {
    /// Microseconds of each request that got a response, whatever its status.
    latencies_us: Vec<u32>,
    /// Requests that failed: no response, a status other than 2xx, or a body that is
    /// not what the API promises.
    errors: u64,
}

/// One task's measurements.
#[derive(Debug)]
pub struct Recorder {
    endpoints: [EndpointSamples; Endpoint::ALL.len()],
    errors_by_kind: BTreeMap<String, u64>,
    /// The battle of every vote the target answered with 200, in order.
    pub acknowledged: Vec<String>,
    /// Battles served (201), pool and live.
    pub battles: u64,
    /// Proofs of work solved before a vote.
    pub proofs_of_work: u64,
    progress: std::sync::Arc<Progress>,
}

impl Recorder {
    pub fn new(progress: std::sync::Arc<Progress>) -> Recorder {
        Recorder {
            endpoints: Default::default(),
            errors_by_kind: BTreeMap::new(),
            acknowledged: Vec::new(),
            battles: 0,
            proofs_of_work: 0,
            progress,
        }
    }

    /// A request that got a response (of any status) after `elapsed`.
    pub fn latency(&mut self, endpoint: Endpoint, elapsed: Duration) {
        let us = u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX);
        self.endpoints[endpoint.index()].latencies_us.push(us);
    }

    /// A failed request; `kind` is the API's error code when it gave one (`rate_limited`,
    /// `no_battle_ready`, …), else what went wrong (`http_502`, `timeout`, …).
    pub fn error(&mut self, endpoint: Endpoint, kind: &str) {
        self.endpoints[endpoint.index()].errors += 1;
        *self.errors_by_kind.entry(kind.to_string()).or_default() += 1;
        self.progress.errors.fetch_add(1, Ordering::Relaxed);
    }

    /// A vote the target answered with 200.
    pub fn acknowledge(&mut self, battle_id: String) {
        self.acknowledged.push(battle_id);
        self.progress.votes.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds another task's measurements to these.
    pub fn merge(&mut self, other: Recorder) {
        for (mine, theirs) in self.endpoints.iter_mut().zip(other.endpoints) {
            mine.latencies_us.extend(theirs.latencies_us);
            mine.errors += theirs.errors;
        }
        for (kind, n) in other.errors_by_kind {
            *self.errors_by_kind.entry(kind).or_default() += n;
        }
        self.acknowledged.extend(other.acknowledged);
        self.battles += other.battles;
        self.proofs_of_work += other.proofs_of_work;
    }
}

/// One endpoint in the report.
#[derive(Debug, Serialize)]
pub struct EndpointReport {
    pub requests: u64,
    pub errors: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

/// What `arena bench` prints. Latencies are in milliseconds, over the requests that
/// got a response; `null` where there were none.
#[derive(Debug, Serialize)]
pub struct Report {
    pub target: String,
    pub voters: u32,
    pub readers: u32,
    pub think_ms: u64,
    pub live_share: f64,
    /// Wall time from the start until the last voter finished its last battle.
    pub duration_s: f64,
    pub votes_per_s: f64,
    pub battles_per_s: f64,
    /// Requests that got a response, every endpoint together.
    pub requests: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub acknowledged_votes: u64,
    pub battles: u64,
    pub proofs_of_work: u64,
    pub per_endpoint: BTreeMap<&'static str, EndpointReport>,
    /// Whether every acknowledged vote is stored exactly once; `null` when the check
    /// could not run (the command then fails and says why).
    pub check: Option<Check>,
}

/// The settings a report repeats beside its figures.
pub struct RunInfo {
    pub target: String,
    pub voters: u32,
    pub readers: u32,
    pub think_ms: u64,
    pub live_share: f64,
    pub elapsed: Duration,
}

impl Report {
    pub fn new(info: RunInfo, recorder: Recorder, check: Option<Check>) -> Report {
        let seconds = info.elapsed.as_secs_f64().max(1e-9);
        let mut all: Vec<u32> = Vec::new();
        let mut per_endpoint = BTreeMap::new();
        for (endpoint, samples) in Endpoint::ALL.into_iter().zip(recorder.endpoints) {
            let mut latencies = samples.latencies_us;
            latencies.sort_unstable();
            per_endpoint.insert(
                endpoint.as_str(),
                EndpointReport {
                    requests: latencies.len() as u64,
                    errors: samples.errors,
                    p50_ms: percentile_ms(&latencies, 0.50),
                    p99_ms: percentile_ms(&latencies, 0.99),
                    max_ms: latencies.last().map(|&us| ms(us)),
                },
            );
            all.extend(latencies);
        }
        all.sort_unstable();
        let acknowledged = recorder.acknowledged.len() as u64;
        Report {
            target: info.target,
            voters: info.voters,
            readers: info.readers,
            think_ms: info.think_ms,
            live_share: info.live_share,
            duration_s: round(seconds, 3),
            votes_per_s: round(acknowledged as f64 / seconds, 2),
            battles_per_s: round(recorder.battles as f64 / seconds, 2),
            requests: all.len() as u64,
            p50_ms: percentile_ms(&all, 0.50),
            p99_ms: percentile_ms(&all, 0.99),
            errors: recorder.errors_by_kind.values().sum(),
            errors_by_kind: recorder.errors_by_kind,
            acknowledged_votes: acknowledged,
            battles: recorder.battles,
            proofs_of_work: recorder.proofs_of_work,
            per_endpoint,
            check,
        }
    }

    /// The report for people.
    pub fn table(&self) -> String {
        let opt = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.1}"));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "arena bench: {} voter(s), {} reader(s), think {} ms, live share {} against {}",
            self.voters, self.readers, self.think_ms, self.live_share, self.target
        );
        let _ = writeln!(
            out,
            "{:.1} s: {:.2} votes/s, {:.2} battles/s, p50 {} ms, p99 {} ms over {} requests",
            self.duration_s,
            self.votes_per_s,
            self.battles_per_s,
            opt(self.p50_ms),
            opt(self.p99_ms),
            self.requests
        );
        let _ = writeln!(
            out,
            "{} acknowledged vote(s), {} battle(s), {} proof(s) of work, {} error(s)",
            self.acknowledged_votes, self.battles, self.proofs_of_work, self.errors
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<16} {:>9} {:>7} {:>9} {:>9} {:>9}",
            "ENDPOINT", "REQUESTS", "ERRORS", "P50 MS", "P99 MS", "MAX MS"
        );
        for (name, e) in &self.per_endpoint {
            if e.requests == 0 && e.errors == 0 {
                continue;
            }
            let _ = writeln!(
                out,
                "{:<16} {:>9} {:>7} {:>9} {:>9} {:>9}",
                name,
                e.requests,
                e.errors,
                opt(e.p50_ms),
                opt(e.p99_ms),
                opt(e.max_ms)
            );
        }
        if !self.errors_by_kind.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "errors by kind:");
            for (kind, n) in &self.errors_by_kind {
                let _ = writeln!(out, "  {kind:<28} {n:>7}");
            }
        }
        if let Some(check) = &self.check {
            let _ = writeln!(out);
            let _ = writeln!(out, "{}", check.summary());
        }
        out
    }
}

/// The nearest-rank percentile `p` (0–1) of sorted microseconds, in milliseconds.
fn percentile_ms(sorted_us: &[u32], p: f64) -> Option<f64> {
    if sorted_us.is_empty() {
        return None;
    }
    let rank = (p * sorted_us.len() as f64).ceil() as usize;
    Some(ms(sorted_us[rank.clamp(1, sorted_us.len()) - 1]))
}

fn ms(us: u32) -> f64 {
    round(f64::from(us) / 1000.0, 3)
}

fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_in_milliseconds() {
        let us: Vec<u32> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&us, 0.50), Some(50.0));
        assert_eq!(percentile_ms(&us, 0.99), Some(99.0));
        assert_eq!(percentile_ms(&[1500], 0.99), Some(1.5));
        assert_eq!(percentile_ms(&[], 0.5), None);
    }

    #[test]
    fn merged_recorders_add_up() {
        let progress = std::sync::Arc::new(Progress::default());
        let mut a = Recorder::new(progress.clone());
        let mut b = Recorder::new(progress.clone());
        a.latency(Endpoint::Vote, Duration::from_millis(2));
        a.acknowledge("x".into());
        b.latency(Endpoint::Vote, Duration::from_millis(4));
        b.error(Endpoint::Battle, "no_battle_ready");
        a.merge(b);
        assert_eq!(progress.votes.load(Ordering::Relaxed), 1);
        assert_eq!(progress.errors.load(Ordering::Relaxed), 1);
        let info = RunInfo {
            target: "http://x".into(),
            voters: 2,
            readers: 0,
            think_ms: 0,
            live_share: 0.0,
            elapsed: Duration::from_secs(1),
        };
        let report = Report::new(info, a, None);
        assert_eq!(report.per_endpoint["vote"].requests, 2);
        assert_eq!(report.per_endpoint["battle"].errors, 1);
        assert_eq!(report.errors_by_kind["no_battle_ready"], 1);
        assert_eq!(report.errors, 1);
        assert_eq!(report.acknowledged_votes, 1);
        assert_eq!(report.votes_per_s, 1.0);
    }
}

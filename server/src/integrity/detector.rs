//! The rigging detector's tests, as pure functions over the votes and served battles of
//! a period and the current ratings. A voter cannot know which models a blind battle
//! shows, so honest votes depend on the images alone: whoever favours one model far
//! beyond its rating, or votes only when one model is present, has learned to recognise
//! it. The tests:
//!
//! - **favouritism**: a voter's, an address's or a cohort's votes for model X against
//!   what the ratings expect (a one-sided z-score of wins above expectation);
//! - **selection**: battles served but not voted on — of the battles a group was served,
//!   did it vote on those with X far more often than on the others (hypergeometric z)?
//! - **likelihood**: the voter's whole record under the ratings, as the Chatbot Arena
//!   paper does (a z-score of the log-likelihood; very improbable records are flagged)
//!   — run only in a pass where the other tests found nothing, so that the ratings it
//!   judges by are no longer bent by the votes they catch;
//! - **cohort**: voters whose cookies were created in the same ten minutes and who cast
//!   few votes each are tested together — many addresses with a few votes each show
//!   nothing one by one and a great deal together; the members whose own votes lean
//!   the same way are flagged;
//! - **burst**: many votes from one address within ten minutes that favour one model.
//!
//! Thresholds are strict (z of 4 or more), so that among thousands of honest voters
//! hardly any is flagged by chance; every finding carries its figures. The tests run in
//! stages — addresses, then cohorts, then single voters, then likelihood — and a stage
//! runs only in a pass where the earlier ones found nothing, so that what one stage
//! catches no longer bends the ratings or fills the groups the next one judges.

use std::collections::HashMap;

use arena_evaluator::Outcome;
use chrono::{DateTime, Utc};
use serde_json::json;

/// One vote that counts, reduced to what the tests need (indices into [`Input`]).
#[derive(Clone, Debug)]
pub struct VoteRecord {
    pub voter: usize,
    pub address: Option<usize>,
    pub model_a: usize,
    pub model_b: usize,
    pub outcome: Outcome,
    pub at: DateTime<Utc>,
}

/// One battle served to a voter (voted on or not), with its two models.
#[derive(Clone, Debug)]
pub struct ServedRecord {
    pub voter: usize,
    pub address: Option<usize>,
    pub model_a: usize,
    pub model_b: usize,
    pub voted: bool,
}

/// Counted votes between two models with one outcome (indices into the models).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Cell {
    pub model_a: usize,
    pub model_b: usize,
    pub outcome: Outcome,
}

/// What the detector looks at.
#[derive(Clone, Debug, Default)]
pub struct Input {
    /// Model names (slugs), for the reasons.
    pub models: Vec<String>,
    /// Every counted vote, aggregated: what the ratings are fitted on.
    pub counts: Vec<(Cell, u64)>,
    /// Voter ids, and when each voter was first seen.
    pub voters: Vec<(String, DateTime<Utc>)>,
    /// Client address hashes.
    pub addresses: Vec<String>,
    pub votes: Vec<VoteRecord>,
    pub served: Vec<ServedRecord>,
}

/// Who a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Voter(usize),
    Address(usize),
}

/// One improbable voter or address, with the figures that make it so.
#[derive(Clone, Debug)]
pub struct Finding {
    pub subject: Subject,
    /// `favouritism`, `selection`, `likelihood`, `cohort` or `burst`.
    pub test: &'static str,
    /// The model favoured, when the test names one.
    pub model: Option<usize>,
    /// A sentence for the operator.
    pub reason: String,
    pub evidence: serde_json::Value,
}

/// The thresholds; [`Default`] is what the arena runs with.
#[derive(Clone, Debug)]
pub struct Thresholds {
    /// z-score at or above which a voter's or address's test flags it.
    pub z: f64,
    /// Votes with one model a voter or address needs before favouritism is tested.
    pub min_votes: usize,
    /// Share of those votes the model must have won.
    pub min_win_share: f64,
    /// Votes a voter needs before its likelihood is tested.
    pub min_likelihood_votes: usize,
    /// A voter with at most this many votes belongs to its creation cohort.
    pub fresh_votes: usize,
    /// Minutes of voter creation that make one cohort.
    pub cohort_minutes: i64,
    /// Votes with one model a cohort needs before it is tested.
    pub min_cohort_votes: usize,
    /// Votes from one address within ten minutes that make a burst.
    pub burst_votes: usize,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            z: 4.0,
            min_votes: 8,
            min_win_share: 0.8,
            min_likelihood_votes: 20,
            fresh_votes: 20,
            cohort_minutes: 10,
            min_cohort_votes: 20,
            burst_votes: 60,
        }
    }
}

/// P(model `x` beats model `y`) under the ratings.
fn p_win(ratings: &[f64], x: usize, y: usize) -> f64 {
    1.0 / (1.0 + 10f64.powf((ratings[y] - ratings[x]) / 400.0))
}

/// Bradley–Terry ratings (Elo scale) of `counts` minus `without`: what a group's votes
/// are judged against is fitted without them, so that a group with many votes cannot
/// lift its favourite's rating and then look as if it only followed it.
fn ratings(models: &[String], counts: &[(Cell, u64)], without: &[&VoteRecord]) -> Vec<f64> {
    let mut removed: HashMap<Cell, u64> = HashMap::new();
    for v in without {
        let cell = Cell {
            model_a: v.model_a,
            model_b: v.model_b,
            outcome: v.outcome,
        };
        *removed.entry(cell).or_default() += 1;
    }
    let mut table = arena_evaluator::Counts::new();
    for (cell, n) in counts {
        let n = n.saturating_sub(removed.get(cell).copied().unwrap_or(0));
        if n > 0 {
            table.add_n(
                &models[cell.model_a],
                &models[cell.model_b],
                cell.outcome,
                n,
            );
        }
    }
    let options = arena_evaluator::LeaderboardOptions::default();
    let rating_of: HashMap<String, f64> =
        match arena_evaluator::leaderboard_from_counts(&table, &options) {
            Ok(board) => board
                .models
                .into_iter()
                .map(|e| (e.model, e.rating))
                .collect(),
            Err(_) => HashMap::new(),
        };
    // A model without votes sits at the middle of the scale.
    models
        .iter()
        .map(|m| rating_of.get(m).copied().unwrap_or(1000.0))
        .collect()
}

/// How far a set of votes favours each model beyond the ratings.
#[derive(Clone, Debug, Default)]
struct Lean {
    /// Votes with the model.
    n: usize,
    /// Wins (a tie or both-bad is half).
    won: f64,
    /// Expected wins.
    expected: f64,
    /// Variance of the wins.
    variance: f64,
}

impl Lean {
    fn add(&mut self, score: f64, p: f64) {
        self.n += 1;
        self.won += score;
        self.expected += p;
        self.variance += p * (1.0 - p);
    }

    fn z(&self) -> f64 {
        if self.variance <= 0.0 {
            return 0.0;
        }
        (self.won - self.expected) / self.variance.sqrt()
    }

    fn share(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.won / self.n as f64
        }
    }

    fn evidence(&self, models: &[String], model: usize) -> serde_json::Value {
        json!({
            "model": models[model],
            "votes_with_model": self.n,
            "model_won": self.won,
            "expected_wins": round(self.expected),
            "z": round(self.z()),
        })
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Per model, how `votes` lean.
fn leans<'a>(votes: impl Iterator<Item = &'a VoteRecord>, ratings: &[f64]) -> Vec<Lean> {
    let mut leans = vec![Lean::default(); ratings.len()];
    for v in votes {
        let (a, b) = (v.model_a, v.model_b);
        let score_a = match v.outcome {
            Outcome::A => 1.0,
            Outcome::B => 0.0,
            Outcome::Tie | Outcome::BothBad => 0.5,
        };
        let p = p_win(ratings, a, b);
        leans[a].add(score_a, p);
        leans[b].add(1.0 - score_a, 1.0 - p);
    }
    leans
}

/// Whether a set of served battles was voted on more when `model` was in them.
#[derive(Clone, Debug, Default)]
struct Selection {
    served: usize,
    served_with: usize,
    voted: usize,
    voted_with: usize,
}

impl Selection {
    /// The hypergeometric z-score of `voted_with` when votes do not depend on models.
    fn z(&self) -> f64 {
        let (n_total, k, n) = (
            self.served as f64,
            self.served_with as f64,
            self.voted as f64,
        );
        if n_total < 2.0 || k == 0.0 || k == n_total || n == 0.0 || n == n_total {
            return 0.0;
        }
        let mean = n * k / n_total;
        let var = n * (k / n_total) * (1.0 - k / n_total) * (n_total - n) / (n_total - 1.0);
        if var <= 0.0 {
            0.0
        } else {
            (self.voted_with as f64 - mean) / var.sqrt()
        }
    }

    fn voted_share(&self) -> f64 {
        if self.voted == 0 {
            0.0
        } else {
            self.voted_with as f64 / self.voted as f64
        }
    }

    fn evidence(&self) -> serde_json::Value {
        json!({
            "battles_served": self.served,
            "served_with_model": self.served_with,
            "battles_voted": self.voted,
            "voted_with_model": self.voted_with,
            "selection_z": round(self.z()),
        })
    }
}

fn selections<'a>(served: impl Iterator<Item = &'a ServedRecord>, models: usize) -> Vec<Selection> {
    let mut per = vec![Selection::default(); models];
    let mut total = 0;
    let mut voted = 0;
    for s in served {
        total += 1;
        voted += usize::from(s.voted);
        for m in [s.model_a, s.model_b] {
            per[m].served_with += 1;
            per[m].voted_with += usize::from(s.voted);
        }
    }
    for p in &mut per {
        p.served = total;
        p.voted = voted;
    }
    per
}

/// The model a group favours improbably, if any, with its lean judged against ratings
/// fitted without the group's own votes. Only models the group makes win most of the
/// time are refitted for (the share does not depend on the ratings), so honest groups
/// cost one pass.
fn favoured(
    input: &Input,
    votes: &[&VoteRecord],
    leans: &[Lean],
    min_votes: usize,
    t: &Thresholds,
) -> Option<(usize, Lean)> {
    let candidates: Vec<usize> = (0..leans.len())
        .filter(|&m| leans[m].n >= min_votes && leans[m].share() >= t.min_win_share)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let fair = ratings(&input.models, &input.counts, votes);
    let judged = self::leans(votes.iter().copied(), &fair);
    candidates
        .into_iter()
        .filter(|&m| judged[m].z() >= t.z)
        .max_by(|&a, &b| judged[a].z().total_cmp(&judged[b].z()))
        .map(|m| (m, judged[m].clone()))
}

/// The model a group votes for only when it is present, if any.
fn selected(selections: &[Selection], t: &Thresholds) -> Option<usize> {
    (0..selections.len())
        .filter(|&m| {
            let s = &selections[m];
            s.voted >= t.min_votes && s.voted_share() >= 0.9 && s.z() >= t.z
        })
        .max_by(|&a, &b| selections[a].z().total_cmp(&selections[b].z()))
}

/// z-score of a voter's log-likelihood under the ratings (decisive votes only);
/// negative when the record is less likely than an honest voter's would be.
fn likelihood_z<'a>(votes: impl Iterator<Item = &'a VoteRecord>, ratings: &[f64]) -> (usize, f64) {
    let (mut n, mut ll, mut mean, mut var) = (0usize, 0.0, 0.0, 0.0);
    for v in votes {
        let p = p_win(ratings, v.model_a, v.model_b).clamp(1e-6, 1.0 - 1e-6);
        let observed = match v.outcome {
            Outcome::A => p,
            Outcome::B => 1.0 - p,
            Outcome::Tie | Outcome::BothBad => continue,
        };
        n += 1;
        ll += observed.ln();
        mean += p * p.ln() + (1.0 - p) * (1.0 - p).ln();
        var += p * (1.0 - p) * (p / (1.0 - p)).ln().powi(2);
    }
    let z = if var > 0.0 {
        (ll - mean) / var.sqrt()
    } else {
        0.0
    };
    (n, z)
}

/// Runs every test; one finding per subject at most (the strongest reason first),
/// subjects in `already` skipped.
pub fn detect(input: &Input, t: &Thresholds, already: &[Subject]) -> Vec<Finding> {
    let models = input.models.len();
    let global = ratings(&input.models, &input.counts, &[]);
    let mut findings: Vec<Finding> = Vec::new();
    let mut seen: std::collections::HashSet<Subject> = already.iter().copied().collect();
    let mut push = |f: Finding, findings: &mut Vec<Finding>| {
        if seen.insert(f.subject) {
            findings.push(f);
        }
    };

    let mut votes_of_voter: HashMap<usize, Vec<&VoteRecord>> = HashMap::new();
    let mut votes_of_address: HashMap<usize, Vec<&VoteRecord>> = HashMap::new();
    for v in &input.votes {
        votes_of_voter.entry(v.voter).or_default().push(v);
        if let Some(a) = v.address {
            votes_of_address.entry(a).or_default().push(v);
        }
    }
    let mut served_of_voter: HashMap<usize, Vec<&ServedRecord>> = HashMap::new();
    let mut served_of_address: HashMap<usize, Vec<&ServedRecord>> = HashMap::new();
    for s in &input.served {
        served_of_voter.entry(s.voter).or_default().push(s);
        if let Some(a) = s.address {
            served_of_address.entry(a).or_default().push(s);
        }
    }

    // What a favouritism or selection finding says of its subject (`who`: "votes from
    // this address", "this voter's votes").
    let reason = |test: &str, who: &str, m: usize| match test {
        "favouritism" => format!("{who} favour {} far beyond its rating", input.models[m]),
        _ => format!(
            "{who} come almost only from battles with {}",
            input.models[m]
        ),
    };

    // The favouritism or selection finding of one group, if any.
    let lean_or_selection = |votes: &[&VoteRecord], served: &[&ServedRecord], min_votes: usize| {
        let lean = leans(votes.iter().copied(), &global);
        let select = selections(served.iter().copied(), models);
        if let Some((m, judged)) = favoured(input, votes, &lean, min_votes, t) {
            let evidence = merge(judged.evidence(&input.models, m), select[m].evidence());
            return Some(("favouritism", m, evidence));
        }
        selected(&select, t).map(|m| {
            let evidence = merge(select[m].evidence(), lean[m].evidence(&input.models, m));
            ("selection", m, evidence)
        })
    };

    // Addresses first: one address behind many cookies is one subject.
    let mut addresses: Vec<usize> = votes_of_address.keys().copied().collect();
    addresses.sort_unstable();
    for a in addresses {
        let votes = &votes_of_address[&a];
        let served = served_of_address
            .get(&a)
            .map(Vec::as_slice)
            .unwrap_or_default();
        if let Some((test, m, evidence)) = lean_or_selection(votes, served, t.min_votes) {
            let reason = reason(test, "votes from this address", m);
            let f = Finding {
                subject: Subject::Address(a),
                test,
                model: Some(m),
                reason,
                evidence,
            };
            push(f, &mut findings);
        } else if let Some(f) = burst(input, votes, a, &global, t) {
            push(f, &mut findings);
        }
    }

    let mut voters: Vec<usize> = votes_of_voter.keys().copied().collect();
    voters.sort_unstable();

    // Each later stage judges by ratings and groups that the findings of an earlier one
    // still distort (an address's cookies would sit in a cohort; its votes bend the
    // ratings): it waits for the next pass, without those votes. The scan runs again
    // until a pass finds nothing.
    if !findings.is_empty() {
        return findings;
    }

    // Cohorts: fresh voters created in the same minutes, tested together.
    let mut cohorts: HashMap<i64, Vec<usize>> = HashMap::new();
    for voter in &voters {
        if votes_of_voter[voter].len() > t.fresh_votes {
            continue;
        }
        let created = input.voters[*voter].1.timestamp();
        cohorts
            .entry(created.div_euclid(t.cohort_minutes * 60))
            .or_default()
            .push(*voter);
    }
    let mut keys: Vec<i64> = cohorts.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let members = &cohorts[&key];
        if members.len() < 2 {
            continue;
        }
        let votes: Vec<&VoteRecord> = members
            .iter()
            .flat_map(|m| votes_of_voter[m].iter().copied())
            .collect();
        let served: Vec<&ServedRecord> = members
            .iter()
            .flat_map(|m| served_of_voter.get(m).into_iter().flatten().copied())
            .collect();
        let Some((_, m, cohort)) = lean_or_selection(&votes, &served, t.min_cohort_votes) else {
            continue;
        };
        for member in members {
            let own = &votes_of_voter[member];
            let own_lean = &leans(own.iter().copied(), &global)[m];
            let with_model = own_lean.n as f64 / own.len() as f64;
            // Only members whose own votes lean the same way: the model in most of their
            // votes, and winning most of them.
            if own_lean.n >= 2 && with_model >= 0.75 && own_lean.share() >= 0.75 {
                push(
                    Finding {
                        subject: Subject::Voter(*member),
                        test: "cohort",
                        model: Some(m),
                        reason: format!(
                            "one of {} fresh voters created together whose votes favour {}",
                            members.len(),
                            input.models[m]
                        ),
                        evidence: json!({
                            "cohort_voters": members.len(),
                            "cohort": cohort,
                            "voter": own_lean.evidence(&input.models, m),
                            "voter_votes": own.len(),
                        }),
                    },
                    &mut findings,
                );
            }
        }
    }
    // The tests of single voters judge them against ratings that the addresses and
    // cohorts just found still distort: they wait for the next pass, fitted without
    // those votes (the scan runs again until nothing is found).
    if !findings.is_empty() {
        return findings;
    }
    for voter in &voters {
        let votes = &votes_of_voter[voter];
        let served = served_of_voter
            .get(voter)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let subject = Subject::Voter(*voter);
        if let Some((test, m, evidence)) = lean_or_selection(votes, served, t.min_votes) {
            let reason = reason(test, "this voter's votes", m);
            push(
                Finding {
                    subject,
                    test,
                    model: Some(m),
                    reason,
                    evidence,
                },
                &mut findings,
            );
        }
    }
    if !findings.is_empty() {
        // Likewise the likelihood test, which judges whole records.
        return findings;
    }
    for voter in &voters {
        let (n, z) = likelihood_z(votes_of_voter[voter].iter().copied(), &global);
        if n >= t.min_likelihood_votes && z <= -t.z {
            push(
                Finding {
                    subject: Subject::Voter(*voter),
                    test: "likelihood",
                    model: None,
                    reason: "this voter's votes are very improbable under the ratings".into(),
                    evidence: json!({ "decisive_votes": n, "likelihood_z": round(z) }),
                },
                &mut findings,
            );
        }
    }
    findings
}

/// Many votes from one address within ten minutes that favour one model.
fn burst(
    input: &Input,
    votes: &[&VoteRecord],
    address: usize,
    global: &[f64],
    t: &Thresholds,
) -> Option<Finding> {
    let mut times: Vec<&VoteRecord> = votes.to_vec();
    times.sort_by_key(|v| v.at);
    let window = chrono::Duration::minutes(10);
    let mut start = 0;
    for end in 0..times.len() {
        while times[end].at - times[start].at > window {
            start += 1;
        }
        if end + 1 - start < t.burst_votes {
            continue;
        }
        let burst = &times[start..=end];
        let lean = leans(burst.iter().copied(), global);
        // A burst alone is a class behind one router; leaning on a model is not.
        let relaxed = Thresholds {
            z: t.z - 1.0,
            ..t.clone()
        };
        if let Some((m, judged)) = favoured(input, burst, &lean, t.min_votes, &relaxed) {
            return Some(Finding {
                subject: Subject::Address(address),
                test: "burst",
                model: Some(m),
                reason: format!(
                    "{} votes within ten minutes from this address, favouring {}",
                    burst.len(),
                    input.models[m]
                ),
                evidence: merge(
                    json!({ "burst_votes": burst.len() }),
                    judged.evidence(&input.models, m),
                ),
            });
        }
    }
    None
}

fn merge(mut a: serde_json::Value, b: serde_json::Value) -> serde_json::Value {
    if let (Some(a), serde_json::Value::Object(b)) = (a.as_object_mut(), b) {
        for (k, v) in b {
            a.entry(k).or_insert(v);
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const MODELS: usize = 6;

    /// The true strengths the simulated voters follow.
    fn strengths() -> Vec<f64> {
        (0..MODELS)
            .map(|m| 1000.0 + 40.0 * m as f64 - 100.0)
            .collect()
    }

    /// Aggregates `input.votes` into the counts the ratings are fitted on.
    fn tally(input: &mut Input) {
        let mut counts: HashMap<Cell, u64> = HashMap::new();
        for v in &input.votes {
            let cell = Cell {
                model_a: v.model_a,
                model_b: v.model_b,
                outcome: v.outcome,
            };
            *counts.entry(cell).or_default() += 1;
        }
        input.counts = counts.into_iter().collect();
        input.counts.sort();
    }

    /// `voters` honest voters (each its own address) with `each` votes drawn from the
    /// ratings, and every battle served voted on.
    fn honest(input: &mut Input, voters: usize, each: usize, rng: &mut ChaCha8Rng) {
        let t0 = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20000);
        for _ in 0..voters {
            let voter = input.voters.len();
            let created = t0 + chrono::Duration::seconds(rng.random_range(0..86_400));
            input.voters.push((format!("v{voter}"), created));
            let address = input.addresses.len();
            input.addresses.push(format!("a{address}"));
            for _ in 0..each {
                let a = rng.random_range(0..MODELS);
                let b = (a + rng.random_range(1..MODELS)) % MODELS;
                let outcome = if rng.random::<f64>() < p_win(&strengths(), a, b) {
                    Outcome::A
                } else {
                    Outcome::B
                };
                input.votes.push(VoteRecord {
                    voter,
                    address: Some(address),
                    model_a: a,
                    model_b: b,
                    outcome,
                    at: created,
                });
                input.served.push(ServedRecord {
                    voter,
                    address: Some(address),
                    model_a: a,
                    model_b: b,
                    voted: true,
                });
            }
        }
    }

    fn base() -> Input {
        Input {
            models: (0..MODELS).map(|m| format!("m{m}")).collect(),
            ..Input::default()
        }
    }

    #[test]
    fn honest_voters_are_not_flagged() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut input = base();
        honest(&mut input, 2000, 15, &mut rng);
        tally(&mut input);
        let findings = detect(&input, &Thresholds::default(), &[]);
        assert!(findings.len() <= 2, "{findings:?}");
    }

    #[test]
    fn one_address_behind_many_cookies_voting_for_one_model_is_flagged() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let mut input = base();
        honest(&mut input, 200, 15, &mut rng);
        let address = input.addresses.len();
        input.addresses.push("attacker".into());
        let first_attacker = input.voters.len();
        let target = 1;
        let t0 = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20001);
        for k in 0..60 {
            let voter = input.voters.len();
            input
                .voters
                .push((format!("rot{k}"), t0 + chrono::Duration::minutes(k)));
            for j in 0..5 {
                let other = (target + 1 + (k as usize + j) % (MODELS - 1)) % MODELS;
                input.votes.push(VoteRecord {
                    voter,
                    address: Some(address),
                    model_a: target,
                    model_b: other,
                    outcome: Outcome::A,
                    at: t0 + chrono::Duration::minutes(k),
                });
                input.served.push(ServedRecord {
                    voter,
                    address: Some(address),
                    model_a: target,
                    model_b: other,
                    voted: true,
                });
            }
        }
        tally(&mut input);
        let findings = detect(&input, &Thresholds::default(), &[]);
        let f = findings
            .iter()
            .find(|f| f.subject == Subject::Address(address))
            .expect("flagged");
        assert_eq!(f.model, Some(target));
        let honest_flagged = findings
            .iter()
            .filter(|f| matches!(f.subject, Subject::Voter(v) if v < first_attacker))
            .count();
        assert!(honest_flagged <= 1, "{findings:?}");
    }

    #[test]
    fn many_fresh_addresses_with_a_few_votes_each_are_flagged_as_a_cohort() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut input = base();
        honest(&mut input, 300, 15, &mut rng);
        let target = 2;
        let t0 = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20002);
        let first_attacker = input.voters.len();
        for k in 0..80 {
            let voter = input.voters.len();
            input
                .voters
                .push((format!("sybil{k}"), t0 + chrono::Duration::seconds(k)));
            let address = input.addresses.len();
            input.addresses.push(format!("sybil-address-{k}"));
            // Served ten battles, voted on the four with the target.
            for j in 0..10 {
                let a = (k as usize + j) % MODELS;
                let b = (a + 1 + j % (MODELS - 1)) % MODELS;
                let with = a == target || b == target;
                input.served.push(ServedRecord {
                    voter,
                    address: Some(address),
                    model_a: a,
                    model_b: b,
                    voted: with,
                });
                if with {
                    let outcome = if a == target { Outcome::A } else { Outcome::B };
                    input.votes.push(VoteRecord {
                        voter,
                        address: Some(address),
                        model_a: a,
                        model_b: b,
                        outcome,
                        at: t0,
                    });
                }
            }
        }
        tally(&mut input);
        let findings = detect(&input, &Thresholds::default(), &[]);
        let caught = findings
            .iter()
            .filter(|f| matches!(f.subject, Subject::Voter(v) if v >= first_attacker))
            .count();
        let honest_flagged = findings
            .iter()
            .filter(|f| matches!(f.subject, Subject::Voter(v) if v < first_attacker))
            .count();
        assert!(caught >= 70, "caught {caught} of 80: {findings:?}");
        assert!(
            honest_flagged <= 3,
            "{honest_flagged} honest voters flagged"
        );
    }
}

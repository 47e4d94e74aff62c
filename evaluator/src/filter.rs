//! Which votes count: anonymity, category, time range, the arena's own exclusions.

use serde::{Deserialize, Serialize};

use crate::vote::Vote;

/// Which votes a leaderboard read from a file is computed on.
///
/// A field a vote lacks never excludes it, except when the filter asks for that field:
/// with a `category` set, votes without one are left out; with a time range set, votes
/// without a `tstamp` are left out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VoteFilter {
    /// Leave out votes whose `anony` field is `false` (as LMArena's leaderboard does).
    /// Files without the field are unaffected.
    pub anonymous_only: bool,
    /// Keep only votes of this `category` (or `task`).
    pub category: Option<String>,
    /// Keep only votes with `tstamp >= since` (Unix seconds).
    pub since: Option<f64>,
    /// Keep only votes with `tstamp < until` (Unix seconds).
    pub until: Option<f64>,
}

impl Default for VoteFilter {
    fn default() -> Self {
        VoteFilter {
            anonymous_only: true,
            category: None,
            since: None,
            until: None,
        }
    }
}

/// Why a vote was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exclusion {
    /// `anony` is false and the filter wants anonymous battles only.
    NotAnonymous,
    /// Another category, or none while the filter asks for one.
    OtherCategory,
    /// Before `since`, at or after `until`, or no `tstamp` while a range is set.
    OutsideTimeRange,
    /// The arena marked the vote `counts_for_leaderboard: false`.
    NotCounted,
}

impl VoteFilter {
    /// `Ok` when the vote counts, else the reason it does not.
    ///
    /// # Examples
    ///
    /// ```
    /// use arena_evaluator::{Exclusion, Outcome, Vote, VoteFilter};
    /// let vote = Vote {
    ///     model_a: "x", model_b: "y", outcome: Outcome::A, anony: Some(false),
    ///     tstamp: None, category: None, counts_for_leaderboard: None, judge: None, line: 1,
    ///     kwise: None,
    /// };
    /// assert_eq!(VoteFilter::default().admits(&vote), Err(Exclusion::NotAnonymous));
    /// let everything = VoteFilter { anonymous_only: false, ..VoteFilter::default() };
    /// assert_eq!(everything.admits(&vote), Ok(()));
    /// ```
    pub fn admits(&self, vote: &Vote<'_>) -> Result<(), Exclusion> {
        if vote.counts_for_leaderboard == Some(false) {
            return Err(Exclusion::NotCounted);
        }
        if self.anonymous_only && vote.anony == Some(false) {
            return Err(Exclusion::NotAnonymous);
        }
        if let Some(want) = &self.category {
            if vote.category != Some(want.as_str()) {
                return Err(Exclusion::OtherCategory);
            }
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(t) = vote.tstamp else {
                return Err(Exclusion::OutsideTimeRange);
            };
            let after_start = self.since.is_none_or(|s| t >= s);
            let before_end = self.until.is_none_or(|u| t < u);
            if !(after_start && before_end) {
                return Err(Exclusion::OutsideTimeRange);
            }
        }
        Ok(())
    }
}

/// How many votes were left out of a leaderboard, by reason. Nothing is dropped
/// silently: every vote read is either counted or counted here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Excluded {
    /// Non-anonymous battles (see [`VoteFilter::anonymous_only`]).
    pub not_anonymous: u64,
    /// Votes of another category.
    pub other_category: u64,
    /// Votes outside the time range.
    pub outside_time_range: u64,
    /// Votes the arena marked as not counting.
    pub not_counted: u64,
    /// Votes where a model met itself (they carry no information).
    pub self_battles: u64,
    /// Both-bad votes, when the options exclude them.
    pub both_bad: u64,
    /// Votes without an answer on the judgement axis rated (`axis` of the options):
    /// their voter skipped that question, or the arena did not ask it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub no_answer: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Excluded {
    /// Counts one excluded vote.
    pub fn record(&mut self, reason: Exclusion) {
        match reason {
            Exclusion::NotAnonymous => self.not_anonymous += 1,
            Exclusion::OtherCategory => self.other_category += 1,
            Exclusion::OutsideTimeRange => self.outside_time_range += 1,
            Exclusion::NotCounted => self.not_counted += 1,
        }
    }

    /// Adds the counts of `other` (from another part of the same input).
    pub(crate) fn absorb(&mut self, other: &Excluded) {
        self.not_anonymous += other.not_anonymous;
        self.other_category += other.other_category;
        self.outside_time_range += other.outside_time_range;
        self.not_counted += other.not_counted;
        self.self_battles += other.self_battles;
        self.both_bad += other.both_bad;
        self.no_answer += other.no_answer;
    }

    /// All excluded votes together.
    pub fn total(&self) -> u64 {
        self.not_anonymous
            + self.other_category
            + self.outside_time_range
            + self.not_counted
            + self.self_battles
            + self.both_bad
            + self.no_answer
    }
}

//! One vote as the readers hand it out, and the outcome labels we accept.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The result of one battle, from `model_a`'s side.
///
/// Parsed from FastChat's labels (`model_a`, `model_b`, `tie`, `tie (bothbad)`), the
/// arena's API labels (`a`, `b`, `tie`, `both_bad`) and LLMFAO's (`left`, `right`).
///
/// # Examples
///
/// ```
/// use arena_evaluator::Outcome;
/// assert_eq!("tie (bothbad)".parse::<Outcome>().unwrap(), Outcome::BothBad);
/// assert_eq!("b".parse::<Outcome>().unwrap(), Outcome::B);
/// assert!("draw".parse::<Outcome>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// `model_a` won.
    A,
    /// `model_b` won.
    B,
    /// Both were equally good.
    Tie,
    /// Both were bad (a tie or excluded, depending on [`BothBad`](crate::BothBad)).
    BothBad,
}

impl Outcome {
    /// The same result seen from the other side (A and B swap).
    pub fn swapped(self) -> Self {
        match self {
            Outcome::A => Outcome::B,
            Outcome::B => Outcome::A,
            other => other,
        }
    }

    /// The label FastChat writes for this outcome.
    pub fn fastchat_label(self) -> &'static str {
        match self {
            Outcome::A => "model_a",
            Outcome::B => "model_b",
            Outcome::Tie => "tie",
            Outcome::BothBad => "tie (bothbad)",
        }
    }

    /// Parses a label given as bytes (the readers' hot path avoids UTF-8 checks here).
    pub(crate) fn from_bytes(label: &[u8]) -> Option<Self> {
        Some(match label {
            b"model_a" | b"a" | b"left" => Outcome::A,
            b"model_b" | b"b" | b"right" => Outcome::B,
            b"tie" => Outcome::Tie,
            b"tie (bothbad)" | b"both_bad" | b"bothbad" | b"both bad" => Outcome::BothBad,
            _ => return None,
        })
    }
}

impl FromStr for Outcome {
    type Err = Error;

    fn from_str(label: &str) -> Result<Self, Error> {
        Outcome::from_bytes(label.as_bytes()).ok_or_else(|| Error::UnknownOutcome(label.to_owned()))
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.fastchat_label())
    }
}

/// One vote, borrowed from the reader's buffer for the duration of a callback.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vote<'a> {
    /// The model shown on the left.
    pub model_a: &'a str,
    /// The model shown on the right.
    pub model_b: &'a str,
    /// Who won.
    pub outcome: Outcome,
    /// Whether the battle was anonymous; `None` when the file has no such field.
    pub anony: Option<bool>,
    /// Unix time of the vote in seconds, if the file has it.
    pub tstamp: Option<f64>,
    /// The `category` field, or else the `task` field.
    pub category: Option<&'a str>,
    /// `false` for votes the arena marked as excluded (the export's
    /// `counts_for_leaderboard`); `None` when the field is absent.
    pub counts_for_leaderboard: Option<bool>,
    /// Who voted, as the file names them (`judge`, or else `voter`); an opaque id.
    pub judge: Option<&'a str>,
    /// 1-based line where the vote starts.
    pub line: u64,
}

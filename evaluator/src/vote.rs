//! One vote as the readers hand it out, and the outcome labels we accept.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The result of one pairwise battle, from `model_a`'s side.
///
/// Every place that reads or writes an outcome goes through this type; each outside
/// spelling is parsed once, at the edge where it arrives, and written from here:
///
/// | outcome | the arena ([`Outcome::as_str`]: API, database) | FastChat | GenAI-Bench |
/// |---|---|---|---|
/// | [`Outcome::A`] | `a` | `model_a` | `leftvote` |
/// | [`Outcome::B`] | `b` | `model_b` | `rightvote` |
/// | [`Outcome::Tie`] | `tie` | `tie` | `tievote` |
/// | [`Outcome::BothBad`] | `both_bad` | `tie (bothbad)` | `bothbad_vote` |
///
/// The strict parsers ([`Outcome::parse_arena`], [`Outcome::parse_fastchat`],
/// [`Outcome::parse_genai_bench`]) accept their own spelling only. [`FromStr`] is the
/// vote-file readers' lenient parser: the arena's and FastChat's spellings, `bothbad`,
/// `both bad`, and LLMFAO's `left` and `right`. An unknown label is always an error,
/// never a default.
///
/// # Examples
///
/// ```
/// use arena_evaluator::Outcome;
/// assert_eq!("tie (bothbad)".parse::<Outcome>().unwrap(), Outcome::BothBad);
/// assert_eq!("b".parse::<Outcome>().unwrap(), Outcome::B);
/// assert!("draw".parse::<Outcome>().is_err());
/// assert_eq!(Outcome::parse_genai_bench("leftvote").unwrap(), Outcome::A);
/// assert!(Outcome::parse_arena("model_a").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "A pairwise vote: `a` or `b` won, a `tie`, or `both_bad`.")
)]
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
    /// Every outcome, in the order above.
    pub const ALL: [Outcome; 4] = [Outcome::A, Outcome::B, Outcome::Tie, Outcome::BothBad];

    /// The same result seen from the other side (A and B swap).
    pub fn swapped(self) -> Self {
        match self {
            Outcome::A => Outcome::B,
            Outcome::B => Outcome::A,
            Outcome::Tie => Outcome::Tie,
            Outcome::BothBad => Outcome::BothBad,
        }
    }

    /// The image that won, if one did.
    pub fn winner(self) -> Option<Position> {
        match self {
            Outcome::A => Some(Position::A),
            Outcome::B => Some(Position::B),
            Outcome::Tie | Outcome::BothBad => None,
        }
    }

    /// The outcome of a pairwise battle that `position` won; `None` for a position
    /// beyond B, which a pair does not have.
    pub fn won_by(position: Position) -> Option<Outcome> {
        match position.index() {
            0 => Some(Outcome::A),
            1 => Some(Outcome::B),
            _ => None,
        }
    }

    /// The arena's own spelling, used by its API and stored in its database:
    /// `a`, `b`, `tie`, `both_bad` (the serde form too).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::A => "a",
            Outcome::B => "b",
            Outcome::Tie => "tie",
            Outcome::BothBad => "both_bad",
        }
    }

    /// The label FastChat writes for this outcome (also the `winner` column of the
    /// arena's JSONL, CSV and Parquet exports).
    pub fn fastchat_label(self) -> &'static str {
        match self {
            Outcome::A => "model_a",
            Outcome::B => "model_b",
            Outcome::Tie => "tie",
            Outcome::BothBad => "tie (bothbad)",
        }
    }

    /// GenAI-Bench's `vote_type` for this outcome.
    pub fn genai_bench_label(self) -> &'static str {
        match self {
            Outcome::A => "leftvote",
            Outcome::B => "rightvote",
            Outcome::Tie => "tievote",
            Outcome::BothBad => "bothbad_vote",
        }
    }

    /// Parses the arena's spelling ([`Outcome::as_str`]) and nothing else.
    pub fn parse_arena(label: &str) -> Result<Outcome, Error> {
        Outcome::parse_with(label, Outcome::as_str, "the arena", "a, b, tie or both_bad")
    }

    /// Parses FastChat's spelling ([`Outcome::fastchat_label`]) and nothing else.
    pub fn parse_fastchat(label: &str) -> Result<Outcome, Error> {
        Outcome::parse_with(
            label,
            Outcome::fastchat_label,
            "FastChat",
            "model_a, model_b, tie or tie (bothbad)",
        )
    }

    /// Parses GenAI-Bench's spelling ([`Outcome::genai_bench_label`]) and nothing else.
    pub fn parse_genai_bench(label: &str) -> Result<Outcome, Error> {
        Outcome::parse_with(
            label,
            Outcome::genai_bench_label,
            "GenAI-Bench",
            "leftvote, rightvote, tievote or bothbad_vote",
        )
    }

    fn parse_with(
        label: &str,
        spell: fn(Outcome) -> &'static str,
        spelling: &'static str,
        expected: &'static str,
    ) -> Result<Outcome, Error> {
        Outcome::ALL
            .into_iter()
            .find(|o| spell(*o) == label)
            .ok_or_else(|| Error::UnknownLabel {
                spelling,
                label: label.to_owned(),
                expected,
            })
    }

    /// Parses a label given as bytes (the readers' hot path avoids UTF-8 checks here).
    #[inline]
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

/// Database rows carry the arena's spelling; anything else in a row is an error.
impl TryFrom<String> for Outcome {
    type Error = Error;

    fn try_from(label: String) -> Result<Self, Error> {
        Outcome::parse_arena(&label)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.fastchat_label())
    }
}

/// A place among a battle's images, in the order they are shown: A (left, or first),
/// B, and for K-wise battles C and D. A pairwise battle has A and B.
///
/// # Examples
///
/// ```
/// use arena_evaluator::Position;
/// assert_eq!(Position::parse("c"), Some(Position::C));
/// assert_eq!(Position::B.index(), 1);
/// assert_eq!(Position::new(3).map(Position::letter), Some("d"));
/// assert_eq!(Position::new(4), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position(u8);

impl Position {
    /// The first image (left in a pair).
    pub const A: Position = Position(0);
    /// The second image (right in a pair).
    pub const B: Position = Position(1);
    /// The third image of a K-wise battle.
    pub const C: Position = Position(2);
    /// The fourth image of a K-wise battle.
    pub const D: Position = Position(3);
    /// The most images a battle shows.
    pub const MAX: usize = 4;
    const LETTERS: [&'static str; Position::MAX] = ["a", "b", "c", "d"];

    /// The position at `index` (0 is A), if a battle can have it.
    pub fn new(index: usize) -> Option<Position> {
        (index < Position::MAX).then_some(Position(index as u8))
    }

    /// 0 for A, 1 for B, …
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// `a`, `b`, `c` or `d`: how the API and the pages name it.
    pub fn letter(self) -> &'static str {
        Position::LETTERS[self.index()]
    }

    /// The position a letter names.
    pub fn parse(letter: &str) -> Option<Position> {
        Position::LETTERS
            .iter()
            .position(|l| *l == letter)
            .map(|i| Position(i as u8))
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.letter().to_uppercase())
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
    /// The rest of a battle of three or four images (`None` for a pair). For such a
    /// vote `outcome` is meaningless ([`Outcome::A`]); the choice is here.
    pub kwise: Option<Kwise<'a>>,
}

/// What a vote on three or four images adds to `model_a` and `model_b`: the other
/// models shown, the one chosen best and the one chosen worst (if any), as positions.
///
/// In files a K-wise vote is one row with `model_c` (and `model_d`), `winner` naming
/// a position (`model_c`, or the arena's `c`) and an optional `worst` spelled alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kwise<'a> {
    /// The third model.
    pub model_c: &'a str,
    /// The fourth model, in a battle of four.
    pub model_d: Option<&'a str>,
    /// The position chosen best.
    pub best: Position,
    /// The position chosen worst, if the voter chose one.
    pub worst: Option<Position>,
}

impl Vote<'_> {
    /// The models shown, in position order (two to four).
    pub fn models(&self) -> impl Iterator<Item = &str> + '_ {
        let rest = self.kwise.iter().flat_map(|k| [Some(k.model_c), k.model_d]);
        [self.model_a, self.model_b]
            .into_iter()
            .chain(rest.flatten())
    }
}

impl Position {
    /// The position a winner (or worst) label of a K-wise vote names: `model_a` …
    /// `model_d` (FastChat's spelling), `a` … `d` (the arena's).
    pub(crate) fn from_label(label: &[u8]) -> Option<Position> {
        match label {
            b"model_a" | b"a" => Some(Position::A),
            b"model_b" | b"b" => Some(Position::B),
            b"model_c" | b"c" => Some(Position::C),
            b"model_d" | b"d" => Some(Position::D),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_round_trips_through_each_spelling_and_only_its_own() {
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse_arena(o.as_str()).unwrap(), o);
            assert_eq!(Outcome::parse_fastchat(o.fastchat_label()).unwrap(), o);
            assert_eq!(
                Outcome::parse_genai_bench(o.genai_bench_label()).unwrap(),
                o
            );
            assert_eq!(Outcome::try_from(o.as_str().to_string()).unwrap(), o);
            assert_eq!(o.as_str().parse::<Outcome>().unwrap(), o);
            assert_eq!(o.fastchat_label().parse::<Outcome>().unwrap(), o);
            let json = serde_json::to_string(&o).unwrap();
            assert_eq!(json, format!("\"{}\"", o.as_str()));
            assert_eq!(serde_json::from_str::<Outcome>(&json).unwrap(), o);
        }
        // Each strict parser refuses the others' spellings (where they differ).
        assert!(Outcome::parse_arena("model_a").is_err());
        assert!(Outcome::parse_arena("tie (bothbad)").is_err());
        assert!(Outcome::parse_fastchat("both_bad").is_err());
        assert!(Outcome::parse_fastchat("a").is_err());
        assert!(Outcome::parse_genai_bench("tie").is_err());
        assert!(Outcome::parse_genai_bench("model_b").is_err());
    }

    #[test]
    fn an_unknown_label_is_an_error_that_names_it_never_a_default() {
        for label in ["", "draw", "A", "Tie", "both-bad", "bothbad_vote "] {
            for parsed in [
                Outcome::parse_arena(label),
                Outcome::parse_fastchat(label),
                Outcome::parse_genai_bench(label),
                Outcome::try_from(label.to_string()),
            ] {
                let err = parsed.expect_err(label).to_string();
                assert!(err.contains(&format!("{label:?}")), "{err}");
            }
        }
    }

    #[test]
    fn positions_are_letters_a_to_d_and_pairs_win_at_a_or_b() {
        for i in 0..Position::MAX {
            let p = Position::new(i).unwrap();
            assert_eq!(Position::parse(p.letter()), Some(p));
            assert_eq!(p.index(), i);
        }
        assert_eq!(Position::parse("e"), None);
        assert_eq!(Outcome::won_by(Position::A), Some(Outcome::A));
        assert_eq!(Outcome::won_by(Position::B), Some(Outcome::B));
        assert_eq!(Outcome::won_by(Position::C), None);
        for o in Outcome::ALL {
            assert_eq!(o.winner().and_then(Outcome::won_by), o.winner().map(|_| o));
            assert_eq!(o.swapped().swapped(), o);
        }
    }
}

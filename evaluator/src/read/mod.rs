//! Streaming readers for vote files: JSONL, CSV and FastChat's clean-battle JSON.
//!
//! Every reader hands out one [`Vote`] at a time, borrowed from its buffer, so memory
//! stays flat however long the file is. [`read_counts`] goes one step further and
//! folds the stream into per-pair [`Counts`] as it reads.

mod csv;
mod fastchat;
pub(crate) mod json;
mod jsonl;

use std::io::BufRead;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::counts::Counts;
use crate::error::{Error, Result};
use crate::filter::{Excluded, VoteFilter};
use crate::vote::{Outcome, Vote};

/// The layout of a vote file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Decide from the first non-space byte: `[` FastChat, `{` JSONL, anything else CSV.
    #[default]
    Auto,
    /// One JSON object per line.
    Jsonl,
    /// A header row, then one vote per row.
    Csv,
    /// FastChat's clean-battle file: one JSON array of vote objects.
    Fastchat,
}

impl Format {
    /// The format a file name implies (`.jsonl`/`.ndjson`, `.csv`), or `Auto` when the
    /// extension does not settle it (`.json` may be either JSONL or a FastChat array).
    ///
    /// # Examples
    ///
    /// ```
    /// use arena_evaluator::Format;
    /// use std::path::Path;
    /// assert_eq!(Format::from_extension(Path::new("votes.csv")), Format::Csv);
    /// assert_eq!(Format::from_extension(Path::new("clean_battle.json")), Format::Auto);
    /// ```
    pub fn from_extension(path: &Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(ext) if ext == "jsonl" || ext == "ndjson" => Format::Jsonl,
            Some(ext) if ext == "csv" => Format::Csv,
            _ => Format::Auto,
        }
    }

    /// The format the first non-space byte of a file implies (`None`: an empty file,
    /// read as JSONL with no votes).
    pub fn sniff(first_non_space_byte: Option<u8>) -> Format {
        match first_non_space_byte {
            Some(b'[') => Format::Fastchat,
            Some(b'{') | None => Format::Jsonl,
            Some(_) => Format::Csv,
        }
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Format::Auto),
            "jsonl" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "fastchat" => Ok(Format::Fastchat),
            other => Err(Error::InvalidOption(format!(
                "unknown format {other:?} (expected auto, jsonl, csv or fastchat)"
            ))),
        }
    }
}

/// Calls `f` for every vote in `reader`, in file order; stops at the first error
/// (a malformed line names its line number) or the first error `f` returns.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{for_each_vote, Format, Outcome};
/// let file = "{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"model_b\"}\n";
/// let mut seen = Vec::new();
/// for_each_vote(file.as_bytes(), Format::Auto, |v| {
///     seen.push((v.model_a.to_string(), v.outcome));
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!(seen, [("x".to_string(), Outcome::B)]);
/// ```
pub fn for_each_vote<R, F>(mut reader: R, format: Format, f: F) -> Result<()>
where
    R: BufRead,
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    match resolve(&mut reader, format)? {
        Format::Jsonl | Format::Auto => jsonl::read(reader, f),
        Format::Csv => csv::read(reader, f),
        Format::Fastchat => fastchat::read(reader, f),
    }
}

/// `format`, or for `Auto` the format the first non-space byte implies.
fn resolve<R: BufRead>(reader: &mut R, format: Format) -> Result<Format> {
    Ok(match format {
        Format::Auto => {
            let buf = reader.fill_buf()?;
            let body = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
            Format::sniff(body.iter().copied().find(|b| !json::is_ws(*b)))
        }
        known => known,
    })
}

/// Votes folded into counts, with what the filter left out.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    /// Per-pair counts of the votes that passed the filter.
    pub counts: Counts,
    /// How many votes were left out, by reason.
    pub excluded: Excluded,
}

/// Reads a vote file into per-pair [`Counts`], applying `filter` on the way.
/// Memory is the counts (O(models²)), not the votes.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{read_counts, Format, VoteFilter};
/// let csv = "model_a,model_b,winner,anony\nx,y,model_a,true\nx,y,tie,false\n";
/// let tally = read_counts(csv.as_bytes(), Format::Csv, &VoteFilter::default()).unwrap();
/// assert_eq!(tally.counts.total(), 1);
/// assert_eq!(tally.excluded.not_anonymous, 1);
/// ```
pub fn read_counts<R: BufRead>(reader: R, format: Format, filter: &VoteFilter) -> Result<Tally> {
    read_tally(reader, format, filter, false).map(|(tally, _)| tally)
}

/// One vote kept in order for online Elo: indices into the tally's [`Counts`].
/// 24 bytes: the time is NaN when the vote has none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrderedVote {
    pub tstamp: f64,
    pub a: u32,
    pub b: u32,
    pub outcome: Outcome,
}

/// Reads into counts and, when `keep_order`, also keeps the admitted votes in file
/// order (the only path whose memory grows with the number of votes).
pub(crate) fn read_tally<R: BufRead>(
    mut reader: R,
    format: Format,
    filter: &VoteFilter,
    keep_order: bool,
) -> Result<(Tally, Vec<OrderedVote>)> {
    let format = resolve(&mut reader, format)?;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let mut tally = Tally::default();
    let mut order = Vec::new();
    if !keep_order && format == Format::Jsonl && threads > 1 {
        let mut sinks = vec![Tally::default(); threads];
        jsonl::read_parallel(reader, &mut sinks, &|tally: &mut Tally, vote: &Vote<'_>| {
            tally.take(filter, vote);
            Ok(())
        })?;
        for part in &sinks {
            tally.counts.merge(&part.counts);
            tally.excluded.absorb(&part.excluded);
        }
    } else {
        for_each_vote(reader, format, |vote| {
            if let Some((a, b)) = tally.take(filter, vote) {
                if keep_order && a != b {
                    order.push(OrderedVote {
                        tstamp: vote.tstamp.unwrap_or(f64::NAN),
                        a,
                        b,
                        outcome: vote.outcome,
                    });
                }
            }
            Ok(())
        })?;
    }
    tally.excluded.self_battles = tally.counts.self_battles();
    Ok((tally, order))
}

impl Tally {
    /// Counts `vote` if `filter` admits it (returning its model indices), else
    /// records why not.
    fn take(&mut self, filter: &VoteFilter, vote: &Vote<'_>) -> Option<(u32, u32)> {
        if let Err(reason) = filter.admits(vote) {
            self.excluded.record(reason);
            return None;
        }
        let a = self.counts.intern(vote.model_a);
        let b = self.counts.intern(vote.model_b);
        self.counts.add_indices(a, b, vote.outcome, 1);
        Some((a, b))
    }
}

/// Turns the scanner's fields into a [`Vote`], checking the required ones.
pub(crate) fn raw_to_vote<'a>(raw: &'a json::RawVote<'_>, line: u64) -> Result<Vote<'a>> {
    let missing = |name: &str| Error::Parse {
        line,
        message: format!("missing field {name}"),
    };
    let model_a = raw.model_a.as_deref().ok_or_else(|| missing("model_a"))?;
    let model_b = raw.model_b.as_deref().ok_or_else(|| missing("model_b"))?;
    let winner = raw.winner.as_deref().ok_or_else(|| missing("winner"))?;
    Ok(Vote {
        model_a: nonempty(model_a, "model_a", line)?,
        model_b: nonempty(model_b, "model_b", line)?,
        outcome: parse_outcome(winner.as_bytes(), line)?,
        anony: raw.anony,
        tstamp: raw.tstamp,
        category: raw.category.as_deref().or(raw.task.as_deref()),
        counts_for_leaderboard: raw.counts_for_leaderboard,
        judge: raw.judge.as_deref().or(raw.voter.as_deref()),
        line,
    })
}

pub(crate) fn nonempty<'a>(name: &'a str, field: &str, line: u64) -> Result<&'a str> {
    if name.chars().all(char::is_whitespace) {
        Err(Error::Parse {
            line,
            message: format!("field {field} is empty"),
        })
    } else {
        Ok(name)
    }
}

pub(crate) fn parse_outcome(label: &[u8], line: u64) -> Result<Outcome> {
    Outcome::from_bytes(label).ok_or_else(|| Error::Parse {
        line,
        message: Error::UnknownOutcome(String::from_utf8_lossy(label).into_owned()).to_string(),
    })
}

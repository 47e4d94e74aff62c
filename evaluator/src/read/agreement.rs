//! Whether the fast readers and the reference reader agree on one input: the check
//! that the differential tests and the fuzz target share.

use super::Format;
use super::reference::{self, MALFORMED_JSON};
use crate::error::{Error, Result};
use crate::vote::{Kwise, Position, Vote};

/// One vote with everything a reader hands out, owned, for comparing readers.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    model_a: String,
    model_b: String,
    outcome: crate::vote::Outcome,
    anony: Option<bool>,
    tstamp: Option<f64>,
    category: Option<String>,
    counts_for_leaderboard: Option<bool>,
    judge: Option<String>,
    line: u64,
    /// (model_c, model_d, best, worst) of a K-wise vote.
    kwise: Option<(String, Option<String>, Position, Option<Position>)>,
}

impl Seen {
    fn of(v: &Vote<'_>) -> Seen {
        Seen {
            model_a: v.model_a.to_owned(),
            model_b: v.model_b.to_owned(),
            outcome: v.outcome,
            anony: v.anony,
            tstamp: v.tstamp,
            category: v.category.map(str::to_owned),
            counts_for_leaderboard: v.counts_for_leaderboard,
            judge: v.judge.map(str::to_owned),
            line: v.line,
            kwise: v.kwise.map(|k| {
                (
                    k.model_c.to_owned(),
                    k.model_d.map(str::to_owned),
                    k.best,
                    k.worst,
                )
            }),
        }
    }

    fn as_vote(&self) -> Vote<'_> {
        Vote {
            model_a: &self.model_a,
            model_b: &self.model_b,
            outcome: self.outcome,
            anony: self.anony,
            tstamp: self.tstamp,
            category: self.category.as_deref(),
            counts_for_leaderboard: self.counts_for_leaderboard,
            judge: self.judge.as_deref(),
            line: self.line,
            kwise: self.kwise.as_ref().map(|(c, d, best, worst)| Kwise {
                model_c: c,
                model_d: d.as_deref(),
                best: *best,
                worst: *worst,
            }),
        }
    }
}

fn collect(
    read: impl FnOnce(&mut dyn FnMut(&Vote<'_>) -> Result<()>) -> Result<()>,
) -> (Vec<Seen>, Result<()>) {
    let mut seen = Vec::new();
    let result = read(&mut |v| {
        seen.push(Seen::of(v));
        Ok(())
    });
    (seen, result)
}

/// Whether two errors are the same refusal: the same line and message, except that
/// for an error in the JSON itself the messages differ (`serde_json` words them its
/// own way) and, in a FastChat array, the fast reader names the line the element
/// starts on, which `serde_json` may place later.
fn same_refusal(fast: &Error, reference: &Error, format: Format) -> bool {
    match (fast, reference) {
        (
            Error::Parse { line, message },
            Error::Parse {
                line: ref_line,
                message: ref_message,
            },
        ) => {
            if !ref_message.starts_with(MALFORMED_JSON) {
                line == ref_line && message == ref_message
            } else if format == Format::Fastchat {
                line <= ref_line
            } else {
                line == ref_line
            }
        }
        (Error::Io(_), Error::Io(_)) => true,
        _ => false,
    }
}

/// Reads `bytes` with the reference reader and every fast path (one thread; blocks
/// split between threads; a file in shares, with 1 to 4 threads when `file` is given,
/// a scratch path this may overwrite) and returns the first disagreement: different
/// votes, a refusal on one side only, or refusals for different lines or reasons.
/// The tests and the fuzz target both use it.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{reference, Format};
/// let file = b"{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"tie\"}\n{\"model_a\": 1}\n";
/// reference::check_agreement(file, Format::Auto, None).unwrap();
/// ```
pub fn check_agreement(
    bytes: &[u8],
    format: Format,
    file: Option<&std::path::Path>,
) -> std::result::Result<(), String> {
    let (ref_votes, ref_result) = collect(|f| reference::for_each_vote(bytes, format, f));
    let (fast_votes, fast_result) = collect(|f| crate::read::for_each_vote(bytes, format, f));
    if fast_votes != ref_votes {
        let at = fast_votes
            .iter()
            .zip(&ref_votes)
            .position(|(a, b)| a != b)
            .unwrap_or(fast_votes.len().min(ref_votes.len()));
        return Err(format!(
            "the readers hand out different votes from vote {at}: fast {:?}, reference {:?} \
             (fast {} votes then {fast_result:?}, reference {} then {ref_result:?})",
            fast_votes.get(at),
            ref_votes.get(at),
            fast_votes.len(),
            ref_votes.len(),
        ));
    }
    // What `Auto` turns out to be decides how the refusals compare.
    let resolved = super::resolve(&mut &bytes[..], format).map_err(|e| e.to_string())?;
    let agree = |what: &str, fast: &Result<()>| -> std::result::Result<(), String> {
        match (fast, &ref_result) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(f), Err(r)) if same_refusal(f, r, resolved) => Ok(()),
            (f, r) => Err(format!("{what}: fast {f:?}, reference {r:?}")),
        }
    };
    agree("one thread", &fast_result)?;
    // The counting paths: the same tally as the reference's votes, or the same error.
    let filter = crate::filter::VoteFilter::default();
    let mut expected = super::Tally::default();
    for v in &ref_votes {
        expected.add(&filter, &v.as_vote());
    }
    expected.excluded.self_battles = expected.counts.self_battles();
    let same_tally = |what: &str, got: Result<super::Tally>| -> std::result::Result<(), String> {
        match got {
            Ok(tally) => {
                if ref_result.is_err() {
                    return Err(format!(
                        "{what}: accepted what the reference refused: {ref_result:?}"
                    ));
                }
                tally_diff(&tally, &expected).map_err(|d| format!("{what}: {d}"))
            }
            Err(e) => agree(what, &Err(e)),
        }
    };
    same_tally(
        "blocks split between threads",
        super::read_counts(bytes, format, &filter),
    )?;
    if let Some(path) = file {
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        for threads in 1..=4 {
            let got = super::read_tally_from_path(path, format, &filter, false, Some(threads));
            same_tally(&format!("a file in {threads} shares"), got.map(|(t, _)| t))?;
        }
    }
    Ok(())
}

fn tally_diff(got: &super::Tally, want: &super::Tally) -> std::result::Result<(), String> {
    if got.excluded != want.excluded {
        return Err(format!(
            "exclusions differ: {:?} vs {:?}",
            got.excluded, want.excluded
        ));
    }
    if got.counts.models() != want.counts.models() {
        return Err(format!(
            "models differ: {:?} vs {:?}",
            got.counts.models(),
            want.counts.models()
        ));
    }
    let (g, w): (Vec<_>, Vec<_>) = (got.counts.pairs().collect(), want.counts.pairs().collect());
    if g != w || got.counts.self_battles() != want.counts.self_battles() {
        return Err(format!("counts differ: {g:?} vs {w:?}"));
    }
    Ok(())
}

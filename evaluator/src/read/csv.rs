//! CSV with a header row. Column names follow the vote export (`model_a`, `model_b`,
//! `winner`, `anony`, `tstamp`, `category`, `counts_for_leaderboard`, `judge`, and for
//! battles of three or four images `model_c`, `model_d`, `worst`); LLMFAO's
//! `left`/`right` columns are accepted for the two models, and `task` for `category`.

use std::io::Read;

use super::{nonempty, row_outcome};
use crate::error::{Error, Result};
use crate::vote::Vote;

struct Columns {
    model_a: usize,
    model_b: usize,
    model_c: Option<usize>,
    model_d: Option<usize>,
    worst: Option<usize>,
    winner: usize,
    anony: Option<usize>,
    tstamp: Option<usize>,
    category: Option<usize>,
    counts: Option<usize>,
    judge: Option<usize>,
}

pub(super) fn read<R, F>(reader: R, mut f: F) -> Result<()>
where
    R: Read,
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let headers = rdr.byte_headers().map_err(csv_error)?.clone();
    if headers.is_empty() {
        return Ok(());
    }
    let find = |names: &[&str]| {
        names.iter().find_map(|name| {
            headers
                .iter()
                .position(|h| h.trim_ascii() == name.as_bytes())
        })
    };
    let required = |names: &[&str]| {
        find(names).ok_or_else(|| Error::Parse {
            line: 1,
            message: format!("the header row has no {} column", names.join(" or ")),
        })
    };
    let cols = Columns {
        model_a: required(&["model_a", "left"])?,
        model_b: required(&["model_b", "right"])?,
        model_c: find(&["model_c"]),
        model_d: find(&["model_d"]),
        worst: find(&["worst"]),
        winner: required(&["winner"])?,
        anony: find(&["anony"]),
        tstamp: find(&["tstamp"]),
        category: find(&["category", "task"]),
        counts: find(&["counts_for_leaderboard"]),
        judge: find(&["judge", "voter", "worker"]),
    };
    let mut record = ::csv::ByteRecord::new();
    while rdr.read_byte_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |p| p.line());
        let text = |i: usize, name: &str| -> Result<&str> {
            std::str::from_utf8(record.get(i).unwrap_or_default()).map_err(|_| Error::Parse {
                line,
                message: format!("column {name} is not valid UTF-8"),
            })
        };
        let optional = |col: Option<usize>, name: &str| -> Result<Option<&str>> {
            match col {
                Some(i) => text(i, name).map(|t| Some(t.trim()).filter(|t| !t.is_empty())),
                None => Ok(None),
            }
        };
        let tstamp =
            match optional(cols.tstamp, "tstamp")? {
                Some(t) => Some(t.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(
                    || Error::Parse {
                        line,
                        message: format!("tstamp {t:?} is not a number"),
                    },
                )?),
                None => None,
            };
        let model_a = nonempty(text(cols.model_a, "model_a")?, "model_a", line)?;
        let model_b = nonempty(text(cols.model_b, "model_b")?, "model_b", line)?;
        let model_c = optional(cols.model_c, "model_c")?;
        let model_d = optional(cols.model_d, "model_d")?;
        let worst = optional(cols.worst, "worst")?;
        let (outcome, kwise) = row_outcome(
            [model_a, model_b],
            model_c,
            model_d,
            text(cols.winner, "winner")?.trim().as_bytes(),
            worst.map(str::as_bytes),
            line,
        )?;
        let vote = Vote {
            model_a,
            model_b,
            outcome,
            anony: parse_bool(optional(cols.anony, "anony")?, "anony", line)?,
            tstamp,
            category: optional(cols.category, "category")?,
            counts_for_leaderboard: parse_bool(
                optional(cols.counts, "counts_for_leaderboard")?,
                "counts_for_leaderboard",
                line,
            )?,
            judge: optional(cols.judge, "judge")?,
            line,
            kwise,
        };
        f(&vote)?;
    }
    Ok(())
}

/// A CSV cell as a boolean (`true`/`false`, any of three casings, or `1`/`0`).
pub(super) fn parse_bool(value: Option<&str>, name: &str, line: u64) -> Result<Option<bool>> {
    match value {
        None => Ok(None),
        Some("true" | "True" | "TRUE" | "1") => Ok(Some(true)),
        Some("false" | "False" | "FALSE" | "0") => Ok(Some(false)),
        Some(other) => Err(Error::Parse {
            line,
            message: format!("{name} {other:?} is not true or false"),
        }),
    }
}

/// The `csv` crate's error as ours, at its line.
pub(super) fn csv_error(err: ::csv::Error) -> Error {
    let line = err.position().map_or(0, |p| p.line());
    let message = format!("malformed CSV: {err}");
    match err.into_kind() {
        ::csv::ErrorKind::Io(e) => Error::Io(e),
        _ => Error::Parse { line, message },
    }
}

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
    let cols = columns(&headers)?;
    let mut record = ::csv::ByteRecord::new();
    while rdr.read_byte_record(&mut record).map_err(csv_error)? {
        let line = record.position().map_or(0, |p| p.line());
        row(&record, &cols, line, &mut f)?;
    }
    Ok(())
}

/// Where the columns a vote needs are, from the header row.
fn columns(headers: &::csv::ByteRecord) -> Result<Columns> {
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
    Ok(Columns {
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
    })
}

/// The vote of one data row (at `line`), handed to `f`.
fn row<F>(record: &::csv::ByteRecord, cols: &Columns, line: u64, f: &mut F) -> Result<()>
where
    F: FnMut(&Vote<'_>) -> Result<()>,
{
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
    let tstamp = match optional(cols.tstamp, "tstamp")? {
        Some(t) => Some(
            t.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| Error::Parse {
                    line,
                    message: format!("tstamp {t:?} is not a number"),
                })?,
        ),
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
    f(&vote)
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

/// Bytes scanned at a time by [`read_file_parallel`]'s first pass.
const SCAN_BLOCK: usize = 4 << 20;

/// Reads a CSV file in `sinks.len()` shares, one thread each, when that surely gives
/// what [`read`] gives: after the header, no byte is a quote and every carriage return
/// is followed by a line feed, so every line feed ends a record. A first pass checks
/// that and finds where each share begins (the line after its even cut). Returns
/// `Ok(false)` — the sinks then hold partial counts, to be thrown away — when the file
/// is not like that, or when any share meets something [`read`] might refuse (a row
/// of another length than the header's, a bad value): the caller then reads the file
/// on one thread, which words the refusal exactly as ever. A vote's `line` here counts
/// line feeds, which the `csv` crate's positions do not always match (after blank
/// lines, with CRLF): only counting uses this path, and it ignores lines.
pub(super) fn read_file_parallel<S, F>(
    file: &std::fs::File,
    len: u64,
    sinks: &mut [S],
    f: &F,
) -> Result<bool>
where
    S: Send,
    F: Fn(&mut S, &Vote<'_>) -> Result<()> + Sync,
{
    // The header, as the one-thread reader reads it.
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(At::new(file, 0, len));
    let headers = match rdr.byte_headers() {
        Ok(h) if !h.is_empty() => h.clone(),
        _ => return Ok(false),
    };
    let Ok(cols) = columns(&headers) else {
        return Ok(false);
    };
    let header_end = rdr.position().byte();
    drop(rdr);
    // The data begins on the line after the header (which may span lines, and whose
    // CRLF the header reader may have left half read).
    let mut head = vec![0u8; usize::try_from(header_end).unwrap_or(0) + 1];
    let got = super::jsonl::read_at(file, &mut head, 0)?;
    let start = match head[..got].get(usize::try_from(header_end).unwrap_or(usize::MAX)) {
        Some(b'\n') => header_end + 1,
        _ => header_end,
    };
    let head = &head[..usize::try_from(start).unwrap_or(0).min(got)];
    let first_line = 1 + memchr::memchr_iter(b'\n', head).count() as u64;

    // The first pass: no quote, no lone carriage return; each share's start and the
    // line feeds before it.
    let parts = sinks.len() as u64;
    let data = len.saturating_sub(start);
    let cuts: Vec<u64> = (1..parts).map(|k| start + data / parts * k).collect();
    let mut starts = vec![(start, 0u64)];
    let mut buf = vec![0u8; SCAN_BLOCK];
    let (mut pos, mut lines) = (start, 0u64);
    let mut carriage_return_last = false;
    while pos < len {
        let n = super::jsonl::read_at(file, &mut buf, pos)?;
        if n == 0 {
            break;
        }
        let block = &buf[..n];
        if memchr::memchr(b'"', block).is_some() {
            return Ok(false);
        }
        if carriage_return_last && block[0] != b'\n' {
            return Ok(false);
        }
        for at in memchr::memchr_iter(b'\r', block) {
            match block.get(at + 1) {
                Some(b'\n') => {}
                Some(_) => return Ok(false),
                None => {}
            }
        }
        carriage_return_last = block[n - 1] == b'\r';
        for at in memchr::memchr_iter(b'\n', block) {
            let offset = pos + at as u64;
            lines += 1;
            // A share begins after the first line feed at or past its cut.
            if let Some(&cut) = cuts.get(starts.len() - 1)
                && offset >= cut
            {
                starts.push((offset + 1, lines));
            }
        }
        pos += n as u64;
    }
    if carriage_return_last {
        return Ok(false);
    }
    starts.truncate(sinks.len());
    let mut bounds: Vec<(u64, u64, u64)> = Vec::with_capacity(starts.len());
    for (k, &(from, lines_before)) in starts.iter().enumerate() {
        let to = starts.get(k + 1).map_or(len, |s| s.0);
        bounds.push((from, to, first_line + lines_before));
    }

    // Each share on its own thread; `false` when one met anything odd.
    let fields = headers.len();
    let read_share = |(from, to, line0): (u64, u64, u64), sink: &mut S| -> Result<bool> {
        let mut rdr = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 20)
            .from_reader(At::new(file, from, to));
        let mut record = ::csv::ByteRecord::new();
        loop {
            match rdr.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(true),
                Err(_) => return Ok(false),
            }
            if record.len() != fields {
                return Ok(false);
            }
            let line = line0 - 1 + record.position().map_or(0, |p| p.line());
            if row(&record, &cols, line, &mut |v| f(sink, v)).is_err() {
                return Ok(false);
            }
        }
    };
    let read_share = &read_share;
    let results: Vec<Result<bool>> = std::thread::scope(|scope| {
        let mut shares = bounds.iter().copied().zip(sinks.iter_mut());
        let (first, first_sink) = shares.next().expect("at least one share");
        let handles: Vec<_> = shares
            .map(|(b, sink)| scope.spawn(move || read_share(b, sink)))
            .collect();
        let mut results = vec![read_share(first, first_sink)];
        results.extend(
            handles
                .into_iter()
                .map(|h| h.join().expect("a CSV reader thread panicked")),
        );
        results
    });
    for r in results {
        if !r? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The bytes `pos..end` of a file, read with positional reads (so that threads
/// share one handle).
struct At<'f> {
    file: &'f std::fs::File,
    pos: u64,
    end: u64,
}

impl<'f> At<'f> {
    fn new(file: &'f std::fs::File, pos: u64, end: u64) -> At<'f> {
        At { file, pos, end }
    }
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = usize::try_from(self.end - self.pos).unwrap_or(usize::MAX);
        let want = buf.len().min(left);
        if want == 0 {
            return Ok(0);
        }
        let n = super::jsonl::read_at(self.file, &mut buf[..want], self.pos)
            .map_err(std::io::Error::other)?;
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text` from a file in three shares: `Some(votes in order)` when the
    /// shares were read, `None` when the file was left to the one-thread reader.
    fn in_shares(text: &str) -> Option<Vec<(String, String, u64)>> {
        let path = std::env::temp_dir().join(format!(
            "arena-csv-shares-{}-{}.csv",
            std::process::id(),
            text.len()
        ));
        std::fs::write(&path, text).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let mut sinks: Vec<Vec<(String, String, u64)>> = vec![Vec::new(); 3];
        let read = read_file_parallel(&file, text.len() as u64, &mut sinks, &|sink, v| {
            sink.push((v.model_a.to_string(), v.model_b.to_string(), v.line));
            Ok(())
        })
        .unwrap();
        let _ = std::fs::remove_file(&path);
        read.then(|| sinks.concat())
    }

    #[test]
    fn a_file_without_quotes_is_read_in_shares() {
        let mut text = String::from("model_a,model_b,winner\r\n");
        for i in 0..3000 {
            text.push_str(&format!("m{},n{},model_a\r\n", i % 7, i % 5));
            if i == 1000 {
                text.push_str("\r\n");
            }
        }
        let votes = in_shares(&text).expect("read in shares");
        assert_eq!(votes.len(), 3000);
        assert_eq!(votes[0], ("m0".into(), "n0".into(), 2));
        let mut sequential = Vec::new();
        read(text.as_bytes(), |v| {
            sequential.push((v.model_a.to_string(), v.model_b.to_string(), v.line));
            Ok(())
        })
        .unwrap();
        // The same votes in the same order. (Their lines may differ: the shares count
        // line feeds, the one-thread reader counts its own way; only a refusal names a
        // line, and refusals always come from the one-thread reader.)
        let models = |v: &[(String, String, u64)]| -> Vec<(String, String)> {
            v.iter().map(|(a, b, _)| (a.clone(), b.clone())).collect()
        };
        assert_eq!(models(&votes), models(&sequential));
    }

    #[test]
    fn quotes_lone_carriage_returns_and_odd_rows_are_left_to_one_thread() {
        let rows = "m1,n1,model_a\n".repeat(50);
        assert!(in_shares(&format!("model_a,model_b,winner\n{rows}")).is_some());
        assert!(in_shares(&format!("model_a,model_b,winner\n{rows}\"m1\",n1,tie\n")).is_none());
        assert!(in_shares(&format!("model_a,model_b,winner\n{rows}m1,n1\rtie\n")).is_none());
        assert!(in_shares(&format!("model_a,model_b,winner\n{rows}m1,n1\n{rows}")).is_none());
        assert!(in_shares(&format!("model_a,model_b,winner\n{rows}m1,n1,nobody\n")).is_none());
        // The header may be quoted: only the rows after it matter.
        assert!(in_shares(&format!("\"model_a\",model_b,winner\n{rows}")).is_some());
    }
}

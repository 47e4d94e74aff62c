//! JSONL: one vote object per line, read in large blocks of whole lines.
//!
//! [`read_file_parallel`] gives each core its own share of a file (a line belongs to
//! the share its first byte is in), read with positional reads into the thread's own
//! buffer, so that reading overlaps parsing and memory stays at one block per thread.
//! [`read_parallel`], for a stream, splits each block at line ends and parses the
//! parts on all cores. Either way each part has its own sink, which the caller merges
//! in file order afterwards; errors name the same line as the one-thread [`read`].

use std::fs::File;
use std::io::{ErrorKind, Read};

use super::{json, raw_to_vote};
use crate::error::{Error, Result};
use crate::vote::{Outcome, Vote};

/// A block of a stream, split between the cores (a thread each per block).
const BLOCK: usize = 4 << 20;

/// A read of a file's share: small enough to be parsed while the kernel's copy of it
/// is still in the core's cache, and to be touched for the first time cheaply (the
/// page faults of a 4 MiB buffer cost more than the extra reads).
const SHARE_BLOCK: usize = 256 << 10;

pub(super) fn read<R, F>(reader: R, mut f: F) -> Result<()>
where
    R: Read,
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    let mut line = 0u64;
    for_each_block(reader, |chunk| parse_lines(chunk, &mut line, &mut f))
}

/// Parses with one sink per part of each block (`sinks.len()` parts, one thread
/// each). Errors name the same line as [`read`] would.
pub(super) fn read_parallel<R, S, F>(reader: R, sinks: &mut [S], f: &F) -> Result<()>
where
    R: Read,
    S: Send,
    F: Fn(&mut S, &Vote<'_>) -> Result<()> + Sync,
{
    let mut lines_before = 0u64;
    for_each_block(reader, |chunk| {
        let parts = split_at_lines(chunk, sinks.len());
        let results: Vec<(Result<()>, u64)> = std::thread::scope(|scope| {
            let mut handles = Vec::new();
            let mut sinks_iter = sinks.iter_mut();
            let first_sink = sinks_iter.next().expect("at least one sink");
            for (part, sink) in parts.iter().skip(1).zip(sinks_iter) {
                handles.push(scope.spawn(move || {
                    let mut line = 0;
                    let result = parse_lines(part, &mut line, &mut |v| f(sink, v));
                    (result, line)
                }));
            }
            let mut line = 0;
            let first = parse_lines(parts[0], &mut line, &mut |v| f(first_sink, v));
            let mut results = vec![(first, line)];
            results.extend(
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a parser thread panicked")),
            );
            results
        });
        lines_before = first_error(results, lines_before)?;
        Ok(())
    })
}

/// The first error in file order among the parts' `(result, lines read)`, with its
/// line counted from the start of the file; or the total of lines read, after
/// `lines_before`. Every part before a failing one has read all its lines.
fn first_error(results: Vec<(Result<()>, u64)>, mut lines_before: u64) -> Result<u64> {
    for (result, lines) in results {
        match result {
            Ok(()) => lines_before += lines,
            Err(Error::Parse { line, message }) => {
                return Err(Error::Parse {
                    line: lines_before + line,
                    message,
                });
            }
            Err(other) => return Err(other),
        }
    }
    Ok(lines_before)
}

/// Parses a JSONL file with one thread and one sink per part of `sinks`.
pub(super) fn read_file_parallel<S, F>(file: &File, len: u64, sinks: &mut [S], f: &F) -> Result<()>
where
    S: Send,
    F: Fn(&mut S, &Vote<'_>) -> Result<()> + Sync,
{
    let parts = sinks.len() as u64;
    let bounds: Vec<u64> = (0..=parts)
        .map(|k| len / parts * k + (len % parts) * k / parts)
        .collect();
    let bounds = &bounds;
    let results: Vec<(Result<()>, u64)> = std::thread::scope(|scope| {
        let mut sinks = sinks.iter_mut().enumerate();
        let (_, first_sink) = sinks.next().expect("at least one sink");
        let handles: Vec<_> = sinks
            .map(|(k, sink)| {
                scope.spawn(move || read_share(file, bounds[k], bounds[k + 1], &mut |v| f(sink, v)))
            })
            .collect();
        let mut results = vec![read_share(file, 0, bounds[1], &mut |v| f(first_sink, v))];
        results.extend(
            handles
                .into_iter()
                .map(|h| h.join().expect("a parser thread panicked")),
        );
        results
    });
    first_error(results, 0).map(drop)
}

/// Parses the lines of `file` whose first byte lies in `start..end`; returns how it
/// went and how many lines it read (up to and including a failing one).
fn read_share<F>(file: &File, start: u64, end: u64, f: &mut F) -> (Result<()>, u64)
where
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    let mut line = 0;
    let result = read_share_lines(file, start, end, &mut line, f);
    (result, line)
}

fn read_share_lines<F>(file: &File, start: u64, end: u64, line: &mut u64, f: &mut F) -> Result<()>
where
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    let share = usize::try_from(end - start).unwrap_or(SHARE_BLOCK);
    let mut buf = vec![0u8; SHARE_BLOCK.min(share + 4096)];
    // `pos` is the file offset of `buf[0]`, `filled` how much of `buf` holds data. A
    // share after the first starts one byte early, to see whether its first byte
    // starts a line.
    let mut pos = start.saturating_sub(1);
    let mut filled = 0;
    let mut in_earlier_line = start > 0;
    loop {
        if filled == buf.len() {
            // A single line longer than the buffer: grow rather than fail.
            buf.resize(buf.len() * 2, 0);
        }
        let n = read_at(file, &mut buf[filled..], pos + filled as u64)?;
        filled += n;
        let eof = n == 0;
        if in_earlier_line {
            // The end of a line that the share before reads.
            match memchr::memchr(b'\n', &buf[..filled]) {
                Some(i) => {
                    buf.copy_within(i + 1..filled, 0);
                    filled -= i + 1;
                    pos += i as u64 + 1;
                    in_earlier_line = false;
                }
                None if eof => return Ok(()),
                None => {
                    pos += filled as u64;
                    filled = 0;
                    continue;
                }
            }
        }
        if pos >= end {
            return Ok(());
        }
        let Some(complete) = complete_lines(&buf[..filled], eof) else {
            continue;
        };
        // Lines that start at or after `end` are the next share's.
        let limit = usize::try_from(end - pos).unwrap_or(usize::MAX);
        let (cut, done) = if limit <= complete {
            let after = memchr::memchr(b'\n', &buf[limit - 1..complete]);
            (after.map_or(complete, |i| limit + i), true)
        } else {
            (complete, eof)
        };
        let mut chunk = &buf[..cut];
        if pos == 0 {
            chunk = chunk.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(chunk);
        }
        parse_lines(chunk, line, f)?;
        if done {
            return Ok(());
        }
        buf.copy_within(cut..filled, 0);
        filled -= cut;
        pos += cut as u64;
    }
}

/// How much of `filled` is whole lines: all of it at the end of the file, else up to
/// its last newline (`None`: no newline yet, read more).
fn complete_lines(filled: &[u8], eof: bool) -> Option<usize> {
    if eof {
        Some(filled.len())
    } else {
        memchr::memrchr(b'\n', filled).map(|i| i + 1)
    }
}

/// Positional reads until `buf` is full or the file ends; 0 only at the end of the file.
pub(super) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match read_at_once(file, &mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}

#[cfg(unix)]
fn read_at_once(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at_once(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(not(any(unix, windows)))]
fn read_at_once(_file: &File, _buf: &mut [u8], _offset: u64) -> std::io::Result<usize> {
    Err(std::io::Error::new(
        ErrorKind::Unsupported,
        "no positional reads on this system",
    ))
}

/// Reads `reader` in blocks and calls `on_chunk` with each run of whole lines (the
/// last one may lack its line end), with a leading byte-order mark removed.
fn for_each_block<R, F>(mut reader: R, mut on_chunk: F) -> Result<()>
where
    R: Read,
    F: FnMut(&[u8]) -> Result<()>,
{
    let mut buf = vec![0u8; BLOCK];
    let mut filled = 0;
    let mut first = true;
    loop {
        if filled == buf.len() {
            // A single line longer than the buffer: grow rather than fail.
            buf.resize(buf.len() * 2, 0);
        }
        let n = match reader.read(&mut buf[filled..]) {
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        filled += n;
        let eof = n == 0;
        // Fill the buffer before parsing, so that each chunk is a whole block.
        if !eof && filled < buf.len() {
            continue;
        }
        let Some(complete) = complete_lines(&buf[..filled], eof) else {
            continue;
        };
        let mut chunk = &buf[..complete];
        if first {
            chunk = chunk.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(chunk);
            first = false;
        }
        on_chunk(chunk)?;
        buf.copy_within(complete..filled, 0);
        filled -= complete;
        if eof {
            return Ok(());
        }
    }
}

/// Splits `chunk` into `parts` pieces of about equal size, each ending at a line end.
fn split_at_lines(chunk: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::with_capacity(parts);
    let mut rest = chunk;
    for k in (1..parts).rev() {
        let target = rest.len() / (k + 1);
        let cut = memchr::memchr(b'\n', &rest[target..]).map_or(rest.len(), |i| target + i + 1);
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
    }
    pieces.push(rest);
    pieces
}

/// Parses every line of `chunk`, counting lines in `line` (so on error it holds the
/// number of the failing line, relative to the chunk's start).
///
/// UTF-8 is checked once for the whole chunk, which is much faster than line by line;
/// when it fails, the lines before the bad one are parsed first, so that an earlier
/// error is still the one reported.
fn parse_lines<F>(chunk: &[u8], line: &mut u64, f: &mut F) -> Result<()>
where
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    let (text, bad_utf8) = match std::str::from_utf8(chunk) {
        Ok(text) => (text, false),
        Err(e) => {
            let good = memchr::memrchr(b'\n', &chunk[..e.valid_up_to()]).map_or(0, |i| i + 1);
            let text = std::str::from_utf8(&chunk[..good]).expect("valid before the error");
            (text, true)
        }
    };
    parse_text_lines(text, line, f)?;
    if bad_utf8 {
        *line += 1;
        return Err(Error::Parse {
            line: *line,
            message: "the line is not valid UTF-8".into(),
        });
    }
    Ok(())
}

fn parse_text_lines<F>(text: &str, line: &mut u64, f: &mut F) -> Result<()>
where
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    let mut rest = text;
    let mut raw = json::RawVote::default();
    let mut layout = super::layout::Layout::default();
    let mut lean = Vote {
        model_a: "",
        model_b: "",
        outcome: Outcome::A,
        anony: None,
        tstamp: None,
        category: None,
        counts_for_leaderboard: None,
        judge: None,
        line: 0,
        kwise: None,
    };
    while !rest.is_empty() {
        *line += 1;
        // Most lines repeat the layout of the line before and end right after the
        // object: read those in the lean lane, without looking for the line end first.
        lean.line = *line;
        if let Some(used) = layout.read_vote(rest, &mut lean) {
            let after = match rest.as_bytes()[used..] {
                [] => Some(used),
                [b'\n', ..] => Some(used + 1),
                [b'\r', b'\n', ..] => Some(used + 2),
                _ => None,
            };
            if let Some(after) = after {
                f(&lean)?;
                rest = &rest[after..];
                continue;
            }
        }
        let end = memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len());
        let text = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or("");
        if text.bytes().all(json::is_ws) {
            continue;
        }
        let at = |message: String| Error::Parse {
            line: *line,
            message,
        };
        let used = json::parse_line(text, &mut raw, &mut layout).map_err(at)?;
        if !text.as_bytes()[used..].iter().all(|b| json::is_ws(*b)) {
            return Err(at("unexpected text after the JSON object".into()));
        }
        let vote = raw_to_vote(&raw, *line)?;
        f(&vote)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_split_at_line_ends_into_the_asked_number_of_parts() {
        let text = b"a\nbb\nccc\ndddd\n";
        for parts in 1..6 {
            let pieces = split_at_lines(text, parts);
            assert_eq!(pieces.len(), parts);
            assert_eq!(pieces.concat(), text);
            assert!(pieces.iter().all(|p| p.is_empty() || p.ends_with(b"\n")));
        }
    }
}

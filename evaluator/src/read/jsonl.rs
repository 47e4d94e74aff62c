//! JSONL: one vote object per line, read in large blocks of whole lines.
//!
//! [`read_parallel`] splits each block at line ends and parses the parts on all
//! cores, each into its own sink; the caller merges the sinks afterwards. It serves
//! the Bradley–Terry path, where the order of votes does not matter.

use std::io::{ErrorKind, Read};

use super::{json, raw_to_vote};
use crate::error::{Error, Result};
use crate::vote::Vote;

const BLOCK: usize = 4 << 20;

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
        Ok(())
    })
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
        let complete = if eof {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[..filled]) {
                Some(i) => i + 1,
                None => continue,
            }
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
fn parse_lines<F>(chunk: &[u8], line: &mut u64, f: &mut F) -> Result<()>
where
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    let mut rest = chunk;
    while !rest.is_empty() {
        *line += 1;
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let bytes = &rest[..end];
        rest = rest.get(end + 1..).unwrap_or(&[]);
        if bytes.iter().all(|b| json::is_ws(*b)) {
            continue;
        }
        let at = |message: String| Error::Parse {
            line: *line,
            message,
        };
        let text =
            std::str::from_utf8(bytes).map_err(|_| at("the line is not valid UTF-8".into()))?;
        let (raw, used) = json::parse_object(text).map_err(at)?;
        if !bytes[used..].iter().all(|b| json::is_ws(*b)) {
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

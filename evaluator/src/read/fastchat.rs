//! FastChat's clean-battle file: one JSON array of vote objects, streamed element by
//! element so that a large file is never held as a tree.
//!
//! An element's extent is found by matching brackets outside strings; an element that
//! lies within one read buffer is parsed where it lies, and only one that straddles
//! two buffers is copied. Inside strings the scan jumps from one quote, backslash or
//! newline to the next with `memchr`.

use std::io::{BufRead, ErrorKind};

use super::{json, raw_to_vote};
use crate::error::{Error, Result};
use crate::vote::Vote;

enum State {
    BeforeArray,
    BeforeElement { after_comma: bool },
    InElement,
    AfterElement,
    Done,
}

/// Where the bracket matching inside an element stands between buffers.
#[derive(Default)]
struct Matching {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Matching {
    /// Scans `bytes` from the start; returns the offset just after the element's
    /// closing bracket, if it is in `bytes`, and counts the newlines passed in `line`.
    fn find_end(&mut self, bytes: &[u8], line: &mut u64) -> Option<usize> {
        let mut i = 0;
        while i < bytes.len() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    if bytes[i] == b'\n' {
                        *line += 1;
                    }
                    i += 1;
                    continue;
                }
                // Newlines are counted even inside strings (where they make the
                // element invalid), so that an unclosed array names its last line.
                match memchr::memchr3(b'"', b'\\', b'\n', &bytes[i..]) {
                    Some(k) => {
                        i += k;
                        match bytes[i] {
                            b'\\' => self.escaped = true,
                            b'\n' => *line += 1,
                            _ => self.in_string = false,
                        }
                        i += 1;
                    }
                    None => return None,
                }
                continue;
            }
            match bytes[i] {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                b'\n' => *line += 1,
                _ => {}
            }
            i += 1;
        }
        None
    }
}

pub(super) fn read<R, F>(mut reader: R, mut f: F) -> Result<()>
where
    R: BufRead,
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    let mut state = State::BeforeArray;
    let mut line = 1u64;
    // The start of an element that straddles buffers.
    let mut element = Vec::new();
    let mut element_line = 0u64;
    let mut matching = Matching::default();
    let mut first = true;
    loop {
        let buf = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if buf.is_empty() {
            break;
        }
        let mut bytes = buf;
        if first {
            bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            first = false;
        }
        let len = buf.len();
        let unexpected = |b: u8, want: &str, line: u64| Error::Parse {
            line,
            message: format!("expected {want} but found {:?}", b as char),
        };
        let mut i = 0;
        while i < bytes.len() {
            if let State::InElement = state {
                // Continue (or start, at `i - 1`) matching the element's brackets.
                let starts_here = element.is_empty();
                let from = if starts_here { i - 1 } else { i };
                match matching.find_end(&bytes[i..], &mut line) {
                    Some(k) => {
                        let end = i + k;
                        if starts_here {
                            emit(&bytes[from..end], element_line, &mut f)?;
                        } else {
                            element.extend_from_slice(&bytes[i..end]);
                            emit(&element, element_line, &mut f)?;
                            element.clear();
                        }
                        state = State::AfterElement;
                        i = end;
                    }
                    None => {
                        element.extend_from_slice(&bytes[from..]);
                        i = bytes.len();
                    }
                }
                continue;
            }
            let b = bytes[i];
            i += 1;
            if b == b'\n' {
                line += 1;
            }
            if json::is_ws(b) {
                continue;
            }
            state = match state {
                State::BeforeArray if b == b'[' => State::BeforeElement { after_comma: false },
                State::BeforeArray => {
                    return Err(unexpected(b, "'[' (a FastChat battle array)", line));
                }
                State::BeforeElement { .. } if b == b'{' => {
                    element_line = line;
                    matching = Matching {
                        depth: 1,
                        ..Matching::default()
                    };
                    State::InElement
                }
                State::BeforeElement { after_comma: false } if b == b']' => State::Done,
                State::BeforeElement { .. } => return Err(unexpected(b, "a battle object", line)),
                State::AfterElement if b == b',' => State::BeforeElement { after_comma: true },
                State::AfterElement if b == b']' => State::Done,
                State::AfterElement => return Err(unexpected(b, "',' or ']'", line)),
                State::Done => return Err(unexpected(b, "the end of the file after ']'", line)),
                State::InElement => unreachable!("handled above"),
            };
            if let State::InElement = state {
                if i == bytes.len() {
                    // The element's `{` ends this buffer: keep it for the next.
                    element.push(b'{');
                }
            }
        }
        reader.consume(len);
    }
    match state {
        State::Done | State::BeforeArray => Ok(()),
        // An element whose brackets never closed is malformed (the bracket matching
        // may have been led astray by a stray quote): the parser says where.
        State::InElement => {
            emit(&element, element_line, &mut f)?;
            Err(Error::Parse {
                line,
                message: "the battle array is not closed".into(),
            })
        }
        _ => Err(Error::Parse {
            line,
            message: "the battle array is not closed".into(),
        }),
    }
}

fn emit<F>(element: &[u8], line: u64, f: &mut F) -> Result<()>
where
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    let text = std::str::from_utf8(element).map_err(|_| Error::Parse {
        line,
        message: "the battle object is not valid UTF-8".into(),
    })?;
    let (raw, _) = json::parse_object(text).map_err(|message| Error::Parse { line, message })?;
    let vote = raw_to_vote(&raw, line)?;
    f(&vote)
}

//! FastChat's clean-battle file: one JSON array of vote objects, streamed element by
//! element so that a large file is never held as a tree.

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

pub(super) fn read<R, F>(mut reader: R, mut f: F) -> Result<()>
where
    R: BufRead,
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    let mut state = State::BeforeArray;
    let mut line = 1u64;
    let mut element = Vec::new();
    let mut element_line = 0u64;
    // Bracket matching inside the element: depth, whether inside a string, and
    // whether the previous byte was a backslash inside a string.
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
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
        for &b in bytes {
            if let State::InElement = state {
                element.push(b);
                if in_string {
                    if escaped {
                        escaped = false;
                    } else if b == b'\\' {
                        escaped = true;
                    } else if b == b'"' {
                        in_string = false;
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                emit(&element, element_line, &mut f)?;
                                element.clear();
                                state = State::AfterElement;
                            }
                        }
                        _ => {}
                    }
                }
                if b == b'\n' {
                    line += 1;
                }
                continue;
            }
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
                    element.push(b);
                    element_line = line;
                    depth = 1;
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
        }
        reader.consume(len);
    }
    match state {
        State::Done | State::BeforeArray => Ok(()),
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

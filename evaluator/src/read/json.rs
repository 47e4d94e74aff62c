//! A scanner for one flat JSON object holding a vote.
//!
//! Vote files are mostly tens of millions of tiny objects, so instead of building a
//! `serde_json::Value` per line we walk the bytes once, borrow strings that have no
//! escapes, and skip every field we do not use (nested values included).

use std::borrow::Cow;

use super::layout::Layout;
use crate::vote::Outcome;

/// The fields of one vote object that the evaluator uses; all optional at this stage.
#[derive(Debug, Default)]
pub(crate) struct RawVote<'a> {
    pub model_a: Option<Cow<'a, str>>,
    pub model_b: Option<Cow<'a, str>>,
    /// The third and fourth models and the worst of a K-wise vote.
    pub model_c: Option<Cow<'a, str>>,
    pub model_d: Option<Cow<'a, str>>,
    pub worst: Option<Cow<'a, str>>,
    pub winner: Option<Cow<'a, str>>,
    pub anony: Option<bool>,
    pub tstamp: Option<f64>,
    pub category: Option<Cow<'a, str>>,
    pub task: Option<Cow<'a, str>>,
    pub counts_for_leaderboard: Option<bool>,
    pub judge: Option<Cow<'a, str>>,
    pub voter: Option<Cow<'a, str>>,
    /// GenAI-Bench's names for the two models and the outcome.
    pub left_model: Option<Cow<'a, str>>,
    pub right_model: Option<Cow<'a, str>>,
    pub vote_type: Option<Cow<'a, str>>,
    /// The text of the `features` value (the reference reader's only: the fast
    /// scanner skips it).
    pub features: Option<&'a str>,
    /// The text of the `axes` value (the reference reader's only).
    pub axes: Option<&'a str>,
    /// `style_a_<name>` and `style_b_<name>` fields: (field name, number or `None`),
    /// the reference reader's only.
    pub styles: Vec<(String, Option<f64>)>,
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Field {
    ModelA,
    ModelB,
    ModelC,
    ModelD,
    Worst,
    Winner,
    Anony,
    Tstamp,
    Category,
    Task,
    Counts,
    Judge,
    Voter,
    LeftModel,
    RightModel,
    VoteType,
    Other,
}

impl Field {
    fn from_key(key: &[u8]) -> Field {
        match key {
            b"model_a" => Field::ModelA,
            b"model_b" => Field::ModelB,
            b"model_c" => Field::ModelC,
            b"model_d" => Field::ModelD,
            b"worst" => Field::Worst,
            b"winner" => Field::Winner,
            b"anony" => Field::Anony,
            b"tstamp" => Field::Tstamp,
            b"category" => Field::Category,
            b"task" => Field::Task,
            b"counts_for_leaderboard" => Field::Counts,
            b"judge" => Field::Judge,
            b"voter" => Field::Voter,
            b"left_model" => Field::LeftModel,
            b"right_model" => Field::RightModel,
            b"vote_type" => Field::VoteType,
            _ => Field::Other,
        }
    }
}

/// Parses the object that starts at the first non-space byte of `text` and returns
/// it with the position just after its closing brace. Errors are plain messages; the
/// caller adds the line number.
///
/// Taking `&str` means UTF-8 is checked once for the whole line; every string inside
/// is then a slice between two ASCII quotes, so it is valid UTF-8 too.
pub(crate) fn parse_object(text: &str) -> Result<(RawVote<'_>, usize), String> {
    let mut vote = RawVote::default();
    let used = parse_object_into(text, &mut vote)?;
    Ok((vote, used))
}

/// [`parse_object`] into a vote the caller keeps (and may reuse), which spares the
/// hot loop moving a few hundred bytes of fields per line.
pub(crate) fn parse_object_into<'a>(
    text: &'a str,
    vote: &mut RawVote<'a>,
) -> Result<usize, String> {
    *vote = RawVote::default();
    parse(text, vote, None).map_err(|e| e.0.into_string())
}

/// [`parse_object_into`] for the lines of a file: through `layout` when the line
/// repeats it, else in full (recording the line's layout for the next).
pub(crate) fn parse_line<'a>(
    text: &'a str,
    vote: &mut RawVote<'a>,
    layout: &mut Layout,
) -> Result<usize, String> {
    *vote = RawVote::default();
    if let Some(used) = layout.read(text, vote) {
        return Ok(used);
    }
    *vote = RawVote::default();
    parse(text, vote, Some(layout)).map_err(|e| e.0.into_string())
}

/// A scanner error, kept as a boxed `str` so that the `Result`s on the hot path stay
/// small.
pub(super) struct ScanError(Box<str>);

impl From<&str> for ScanError {
    #[cold]
    fn from(message: &str) -> Self {
        ScanError(message.into())
    }
}

impl From<String> for ScanError {
    #[cold]
    fn from(message: String) -> Self {
        ScanError(message.into_boxed_str())
    }
}

pub(super) type Scan<T> = Result<T, ScanError>;

fn parse<'a>(
    text: &'a str,
    vote: &mut RawVote<'a>,
    mut layout: Option<&mut Layout>,
) -> Scan<usize> {
    let mut sc = Scanner {
        text,
        s: text.as_bytes(),
        pos: 0,
    };
    if let Some(layout) = layout.as_deref_mut() {
        layout.clear();
    }
    sc.skip_ws();
    sc.expect(b'{')?;
    sc.skip_ws();
    if sc.peek() == Some(b'}') {
        return Ok(sc.pos + 1);
    }
    // Where the bytes between the previous value and the next begin.
    let mut gap = 0;
    loop {
        sc.skip_ws();
        let field = sc.key()?;
        sc.skip_ws();
        sc.expect(b':')?;
        sc.skip_ws();
        if let Some(layout) = layout.as_deref_mut() {
            layout.push_step(&sc.s[gap..sc.pos], field);
        }
        sc.value(field, vote)?;
        gap = sc.pos;
        sc.skip_ws();
        match sc.next() {
            Some(b',') => continue,
            Some(b'}') => {
                if let Some(layout) = layout {
                    layout.finish(&sc.s[gap..sc.pos]);
                }
                return Ok(sc.pos);
            }
            Some(b) => return Err(format!("expected ',' or '}}' but found {:?}", b as char).into()),
            None => return Err("unterminated JSON object".into()),
        }
    }
}

/// Whitespace as JSON defines it.
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A literal of a [`super::layout::Layout`] as two words and the masks of its bytes in
/// them, so that a line's next 16 bytes are compared with it at once (up to 16 bytes;
/// a longer one goes through [`Scanner::take_literal`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Literal {
    words: [u64; 2],
    masks: [u64; 2],
    len: usize,
}

impl Literal {
    pub(crate) fn new(bytes: &[u8]) -> Self {
        let mut padded = [0u8; 16];
        let mut mask = [0u8; 16];
        let n = bytes.len().min(16);
        padded[..n].copy_from_slice(&bytes[..n]);
        mask[..n].fill(0xff);
        let word = |b: &[u8; 16], at: usize| {
            u64::from_le_bytes(b[at..at + 8].try_into().expect("eight bytes"))
        };
        Literal {
            words: [word(&padded, 0), word(&padded, 8)],
            masks: [word(&mask, 0), word(&mask, 8)],
            len: bytes.len(),
        }
    }
}

pub(super) struct Scanner<'a> {
    pub(super) text: &'a str,
    pub(super) s: &'a [u8],
    pub(super) pos: usize,
}

impl<'a> Scanner<'a> {
    /// The value of `field`, checked as that field requires, into `vote`.
    pub(super) fn value(&mut self, field: Field, vote: &mut RawVote<'a>) -> Scan<()> {
        match field {
            Field::ModelA => vote.model_a = self.string_or_null("model_a")?,
            Field::ModelB => vote.model_b = self.string_or_null("model_b")?,
            Field::ModelC => vote.model_c = self.string_or_null("model_c")?,
            Field::ModelD => vote.model_d = self.string_or_null("model_d")?,
            Field::Worst => vote.worst = self.string_or_null("worst")?,
            Field::Winner => vote.winner = self.string_or_null("winner")?,
            Field::Category => vote.category = self.string_or_null("category")?,
            Field::Task => vote.task = self.string_or_null("task")?,
            Field::Anony => vote.anony = self.bool_or_null("anony")?,
            Field::Counts => {
                vote.counts_for_leaderboard = self.bool_or_null("counts_for_leaderboard")?
            }
            Field::Tstamp => vote.tstamp = self.number_or_null("tstamp")?,
            Field::Judge => vote.judge = self.string_or_skip()?,
            Field::Voter => vote.voter = self.string_or_skip()?,
            Field::LeftModel => vote.left_model = self.string_or_null("left_model")?,
            Field::RightModel => vote.right_model = self.string_or_null("right_model")?,
            Field::VoteType => vote.vote_type = self.string_or_null("vote_type")?,
            Field::Other => self.skip_value()?,
        }
        Ok(())
    }

    /// Steps over `literal` if the text continues with exactly those bytes.
    #[inline(always)]
    pub(super) fn take_literal(&mut self, literal: &[u8]) -> Option<()> {
        let rest = &self.s[self.pos..];
        let n = literal.len();
        if rest.len() < n {
            return None;
        }
        // Two overlapping words compare any length from one word to two: no call to
        // a byte comparison for the short literals between a line's values.
        let w8 = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8"));
        let w4 = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4"));
        let same = match n {
            0 => true,
            1 => rest[0] == literal[0],
            2..=3 => {
                rest[0] == literal[0] && rest[n - 1] == literal[n - 1] && rest[1] == literal[1]
            }
            4..=7 => w4(rest, 0) == w4(literal, 0) && w4(rest, n - 4) == w4(literal, n - 4),
            8..=16 => w8(rest, 0) == w8(literal, 0) && w8(rest, n - 8) == w8(literal, n - 8),
            17..=32 => {
                w8(rest, 0) == w8(literal, 0)
                    && w8(rest, 8) == w8(literal, 8)
                    && w8(rest, n - 16) == w8(literal, n - 16)
                    && w8(rest, n - 8) == w8(literal, n - 8)
            }
            _ => rest.starts_with(literal),
        };
        if same {
            self.pos += n;
            Some(())
        } else {
            None
        }
    }

    /// [`Self::take_literal`] for a literal prepared as a [`Literal`] (`bytes` gives the
    /// same, only when needed): one masked comparison of two words when it is short.
    #[inline(always)]
    pub(super) fn take_known<'b>(
        &mut self,
        literal: &Literal,
        bytes: impl FnOnce() -> &'b [u8],
    ) -> Option<()> {
        match self.s[self.pos..].first_chunk::<16>() {
            Some(next) if literal.len <= 16 => {
                let w = |at: usize| {
                    u64::from_le_bytes(next[at..at + 8].try_into().expect("eight bytes"))
                };
                let differ = (w(0) ^ literal.words[0]) & literal.masks[0]
                    | (w(8) ^ literal.words[1]) & literal.masks[1];
                (differ == 0).then(|| self.pos += literal.len)
            }
            _ => self.take_literal(bytes()),
        }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    #[inline]
    fn skip_ws(&mut self) {
        while self.pos < self.s.len() && is_ws(self.s[self.pos]) {
            self.pos += 1;
        }
    }

    #[inline]
    fn expect(&mut self, want: u8) -> Scan<()> {
        match self.next() {
            Some(b) if b == want => Ok(()),
            Some(b) => Err(format!("expected {:?} but found {:?}", want as char, b as char).into()),
            None => Err(format!("expected {:?} but the line ended", want as char).into()),
        }
    }

    /// A JSON string; borrowed when it has no escapes.
    #[inline]
    fn string(&mut self) -> Scan<Cow<'a, str>> {
        self.expect(b'"')?;
        let start = self.pos;
        match find_string_end(&self.s[start..]).map(|len| (start + len, self.s[start + len])) {
            Some((end, b'"')) => {
                self.pos = end + 1;
                Ok(Cow::Borrowed(&self.text[start..end]))
            }
            Some((at, b'\\')) => self.escaped_string(start, at),
            Some(_) => Err("control character inside a string".into()),
            None => Err("unterminated string".into()),
        }
    }

    /// A key, as the field it names. Keys are read without building a string:
    /// only one with escapes (none of ours has any) takes the general path.
    #[inline]
    fn key(&mut self) -> Scan<Field> {
        let start = self.pos + 1;
        if self.peek() == Some(b'"') {
            if let Some(len) = find_string_end(&self.s[start..]) {
                if self.s[start + len] == b'"' {
                    self.pos = start + len + 1;
                    return Ok(Field::from_key(&self.s[start..start + len]));
                }
            }
        }
        let key = self.string()?;
        Ok(Field::from_key(key.as_bytes()))
    }

    /// The slow path of [`Self::string`]: decode escapes into an owned string.
    fn escaped_string(&mut self, start: usize, first_escape: usize) -> Scan<Cow<'a, str>> {
        let s = self.s;
        let mut out: Vec<u8> = s[start..first_escape].to_vec();
        let mut i = first_escape;
        loop {
            let Some(&c) = s.get(i) else {
                return Err("unterminated string".into());
            };
            i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let Some(&e) = s.get(i) else {
                        return Err("unterminated escape".into());
                    };
                    i += 1;
                    let decoded = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let (ch, used) =
                                decode_unicode_escape(&s[i..]).map_err(ScanError::from)?;
                            i += used;
                            ch
                        }
                        other => return Err(format!("invalid escape \\{}", other as char).into()),
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(decoded.encode_utf8(&mut buf).as_bytes());
                }
                c if c < 0x20 => return Err("control character inside a string".into()),
                c => out.push(c),
            }
        }
        self.pos = i;
        // Valid: the input is a `str` and escapes decode to whole characters.
        String::from_utf8(out)
            .map(Cow::Owned)
            .map_err(|_| "string is not valid UTF-8".into())
    }

    /// `true`, `false` or `null` told apart by one word, for the lean lane; `None` for
    /// anything else (or fewer than eight bytes left), which the full parser then reads.
    #[inline(always)]
    pub(super) fn plain_bool_or_null(&mut self) -> Option<Option<bool>> {
        let next = self.s.get(self.pos..)?.first_chunk::<8>()?;
        let w = u64::from_le_bytes(*next);
        let four = w & 0xFFFF_FFFF;
        let (value, len) = if four == u64::from(u32::from_le_bytes(*b"true")) {
            (Some(true), 4)
        } else if four == u64::from(u32::from_le_bytes(*b"null")) {
            (None, 4)
        } else if w & 0xFF_FFFF_FFFF == u64::from_le_bytes(*b"false\0\0\0") {
            (Some(false), 5)
        } else {
            return None;
        };
        self.pos += len;
        Some(value)
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> bool {
        if self.s[self.pos..].starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    /// A string without escapes, or `None` (the position then undefined) for anything
    /// else: the lean lane's string, which leaves every other case to the full parser.
    #[inline(always)]
    pub(super) fn plain_string(&mut self) -> Option<&'a str> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.pos + 1;
        let (len, closed) = string_stop(&self.s[start..])?;
        if !closed {
            return None;
        }
        self.pos = start + len + 1;
        Some(&self.text[start..start + len])
    }

    /// A plain string naming an outcome ([`Outcome::from_bytes`]); `None` for anything
    /// else. `model_a`, `model_b` and `tie` are told apart by one word compared with
    /// each, not by a branch per vote on which it is: the outcomes of a file follow
    /// each other at random, and a mispredicted branch costs as much as the rest.
    #[inline(always)]
    pub(super) fn plain_outcome(&mut self) -> Option<Outcome> {
        let start = self.pos + 1;
        let label = self.plain_string()?.as_bytes();
        if let Some(word) = self.s.get(start..start + 8) {
            const fn word_of(label: &[u8]) -> u64 {
                let mut w = [0u8; 8];
                let mut i = 0;
                while i < label.len() {
                    w[i] = label[i];
                    i += 1;
                }
                u64::from_le_bytes(w)
            }
            const A: u64 = word_of(b"model_a");
            const B: u64 = word_of(b"model_b");
            const TIE: u64 = word_of(b"tie");
            let len = label.len();
            let keep = if len >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * len)) - 1
            };
            let w = u64::from_le_bytes(word.try_into().expect("8 bytes")) & keep;
            let which =
                usize::from(w == A) | (usize::from(w == B) << 1) | (usize::from(w == TIE) * 3);
            if which != 0 && len < 8 {
                return Some([Outcome::A, Outcome::A, Outcome::B, Outcome::Tie][which]);
            }
        }
        Outcome::from_bytes(label)
    }

    /// [`Self::plain_string`], or `Some(None)` for `null`.
    #[inline]
    pub(super) fn plain_string_or_null(&mut self) -> Option<Option<&'a str>> {
        if self.literal(b"null") {
            return Some(None);
        }
        self.plain_string().map(Some)
    }

    /// A value that is only carried along (a voter id): a plain string, or `None` for
    /// any scalar; `None` overall for a nested value or an escaped string.
    #[inline]
    pub(super) fn plain_string_or_skip(&mut self) -> Option<Option<&'a str>> {
        match self.peek() {
            Some(b'"') => self.plain_string().map(Some),
            Some(b'{' | b'[') => None,
            _ => self.skip_scalar().ok().map(|()| None),
        }
    }

    /// Skips a scalar value; `None` for a nested one or anything malformed.
    #[inline]
    pub(super) fn skip_plain_scalar(&mut self) -> Option<()> {
        match self.peek() {
            Some(b'{' | b'[') => None,
            _ => self.skip_scalar().ok(),
        }
    }

    #[inline]
    fn string_or_null(&mut self, name: &str) -> Scan<Option<Cow<'a, str>>> {
        match self.peek() {
            Some(b'"') => self.string().map(Some),
            Some(b'n') if self.literal(b"null") => Ok(None),
            _ => Err(format!("field {name} must be a string").into()),
        }
    }

    /// A string, or `None` for any other value: voter ids are only carried along, so
    /// a file that writes them as numbers is not an error.
    fn string_or_skip(&mut self) -> Scan<Option<Cow<'a, str>>> {
        if self.peek() == Some(b'"') {
            return self.string().map(Some);
        }
        self.skip_value().map(|()| None)
    }

    #[inline]
    pub(super) fn bool_or_null(&mut self, name: &str) -> Scan<Option<bool>> {
        if self.literal(b"true") {
            Ok(Some(true))
        } else if self.literal(b"false") {
            Ok(Some(false))
        } else if self.literal(b"null") {
            Ok(None)
        } else {
            Err(format!("field {name} must be true, false or null").into())
        }
    }

    #[inline]
    pub(super) fn number_or_null(&mut self, name: &str) -> Scan<Option<f64>> {
        if let Some((value, len)) = plain_integer(&self.s[self.pos..]) {
            self.pos += len;
            return Ok(Some(value));
        }
        self.other_number_or_null(name)
    }

    /// [`Self::number_or_null`] for anything but a plain integer.
    #[inline(never)]
    fn other_number_or_null(&mut self, name: &str) -> Scan<Option<f64>> {
        if self.literal(b"null") {
            return Ok(None);
        }
        let must_be_a_number = || ScanError::from(format!("field {name} must be a number"));
        let token = self.number_token().map_err(|_| must_be_a_number())?;
        // Unix seconds are mostly plain integers, which need no float parser.
        if (1..=15).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_digit()) {
            let value = token
                .bytes()
                .fold(0u64, |n, b| n * 10 + u64::from(b - b'0'));
            return Ok(Some(value as f64));
        }
        token
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(Some)
            .ok_or_else(must_be_a_number)
    }

    /// A number as JSON writes it: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    /// What follows it is the caller's to check (`01` is a `0` followed by an error).
    fn number_token(&mut self) -> Scan<&'a str> {
        let start = self.pos;
        let s = self.s;
        let digits = |pos: &mut usize| {
            let from = *pos;
            while s.get(*pos).is_some_and(u8::is_ascii_digit) {
                *pos += 1;
            }
            *pos > from
        };
        let mut pos = self.pos;
        if s.get(pos) == Some(&b'-') {
            pos += 1;
        }
        match s.get(pos) {
            Some(b'0') => pos += 1,
            Some(b'1'..=b'9') => {
                digits(&mut pos);
            }
            _ => return Err("malformed number".into()),
        }
        if s.get(pos) == Some(&b'.') {
            pos += 1;
            if !digits(&mut pos) {
                return Err("malformed number".into());
            }
        }
        if matches!(s.get(pos), Some(b'e' | b'E')) {
            pos += 1;
            if matches!(s.get(pos), Some(b'+' | b'-')) {
                pos += 1;
            }
            if !digits(&mut pos) {
                return Err("malformed number".into());
            }
        }
        self.pos = pos;
        Ok(&self.text[start..pos])
    }

    /// Skips any JSON value, checking that it is well formed but not decoding it:
    /// strings are checked for their escapes and control characters, numbers for
    /// their form (not their range), and there is no limit on nesting.
    fn skip_value(&mut self) -> Scan<()> {
        match self.peek() {
            Some(b'{' | b'[') => self.skip_nested(),
            _ => self.skip_scalar(),
        }
    }

    fn skip_scalar(&mut self) -> Scan<()> {
        match self.peek() {
            Some(b'"') => self.skip_string(),
            Some(b't') if self.literal(b"true") => Ok(()),
            Some(b'f') if self.literal(b"false") => Ok(()),
            Some(b'n') if self.literal(b"null") => Ok(()),
            Some(b'-' | b'0'..=b'9') => self.number_token().map(drop),
            Some(b) => Err(format!("unexpected {:?} where a value should be", b as char).into()),
            None => Err("the line ended where a value should be".into()),
        }
    }

    /// A string that is not kept: its escapes must be well formed (`\u` with four hex
    /// digits), nothing more.
    fn skip_string(&mut self) -> Scan<()> {
        self.expect(b'"')?;
        loop {
            let Some(len) = find_string_end(&self.s[self.pos..]) else {
                return Err("unterminated string".into());
            };
            self.pos += len;
            match self.s[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    let escape = self.s.get(self.pos + 1).copied();
                    self.pos += 2;
                    match escape {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                        Some(b'u') => {
                            let hex = self.s.get(self.pos..self.pos + 4);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return Err("invalid \\u escape".into());
                            }
                            self.pos += 4;
                        }
                        Some(other) => {
                            return Err(format!("invalid escape \\{}", other as char).into());
                        }
                        None => return Err("unterminated escape".into()),
                    }
                }
                _ => return Err("control character inside a string".into()),
            }
        }
    }

    /// Skips an object or array, checking its whole grammar with an explicit stack
    /// of the brackets still open (so that deep nesting cannot exhaust the call stack).
    fn skip_nested(&mut self) -> Scan<()> {
        let mut open: Vec<u8> = Vec::new();
        loop {
            // At the start of a value.
            match self.peek() {
                Some(b'{') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                    } else {
                        open.push(b'}');
                        self.skip_member_key()?;
                        continue;
                    }
                }
                Some(b'[') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                    } else {
                        open.push(b']');
                        continue;
                    }
                }
                _ => self.skip_scalar()?,
            }
            // After a value: a comma and the next member, or closing brackets.
            loop {
                let Some(&close) = open.last() else {
                    return Ok(());
                };
                self.skip_ws();
                match self.next() {
                    Some(b',') => {
                        self.skip_ws();
                        if close == b'}' {
                            self.skip_member_key()?;
                        }
                        break;
                    }
                    Some(b) if b == close => {
                        open.pop();
                    }
                    Some(b) => {
                        return Err(format!("unexpected {:?} in a nested value", b as char).into());
                    }
                    None => return Err("unterminated nested value".into()),
                }
            }
        }
    }

    /// `"key" :` inside a skipped object, leaving the position at the value.
    fn skip_member_key(&mut self) -> Scan<()> {
        if self.peek() != Some(b'"') {
            return Err("expected a key in a nested object".into());
        }
        self.skip_string()?;
        self.skip_ws();
        self.expect(b':')?;
        self.skip_ws();
        Ok(())
    }
}

/// The common number, a plain integer of 1 to 15 digits (Unix seconds), read eight
/// digits at a time: its value and length. `None` for anything else — a sign, a
/// fraction, an exponent, a leading zero, more digits, fewer than 16 bytes left — which
/// [`Scanner::number_or_null`] then reads the general way, to the same value.
#[inline(always)]
fn plain_integer(s: &[u8]) -> Option<(f64, usize)> {
    let word = |at: usize| u64::from_le_bytes(s[at..at + 8].try_into().expect("8 bytes"));
    if s.len() < 16 {
        return None;
    }
    // Each byte's high bit set where the byte is not an ASCII digit: exact up to the
    // first such byte (a carry can only leave a byte that is not a digit).
    let not_digits = |w: u64| {
        let t = w ^ 0x3030_3030_3030_3030;
        (t.wrapping_add(0x7676_7676_7676_7676) | t) & 0x8080_8080_8080_8080
    };
    let first = not_digits(word(0));
    let len = if first != 0 {
        (first.trailing_zeros() / 8) as usize
    } else {
        let second = not_digits(word(8));
        if second == 0 {
            return None;
        }
        8 + (second.trailing_zeros() / 8) as usize
    };
    let plain = match len {
        0 => false,
        1 => true,
        _ => s[0] != b'0',
    };
    if !plain || matches!(s[len], b'.' | b'e' | b'E') {
        return None;
    }
    // The first eight digits (or all, padded with leading zeros), then the rest.
    const ZEROS: u64 = 0x3030_3030_3030_3030;
    let value = if len <= 8 {
        let shift = 64 - 8 * len as u32;
        eight_digits(word(0) << shift | ZEROS.checked_shr(8 * len as u32).unwrap_or(0))
    } else {
        let rest = len - 8;
        let keep = u64::MAX << (8 * (8 - rest));
        let tail = word(len - 8) & keep | ZEROS & !keep;
        const POW10: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];
        eight_digits(word(0)) * POW10[rest] + eight_digits(tail)
    };
    // Fewer than 16 digits fit an `i64`, whose conversion is one instruction.
    Some((value as i64 as f64, len))
}

/// The value of eight ASCII digits, the first in the lowest byte (three multiplies).
#[inline]
fn eight_digits(w: u64) -> u64 {
    let v = (w & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561) >> 8;
    let v = (v & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601) >> 16;
    (v & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001) >> 32
}

/// The offset of the first `"`, `\\` or control character: where a string's plain
/// run ends. Eight bytes at a time (SWAR), since names and labels are short and a
/// byte loop costs several comparisons per byte.
#[inline(always)]
fn find_string_end(s: &[u8]) -> Option<usize> {
    string_stop(s).map(|(at, _)| at)
}

/// [`find_string_end`], and whether the byte there is the closing `"`: known from the
/// same masks, without loading it again. The first 16 bytes, where nearly every name
/// and label ends, are looked at in one vector where the processor has one.
#[inline(always)]
fn string_stop(s: &[u8]) -> Option<(usize, bool)> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(block) = s.first_chunk::<16>() {
        let (quotes, others) = sse2::stops(block);
        let hits = quotes | others;
        if hits != 0 {
            let at = hits.trailing_zeros();
            return Some((at as usize, quotes >> at & 1 != 0));
        }
        return string_stop_words(s, 16);
    }
    string_stop_words(s, 0)
}

/// [`string_stop`] from byte `from` on, eight bytes at a time (SWAR): names and labels
/// are short, and a byte loop costs several comparisons per byte.
#[inline(always)]
fn string_stop_words(s: &[u8], from: usize) -> Option<(usize, bool)> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    // Marks bytes of `w` that are zero; marks can be wrong only above a true one.
    let zero_bytes = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut i = from;
    while let Some(chunk) = s.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quotes = zero_bytes(w ^ (ONES * u64::from(b'"')));
        let others =
            zero_bytes(w ^ (ONES * u64::from(b'\\'))) | (w.wrapping_sub(ONES * 0x20) & !w & HIGH);
        let hits = quotes | others;
        if hits != 0 {
            // No mark is wrong at the lowest one: no stop lies below it.
            let first = hits & hits.wrapping_neg();
            return Some((
                i + (hits.trailing_zeros() / 8) as usize,
                quotes & first != 0,
            ));
        }
        i += 8;
    }
    s.get(i..)?
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .map(|k| (i + k, s[i + k] == b'"'))
}

/// The one place the reader uses the processor's vector instructions directly.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    /// Bit masks of the bytes of `block` that are `"`, and of those that are `\` or
    /// control characters (below 0x20).
    #[inline(always)]
    pub(super) fn stops(block: &[u8; 16]) -> (u32, u32) {
        // SAFETY: this module is compiled only where SSE2 is enabled for the whole
        // build (every x86-64 processor has it), which is all `stops_sse2` requires.
        unsafe { stops_sse2(block) }
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn stops_sse2(block: &[u8; 16]) -> (u32, u32) {
        // SAFETY: `block` is 16 readable bytes; the load needs no alignment.
        let v = unsafe { _mm_loadu_si128(block.as_ptr().cast::<__m128i>()) };
        let quotes = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslashes = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // Unsigned `b <= 0x1f`: the smaller of the two is `b` itself.
        let controls = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
        (
            _mm_movemask_epi8(quotes) as u32,
            _mm_movemask_epi8(_mm_or_si128(backslashes, controls)) as u32,
        )
    }
}

/// Decodes the four hex digits after `\u` (and a following low surrogate, if needed).
fn decode_unicode_escape(s: &[u8]) -> Result<(char, usize), String> {
    let hex4 = |s: &[u8]| -> Result<u32, String> {
        let digits = s.get(..4).ok_or("truncated \\u escape")?;
        let text = std::str::from_utf8(digits).map_err(|_| "invalid \\u escape")?;
        u32::from_str_radix(text, 16).map_err(|_| "invalid \\u escape".to_string())
    };
    let first = hex4(s)?;
    if (0xD800..0xDC00).contains(&first) {
        if s.get(4..6) != Some(b"\\u") {
            return Err("unpaired surrogate in \\u escape".into());
        }
        let second = hex4(&s[6..])?;
        if !(0xDC00..0xE000).contains(&second) {
            return Err("unpaired surrogate in \\u escape".into());
        }
        let code = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
        let ch = char::from_u32(code).ok_or("invalid \\u escape")?;
        return Ok((ch, 10));
    }
    let ch = char::from_u32(first).ok_or("invalid \\u escape")?;
    Ok((ch, 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_fields_and_skipped_nested_values_are_read() {
        let line = r#"{"x": {"y": [1, "}"]}, "model_a": "A", "model_b": "B\u00e9", "winner": "tie", "anony": false, "tstamp": 1.5e3, "task": null}"#;
        let (v, end) = parse_object(line).unwrap();
        assert_eq!(end, line.len());
        assert_eq!(v.model_a.as_deref(), Some("A"));
        assert_eq!(v.model_b.as_deref(), Some("Bé"));
        assert_eq!(v.winner.as_deref(), Some("tie"));
        assert_eq!(v.anony, Some(false));
        assert_eq!(v.tstamp, Some(1500.0));
        assert_eq!(v.task, None);
    }

    #[test]
    fn surrogate_pairs_and_escapes_are_decoded() {
        let (v, _) = parse_object(r#"{"model_a": "a\"\\\n\ud83d\ude00"}"#).unwrap();
        assert_eq!(v.model_a.as_deref(), Some("a\"\\\n\u{1F600}"));
    }

    #[test]
    fn plain_integers_read_as_the_general_way_does() {
        let mut tokens: Vec<String> = ["0", "00", "01", "1", "-1", "1.5", "1e3", "2E1", "0.0"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        for len in 1..=17 {
            tokens.push("9".repeat(len));
            tokens.push(
                (1..=len)
                    .map(|d| char::from(b'0' + (d % 10) as u8))
                    .collect(),
            );
            tokens.push(format!("{}{}", 7, "0".repeat(len - 1)));
        }
        for token in tokens {
            for after in ["}", ",", " ", ".5", "e2", "x", "\n"] {
                let text = format!("{token}{after}                ");
                let plain = token.len() <= 15
                    && token.bytes().all(|b| b.is_ascii_digit())
                    && (token.len() == 1 || !token.starts_with('0'))
                    && !after.starts_with(['.', 'e']);
                let want = plain.then(|| (token.parse::<u64>().unwrap() as f64, token.len()));
                assert_eq!(plain_integer(text.as_bytes()), want, "{text:?}");
            }
        }
    }

    #[test]
    fn string_ends_are_found_at_every_offset() {
        for len in 0..20 {
            for stop in [b'"', b'\\', b'\n', 0x1f] {
                let mut bytes = vec![b'x'; len];
                bytes.push(stop);
                bytes.extend_from_slice(b"\"tail\\");
                assert_eq!(find_string_end(&bytes), Some(len), "{len} {stop}");
                assert_eq!(
                    string_stop(&bytes),
                    Some((len, stop == b'"')),
                    "{len} {stop}"
                );
                // The word-at-a-time path alone, as on processors without vectors.
                assert_eq!(
                    string_stop_words(&bytes, 0),
                    Some((len, stop == b'"')),
                    "{len} {stop}"
                );
            }
            // Bytes just above the stop set, and UTF-8, are not stops.
            let clean: Vec<u8> = [b'#', b']', 0x20, 0xc3, 0xa9]
                .iter()
                .copied()
                .cycle()
                .take(len)
                .collect();
            assert_eq!(find_string_end(&clean), None);
            assert_eq!(string_stop_words(&clean, 0), None);
        }
    }

    #[test]
    fn prepared_literals_match_as_plain_ones_do() {
        let scanner = |text: &'static [u8]| Scanner {
            text: std::str::from_utf8(text).unwrap(),
            s: text,
            pos: 0,
        };
        let source = br#","model_b":"winner","tstamp":{"x":1}"#;
        for n in 0..=source.len() {
            let literal = &source[..n];
            let prepared = Literal::new(literal);
            // The literal itself, then each of its bytes changed, each followed by
            // enough text for the whole-word compare, or by none (the plain path).
            for changed in std::iter::once(None).chain((0..n).map(Some)) {
                for tail in [&b""[..], b"0123456789abcdef"] {
                    let mut text = literal.to_vec();
                    if let Some(i) = changed {
                        text[i] ^= 0x20;
                    }
                    text.extend_from_slice(tail);
                    let text: &'static [u8] = Box::leak(text.into_boxed_slice());
                    let (mut known, mut plain) = (scanner(text), scanner(text));
                    assert_eq!(
                        known.take_known(&prepared, || literal),
                        plain.take_literal(literal),
                        "{n} {changed:?} {tail:?}"
                    );
                    assert_eq!(known.pos, plain.pos);
                    assert_eq!(known.pos, if changed.is_none() { n } else { 0 });
                }
            }
        }
    }

    #[test]
    fn lines_read_through_a_layout_read_as_in_full() {
        let lines = [
            r#"{"model_a": "A", "model_b": "B", "winner": "tie", "tstamp": 1}"#,
            r#"{"model_a": "C\u00e9", "model_b": "D", "winner": "model_a", "tstamp": 2.5}"#,
            r#"{"model_a": null, "model_b": "D", "winner": "x", "tstamp": null}"#,
            r#"{"model_a": "A",  "model_b": "B", "winner": "tie", "tstamp": 1}"#,
            r#"{"model_a": "A", "model_b": 5, "winner": "tie", "tstamp": 1}"#,
            r#"{"model_a": "A", "model_b": "B", "winner": "tie", "tstamp": 1 }"#,
            r#"{"model_a": "A", "model_b": "B", "winner": "tie", "tstamp": 1, "x": 2}"#,
            r#"{"model_a": "A", "model_b": "B", "winner": "tie", "tstamp": 01}"#,
            r#"{"model_a": "A", "model_b": "B", "winner": "tie", "tstamp": [1]}"#,
        ];
        let mut layout = Layout::default();
        for line in lines {
            let mut fast = RawVote::default();
            let got = parse_line(line, &mut fast, &mut layout);
            match (got, parse_object(line)) {
                (Ok(used), Ok((full, end))) => {
                    assert_eq!(used, end, "{line}");
                    assert_eq!(format!("{fast:?}"), format!("{full:?}"), "{line}");
                }
                (Err(a), Err(b)) => assert_eq!(a, b, "{line}"),
                (a, b) => panic!("{line}: {a:?} vs {:?}", b.map(|(_, end)| end)),
            }
        }
    }

    #[test]
    fn malformed_objects_are_errors() {
        for bad in [
            r#"{"model_a": "A""#,
            r#"{"model_a" "A"}"#,
            r#"{"model_a": A}"#,
            r#"{"anony": "yes"}"#,
            r#"{"tstamp": "x"}"#,
            "[",
            r#"{"a": [1, 2}"#,
            "{\"model_a\": \"tab\there\"}",
        ] {
            assert!(parse_object(bad).is_err(), "{bad}");
        }
    }
}

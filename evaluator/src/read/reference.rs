//! The reference reader: the plain way to read a vote file, one line (or one array
//! element, or one CSV record) at a time, with `serde_json` and the `csv` crate doing
//! all the parsing. It is slow on purpose and never used for leaderboards; the fast
//! readers are checked against it, vote by vote and error by error (the differential
//! tests and a fuzz target): whatever one accepts the other accepts with the same
//! votes, and whatever one refuses the other refuses at the same line.
//!
//! Errors about the votes themselves (a missing field, a number as a model name, an
//! unknown winner label) carry the same message as the fast readers'; errors in the
//! JSON itself carry `serde_json`'s, after the prefix [`MALFORMED_JSON`].

use std::borrow::Cow;
use std::fmt;
use std::io::BufRead;

use serde::de::{DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::csv::{csv_error, parse_bool};
use super::json::RawVote;
use super::{Format, nonempty, parse_outcome, raw_to_vote, resolve, row_outcome};
use crate::error::{Error, Result};
use crate::vote::{Outcome, Vote};

pub use super::agreement::check_agreement;

/// How the CSV columns of covariates begin: `feature.brightness`.
pub const FEATURE_COLUMN: &str = "feature.";

/// How the fields of the two images' statistics begin (the arena's export): the
/// covariate `NAME` of a vote is `style_a_NAME − style_b_NAME`.
pub const STYLE_A: &str = "style_a_";
pub const STYLE_B: &str = "style_b_";

/// Adds `(NAME, a − b)` for every `style_a_NAME` that has a `style_b_NAME`; `None` when
/// either is not a number (an image whose statistics were never computed).
fn style_differences<'a>(
    fields: impl Iterator<Item = (&'a str, Option<f64>)> + Clone,
    out: &mut Covariates,
) {
    for (key, a) in fields.clone() {
        let Some(name) = key.strip_prefix(STYLE_A) else {
            continue;
        };
        let b = fields
            .clone()
            .find(|(k, _)| k.strip_prefix(STYLE_B) == Some(name))
            .map(|(_, v)| v);
        if let Some(b) = b {
            let difference = a.zip(b).map(|(a, b)| a - b);
            out.push((name.to_owned(), difference));
        }
    }
}

/// How the messages of errors that `serde_json` found begin.
pub const MALFORMED_JSON: &str = "malformed JSON: ";

/// Calls `f` for every vote in `reader`, in file order, like
/// [`for_each_vote`](crate::for_each_vote), but the plain way.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{reference, Format};
/// let file = "{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"tie\"}\n";
/// let mut n = 0;
/// reference::for_each_vote(file.as_bytes(), Format::Auto, |_| {
///     n += 1;
///     Ok(())
/// })
/// .unwrap();
/// assert_eq!(n, 1);
/// ```
pub fn for_each_vote<R, F>(reader: R, format: Format, mut f: F) -> Result<()>
where
    R: BufRead,
    F: FnMut(&Vote<'_>) -> Result<()>,
{
    for_each_vote_with_covariates(reader, format, |vote, _| f(vote))
}

/// One vote's covariates as its file gives them: JSON's `features` object, or CSV's
/// `feature.NAME` columns, as (name, value) with `None` for a value that is not a
/// finite number (an empty CSV cell, a JSON string or `null`).
pub(crate) type Covariates = Vec<(String, Option<f64>)>;

/// What a vote carries besides the fields of [`Vote`]: its covariates, and the text of
/// its answers on other judgement axes (JSON's `axes` object, or CSV's `axes` column
/// holding that object's text), read by [`answer_on_axis`].
#[derive(Debug, Default)]
pub(crate) struct Extras {
    pub covariates: Covariates,
    pub axes: Option<String>,
}

/// [`for_each_vote`] handing out each vote's covariates too (the readers of contextual
/// fits, which need every vote's own values).
pub(crate) fn for_each_vote_with_covariates<R, F>(reader: R, format: Format, mut f: F) -> Result<()>
where
    R: BufRead,
    F: FnMut(&Vote<'_>, &Covariates) -> Result<()>,
{
    for_each_vote_with_extras(reader, format, |vote, extras| f(vote, &extras.covariates))
}

/// [`for_each_vote`] handing out each vote's [`Extras`].
pub(crate) fn for_each_vote_with_extras<R, F>(mut reader: R, format: Format, mut f: F) -> Result<()>
where
    R: BufRead,
    F: FnMut(&Vote<'_>, &Extras) -> Result<()>,
{
    match resolve(&mut reader, format)? {
        Format::Jsonl | Format::Auto => jsonl(reader, &mut f),
        Format::Csv => csv(reader, &mut f),
        Format::Fastchat => {
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes)?;
            fastchat(&bytes, &mut f)
        }
    }
}

/// A vote's answer on judgement axis `axis`, from the text of its `axes` object
/// (`{"prompt": "model_a", …}`, labels as `winner`); `None` when it has none. For
/// readers outside this crate (the server's Parquet reader), as the file readers do.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{reference::answer_on_axis, Outcome};
/// let axes = Some(r#"{"prompt": "model_b"}"#);
/// assert_eq!(answer_on_axis(axes, "prompt", 1).unwrap(), Some(Outcome::B));
/// assert_eq!(answer_on_axis(axes, "quality", 1).unwrap(), None);
/// ```
pub fn answer_on_axis(axes: Option<&str>, axis: &str, line: u64) -> Result<Option<Outcome>> {
    let Some(text) = axes
        .map(str::trim)
        .filter(|t| !t.is_empty() && *t != "null")
    else {
        return Ok(None);
    };
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|_| Error::Parse {
            line,
            message: "field axes must be an object of winner labels".into(),
        })?;
    match object.get(axis) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(label)) => parse_outcome(label.as_bytes(), line).map(Some),
        Some(_) => Err(Error::Parse {
            line,
            message: format!("axes.{axis} must be a winner label"),
        }),
    }
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn is_blank(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

fn jsonl<R: BufRead, F>(mut reader: R, f: &mut F) -> Result<()>
where
    F: FnMut(&Vote<'_>, &Extras) -> Result<()>,
{
    let mut extras = Extras::default();
    let mut bytes = Vec::new();
    let mut line = 0u64;
    loop {
        bytes.clear();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(());
        }
        line += 1;
        let mut text = &bytes[..];
        if line == 1 {
            text = strip_bom(text);
        }
        if is_blank(text) {
            continue;
        }
        let text = std::str::from_utf8(text).map_err(|_| Error::Parse {
            line,
            message: "the line is not valid UTF-8".into(),
        })?;
        let raw = vote_object(text, line)?;
        let vote = raw_to_vote(&raw, line)?;
        json_extras(&raw, line, &mut extras)?;
        f(&vote, &extras)?;
    }
}

/// The extras of a JSON vote: the text of its `axes`, its `features` object of
/// numbers and the A-minus-B differences of its `style_a_*`/`style_b_*` fields.
fn json_extras(raw: &RawVote<'_>, line: u64, extras: &mut Extras) -> Result<()> {
    extras.axes = raw.axes.map(str::to_owned);
    let out = &mut extras.covariates;
    out.clear();
    style_differences(raw.styles.iter().map(|(k, v)| (k.as_str(), *v)), out);
    let Some(text) = raw.features.filter(|t| *t != "null") else {
        return Ok(());
    };
    let object: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(text).map_err(|_| Error::Parse {
            line,
            message: "field features must be an object of numbers".into(),
        })?;
    out.extend(object.into_iter().map(|(name, value)| {
        let number = value.as_f64().filter(|x| x.is_finite());
        (name, number)
    }));
    Ok(())
}

/// One JSON object holding a vote, parsed by `serde_json` alone (trailing text
/// included).
fn vote_object(text: &str, line: u64) -> Result<RawVote<'_>> {
    let mut problem = None;
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed = VoteSeed {
        problem: &mut problem,
    }
    .deserialize(&mut de)
    .and_then(|raw| de.end().map(|()| raw));
    match (parsed, problem) {
        (_, Some(message)) => Err(Error::Parse { line, message }),
        (Ok(raw), None) => Ok(raw),
        (Err(e), None) => Err(malformed(line, &e)),
    }
}

fn malformed(line: u64, e: &serde_json::Error) -> Error {
    Error::Parse {
        line,
        message: format!("{MALFORMED_JSON}{e}"),
    }
}

/// Reads one vote object; a problem with the vote rather than the JSON is put in
/// `problem` (the error `serde_json` returns then only stops the parse).
struct VoteSeed<'p> {
    problem: &'p mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for VoteSeed<'_> {
    type Value = RawVote<'de>;

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for VoteSeed<'_> {
    type Value = RawVote<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a vote object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawVote<'de>, A::Error> {
        let mut raw = RawVote::default();
        while let Some(key) = map.next_key::<String>()? {
            let kept = |map: &mut A| map.next_value::<&'de RawValue>();
            let checked = match key.as_str() {
                "model_a" => string_or_null(kept(&mut map)?, "model_a").map(|v| raw.model_a = v),
                "model_b" => string_or_null(kept(&mut map)?, "model_b").map(|v| raw.model_b = v),
                "model_c" => string_or_null(kept(&mut map)?, "model_c").map(|v| raw.model_c = v),
                "model_d" => string_or_null(kept(&mut map)?, "model_d").map(|v| raw.model_d = v),
                "worst" => string_or_null(kept(&mut map)?, "worst").map(|v| raw.worst = v),
                "winner" => string_or_null(kept(&mut map)?, "winner").map(|v| raw.winner = v),
                "category" => string_or_null(kept(&mut map)?, "category").map(|v| raw.category = v),
                "task" => string_or_null(kept(&mut map)?, "task").map(|v| raw.task = v),
                "left_model" => {
                    string_or_null(kept(&mut map)?, "left_model").map(|v| raw.left_model = v)
                }
                "right_model" => {
                    string_or_null(kept(&mut map)?, "right_model").map(|v| raw.right_model = v)
                }
                "vote_type" => {
                    string_or_null(kept(&mut map)?, "vote_type").map(|v| raw.vote_type = v)
                }
                "anony" => bool_or_null(kept(&mut map)?, "anony").map(|v| raw.anony = v),
                "counts_for_leaderboard" => bool_or_null(kept(&mut map)?, "counts_for_leaderboard")
                    .map(|v| raw.counts_for_leaderboard = v),
                "tstamp" => number_or_null(kept(&mut map)?, "tstamp").map(|v| raw.tstamp = v),
                "judge" => string_or_any(kept(&mut map)?).map(|v| raw.judge = v),
                "features" => {
                    raw.features = Some(kept(&mut map)?.get());
                    Ok(())
                }
                "axes" => {
                    raw.axes = Some(kept(&mut map)?.get());
                    Ok(())
                }
                k if k.starts_with(STYLE_A) || k.starts_with(STYLE_B) => {
                    let value = kept(&mut map)?;
                    let number = serde_json::from_str::<Option<f64>>(value.get())
                        .ok()
                        .flatten()
                        .filter(|x| x.is_finite());
                    raw.styles.push((key.clone(), number));
                    Ok(())
                }
                "voter" => string_or_any(kept(&mut map)?).map(|v| raw.voter = v),
                _ => map
                    .next_value::<IgnoredAny>()
                    .map(drop)
                    .map_err(Problem::Json),
            };
            match checked {
                Ok(()) => {}
                Err(Problem::Vote(message)) => {
                    *self.problem = Some(message);
                    return Err(serde::de::Error::custom("not a vote"));
                }
                Err(Problem::Json(e)) => return Err(e),
            }
        }
        Ok(raw)
    }
}

/// Why a field could not be taken: the vote's fault, or the JSON's.
enum Problem<E> {
    Vote(String),
    Json(E),
}

type Field<T, E> = std::result::Result<Option<T>, Problem<E>>;

/// A string decoded by `serde_json` (which checks escapes and surrogates).
fn decode<'de, E: serde::de::Error>(raw: &'de RawValue) -> Result<Cow<'de, str>, Problem<E>> {
    serde_json::from_str::<String>(raw.get())
        .map(Cow::Owned)
        .map_err(|e| Problem::Json(E::custom(e)))
}

fn string_or_null<'de, E: serde::de::Error>(
    raw: &'de RawValue,
    name: &str,
) -> Field<Cow<'de, str>, E> {
    match raw.get().as_bytes()[0] {
        b'"' => decode(raw).map(Some),
        b'n' => Ok(None),
        _ => Err(Problem::Vote(format!("field {name} must be a string"))),
    }
}

fn string_or_any<'de, E: serde::de::Error>(raw: &'de RawValue) -> Field<Cow<'de, str>, E> {
    match raw.get().as_bytes()[0] {
        b'"' => decode(raw).map(Some),
        _ => Ok(None),
    }
}

fn bool_or_null<E>(raw: &RawValue, name: &str) -> Field<bool, E> {
    match raw.get() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        "null" => Ok(None),
        _ => Err(Problem::Vote(format!(
            "field {name} must be true, false or null"
        ))),
    }
}

fn number_or_null<E>(raw: &RawValue, name: &str) -> Field<f64, E> {
    if raw.get() == "null" {
        return Ok(None);
    }
    serde_json::from_str::<serde_json::Number>(raw.get())
        .ok()
        .and_then(|n| n.as_f64())
        .filter(|x| x.is_finite())
        .map(Some)
        .ok_or_else(|| Problem::Vote(format!("field {name} must be a number")))
}

/// A FastChat array: `serde_json` walks the array and hands out each element's text,
/// which is then read as one vote object; an element's line is the line it starts on.
fn fastchat<F>(bytes: &[u8], f: &mut F) -> Result<()>
where
    F: FnMut(&Vote<'_>, &Extras) -> Result<()>,
{
    let bytes = strip_bom(bytes);
    if is_blank(bytes) {
        return Ok(());
    }
    let mut problem = None;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let walked = de
        .deserialize_seq(Elements {
            start: bytes,
            f,
            problem: &mut problem,
        })
        .and_then(|()| de.end());
    match (walked, problem) {
        (_, Some(error)) => Err(error),
        (Ok(()), None) => Ok(()),
        (Err(e), None) => Err(malformed(e.line() as u64, &e)),
    }
}

struct Elements<'a, 'f, F> {
    start: &'a [u8],
    f: &'f mut F,
    problem: &'f mut Option<Error>,
}

impl<'de, F> Visitor<'de> for Elements<'_, '_, F>
where
    F: FnMut(&Vote<'_>, &Extras) -> Result<()>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a FastChat battle array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut extras = Extras::default();
        while let Some(element) = seq.next_element::<&'de RawValue>()? {
            let text = element.get();
            let offset = text.as_ptr() as usize - self.start.as_ptr() as usize;
            let line = 1 + memchr::memchr_iter(b'\n', &self.start[..offset]).count() as u64;
            let done = vote_object(text, line).and_then(|raw| {
                let vote = raw_to_vote(&raw, line)?;
                json_extras(&raw, line, &mut extras)?;
                (self.f)(&vote, &extras)
            });
            if let Err(error) = done {
                *self.problem = Some(error);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// CSV through the `csv` crate's string records, one at a time.
fn csv<R: BufRead, F>(reader: R, f: &mut F) -> Result<()>
where
    F: FnMut(&Vote<'_>, &Extras) -> Result<()>,
{
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    let headers = rdr.byte_headers().map_err(csv_error)?.clone();
    if headers.is_empty() {
        return Ok(());
    }
    let column = |names: &[&str]| {
        names.iter().find_map(|name| {
            headers
                .iter()
                .position(|h| h.trim_ascii() == name.as_bytes())
        })
    };
    let required = |names: &[&str]| {
        column(names).ok_or_else(|| Error::Parse {
            line: 1,
            message: format!("the header row has no {} column", names.join(" or ")),
        })
    };
    let model_a = required(&["model_a", "left"])?;
    let model_b = required(&["model_b", "right"])?;
    let winner = required(&["winner"])?;
    let model_c = column(&["model_c"]);
    let model_d = column(&["model_d"]);
    let worst = column(&["worst"]);
    let anony = column(&["anony"]);
    let tstamp = column(&["tstamp"]);
    let category = column(&["category", "task"]);
    let counts = column(&["counts_for_leaderboard"]);
    let judge = column(&["judge", "voter", "worker"]);
    let axes = column(&["axes"]);
    let named: Vec<(usize, String)> = headers
        .iter()
        .enumerate()
        .filter_map(|(i, h)| Some((i, std::str::from_utf8(h.trim_ascii()).ok()?.to_owned())))
        .collect();
    let feature_columns: Vec<(usize, String)> = named
        .iter()
        .filter_map(|(i, name)| Some((*i, name.strip_prefix(FEATURE_COLUMN)?.to_owned())))
        .collect();
    let style_columns: Vec<(usize, &str)> = named
        .iter()
        .filter(|(_, name)| name.starts_with(STYLE_A) || name.starts_with(STYLE_B))
        .map(|(i, name)| (*i, name.as_str()))
        .collect();
    let mut extras = Extras::default();
    for record in rdr.byte_records() {
        let record = record.map_err(csv_error)?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: usize, name: &str| -> Result<String> {
            String::from_utf8(record.get(i).unwrap_or_default().to_vec()).map_err(|_| {
                Error::Parse {
                    line,
                    message: format!("column {name} is not valid UTF-8"),
                }
            })
        };
        let optional = |col: Option<usize>, name: &str| -> Result<Option<String>> {
            Ok(match col {
                Some(i) => Some(cell(i, name)?.trim().to_string()).filter(|t| !t.is_empty()),
                None => None,
            })
        };
        // The same order of checks as the fast reader, so that a record with two
        // problems is refused for the same one.
        let tstamp_value =
            match optional(tstamp, "tstamp")? {
                Some(t) => Some(t.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(
                    || Error::Parse {
                        line,
                        message: format!("tstamp {t:?} is not a number"),
                    },
                )?),
                None => None,
            };
        let a = cell(model_a, "model_a")?;
        let a = nonempty(&a, "model_a", line)?;
        let b = cell(model_b, "model_b")?;
        let b = nonempty(&b, "model_b", line)?;
        let c = optional(model_c, "model_c")?;
        let d = optional(model_d, "model_d")?;
        let worst_value = optional(worst, "worst")?;
        let (outcome, kwise) = row_outcome(
            [a, b],
            c.as_deref(),
            d.as_deref(),
            cell(winner, "winner")?.trim().as_bytes(),
            worst_value.as_deref().map(str::as_bytes),
            line,
        )?;
        let anony_value = parse_bool(optional(anony, "anony")?.as_deref(), "anony", line)?;
        let category_value = optional(category, "category")?;
        let counts_value = parse_bool(
            optional(counts, "counts_for_leaderboard")?.as_deref(),
            "counts_for_leaderboard",
            line,
        )?;
        let judge_value = optional(judge, "judge")?;
        let vote = Vote {
            model_a: a,
            model_b: b,
            outcome,
            anony: anony_value,
            tstamp: tstamp_value,
            category: category_value.as_deref(),
            counts_for_leaderboard: counts_value,
            judge: judge_value.as_deref(),
            line,
            kwise,
        };
        let number = |i: usize| {
            std::str::from_utf8(record.get(i).unwrap_or_default())
                .ok()
                .and_then(|t| t.trim().parse::<f64>().ok())
                .filter(|x| x.is_finite())
        };
        extras.axes = optional(axes, "axes")?;
        let covariates = &mut extras.covariates;
        covariates.clear();
        style_differences(
            style_columns.iter().map(|&(i, name)| (name, number(i))),
            covariates,
        );
        for (i, name) in &feature_columns {
            covariates.push((name.clone(), number(*i)));
        }
        f(&vote, &extras)?;
    }
    Ok(())
}

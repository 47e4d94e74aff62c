//! Streaming readers for vote files: JSONL, CSV and FastChat's clean-battle JSON.
//!
//! Every reader hands out one [`Vote`] at a time, borrowed from its buffer, so memory
//! stays flat however long the file is. [`read_counts`] goes one step further and
//! folds the stream into per-pair [`Counts`] as it reads.

mod agreement;
mod csv;
mod fastchat;
pub(crate) mod json;
mod jsonl;
mod layout;
pub mod reference;

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::contextual::Rows;
use crate::counts::Counts;
use crate::error::{Error, Result};
use crate::filter::{Excluded, VoteFilter};
use crate::options::Control;
use crate::vote::{Kwise, Outcome, Position, Vote};

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
///
/// Readers of formats the evaluator does not parse itself (the server's Parquet
/// reader) fold their votes in with [`Tally::add`], one tally per thread, and
/// [`Tally::merge`] them in file order.
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

/// [`read_counts`] on a file: JSONL is read on every core, each reading its own
/// share of the file; `Format::Auto` looks at the extension, then the first byte.
///
/// # Examples
///
/// ```no_run
/// use arena_evaluator::{read_counts_from_path, Format, VoteFilter};
/// let tally = read_counts_from_path("votes.jsonl", Format::Auto, &VoteFilter::default())?;
/// println!("{} votes", tally.counts.total());
/// # Ok::<(), arena_evaluator::Error>(())
/// ```
pub fn read_counts_from_path(
    path: impl AsRef<Path>,
    format: Format,
    filter: &VoteFilter,
) -> Result<Tally> {
    read_tally_from_path(path.as_ref(), format, filter, false, None).map(|(tally, _)| tally)
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

/// What one thread folds its share of a file into: a tally, and for online Elo the
/// admitted votes in order (indices into this part's own counts).
#[derive(Debug, Clone, Default)]
struct Part {
    tally: Tally,
    order: Vec<OrderedVote>,
}

impl Part {
    fn take(&mut self, filter: &VoteFilter, vote: &Vote<'_>, keep_order: bool) {
        if let Some((a, b)) = self.tally.add(filter, vote) {
            if keep_order && a != b {
                self.order.push(OrderedVote {
                    tstamp: vote.tstamp.unwrap_or(f64::NAN),
                    a,
                    b,
                    outcome: vote.outcome,
                });
            }
        }
    }
}

/// Joins parts in file order: models are then numbered in the order first seen in
/// the file, as a single reader would, and the votes kept for Elo stay in file order.
fn merge_parts(parts: Vec<Part>) -> (Tally, Vec<OrderedVote>) {
    let mut parts = parts.into_iter();
    let Some(first) = parts.next() else {
        return (Tally::default(), Vec::new());
    };
    let (mut tally, mut order) = (first.tally, first.order);
    for part in parts {
        let to_merged: Vec<u32> = part
            .tally
            .counts
            .models()
            .iter()
            .map(|name| tally.counts.intern(name))
            .collect();
        order.extend(part.order.iter().map(|v| OrderedVote {
            a: to_merged[v.a as usize],
            b: to_merged[v.b as usize],
            ..*v
        }));
        tally.merge(&part.tally);
    }
    tally.excluded.self_battles = tally.counts.self_battles();
    (tally, order)
}

/// Folds the votes that `read` hands out (in file order) into a tally, keeping them
/// in order too when `keep_order`: for readers outside this crate.
pub(crate) fn tally_votes<E>(
    filter: &VoteFilter,
    keep_order: bool,
    read: impl FnOnce(&mut dyn FnMut(&Vote<'_>)) -> std::result::Result<(), E>,
) -> std::result::Result<(Tally, Vec<OrderedVote>), E> {
    let mut part = Part::default();
    read(&mut |vote| part.take(filter, vote, keep_order))?;
    Ok(merge_parts(vec![part]))
}

/// How many threads read a file of `len` bytes: all cores (at most 8), but not
/// for a file so small that starting them costs more than reading it.
fn threads_for(len: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let worth = usize::try_from(len / (256 << 10))
        .unwrap_or(usize::MAX)
        .max(1);
    cores.min(8).min(worth)
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
    if format == Format::Jsonl && threads > 1 {
        let mut parts = vec![Part::default(); threads];
        jsonl::read_parallel(reader, &mut parts, &|part: &mut Part, vote: &Vote<'_>| {
            part.take(filter, vote, keep_order);
            Ok(())
        })?;
        return Ok(merge_parts(parts));
    }
    let mut part = Part::default();
    for_each_vote(reader, format, |vote| {
        part.take(filter, vote, keep_order);
        Ok(())
    })?;
    Ok(merge_parts(vec![part]))
}

/// Collects votes with their covariates for a contextual fit: the tally (as
/// [`read_tally`] would count it) and one row per admitted vote with the values of
/// `control`'s covariates. A counted vote without one of them, or with a value that
/// is not a number, is an error naming its line.
pub(crate) struct RowCollector<'f> {
    filter: &'f VoteFilter,
    tally: Tally,
    rows: Rows,
    names: Option<Vec<String>>,
    values: Vec<f64>,
}

impl<'f> RowCollector<'f> {
    pub fn new(filter: &'f VoteFilter, control: &Control) -> Self {
        RowCollector {
            filter,
            tally: Tally::default(),
            rows: Rows::default(),
            names: match control {
                Control::All => None,
                Control::Features(names) => Some(names.clone()),
            },
            values: Vec::new(),
        }
    }

    pub fn take(&mut self, vote: &Vote<'_>, covariates: &[(String, Option<f64>)]) -> Result<()> {
        let Some((a, b)) = self.tally.add(self.filter, vote) else {
            return Ok(());
        };
        let line = vote.line;
        let names = self.names.get_or_insert_with(|| {
            let mut all: Vec<String> = covariates.iter().map(|(n, _)| n.clone()).collect();
            all.sort();
            all.dedup();
            all
        });
        if names.is_empty() {
            return Err(Error::Parse {
                line,
                message: "the vote has no features to control for".into(),
            });
        }
        if self.rows.names.is_empty() {
            self.rows.names = names.clone();
        }
        self.values.clear();
        for name in names.iter() {
            match covariates.iter().find(|(n, _)| n == name) {
                Some((_, Some(value))) => self.values.push(*value),
                Some((_, None)) => {
                    return Err(Error::Parse {
                        line,
                        message: format!(
                            "feature {name:?} is not a number (for style_a_/style_b_ fields: \
                             an image without statistics; `arena features backfill` computes them)"
                        ),
                    });
                }
                None => {
                    return Err(Error::Parse {
                        line,
                        message: format!("feature {name:?} is missing"),
                    });
                }
            }
        }
        self.rows.push(a, b, vote.outcome, &self.values);
        Ok(())
    }

    pub fn finish(mut self) -> (Tally, Rows) {
        if self.rows.names.is_empty() {
            self.rows.names = self.names.unwrap_or_default();
        }
        self.tally.excluded.self_battles = self.tally.counts.self_battles();
        (self.tally, self.rows)
    }
}

/// [`RowCollector`] over a vote file, read the plain way ([`reference`]), since every
/// vote's own values are kept anyway.
pub(crate) fn read_rows<R: BufRead>(
    reader: R,
    format: Format,
    filter: &VoteFilter,
    control: &Control,
) -> Result<(Tally, Rows)> {
    let mut collector = RowCollector::new(filter, control);
    reference::for_each_vote_with_covariates(reader, format, |vote, covariates| {
        collector.take(vote, covariates)
    })?;
    Ok(collector.finish())
}

/// [`read_rows`] on a file (the format from its extension, then its first byte).
pub(crate) fn read_rows_from_path(
    path: &Path,
    format: Format,
    filter: &VoteFilter,
    control: &Control,
) -> Result<(Tally, Rows)> {
    let file = File::open(path).map_err(|source| Error::Open {
        path: path.to_owned(),
        source,
    })?;
    let format = match format {
        Format::Auto => Format::from_extension(path),
        known => known,
    };
    read_rows(
        BufReader::with_capacity(1 << 20, file),
        format,
        filter,
        control,
    )
}

/// Votes read for judgement axis `axis`: each vote's outcome is its answer there (its
/// `axes` object), votes without one are counted as `no_answer`; folded as
/// [`read_tally`] does, or with `control` collected as [`read_rows`] does. Read the
/// plain way ([`reference`]): only axis boards need the `axes` object.
pub(crate) fn read_axis<R: BufRead>(
    reader: R,
    format: Format,
    filter: &VoteFilter,
    axis: &str,
    control: Option<&Control>,
    keep_order: bool,
) -> Result<(Tally, Vec<OrderedVote>, Option<Rows>)> {
    let mut part = Part::default();
    let mut collector = control.map(|c| RowCollector::new(filter, c));
    let mut no_answer = 0;
    reference::for_each_vote_with_extras(reader, format, |vote, extras| {
        let Some(outcome) = reference::answer_on_axis(extras.axes.as_deref(), axis, vote.line)?
        else {
            no_answer += 1;
            return Ok(());
        };
        let vote = Vote { outcome, ..*vote };
        match &mut collector {
            Some(c) => c.take(&vote, &extras.covariates),
            None => {
                part.take(filter, &vote, keep_order);
                Ok(())
            }
        }
    })?;
    let (mut tally, order, rows) = match collector {
        Some(c) => {
            let (tally, rows) = c.finish();
            (tally, Vec::new(), Some(rows))
        }
        None => {
            let (tally, order) = merge_parts(vec![part]);
            (tally, order, None)
        }
    };
    tally.excluded.no_answer += no_answer;
    Ok((tally, order, rows))
}

/// [`read_axis`] on a file (the format from its extension, then its first byte).
pub(crate) fn read_axis_from_path(
    path: &Path,
    format: Format,
    filter: &VoteFilter,
    axis: &str,
    control: Option<&Control>,
    keep_order: bool,
) -> Result<(Tally, Vec<OrderedVote>, Option<Rows>)> {
    let file = File::open(path).map_err(|source| Error::Open {
        path: path.to_owned(),
        source,
    })?;
    let format = match format {
        Format::Auto => Format::from_extension(path),
        known => known,
    };
    read_axis(
        BufReader::with_capacity(1 << 20, file),
        format,
        filter,
        axis,
        control,
        keep_order,
    )
}

/// [`read_tally`] on a file, which JSONL (and CSV without quotes) reads in one share
/// per thread (`threads`, or as many as pay off).
pub(crate) fn read_tally_from_path(
    path: &Path,
    format: Format,
    filter: &VoteFilter,
    keep_order: bool,
    threads: Option<usize>,
) -> Result<(Tally, Vec<OrderedVote>)> {
    let open = || {
        File::open(path).map_err(|source| Error::Open {
            path: path.to_owned(),
            source,
        })
    };
    let format = match format {
        Format::Auto => match Format::from_extension(path) {
            Format::Auto => resolve(&mut BufReader::with_capacity(64 << 10, open()?), format)?,
            known => known,
        },
        known => known,
    };
    let file = open()?;
    let len = file.metadata()?.len();
    let threads = threads.unwrap_or_else(|| threads_for(len)).max(1);
    let parallel = threads > 1 && cfg!(any(unix, windows));
    if parallel && format == Format::Csv {
        let mut parts = vec![Part::default(); threads];
        let take = |part: &mut Part, vote: &Vote<'_>| {
            part.take(filter, vote, keep_order);
            Ok(())
        };
        // A file it cannot read in shares surely (quotes, odd rows) is read on one
        // thread below, which words any refusal.
        if csv::read_file_parallel(&file, len, &mut parts, &take)? {
            return Ok(merge_parts(parts));
        }
    }
    if format != Format::Jsonl || !parallel {
        return read_tally(
            BufReader::with_capacity(1 << 20, file),
            format,
            filter,
            keep_order,
        );
    }
    let mut parts = vec![Part::default(); threads];
    jsonl::read_file_parallel(&file, len, &mut parts, &|part: &mut Part, vote| {
        part.take(filter, vote, keep_order);
        Ok(())
    })?;
    Ok(merge_parts(parts))
}

impl Tally {
    /// Counts `vote` if `filter` admits it (returning its models' indices in
    /// [`Self::counts`]), else records why not.
    ///
    /// # Examples
    ///
    /// ```
    /// use arena_evaluator::{Outcome, Tally, Vote, VoteFilter};
    /// let mut tally = Tally::default();
    /// let vote = Vote {
    ///     model_a: "x", model_b: "y", outcome: Outcome::A, anony: Some(false),
    ///     tstamp: None, category: None, counts_for_leaderboard: None, judge: None, line: 1,
    ///     kwise: None,
    /// };
    /// assert_eq!(tally.add(&VoteFilter::default(), &vote), None);
    /// assert_eq!(tally.excluded.not_anonymous, 1);
    /// ```
    #[inline]
    pub fn add(&mut self, filter: &VoteFilter, vote: &Vote<'_>) -> Option<(u32, u32)> {
        if let Err(reason) = filter.admits(vote) {
            self.excluded.record(reason);
            return None;
        }
        if let Some(k) = &vote.kwise {
            // Counted as a choice; not a pair, so no indices for online Elo or rows.
            let models: Vec<&str> = vote.models().collect();
            let added =
                self.counts
                    .add_choice(&models, k.best.index(), k.worst.map(Position::index), 1);
            debug_assert!(added.is_ok(), "the readers check K-wise votes: {added:?}");
            return None;
        }
        let a = self.counts.intern(vote.model_a);
        let b = self.counts.intern(vote.model_b);
        self.counts.add_indices(a, b, vote.outcome, 1);
        Some((a, b))
    }

    /// [`Self::add`] for a pairwise vote whose models' indices in [`Self::counts`] the
    /// caller may know already, as a reader of dictionary-encoded names does: `a` and
    /// `b` hold them, or `u32::MAX` when not known yet (then set here once the vote
    /// counts). A name is then hashed once per dictionary, not once per vote; the
    /// indices must come from this tally.
    ///
    /// # Examples
    ///
    /// ```
    /// use arena_evaluator::{Outcome, Tally, Vote, VoteFilter};
    /// let mut tally = Tally::default();
    /// let vote = Vote {
    ///     model_a: "x", model_b: "y", outcome: Outcome::A, anony: Some(true),
    ///     tstamp: None, category: None, counts_for_leaderboard: None, judge: None, line: 1,
    ///     kwise: None,
    /// };
    /// let (mut a, mut b) = (u32::MAX, u32::MAX);
    /// assert_eq!(tally.add_known(&VoteFilter::default(), &vote, &mut a, &mut b), Some((0, 1)));
    /// assert_eq!((a, b), (0, 1));
    /// tally.add_known(&VoteFilter::default(), &vote, &mut a, &mut b);
    /// assert_eq!(tally.counts.pair("x", "y").unwrap().a_wins, 2);
    /// ```
    pub fn add_known(
        &mut self,
        filter: &VoteFilter,
        vote: &Vote<'_>,
        a: &mut u32,
        b: &mut u32,
    ) -> Option<(u32, u32)> {
        debug_assert!(vote.kwise.is_none(), "a pairwise vote");
        if let Err(reason) = filter.admits(vote) {
            self.excluded.record(reason);
            return None;
        }
        // In the order `add` interns them, so that models keep their order of first sight.
        if *a == u32::MAX {
            *a = self.counts.intern(vote.model_a);
        }
        if *b == u32::MAX {
            *b = self.counts.intern(vote.model_b);
        }
        debug_assert_eq!(self.counts.models()[*a as usize], vote.model_a);
        debug_assert_eq!(self.counts.models()[*b as usize], vote.model_b);
        self.counts.add_indices(*a, *b, vote.outcome, 1);
        Some((*a, *b))
    }

    /// Adds the votes and exclusions of `other` (another part of the same input, read
    /// after this one).
    pub fn merge(&mut self, other: &Tally) {
        self.counts.merge(&other.counts);
        self.excluded.absorb(&other.excluded);
        self.excluded.self_battles = self.counts.self_battles();
    }
}

/// Turns the scanner's fields into a [`Vote`], checking the required ones.
pub(crate) fn raw_to_vote<'a>(raw: &'a json::RawVote<'_>, line: u64) -> Result<Vote<'a>> {
    let missing = |name: &str| Error::Parse {
        line,
        message: format!("missing field {name}"),
    };
    // GenAI-Bench names the models `left_model` and `right_model`, and the outcome
    // `vote_type` in its own spelling.
    let model_a =
        (raw.model_a.as_deref().or(raw.left_model.as_deref())).ok_or_else(|| missing("model_a"))?;
    let model_b = (raw.model_b.as_deref().or(raw.right_model.as_deref()))
        .ok_or_else(|| missing("model_b"))?;
    let (label, genai_bench) = match (raw.winner.as_deref(), raw.vote_type.as_deref()) {
        (Some(winner), _) => (winner, false),
        (None, Some(vote_type)) => (vote_type, true),
        (None, None) => return Err(missing("winner")),
    };
    let model_a = nonempty(model_a, "model_a", line)?;
    let model_b = nonempty(model_b, "model_b", line)?;
    let model_c = raw
        .model_c
        .as_deref()
        .map(|m| nonempty(m, "model_c", line))
        .transpose()?;
    let model_d = raw
        .model_d
        .as_deref()
        .map(|m| nonempty(m, "model_d", line))
        .transpose()?;
    let (outcome, kwise) = if genai_bench {
        if model_c.is_some() {
            return Err(Error::Parse {
                line,
                message: "a battle of three or four images names its best in field winner".into(),
            });
        }
        let outcome = Outcome::parse_genai_bench(label).map_err(|e| Error::Parse {
            line,
            message: e.to_string(),
        })?;
        (outcome, None)
    } else {
        row_outcome(
            [model_a, model_b],
            model_c,
            model_d,
            label.as_bytes(),
            raw.worst.as_deref().map(str::as_bytes),
            line,
        )?
    };
    Ok(Vote {
        model_a,
        model_b,
        outcome,
        anony: raw.anony,
        tstamp: raw.tstamp,
        category: raw.category.as_deref().or(raw.task.as_deref()),
        counts_for_leaderboard: raw.counts_for_leaderboard,
        judge: raw.judge.as_deref().or(raw.voter.as_deref()),
        line,
        kwise,
    })
}

/// The outcome of a row: a pairwise outcome, or for a row that names `model_c` (and
/// `model_d`) the K-wise choice — `winner` and `worst` naming positions (`model_c`, or
/// the arena's `c`), all models different. Every reader decides through this; a
/// reader of another format (the server's Parquet reader) should too.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{row_outcome, Outcome, Position};
/// let (outcome, kwise) = row_outcome(["x", "y"], None, None, b"tie", None, 1).unwrap();
/// assert_eq!((outcome, kwise), (Outcome::Tie, None));
/// let (_, kwise) = row_outcome(["x", "y"], Some("z"), None, b"model_c", Some(b"a"), 2).unwrap();
/// let kwise = kwise.unwrap();
/// assert_eq!((kwise.best, kwise.worst), (Position::C, Some(Position::A)));
/// assert!(row_outcome(["x", "y"], Some("z"), None, b"tie", None, 3).is_err());
/// assert!(row_outcome(["x", "y"], Some("x"), None, b"a", None, 4).is_err());
/// ```
pub fn row_outcome<'a>(
    [model_a, model_b]: [&'a str; 2],
    model_c: Option<&'a str>,
    model_d: Option<&'a str>,
    winner: &[u8],
    worst: Option<&[u8]>,
    line: u64,
) -> Result<(Outcome, Option<Kwise<'a>>)> {
    let error = |message: String| Error::Parse { line, message };
    let Some(model_c) = model_c else {
        if model_d.is_some() {
            return Err(error("field model_d needs a model_c".into()));
        }
        if worst.is_some() {
            return Err(error(
                "field worst belongs to battles of three or four images (model_c)".into(),
            ));
        }
        return Ok((parse_outcome(winner, line)?, None));
    };
    let shown: Vec<&str> = [model_a, model_b, model_c]
        .into_iter()
        .chain(model_d)
        .collect();
    let k = shown.len();
    let position = |label: &[u8], field: &str| {
        Position::from_label(label)
            .filter(|p| p.index() < k)
            .ok_or_else(|| {
                let last = Position::new(k - 1).expect("k <= 4").letter();
                error(format!(
                    "{field} {:?} of a battle of {k} images must name one of them (model_a … model_{last})",
                    String::from_utf8_lossy(label)
                ))
            })
    };
    let best = position(winner, "winner")?;
    let worst = worst.map(|w| position(w, "worst")).transpose()?;
    crate::choice::check(&shown, best.index(), worst.map(Position::index)).map_err(error)?;
    let kwise = Kwise {
        model_c,
        model_d,
        best,
        worst,
    };
    Ok((Outcome::A, Some(kwise)))
}

#[inline]
pub(crate) fn nonempty<'a>(name: &'a str, field: &str, line: u64) -> Result<&'a str> {
    // Nearly every name starts with a visible ASCII character, which settles it.
    if name.as_bytes().first().is_some_and(u8::is_ascii_graphic) {
        return Ok(name);
    }
    blank_or_not(name, field, line)
}

#[cold]
fn blank_or_not<'a>(name: &'a str, field: &str, line: u64) -> Result<&'a str> {
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

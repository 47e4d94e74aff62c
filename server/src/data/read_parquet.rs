//! Votes read back from Parquet (`arena leaderboard --input votes.parquet`): the
//! arena's own export, or any file with `model_a`, `model_b` and `winner` string
//! columns. Only the columns a leaderboard needs are decoded; the row groups are split
//! between the cores, each folding its rows straight into the evaluator's per-pair
//! counts, a few thousand rows at a time, so memory does not grow with the file.

use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::Path;

use anyhow::{Context, anyhow, bail};
use arena_evaluator::reference::answer_on_axis;
use arena_evaluator::{
    Kwise, Leaderboard, LeaderboardOptions, Method, Outcome, Tally, Vote, VoteFilter,
    leaderboard_from_tally, leaderboard_from_votes, row_outcome,
};
use parquet::column::reader::{ColumnReaderImpl, get_typed_column_reader};
use parquet::data_type::{BoolType, ByteArrayType, DataType, DoubleType, Int32Type, Int64Type};
use parquet::file::reader::{FileReader, RowGroupReader, SerializedFileReader};

use super::parquet_dict::{Cell, DictStrings};

/// How every Parquet file begins (and ends).
const MAGIC: &[u8; 4] = b"PAR1";

/// Rows decoded at a time, per column.
const BATCH: usize = 4096;

/// Whether the file at `path` is Parquet: by its extension, else its first bytes.
pub fn is_parquet(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
    {
        return true;
    }
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| &head == MAGIC)
}

/// The leaderboard of the votes in the Parquet file at `path`, as
/// [`arena_evaluator::leaderboard_from_path`] computes it for the other formats.
pub fn leaderboard(path: &Path, options: &LeaderboardOptions) -> anyhow::Result<Leaderboard> {
    options.validate()?;
    let open = || -> anyhow::Result<SerializedFileReader<File>> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        SerializedFileReader::new(file)
            .with_context(|| format!("{} is not a readable Parquet file", path.display()))
    };
    let reader = open()?;
    let columns = Columns::find(&reader, options)?;
    let axis = options.other_axis();
    let groups = reader.metadata().num_row_groups();
    // The row number (from 1) of each row group's first row, for error messages.
    let mut first_rows = Vec::with_capacity(groups + 1);
    let mut rows = 1u64;
    for g in reader.metadata().row_groups() {
        first_rows.push(rows);
        rows += g.num_rows() as u64;
    }
    if options.method == Method::Elo {
        // Online Elo needs the votes in file order: one thread.
        let mut no_answer = 0;
        let mut board = leaderboard_from_votes(options, |add| {
            read_groups(
                &reader,
                &columns,
                0..groups,
                first_rows.first().copied(),
                axis,
                &mut no_answer,
                Sink::Each(add),
            )
        })?;
        board.excluded.no_answer += no_answer;
        return Ok(board);
    }
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8)
        .min(groups)
        .max(1);
    let shares: Vec<Range<usize>> = (0..threads)
        .map(|k| groups * k / threads..groups * (k + 1) / threads)
        .collect();
    let (filter, columns, first_rows) = (&options.filter, &columns, &first_rows);
    let tallies: Vec<anyhow::Result<Tally>> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| {
                scope.spawn(move || {
                    // A reader per thread: one `File` shared between threads would
                    // share its read position too.
                    let reader = open()?;
                    let mut tally = Tally::default();
                    let mut no_answer = 0;
                    let first_row = first_rows.get(share.start).copied();
                    read_groups(
                        &reader,
                        columns,
                        share,
                        first_row,
                        axis,
                        &mut no_answer,
                        Sink::Tally(filter, &mut tally),
                    )?;
                    tally.excluded.no_answer += no_answer;
                    Ok(tally)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow!("a reader thread panicked")))
            })
            .collect()
    });
    let mut total = Tally::default();
    for tally in tallies {
        total.merge(&tally?);
    }
    Ok(leaderboard_from_tally(&total, options)?)
}

/// The columns a leaderboard reads, by index in the file's schema.
struct Columns {
    model_a: usize,
    model_b: usize,
    /// A battle of three or four images: its other models and the worst, when the
    /// file has them.
    model_c: Option<usize>,
    model_d: Option<usize>,
    worst: Option<usize>,
    winner: usize,
    anony: Option<usize>,
    counts_for_leaderboard: Option<usize>,
    /// Read only when the filter or the method needs the time.
    tstamp: Option<usize>,
    /// Read only when the filter asks for a category.
    category: Option<usize>,
    /// The answers on other judgement axes, read only when the options rate one.
    axes: Option<usize>,
}

impl Columns {
    fn find(
        reader: &SerializedFileReader<File>,
        options: &LeaderboardOptions,
    ) -> anyhow::Result<Columns> {
        let (filter, method) = (&options.filter, options.method);
        let schema = reader.metadata().file_metadata().schema_descr();
        let find = |names: &[&str]| {
            names.iter().find_map(|name| {
                schema
                    .columns()
                    .iter()
                    .position(|c| c.path().parts().len() == 1 && c.name() == *name)
            })
        };
        let required = |names: &[&str]| {
            find(names)
                .ok_or_else(|| anyhow!("the Parquet file has no {} column", names.join(" or ")))
        };
        let needs_time = method == Method::Elo || filter.since.is_some() || filter.until.is_some();
        Ok(Columns {
            model_a: required(&["model_a", "left_model"])?,
            model_b: required(&["model_b", "right_model"])?,
            model_c: find(&["model_c"]),
            model_d: find(&["model_d"]),
            worst: find(&["worst"]),
            winner: required(&["winner"])?,
            anony: find(&["anony"]),
            counts_for_leaderboard: find(&["counts_for_leaderboard"]),
            tstamp: find(&["tstamp"]).filter(|_| needs_time),
            category: find(&["category", "task"]).filter(|_| filter.category.is_some()),
            axes: match options.other_axis() {
                Some(_) => Some(required(&["axes"])?),
                None => None,
            },
        })
    }
}

/// Where [`read_groups`] hands the votes it reads.
enum Sink<'s> {
    /// Every vote, in file order.
    Each(&'s mut dyn FnMut(&Vote<'_>)),
    /// Into a tally, through the filter.
    Tally(&'s VoteFilter, &'s mut Tally),
}

/// A row group's dictionaries of `model_a`, `model_b` and `winner`, each entry
/// checked once: a pairwise row whose three entries passed is a vote without looking
/// at its text again, and its models' indices in the tally are found once per entry.
/// Any other row is read the general way, which words its error.
struct Entries {
    /// Per entry of `model_a`'s dictionary: whether it is a model name.
    names_a: Vec<bool>,
    names_b: Vec<bool>,
    /// Per entry of `winner`'s dictionary: the outcome it names, if any.
    outcomes: Vec<Option<Outcome>>,
    /// Per entry: the model's index in the tally, `u32::MAX` until first counted.
    ids_a: Vec<u32>,
    ids_b: Vec<u32>,
}

impl Entries {
    fn new(model_a: &DictStrings, model_b: &DictStrings, winner: &DictStrings) -> Entries {
        let names = |col: &DictStrings| -> Vec<bool> {
            (0..col.entries())
                .map(|k| matches!(col.entry(k), Cell::Text(m) if is_name(m)))
                .collect()
        };
        let outcomes = (0..winner.entries())
            .map(|k| match winner.entry(k) {
                Cell::Text(label) => label.trim().parse().ok(),
                Cell::Null | Cell::NotUtf8 => None,
            })
            .collect();
        Entries {
            names_a: names(model_a),
            names_b: names(model_b),
            outcomes,
            ids_a: vec![u32::MAX; model_a.entries()],
            ids_b: vec![u32::MAX; model_b.entries()],
        }
    }
}

/// The three dictionary columns of a batch, each with the chunk row its batch starts at.
type DictBatch<'c> = [(&'c DictStrings, usize); 3];

/// Row `i` of the batch as a pairwise vote's models, outcome and dictionary entries
/// of its models, when every one of its entries passed [`Entries`]' checks.
#[inline]
fn known_row<'c>(
    batch: &DictBatch<'c>,
    entries: &Entries,
    i: usize,
) -> Option<(&'c str, &'c str, Outcome, [usize; 2])> {
    let [(a, start_a), (b, start_b), (w, start_w)] = *batch;
    let ka = a.code(start_a + i).filter(|&k| entries.names_a[k])?;
    let kb = b.code(start_b + i).filter(|&k| entries.names_b[k])?;
    let outcome = entries.outcomes[w.code(start_w + i)?]?;
    let (Cell::Text(model_a), Cell::Text(model_b)) = (a.entry(ka), b.entry(kb)) else {
        return None;
    };
    Some((model_a, model_b, outcome, [ka, kb]))
}

/// Hands every row of the row groups `groups` to `sink` as a vote, in file order; with
/// an `axis`, with its answer there as the outcome (rows without one are counted in
/// `no_answer` instead).
fn read_groups(
    reader: &SerializedFileReader<File>,
    columns: &Columns,
    groups: Range<usize>,
    first_row: Option<u64>,
    axis: Option<&str>,
    no_answer: &mut u64,
    mut sink: Sink<'_>,
) -> anyhow::Result<()> {
    let mut row = first_row.unwrap_or(1);
    // Index buffers of the last row group's dictionary columns, for the next one's.
    let mut spare = Vec::new();
    for g in groups {
        let group = reader.get_row_group(g)?;
        let mut strings = |i| Strings::open(&*group, i, &mut spare);
        let mut model_a = strings(columns.model_a)?;
        let mut model_b = strings(columns.model_b)?;
        let mut winner = strings(columns.winner)?;
        let mut model_c = columns.model_c.map(&mut strings).transpose()?;
        let mut model_d = columns.model_d.map(&mut strings).transpose()?;
        let mut worst = columns.worst.map(&mut strings).transpose()?;
        let mut category = columns.category.map(&mut strings).transpose()?;
        let mut axes = columns.axes.map(&mut strings).transpose()?;
        let mut anony = columns
            .anony
            .map(|i| Column::<BoolType>::open(&*group, i))
            .transpose()?;
        let mut counts = columns
            .counts_for_leaderboard
            .map(|i| Column::<BoolType>::open(&*group, i))
            .transpose()?;
        let mut tstamp = columns.tstamp.map(|i| Time::open(&*group, i)).transpose()?;
        // Rows rated on another axis take their outcome from `axes`: the general way.
        let mut entries = match (&model_a, &model_b, &winner, &axes) {
            (
                Strings::Dict { column: a, .. },
                Strings::Dict { column: b, .. },
                Strings::Dict { column: w, .. },
                None,
            ) => Some(Entries::new(a, b, w)),
            _ => None,
        };
        loop {
            let n = model_a.next_batch()?;
            if n == 0 {
                break;
            }
            for other in [&mut model_b, &mut winner]
                .into_iter()
                .chain(category.as_mut())
                .chain(axes.as_mut())
                .chain(model_c.as_mut())
                .chain(model_d.as_mut())
                .chain(worst.as_mut())
            {
                other.next_batch_of(n)?;
            }
            for c in [anony.as_mut(), counts.as_mut()].into_iter().flatten() {
                c.next_batch_of(n)?;
            }
            if let Some(t) = tstamp.as_mut() {
                t.next_batch_of(n)?;
            }
            let batch: Option<DictBatch<'_>> = match (&model_a, &model_b, &winner) {
                (
                    Strings::Dict {
                        column: a,
                        start: start_a,
                        ..
                    },
                    Strings::Dict {
                        column: b,
                        start: start_b,
                        ..
                    },
                    Strings::Dict {
                        column: w,
                        start: start_w,
                        ..
                    },
                ) if entries.is_some() => Some([(a, *start_a), (b, *start_b), (w, *start_w)]),
                _ => None,
            };
            let others = Others {
                anony: anony.as_ref(),
                counts: counts.as_ref(),
                tstamp: tstamp.as_ref(),
                category: category.as_ref(),
                model_c: model_c.as_ref(),
                model_d: model_d.as_ref(),
            };
            let mut i = 0;
            while i < n {
                if let (Some(batch), Some(entries), Sink::Tally(filter, tally)) =
                    (&batch, entries.as_mut(), &mut sink)
                {
                    i = fold_known(batch, entries, &others, i..n, &mut row, filter, tally)?;
                    if i == n {
                        break;
                    }
                }
                let read = general_row(
                    [&winner, &model_a, &model_b],
                    [model_c.as_ref(), model_d.as_ref(), worst.as_ref()],
                    axis.zip(axes.as_ref()),
                    i,
                    row,
                )?;
                match read {
                    Some((model_a, model_b, outcome, kwise)) => {
                        let vote = others.vote(i, row, model_a, model_b, outcome, kwise)?;
                        match &mut sink {
                            Sink::Tally(filter, tally) => {
                                tally.add(filter, &vote);
                            }
                            Sink::Each(add) => add(&vote),
                        }
                    }
                    None => *no_answer += 1,
                }
                i += 1;
                row += 1;
            }
        }
        let required = [model_a, model_b, winner].into_iter().map(Some);
        let optional = [model_c, model_d, worst, category, axes];
        for strings in required.chain(optional).flatten() {
            if let Strings::Dict { column, .. } = strings {
                spare.push(column.into_rows());
            }
        }
    }
    Ok(())
}

/// The columns of a batch besides the models and the outcome.
struct Others<'c> {
    anony: Option<&'c Column<BoolType>>,
    counts: Option<&'c Column<BoolType>>,
    tstamp: Option<&'c Time>,
    category: Option<&'c Strings>,
    model_c: Option<&'c Strings>,
    model_d: Option<&'c Strings>,
}

impl<'c> Others<'c> {
    /// Row `i` (file row `row`) as a vote of these models and outcome.
    #[inline(always)]
    fn vote<'v>(
        &self,
        i: usize,
        row: u64,
        model_a: &'v str,
        model_b: &'v str,
        outcome: Outcome,
        kwise: Option<Kwise<'v>>,
    ) -> anyhow::Result<Vote<'v>>
    where
        'c: 'v,
    {
        Ok(Vote {
            model_a,
            model_b,
            outcome,
            anony: self.anony.and_then(|c| c.get(i).copied()),
            tstamp: self.tstamp.and_then(|t| t.get(i)),
            category: match self.category {
                Some(c) => text(c, i, "category", row)?,
                None => None,
            },
            counts_for_leaderboard: self.counts.and_then(|c| c.get(i).copied()),
            judge: None,
            line: row,
            kwise,
        })
    }

    /// Whether row `i` shows two images: no third or fourth model.
    #[inline]
    fn pairwise(&self, i: usize) -> bool {
        let none = |col: Option<&Strings>| col.is_none_or(|c| matches!(c.get(i), Ok(None)));
        none(self.model_c) && none(self.model_d)
    }
}

/// Counts rows `rows` of the batch into `tally` (`row` the file row of the first) as
/// long as they are pairwise rows of [`Entries`] that passed; returns the first row
/// that is not, for the general way (`rows.end` when every one was).
#[inline(never)]
fn fold_known(
    batch: &DictBatch<'_>,
    entries: &mut Entries,
    others: &Others<'_>,
    rows: Range<usize>,
    row: &mut u64,
    filter: &VoteFilter,
    tally: &mut Tally,
) -> anyhow::Result<usize> {
    for i in rows.clone() {
        if !others.pairwise(i) {
            return Ok(i);
        }
        let Some((model_a, model_b, outcome, [ka, kb])) = known_row(batch, entries, i) else {
            return Ok(i);
        };
        let vote = others.vote(i, *row, model_a, model_b, outcome, None)?;
        tally.add_known(
            filter,
            &vote,
            &mut entries.ids_a[ka],
            &mut entries.ids_b[kb],
        );
        *row += 1;
    }
    Ok(rows.end)
}

/// A row's models, outcome and K-wise part, as read from its text.
type GeneralRow<'c> = (&'c str, &'c str, Outcome, Option<Kwise<'c>>);

/// Row `i` of the batch read from its text: its models, outcome and, for three or four
/// images, its K-wise part; `None` when it has no answer on `axis` (with its `axes`
/// column). Errors name `row`.
fn general_row<'c>(
    [winner, model_a, model_b]: [&'c Strings; 3],
    [model_c, model_d, worst]: [Option<&'c Strings>; 3],
    axis: Option<(&str, &'c Strings)>,
    i: usize,
    row: u64,
) -> anyhow::Result<Option<GeneralRow<'c>>> {
    let label = text(winner, i, "winner", row)?.unwrap_or_default();
    let model_a = model(model_a, i, "model_a", row)?;
    let model_b = model(model_b, i, "model_b", row)?;
    let c = optional_text(model_c, i, "model_c", row)?;
    let d = optional_text(model_d, i, "model_d", row)?;
    let kwise_row = c.is_some() || d.is_some();
    if kwise_row && axis.is_some() {
        // Other questions are asked of pairs only.
        return Ok(None);
    }
    // Three or four images: the same checks as every reader makes.
    let (mut outcome, kwise) = if kwise_row {
        let worst_label = optional_text(worst, i, "worst", row)?;
        row_outcome(
            [model_a, model_b],
            c,
            d,
            label.trim().as_bytes(),
            worst_label.map(str::as_bytes),
            row,
        )
        .map_err(|e| at_row(row, e))?
    } else {
        let outcome: Outcome = label
            .trim()
            .parse()
            .map_err(|e| anyhow!("row {row}: {e}"))?;
        (outcome, None)
    };
    if let Some((axis, axes)) = axis {
        let answers = text(axes, i, "axes", row)?;
        match answer_on_axis(answers, axis, row).map_err(|e| at_row(row, e))? {
            Some(answer) => outcome = answer,
            None => return Ok(None),
        }
    }
    Ok(Some((model_a, model_b, outcome, kwise)))
}

/// The string in row `i` of the batch of `col`, if not null.
fn text<'c>(col: &'c Strings, i: usize, name: &str, row: u64) -> anyhow::Result<Option<&'c str>> {
    col.get(i)
        .map_err(|()| anyhow!("row {row}: {name} is not valid UTF-8"))
}

/// An evaluator error about row `row`, worded as this reader's own errors are.
fn at_row(row: u64, e: arena_evaluator::Error) -> anyhow::Error {
    match e {
        arena_evaluator::Error::Parse { message, .. } => anyhow!("row {row}: {message}"),
        other => anyhow!(other),
    }
}

/// The trimmed string in row `i` of an optional column; `None` when the column is
/// absent, the value null or blank.
fn optional_text<'c>(
    col: Option<&'c Strings>,
    i: usize,
    name: &str,
    row: u64,
) -> anyhow::Result<Option<&'c str>> {
    match col {
        Some(c) => Ok(text(c, i, name, row)?
            .map(str::trim)
            .filter(|t| !t.is_empty())),
        None => Ok(None),
    }
}

/// A model name: present and not blank.
fn model<'c>(col: &'c Strings, i: usize, name: &str, row: u64) -> anyhow::Result<&'c str> {
    text(col, i, name, row)?
        .filter(|m| is_name(m))
        .ok_or_else(|| anyhow!("row {row}: field {name} is empty"))
}

/// Whether `m` may name a model: it is not blank.
fn is_name(m: &str) -> bool {
    m.as_bytes().first().is_some_and(u8::is_ascii_graphic) || !m.chars().all(char::is_whitespace)
}

/// One column of a row group, decoded a batch at a time.
struct Column<T: DataType> {
    reader: ColumnReaderImpl<T>,
    /// `None` for a required column (every row has a value).
    max_def: Option<i16>,
    values: Vec<T::T>,
    defs: Vec<i16>,
    /// Row in the batch → index in `values` (`None`: null); for optional columns.
    at: Vec<Option<u32>>,
}

/// A column's batch of `got` rows beside the `n` rows of the first column's.
fn same_rows(got: usize, n: usize) -> anyhow::Result<()> {
    if got != n {
        bail!("the Parquet file's columns have different numbers of rows");
    }
    Ok(())
}

/// Column `i` of `group` as a column of `T`: one value per row, of that type.
fn check_column<T: DataType>(group: &dyn RowGroupReader, i: usize) -> anyhow::Result<()> {
    let descr = group.metadata().column(i).column_descr_ptr();
    let name = descr.name();
    if descr.max_rep_level() > 0 {
        bail!("column {name} is a list; a vote has one value there");
    }
    if descr.physical_type() != T::get_physical_type() {
        bail!(
            "column {name} holds {} values, not {}",
            descr.physical_type(),
            T::get_physical_type()
        );
    }
    Ok(())
}

/// A string column of a row group: by dictionary index when every page of it is
/// dictionary-encoded (see [`DictStrings`]), else through the `parquet` crate's
/// reader. Either way a batch at a time, `BATCH` rows.
enum Strings {
    Dict {
        column: DictStrings,
        /// The current batch: its first row in the chunk, and its length.
        start: usize,
        len: usize,
    },
    Plain(Box<Column<ByteArrayType>>),
}

impl Strings {
    /// Column `i` of `group`; a dictionary-encoded one decodes into a buffer from
    /// `spare` when there is one.
    fn open(
        group: &dyn RowGroupReader,
        i: usize,
        spare: &mut Vec<Vec<u32>>,
    ) -> anyhow::Result<Strings> {
        check_column::<ByteArrayType>(group, i)?;
        Ok(
            match DictStrings::read(group, i, spare.pop().unwrap_or_default()) {
                Some(column) => Strings::Dict {
                    column,
                    start: 0,
                    len: 0,
                },
                None => Strings::Plain(Box::new(Column::open(group, i)?)),
            },
        )
    }

    /// Moves to the next batch; returns its number of rows (0 at the end).
    fn next_batch(&mut self) -> anyhow::Result<usize> {
        match self {
            Strings::Dict { column, start, len } => {
                *start += *len;
                *len = BATCH.min(column.len() - *start);
                Ok(*len)
            }
            Strings::Plain(column) => column.next_batch(),
        }
    }

    fn next_batch_of(&mut self, n: usize) -> anyhow::Result<()> {
        same_rows(self.next_batch()?, n)
    }

    /// The text in row `row` of the batch (`None`: null); `Err` when it is not UTF-8.
    #[inline]
    fn get(&self, row: usize) -> Result<Option<&str>, ()> {
        match self {
            Strings::Dict { column, start, .. } => match column.get(start + row) {
                Cell::Text(text) => Ok(Some(text)),
                Cell::Null => Ok(None),
                Cell::NotUtf8 => Err(()),
            },
            Strings::Plain(column) => column
                .get(row)
                .map(|v| std::str::from_utf8(v.data()))
                .transpose()
                .map_err(drop),
        }
    }
}

impl<T: DataType> Column<T> {
    fn open(group: &dyn RowGroupReader, i: usize) -> anyhow::Result<Column<T>> {
        check_column::<T>(group, i)?;
        let max_def = group
            .metadata()
            .column(i)
            .column_descr_ptr()
            .max_def_level();
        let reader = get_typed_column_reader::<T>(group.get_column_reader(i)?);
        Ok(Column {
            reader,
            max_def: (max_def > 0).then_some(max_def),
            values: Vec::with_capacity(BATCH),
            defs: Vec::with_capacity(BATCH),
            at: Vec::with_capacity(BATCH),
        })
    }

    /// Decodes the next batch; returns its number of rows (0 at the end).
    fn next_batch(&mut self) -> anyhow::Result<usize> {
        self.values.clear();
        self.defs.clear();
        self.at.clear();
        let (rows, _, _) =
            self.reader
                .read_records(BATCH, Some(&mut self.defs), None, &mut self.values)?;
        if let Some(max_def) = self.max_def {
            let mut next = 0u32;
            for &d in &self.defs[..rows] {
                if d == max_def {
                    self.at.push(Some(next));
                    next += 1;
                } else {
                    self.at.push(None);
                }
            }
        }
        Ok(rows)
    }

    /// Decodes the next `n` rows, which the file's other columns have too.
    fn next_batch_of(&mut self, n: usize) -> anyhow::Result<()> {
        same_rows(self.next_batch()?, n)
    }

    fn get(&self, row: usize) -> Option<&T::T> {
        match self.max_def {
            None => self.values.get(row),
            Some(_) => self.at[row].map(|k| &self.values[k as usize]),
        }
    }
}

/// `tstamp` as Unix seconds, whether stored as a double or an integer.
enum Time {
    Double(Column<DoubleType>),
    Long(Column<Int64Type>),
    Int(Column<Int32Type>),
}

impl Time {
    fn open(group: &dyn RowGroupReader, i: usize) -> anyhow::Result<Time> {
        use parquet::basic::Type;
        Ok(match group.metadata().column(i).column_type() {
            Type::INT64 => Time::Long(Column::open(group, i)?),
            Type::INT32 => Time::Int(Column::open(group, i)?),
            _ => Time::Double(Column::open(group, i)?),
        })
    }

    fn next_batch_of(&mut self, n: usize) -> anyhow::Result<()> {
        match self {
            Time::Double(c) => c.next_batch_of(n),
            Time::Long(c) => c.next_batch_of(n),
            Time::Int(c) => c.next_batch_of(n),
        }
    }

    fn get(&self, row: usize) -> Option<f64> {
        match self {
            Time::Double(c) => c.get(row).copied().filter(|t| t.is_finite()),
            Time::Long(c) => c.get(row).map(|&t| t as f64),
            Time::Int(c) => c.get(row).map(|&t| f64::from(t)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arena_evaluator::{Counts, Optimizer, leaderboard_from_counts};
    use parquet::data_type::ByteArray;
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::parser::parse_message_type;

    use super::*;

    /// A Parquet file of string columns, each row's cells in column order (`None`:
    /// null).
    fn write(path: &Path, columns: &[&str], rows: &[Vec<Option<&str>>]) {
        let rows: Vec<Vec<Option<&[u8]>>> = rows
            .iter()
            .map(|r| r.iter().map(|c| c.map(str::as_bytes)).collect())
            .collect();
        write_with(
            path,
            columns,
            &rows,
            WriterProperties::default(),
            usize::MAX,
        );
    }

    /// [`write`] with bytes that may not be UTF-8, the writer's properties, and row
    /// groups of at most `group_rows` rows.
    fn write_with(
        path: &Path,
        columns: &[&str],
        rows: &[Vec<Option<&[u8]>>],
        properties: WriterProperties,
        group_rows: usize,
    ) {
        let fields: String = columns
            .iter()
            .map(|c| format!("optional binary {c} (UTF8);"))
            .collect();
        let schema =
            Arc::new(parse_message_type(&format!("message votes {{ {fields} }}")).unwrap());
        let file = File::create(path).unwrap();
        let mut writer = SerializedFileWriter::new(file, schema, Arc::new(properties)).unwrap();
        for rows in rows.chunks(group_rows.min(rows.len().max(1))) {
            let mut group = writer.next_row_group().unwrap();
            for c in 0..columns.len() {
                let cells: Vec<Option<&[u8]>> = rows.iter().map(|r| r[c]).collect();
                let values: Vec<ByteArray> = cells
                    .iter()
                    .flatten()
                    .map(|v| ByteArray::from(v.to_vec()))
                    .collect();
                let defs: Vec<i16> = cells.iter().map(|v| i16::from(v.is_some())).collect();
                let mut col = group.next_column().unwrap().unwrap();
                col.typed::<ByteArrayType>()
                    .write_batch(&values, Some(&defs), None)
                    .unwrap();
                col.close().unwrap();
            }
            group.close().unwrap();
        }
        writer.close().unwrap();
    }

    /// Whether column `i` of every row group of the file is read by dictionary index.
    fn read_by_index(path: &Path, i: usize) -> bool {
        let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
        (0..reader.metadata().num_row_groups())
            .all(|g| DictStrings::read(&*reader.get_row_group(g).unwrap(), i, Vec::new()).is_some())
    }

    /// The same rows written with dictionary pages (format v1 and v2, small pages,
    /// several row groups) and without, or with a dictionary that overflows into plain
    /// pages: every file gives the same board, or the same refusal at the same row.
    #[test]
    fn dictionary_and_plain_pages_read_alike() {
        use parquet::file::properties::WriterVersion;
        let dir = std::env::temp_dir().join(format!("arena-parquet-dict-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let columns = ["model_a", "model_b", "winner", "category"];
        let names: Vec<String> = (0..30).map(|k| format!("modèle-{k:02}")).collect();
        let winners = ["model_a", "model_b", "tie", "tie (bothbad)", " model_a "];
        let mut state = 7u64;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            (state >> 33) as usize % n
        };
        let rows: Rows = (0..10_000)
            .map(|_| {
                let a = next(30);
                // Now and then a model against itself, which is set aside.
                let b = if next(100) == 0 {
                    a
                } else {
                    (a + 1 + next(29)) % 30
                };
                let category = [None, Some(&b"people"[..]), Some(b"art")][next(3)];
                vec![
                    Some(names[a].as_bytes()),
                    Some(names[b].as_bytes()),
                    Some(winners[next(5)].as_bytes()),
                    category,
                ]
            })
            .collect();
        let plain = || WriterProperties::builder().set_dictionary_enabled(false);
        let small_pages = || {
            WriterProperties::builder()
                .set_data_page_row_count_limit(300)
                .set_write_batch_size(300)
        };
        let variants = [
            ("plain", plain().build(), usize::MAX, false),
            ("dictionary", WriterProperties::default(), usize::MAX, true),
            (
                "dictionary v2",
                WriterProperties::builder()
                    .set_writer_version(WriterVersion::PARQUET_2_0)
                    .build(),
                usize::MAX,
                true,
            ),
            ("small pages", small_pages().build(), 3_000, true),
            (
                "small pages v2",
                small_pages()
                    .set_writer_version(WriterVersion::PARQUET_2_0)
                    .build(),
                3_000,
                true,
            ),
            (
                "dictionary overflowing into plain pages",
                small_pages().set_dictionary_page_size_limit(64).build(),
                usize::MAX,
                false,
            ),
        ];
        let options = LeaderboardOptions {
            optimizer: Optimizer::Exact,
            ..LeaderboardOptions::default()
        };
        let by_category = LeaderboardOptions {
            filter: arena_evaluator::VoteFilter {
                category: Some("art".into()),
                ..Default::default()
            },
            ..options.clone()
        };
        let result = |path: &Path, options: &LeaderboardOptions| {
            leaderboard(path, options).map_err(|e| e.to_string())
        };
        type Rows<'a> = Vec<Vec<Option<&'a [u8]>>>;
        let mut cases: Vec<(&str, Rows)> = vec![("valid", rows.clone())];
        let mut null_model = rows.clone();
        null_model[5_000][0] = None;
        cases.push(("a null model", null_model));
        let mut not_utf8 = rows.clone();
        not_utf8[7_777][1] = Some(b"model-\xff");
        cases.push(("a name that is not UTF-8", not_utf8));
        let mut bad_label = rows.clone();
        bad_label[4_096][2] = Some(b"model_c");
        cases.push(("an unknown outcome", bad_label));
        let mut blank = rows.clone();
        blank[9_000][0] = Some(b" \t ");
        cases.push(("a blank name", blank));
        for (case, rows) in &cases {
            let mut want = None;
            for (variant, properties, group_rows, by_index) in variants.clone() {
                let path = dir.join(format!("{}.parquet", variant.replace(' ', "-")));
                write_with(&path, &columns, rows, properties, group_rows);
                assert_eq!(read_by_index(&path, 0), by_index, "{case}, {variant}");
                let got = (result(&path, &options), result(&path, &by_category));
                let want = want.get_or_insert_with(|| got.clone());
                assert_eq!(&got, want, "{case}, {variant}");
            }
            let (all, _) = want.as_ref().unwrap();
            match *case {
                "valid" => {
                    let board = all.as_ref().unwrap();
                    assert!(board.excluded.self_battles > 0);
                    assert_eq!(board.n_votes + board.excluded.self_battles, 10_000);
                }
                "a null model" => assert_eq!(
                    all.as_ref().unwrap_err(),
                    "row 5001: field model_a is empty"
                ),
                "a name that is not UTF-8" => assert_eq!(
                    all.as_ref().unwrap_err(),
                    "row 7778: model_b is not valid UTF-8"
                ),
                "a blank name" => assert_eq!(
                    all.as_ref().unwrap_err(),
                    "row 9001: field model_a is empty"
                ),
                _ => assert!(
                    all.as_ref().unwrap_err().starts_with("row 4097: "),
                    "{all:?}"
                ),
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn kwise_rows_read_as_every_other_format_reads_them() {
        let dir = std::env::temp_dir().join(format!("arena-parquet-kwise-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("votes.parquet");
        let columns = [
            "model_a", "model_b", "model_c", "model_d", "winner", "worst",
        ];
        let rows = vec![
            vec![Some("x"), Some("y"), None, None, Some("model_a"), None],
            vec![
                Some("y"),
                Some("z"),
                Some("x"),
                Some("w"),
                Some("model_c"),
                Some("model_d"),
            ],
            vec![Some("w"), Some("z"), Some("y"), None, Some("b"), None],
            vec![Some("z"), Some("w"), Some(""), None, Some("tie"), None],
            vec![Some("w"), Some("x"), None, None, Some("model_a"), None],
        ];
        write(&path, &columns, &rows);
        let options = LeaderboardOptions {
            optimizer: Optimizer::Exact,
            ..LeaderboardOptions::default()
        };
        let mut counts = Counts::new();
        counts.add("x", "y", Outcome::A);
        counts
            .add_choice(&["y", "z", "x", "w"], 2, Some(3), 1)
            .unwrap();
        counts.add_choice(&["w", "z", "y"], 1, None, 1).unwrap();
        counts.add("z", "w", Outcome::Tie);
        counts.add("w", "x", Outcome::A);
        let want = leaderboard_from_counts(&counts, &options).unwrap();
        assert_eq!(leaderboard(&path, &options).unwrap(), want);

        // The checks every reader makes: a K-wise tie is refused at its row.
        let bad = dir.join("bad.parquet");
        let mut rows = rows;
        rows[2][4] = Some("tie");
        write(&bad, &columns, &rows);
        let err = leaderboard(&bad, &options).unwrap_err().to_string();
        assert!(
            err.starts_with("row 3: winner \"tie\" of a battle of 3 images"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

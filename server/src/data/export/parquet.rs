//! Parquet: the export row in typed columns, written with the `parquet` crate's
//! column writers (no Arrow). Rows are buffered per column and written as a row group
//! every [`ROW_GROUP_ROWS`] rows, which bounds memory whatever the export's size;
//! pages are Snappy-compressed, and repeated strings (models, prompts) dictionary-
//! encoded by the writer.

use std::io::{self, Write};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, DataType, DoubleType, Int32Type, Int64Type,
};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedFileWriter, SerializedRowGroupWriter};
use parquet::schema::parser::parse_message_type;

use super::{Record, RowWriter};

/// Rows per row group: large enough for good compression, small enough that the
/// buffered columns stay at a few megabytes.
pub const ROW_GROUP_ROWS: usize = 16 * 1024;

/// The schema, in the export row's field order. `tstamp` is Unix seconds, as in the
/// other formats.
pub const SCHEMA: &str = "message vote {
  required binary battle_id (STRING);
  required double tstamp;
  optional int64 prompt_id;
  optional binary prompt (STRING);
  optional binary category (STRING);
  required binary model_a (STRING);
  required binary model_b (STRING);
  required binary winner (STRING);
  required binary judge (STRING);
  required boolean anony;
  optional binary image_a_sha256 (STRING);
  optional binary image_b_sha256 (STRING);
  optional int64 gen_a_seed;
  optional int32 gen_a_steps;
  optional int32 gen_a_width;
  optional int32 gen_a_height;
  optional int64 gen_a_latency_ms;
  optional int64 gen_b_seed;
  optional int32 gen_b_steps;
  optional int32 gen_b_width;
  optional int32 gen_b_height;
  optional int64 gen_b_latency_ms;
  required boolean counts_for_leaderboard;
  optional binary exclusion_reason (STRING);
  required binary source (STRING);
  optional double style_a_brightness;
  optional double style_a_contrast;
  optional double style_a_saturation;
  optional double style_a_colourfulness;
  optional double style_a_sharpness;
  optional double style_a_complexity;
  optional double style_a_near_blank;
  optional double style_b_brightness;
  optional double style_b_contrast;
  optional double style_b_saturation;
  optional double style_b_colourfulness;
  optional double style_b_sharpness;
  optional double style_b_complexity;
  optional double style_b_near_blank;
  optional binary axes (STRING);
  optional binary model_c (STRING);
  optional binary model_d (STRING);
  optional binary worst (STRING);
  optional binary image_c_sha256 (STRING);
  optional binary image_d_sha256 (STRING);
}";

/// An optional column: the present values and one definition level per row.
struct Opt<T> {
    values: Vec<T>,
    defs: Vec<i16>,
}

impl<T> Default for Opt<T> {
    fn default() -> Self {
        Opt {
            values: Vec::new(),
            defs: Vec::new(),
        }
    }
}

impl<T> Opt<T> {
    fn push(&mut self, value: Option<T>) {
        self.defs.push(i16::from(value.is_some()));
        self.values.extend(value);
    }
}

/// One buffered row group, column by column.
#[derive(Default)]
struct Columns {
    battle_id: Vec<ByteArray>,
    tstamp: Vec<f64>,
    prompt_id: Opt<i64>,
    prompt: Opt<ByteArray>,
    category: Opt<ByteArray>,
    model_a: Vec<ByteArray>,
    model_b: Vec<ByteArray>,
    winner: Vec<ByteArray>,
    judge: Vec<ByteArray>,
    anony: Vec<bool>,
    image_a: Opt<ByteArray>,
    image_b: Opt<ByteArray>,
    gen_a: GenColumns,
    gen_b: GenColumns,
    counts: Vec<bool>,
    exclusion_reason: Opt<ByteArray>,
    source: Vec<ByteArray>,
    style: [Opt<f64>; 14],
    axes: Opt<ByteArray>,
    /// model_c, model_d, worst, image_c_sha256, image_d_sha256.
    kwise: [Opt<ByteArray>; 5],
}

#[derive(Default)]
struct GenColumns {
    seed: Opt<i64>,
    steps: Opt<i32>,
    width: Opt<i32>,
    height: Opt<i32>,
    latency_ms: Opt<i64>,
}

fn bytes(s: &str) -> ByteArray {
    ByteArray::from(s)
}

impl Columns {
    fn push(&mut self, r: &Record<'_>) {
        self.battle_id.push(bytes(r.battle_id));
        self.tstamp.push(r.tstamp);
        self.prompt_id.push(r.prompt_id);
        self.prompt.push(r.prompt.map(bytes));
        self.category.push(r.category.map(bytes));
        self.model_a.push(bytes(r.model_a));
        self.model_b.push(bytes(r.model_b));
        self.winner.push(bytes(r.winner));
        self.judge.push(bytes(&r.judge));
        self.anony.push(r.anony);
        self.image_a.push(r.image_a_sha256.as_deref().map(bytes));
        self.image_b.push(r.image_b_sha256.as_deref().map(bytes));
        self.gen_a.seed.push(r.gen_a_seed);
        self.gen_a.steps.push(r.gen_a_steps);
        self.gen_a.width.push(r.gen_a_width);
        self.gen_a.height.push(r.gen_a_height);
        self.gen_a.latency_ms.push(r.gen_a_latency_ms);
        self.gen_b.seed.push(r.gen_b_seed);
        self.gen_b.steps.push(r.gen_b_steps);
        self.gen_b.width.push(r.gen_b_width);
        self.gen_b.height.push(r.gen_b_height);
        self.gen_b.latency_ms.push(r.gen_b_latency_ms);
        self.counts.push(r.counts_for_leaderboard);
        self.exclusion_reason.push(r.exclusion_reason.map(bytes));
        self.source.push(bytes(r.source));
        for (column, value) in self.style.iter_mut().zip(r.style_values()) {
            column.push(value);
        }
        self.axes
            .push(r.axes_text().map(|t| ByteArray::from(t.into_bytes())));
        let k = r.kwise.as_ref();
        let values = [
            k.and_then(|k| k.model_c),
            k.and_then(|k| k.model_d),
            k.and_then(|k| k.worst),
            k.and_then(|k| k.image_c_sha256.as_deref()),
            k.and_then(|k| k.image_d_sha256.as_deref()),
        ];
        for (column, value) in self.kwise.iter_mut().zip(values) {
            column.push(value.map(bytes));
        }
    }

    fn rows(&self) -> usize {
        self.battle_id.len()
    }

    /// Writes the columns in schema order as one row group.
    fn write<W: Write + Send>(
        &self,
        rg: &mut SerializedRowGroupWriter<'_, W>,
    ) -> Result<(), ParquetError> {
        column::<ByteArrayType, _>(rg, &self.battle_id, None)?;
        column::<DoubleType, _>(rg, &self.tstamp, None)?;
        optional::<Int64Type, _>(rg, &self.prompt_id)?;
        optional::<ByteArrayType, _>(rg, &self.prompt)?;
        optional::<ByteArrayType, _>(rg, &self.category)?;
        column::<ByteArrayType, _>(rg, &self.model_a, None)?;
        column::<ByteArrayType, _>(rg, &self.model_b, None)?;
        column::<ByteArrayType, _>(rg, &self.winner, None)?;
        column::<ByteArrayType, _>(rg, &self.judge, None)?;
        column::<BoolType, _>(rg, &self.anony, None)?;
        optional::<ByteArrayType, _>(rg, &self.image_a)?;
        optional::<ByteArrayType, _>(rg, &self.image_b)?;
        for g in [&self.gen_a, &self.gen_b] {
            optional::<Int64Type, _>(rg, &g.seed)?;
            optional::<Int32Type, _>(rg, &g.steps)?;
            optional::<Int32Type, _>(rg, &g.width)?;
            optional::<Int32Type, _>(rg, &g.height)?;
            optional::<Int64Type, _>(rg, &g.latency_ms)?;
        }
        column::<BoolType, _>(rg, &self.counts, None)?;
        optional::<ByteArrayType, _>(rg, &self.exclusion_reason)?;
        column::<ByteArrayType, _>(rg, &self.source, None)?;
        for style in &self.style {
            optional::<DoubleType, _>(rg, style)?;
        }
        optional::<ByteArrayType, _>(rg, &self.axes)?;
        for column in &self.kwise {
            optional::<ByteArrayType, _>(rg, column)?;
        }
        Ok(())
    }
}

fn column<T: DataType, W: Write + Send>(
    rg: &mut SerializedRowGroupWriter<'_, W>,
    values: &[T::T],
    defs: Option<&[i16]>,
) -> Result<(), ParquetError> {
    let mut col = rg
        .next_column()?
        .ok_or_else(|| ParquetError::General("the schema has fewer columns than a row".into()))?;
    col.typed::<T>().write_batch(values, defs, None)?;
    col.close()
}

fn optional<T: DataType, W: Write + Send>(
    rg: &mut SerializedRowGroupWriter<'_, W>,
    col: &Opt<T::T>,
) -> Result<(), ParquetError> {
    column::<T, W>(rg, &col.values, Some(&col.defs))
}

pub struct ParquetWriter {
    file: SerializedFileWriter<Box<dyn Write + Send>>,
    columns: Columns,
}

impl ParquetWriter {
    pub fn new(out: Box<dyn Write + Send>) -> io::Result<ParquetWriter> {
        let schema = Arc::new(parse_message_type(SCHEMA).map_err(io::Error::other)?);
        let props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("arena {}", env!("CARGO_PKG_VERSION")))
            .build();
        let file =
            SerializedFileWriter::new(out, schema, Arc::new(props)).map_err(io::Error::other)?;
        Ok(ParquetWriter {
            file,
            columns: Columns::default(),
        })
    }

    fn flush_row_group(&mut self) -> io::Result<()> {
        if self.columns.rows() == 0 {
            return Ok(());
        }
        let columns = std::mem::take(&mut self.columns);
        let mut rg = self.file.next_row_group().map_err(io::Error::other)?;
        columns.write(&mut rg).map_err(io::Error::other)?;
        rg.close().map_err(io::Error::other)?;
        Ok(())
    }
}

impl RowWriter for ParquetWriter {
    fn write(&mut self, record: &Record<'_>) -> io::Result<()> {
        self.columns.push(record);
        if self.columns.rows() >= ROW_GROUP_ROWS {
            self.flush_row_group()?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.flush_row_group()?;
        self.file.close().map_err(io::Error::other)?;
        Ok(())
    }
}

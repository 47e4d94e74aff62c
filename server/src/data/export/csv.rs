//! CSV: a header row with the export row's field names, then one vote per row; empty
//! cells where a vote has no value. The header is written up front, so that an
//! export with no votes is still a CSV file with its columns.

use std::io::{self, Write};

use super::card::FIELDS;
use super::{Record, RowWriter};

pub struct CsvWriter {
    out: ::csv::Writer<Box<dyn Write + Send>>,
}

impl CsvWriter {
    pub fn new(out: Box<dyn Write + Send>) -> io::Result<CsvWriter> {
        let mut out = ::csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        out.write_record(FIELDS.iter().map(|(name, _, _)| name))?;
        Ok(CsvWriter { out })
    }
}

impl RowWriter for CsvWriter {
    fn write(&mut self, record: &Record<'_>) -> io::Result<()> {
        // Nested values are flattened in order: the record's columns, `axes`, then
        // the columns of a battle of three or four images (empty for a pair).
        let kwise = record.kwise.as_ref();
        self.out
            .serialize((
                record,
                record.axes_text(),
                kwise.and_then(|k| k.model_c),
                kwise.and_then(|k| k.model_d),
                kwise.and_then(|k| k.worst),
                kwise.and_then(|k| k.image_c_sha256.as_deref()),
                kwise.and_then(|k| k.image_d_sha256.as_deref()),
            ))
            .map_err(io::Error::other)
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

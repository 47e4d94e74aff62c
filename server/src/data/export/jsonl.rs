//! JSONL: one export row per line, every field, `null` where a vote has no value.

use std::io::{self, Write};

use serde::Serialize;

use super::{AxesObject, KwiseFields, Record, RowWriter};

/// A JSONL line: the record's fields, then `axes` when the vote has answers on other
/// axes, then the fields of a battle of three or four images (so that a line without
/// them is exactly the row of an arena without axes or such battles).
#[derive(Serialize)]
pub(super) struct Line<'r, 'a> {
    #[serde(flatten)]
    record: &'r Record<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    axes: Option<AxesObject<'r, 'a>>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    kwise: Option<&'r KwiseFields<'a>>,
}

impl<'r, 'a> Line<'r, 'a> {
    pub(super) fn of(record: &'r Record<'a>) -> Self {
        Line {
            record,
            axes: (!record.axes.is_empty()).then_some(AxesObject(&record.axes)),
            kwise: record.kwise.as_ref(),
        }
    }
}

pub struct JsonlWriter {
    out: Box<dyn Write + Send>,
}

impl JsonlWriter {
    pub fn new(out: Box<dyn Write + Send>) -> JsonlWriter {
        JsonlWriter { out }
    }
}

impl RowWriter for JsonlWriter {
    fn write(&mut self, record: &Record<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &Line::of(record))?;
        self.out.write_all(b"\n")
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

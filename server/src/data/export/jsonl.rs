//! JSONL: one export row per line, every field, `null` where a vote has no value.

use std::io::{self, Write};

use super::{Record, RowWriter};

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
        serde_json::to_writer(&mut self.out, record)?;
        self.out.write_all(b"\n")
    }

    fn finish(mut self: Box<Self>) -> io::Result<()> {
        self.out.flush()
    }
}

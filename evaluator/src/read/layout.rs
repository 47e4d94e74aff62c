//! The layout of a line of JSONL: what lets most lines of a file skip the key lookups.

use super::json::{Field, RawVote, Scanner};

/// The bytes around the values of the last line parsed in full (whitespace, commas,
/// quoted keys, colons, braces) and the field each value belongs to. The lines of a
/// file nearly always share them, and a line that repeats them byte for byte is read
/// with one comparison per field instead of a key lookup; its values go through the
/// same checks as always. Any difference sends the line through the full parser,
/// which then records its layout.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// `(end of its bytes in `bytes`, field)` per value, in order.
    steps: Vec<(usize, Field)>,
    bytes: Vec<u8>,
    /// Whether `steps` and `bytes` describe a whole object.
    complete: bool,
}

impl Layout {
    pub(super) fn clear(&mut self) {
        self.steps.clear();
        self.bytes.clear();
        self.complete = false;
    }

    pub(super) fn push_step(&mut self, before_value: &[u8], field: Field) {
        self.bytes.extend_from_slice(before_value);
        self.steps.push((self.bytes.len(), field));
    }

    pub(super) fn finish(&mut self, after_last_value: &[u8]) {
        self.bytes.extend_from_slice(after_last_value);
        self.complete = true;
    }

    /// Reads `text` if it repeats this layout; `None` (with `vote` partly filled)
    /// if it does not, or if a value is not what its field takes.
    pub(super) fn read<'a>(&self, text: &'a str, vote: &mut RawVote<'a>) -> Option<usize> {
        if !self.complete {
            return None;
        }
        let mut sc = Scanner {
            text,
            s: text.as_bytes(),
            pos: 0,
        };
        let mut from = 0;
        for &(to, field) in &self.steps {
            sc.take_literal(&self.bytes[from..to])?;
            from = to;
            sc.value(field, vote).ok()?;
        }
        sc.take_literal(&self.bytes[from..])?;
        Some(sc.pos)
    }
}

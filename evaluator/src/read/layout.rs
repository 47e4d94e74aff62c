//! The layout of a line of JSONL: what lets most lines of a file skip the key lookups.

use super::json::{Field, Literal, RawVote, Scanner};
use super::nonempty;
use crate::vote::Vote;

/// The bytes around the values of the last line parsed in full (whitespace, commas,
/// quoted keys, colons, braces) and the field each value belongs to. The lines of a
/// file nearly always share them, and a line that repeats them byte for byte is read
/// with one comparison per field instead of a key lookup; its values go through the
/// same checks as always. Any difference sends the line through the full parser,
/// which then records its layout.
#[derive(Debug, Default)]
pub(crate) struct Layout {
    /// `(end of its bytes in `bytes`, field, those bytes ready to be compared at once)`
    /// per value, in order.
    steps: Vec<(usize, Field, Literal)>,
    bytes: Vec<u8>,
    /// The bytes after the last value, ready to be compared at once.
    last: Literal,
    /// Whether `steps` and `bytes` describe a whole object.
    complete: bool,
    /// Whether [`Self::read_vote`] may read lines of this layout: a pairwise vote in
    /// the export's or FastChat's field names.
    lean: bool,
}

impl Layout {
    pub(super) fn clear(&mut self) {
        self.steps.clear();
        self.bytes.clear();
        self.complete = false;
        self.lean = false;
    }

    pub(super) fn push_step(&mut self, before_value: &[u8], field: Field) {
        self.bytes.extend_from_slice(before_value);
        self.steps
            .push((self.bytes.len(), field, Literal::new(before_value)));
    }

    pub(super) fn finish(&mut self, after_last_value: &[u8]) {
        self.last = Literal::new(after_last_value);
        self.bytes.extend_from_slice(after_last_value);
        self.complete = true;
        let has = |want: fn(&Field) -> bool| self.steps.iter().any(|(_, f, _)| want(f));
        self.lean = has(|f| matches!(f, Field::ModelA))
            && has(|f| matches!(f, Field::ModelB))
            && has(|f| matches!(f, Field::Winner))
            // A battle of three or four images, or GenAI-Bench's names: the full
            // parser's, as are their lines.
            && !has(|f| {
                matches!(
                    f,
                    Field::ModelC
                        | Field::ModelD
                        | Field::Worst
                        | Field::LeftModel
                        | Field::RightModel
                        | Field::VoteType
                )
            });
    }

    /// The lean lane: reads the object at the start of `text` straight into a
    /// [`Vote`] when it repeats this layout, holds a pairwise vote, has no escaped
    /// string and no nested value, and is one the full parser would accept as the same
    /// vote. `None` (for anything else, errors included) leaves the line to the full
    /// parser, which then words any refusal. Never reads past the object, and never
    /// past a line end: the layout's bytes hold none, and no value it takes can.
    ///
    /// `vote` is the caller's, reused from line to line (moving a vote out of here
    /// would cost a copy per line); every field but `line` and `kwise` is set anew.
    #[inline]
    pub(super) fn read_vote<'a>(&self, text: &'a str, vote: &mut Vote<'a>) -> Option<usize> {
        if !self.lean {
            return None;
        }
        let mut sc = Scanner {
            text,
            s: text.as_bytes(),
            pos: 0,
        };
        vote.anony = None;
        vote.tstamp = None;
        vote.category = None;
        vote.counts_for_leaderboard = None;
        vote.judge = None;
        let (mut model_a, mut model_b, mut winner) = (None, None, None);
        let (mut task, mut voter) = (None, None);
        let mut from = 0;
        for (to, field, literal) in &self.steps {
            let (to, field) = (*to, *field);
            sc.take_known(literal, || &self.bytes[from..to])?;
            from = to;
            // A later duplicate key replaces an earlier value, as in the full parser.
            match field {
                Field::ModelA => model_a = Some(sc.plain_string()?),
                Field::ModelB => model_b = Some(sc.plain_string()?),
                Field::Winner => winner = Some(sc.plain_outcome()?),
                Field::Anony => vote.anony = sc.plain_bool_or_null()?,
                Field::Counts => vote.counts_for_leaderboard = sc.plain_bool_or_null()?,
                Field::Tstamp => vote.tstamp = sc.number_or_null("tstamp").ok()?,
                Field::Category => vote.category = sc.plain_string_or_null()?,
                Field::Task => task = sc.plain_string_or_null()?,
                Field::Judge => vote.judge = sc.plain_string_or_skip()?,
                Field::Voter => voter = sc.plain_string_or_skip()?,
                Field::Other => sc.skip_plain_scalar()?,
                // The fields that keep a layout out of the lane (see `finish`).
                _ => return None,
            }
        }
        sc.take_known(&self.last, || &self.bytes[from..])?;
        vote.model_a = nonempty(model_a?, "model_a", vote.line).ok()?;
        vote.model_b = nonempty(model_b?, "model_b", vote.line).ok()?;
        vote.outcome = winner?;
        vote.category = vote.category.or(task);
        vote.judge = vote.judge.or(voter);
        Some(sc.pos)
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
        for (to, field, literal) in &self.steps {
            let (to, field) = (*to, *field);
            sc.take_known(literal, || &self.bytes[from..to])?;
            from = to;
            sc.value(field, vote).ok()?;
        }
        sc.take_known(&self.last, || &self.bytes[from..])?;
        Some(sc.pos)
    }
}

//! `arena_evaluator::for_each_vote` with `Format::Csv` on any bytes: it returns
//! votes or an error, and never panics, hangs or runs out of memory.
#![no_main]

use arena_evaluator::{Format, for_each_vote};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = for_each_vote(data, Format::Csv, |vote| {
        // Every field a vote hands out must be readable.
        std::hint::black_box(vote);
        Ok(())
    });
});

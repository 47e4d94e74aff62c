//! The fast vote readers against the reference reader on any bytes: the same votes,
//! or the same refusal (line and reason), on every path
//! (`arena_evaluator::reference::check_agreement`). The first byte picks the format.
#![no_main]

use arena_evaluator::{Format, reference};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let format = match pick % 4 {
        0 => Format::Jsonl,
        1 => Format::Csv,
        2 => Format::Fastchat,
        _ => Format::Auto,
    };
    // A file per fuzzing process, for the path that reads a file in shares.
    let file = std::env::temp_dir().join(format!("arena-fuzz-agree-{}", std::process::id()));
    if let Err(diff) = reference::check_agreement(bytes, format, Some(&file)) {
        panic!("{diff}");
    }
});

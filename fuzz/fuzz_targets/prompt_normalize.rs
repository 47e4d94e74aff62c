//! The prompt normaliser on any text: it never panics, what it accepts holds no
//! refused character and is a fixed point, and a text's match forms contain
//! themselves.
#![no_main]

use libfuzzer_sys::fuzz_target;

// Included by path: the module is pure (std and unicode-normalization only), and
// depending on arena-server would build its whole web and database stack with
// coverage instrumentation.
#[path = "../../server/src/voting/prompt_text.rs"]
#[allow(dead_code)] // reason: the fuzz target uses part of the module
mod prompt_text;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    match prompt_text::normalize(raw) {
        Ok(text) => {
            assert!(!text.chars().any(prompt_text::is_refused), "{text:?}");
            assert_eq!(prompt_text::normalize(&text).as_deref(), Ok(text.as_str()));
            assert!(!text.starts_with(' ') && !text.ends_with(' ') && !text.contains("  "));
            let forms = prompt_text::match_forms(&text);
            assert!(
                forms.words.is_empty() || forms.contains(&forms),
                "{forms:?}"
            );
        }
        Err(e) => assert!(prompt_text::is_refused(e.ch)),
    }
});

//! The text of a voter's prompt, made canonical before anything looks at it: refused
//! when it holds control or bidirectional-override characters (which hide or reorder
//! what people see), else NFKC-normalised with runs of whitespace made one space; and
//! the forms of it that the block list is matched against, with case, accents,
//! invisible characters and letter-by-letter separators taken away. Pure functions,
//! no I/O (the fuzz target `prompt_normalize` drives them).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Why a prompt's characters were refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidCharacter {
    /// The first refused character.
    pub ch: char,
}

impl InvalidCharacter {
    /// `U+202E` style, since the character itself may be invisible or reorder text.
    pub fn code_point(&self) -> String {
        format!("U+{:04X}", self.ch as u32)
    }
}

/// The prompt as it is stored and drawn: NFKC, single spaces, no refused character.
pub fn normalize(raw: &str) -> Result<String, InvalidCharacter> {
    if let Some(ch) = raw.chars().find(|&c| is_refused(c)) {
        return Err(InvalidCharacter { ch });
    }
    let nfkc: String = raw.nfkc().collect();
    // NFKC maps no allowed character to a refused one today; checked again so that a
    // future Unicode version cannot change that silently.
    if let Some(ch) = nfkc.chars().find(|&c| is_refused(c)) {
        return Err(InvalidCharacter { ch });
    }
    Ok(nfkc.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Control characters (Cc) other than tab and line breaks, which are whitespace and
/// become spaces, and format characters (Cf: bidirectional controls, zero-width
/// spaces, soft hyphens, tags…) other than the two joiners that emoji sequences and
/// several scripts need (U+200C, U+200D; matching ignores them).
pub fn is_refused(c: char) -> bool {
    if matches!(c, '\t' | '\n' | '\r') {
        return false;
    }
    if c.is_control() {
        return true;
    }
    if matches!(c, '\u{200C}' | '\u{200D}') {
        return false;
    }
    is_format(c)
}

/// Unicode's general category Cf (Unicode 16).
fn is_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD
        | 0x0600..=0x0605
        | 0x061C
        | 0x06DD
        | 0x070F
        | 0x0890..=0x0891
        | 0x08E2
        | 0x180E
        | 0x200B..=0x200F
        | 0x202A..=0x202E
        | 0x2060..=0x2064
        | 0x2066..=0x206F
        | 0xFEFF
        | 0xFFF9..=0xFFFB
        | 0x110BD
        | 0x110CD
        | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0xE0001
        | 0xE0020..=0xE007F)
}

/// Characters that draw nothing: skipped when matching, so that `nu\u{200D}de` is
/// `nude`. Variation selectors too (they only pick a glyph).
fn is_invisible(c: char) -> bool {
    matches!(c as u32, 0x200C | 0x200D | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF) || is_format(c)
}

/// What the block list is matched against, from a normalised prompt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchForms {
    /// Words (letters and digits) separated by single spaces: `self harm`.
    pub words: String,
    /// Whitespace-separated words with the punctuation inside them removed, so that
    /// `n.u.d.e` and `nu-de` are `nude`.
    pub joined: String,
    /// Runs of single-letter words written together: `a n u d e` gives `anude`.
    pub letter_runs: Vec<String>,
}

impl MatchForms {
    /// Whether the phrase `entry` (itself made into [`MatchForms`]) appears as whole
    /// words in any form, or spelled out letter by letter.
    pub fn contains(&self, entry: &MatchForms) -> bool {
        let whole = |text: &str, phrase: &str| {
            !phrase.is_empty() && format!(" {text} ").contains(&format!(" {phrase} "))
        };
        if whole(&self.words, &entry.words) || whole(&self.joined, &entry.joined) {
            return true;
        }
        let spelled: String = entry.joined.split(' ').collect();
        // Two-letter entries would match too many runs of initials.
        spelled.chars().count() >= 3 && self.letter_runs.iter().any(|r| r.contains(&spelled))
    }
}

/// The forms of `text` (a prompt, or an entry of the block list) that matching uses:
/// compatibility-folded, lowercase, accents and invisible characters removed.
pub fn match_forms(text: &str) -> MatchForms {
    let folded: String = text
        .nfkd()
        .filter(|&c| !is_combining_mark(c) && !is_invisible(c))
        .flat_map(char::to_lowercase)
        .collect();
    let words: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let joined: Vec<String> = folded
        .split(|c: char| c.is_whitespace())
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let mut letter_runs = Vec::new();
    let mut run = String::new();
    for w in &words {
        let mut chars = w.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_alphabetic() => run.push(c),
            _ => {
                if run.chars().count() > 1 {
                    letter_runs.push(std::mem::take(&mut run));
                }
                run.clear();
            }
        }
    }
    if run.chars().count() > 1 {
        letter_runs.push(run);
    }
    MatchForms {
        words: words.join(" "),
        joined: joined.join(" "),
        letter_runs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_are_nfkc_normalised_with_single_spaces() {
        let cases = [
            ("  a blue   boat\ton a\nlake ", "a blue boat on a lake"),
            ("ｆｕｌｌ－ｗｉｄｔｈ ｃａｔ", "full-width cat"),
            ("ﬁne ½ moon", "fine 1⁄2 moon"),
            ("café au lait", "café au lait"),
            ("cafe\u{301}", "café"),
            (
                "👨\u{200D}👩\u{200D}👧 at a picnic",
                "👨\u{200D}👩\u{200D}👧 at a picnic",
            ),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize(raw).as_deref(), Ok(want), "{raw:?}");
        }
    }

    #[test]
    fn control_and_bidi_characters_are_refused_with_the_first_one_named() {
        let cases = [
            ("a cat\u{0}", '\u{0}'),
            ("\u{7}\u{8}\u{1b}[31m", '\u{7}'),
            ("a \u{202E}tac\u{202C} dog", '\u{202E}'),
            ("\u{2066}isolate\u{2069}", '\u{2066}'),
            ("left\u{200E}right\u{200F}", '\u{200E}'),
            ("arabic mark \u{061C}", '\u{061C}'),
            ("zero\u{200B}width", '\u{200B}'),
            ("soft\u{AD}hyphen", '\u{AD}'),
            ("bom\u{FEFF}", '\u{FEFF}'),
            ("tag\u{E0041}", '\u{E0041}'),
            ("del\u{7F}", '\u{7F}'),
            ("c1 \u{85} next line", '\u{85}'),
        ];
        for (raw, ch) in cases {
            assert_eq!(normalize(raw), Err(InvalidCharacter { ch }), "{raw:?}");
        }
        assert_eq!(InvalidCharacter { ch: '\u{202E}' }.code_point(), "U+202E");
    }

    #[test]
    fn match_forms_see_through_separators_case_accents_and_invisible_joiners() {
        let nude = match_forms("nude");
        for prompt in [
            "a NUDE figure",
            "a n.u.d.e figure",
            "a n u d e figure",
            "a n-u-d-e figure",
            "a nu.de figure",
            "a ｎｕｄｅ figure",
            "a nu\u{200D}de figure",
            "a nu\u{200C}d\u{FE0F}e figure",
            "a nüdé figure",
            "i am a n u d e model",
        ] {
            let text = normalize(prompt).unwrap();
            assert!(match_forms(&text).contains(&nude), "{prompt:?}");
        }
        for prompt in [
            "a nudibranch in a reef",
            "sussex countryside",
            "n u d",
            "the denude hills",
        ] {
            assert!(!match_forms(prompt).contains(&nude), "{prompt:?}");
        }
    }

    #[test]
    fn phrases_and_hyphenated_entries_match_as_whole_words() {
        let entry = match_forms("self-harm");
        assert!(match_forms("images of self harm").contains(&entry));
        assert!(match_forms("images of self-harm").contains(&entry));
        assert!(match_forms("images of selfharm").contains(&entry));
        assert!(!match_forms("a harmless self portrait").contains(&entry));
        let cheese = match_forms("Blue Cheese");
        assert!(match_forms("a plate of BLUE   cheese").contains(&cheese));
        assert!(!match_forms("blue cheesecake").contains(&cheese));
    }
}

//! Reads a prompt the way the demo generators need it: which things it names, in
//! which colours and how many, the time of day, the terrain, the weather and any
//! quoted text. Plain word matching — good enough to make the faithful generator
//! visibly follow prompts and the confused one visibly not.

use super::color::{self, Rgb, rgb};
use super::intent::{Count, Intent, Subject, Terrain, Time};
use super::words::{
    MODIFIED, NUMBERS, PARTS, PHRASE_ENDS, SEVERAL, noun, scene_sink, terrain_word, time_word,
};

/// Pulls the first quoted span out of the prompt: `a sign that says "OPEN"`.
fn quoted(prompt: &str) -> Option<String> {
    let open = |c: char| matches!(c, '"' | '\u{201C}' | '\u{201D}');
    let start = prompt.find(open)?;
    let rest = &prompt[start + prompt[start..].chars().next()?.len_utf8()..];
    let end = rest.find(open)?;
    let text: String = rest[..end].trim().to_uppercase();
    (!text.is_empty()).then_some(text)
}

pub(crate) fn parse(prompt: &str) -> Intent {
    let mut intent = Intent {
        text: quoted(prompt),
        ..Intent::default()
    };
    // The quoted text is not part of the scene description.
    let mut described = prompt.to_lowercase();
    if let Some(t) = &intent.text {
        described = described.replace(&t.to_lowercase(), " ");
    }
    let words: Vec<&str> = described
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();

    let mut pending_color: Option<(Rgb, usize)> = None;
    // Colours listed before the pending one ("orange and navy squares").
    let mut pending_list: Vec<Rgb> = Vec::new();
    let mut pending_count: Option<(Count, usize)> = None;
    // Where each subject was named: (word index, subject index).
    let mut recent: Vec<(usize, usize)> = Vec::new();
    // The subject whose colours are being listed right after it, if any.
    let mut describing: Option<usize> = None;
    for (i, &w) in words.iter().enumerate() {
        let next = words.get(i + 1).copied().unwrap_or("");
        let pair = format!("{w} {next}");
        match pair.as_str() {
            "golden hour" | "blue hour" => intent.time = Some(Time::Sunset),
            "night sky" | "milky way" | "northern lights" => intent.time = Some(Time::Night),
            _ => {}
        }
        if pair == "golden hour" || pair == "blue hour" || next == "capped" {
            continue;
        }
        if let Some(t) = time_word(w) {
            intent.time = Some(t);
        }
        if let Some(t) = terrain_word(w) {
            // Specific settings win over the generic studio backdrop.
            if intent.terrain.is_none() || intent.terrain == Some(Terrain::Studio) {
                intent.terrain = Some(t);
            }
        }
        match w {
            "rain" | "rainy" | "raining" | "storm" | "stormy" | "thunderstorm" | "drizzle" => {
                intent.rain = true;
                intent.lightning |= w == "thunderstorm";
            }
            "snowing" | "snowfall" | "blizzard" | "snowflakes" | "snowflake" => {
                intent.snowfall = true
            }
            "fog" | "foggy" | "mist" | "misty" | "haze" | "hazy" => intent.fog = true,
            "portrait" | "headshot" | "face" | "selfie" | "closeup" => intent.portrait = true,
            "chalkboard" | "blackboard" => intent.board = Some(rgb(0.16, 0.22, 0.2)),
            "dramatic" | "cinematic" | "moody" | "chiaroscuro" | "spotlight" | "spotlit"
            | "backlit" | "candlelit" | "noir" | "shadows" | "dark" | "darkness" | "stage" => {
                intent.dramatic = true
            }
            "silhouette" | "silhouetted" | "silhouettes" => intent.silhouette = true,
            "lightning" => intent.lightning = true,
            "neon" | "glowing" | "glow" | "luminous" | "bioluminescent" | "cyberpunk"
            | "fluorescent" => intent.neon = true,
            _ => {}
        }
        if w.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(n) = w.parse::<u32>() {
                pending_count = Some((count_of(n), i));
            }
            continue;
        }
        if let Some(&(_, n)) = NUMBERS.iter().find(|(word, _)| *word == w) {
            pending_count = Some((count_of(n), i));
            continue;
        }
        if SEVERAL.contains(&w) {
            pending_count = Some((Count::Several, i));
            continue;
        }
        let as_noun = noun(w);
        let as_color = color::named(w);
        if as_color.is_none() && !matches!(w, "and" | "or") {
            describing = None;
        }
        if matches!(w, "in" | "of") && recent.last().is_some_and(|&(at, _)| at + 1 == i) {
            describing = recent.last().map(|&(_, k)| k);
            continue;
        }
        // "orange", "lemon", "rose": a thing when the phrase ends there
        // ("an orange and a lemon"), a colour otherwise ("an orange sunset").
        // In a list of colours ("pink, teal and orange") it is a colour either way.
        let prev = if i >= 2 {
            (words[i - 1], words[i - 2])
        } else {
            ("", "")
        };
        let after = words.get(i + 2).copied().unwrap_or("");
        let in_colour_list = (matches!(prev.0, "and" | "or") && color::named(prev.1).is_some())
            || (matches!(next, "and" | "or") && color::named(after).is_some());
        let ends_phrase = next.is_empty() || PHRASE_ENDS.contains(&next);
        let colour_first =
            as_color.is_some() && (as_noun.is_none() || !ends_phrase || in_colour_list);
        // "circles in pink, teal and orange", "a swirl of emerald and black".
        if let (Some(c), Some(k)) = (as_color, describing) {
            let subject: &mut Subject = &mut intent.subjects[k];
            if subject.palette.is_empty() {
                subject.color = Some(c);
            }
            subject.palette.push(c);
            continue;
        }
        if colour_first {
            if let Some((c, at)) = pending_color.take() {
                if i - at == 1 || (i - at == 2 && matches!(words[i - 1], "and" | "or")) {
                    pending_list.push(c);
                } else {
                    intent.loose.push(c);
                    intent.loose.append(&mut pending_list);
                }
            }
            pending_color = as_color.map(|c| (c, i));
            continue;
        }
        // "tomato soup", "tree house", "maple syrup": the last noun is the thing
        // (but "pine trees" keeps the more specific first noun).
        let same_kind_next =
            matches!((as_noun, noun(next)), (Some((a, _)), Some((b, _))) if a.1 == b.1);
        if as_noun.is_some()
            && !same_kind_next
            && (noun(next).is_some() || MODIFIED.contains(&next))
        {
            continue;
        }
        if let Some((&(_, kind, default, variant), plural)) = as_noun {
            // "a cup of coffee", "a bowl of ramen": one thing named twice.
            if let Some(&(at, k)) = recent
                .iter()
                .rev()
                .find(|(_, k)| intent.subjects[*k].kind == kind)
            {
                let between = &words[at + 1..i];
                let joined = between
                    .iter()
                    .any(|w| matches!(*w, "of" | "with" | "filled"));
                if i - at <= 4 && (between.is_empty() || joined) && !between.contains(&"and") {
                    if let Some((c, _)) = pending_color.take() {
                        intent.subjects[k].color = Some(c);
                    }
                    // "pine trees": the plural head makes the first noun plural.
                    if plural && intent.subjects[k].count == Count::One {
                        intent.subjects[k].count = Count::Several;
                    }
                    continue;
                }
            }
            recent.push((i, intent.subjects.len()));
            let named = pending_color.take().map(|(c, _)| c);
            let palette = match named {
                Some(c) if !pending_list.is_empty() => {
                    let mut all = std::mem::take(&mut pending_list);
                    all.push(c);
                    all
                }
                _ => Vec::new(),
            };
            let color = palette.first().copied().or(named).or(default);
            let count = match pending_count.take() {
                Some((c, _)) => c,
                None if plural => Count::Several,
                None => Count::One,
            };
            intent.subjects.push(Subject {
                kind,
                color,
                accent: None,
                palette,
                count,
                variant,
            });
            continue;
        }
        if let Some(sink) = scene_sink(w) {
            if let Some((c, _)) = pending_color.take() {
                *sink(&mut intent) = Some(c);
            }
            continue;
        }
        if let Some(&(_, main)) = PARTS.iter().find(|p| p.0 == w) {
            if let (Some((c, _)), Some(last)) = (pending_color, intent.subjects.last_mut()) {
                if main {
                    last.color = Some(c)
                } else {
                    last.accent = Some(c)
                }
                pending_color = None;
            }
            continue;
        }
        // A colour or count left dangling for more than a few words attaches to nothing.
        if let Some((c, at)) = pending_color {
            if i - at > 2 {
                intent.loose.push(c);
                intent.loose.append(&mut pending_list);
                pending_color = None;
            }
        }
        if pending_count.is_some_and(|(_, at)| i - at > 3) {
            pending_count = None;
        }
    }
    intent.loose.append(&mut pending_list);
    if let Some((c, _)) = pending_color {
        intent.loose.push(c);
    }
    intent
}

fn count_of(n: u32) -> Count {
    match n {
        0 | 1 => Count::One,
        n => Count::Exactly(n.min(12)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::intent::Kind::{self, *};

    #[test]
    fn colours_and_counts_bind_to_the_next_noun() {
        let i = parse("three golden stars above a red house at night");
        assert_eq!(i.subjects.len(), 2);
        assert_eq!(i.subjects[0].kind, Star);
        assert_eq!(i.subjects[0].count, Count::Exactly(3));
        assert_eq!(i.subjects[0].color, color::named("golden"));
        assert_eq!(i.subjects[1].kind, House);
        assert_eq!(i.subjects[1].color, color::named("red"));
        assert_eq!(i.time, Some(Time::Night));
    }

    #[test]
    fn fruit_names_that_are_colours_are_read_by_position() {
        let i = parse("an orange cat next to an orange");
        assert_eq!(i.subjects[0].kind, Cat);
        assert_eq!(i.subjects[0].color, color::named("orange"));
        assert_eq!(i.subjects[1].kind, Fruit);
        let i = parse("a tree against a blazing orange sunset");
        assert_eq!(i.subjects.len(), 1);
        let i = parse("an orange and a lemon on a blue plate");
        assert_eq!(i.subjects.len(), 2);
    }

    #[test]
    fn quoted_text_is_extracted_and_not_parsed_as_scene() {
        let i = parse("a wooden sign that says \"red moon\" in a forest");
        assert_eq!(i.text.as_deref(), Some("RED MOON"));
        assert!(i.subjects.iter().all(|s| s.kind != Moon));
        assert_eq!(i.terrain, Some(Terrain::Forest));
    }

    #[test]
    fn clothing_colours_the_person_before_it() {
        let i = parse("a woman in a red dress with a blue hat on the beach");
        assert_eq!(i.subjects[0].kind, Person);
        assert_eq!(i.subjects[0].color, color::named("red"));
        assert_eq!(i.subjects[0].accent, color::named("blue"));
        assert_eq!(i.terrain, Some(Terrain::Ocean));
    }

    #[test]
    fn a_thing_named_twice_is_one_subject() {
        let i = parse("a cup of coffee on a wooden table");
        assert_eq!(i.subjects.len(), 1);
        assert_eq!(i.terrain, Some(Terrain::Table));
    }

    #[test]
    fn a_noun_before_a_noun_only_describes_it() {
        let i = parse("a bowl of tomato soup and a stack of blueberry pancakes with maple syrup");
        let kinds: Vec<Kind> = i.subjects.iter().map(|s| s.kind).collect();
        assert_eq!(kinds, vec![Bowl, Cake]);
        assert_eq!(i.subjects[1].count, Count::One);
    }

    #[test]
    fn a_specific_noun_before_its_plural_kind_keeps_its_look() {
        let i = parse("a frozen lake surrounded by snowy pine trees");
        assert_eq!(i.subjects.len(), 1);
        assert_eq!(i.subjects[0].variant, 1);
        assert_eq!(i.subjects[0].count, Count::Several);
    }

    #[test]
    fn colours_listed_after_a_thing_colour_it() {
        let i = parse("overlapping circles in pink, teal and orange");
        assert_eq!(i.subjects.len(), 1);
        assert_eq!(i.subjects[0].palette.len(), 3);
        assert_eq!(i.subjects[0].color, color::named("pink"));
        let i = parse("a pattern of orange and navy squares");
        assert_eq!(i.subjects.len(), 1);
        assert_eq!(i.subjects[0].kind, Square);
        assert_eq!(i.subjects[0].palette.len(), 2);
        assert!(i.loose.is_empty());
    }

    #[test]
    fn sign_and_letter_colours_are_read() {
        let i = parse("a red stop sign with the word \"STOP\" in white letters");
        assert_eq!(i.board, color::named("red"));
        assert_eq!(i.ink, color::named("white"));
        assert!(i.loose.is_empty());
    }

    #[test]
    fn plurals_and_sky_colours_are_understood() {
        let i = parse("cherries under a purple sky");
        assert_eq!(i.subjects[0].count, Count::Several);
        assert_eq!(i.sky, color::named("purple"));
    }
}

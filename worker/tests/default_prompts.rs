//! The default prompt set shipped in `server/prompts/default.jsonl` is well formed
//! and covers every category with enough prompts.

use std::collections::{BTreeMap, HashSet};

const CATEGORIES: [&str; 10] = [
    "photorealism",
    "dramatic-lighting",
    "landscapes",
    "text-in-images",
    "people",
    "animals",
    "abstract",
    "architecture",
    "food",
    "fantasy",
];

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Prompt {
    text: String,
    category: String,
}

fn prompts() -> Vec<Prompt> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../server/prompts/default.jsonl"
    );
    let body = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    body.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}: {line}", i + 1))
        })
        .collect()
}

#[test]
fn default_prompt_set_has_at_least_two_hundred_prompts() {
    assert!(prompts().len() >= 200, "only {} prompts", prompts().len());
}

#[test]
fn default_prompts_are_unique_and_of_sensible_length() {
    let mut seen = HashSet::new();
    for p in prompts() {
        let len = p.text.chars().count();
        assert!((10..=300).contains(&len), "length {len}: {}", p.text);
        assert_eq!(p.text, p.text.trim(), "untrimmed: {:?}", p.text);
        assert!(seen.insert(p.text.to_lowercase()), "duplicate: {}", p.text);
    }
}

#[test]
fn every_category_has_at_least_twenty_prompts_and_no_other_category_appears() {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for p in prompts() {
        assert!(
            CATEGORIES.contains(&p.category.as_str()),
            "unknown category {:?}",
            p.category
        );
        *counts.entry(p.category).or_default() += 1;
    }
    for c in CATEGORIES {
        let n = counts.get(c).copied().unwrap_or(0);
        assert!(n >= 20, "category {c} has only {n} prompts");
    }
}

#[test]
fn every_default_prompt_renders_with_every_demo_model() {
    for p in prompts() {
        for m in arena_worker::demo::demo_models() {
            let img = arena_worker::demo::render(m.slug, &p.text, 1, 24, 24).expect("known model");
            assert_eq!(img.dimensions(), (24, 24));
        }
    }
}

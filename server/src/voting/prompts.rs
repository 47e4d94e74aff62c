//! Prompt sets: the one shipped with the product and files imported by operators
//! (JSONL or CSV with `text` and `category`).

use std::path::Path;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::store::NewPrompt;

/// The shipped prompt set (written for this project; see `server/prompts/`).
pub const DEFAULT_PROMPTS: &str = include_str!("../../prompts/default.jsonl");

/// Longest prompt accepted, in characters.
pub const MAX_PROMPT_CHARS: usize = 1000;

#[derive(Deserialize)]
struct PromptLine {
    text: String,
    #[serde(default)]
    category: Option<String>,
}

pub fn default_prompts() -> Vec<NewPrompt> {
    parse_jsonl(DEFAULT_PROMPTS, "default").expect("the shipped prompt set is valid")
}

/// Reads a JSONL or CSV prompt file (by extension; `.csv` is CSV, anything else JSONL).
pub fn read_prompt_file(path: &Path) -> anyhow::Result<Vec<NewPrompt>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let source = format!("import:{name}");
    let prompts = if name.to_ascii_lowercase().ends_with(".csv") {
        parse_csv(&text, &source)
    } else {
        parse_jsonl(&text, &source)
    }
    .with_context(|| format!("in {}", path.display()))?;
    if prompts.is_empty() {
        bail!("{} holds no prompts", path.display());
    }
    Ok(prompts)
}

pub fn parse_jsonl(text: &str, source: &str) -> anyhow::Result<Vec<NewPrompt>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parsed: PromptLine = serde_json::from_str(line).with_context(|| {
            format!("line {}: expected {{\"text\": …, \"category\": …}}", i + 1)
        })?;
        out.push(checked(parsed, source).with_context(|| format!("line {}", i + 1))?);
    }
    Ok(out)
}

pub fn parse_csv(text: &str, source: &str) -> anyhow::Result<Vec<NewPrompt>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, record) in reader.deserialize::<PromptLine>().enumerate() {
        // +2: the header is line 1
        let parsed =
            record.with_context(|| format!("line {}: expected columns text,category", i + 2))?;
        out.push(checked(parsed, source).with_context(|| format!("line {}", i + 2))?);
    }
    Ok(out)
}

fn checked(line: PromptLine, source: &str) -> anyhow::Result<NewPrompt> {
    let text = line.text.trim().to_string();
    if text.is_empty() {
        bail!("the prompt text is empty");
    }
    if text.chars().count() > MAX_PROMPT_CHARS {
        bail!("the prompt is longer than {MAX_PROMPT_CHARS} characters");
    }
    let category = line
        .category
        .map(|c| c.trim().to_lowercase())
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| "general".to_string());
    Ok(NewPrompt {
        text,
        category,
        source: source.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_set_has_at_least_200_prompts_in_several_categories() {
        let prompts = default_prompts();
        assert!(prompts.len() >= 200, "{}", prompts.len());
        let mut categories: Vec<_> = prompts.iter().map(|p| p.category.as_str()).collect();
        categories.sort();
        categories.dedup();
        assert!(categories.len() >= 7, "{categories:?}");
    }

    #[test]
    fn csv_and_jsonl_read_the_same_prompts() {
        let jsonl =
            parse_jsonl("{\"text\":\"a red fox\",\"category\":\"Animals\"}\n\n", "x").unwrap();
        let csv = parse_csv("text,category\na red fox,animals\n", "x").unwrap();
        assert_eq!(jsonl[0].text, csv[0].text);
        assert_eq!(jsonl[0].category, "animals");
        assert_eq!(csv[0].category, "animals");
    }

    #[test]
    fn bad_lines_are_reported_with_their_number() {
        let err = parse_jsonl("{\"text\":\"ok\"}\nnot json\n", "x").unwrap_err();
        assert!(format!("{err:#}").contains("line 2"), "{err:#}");
        let err = parse_jsonl("{\"text\":\"  \"}\n", "x").unwrap_err();
        assert!(format!("{err:#}").contains("empty"), "{err:#}");
    }
}

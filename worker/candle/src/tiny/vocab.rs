//! Tokenizer files for the random models: a word-level `tokenizer.json` (small
//! models), and a byte-level BPE `vocab.json` + `merges.txt` with CLIP's 49408 tokens
//! (what real SD folders ship, and what PyTorch's `CLIPTokenizer` reads).

use std::path::Path;

use anyhow::Context;
use serde_json::{Map, Value, json};

/// CLIP's vocabulary size.
pub const CLIP_VOCAB: usize = 49408;

const WORDS: &str = "a an the of and with in on at by for to from under over near behind beside \
    red orange yellow green blue purple pink black white gray brown golden silver \
    cat dog fox owl horse bird fish dragon robot astronaut wizard knight child woman man \
    house castle tower city forest mountain river lake sea ocean beach desert island garden \
    sky sun moon star stars cloud clouds rain snow storm night day sunset sunrise \
    car train ship boat bicycle plane rocket lamp book chair table cup apple banana cake \
    painting photo photograph drawing sketch watercolor oil portrait landscape close-up \
    small big tiny huge old new ancient futuristic bright dark cozy quiet busy \
    riding holding eating reading flying swimming running sitting standing sleeping \
    style art detailed realistic cinematic , . ! ?";

const SPECIALS_CLIP: [&str; 3] = ["<|startoftext|>", "<|endoftext|>", "<unk>"];
const SPECIALS_T5: [&str; 3] = ["<pad>", "</s>", "<unk>"];

/// How the word-level tokenizer wraps and pads prompts.
#[derive(Clone, Copy)]
pub enum Style {
    /// `<|startoftext|> … <|endoftext|>`, padded with `<|endoftext|>` (SD 1.5).
    Clip,
    /// As `Clip`, padded with `!` (SD 2.x, SDXL's second tokenizer).
    ClipPadBang,
    /// `… </s>`, padded with `<pad>` (T5).
    T5,
}

fn words() -> Vec<&'static str> {
    WORDS.split_whitespace().collect()
}

pub fn word_level_size() -> usize {
    SPECIALS_CLIP.len() + words().len()
}

pub fn t5_size() -> usize {
    SPECIALS_T5.len() + words().len()
}

/// Writes `tokenizer.json` (+ `special_tokens_map.json`) into `dir`.
pub fn write_word_level(dir: &Path, style: Style) -> anyhow::Result<()> {
    let specials = match style {
        Style::T5 => SPECIALS_T5,
        _ => SPECIALS_CLIP,
    };
    let mut vocab = Map::new();
    for (id, token) in specials.iter().chain(words().iter()).enumerate() {
        vocab.insert((*token).to_string(), json!(id));
    }
    let added: Vec<Value> = specials
        .iter()
        .enumerate()
        .map(|(id, t)| json!({"id": id, "content": t, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}))
        .collect();
    let (single, pair, special_tokens, map) = match style {
        Style::T5 => (
            json!([{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}]),
            json!([{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}]),
            json!({"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}),
            json!({"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}),
        ),
        Style::Clip | Style::ClipPadBang => (
            json!([{"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}]),
            json!([{"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}]),
            json!({
                "<|startoftext|>": {"id": "<|startoftext|>", "ids": [0], "tokens": ["<|startoftext|>"]},
                "<|endoftext|>": {"id": "<|endoftext|>", "ids": [1], "tokens": ["<|endoftext|>"]}
            }),
            json!({
                "bos_token": "<|startoftext|>",
                "eos_token": "<|endoftext|>",
                "pad_token": if matches!(style, Style::ClipPadBang) { "!" } else { "<|endoftext|>" },
                "unk_token": "<unk>"
            }),
        ),
    };
    let tokenizer = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": added,
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": {"type": "TemplateProcessing", "single": single, "pair": pair, "special_tokens": special_tokens},
        "decoder": null,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}
    });
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("tokenizer.json"),
        serde_json::to_string_pretty(&tokenizer)?,
    )
    .with_context(|| format!("cannot write {}", dir.join("tokenizer.json").display()))?;
    std::fs::write(
        dir.join("special_tokens_map.json"),
        serde_json::to_string_pretty(&map)?,
    )?;
    Ok(())
}

/// GPT-2's byte → printable character table that CLIP's BPE works on, in CLIP's
/// vocabulary order: the printable bytes as themselves, then the others as U+0100….
fn byte_chars() -> Vec<char> {
    let printable =
        |b: u32| (33..=126).contains(&b) || (161..=172).contains(&b) || (174..=255).contains(&b);
    let mut chars: Vec<char> = (0u32..256)
        .filter(|&b| printable(b))
        .filter_map(char::from_u32)
        .collect();
    chars.extend(
        (0u32..256)
            .filter(|&b| !printable(b))
            .enumerate()
            .filter_map(|(n, _)| char::from_u32(256 + n as u32)),
    );
    chars
}

/// Writes a CLIP-format `vocab.json` + `merges.txt` with exactly CLIP's vocabulary
/// size: the 256 byte characters, the same with `</w>`, merges of character pairs,
/// then `<|startoftext|>` and `<|endoftext|>`.
pub fn write_clip_bpe(dir: &Path) -> anyhow::Result<()> {
    let chars = byte_chars();
    let mut tokens: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
    tokens.extend(chars.iter().map(|c| format!("{c}</w>")));
    let n_merges = CLIP_VOCAB - 2 - tokens.len();
    // Letters first so that ordinary prompts use some merges.
    let mut order: Vec<char> = ('a'..='z').collect();
    order.extend(chars.iter().filter(|c| !c.is_ascii_lowercase()));
    let mut merges = Vec::with_capacity(n_merges);
    'outer: for a in &order {
        for b in &order {
            for end in ["</w>", ""] {
                if merges.len() == n_merges {
                    break 'outer;
                }
                merges.push(format!("{a} {b}{end}"));
                tokens.push(format!("{a}{b}{end}"));
            }
        }
    }
    tokens.push("<|startoftext|>".into());
    tokens.push("<|endoftext|>".into());
    let vocab: Map<String, Value> = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), json!(i)))
        .collect();
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("vocab.json"), serde_json::to_string(&vocab)?)?;
    let mut text = String::from("#version: 0.2\n");
    for m in &merges {
        text.push_str(m);
        text.push('\n');
    }
    std::fs::write(dir.join("merges.txt"), text)?;
    let config = json!({
        "bos_token": "<|startoftext|>",
        "eos_token": "<|endoftext|>",
        "pad_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "model_max_length": 77,
        "tokenizer_class": "CLIPTokenizer"
    });
    std::fs::write(
        dir.join("tokenizer_config.json"),
        serde_json::to_string_pretty(&config)?,
    )?;
    std::fs::write(
        dir.join("special_tokens_map.json"),
        serde_json::to_string_pretty(&config)?,
    )?;
    Ok(())
}

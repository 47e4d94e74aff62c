//! Prompt tokenizers: a folder's `tokenizer.json`, or CLIP's `vocab.json` + `merges.txt`
//! (what SD 1.5/2.1/XL folders ship) turned into the same tokenizer transformers'
//! `CLIPTokenizerFast` builds from them.

use std::str::FromStr;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokenizers::Tokenizer;

use super::folder::{Files, Folder};

/// A tokenizer that pads or cuts every prompt to the text encoder's length.
pub(crate) struct PromptTokenizer {
    inner: Tokenizer,
    max_len: usize,
    pad_id: u32,
    eos_id: Option<u32>,
}

/// CLIP's pre-tokenizer pattern (transformers' `CLIPConverter`).
const CLIP_SPLIT: &str = r"'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+";

impl PromptTokenizer {
    /// Loads the tokenizer `files` names (as [`TokenizerFiles::locate`] found them).
    /// `default_eos` names the end token when the folder does not.
    pub fn load(
        folder: &Folder,
        files: &TokenizerFiles,
        max_len: usize,
        default_eos: &str,
    ) -> anyhow::Result<Self> {
        let dir = &files.dir;
        let inner = match &files.source {
            Source::Json(rel) => {
                let path = folder.require(rel)?;
                Tokenizer::from_file(&path).map_err(|e| {
                    anyhow::anyhow!("{} is not a valid tokenizer: {e}", path.display())
                })?
            }
            Source::ClipBpe { vocab, merges } => clip_bpe(folder, dir, vocab, merges)?,
        };
        let special = |key: &str| special_token(folder, &files.special, key);
        let eos = special("eos_token").unwrap_or_else(|| default_eos.to_string());
        let eos_id = inner.token_to_id(&eos);
        let pad = special("pad_token").unwrap_or_else(|| eos.clone());
        let pad_id = inner.token_to_id(&pad).or(eos_id).with_context(|| {
            format!("{dir}: the padding token `{pad}` is not in the vocabulary")
        })?;
        Ok(Self {
            inner,
            max_len,
            pad_id,
            eos_id,
        })
    }

    /// Token ids, cut or padded to the encoder's length, and the position of the
    /// first end-of-text token (where CLIP's pooled output is taken).
    pub fn encode(&self, text: &str) -> anyhow::Result<(Vec<u32>, usize)> {
        let encoding = self
            .inner
            .encode(text, true)
            .map_err(|e| anyhow::anyhow!("cannot tokenize the prompt: {e}"))?;
        let mut ids = encoding.get_ids().to_vec();
        if ids.len() > self.max_len {
            ids.truncate(self.max_len);
            if let Some(eos) = self.eos_id {
                ids[self.max_len - 1] = eos;
            }
        }
        let eos_at = self
            .eos_id
            .and_then(|eos| ids.iter().position(|&id| id == eos))
            .unwrap_or(ids.len().saturating_sub(1));
        ids.resize(self.max_len, self.pad_id);
        Ok((ids, eos_at))
    }
}

/// The files a tokenizer is read from, relative to the model's folder.
#[derive(Clone, Debug)]
pub(crate) struct TokenizerFiles {
    /// The tokenizer's folder, e.g. `tokenizer_2`.
    dir: String,
    source: Source,
    /// Those of [`SPECIAL_TOKEN_FILES`] that exist, in that order.
    special: Vec<String>,
}

#[derive(Clone, Debug)]
enum Source {
    Json(String),
    ClipBpe { vocab: String, merges: String },
}

/// Where `pad_token` / `eos_token` are named, the first file winning.
const SPECIAL_TOKEN_FILES: [&str; 2] = ["special_tokens_map.json", "tokenizer_config.json"];

impl TokenizerFiles {
    /// `dir/tokenizer.json`, else `dir/vocab.json` + `dir/merges.txt`, and the files
    /// naming special tokens.
    pub fn locate(files: &impl Files, dir: &str) -> anyhow::Result<Self> {
        let json = format!("{dir}/tokenizer.json");
        let (vocab, merges) = (format!("{dir}/vocab.json"), format!("{dir}/merges.txt"));
        let source = if files.has(&json) {
            Source::Json(json)
        } else if files.has(&vocab) || files.has(&merges) {
            Source::ClipBpe {
                vocab: files.require_listed(&vocab)?,
                merges: files.require_listed(&merges)?,
            }
        } else {
            bail!(
                "{} is missing {dir}/tokenizer.json (or {dir}/vocab.json and {dir}/merges.txt)",
                files.describe()
            );
        };
        let special = SPECIAL_TOKEN_FILES
            .iter()
            .map(|f| format!("{dir}/{f}"))
            .filter(|rel| files.has(rel))
            .collect();
        Ok(Self {
            dir: dir.to_string(),
            source,
            special,
        })
    }

    /// Every file read.
    pub fn all(&self) -> Vec<String> {
        let mut all = match &self.source {
            Source::Json(rel) => vec![rel.clone()],
            Source::ClipBpe { vocab, merges } => vec![vocab.clone(), merges.clone()],
        };
        all.extend(self.special.iter().cloned());
        all
    }
}

/// `pad_token` / `eos_token` from `special_tokens_map.json` or `tokenizer_config.json`,
/// written either as a string or as `{"content": …}`.
fn special_token(folder: &Folder, special: &[String], key: &str) -> Option<String> {
    for rel in special {
        let Ok(value) = folder.json::<Value>(rel) else {
            continue;
        };
        match value.get(key) {
            Some(Value::String(s)) => return Some(s.clone()),
            Some(Value::Object(o)) => {
                if let Some(Value::String(s)) = o.get("content") {
                    return Some(s.clone());
                }
            }
            _ => {}
        }
    }
    None
}

/// Builds the byte-level BPE tokenizer CLIP uses from `vocab.json` and `merges.txt`.
fn clip_bpe(folder: &Folder, dir: &str, vocab: &str, merges: &str) -> anyhow::Result<Tokenizer> {
    let vocab: Value = folder.json(vocab)?;
    let merges_path = folder.require(merges)?;
    let merges_text = std::fs::read_to_string(&merges_path)
        .with_context(|| format!("cannot read {}", merges_path.display()))?;
    let merges: Vec<&str> = merges_text
        .lines()
        .filter(|line| !line.starts_with("#version") && !line.trim().is_empty())
        .collect();
    let id = |token: &str| -> anyhow::Result<u64> {
        vocab
            .get(token)
            .and_then(Value::as_u64)
            .with_context(|| format!("{dir}/vocab.json has no `{token}`"))
    };
    let (bos, eos) = ("<|startoftext|>", "<|endoftext|>");
    let (bos_id, eos_id) = (id(bos)?, id(eos)?);
    let added = |content: &str, id: u64| json!({"id": id, "content": content, "single_word": false, "lstrip": false, "rstrip": false, "normalized": true, "special": true});
    let spec = json!({
        "version": "1.0",
        "truncation": null,
        "padding": null,
        "added_tokens": [added(bos, bos_id), added(eos, eos_id)],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFC"},
            {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
            {"type": "Lowercase"}
        ]},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": CLIP_SPLIT}, "behavior": "Removed", "invert": true},
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}
        ]},
        "post_processor": {"type": "RobertaProcessing", "sep": [eos, eos_id], "cls": [bos, bos_id], "trim_offsets": false, "add_prefix_space": false},
        "decoder": {"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true},
        "model": {
            "type": "BPE", "dropout": null, "unk_token": eos, "continuing_subword_prefix": "",
            "end_of_word_suffix": "</w>", "fuse_unk": false, "byte_fallback": false,
            "vocab": vocab, "merges": merges
        }
    });
    Tokenizer::from_str(&spec.to_string()).map_err(|e| {
        anyhow::anyhow!("{dir}/vocab.json and merges.txt do not make a CLIP tokenizer: {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiny::vocab::write_clip_bpe;

    /// The CLIP tokenizer of `dir/tokenizer`, 77 tokens long.
    fn clip_tokenizer(dir: &std::path::Path) -> PromptTokenizer {
        let folder = Folder::new(dir);
        let files = TokenizerFiles::locate(&folder, "tokenizer").unwrap();
        PromptTokenizer::load(&folder, &files, 77, "<|endoftext|>").unwrap()
    }

    #[test]
    fn clip_vocab_and_merges_tokenize_as_clip_does() {
        let dir = std::env::temp_dir().join(format!("arena-clip-bpe-{}", std::process::id()));
        write_clip_bpe(&dir.join("tokenizer")).unwrap();
        let tokenizer = clip_tokenizer(&dir);
        let (ids, eos_at) = tokenizer.encode("A  cat").unwrap();
        std::fs::remove_dir_all(&dir).ok();
        // <|startoftext|>, "a</w>" (320 in CLIP too), "c", "at</w>", <|endoftext|>, padding.
        assert_eq!(&ids[..5], &[49406, 320, 66, 550, 49407]);
        assert_eq!(ids.len(), 77);
        assert!(ids[5..].iter().all(|&id| id == 49407));
        assert_eq!(eos_at, 4);
    }

    #[test]
    fn long_prompts_are_cut_and_keep_their_end_token() {
        let dir = std::env::temp_dir().join(format!("arena-clip-long-{}", std::process::id()));
        write_clip_bpe(&dir.join("tokenizer")).unwrap();
        let tokenizer = clip_tokenizer(&dir);
        let (ids, eos_at) = tokenizer.encode(&"cat ".repeat(200)).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(ids.len(), 77);
        assert_eq!((ids[76], eos_at), (49407, 76));
    }

    #[test]
    fn a_folder_without_any_tokenizer_names_what_is_missing() {
        let dir = std::env::temp_dir().join(format!("arena-no-tok-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = TokenizerFiles::locate(&Folder::new(&dir), "tokenizer_2")
            .err()
            .unwrap()
            .to_string();
        std::fs::remove_dir_all(&dir).ok();
        assert!(
            err.contains("tokenizer_2/tokenizer.json") && err.contains("merges.txt"),
            "{err}"
        );
    }
}

//! `arena import votes`: votes from other arenas' files (FastChat clean-battle JSON,
//! JSONL, CSV), read with the evaluator's streaming readers.
//!
//! The whole file is checked before anything is written, so bad input changes
//! nothing, and imports are idempotent, so a re-run (after a crash, or by mistake)
//! adds nothing twice: an imported vote is identified by its content — models,
//! winner, judge, time, anonymity, category — and how many identical votes came
//! before it in the file; that key becomes its battle id.

use std::collections::{HashMap, HashSet};
use std::io::BufReader;
use std::path::Path;

use anyhow::{Context, bail};
use arena_evaluator::{Format, Vote, for_each_vote};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::export::hmac_sha256;
use crate::store::{ImportedVote, NewModel, Store};

/// Backend under which models first seen in a vote file are registered.
pub const IMPORTED_BACKEND: &str = "imported";

/// Votes written per transaction.
const BATCH: usize = 1000;

/// What `arena import votes` did.
#[derive(Clone, Debug, Default)]
pub struct VoteImport {
    pub read: u64,
    pub added: u64,
    /// Votes of this file that an earlier import already stored.
    pub already_present: u64,
    /// Votes left out because a model did not pass `--models`/`--exclude-models`.
    pub left_out: u64,
    pub models_added: Vec<String>,
    /// Models renamed by the rename file (already known ones included).
    pub renamed: Vec<String>,
    /// Source names of the rename file that no admitted vote has.
    pub unused_renames: Vec<String>,
}

/// Whether `slug` is a model slug: 1–64 characters of a-z, 0-9, '-', '_' and '.'
/// (what `arena models add` accepts, and what URLs and exports carry unescaped).
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
}

/// The model slug for a name found in a file: the name lowercased, with every run of
/// other characters made one '-', cut to 64 characters; always a valid slug (see
/// [`is_valid_slug`]). The name itself stays the model's display name.
pub fn model_slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c) {
            slug.push(c);
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(64).collect();
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        format!(
            "model-{}",
            &crate::generation::blob::sha256_hex(name.as_bytes())[..12]
        )
    } else {
        slug.to_string()
    }
}

/// A display name as given, trimmed: 1–100 characters, none of them control
/// characters.
pub fn display_name(name: &str) -> anyhow::Result<String> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > 100 || name.chars().any(char::is_control) {
        bail!("a model name is 1–100 characters without control characters (got {name:?})");
    }
    Ok(name.to_string())
}

/// Which models of a vote file come in, and the names people see for them.
#[derive(Clone, Debug, Default)]
pub struct ImportSelection {
    /// Globs (`*`, `?`) a source model name must match, if any are given.
    pub models: Vec<String>,
    /// Globs of source model names left out.
    pub exclude_models: Vec<String>,
    /// Source model name → display name.
    pub rename: HashMap<String, String>,
}

impl ImportSelection {
    /// Whether votes involving the source model `name` come in.
    pub fn admits(&self, name: &str) -> bool {
        (self.models.is_empty() || self.models.iter().any(|g| glob_match(g, name)))
            && !self.exclude_models.iter().any(|g| glob_match(g, name))
    }

    /// Reads a rename file: TOML lines `"source name" = "Display name"`.
    pub fn read_rename_file(path: &Path) -> anyhow::Result<HashMap<String, String>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let table: HashMap<String, String> = toml::from_str(&text).with_context(|| {
            format!(
                "{}: a rename file holds lines `\"source name\" = \"Display name\"`",
                path.display()
            )
        })?;
        table
            .into_iter()
            .map(|(source, name)| {
                let name = display_name(&name).with_context(|| format!("in {}", path.display()))?;
                Ok((source, name))
            })
            .collect()
    }
}

/// Shell-style match of the whole of `text`: `*` is any run of characters, `?` one.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // Greedy with one backtrack point: the last `*` seen.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// The time of a vote: its `tstamp`, else the time of the import.
fn cast_at(vote: &Vote<'_>) -> anyhow::Result<DateTime<Utc>> {
    match vote.tstamp {
        None => Ok(Utc::now()),
        Some(t) => DateTime::from_timestamp_micros((t * 1e6).round() as i64)
            .with_context(|| format!("line {}: tstamp {t} is not a usable time", vote.line)),
    }
}

/// The voter an imported judge becomes: keyed like export judges, so that the raw
/// judge (GenAI-Arena's embed IP addresses) is never stored.
fn voter_for(judge_key: &[u8], judge: Option<&str>) -> String {
    match judge {
        Some(j) => format!(
            "imp-{}",
            &hex::encode(hmac_sha256(
                judge_key,
                format!("import-judge\0{j}").as_bytes()
            ))[..28]
        ),
        None => "imp-unknown".to_string(),
    }
}

fn in_file(path: &Path, e: arena_evaluator::Error) -> anyhow::Error {
    anyhow::anyhow!("{}: {e}", path.display())
}

fn open(path: &Path) -> anyhow::Result<BufReader<std::fs::File>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(BufReader::with_capacity(1 << 20, file))
}

/// Imports the votes of a JSONL, CSV or FastChat file; see the module docs for how
/// re-imports are recognised.
pub async fn import_votes(
    store: &Store,
    path: &Path,
    format: Format,
    judge_key: &[u8],
    selection: &ImportSelection,
) -> anyhow::Result<VoteImport> {
    let format = match format {
        Format::Auto => Format::from_extension(path),
        known => known,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let source = format!("import:{name}");

    // Pass 1: the whole file must parse before anything is written.
    let owned = path.to_path_buf();
    let filter = selection.clone();
    let (read, left_out, names) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let mut names = HashSet::new();
        let (mut read, mut left_out) = (0u64, 0u64);
        let mut bad_time = None;
        for_each_vote(open(&owned)?, format, |v| {
            read += 1;
            if v.kwise.is_some() {
                // The arena stores votes of three or four images only as its own
                // battles; an imported one would lose its other models.
                return Err(arena_evaluator::Error::Parse {
                    line: v.line,
                    message: "a vote on three or four images (model_c) cannot be imported: \
                              imports take pairwise votes"
                        .into(),
                });
            }
            if !(filter.admits(v.model_a) && filter.admits(v.model_b)) {
                left_out += 1;
                return Ok(());
            }
            for m in [v.model_a, v.model_b] {
                if !names.contains(m) {
                    names.insert(m.to_string());
                }
            }
            if bad_time.is_none() {
                bad_time = cast_at(v).err();
            }
            Ok(())
        })
        .map_err(|e| in_file(&owned, e))?;
        if let Some(e) = bad_time {
            return Err(e.context(owned.display().to_string()));
        }
        Ok((read, left_out, names))
    })
    .await??;
    if read == 0 {
        bail!("{} holds no votes", path.display());
    }
    if read == left_out {
        bail!(
            "none of the {read} votes of {} involves only models that --models/--exclude-models admit",
            path.display()
        );
    }

    let mut report = VoteImport {
        read,
        left_out,
        ..VoteImport::default()
    };
    let mut unused: Vec<String> = selection
        .rename
        .keys()
        .filter(|k| !names.contains(*k))
        .cloned()
        .collect();
    unused.sort();
    report.unused_renames = unused;
    let mut model_ids = HashMap::new();
    let mut names: Vec<String> = names.into_iter().collect();
    names.sort();
    for name in names {
        let renamed = selection.rename.get(&name);
        // Imports before slugs were always lowercase registered the name itself.
        let earlier = match store.model_by_slug(&name).await? {
            Some(m) if m.backend == IMPORTED_BACKEND => Some(m),
            _ => None,
        };
        let slug = earlier.map_or_else(|| model_slug(&name), |m| m.slug);
        let model = NewModel {
            slug: slug.clone(),
            display_name: renamed.cloned().unwrap_or_else(|| name.clone()),
            backend: IMPORTED_BACKEND.into(),
            version: String::new(),
            description: format!("votes imported from {source}, where it is called {name:?}"),
            weight: 1.0,
        };
        let (id, added) = store.ensure_model_id(&model).await?;
        if added {
            report.models_added.push(slug.clone());
        }
        if let Some(display) = renamed {
            if !added {
                store.set_model_display_name(&slug, display).await?;
            }
            report.renamed.push(format!("{slug} = {display:?}"));
        }
        model_ids.insert(name, id);
    }

    // Pass 2: read again, sending batches to this task, which writes them.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<ImportedVote>>(2);
    let (owned, key) = (path.to_path_buf(), judge_key.to_vec());
    let reader = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut seen: HashMap<[u8; 16], u32> = HashMap::new();
        let mut batch = Vec::with_capacity(BATCH);
        for_each_vote(open(&owned)?, format, |v| {
            // Pass 1 registered exactly the models of the admitted votes.
            if !(model_ids.contains_key(v.model_a) && model_ids.contains_key(v.model_b)) {
                return Ok(());
            }
            batch.push(resolve(v, &model_ids, &key, &mut seen));
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                // A closed channel means the writer failed; its error is the one reported.
                if tx.blocking_send(full).is_err() {
                    return Err(arena_evaluator::Error::InvalidOption("stopped".into()));
                }
            }
            Ok(())
        })
        .map_err(|e| in_file(&owned, e))?;
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
        Ok(())
    });
    let mut written = Ok(());
    while let Some(batch) = rx.recv().await {
        match store.import_votes(&batch, &source).await {
            Ok(added) => {
                report.added += added;
                report.already_present += batch.len() as u64 - added;
            }
            Err(e) => {
                written = Err(e);
                break;
            }
        }
    }
    drop(rx);
    written?;
    reader.await??;
    Ok(report)
}

/// Turns a parsed vote into rows, deriving its battle id (see the module docs).
fn resolve(
    v: &Vote<'_>,
    model_ids: &HashMap<String, i64>,
    judge_key: &[u8],
    seen: &mut HashMap<[u8; 16], u32>,
) -> ImportedVote {
    let voter_id = voter_for(judge_key, v.judge);
    let tstamp = v
        .tstamp
        .map_or_else(|| "none".to_string(), |t| t.to_string());
    let content = Sha256::new()
        .chain_update(format!(
            "{}\0{}\0{}\0{voter_id}\0{tstamp}\0{:?}\0{}\0{:?}",
            v.model_a,
            v.model_b,
            v.outcome,
            v.anony,
            v.category.unwrap_or(""),
            v.counts_for_leaderboard,
        ))
        .finalize();
    let key: [u8; 16] = content[..16].try_into().unwrap_or_default();
    let nth = seen.entry(key).or_insert(0);
    *nth += 1;
    let id = Sha256::new()
        .chain_update(key)
        .chain_update(nth.to_le_bytes())
        .finalize();
    let anony = v.anony.unwrap_or(true);
    // Leaderboards count only anonymous battles (as LMArena's): a vote cast with the
    // model names in view stays in the database, excluded with its reason.
    let exclusion_reason = if v.model_a == v.model_b {
        Some("the same model on both sides".to_string())
    } else if v.counts_for_leaderboard == Some(false) {
        Some("excluded in the imported file".to_string())
    } else if !anony {
        Some("not anonymous: the model names were shown before the vote".to_string())
    } else {
        None
    };
    ImportedVote {
        battle_id: hex::encode(&id[..16]),
        voter_id,
        // Both names were registered in pass 1.
        model_a_id: model_ids.get(v.model_a).copied().unwrap_or_default(),
        model_b_id: model_ids.get(v.model_b).copied().unwrap_or_default(),
        winner: v.outcome,
        anony,
        cast_at: cast_at(v).unwrap_or_else(|_| Utc::now()),
        counts_for_leaderboard: exclusion_reason.is_none(),
        exclusion_reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_of_source_names_are_valid_slugs() {
        for (name, slug) in [
            (
                "imagenhub_SDXLTurbo_generation",
                "imagenhub_sdxlturbo_generation",
            ),
            ("stabilityai/SDXL 1.0", "stabilityai-sdxl-1.0"),
            ("  Playground v2.5 ", "playground-v2.5"),
            ("日本語モデル", "model-"),
        ] {
            let got = model_slug(name);
            assert!(got.starts_with(slug), "{name:?} → {got:?}");
            assert!(is_valid_slug(&got), "{got:?}");
        }
        assert_eq!(
            model_slug("  "),
            format!(
                "model-{}",
                &crate::generation::blob::sha256_hex(b"  ")[..12]
            )
        );
        assert!(is_valid_slug(&model_slug(&"x".repeat(70))));
    }

    #[test]
    fn globs_match_whole_names() {
        assert!(glob_match("*_edition", "imagenhub_InstructPix2Pix_edition"));
        assert!(!glob_match("*_edition", "imagenhub_SDXL_generation"));
        assert!(glob_match(
            "imagenhub_*_generation",
            "imagenhub_SDXL_generation"
        ));
        assert!(glob_match("sd?", "sdx"));
        assert!(!glob_match("sd?", "sdxl"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "a-b-b-c"));
        assert!(!glob_match("a*b*c", "a-b-b-d"));
        let selection = ImportSelection {
            models: vec!["imagenhub_*".into()],
            exclude_models: vec!["*_edition".into()],
            ..ImportSelection::default()
        };
        assert!(selection.admits("imagenhub_SDXL_generation"));
        assert!(!selection.admits("imagenhub_MagicBrush_edition"));
        assert!(!selection.admits("dall-e-3"));
    }

    #[test]
    fn imported_judges_are_keyed_never_stored_raw() {
        let v = voter_for(b"k", Some("arena_user_::1"));
        assert_eq!(v.len(), 32);
        assert!(!v.contains("::1"));
        assert_ne!(v, voter_for(b"other key", Some("arena_user_::1")));
    }
}

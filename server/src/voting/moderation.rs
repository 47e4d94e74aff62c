//! Prompt checks before a live battle: length, a block list of words and regular
//! expressions (a default list unless the config gives one), and optionally an
//! external moderation endpoint (OpenAI-compatible `/v1/moderations`). The lists are
//! matched against the prompt's [`prompt_text::match_forms`], so case, full-width
//! letters, accents, zero-width joiners and `n.u.d.e`-style separators change nothing.

use std::time::Duration;

use anyhow::Context;
use regex::{Regex, RegexBuilder};
use serde::Deserialize;

use super::prompt_text::{self, MatchForms};

/// `[moderation]` in the server's config file.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationConfig {
    pub min_prompt_chars: usize,
    pub max_prompt_chars: usize,
    /// Words and phrases refused as whole words, in any case; replaces the default list.
    pub blocked_words: Option<Vec<String>>,
    /// Regular expressions refused anywhere in the prompt (case-insensitive); added to
    /// the default patterns unless `blocked_words` replaces the defaults.
    pub blocked_patterns: Vec<String>,
    /// URL of an external moderation service: `POST {"input": prompt}`, answering
    /// `{"results": [{"flagged": bool, "categories": {...}}]}`.
    pub endpoint: Option<String>,
    /// Environment variable with the endpoint's bearer token.
    pub endpoint_api_key_env: Option<String>,
    pub endpoint_timeout_secs: u64,
}

impl Default for ModerationConfig {
    fn default() -> ModerationConfig {
        ModerationConfig {
            min_prompt_chars: 3,
            max_prompt_chars: 500,
            blocked_words: None,
            blocked_patterns: Vec::new(),
            endpoint: None,
            endpoint_api_key_env: None,
            endpoint_timeout_secs: 5,
        }
    }
}

/// Sexual content, graphic violence and the like: what a public arena refuses by
/// default. Operators extend or replace it in the config.
const DEFAULT_WORDS: &[&str] = &[
    "nsfw",
    "nude",
    "nudes",
    "nudity",
    "naked",
    "topless",
    "porn",
    "porno",
    "pornographic",
    "pornography",
    "hentai",
    "xxx",
    "sex",
    "sexual",
    "sexy",
    "erotic",
    "fetish",
    "genitals",
    "genitalia",
    "penis",
    "vagina",
    "nipples",
    "orgasm",
    "masturbating",
    "gore",
    "gory",
    "beheading",
    "beheaded",
    "dismembered",
    "disembowelled",
    "mutilated",
    "self-harm",
    "suicide",
    "rape",
    "raped",
];

/// Minors in any sexual or undressed context, whatever the exact words.
const DEFAULT_PATTERNS: &[&str] = &[
    r"\b(child|children|kid|kids|minor|minors|underage|toddler|loli|shota|schoolgirl|schoolboy|preteen|teen|teens)\b.*\b(undress\w*|lingerie|bikini|seductive|provocative|bed)\b",
    r"\b(undress\w*|lingerie|seductive|provocative)\b.*\b(child|children|kid|kids|minor|minors|underage|toddler|loli|shota|preteen)\b",
];

/// Why a prompt was refused: stored with it and shown to the voter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// For the database and the operator.
    pub reason: String,
    /// For the voter.
    pub message: String,
}

pub struct Moderator {
    config: ModerationConfig,
    /// Each blocked word or phrase as written, and its forms for matching.
    words: Vec<(String, MatchForms)>,
    patterns: Vec<Regex>,
    http: Option<(reqwest::Client, String, Option<String>)>,
}

impl Moderator {
    pub fn new(config: &ModerationConfig) -> anyhow::Result<Moderator> {
        let (words, defaults): (Vec<String>, &[&str]) = match &config.blocked_words {
            Some(words) => (words.clone(), &[]),
            None => (
                DEFAULT_WORDS.iter().map(|w| w.to_string()).collect(),
                DEFAULT_PATTERNS,
            ),
        };
        let patterns = defaults
            .iter()
            .copied()
            .chain(config.blocked_patterns.iter().map(String::as_str))
            .map(|p| {
                RegexBuilder::new(p)
                    .case_insensitive(true)
                    .size_limit(1 << 20)
                    .build()
                    .with_context(|| format!("moderation.blocked_patterns: invalid regex {p:?}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let http = match &config.endpoint {
            Some(url) => {
                let key = match &config.endpoint_api_key_env {
                    Some(var) => Some(std::env::var(var).with_context(|| {
                        format!("moderation.endpoint_api_key_env: {var} is not set")
                    })?),
                    None => None,
                };
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(config.endpoint_timeout_secs))
                    .build()?;
                Some((client, url.clone(), key))
            }
            None => None,
        };
        Ok(Moderator {
            config: config.clone(),
            words: words
                .into_iter()
                .map(|w| {
                    let forms = prompt_text::match_forms(&w);
                    (w.trim().to_string(), forms)
                })
                .filter(|(_, forms)| !forms.words.is_empty())
                .collect(),
            patterns,
            http,
        })
    }

    pub fn config(&self) -> &ModerationConfig {
        &self.config
    }

    /// The block lists' verdict (no I/O) on a prompt that [`prompt_text::normalize`]
    /// has made canonical.
    pub fn check_lists(&self, prompt: &str) -> Option<Rejection> {
        let forms = prompt_text::match_forms(prompt);
        if let Some((word, _)) = self.words.iter().find(|(_, w)| forms.contains(w)) {
            return Some(Rejection {
                reason: format!("blocked word: {word}"),
                message: format!(
                    "This prompt can't be used here: “{word}” is on this arena's block list. Please try a different prompt."
                ),
            });
        }
        let texts = [prompt, &forms.words, &forms.joined];
        if let Some(pattern) = self
            .patterns
            .iter()
            .find(|p| texts.iter().any(|t| p.is_match(t)))
        {
            return Some(Rejection {
                reason: format!("blocked pattern: {}", pattern.as_str()),
                message: "This prompt can't be used here: it matches this arena's content rules. Please try a different prompt.".into(),
            });
        }
        None
    }

    /// The block lists, then the external endpoint when one is configured. An endpoint
    /// that cannot be asked refuses the prompt: unchecked prompts are not drawn.
    pub async fn check(&self, prompt: &str) -> Option<Rejection> {
        if let Some(r) = self.check_lists(prompt) {
            return Some(r);
        }
        let (client, url, key) = self.http.as_ref()?;
        let mut call = client
            .post(url)
            .json(&serde_json::json!({ "input": prompt }));
        if let Some(key) = key {
            call = call.bearer_auth(key);
        }
        let unavailable = |detail: String| {
            Rejection {
            reason: format!("not checked: the moderation service failed ({detail})"),
            message: "Prompts cannot be checked right now, so none can be drawn. Please try again in a minute.".into(),
        }
        };
        let response = match call.send().await {
            Ok(r) if r.status().is_success() => r,
            Ok(r) => return Some(unavailable(format!("HTTP {}", r.status()))),
            Err(e) => return Some(unavailable(e.to_string())),
        };
        let body: serde_json::Value = match response.json().await {
            Ok(b) => b,
            Err(e) => return Some(unavailable(format!("malformed answer: {e}"))),
        };
        let result = &body["results"][0];
        if result["flagged"].as_bool() == Some(true) {
            let categories: Vec<&str> = result["categories"]
                .as_object()
                .map(|c| {
                    c.iter()
                        .filter(|(_, v)| v.as_bool() == Some(true))
                        .map(|(k, _)| k.as_str())
                        .collect()
                })
                .unwrap_or_default();
            return Some(Rejection {
                reason: format!("flagged by the moderation service: {}", categories.join(", ")),
                message: "This prompt can't be used here: the moderation service flagged it. Please try a different prompt.".into(),
            });
        }
        if result["flagged"].as_bool().is_none() {
            return Some(unavailable("no `results[0].flagged` in the answer".into()));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_moderator() -> Moderator {
        Moderator::new(&ModerationConfig::default()).unwrap()
    }

    #[test]
    fn the_default_list_refuses_explicit_prompts_with_a_reason() {
        let m = default_moderator();
        let cases = [
            ("a NUDE figure on a beach", Some("blocked word: nude")),
            ("Nsfw art of a dragon", Some("blocked word: nsfw")),
            ("a child in lingerie", Some("blocked pattern")),
            ("a red fox in the snow", None),
            ("sussex countryside at dawn", None),
            ("a kid flying a kite", None),
            ("a n.u.d.e figure", Some("blocked word: nude")),
            ("a ｎｕｄｅ figure", Some("blocked word: nude")),
            ("a nu\u{200D}de figure", Some("blocked word: nude")),
            ("a c.h.i.l.d in l.i.n.g.e.r.i.e", Some("blocked pattern")),
            ("x x x", Some("blocked word: xxx")),
        ];
        for (prompt, expected) in cases {
            let got = m.check_lists(prompt).map(|r| r.reason);
            match expected {
                Some(want) => assert!(
                    got.as_deref().is_some_and(|g| g.starts_with(want)),
                    "{prompt}: {got:?}"
                ),
                None => assert_eq!(got, None, "{prompt}"),
            }
        }
    }

    #[test]
    fn configured_words_replace_the_defaults_and_phrases_match_whole_words() {
        let config = ModerationConfig {
            blocked_words: Some(vec!["Blue Cheese".into()]),
            blocked_patterns: vec![r"\bcats?\b".into()],
            ..ModerationConfig::default()
        };
        let m = Moderator::new(&config).unwrap();
        assert!(m.check_lists("a nude statue").is_none());
        assert!(m.check_lists("a plate of BLUE   cheese").is_some());
        assert!(m.check_lists("blue cheesecake").is_none());
        assert!(m.check_lists("two cats").is_some());
    }

    #[test]
    fn an_invalid_pattern_is_a_config_error() {
        let config = ModerationConfig {
            blocked_patterns: vec!["(".into()],
            ..ModerationConfig::default()
        };
        assert!(Moderator::new(&config).is_err());
    }
}

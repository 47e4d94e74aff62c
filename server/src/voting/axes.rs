//! Judgement axes: the questions a battle asks. Every battle asks the overall one
//! ("Which image is better?"); an operator may add more (`axes` in the config, e.g.
//! `["overall", "prompt", "quality"]`), asked on the same battle before the reveal,
//! each optional for the voter and each stored as its own vote with its own
//! leaderboard (`?axis=`).

use std::collections::HashMap;

use anyhow::bail;
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::OVERALL;

/// One question a battle asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Axis {
    /// The name votes, exports and `?axis=` use: `overall`, `prompt`, …
    pub name: String,
    /// The question as the voter reads it.
    pub question: String,
    /// A short name for the leaderboard's switch and the reveal.
    pub label: String,
}

/// The axes this arena knows without being told their question.
const BUILT_IN: [(&str, &str, &str); 3] = [
    (OVERALL, "Which image is better?", "Overall"),
    ("prompt", "Which image follows the prompt better?", "Prompt"),
    ("quality", "Which image looks better?", "Image quality"),
];

/// The longest axis name: it goes into every export row.
const MAX_NAME: usize = 32;

/// Resolves `axes` of the config (default `["overall"]`) with the questions of
/// `[axis_questions]` for axes that are not built in (or to reword one). The overall
/// axis comes first and is the one every vote must answer.
pub fn resolve(
    names: Option<&[String]>,
    questions: &HashMap<String, String>,
) -> anyhow::Result<Vec<Axis>> {
    let default = [OVERALL.to_string()];
    let names = names.unwrap_or(&default);
    if names.first().map(String::as_str) != Some(OVERALL) {
        bail!("axes must start with \"overall\", the question every vote answers (got {names:?})");
    }
    let mut axes: Vec<Axis> = Vec::new();
    for name in names {
        if name.is_empty()
            || name.len() > MAX_NAME
            || !name.starts_with(|c: char| c.is_ascii_lowercase())
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            bail!(
                "axis names are 1 to {MAX_NAME} characters of a-z, 0-9 and _, starting with a letter \
                 (got {name:?})"
            );
        }
        if axes.iter().any(|a| &a.name == name) {
            bail!("axis {name:?} is listed twice in axes");
        }
        let built_in = BUILT_IN.iter().find(|(n, _, _)| n == name);
        let question = match (questions.get(name), built_in) {
            (Some(q), _) if !q.trim().is_empty() => q.trim().to_string(),
            (_, Some((_, q, _))) => q.to_string(),
            _ => bail!(
                "axis {name:?} needs its question: add `{name} = \"Which image …?\"` under [axis_questions]"
            ),
        };
        let label = match built_in {
            Some((_, _, label)) => label.to_string(),
            None => {
                let mut label = name.replace('_', " ");
                label[..1].make_ascii_uppercase();
                label
            }
        };
        axes.push(Axis {
            name: name.clone(),
            question,
            label,
        });
    }
    if let Some(unused) = questions.keys().find(|q| !names.contains(q)) {
        bail!("[axis_questions] has a question for {unused:?}, which is not in axes");
    }
    Ok(axes)
}

/// The overall axis alone: an arena whose config names no other.
pub fn overall_only() -> Vec<Axis> {
    resolve(None, &HashMap::new()).expect("the default axes are valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_default_asks_only_the_overall_question() {
        let axes = overall_only();
        assert_eq!(axes.len(), 1);
        assert_eq!(axes[0].name, "overall");
        assert_eq!(axes[0].question, "Which image is better?");
    }

    #[test]
    fn built_in_axes_have_their_questions_and_others_need_one() {
        let axes = resolve(
            Some(&names(&["overall", "prompt", "quality"])),
            &HashMap::new(),
        )
        .unwrap();
        assert_eq!(axes[1].question, "Which image follows the prompt better?");
        assert_eq!(axes[2].label, "Image quality");
        let custom = names(&["overall", "realism"]);
        let err = resolve(Some(&custom), &HashMap::new()).unwrap_err();
        assert!(err.to_string().contains("[axis_questions]"), "{err}");
        let questions =
            HashMap::from([("realism".to_string(), "Which looks more real?".to_string())]);
        let axes = resolve(Some(&custom), &questions).unwrap();
        assert_eq!(axes[1].question, "Which looks more real?");
        assert_eq!(axes[1].label, "Realism");
    }

    #[test]
    fn bad_axis_lists_are_refused() {
        for bad in [
            names(&["prompt", "overall"]),
            names(&[]),
            names(&["overall", "prompt", "prompt"]),
            names(&["overall", "Prompt"]),
            names(&["overall", "a=b"]),
            names(&["overall", "x,y"]),
        ] {
            assert!(resolve(Some(&bad), &HashMap::new()).is_err(), "{bad:?}");
        }
        let stray = HashMap::from([("style".to_string(), "?".to_string())]);
        assert!(resolve(None, &stray).is_err());
    }
}

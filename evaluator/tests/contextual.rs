//! Reweighted and contextual (style-controlled) Bradley–Terry against arena-rank 0.1.1
//! on the shared real votes. The references are in `tests/reference/`, made by
//! `tests/reference/make.py` with covariates derived from what the votes carry (the
//! public sets have no images); [`with_features`] derives the same ones.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use arena_evaluator::{
    CiMethod, Control, Format, Leaderboard, LeaderboardOptions, VoteFilter, leaderboard_from_path,
    leaderboard_from_reader,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

struct Dataset {
    file: &'static str,
    name: &'static str,
    anonymous_only: bool,
    features: &'static [&'static str],
}

const T2I_ANONY: Dataset = Dataset {
    file: "genai-arena/genai_arena_20240220_t2i_anony.jsonl",
    name: "genai_t2i_anony",
    anonymous_only: true,
    features: &["seen_diff", "hour"],
};
const T2I_FULL: Dataset = Dataset {
    file: "genai-arena/genai_arena_20240220_t2i.jsonl",
    name: "genai_t2i_full",
    anonymous_only: false,
    features: &["seen_diff", "hour"],
};
const LLMFAO: Dataset = Dataset {
    file: "llmfao/llmfao.jsonl",
    name: "llmfao",
    anonymous_only: true,
    features: &["seen_diff", "voter_votes"],
};

#[derive(Debug, Deserialize)]
struct Reference {
    n_votes: u64,
    ratings: HashMap<String, Rating>,
    #[serde(default)]
    coefficients: HashMap<String, ReferenceCoefficient>,
}

#[derive(Debug, Deserialize)]
struct Rating {
    rating: f64,
    ci_low: f64,
    ci_high: f64,
}

#[derive(Debug, Deserialize)]
struct ReferenceCoefficient {
    coefficient: f64,
    ci_low: Option<f64>,
    ci_high: Option<f64>,
}

fn reference(data: &Dataset, method: &str) -> Reference {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(format!("{}.{method}.json", data.name));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn options(data: &Dataset, ci: CiMethod) -> LeaderboardOptions {
    LeaderboardOptions {
        ci,
        bootstrap_rounds: 100,
        filter: VoteFilter {
            anonymous_only: data.anonymous_only,
            ..VoteFilter::default()
        },
        ..LeaderboardOptions::default()
    }
}

/// The data set's votes as JSONL with a `features` object on each line, derived in
/// file order exactly as `make.py` derives them.
fn with_features(dir: &Path, data: &Dataset) -> String {
    let text = std::fs::read_to_string(dir.join(data.file)).unwrap();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut by_voter: HashMap<String, u64> = HashMap::new();
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut vote: Map<String, Value> = serde_json::from_str(line).unwrap();
        let a = vote["model_a"].as_str().unwrap().to_owned();
        let b = vote["model_b"].as_str().unwrap().to_owned();
        let (seen_a, seen_b) = (
            seen.get(&a).copied().unwrap_or(0),
            seen.get(&b).copied().unwrap_or(0),
        );
        *seen.entry(a).or_default() += 1;
        *seen.entry(b).or_default() += 1;
        let mut features = Map::new();
        features.insert("seen_diff".into(), json!(seen_a as f64 - seen_b as f64));
        if let Some(t) = vote.get("tstamp").and_then(Value::as_f64) {
            features.insert("hour".into(), json!((t % 86400.0) / 3600.0));
        }
        if let Some(voter) = vote.get("voter").and_then(Value::as_str) {
            let before = by_voter.entry(voter.to_owned()).or_default();
            features.insert("voter_votes".into(), json!(*before as f64));
            *before += 1;
        }
        vote.insert("features".into(), Value::Object(features));
        out.push_str(&serde_json::to_string(&vote).unwrap());
        out.push('\n');
    }
    out
}

fn contextual_board(dir: &Path, data: &Dataset, ci: CiMethod) -> Leaderboard {
    let options = LeaderboardOptions {
        control: Some(Control::Features(
            data.features.iter().map(|f| f.to_string()).collect(),
        )),
        ..options(data, ci)
    };
    leaderboard_from_reader(with_features(dir, data).as_bytes(), Format::Jsonl, &options).unwrap()
}

fn reweighted_board(dir: &Path, data: &Dataset, ci: CiMethod) -> Leaderboard {
    let options = LeaderboardOptions {
        reweight: true,
        ..options(data, ci)
    };
    leaderboard_from_path(dir.join(data.file), Format::Auto, &options).unwrap()
}

/// Ratings within 0.01 points and bounds within 0.05 of arena-rank's.
fn assert_close(ours: &Leaderboard, want: &Reference) {
    assert_eq!(
        ours.n_votes + ours.excluded.self_battles,
        want.n_votes,
        "votes"
    );
    assert_eq!(ours.models.len(), want.ratings.len());
    let mut worst = (0.0f64, 0.0f64);
    for entry in &ours.models {
        let r = &want.ratings[&entry.model];
        let m = &entry.model;
        worst.0 = worst.0.max((entry.rating - r.rating).abs());
        worst.1 = worst
            .1
            .max((entry.ci_low.unwrap() - r.ci_low).abs())
            .max((entry.ci_high.unwrap() - r.ci_high).abs());
        assert!(
            (entry.rating - r.rating).abs() < 0.01,
            "{m}: {} vs {}",
            entry.rating,
            r.rating
        );
        let (lo, hi) = (entry.ci_low.unwrap(), entry.ci_high.unwrap());
        assert!(
            (lo - r.ci_low).abs() < 0.05,
            "{m} low: {lo} vs {}",
            r.ci_low
        );
        assert!(
            (hi - r.ci_high).abs() < 0.05,
            "{m} high: {hi} vs {}",
            r.ci_high
        );
    }
    eprintln!(
        "ratings within {:.1e} points of arena-rank, bounds within {:.1e}",
        worst.0, worst.1
    );
}

/// Bootstrap bounds drawn with another generator: each within a third of the
/// interval's width of arena-rank's.
fn assert_bootstrap_close(ours: &Leaderboard, want: &Reference) {
    for entry in &ours.models {
        let r = &want.ratings[&entry.model];
        let width = r.ci_high - r.ci_low;
        assert!((entry.rating - r.rating).abs() < 0.01, "{}", entry.model);
        for (got, want) in [
            (entry.ci_low.unwrap(), r.ci_low),
            (entry.ci_high.unwrap(), r.ci_high),
        ] {
            assert!(
                (got - want).abs() < width / 3.0,
                "{}: {got} vs {want} (width {width})",
                entry.model
            );
        }
    }
}

fn assert_reweighted_matches(data: &Dataset) {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let ours = reweighted_board(&dir, data, CiMethod::Sandwich);
    assert!(ours.reweighted && ours.coefficients.is_empty());
    assert_close(&ours, &reference(data, "arena_rank_reweighted_sandwich"));
}

fn assert_contextual_matches(data: &Dataset) {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let ours = contextual_board(&dir, data, CiMethod::Sandwich);
    let want = reference(data, "arena_rank_contextual_sandwich");
    assert_close(&ours, &want);
    let names: Vec<&str> = ours.coefficients.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, data.features);
    for c in &ours.coefficients {
        let r = &want.coefficients[&c.name];
        assert!(
            (c.coefficient - r.coefficient).abs() < 1e-4,
            "{}: {} vs {}",
            c.name,
            c.coefficient,
            r.coefficient
        );
        for (got, want) in [(c.ci_low, r.ci_low), (c.ci_high, r.ci_high)] {
            assert!(
                (got.unwrap() - want.unwrap()).abs() < 1e-3,
                "{}: {got:?} vs {want:?}",
                c.name
            );
        }
    }
}

#[test]
fn reweighted_bradley_terry_matches_arena_rank_on_genai_arena_anonymous_votes() {
    assert_reweighted_matches(&T2I_ANONY);
}

#[test]
fn reweighted_bradley_terry_matches_arena_rank_on_all_genai_arena_votes() {
    assert_reweighted_matches(&T2I_FULL);
}

#[test]
fn reweighted_bradley_terry_matches_arena_rank_on_llmfao() {
    assert_reweighted_matches(&LLMFAO);
}

#[test]
fn contextual_bradley_terry_matches_arena_rank_on_genai_arena_anonymous_votes() {
    assert_contextual_matches(&T2I_ANONY);
}

#[test]
fn contextual_bradley_terry_matches_arena_rank_on_all_genai_arena_votes() {
    assert_contextual_matches(&T2I_FULL);
}

#[test]
fn contextual_bradley_terry_matches_arena_rank_on_llmfao() {
    assert_contextual_matches(&LLMFAO);
}

#[test]
fn bootstrap_intervals_of_both_fits_agree_roughly_with_arena_rank() {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let ours = reweighted_board(&dir, &T2I_ANONY, CiMethod::Bootstrap);
    assert_bootstrap_close(
        &ours,
        &reference(&T2I_ANONY, "arena_rank_reweighted_bootstrap100_seed42"),
    );
    let ours = contextual_board(&dir, &T2I_ANONY, CiMethod::Bootstrap);
    let want = reference(&T2I_ANONY, "arena_rank_contextual_bootstrap100_seed42");
    assert_bootstrap_close(&ours, &want);
    for c in &ours.coefficients {
        let (lo, hi) = (c.ci_low.unwrap(), c.ci_high.unwrap());
        assert!(lo < c.coefficient && c.coefficient < hi, "{c:?}");
        assert!((c.coefficient - want.coefficients[&c.name].coefficient).abs() < 1e-4);
    }
}

/// The same votes as CSV with `feature.NAME` columns give the same board as JSONL
/// with `features` objects, and `all` picks every covariate (sorted by name).
#[test]
fn csv_feature_columns_and_all_read_like_jsonl_features() {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let jsonl = with_features(&dir, &T2I_ANONY);
    let mut csv = String::from(
        "model_a,model_b,winner,anony,feature.seen_diff,feature.hour,feature.voter_votes\n",
    );
    for line in jsonl.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        csv.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            v["model_a"].as_str().unwrap(),
            v["model_b"].as_str().unwrap(),
            v["winner"].as_str().unwrap(),
            v["anony"],
            v["features"]["seen_diff"],
            v["features"]["hour"],
            v["features"]["voter_votes"],
        ));
    }
    let options = LeaderboardOptions {
        control: Some(Control::All),
        ..options(&T2I_ANONY, CiMethod::Sandwich)
    };
    let from_csv = leaderboard_from_reader(csv.as_bytes(), Format::Csv, &options).unwrap();
    let from_jsonl = leaderboard_from_reader(jsonl.as_bytes(), Format::Jsonl, &options).unwrap();
    assert_eq!(from_csv, from_jsonl);
    let names: Vec<&str> = from_csv
        .coefficients
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names, ["hour", "seen_diff", "voter_votes"]);
}

#[test]
fn votes_without_the_controlled_covariates_are_refused_with_their_line() {
    let options = LeaderboardOptions {
        control: Some("brightness".parse().unwrap()),
        filter: VoteFilter {
            anonymous_only: false,
            ..VoteFilter::default()
        },
        ..LeaderboardOptions::default()
    };
    let read = |text: &str| leaderboard_from_reader(text.as_bytes(), Format::Jsonl, &options);
    let ok = "{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"model_a\", \"features\": {\"brightness\": 0.5}}\n";
    assert!(read(ok).is_ok());
    for (line2, why) in [
        (
            "{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"tie\"}",
            "feature \"brightness\" is missing",
        ),
        (
            "{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"tie\", \"features\": {\"brightness\": \"hi\"}}",
            "feature \"brightness\" is not a number",
        ),
        (
            "{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"tie\", \"features\": [1]}",
            "field features must be an object of numbers",
        ),
    ] {
        let err = read(&format!("{ok}{line2}\n")).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains(why), "{err}");
    }
    // Counts alone carry no covariates.
    let counts = arena_evaluator::Counts::new();
    let err = arena_evaluator::leaderboard_from_counts(&counts, &options).unwrap_err();
    assert!(err.to_string().contains("covariates"), "{err}");
    // Online Elo has no covariates either.
    let elo = LeaderboardOptions {
        method: arena_evaluator::Method::Elo,
        ..options.clone()
    };
    assert!(elo.validate().is_err());
}

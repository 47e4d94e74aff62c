//! The evaluator against numbers other tools computed on the same real votes
//! (`shared/data/reference`): arena-rank 0.1.1 for Bradley–Terry with sandwich
//! intervals, FastChat 0.2.36 for online Elo.

mod common;

use std::path::Path;

use arena_evaluator::{
    Counts, EloParams, Format, Leaderboard, LeaderboardOptions, Method, OnlineElo, VoteFilter,
    for_each_vote, leaderboard_from_counts, leaderboard_from_path,
};

struct Dataset {
    file: &'static str,
    name: &'static str,
    /// The "full" t2i reference includes the non-anonymous battles.
    anonymous_only: bool,
}

const T2I_ANONY: Dataset = Dataset {
    file: "genai-arena/genai_arena_20240220_t2i_anony.jsonl",
    name: "genai_t2i_anony",
    anonymous_only: true,
};
const T2I_FULL: Dataset = Dataset {
    file: "genai-arena/genai_arena_20240220_t2i.jsonl",
    name: "genai_t2i_full",
    anonymous_only: false,
};
const LLMFAO: Dataset = Dataset {
    file: "llmfao/llmfao.jsonl",
    name: "llmfao",
    anonymous_only: true,
};

fn board(dir: &Path, data: &Dataset, method: Method) -> Leaderboard {
    let options = LeaderboardOptions {
        method,
        filter: VoteFilter {
            anonymous_only: data.anonymous_only,
            ..VoteFilter::default()
        },
        ..LeaderboardOptions::default()
    };
    leaderboard_from_path(dir.join(data.file), Format::Auto, &options).unwrap()
}

/// Ratings within `rating_tol` and sandwich bounds within 0.05 of arena-rank; the
/// same votes and per-model battle counts.
fn assert_matches_arena_rank(data: &Dataset, rating_tol: f64) {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let ours = board(&dir, data, Method::Bt);
    let reference = common::reference(&dir, data.name, "arena_rank_sandwich");
    // arena-rank counts a model playing itself as a vote (it carries no information).
    assert_eq!(ours.n_votes + ours.excluded.self_battles, reference.n_votes);
    assert_eq!(ours.models.len(), reference.ratings.len());
    for entry in &ours.models {
        let want = &reference.ratings[&entry.model];
        let m = &entry.model;
        assert!(
            (entry.rating - want.rating).abs() < rating_tol,
            "{m}: {} vs {}",
            entry.rating,
            want.rating
        );
        let (lo, hi) = (entry.ci_low.unwrap(), entry.ci_high.unwrap());
        assert!(
            (lo - want.ci_low.unwrap()).abs() < 0.05,
            "{m} low: {lo} vs {:?}",
            want.ci_low
        );
        assert!(
            (hi - want.ci_high.unwrap()).abs() < 0.05,
            "{m} high: {hi} vs {:?}",
            want.ci_high
        );
        if ours.excluded.self_battles == 0 {
            assert_eq!(entry.battles, want.n_battles, "{m}");
        }
    }
    assert!(
        ours.warnings.iter().all(|w| w.contains("itself")),
        "{:?}",
        ours.warnings
    );
}

fn assert_matches_fastchat_online_elo(data: &Dataset) {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let ours = board(&dir, data, Method::Elo);
    let reference = common::reference(&dir, data.name, "fastchat0236_online_elo_k4");
    assert_eq!(ours.n_votes + ours.excluded.self_battles, reference.n_votes);
    assert_eq!(ours.models.len(), reference.ratings.len());
    for entry in &ours.models {
        let want = reference.ratings[&entry.model].rating;
        assert!(
            (entry.rating - want).abs() < 0.01,
            "{}: {} vs {want}",
            entry.model,
            entry.rating
        );
        assert_eq!((entry.ci_low, entry.ci_high), (None, None));
    }
}

#[test]
fn bradley_terry_matches_arena_rank_on_genai_arena_anonymous_votes() {
    assert_matches_arena_rank(&T2I_ANONY, 0.01);
}

#[test]
fn bradley_terry_matches_arena_rank_on_all_genai_arena_text_to_image_votes() {
    assert_matches_arena_rank(&T2I_FULL, 0.01);
}

/// On LLMFAO arena-rank's L-BFGS stops (relative loss change < 1e-9) while its
/// gradient is still 3.6e-3 in vote units; our Newton fit reaches the maximum
/// (gradient ~1e-13), which leaves up to 0.015 points between the two. The test
/// allows that and checks that ours is the better optimum.
#[test]
fn bradley_terry_matches_arena_rank_on_llmfao_votes_up_to_its_optimizer_tolerance() {
    assert_matches_arena_rank(&LLMFAO, 0.02);
    let Some(dir) = common::data_dir() else {
        return;
    };
    let ours = board(&dir, &LLMFAO, Method::Bt);
    let reference = common::reference(&dir, LLMFAO.name, "arena_rank_sandwich");
    let mut votes = Vec::new();
    for_each_vote(
        std::io::BufReader::new(std::fs::File::open(dir.join(LLMFAO.file)).unwrap()),
        Format::Jsonl,
        |v| {
            votes.push((v.model_a.to_string(), v.model_b.to_string(), v.outcome));
            Ok(())
        },
    )
    .unwrap();
    let log_likelihood = |rating: &dyn Fn(&str) -> f64| -> f64 {
        let per_point = 10f64.ln() / 400.0;
        votes
            .iter()
            .map(|(a, b, o)| {
                let p = 1.0 / (1.0 + (-(rating(a) - rating(b)) * per_point).exp());
                let s = match o {
                    arena_evaluator::Outcome::A => 1.0,
                    arena_evaluator::Outcome::B => 0.0,
                    _ => 0.5,
                };
                s * p.ln() + (1.0 - s) * (1.0 - p).ln()
            })
            .sum()
    };
    let ours_ll = log_likelihood(&|m| ours.entry(m).unwrap().rating);
    let theirs_ll = log_likelihood(&|m| reference.ratings[m].rating);
    assert!(ours_ll >= theirs_ll, "{ours_ll} < {theirs_ll}");
    let worst = ours
        .models
        .iter()
        .map(|e| (e.rating - reference.ratings[&e.model].rating).abs())
        .fold(0.0, f64::max);
    assert!(worst > 0.0 && worst < 0.02);
}

#[test]
fn online_elo_matches_fastchat_on_genai_arena_anonymous_votes() {
    assert_matches_fastchat_online_elo(&T2I_ANONY);
}

#[test]
fn online_elo_matches_fastchat_on_all_genai_arena_text_to_image_votes() {
    assert_matches_fastchat_online_elo(&T2I_FULL);
}

#[test]
fn online_elo_matches_fastchat_on_llmfao_votes_in_file_order() {
    assert_matches_fastchat_online_elo(&LLMFAO);
}

/// GenAI-Arena's clean-battle file names models `imagenhub_<Model>_generation` and
/// also holds image-editing battles; the normalised JSONL keeps the text-to-image
/// ones under short names. Both must give the same leaderboard.
#[test]
fn fastchat_clean_battle_file_gives_the_same_leaderboard_as_the_normalised_jsonl() {
    let Some(dir) = common::data_dir() else {
        return;
    };
    for data in [&T2I_ANONY, &T2I_FULL] {
        let filter = VoteFilter {
            anonymous_only: data.anonymous_only,
            ..VoteFilter::default()
        };
        let mut counts = Counts::new();
        let mut elo = OnlineElo::new(EloParams::default());
        let file = std::fs::File::open(dir.join("genai-arena/clean_battle_20240220.json")).unwrap();
        let short = |name: &str| {
            name.strip_prefix("imagenhub_")
                .and_then(|n| n.strip_suffix("_generation"))
                .map(str::to_owned)
        };
        for_each_vote(std::io::BufReader::new(file), Format::Auto, |v| {
            if let (Some(a), Some(b), Ok(())) =
                (short(v.model_a), short(v.model_b), filter.admits(v))
            {
                counts.add(&a, &b, v.outcome);
                elo.update(&a, &b, v.outcome);
            }
            Ok(())
        })
        .unwrap();
        let from_fastchat =
            leaderboard_from_counts(&counts, &LeaderboardOptions::default()).unwrap();
        let from_jsonl = board(&dir, data, Method::Bt);
        assert_eq!(from_fastchat.n_votes, from_jsonl.n_votes);
        assert_eq!(from_fastchat.models, from_jsonl.models, "{}", data.name);
        for entry in &board(&dir, data, Method::Elo).models {
            assert!((elo.rating(&entry.model).unwrap() - entry.rating).abs() < 1e-9);
        }
    }
}

#[test]
fn llmfao_csv_with_left_and_right_columns_gives_the_same_leaderboard_as_its_jsonl() {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let options = LeaderboardOptions::default();
    let from_csv =
        leaderboard_from_path(dir.join("llmfao/llmfao.csv"), Format::Auto, &options).unwrap();
    let from_jsonl =
        leaderboard_from_path(dir.join("llmfao/llmfao.jsonl"), Format::Auto, &options).unwrap();
    assert_eq!(from_csv, from_jsonl);
}

/// Bootstrap intervals are random, so only their rough agreement with arena-rank's
/// 100-round bootstrap is checked: bounds within a third of the interval width.
#[test]
fn bootstrap_intervals_agree_roughly_with_arena_rank_on_genai_arena() {
    let Some(dir) = common::data_dir() else {
        return;
    };
    let options = LeaderboardOptions {
        ci: arena_evaluator::CiMethod::Bootstrap,
        ..LeaderboardOptions::default()
    };
    let ours = leaderboard_from_path(dir.join(T2I_ANONY.file), Format::Auto, &options).unwrap();
    let reference = common::reference(&dir, T2I_ANONY.name, "arena_rank_bootstrap100_seed42");
    for entry in &ours.models {
        let want = &reference.ratings[&entry.model];
        let (lo, hi) = (want.ci_low.unwrap(), want.ci_high.unwrap());
        let slack = (hi - lo) / 3.0;
        assert!(
            (entry.ci_low.unwrap() - lo).abs() < slack,
            "{}: {:?} vs {lo}",
            entry.model,
            entry.ci_low
        );
        assert!(
            (entry.ci_high.unwrap() - hi).abs() < slack,
            "{}: {:?} vs {hi}",
            entry.model,
            entry.ci_high
        );
    }
}

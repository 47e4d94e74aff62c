//! Reweighted and contextual fits on synthetic votes from known strengths: with
//! matchmaking that favours one model, the reweighted intervals still cover the truth
//! as often as they promise; with a covariate that moves every vote, the contextual
//! fit finds its sign and the ratings stay covered.

use arena_evaluator::{
    CiMethod, Control, Counts, Format, Leaderboard, LeaderboardOptions, Outcome, VoteFilter,
    leaderboard_from_counts, leaderboard_from_reader,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const MODELS: usize = 8;

fn name(m: usize) -> String {
    format!("model-{m}")
}

/// True ratings, centred on 1000.
fn strengths(rng: &mut ChaCha8Rng) -> Vec<f64> {
    let mut r: Vec<f64> = (0..MODELS)
        .map(|_| rng.random_range(-200.0..200.0))
        .collect();
    let mean = r.iter().sum::<f64>() / MODELS as f64;
    r.iter_mut().for_each(|x| *x += 1000.0 - mean);
    r
}

/// A pair as an uneven matchmaker picks it: model 0 (a "new" model) is in a battle
/// ten times as often as any other pair would be.
fn uneven_pair(rng: &mut ChaCha8Rng) -> (usize, usize) {
    loop {
        let a = rng.random_range(0..MODELS);
        let b = rng.random_range(0..MODELS);
        if a == b {
            continue;
        }
        if a == 0 || b == 0 || rng.random::<f64>() < 0.1 {
            return (a, b);
        }
    }
}

fn p_win(diff_points: f64) -> f64 {
    1.0 / (1.0 + 10f64.powf(-diff_points / 400.0))
}

fn covered(board: &Leaderboard, truth: &[f64]) -> (usize, usize) {
    let mut hits = 0;
    for (m, t) in truth.iter().enumerate() {
        let e = board.entry(&name(m)).unwrap();
        if e.ci_low.unwrap() <= *t && *t <= e.ci_high.unwrap() {
            hits += 1;
        }
    }
    (hits, truth.len())
}

#[test]
fn reweighted_sandwich_intervals_cover_the_truth_under_uneven_matchmaking() {
    let (mut hits, mut total) = (0, 0);
    let options = LeaderboardOptions {
        reweight: true,
        ..LeaderboardOptions::default()
    };
    for seed in 0..200 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let truth = strengths(&mut rng);
        let mut counts = Counts::new();
        for _ in 0..3000 {
            let (a, b) = uneven_pair(&mut rng);
            let outcome = if rng.random::<f64>() < p_win(truth[a] - truth[b]) {
                Outcome::A
            } else {
                Outcome::B
            };
            counts.add(&name(a), &name(b), outcome);
        }
        let board = leaderboard_from_counts(&counts, &options).unwrap();
        assert!(board.reweighted);
        let (h, t) = covered(&board, &truth);
        hits += h;
        total += t;
    }
    let share = hits as f64 / total as f64;
    eprintln!("reweighted sandwich coverage {hits}/{total}");
    assert!((0.92..=0.98).contains(&share), "coverage {share}");
}

/// Votes as JSONL in which the voters also favour whichever image has more of a
/// covariate `x ~ N(0, 1)` (A's minus B's), by `beta` logits per unit.
fn votes_with_a_covariate(rng: &mut ChaCha8Rng, truth: &[f64], n: usize, beta: f64) -> String {
    let mut out = String::new();
    for _ in 0..n {
        let a = rng.random_range(0..MODELS);
        let mut b = rng.random_range(0..MODELS - 1);
        if b >= a {
            b += 1;
        }
        // Box–Muller.
        let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
        let x = (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos();
        let logit = (truth[a] - truth[b]) * 10f64.ln() / 400.0 + beta * x;
        let winner = if rng.random::<f64>() < 1.0 / (1.0 + (-logit).exp()) {
            "model_a"
        } else {
            "model_b"
        };
        out.push_str(&format!(
            "{{\"model_a\": \"{}\", \"model_b\": \"{}\", \"winner\": \"{winner}\", \"features\": {{\"x\": {x}}}}}\n",
            name(a),
            name(b)
        ));
    }
    out
}

/// Coverage of the ratings and of the coefficient `beta` over 120 simulated arenas,
/// and the mean fitted coefficient.
fn contextual_coverage(control_reg: f64, beta: f64) -> (f64, f64, f64) {
    let options = LeaderboardOptions {
        control: Some(Control::All),
        control_reg,
        filter: VoteFilter {
            anonymous_only: false,
            ..VoteFilter::default()
        },
        ..LeaderboardOptions::default()
    };
    let (mut hits, mut total, mut beta_hits, mut beta_sum) = (0, 0, 0, 0.0);
    let seeds = 120;
    for seed in 0..seeds {
        let mut rng = ChaCha8Rng::seed_from_u64(500 + seed);
        let truth = strengths(&mut rng);
        let votes = votes_with_a_covariate(&mut rng, &truth, 3000, beta);
        let board = leaderboard_from_reader(votes.as_bytes(), Format::Jsonl, &options).unwrap();
        let c = &board.coefficients[0];
        // x is already standardised, so the coefficient is on the truth's scale.
        let per_unit = c.coefficient / c.sd;
        let (lo, hi) = (c.ci_low.unwrap() / c.sd, c.ci_high.unwrap() / c.sd);
        beta_sum += per_unit;
        if lo <= beta && beta <= hi {
            beta_hits += 1;
        }
        let (h, t) = covered(&board, &truth);
        hits += h;
        total += t;
    }
    let share = hits as f64 / total as f64;
    let beta_share = beta_hits as f64 / seeds as f64;
    let mean_beta = beta_sum / seeds as f64;
    eprintln!(
        "control_reg {control_reg}: ratings covered {hits}/{total}, beta covered {beta_share}, mean beta {mean_beta:.3} (truth {beta})"
    );
    (share, beta_share, mean_beta)
}

#[test]
fn an_unpenalised_contextual_fit_recovers_the_covariate_and_covers_the_ratings() {
    let (ratings, beta, mean) = contextual_coverage(0.0, 1.0);
    assert!(
        (0.92..=0.985).contains(&ratings),
        "ratings coverage {ratings}"
    );
    assert!((0.88..=0.99).contains(&beta), "coefficient coverage {beta}");
    assert!((mean - 1.0).abs() < 0.05, "mean coefficient {mean}");
}

/// arena-rank's default penalty holds the coefficient well below the truth (so the
/// ratings, which keep part of the covariate's effect as noise, are drawn together),
/// but never flips its sign.
#[test]
fn the_default_penalty_shrinks_the_coefficient_as_arena_rank_does() {
    let (_, _, mean) = contextual_coverage(1.0, 1.0);
    assert!(mean > 0.1 && mean < 0.6, "mean coefficient {mean}");
}

/// A covariate that never varies changes nothing: the contextual fit is then the
/// reweighted fit, to rounding (the two losses are the same function of the ratings).
#[test]
fn a_constant_covariate_leaves_the_reweighted_ratings() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let truth = strengths(&mut rng);
    let mut jsonl = String::new();
    let mut counts = Counts::new();
    for _ in 0..5000 {
        let (a, b) = uneven_pair(&mut rng);
        let r: f64 = rng.random();
        let outcome = if r < 0.1 {
            Outcome::Tie
        } else if r < 0.1 + 0.9 * p_win(truth[a] - truth[b]) {
            Outcome::A
        } else {
            Outcome::B
        };
        counts.add(&name(a), &name(b), outcome);
        jsonl.push_str(&format!(
            "{{\"model_a\": \"{}\", \"model_b\": \"{}\", \"winner\": \"{}\", \"features\": {{\"same\": 3}}}}\n",
            name(a),
            name(b),
            outcome.fastchat_label()
        ));
    }
    let base = LeaderboardOptions {
        filter: VoteFilter {
            anonymous_only: false,
            ..VoteFilter::default()
        },
        ..LeaderboardOptions::default()
    };
    let reweighted = leaderboard_from_counts(
        &counts,
        &LeaderboardOptions {
            reweight: true,
            ..base.clone()
        },
    )
    .unwrap();
    let contextual = leaderboard_from_reader(
        jsonl.as_bytes(),
        Format::Jsonl,
        &LeaderboardOptions {
            control: Some("same".parse().unwrap()),
            ..base
        },
    )
    .unwrap();
    assert_eq!(contextual.coefficients[0].coefficient, 0.0);
    assert_eq!(contextual.coefficients[0].sd, 0.0);
    for e in &reweighted.models {
        let c = contextual.entry(&e.model).unwrap();
        assert!(
            (c.rating - e.rating).abs() < 1e-6,
            "{}: {} vs {}",
            e.model,
            c.rating,
            e.rating
        );
        assert_eq!((c.wins, c.losses, c.ties), (e.wins, e.losses, e.ties));
    }
    // The unweighted fit differs: model 0's many votes count fully there.
    let plain = leaderboard_from_counts(&counts, &LeaderboardOptions::default()).unwrap();
    let moved = plain
        .models
        .iter()
        .map(|e| (e.rating - reweighted.entry(&e.model).unwrap().rating).abs())
        .fold(0.0, f64::max);
    assert!(moved > 0.1, "reweighting moved nothing ({moved})");
}

#[test]
fn reweighting_and_control_are_refused_where_they_do_not_apply() {
    let elo = LeaderboardOptions {
        method: arena_evaluator::Method::Elo,
        reweight: true,
        ..LeaderboardOptions::default()
    };
    assert!(
        elo.validate()
            .unwrap_err()
            .to_string()
            .contains("reweighting")
    );
    let bootstrap = LeaderboardOptions {
        ci: CiMethod::Bootstrap,
        control: Some(Control::All),
        ridge: 0.5,
        ..LeaderboardOptions::default()
    };
    assert!(bootstrap.validate().is_err());
}

/// Root-mean-square distance of a board's ratings from the truth (both centred).
fn rating_error(board: &Leaderboard, truth: &[f64]) -> f64 {
    let got: Vec<f64> = (0..truth.len())
        .map(|m| board.entry(&name(m)).unwrap().rating)
        .collect();
    let shift =
        got.iter().sum::<f64>() / got.len() as f64 - truth.iter().sum::<f64>() / truth.len() as f64;
    let sq: f64 = got
        .iter()
        .zip(truth)
        .map(|(g, t)| (g - shift - t).powi(2))
        .sum();
    (sq / truth.len() as f64).sqrt()
}

/// Voters who prefer the brighter image whoever drew it, and a model that draws
/// brighter images: the raw board overrates that model; controlling for the
/// brightness difference (read from the export's `style_a_*`/`style_b_*` fields)
/// recovers the true strengths.
#[test]
fn style_control_undoes_a_preference_for_brighter_images() {
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let truth = strengths(&mut rng);
    let mut votes = String::new();
    let normal = |rng: &mut ChaCha8Rng| {
        let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-300), rng.random());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    };
    for _ in 0..20_000 {
        let a = rng.random_range(0..MODELS);
        let mut b = rng.random_range(0..MODELS - 1);
        if b >= a {
            b += 1;
        }
        // Model 0 draws brighter images (0.75 against 0.5, spread 0.1).
        let bright =
            |m: usize, rng: &mut ChaCha8Rng| (if m == 0 { 0.75 } else { 0.5 }) + 0.1 * normal(rng);
        let (ba, bb) = (bright(a, &mut rng), bright(b, &mut rng));
        // 4 logits per unit of brightness: 0.4 per tenth.
        let logit = (truth[a] - truth[b]) * 10f64.ln() / 400.0 + 4.0 * (ba - bb);
        let winner = if rng.random::<f64>() < 1.0 / (1.0 + (-logit).exp()) {
            "model_a"
        } else {
            "model_b"
        };
        votes.push_str(&format!(
            "{{\"model_a\": \"{}\", \"model_b\": \"{}\", \"winner\": \"{winner}\", \"style_a_brightness\": {ba}, \"style_b_brightness\": {bb}}}\n",
            name(a),
            name(b)
        ));
    }
    let options = |control: Option<Control>, control_reg: f64| LeaderboardOptions {
        control,
        control_reg,
        filter: VoteFilter {
            anonymous_only: false,
            ..VoteFilter::default()
        },
        ..LeaderboardOptions::default()
    };
    let board = |o: &LeaderboardOptions| {
        leaderboard_from_reader(votes.as_bytes(), Format::Jsonl, o).unwrap()
    };
    let raw = board(&options(None, 1.0));
    let brightness = Some(Control::Features(vec!["brightness".into()]));
    let arena_rank = board(&options(brightness.clone(), 1.0));
    let unpenalised = board(&options(brightness, 0.0));
    let (e_raw, e_default, e_free) = (
        rating_error(&raw, &truth),
        rating_error(&arena_rank, &truth),
        rating_error(&unpenalised, &truth),
    );
    let overrated = |b: &Leaderboard| {
        let shift = b.models.iter().map(|e| e.rating).sum::<f64>() / MODELS as f64 - 1000.0;
        b.entry(&name(0)).unwrap().rating - shift - truth[0]
    };
    eprintln!(
        "rating error (RMS points): raw {e_raw:.1}, controlled as arena-rank (reg 1) \
         {e_default:.1}, controlled unpenalised {e_free:.1}; model 0 overrated by {:.1} / {:.1} / {:.1}; \
         coefficient per SD {:.3} (reg 1) and {:.3} (reg 0), truth {:.3}",
        overrated(&raw),
        overrated(&arena_rank),
        overrated(&unpenalised),
        arena_rank.coefficients[0].coefficient,
        unpenalised.coefficients[0].coefficient,
        4.0 * unpenalised.coefficients[0].sd,
    );
    assert!(
        overrated(&raw) > 40.0,
        "the raw board overrates the bright model"
    );
    assert!(e_free < e_raw / 3.0, "{e_free} vs {e_raw}");
    assert!(overrated(&unpenalised).abs() < 15.0);
    assert!(e_default < e_raw, "{e_default} vs {e_raw}");
}

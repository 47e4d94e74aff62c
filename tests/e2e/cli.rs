//! The `arena` command line against a fresh data dir.

use crate::arena::run;
use crate::data::genai_arena_file;
use crate::support;

#[test]
fn models_list_shows_the_demo_models_of_a_fresh_database() {
    let dir = support::temp_dir("arena-cli");
    let (code, out, err) = run(&["models", "list"], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.lines().filter(|l| l.contains(" demo ")).count() >= 4,
        "{out}"
    );
}

#[test]
fn models_can_be_added_disabled_and_deprecated() {
    let dir = support::temp_dir("arena-cli");
    let (code, _, err) = run(
        &[
            "models",
            "add",
            "my-model",
            "--name",
            "My Model",
            "--backend",
            "openai",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(
        &[
            "models",
            "add",
            "my-model",
            "--name",
            "Again",
            "--backend",
            "openai",
        ],
        &dir,
    );
    assert_eq!(code, 1);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(run(&["models", "disable", "my-model"], &dir).0, 0);
    assert_eq!(run(&["models", "deprecate", "demo-lowfi"], &dir).0, 0);
    let (_, out, _) = run(&["models", "list"], &dir);
    assert!(
        out.lines()
            .any(|l| l.starts_with("my-model") && l.contains("disabled")),
        "{out}"
    );
    let (code, _, err) = run(&["models", "disable", "no-such-model"], &dir);
    assert_eq!(code, 1);
    assert!(err.contains("no model"), "{err}");
}

#[test]
fn prompts_import_reads_csv_and_jsonl_and_reports_bad_lines() {
    let dir = support::temp_dir("arena-cli");
    let csv = dir.join("extra.csv");
    std::fs::write(
        &csv,
        "text,category\na violet kite over wheat fields,landscapes\nan owl reading,animals\n",
    )
    .unwrap();
    let (code, out, err) = run(&["prompts", "import", csv.to_str().unwrap()], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 2 new prompts"), "{out}");
    let (_, out, _) = run(&["prompts", "import", csv.to_str().unwrap()], &dir);
    assert!(out.contains("imported 0 new prompts"), "{out}");

    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{\"text\": \"fine\"}\n{\"txt\": \"oops\"}\n").unwrap();
    let (code, _, err) = run(&["prompts", "import", bad.to_str().unwrap()], &dir);
    assert_eq!(code, 1);
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn an_unreachable_database_is_a_one_line_error_not_a_panic() {
    let dir = support::temp_dir("arena-cli");
    let (code, _, err) = run(
        &[
            "migrate",
            "--database-url",
            "postgres://nobody@127.0.0.1:1/none",
        ],
        &dir,
    );
    assert_eq!(code, 1);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: cannot open the database postgres://nobody@127.0.0.1:1/none"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn a_data_dir_that_cannot_be_written_is_a_one_line_error() {
    let dir = support::temp_dir("arena-cli");
    let file = dir.join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let (code, _, err) = run(&["migrate"], &file.join("data"));
    assert_eq!(code, 1);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("data directory"), "{err}");
}

#[test]
fn simulate_compares_the_strategies_and_draws_their_curves() {
    let dir = support::temp_dir("arena-simulate");
    let svg = dir.join("figures");
    let args = [
        "simulate",
        "--seeds",
        "2",
        "--models",
        "6",
        "--gap",
        "80",
        "--top-gap",
        "40",
        "--max-actions",
        "4000",
        "--output",
        "json",
        "--svg",
        svg.to_str().unwrap(),
    ];
    let (code, out, err) = run(&args, &dir);
    assert_eq!(code, 0, "{err}");
    let reports: serde_json::Value = serde_json::from_str(&out).unwrap();
    let reports = reports.as_array().unwrap();
    assert_eq!(reports.len(), 2);
    for report in reports {
        let labels: Vec<&str> = report["designs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["label"].as_str().unwrap())
            .collect();
        assert_eq!(
            labels,
            ["uniform pairs", "active pairs", "uniform K=4", "active K=4"]
        );
        let base = &report["designs"][0];
        assert_eq!(base["runs"], 2);
        assert_eq!(base["actions_vs_baseline"]["tau"], 1.0);
        assert!(base["median_actions"]["tau"].as_u64().unwrap() > 0);
    }
    for name in ["simulate-spread.svg", "simulate-close-top.svg"] {
        let text = std::fs::read_to_string(svg.join(name)).unwrap();
        assert!(
            text.starts_with("<svg") && text.contains("active K=4"),
            "{name}"
        );
        assert_eq!(text.matches("<polyline").count(), 4, "{name}");
    }
    // The table names every strategy; a bad option is a one-line error.
    let (code, out, err) = run(&args[..11], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("active K=4") && out.contains("Kendall τ ≥ 0.9"),
        "{out}"
    );
    let (code, _, err) = run(&["simulate", "--tie-rate", "1.5"], &dir);
    assert_eq!(code, 1);
    assert!(err.contains("--tie-rate"), "{err}");
}

/// A vote file with battles of four images: `arena leaderboard --input` rates them in
/// one fit with the pairs; `arena import votes` refuses the file and imports nothing.
#[test]
fn kwise_vote_files_are_rated_offline_and_refused_by_import() {
    let dir = support::temp_dir("arena-kwise-file");
    let file = dir.join("kwise.jsonl");
    let mut text = String::new();
    for i in 0..40 {
        text.push_str(&format!(
            "{{\"model_a\": \"x\", \"model_b\": \"y\", \"winner\": \"{}\"}}\n",
            if i % 3 == 0 { "model_b" } else { "model_a" }
        ));
        text.push_str(&format!(
            "{{\"model_a\": \"w\", \"model_b\": \"x\", \"model_c\": \"y\", \"model_d\": \"z\", \"winner\": \"{}\", \"worst\": \"{}\"}}\n",
            ["model_b", "model_c", "model_b", "model_a"][i % 4],
            ["model_d", "model_a", "model_d", "model_d"][i % 4],
        ));
    }
    std::fs::write(&file, &text).unwrap();
    let input = file.to_str().unwrap();
    let (code, out, err) = run(&["leaderboard", "--input", input, "--output", "json"], &dir);
    assert_eq!(code, 0, "{err}");
    let board: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(board["n_votes"], 80);
    let order: Vec<&str> = board["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(order[0], "x", "{out}");
    assert_eq!(order[3], "z", "{out}");
    let (code, _, err) = run(&["import", "votes", input], &dir);
    assert_eq!(code, 1);
    assert!(
        err.contains("line 2") && err.contains("three or four images"),
        "{err}"
    );
    let (code, out, err) = run(&["leaderboard", "--output", "json"], &dir);
    assert_eq!(code, 0, "{err}");
    let stored: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(stored["n_votes"], 0, "{out}");
}

/// `arena leaderboard --output json` of `dir`'s database.
fn board(dir: &std::path::Path) -> serde_json::Value {
    let (code, out, err) = run(&["leaderboard", "--output", "json"], dir);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

/// GenAI-Arena's file mixes image-editing models into its text-to-image votes: an
/// import takes the models it is told to, names them as told, makes valid slugs of
/// the rest, and creates its data directory like `serve` does.
#[test]
fn an_import_picks_and_names_its_models_into_a_new_data_dir() {
    let parent = support::temp_dir("arena-cli-import");
    let dir = parent.join("not-made-yet");
    let names = parent.join("names.toml");
    std::fs::write(
        &names,
        "\"imagenhub_PlayGroundV2_generation\" = \"Playground v2\"\n\
         \"imagenhub_SDXL_generation\" = \"SDXL 1.0\"\n\
         \"imagenhub_typo_generation\" = \"Nobody\"\n",
    )
    .unwrap();
    let file = genai_arena_file();
    let file = file.to_str().unwrap();
    let names_arg = names.to_str().unwrap();
    let args = [
        "import",
        "votes",
        file,
        "--exclude-models",
        "*_edition",
        "--rename",
        names_arg,
    ];
    let (code, out, err) = run(&args, &dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("left out"), "{out}");
    assert!(err.contains("imagenhub_typo_generation"), "{err}");

    let lb = board(&dir);
    let slugs: Vec<&str> = lb["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(slugs.len(), 6, "the six generation models: {slugs:?}");
    assert!(slugs.iter().all(|s| !s.contains("edition")), "{slugs:?}");
    // GenAI-Arena's published order: PlayGroundV2 first.
    assert_eq!(slugs[0], "imagenhub_playgroundv2_generation");
    for slug in &slugs {
        assert!(
            slug.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b)),
            "{slug}"
        );
    }
    let (_, list, _) = run(&["models", "list"], &dir);
    let line = |slug: &str| {
        list.lines()
            .find(|l| l.starts_with(slug))
            .unwrap_or_else(|| panic!("{slug} not listed: {list}"))
            .to_string()
    };
    assert!(line("imagenhub_playgroundv2_generation").ends_with("Playground v2"));
    assert!(line("imagenhub_sdxl_generation ").ends_with("SDXL 1.0"));
    // Names not in the rename file stay as the file spells them.
    assert!(line("imagenhub_lcm_generation").ends_with("imagenhub_LCM_generation"));

    // The slugs are ones the CLI takes; a model can be renamed later.
    let (code, out, err) = run(
        &["models", "rename", "imagenhub_lcm_generation", "LCM"],
        &dir,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("LCM"), "{out}");
    let (_, list, _) = run(&["models", "list"], &dir);
    assert!(
        list.lines()
            .any(|l| l.starts_with("imagenhub_lcm_generation") && l.ends_with(" LCM"))
    );
    let (code, _, err) = run(&["models", "rename", "imagenhub_lcm_generation", " "], &dir);
    assert_eq!(code, 1);
    assert!(err.contains("model name"), "{err}");

    // Importing again with the same choices adds nothing.
    let (code, out, err) = run(&args, &dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 0 new votes"), "{out}");

    // --models keeps only what matches.
    let only = parent.join("only-sdxl");
    let (code, _, err) = run(
        &["import", "votes", file, "--models", "imagenhub_SDXL*"],
        &only,
    );
    assert_eq!(code, 0, "{err}");
    let mut slugs: Vec<String> = board(&only)["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap().to_string())
        .collect();
    slugs.sort();
    assert_eq!(
        slugs,
        [
            "imagenhub_sdxl_generation",
            "imagenhub_sdxlturbo_generation"
        ]
    );
    // A filter that admits nothing is an error, and writes nothing.
    let (code, _, err) = run(
        &["import", "votes", file, "--models", "nothing-like-this"],
        &parent.join("nothing"),
    );
    assert_eq!(code, 1);
    assert!(err.contains("none of the"), "{err}");
}

/// The whole file: generation and editing models never met, so the table shows two
/// groups, ranks each within its own, and says so once.
#[test]
fn the_leaderboard_table_shows_groups_that_never_met_once() {
    let dir = support::temp_dir("arena-cli-groups");
    let file = genai_arena_file();
    let (code, _, err) = run(&["import", "votes", file.to_str().unwrap()], &dir);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&["leaderboard"], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("group 1 of 2"), "{out}");
    assert!(out.contains("group 2 of 2"), "{out}");
    let said = format!("{out}{err}");
    assert_eq!(said.matches("groups that never met").count(), 1, "{said}");
    let lb = board(&dir);
    let ranks = |group: u64| -> Vec<u64> {
        lb["models"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["group"] == group)
            .map(|m| m["rank_ub"].as_u64().unwrap())
            .collect()
    };
    for group in [1, 2] {
        let r = ranks(group);
        assert_eq!(r[0], 1, "group {group} starts at rank 1: {r:?}");
    }
}

/// `arena leaderboard --control` on a vote file whose votes carry a covariate that the
/// voters favour: the real binary prints the controlled board with the covariate's
/// coefficient (JSON and table), equal to the evaluator's own fit; what it cannot
/// read a covariate from is refused in one line.
#[test]
fn style_control_prints_each_covariates_effect() {
    let dir = support::temp_dir("arena-cli-control");
    // Three models; "bright" draws brighter images, and voters favour the brighter
    // image of a pair whoever drew it.
    let mut votes = String::new();
    let models = ["bright", "plain", "dull"];
    let mut state = 12345u64;
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    for _ in 0..1200 {
        let a = (next() * 3.0) as usize;
        let b = (a + 1 + (next() * 2.0) as usize) % 3;
        let mut brightness = |m: usize| [0.8, 0.5, 0.3][m] + 0.2 * next();
        let diff = brightness(a) - brightness(b);
        let p = 1.0 / (1.0 + (-4.0 * diff).exp());
        let winner = if next() < p { "model_a" } else { "model_b" };
        votes.push_str(&format!(
            "{{\"model_a\": \"{}\", \"model_b\": \"{}\", \"winner\": \"{winner}\", \"anony\": true, \"features\": {{\"brightness\": {diff}}}}}\n",
            models[a], models[b]
        ));
    }
    let file = dir.join("votes.jsonl");
    std::fs::write(&file, &votes).unwrap();
    let input = file.to_str().unwrap();

    let (code, out, err) = run(
        &[
            "leaderboard",
            "--input",
            input,
            "--control",
            "brightness",
            "--control-reg",
            "0",
            "--output",
            "json",
        ],
        &dir,
    );
    assert_eq!(code, 0, "{err}");
    let board: arena_evaluator::Leaderboard = serde_json::from_str(&out).unwrap();
    let options = arena_evaluator::LeaderboardOptions {
        control: Some("brightness".parse().unwrap()),
        control_reg: 0.0,
        ..Default::default()
    };
    let want =
        arena_evaluator::leaderboard_from_path(&file, arena_evaluator::Format::Auto, &options)
            .unwrap();
    assert_eq!(board, want);
    let c = &board.coefficients[0];
    assert_eq!(c.name, "brightness");
    assert!(c.ci_low.unwrap() > 0.0, "voters favour brightness: {c:?}");
    // Controlled for brightness, no model is better than another.
    let spread = board.models[0].rating - board.models[2].rating;
    let (code, plain, err) = run(&["leaderboard", "--input", input, "--output", "json"], &dir);
    assert_eq!(code, 0, "{err}");
    let plain: arena_evaluator::Leaderboard = serde_json::from_str(&plain).unwrap();
    assert_eq!(plain.models[0].model, "bright");
    let plain_spread = plain.models[0].rating - plain.models[2].rating;
    assert!(spread < plain_spread / 3.0, "{spread} vs {plain_spread}");

    let (code, table, err) = run(&["leaderboard", "--input", input, "--control", "all"], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("controlled for brightness"), "{table}");
    assert!(
        table.contains("covariate") && table.contains("points/SD"),
        "{table}"
    );

    for (args, why) in [
        (vec!["leaderboard", "--control", "brightness"], "--input"),
        (
            vec!["leaderboard", "--input", input, "--control", "size"],
            "feature \"size\" is missing",
        ),
        (
            vec!["leaderboard", "--input", input, "--control", "a,,b"],
            "NAME",
        ),
        (
            vec![
                "leaderboard",
                "--input",
                input,
                "--control",
                "all",
                "--method",
                "elo",
            ],
            "online Elo",
        ),
    ] {
        let (code, out, err) = run(&args, &dir);
        assert_ne!(code, 0, "{args:?}: {out}");
        let first = err.lines().next().unwrap_or_default();
        assert!(
            first.contains(why),
            "{args:?}: the first line says why: {err}"
        );
    }
}

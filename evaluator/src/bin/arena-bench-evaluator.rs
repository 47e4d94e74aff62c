//! Benchmarks of the evaluator on synthetic votes: file → leaderboard time and peak
//! memory. `arena-bench-evaluator all` reproduces the figures in BENCHMARKS.md;
//! every scenario runs in its own child process so that its peak memory (VmHWM) is
//! its own.
//!
//! ```text
//! arena-bench-evaluator all [--dir DIR]
//! arena-bench-evaluator generate --models M --votes N [--seed S] [--tie-rate T] --out FILE
//! arena-bench-evaluator run --input FILE [--method bt|elo] [--ci sandwich|bootstrap] [--rounds N]
//!     [--optimizer arena-rank|exact] [--from-counts] [--repeat K]
//! arena-bench-evaluator matchmaking [--models 20,100] [--draws N]
//! ```

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use arena_evaluator::{
    CiMethod, Format, LeaderboardOptions, Method, Optimizer, Synthetic, VoteFilter,
    leaderboard_from_counts, leaderboard_from_path, read_counts,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => generate(&args[1..]),
        Some("run") => run(&args[1..]),
        Some("all") => all(&args[1..]),
        Some("matchmaking") => matchmaking(&args[1..]),
        _ => Err(
            "usage: arena-bench-evaluator all|generate|run … (see the source header)".to_string(),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The value after `--name`, if given.
fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

fn parsed<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match flag(args, name) {
        Some(v) => v.parse().map_err(|_| format!("bad value for {name}: {v}")),
        None => Ok(default),
    }
}

/// Time per battle drawn by each matchmaking strategy (pairs and four images) on
/// `--models` models, from a fixed fit: what a server adds to every battle it serves.
fn matchmaking(args: &[String]) -> Result<(), String> {
    use arena_evaluator::matchmaking::{ModelState, Strategy, choose};
    use rand::SeedableRng;
    let sizes: Vec<usize> = flag(args, "--models")
        .unwrap_or("20,100")
        .split(',')
        .map(|m| m.parse().map_err(|_| format!("bad --models {m}")))
        .collect::<Result<_, _>>()?;
    let draws: usize = parsed(args, "--draws", 100_000)?;
    println!("| models | strategy | K | time per draw |");
    println!("|---:|---|---:|---:|");
    for &n in &sizes {
        let models: Vec<ModelState> = (0..n)
            .map(|m| ModelState {
                rating: 1000.0 + 400.0 * (m as f64 / n as f64 - 0.5),
                se: 5.0 + (m % 7) as f64,
                battles: if m % 10 == 0 { 3 } else { 2000 },
                weight: 1.0,
            })
            .collect();
        for strategy in [Strategy::Uniform, Strategy::Active] {
            for k in [2, 4] {
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
                let start = Instant::now();
                let mut sum = 0;
                for _ in 0..draws {
                    let pick =
                        choose(&models, k, strategy, 0.2, &mut rng).ok_or("too few models")?;
                    sum += pick[0];
                }
                let per = start.elapsed().as_secs_f64() / draws as f64;
                std::hint::black_box(sum);
                println!("| {n} | {strategy:?} | {k} | {:.2} µs |", per * 1e6);
            }
        }
    }
    Ok(())
}

fn generate(args: &[String]) -> Result<(), String> {
    let synth = Synthetic {
        models: parsed(args, "--models", 20)?,
        votes: parsed(args, "--votes", 1_000_000)?,
        seed: parsed(args, "--seed", 1)?,
        tie_rate: parsed(args, "--tie-rate", 0.1)?,
        ..Synthetic::default()
    };
    if synth.models < 2 {
        return Err("--models must be at least 2".into());
    }
    let out = flag(args, "--out").ok_or("--out FILE is required")?;
    let start = Instant::now();
    let file = File::create(out).map_err(|e| format!("{out}: {e}"))?;
    synth.write_jsonl(file).map_err(|e| format!("{out}: {e}"))?;
    eprintln!(
        "wrote {} votes × {} models to {out} in {:.1} s",
        synth.votes,
        synth.models,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Peak resident memory of this process so far, in MiB.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU time (user + system) this process has used so far, in seconds. Linux reports
/// it in clock ticks of 1/100 s.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            // Fields after the command name, which is in parentheses.
            let rest = s.rsplit_once(')')?.1;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: f64 = fields.get(11)?.parse().ok()?;
            let stime: f64 = fields.get(12)?.parse().ok()?;
            Some((utime + stime) / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// Times one scenario and prints one JSON line: the fastest and median of `--repeat`
/// runs, and the peak memory.
fn run(args: &[String]) -> Result<(), String> {
    let input = PathBuf::from(flag(args, "--input").ok_or("--input FILE is required")?);
    let options = LeaderboardOptions {
        method: parsed(args, "--method", Method::Bt)?,
        ci: parsed(args, "--ci", CiMethod::Sandwich)?,
        bootstrap_rounds: parsed(args, "--rounds", 1000)?,
        optimizer: parsed(args, "--optimizer", Optimizer::ArenaRank)?,
        filter: VoteFilter::default(),
        ..LeaderboardOptions::default()
    };
    let repeat: usize = parsed(args, "--repeat", 1)?;
    // `--from-counts`: time only the rating step on counts read beforehand.
    let from_counts = args.iter().any(|a| a == "--from-counts");
    let counts = if from_counts {
        let file = File::open(&input).map_err(|e| e.to_string())?;
        Some(
            read_counts(
                BufReader::with_capacity(1 << 20, file),
                Format::Jsonl,
                &options.filter,
            )
            .map_err(|e| e.to_string())?
            .counts,
        )
    } else {
        None
    };
    let mut times = Vec::new();
    let mut last = None;
    let cpu_before = cpu_seconds();
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let board = match &counts {
            Some(counts) => leaderboard_from_counts(counts, &options),
            None => leaderboard_from_path(&input, Format::Auto, &options),
        }
        .map_err(|e| e.to_string())?;
        times.push(start.elapsed().as_secs_f64());
        last = Some(board);
    }
    let cpu_per_run = (cpu_seconds() - cpu_before) / times.len() as f64;
    let board = last.expect("at least one run");
    times.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "input": input.display().to_string(),
            "method": options.method.to_string(),
            "ci": options.ci.to_string(),
            "rounds": options.bootstrap_rounds,
            "optimizer": options.optimizer.to_string(),
            "from_counts": from_counts,
            "votes": board.n_votes,
            "models": board.models.len(),
            "min_s": times[0],
            "median_s": times[times.len() / 2],
            "cpu_s_per_run": cpu_per_run,
            "peak_rss_mib": peak_rss_mib(),
        })
    );
    Ok(())
}

fn all(args: &[String]) -> Result<(), String> {
    let dir = PathBuf::from(flag(args, "--dir").unwrap_or("/tmp/arena-bench"));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let small = dir.join("votes-1m-20.jsonl");
    let large = dir.join("votes-10m-200.jsonl");
    for (path, models, votes) in [(&small, "20", "1000000"), (&large, "200", "10000000")] {
        if !path.exists() {
            child(
                &exe,
                &[
                    "generate",
                    "--models",
                    models,
                    "--votes",
                    votes,
                    "--seed",
                    "1",
                    "--out",
                    &path.display().to_string(),
                ],
            )?;
        }
    }
    let s = small.display().to_string();
    let l = large.display().to_string();
    let scenarios: [(&str, Vec<&str>); 7] = [
        (
            "1M × 20, JSONL → BT + sandwich",
            vec!["--input", &s, "--repeat", "7"],
        ),
        (
            "1M × 20, 1000-round bootstrap on counts",
            vec![
                "--input",
                &s,
                "--ci",
                "bootstrap",
                "--from-counts",
                "--repeat",
                "5",
            ],
        ),
        (
            "1M × 20, JSONL → BT + 1000-round bootstrap",
            vec!["--input", &s, "--ci", "bootstrap", "--repeat", "3"],
        ),
        (
            "1M × 20, JSONL → online Elo",
            vec!["--input", &s, "--method", "elo", "--repeat", "5"],
        ),
        (
            "10M × 200, JSONL → BT + sandwich",
            vec!["--input", &l, "--repeat", "3"],
        ),
        (
            "10M × 200, 1000-round bootstrap on counts",
            vec!["--input", &l, "--ci", "bootstrap", "--from-counts"],
        ),
        (
            "10M × 200, JSONL → BT + 1000-round bootstrap",
            vec!["--input", &l, "--ci", "bootstrap"],
        ),
    ];
    println!("| scenario | fastest | median | CPU per run | peak memory |");
    println!("|---|---:|---:|---:|---:|");
    for (name, scenario) in scenarios {
        let mut argv = vec!["run"];
        argv.extend(scenario);
        let line = child(&exe, &argv)?;
        let v: serde_json::Value =
            serde_json::from_str(line.trim()).map_err(|e| format!("{e}: {line}"))?;
        println!(
            "| {name} | {:.3} s | {:.3} s | {:.2} s | {:.0} MiB |",
            v["min_s"].as_f64().unwrap_or(f64::NAN),
            v["median_s"].as_f64().unwrap_or(f64::NAN),
            v["cpu_s_per_run"].as_f64().unwrap_or(f64::NAN),
            v["peak_rss_mib"].as_f64().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}

fn child(exe: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(exe)
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    if !out.status.success() {
        return Err(format!("{} {} failed", exe.display(), args.join(" ")));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

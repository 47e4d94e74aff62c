//! Export benchmark: 1M votes written as JSONL and as Parquet, rows per second and
//! peak memory (`VmHWM`) of the exporting process.
//!
//!     cargo bench -p arena-server --bench export -- [VOTES] [--postgres]
//!
//! Seeds a fresh database (SQLite in a temporary directory, or with `--postgres` a
//! database created on `ARENA_TEST_POSTGRES_URL`) with one bulk `insert … select` per
//! table, then exports in a child process per scenario, so that each peak is that
//! export's alone. JSONL and Parquet run on the last tenth of the votes and on all
//! of them (flat memory: the two peaks are the same); the other formats on all of
//! them, for their sizes. Prints one JSON line per scenario.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use arena_server::config::Storage;
use arena_server::data::export::{ExportFormat, ExportOptions, export_to_file};
use arena_server::generation::blob::BlobStore;
use arena_server::store::{ExportFilter, Store};
use chrono::{DateTime, Utc};

/// The first vote's time; vote `i` is cast `i` seconds later.
const START: i64 = 1_767_225_600;
const MODELS: i64 = 20;
const PROMPTS: i64 = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    if args.first().map(String::as_str) == Some("child") {
        return child(&args[1..]).await;
    }
    let postgres = args.iter().any(|a| a == "--postgres");
    let votes: i64 = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .map_or(Ok(1_000_000), |v| v.parse())?;
    let dir =
        std::env::temp_dir().join(format!("arena-export-bench-{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir)?;
    let backend = if postgres {
        support::Backend::Postgres
    } else {
        support::Backend::Sqlite
    };
    let (url, pg) = support::require_database(backend, &dir).await?;
    let result = run(&url, &dir, votes).await;
    drop(pg);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn run(url: &str, dir: &Path, votes: i64) -> anyhow::Result<()> {
    let storage = Storage::local(url.to_string(), dir.to_path_buf());
    let store = arena_server::open_store(&storage, false).await?;
    let started = Instant::now();
    seed(&store, votes).await?;
    eprintln!(
        "seeded {votes} votes on {} in {:.1} s",
        store.backend_name(),
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    let tenth = START + votes - votes / 10;
    let scenarios = [
        ("jsonl", tenth),
        ("jsonl", START),
        ("parquet", tenth),
        ("parquet", START),
        ("csv", START),
        ("fastchat", START),
        ("genai-bench", START),
    ];
    for (format, since) in scenarios {
        let out = dir.join(format!("votes.{format}"));
        let status = std::process::Command::new(std::env::current_exe()?)
            .args(["child", url, dir.to_str().unwrap_or("."), format])
            .arg(since.to_string())
            .arg(&out)
            .status()?;
        anyhow::ensure!(status.success(), "the {format} export failed");
        let _ = std::fs::remove_file(&out);
    }
    Ok(())
}

/// Fills the tables with `votes` battles between 20 models on 100 prompts, each with
/// its two images' generations, from 1000 voters; one statement per table.
async fn seed(store: &Store, votes: i64) -> anyhow::Result<()> {
    let (series, hex_id, at) = match store {
        Store::Sqlite(_) => (
            format!(
                "(with recursive s(i) as (select 0 union all select i + 1 from s limit {votes}) select i from s)"
            ),
            "printf('%032x', i)",
            format!("strftime('%Y-%m-%dT%H:%M:%S+00:00', {START} + i, 'unixepoch')"),
        ),
        Store::Postgres(_) => (
            format!("(select generate_series(0, {votes} - 1) as i)"),
            "lpad(to_hex(i), 32, '0')",
            format!("to_timestamp({START} + i)"),
        ),
    };
    let (now, series_models, series_prompts) = match store {
        Store::Sqlite(_) => (
            "'2026-01-01T00:00:00+00:00'".to_string(),
            format!(
                "(with recursive s(i) as (select 1 union all select i + 1 from s limit {MODELS}) select i from s)"
            ),
            format!(
                "(with recursive s(i) as (select 1 union all select i + 1 from s limit {PROMPTS}) select i from s)"
            ),
        ),
        Store::Postgres(_) => (
            "now()".to_string(),
            format!("(select generate_series(1, {MODELS}) as i)"),
            format!("(select generate_series(1, {PROMPTS}) as i)"),
        ),
    };
    // Model a = i % 20, model b a different one; generation id = (model - 1) * 100 + prompt.
    let (a, b, p) = (
        "(1 + i % 20)",
        "(1 + (i % 20 + 1 + (i / 20) % 19) % 20)",
        "(1 + i % 100)",
    );
    let statements = [
        format!(
            "insert into model (slug, display_name, backend, added_at) select 'bench-model-' || i, 'Bench model ' || i, 'demo', {now} from {series_models} m"
        ),
        format!(
            "insert into prompt (text, category, source, created_at) select 'a benchmark prompt number ' || i, 'bench', 'default', {now} from {series_prompts} p"
        ),
        format!(
            "insert into generation (model_id, prompt_id, blob_key, sha256, width, height, seed, steps, latency_ms, created_at) \
             select m.i, p.i, 'aa/' || m.i || '-' || p.i || '.png', 'ab' || m.i || 'cd' || p.i, 512, 512, m.i * 1000 + p.i, 20, 1500, {now} \
             from {series_models} m cross join {series_prompts} p order by m.i, p.i"
        ),
        format!(
            "insert into voter (id, created_at) select 'voter-' || i, {now} from {series} s where i < 1000"
        ),
        format!(
            "insert into battle (id, prompt_id, voter_id, mode, anony, served_at) select {hex_id}, {p}, 'voter-' || (i % 1000), 'pool', true, {at} from {series} s"
        ),
        format!(
            "insert into battle_image (battle_id, slot, generation_id, model_id, token) \
             select {hex_id}, 0, ({a} - 1) * 100 + {p}, {a}, 'a' || {hex_id} from {series} s"
        ),
        format!(
            "insert into battle_image (battle_id, slot, generation_id, model_id, token) \
             select {hex_id}, 1, ({b} - 1) * 100 + {p}, {b}, 'b' || {hex_id} from {series} s"
        ),
        format!(
            "insert into vote (battle_id, winner, voter_id, model_a_id, model_b_id, created_at, latency_ms) \
             select {hex_id}, case i % 10 when 0 then 'tie' when 1 then 'both_bad' when 2 then 'a' when 3 then 'a' \
             when 4 then 'a' when 5 then 'a' else 'b' end, 'voter-' || (i % 1000), {a}, {b}, {at}, 4000 from {series} s"
        ),
    ];
    // One transaction; Postgres then refreshes its statistics, as autovacuum would.
    let script = format!("begin;\n{};\ncommit;", statements.join(";\n"));
    match store {
        Store::Sqlite(pool) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(script))
                .execute(pool)
                .await?;
        }
        Store::Postgres(pool) => {
            sqlx::raw_sql(sqlx::AssertSqlSafe(script + "\nanalyze;"))
                .execute(pool)
                .await?;
        }
    }
    Ok(())
}

/// One export in this process: `child URL DIR FORMAT SINCE OUT`; prints a JSON line.
async fn child(args: &[String]) -> anyhow::Result<()> {
    let [url, dir, format, since, out] = args else {
        anyhow::bail!("usage: child URL DIR FORMAT SINCE OUT");
    };
    let storage = Storage::local(url.clone(), PathBuf::from(dir));
    let store = arena_server::open_store(&storage, false).await?;
    let blobs = BlobStore::open(&storage.image_store)?;
    let since: DateTime<Utc> = DateTime::from_timestamp(since.parse()?, 0).unwrap_or_default();
    let options = ExportOptions {
        format: format.parse().map_err(anyhow::Error::msg)?,
        filter: ExportFilter {
            since: Some(since),
            include_excluded: false,
            pairs_only: false,
        },
        judge_key: vec![7; 32],
        image_hashes: Default::default(),
    };
    let format: ExportFormat = options.format;
    let out = PathBuf::from(out);
    let started = Instant::now();
    let (_, stats) = export_to_file(&store, &blobs, options, &out, None).await?;
    let seconds = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&out)?.len();
    println!(
        "{}",
        serde_json::json!({
            "database": store.backend_name(),
            "format": format.as_str(),
            "rows": stats.votes,
            "seconds": (seconds * 1000.0).round() / 1000.0,
            "rows_per_s": (stats.votes as f64 / seconds).round(),
            "bytes": bytes,
            "bytes_per_row": bytes.checked_div(stats.votes).unwrap_or(0),
            "cpu_seconds": (cpu_seconds() * 100.0).round() / 100.0,
            "peak_rss_mib": vm_hwm_kib() / 1024,
        })
    );
    Ok(())
}

/// Peak resident memory of this process (`VmHWM` in /proc/self/status), KiB.
fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// User + system CPU time of this process so far (all threads), seconds: on a
/// machine shared with other work it says more than the wall time.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses): utime is the 12th,
    // stime the 13th, in clock ticks of 1/100 s.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

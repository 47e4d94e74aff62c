//! Leaderboard benchmark on Postgres: with 10M votes stored, the latency of casting a
//! vote through the vote service (its checks, its transaction with the tallies, the
//! reveal), recomputation, and the latency of the cached `/api/v1/leaderboard` over
//! loopback HTTP.
//!
//!     cargo bench -p arena-server --bench leaderboard -- [VOTES] [MODELS]
//!
//! Needs the Postgres of `ARENA_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/postgres);
//! creates and drops its own database. Prints one JSON object.

#[path = "../../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use arena_evaluator::Outcome;
use arena_server::config::{FileConfig, ServeConfig, Storage};
use arena_server::integrity::config::LimitsConfig;
use arena_server::integrity::{ClientAddress, Requester};
use arena_server::rankings::board::{BoardQuery, compute};
use arena_server::store::Answer;
use arena_server::voting::battles;
use arena_server::voting::view::BattleId;
use arena_server::{App, http};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let votes: u64 = args.first().map_or(Ok(10_000_000), |v| v.parse())?;
    let models: u64 = args.get(1).map_or(Ok(20), |v| v.parse())?;
    let dir = std::env::temp_dir().join(format!("arena-bench-{:08x}", rand::random::<u32>()));
    let (url, db) = support::require_database(support::Backend::Postgres, &dir).await?;
    let result = run(&url, &dir, votes, models).await;
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
    println!("{}", result?);
    Ok(())
}

async fn run(
    url: &str,
    dir: &std::path::Path,
    votes: u64,
    models: u64,
) -> anyhow::Result<serde_json::Value> {
    let storage = Storage::local(url.to_string(), dir.to_path_buf());
    storage.prepare_data_dir()?;
    // Every vote counts and no limit applies: this measures the vote's own cost.
    let file = FileConfig {
        default_prompts: Some(false),
        register_demo_models: Some(false),
        min_view_ms: Some(0),
        limits: LimitsConfig {
            enabled: false,
            ..LimitsConfig::default()
        },
        ..Default::default()
    };
    let app = Arc::new(App::open(ServeConfig::resolve(storage, None, true, file)?).await?);
    let arena_server::store::Store::Postgres(pool) = &app.store else {
        anyhow::bail!("Postgres only")
    };

    let seeding = Instant::now();
    for i in 1..=models {
        sqlx::query("insert into model (slug, display_name, backend, added_at) values ($1, $1, 'bench', now())")
            .bind(format!("model-{i:03}"))
            .execute(pool)
            .await?;
    }
    sqlx::query("insert into voter (id, created_at) values ('bench', now())")
        .execute(pool)
        .await?;
    // Model i has strength i: the winner is drawn from the Bradley–Terry probability.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "insert into battle (id, voter_id, mode, anony, served_at) \
         select lpad(to_hex(g), 32, '0'), 'bench', 'imported', true, now() from generate_series(1, {votes}) g;
         insert into vote (battle_id, winner, voter_id, model_a_id, model_b_id, created_at, source)
         select lpad(to_hex(g), 32, '0'),
                case when r < 0.1 then 'tie' when r < 0.15 then 'both_bad'
                     when random() < 1 / (1 + power(10, (b - a) / 20.0)) then 'a' else 'b' end,
                'bench', a, b, now() - (g || ' seconds')::interval, 'bench'
         from (select g, random() as r, 1 + g % {models} as a,
                      1 + (g % {models} + 1 + (g / {models}) % ({models} - 1)) % {models} as b
               from generate_series(1, {votes}) g) s;
         -- The totals the vote transactions keep (battles without a prompt: category '').
         insert into vote_tally (category, model_a_id, model_b_id, winner, n)
         select '', model_a_id, model_b_id, winner, count(*) from vote group by 2, 3, 4;
         insert into vote_daily_tally (day, model_a_id, model_b_id, winner, n)
         select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD'), model_a_id, model_b_id,
                winner, count(*) from vote group by 1, 2, 3, 4;
"
    )))
    .execute(pool)
    .await?;
    sqlx::raw_sql("vacuum analyze").execute(pool).await?;
    let seed_s = seeding.elapsed().as_secs_f64();

    // Votes cast through the store while the table holds `votes`: each one also adds
    // to two tally rows, which concurrent voters of the same pair take in turn.
    let (vote_p50_ms, vote_p99_ms, votes_per_s) = cast_votes(&app, models, 16, 250).await?;

    let mut recompute = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let board = compute(&app.store, &BoardQuery::default()).await?;
        recompute.push(started.elapsed().as_secs_f64());
        assert_eq!(board.leaderboard.models.len() as u64, models);
    }

    // Cached reads over real HTTP on loopback.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = http::app(http::AppState(app.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let client = reqwest::Client::new();
    let endpoint = format!("{base}/api/v1/leaderboard");
    client.get(&endpoint).send().await?.error_for_status()?;
    let mut latencies: Vec<Duration> = Vec::new();
    for _ in 0..5000 {
        let started = Instant::now();
        let body = client.get(&endpoint).send().await?.bytes().await?;
        latencies.push(started.elapsed());
        assert!(!body.is_empty());
    }
    latencies.sort();
    let pct =
        |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0;
    Ok(serde_json::json!({
        "votes": votes,
        "models": models,
        "seed_s": seed_s,
        "recompute_s": recompute,
        "vote_p50_ms": vote_p50_ms,
        "vote_p99_ms": vote_p99_ms,
        "votes_per_s": votes_per_s,
        "cached_p50_ms": pct(0.5),
        "cached_p99_ms": pct(0.99),
        "cached_requests": latencies.len(),
    }))
}

/// `voters` concurrent voters each cast `each` votes through the vote service (what
/// `POST /api/v1/battles/{id}/vote` runs after parsing the request: checks, the vote's
/// transaction, the reveal) on battles made for them; returns the p50 and p99 latency
/// (ms) and votes per second.
async fn cast_votes(
    app: &Arc<App>,
    models: u64,
    voters: u64,
    each: u64,
) -> anyhow::Result<(f64, f64, f64)> {
    let arena_server::store::Store::Postgres(pool) = &app.store else {
        anyhow::bail!("Postgres only")
    };
    let total = voters * each;
    // One prompt with an image of every model, so that the battles are ready to vote on.
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "insert into voter (id, created_at) select 'voter-' || v, now() from generate_series(1, {voters}) v;
         insert into prompt (text, category, source, created_at) values ('bench', 'bench', 'bench', now());
         insert into generation (model_id, prompt_id, blob_key, sha256, width, height, seed, latency_ms, created_at)
         select m, (select max(id) from prompt), 'bench', 'bench', 64, 64, 0, 0, now()
         from generate_series(1, {models}) m;
         insert into battle (id, prompt_id, voter_id, mode, anony, served_at)
         select lpad(to_hex(1000000000 + g), 32, '0'), (select max(id) from prompt),
                'voter-' || (1 + g % {voters}), 'pool', true, now()
         from generate_series(1, {total}) g;
         insert into battle_image (battle_id, slot, generation_id, model_id, token)
         select lpad(to_hex(1000000000 + g), 32, '0'), s, m, m, 'cast-' || g || '-' || s
         from (select g, s, case s when 0 then 1 + g % {models}
                    else 1 + (g % {models} + 1 + (g / {models}) % ({models} - 1)) % {models} end as m
               from generate_series(1, {total}) g, generate_series(0, 1) s) x;"
    )))
    .execute(pool)
    .await?;
    let started = Instant::now();
    let tasks = (0..voters).map(|v| {
        let app = app.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            for g in (1..=total).filter(|g| g % voters == (v + 1) % voters) {
                let id = BattleId::parse(&format!("{:032x}", 1_000_000_000 + g))?;
                let who = Requester {
                    voter: Some(format!("voter-{}", 1 + g % voters)),
                    address: ClientAddress::of([127, 0, 0, 1].into(), b"bench"),
                };
                let winner = Outcome::ALL[(g % 4) as usize];
                let t = Instant::now();
                let answer = Answer::Pair {
                    winner,
                    axes: Vec::new(),
                };
                battles::vote(&app, &who, &id, answer, None).await?;
                latencies.push(t.elapsed());
            }
            Ok::<_, anyhow::Error>(latencies)
        })
    });
    let mut latencies = Vec::new();
    for task in futures_util::future::join_all(tasks).await {
        latencies.extend(task??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let ms =
        |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0;
    Ok((ms(0.5), ms(0.99), latencies.len() as f64 / elapsed))
}

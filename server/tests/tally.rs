//! The running vote tallies that leaderboards read always equal an aggregation of the
//! vote table itself: after concurrent votes from several voters, after an import
//! with excluded and named battles, and after migration 0004 fills them from votes
//! stored before it, on SQLite and on the real Postgres.

mod common;

use std::path::Path;

use arena_evaluator::{Format, Outcome};
use arena_server::data::import::import_votes;
use arena_server::store::{IdPairCount, Store};
use axum::http::StatusCode;
use common::{Backend, PROMPTS, TestArena};

const GENAI_ARENA: &str = "../../shared/data/genai-arena/clean_battle_20240220.json";

type Row = (i64, i64, Outcome, i64);

fn sorted(rows: Vec<IdPairCount>) -> Vec<Row> {
    let mut rows: Vec<Row> = rows
        .into_iter()
        .map(|r| (r.model_a_id, r.model_b_id, r.winner, r.n))
        .collect();
    rows.sort();
    rows
}

/// Compares the tallies with the vote table overall, per category, and per day;
/// returns the number of counted votes.
async fn assert_tallies_match_votes(store: &Store) -> i64 {
    let overall = sorted(store.pair_counts_by_id(None).await.unwrap());
    assert_eq!(
        overall,
        sorted(store.pair_counts_from_votes(None).await.unwrap())
    );
    for (_, category) in PROMPTS {
        let tallied = sorted(store.pair_counts_by_id(Some(category)).await.unwrap());
        assert!(!tallied.is_empty(), "no votes in {category}");
        let counted = sorted(store.pair_counts_from_votes(Some(category)).await.unwrap());
        assert_eq!(tallied, counted, "category {category}");
    }
    // Summed over days, the daily tallies give the same pairs again.
    let mut by_pair = std::collections::BTreeMap::<(i64, i64, Outcome), i64>::new();
    let daily = store.daily_pair_counts().await.unwrap();
    assert!(daily.windows(2).all(|w| w[0].day <= w[1].day));
    for d in daily {
        *by_pair
            .entry((d.model_a_id, d.model_b_id, d.winner))
            .or_default() += d.n;
    }
    let summed: Vec<Row> = by_pair
        .into_iter()
        .map(|((a, b, w), n)| (a, b, w, n))
        .collect();
    assert_eq!(summed, overall);
    overall.iter().map(|r| r.3).sum()
}

/// Runs `sql` (several statements) on the arena's database.
async fn execute(store: &Store, sql: &'static str) {
    match store {
        Store::Sqlite(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        Store::Postgres(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
    }
    .unwrap();
}

async fn tallies_equal_the_votes(backend: Backend) {
    let Some(arena) = TestArena::start(backend).await else {
        return;
    };
    // Four voters at once, every kind of outcome, so tally rows are updated concurrently.
    let voters = (0..4).map(|v| {
        let mut client = arena.client();
        async move {
            for i in 0..15 {
                let battle = client.new_battle().await;
                let winner = ["a", "b", "tie", "both_bad", "a"][(i + v) % 5];
                let r = client.vote(battle["id"].as_str().unwrap(), winner).await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            }
        }
    });
    futures_util::future::join_all(voters).await;
    assert_eq!(assert_tallies_match_votes(&arena.app.store).await, 60);

    // GenAI-Arena's full file: named battles are stored excluded and left out.
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join(GENAI_ARENA);
    let store = &arena.app.store;
    import_votes(
        store,
        &file,
        Format::Auto,
        &arena.app.config.judge_key,
        &Default::default(),
    )
    .await
    .unwrap();
    let counted = assert_tallies_match_votes(store).await;
    assert_eq!(counted, 60 + 1515);
    // A second import of the same file adds nothing, to the votes or the tallies.
    import_votes(
        store,
        &file,
        Format::Auto,
        &arena.app.config.judge_key,
        &Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(assert_tallies_match_votes(store).await, counted);
    let before = sorted(store.pair_counts_by_id(None).await.unwrap());

    // A database from before the tallies: migration 0004 fills them from its votes.
    execute(
        store,
        "drop table vote_tally; drop table vote_daily_tally; \
         create index vote_counted_pair on vote (model_a_id, model_b_id, winner) \
             where counts_for_leaderboard and axis = 'overall'; \
         delete from _sqlx_migrations where version = 4;",
    )
    .await;
    let (reopened, _) = arena.sibling(std::time::Duration::from_secs(3600)).await;
    assert_eq!(assert_tallies_match_votes(&reopened.store).await, counted);
    assert_eq!(
        sorted(reopened.store.pair_counts_by_id(None).await.unwrap()),
        before
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tallies_equal_the_votes_on_sqlite() {
    tallies_equal_the_votes(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tallies_equal_the_votes_on_postgres() {
    tallies_equal_the_votes(Backend::Postgres).await;
}

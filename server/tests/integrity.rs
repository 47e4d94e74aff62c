//! Votes worth trusting, on SQLite and on the real Postgres: a vote counts only when
//! its voter looked at both images; limits hold across cookies and across servers and
//! believe `X-Forwarded-For` only from trusted proxies; the detector flags a rigger,
//! excludes its votes with the evidence, and an operator can clear the flag; every
//! action is in the audit log; admin sign-in is limited; proof of work when asked.

mod common;

use std::time::Duration;

use arena_server::config::FileConfig;
use arena_server::integrity::config::{Allowance, IntegrityConfig, LimitsConfig, PowMode};
use arena_server::integrity::pow;
use arena_server::store::exclusion;
use axum::http::{Method, StatusCode, header};
use common::{Backend, Client, TestArena};

const ADMIN_TOKEN: &str = "integrity-test-admin-token-0123456789";

/// Every limit off but those `limits` names.
fn limits(per_address: Allowance, per_voter: Allowance) -> LimitsConfig {
    LimitsConfig {
        enabled: true,
        per_address,
        per_voter,
        queued_live_jobs: 0,
        admin_logins: 0,
    }
}

async fn arena(backend: Backend, file: FileConfig) -> Option<TestArena> {
    TestArena::with_pool(backend, file).await
}

/// (counts, exclusion reason) of the vote on battle `id`.
async fn stored_vote(arena: &TestArena, id: &str) -> (bool, Option<String>) {
    let filter = arena_server::store::ExportFilter {
        since: None,
        include_excluded: true,
        pairs_only: false,
    };
    let rows: Vec<_> =
        futures_util::TryStreamExt::try_collect::<Vec<_>>(arena.app.store.export_rows(&filter))
            .await
            .unwrap();
    let row = rows
        .iter()
        .find(|r| r.battle_id == id)
        .expect("vote stored");
    (row.counts_for_leaderboard, row.exclusion_reason.clone())
}

async fn counted(arena: &TestArena) -> i64 {
    arena
        .app
        .store
        .pair_counts()
        .await
        .unwrap()
        .iter()
        .map(|c| c.n)
        .sum()
}

async fn a_vote_counts_only_when_its_voter_looked_at_both_images(backend: Backend) {
    let file = FileConfig {
        min_view_ms: Some(300),
        ..FileConfig::default()
    };
    let Some(arena) = arena(backend, file).await else {
        return;
    };
    let mut voter = arena.client();
    let mut other = arena.client();

    // Never fetched: stored, acknowledged, not counted.
    let battle = voter.new_battle().await;
    let id = battle["id"].as_str().unwrap();
    assert_eq!(voter.vote(id, "a").await.status, StatusCode::OK);
    assert_eq!(
        stored_vote(&arena, id).await,
        (false, Some(exclusion::IMAGES_NOT_SEEN.into()))
    );

    // One image fetched by the voter, the other only by someone else.
    let battle = voter.new_battle().await;
    let id = battle["id"].as_str().unwrap();
    voter.get(battle["images"]["a"].as_str().unwrap()).await;
    other.get(battle["images"]["b"].as_str().unwrap()).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(voter.vote(id, "b").await.status, StatusCode::OK);
    assert_eq!(
        stored_vote(&arena, id).await,
        (false, Some(exclusion::IMAGES_NOT_SEEN.into()))
    );

    // Both fetched, voted at once.
    let battle = voter.new_battle().await;
    let id = battle["id"].as_str().unwrap();
    voter.look_at(&battle).await;
    assert_eq!(voter.vote(id, "tie").await.status, StatusCode::OK);
    assert_eq!(
        stored_vote(&arena, id).await,
        (false, Some(exclusion::TOO_FAST.into()))
    );
    assert_eq!(counted(&arena).await, 0);

    // Both fetched and looked at for long enough: it counts.
    let battle = voter.new_battle().await;
    let id = battle["id"].as_str().unwrap();
    voter.look_at(&battle).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(voter.vote(id, "a").await.status, StatusCode::OK);
    assert_eq!(stored_vote(&arena, id).await, (true, None));
    assert_eq!(counted(&arena).await, 1);
    assert_eq!(arena.app.store.vote_count().await.unwrap(), 4);

    // The methodology page says how many do not count, and why.
    let page = voter.get("/leaderboard/methodology").await.text();
    assert!(page.contains("Votes that do not count now: 3"), "{page}");
    assert!(page.contains("its images were not both loaded by the voter"));
}

#[tokio::test]
async fn a_vote_counts_only_when_its_voter_looked_at_both_images_on_sqlite() {
    a_vote_counts_only_when_its_voter_looked_at_both_images(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_vote_counts_only_when_its_voter_looked_at_both_images_on_postgres() {
    a_vote_counts_only_when_its_voter_looked_at_both_images(Backend::Postgres).await;
}

async fn limits_hold_across_cookies_and_servers(backend: Backend) {
    let file = FileConfig {
        trusted_proxies: vec!["127.0.0.1".into()],
        limits: limits(
            Allowance {
                votes: 3,
                battles: 100,
                ..Allowance::default()
            },
            Allowance {
                battles: 4,
                ..Allowance::default()
            },
        ),
        ..FileConfig::default()
    };
    let Some(arena) = arena(backend, file.clone()).await else {
        return;
    };
    // A second server on the same database, as behind a load balancer.
    let (_, sibling) = arena.sibling_with(file).await;

    // Three votes from one address, each from a fresh cookie, alternating servers.
    for i in 0..3 {
        let router = if i % 2 == 0 {
            arena.router.clone()
        } else {
            sibling.clone()
        };
        let mut voter = Client::behind_proxy(router, "203.0.113.9");
        let battle = voter.new_battle().await;
        let r = voter.vote(battle["id"].as_str().unwrap(), "a").await;
        assert_eq!(r.status, StatusCode::OK, "vote {i}: {}", r.text());
    }
    // The fourth, from yet another cookie on the other server: refused, not stored.
    let mut voter = Client::behind_proxy(sibling.clone(), "203.0.113.9");
    let battle = voter.new_battle().await;
    let r = voter.vote(battle["id"].as_str().unwrap(), "a").await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    let retry: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert!(
        r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("minute")
    );
    assert_eq!(arena.app.store.vote_count().await.unwrap(), 3);

    // Another address through the proxy is not limited.
    let mut elsewhere = Client::behind_proxy(arena.router.clone(), "198.51.100.4");
    let battle = elsewhere.new_battle().await;
    let r = elsewhere.vote(battle["id"].as_str().unwrap(), "b").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    // Per voter: the fifth battle of one cookie is refused, as a page in a browser.
    let mut greedy = Client::behind_proxy(arena.router.clone(), "192.0.2.77");
    for _ in 0..4 {
        greedy.new_battle().await;
    }
    let r = greedy.get("/").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert!(
        r.text().contains("<html") && r.text().contains("try again in"),
        "{}",
        r.text()
    );
}

#[tokio::test]
async fn limits_hold_across_cookies_and_servers_on_sqlite() {
    limits_hold_across_cookies_and_servers(Backend::Sqlite).await;
}

#[tokio::test]
async fn limits_hold_across_cookies_and_servers_on_postgres() {
    limits_hold_across_cookies_and_servers(Backend::Postgres).await;
}

async fn forwarded_for_from_an_untrusted_peer_is_ignored(backend: Backend) {
    // No trusted proxy: the header is the client's own claim.
    let file = FileConfig {
        limits: limits(
            Allowance {
                votes: 2,
                battles: 100,
                ..Allowance::default()
            },
            Allowance::default(),
        ),
        ..FileConfig::default()
    };
    let Some(arena) = arena(backend, file).await else {
        return;
    };
    let mut refused = 0;
    for i in 0..4 {
        let mut voter = Client::behind_proxy(arena.router.clone(), &format!("203.0.113.{i}"));
        let battle = voter.new_battle().await;
        let r = voter.vote(battle["id"].as_str().unwrap(), "a").await;
        refused += usize::from(r.status == StatusCode::TOO_MANY_REQUESTS);
    }
    // Four different forged addresses are one client: two votes, then refusals.
    assert_eq!(refused, 2);
    assert_eq!(arena.app.store.vote_count().await.unwrap(), 2);
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored_on_sqlite() {
    forwarded_for_from_an_untrusted_peer_is_ignored(Backend::Sqlite).await;
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored_on_postgres() {
    forwarded_for_from_an_untrusted_peer_is_ignored(Backend::Postgres).await;
}

/// Sends `method uri` with the admin token.
async fn admin(client: &mut Client, method: Method, uri: &str) -> common::Response {
    let request = axum::http::Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
        .header(header::ACCEPT, "application/json")
        .body(axum::body::Body::empty())
        .unwrap();
    common::send(&client.router(), request).await
}

async fn the_detector_flags_a_rigger_and_an_operator_can_clear_it(backend: Backend) {
    let file = FileConfig {
        trusted_proxies: vec!["127.0.0.1".into()],
        admin_token: Some(ADMIN_TOKEN.into()),
        ..FileConfig::default()
    };
    let Some(arena) = arena(backend, file).await else {
        return;
    };
    let models = arena_worker::demo::demo_models();
    let target = models[0].slug;
    // Honest voters, each from its own address, vote for the image on the left or the
    // right at random (no model is favoured).
    for v in 0..12 {
        let mut voter = Client::behind_proxy(arena.router.clone(), &format!("198.51.100.{v}"));
        for k in 0..6 {
            let battle = voter.new_battle().await;
            let winner = ["a", "b"][(v + k) % 2];
            voter.vote(battle["id"].as_str().unwrap(), winner).await;
        }
    }
    // One address behind many cookies votes for the target whenever it is in the
    // battle, as a script that recognises its images would (here the test looks the
    // models up in the database), and skips the other battles.
    let mut rigged = 0;
    for k in 0..40 {
        let mut voter = Client::behind_proxy(arena.router.clone(), "203.0.113.66");
        let battle = voter.new_battle().await;
        let id = battle["id"].as_str().unwrap();
        let seen = arena.app.store.battle(id).await.unwrap().unwrap();
        let side = seen.images.iter().position(|i| i.model_slug == target);
        let Some(side) = side else { continue };
        let r = voter.vote(id, ["a", "b"][side]).await;
        assert_eq!(r.status, StatusCode::OK, "{k}: {}", r.text());
        rigged += 1;
    }
    assert!(rigged >= 8, "only {rigged} rigged votes");
    let before = counted(&arena).await;

    let mut client = arena.client();
    let r = admin(&mut client, Method::POST, "/api/v1/admin/integrity/scan").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let report = r.json();
    let flags = report["flags"].as_array().unwrap();
    assert_eq!(flags.len(), 1, "{report}");
    assert_eq!(flags[0]["subject_kind"], "address");
    assert_eq!(flags[0]["model"], target);
    assert_eq!(flags[0]["votes_excluded"], rigged);
    assert_eq!(counted(&arena).await, before - rigged as i64);

    // The operator sees the flag with its figures, and the excluded votes.
    let voters = admin(&mut client, Method::GET, "/admin/voters")
        .await
        .json();
    let flag = &voters["flags"][0];
    assert_eq!(flag["votes"], rigged);
    // It votes only when the target is in the battle, and the target always wins.
    let evidence = &flag["evidence"];
    assert_eq!(
        evidence["voted_with_model"], evidence["battles_voted"],
        "{flag}"
    );
    assert!(
        evidence["selection_z"].as_f64().unwrap() >= 4.0 || evidence["z"].as_f64().unwrap() >= 4.0,
        "{flag}"
    );
    let votes = admin(&mut client, Method::GET, "/api/v1/admin/votes")
        .await
        .json();
    assert_eq!(
        votes["exclusions"][0],
        serde_json::json!(["flagged", rigged])
    );

    // Voting on from that address does not count either.
    let mut voter = Client::behind_proxy(arena.router.clone(), "203.0.113.66");
    let battle = voter.new_battle().await;
    voter.vote(battle["id"].as_str().unwrap(), "a").await;
    assert_eq!(
        stored_vote(&arena, battle["id"].as_str().unwrap()).await,
        (false, Some(exclusion::FLAGGED.into()))
    );
    let page = voter.get("/leaderboard/methodology").await.text();
    assert!(page.contains("Flags standing now: 1"), "{page}");

    // The board with exclusions is the operator's alone.
    let r = voter.get("/api/v1/leaderboard?exclusions=include").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let all = admin(
        &mut client,
        Method::GET,
        "/api/v1/leaderboard?exclusions=include",
    )
    .await;
    let default = voter.get("/api/v1/leaderboard").await.json();
    assert_eq!(
        all.json()["n_votes"].as_u64().unwrap(),
        default["n_votes"].as_u64().unwrap() + rigged as u64 + 1
    );

    // Clearing the flag restores its votes (all of them, the later one too).
    let id = flag["id"].as_i64().unwrap();
    let r = admin(
        &mut client,
        Method::POST,
        &format!("/api/v1/admin/flags/{id}/clear"),
    )
    .await;
    assert_eq!(r.json()["votes_restored"], rigged + 1);
    assert_eq!(counted(&arena).await, before + 1);
    let again = admin(
        &mut client,
        Method::POST,
        &format!("/api/v1/admin/flags/{id}/clear"),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // A single vote excluded and restored by hand.
    let battle_id = battle["id"].as_str().unwrap();
    let r = admin(
        &mut client,
        Method::POST,
        &format!("/api/v1/admin/votes/{battle_id}/exclude"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(counted(&arena).await, before);
    admin(
        &mut client,
        Method::POST,
        &format!("/api/v1/admin/votes/{battle_id}/restore"),
    )
    .await;
    assert_eq!(counted(&arena).await, before + 1);

    // Every action is in the audit log, newest first.
    let log = admin(&mut client, Method::GET, "/api/v1/admin/audit")
        .await
        .json();
    let actions: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["restore_vote", "exclude_vote", "clear_flag", "flag"]
    );

    // The tallies still equal the votes after all of it.
    let mut tallied = arena.app.store.pair_counts_by_id(None).await.unwrap();
    let mut from_votes = arena.app.store.pair_counts_from_votes(None).await.unwrap();
    let key = |c: &arena_server::store::IdPairCount| (c.model_a_id, c.model_b_id, c.winner, c.n);
    tallied.sort_by_key(key);
    from_votes.sort_by_key(key);
    assert_eq!(
        tallied.iter().map(key).collect::<Vec<_>>(),
        from_votes.iter().map(key).collect::<Vec<_>>()
    );

    // Without the token, none of it.
    for uri in ["/admin/voters", "/admin/votes", "/admin/audit"] {
        assert_eq!(
            voter.get(uri).await.status,
            StatusCode::UNAUTHORIZED,
            "{uri}"
        );
    }
}

#[tokio::test]
async fn the_detector_flags_a_rigger_and_an_operator_can_clear_it_on_sqlite() {
    the_detector_flags_a_rigger_and_an_operator_can_clear_it(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_detector_flags_a_rigger_and_an_operator_can_clear_it_on_postgres() {
    the_detector_flags_a_rigger_and_an_operator_can_clear_it(Backend::Postgres).await;
}

#[tokio::test]
async fn admin_sign_in_attempts_are_limited_per_address() {
    let file = FileConfig {
        admin_token: Some(ADMIN_TOKEN.into()),
        limits: LimitsConfig {
            admin_logins: 3,
            ..LimitsConfig::default()
        },
        ..FileConfig::default()
    };
    let Some(arena) = TestArena::open(Backend::Sqlite, file).await else {
        return;
    };
    let mut client = arena.client();
    let form = "application/x-www-form-urlencoded";
    for _ in 0..3 {
        let r = client
            .send(Method::POST, "/admin/login", form, "token=wrong")
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right token waits out the hour now.
    let r = client
        .send(
            Method::POST,
            "/admin/login",
            form,
            &format!("token={ADMIN_TOKEN}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn an_admin_token_shorter_than_32_characters_is_refused_at_start() {
    let dir = common::support::temp_dir("short-token");
    let storage = arena_server::config::Storage::local(
        format!("sqlite:{}", dir.join("arena.db").display()),
        dir,
    );
    let file = FileConfig {
        admin_token: Some("password123".into()),
        ..FileConfig::default()
    };
    let err = arena_server::config::ServeConfig::resolve(storage, None, true, file)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("admin_token must be at least 32 characters"),
        "{err}"
    );
}

#[tokio::test]
async fn votes_need_a_proof_of_work_when_the_arena_asks_for_one() {
    let file = FileConfig {
        integrity: IntegrityConfig {
            pow: PowMode::Always,
            pow_bits: 8,
            ..IntegrityConfig::default()
        },
        ..FileConfig::default()
    };
    let Some(arena) = arena(Backend::Sqlite, file).await else {
        return;
    };
    let mut voter = arena.client();
    let battle = voter.new_battle().await;
    let id = battle["id"].as_str().unwrap();
    let challenge = battle["pow"]["challenge"].as_str().expect("a challenge");
    assert_eq!(battle["pow"]["bits"], 8);
    let r = voter.vote(id, "a").await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "proof_of_work_required")
    );
    let wrong = voter
        .post_json(
            &format!("/api/v1/battles/{id}/vote"),
            serde_json::json!({ "winner": "a", "pow_nonce": "not-a-solution" }),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let nonce = pow::solve(challenge, 8);
    let r = voter
        .post_json(
            &format!("/api/v1/battles/{id}/vote"),
            serde_json::json!({ "winner": "a", "pow_nonce": nonce }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(arena.app.store.vote_count().await.unwrap(), 1);
}

async fn a_full_live_queue_refuses_new_live_battles(backend: Backend) {
    let file = FileConfig {
        limits: LimitsConfig {
            queued_live_jobs: 2,
            ..LimitsConfig::default()
        },
        ..FileConfig::default()
    };
    let Some(arena) = arena(backend, file).await else {
        return;
    };
    // A live worker serves the demo models (but leases nothing: the jobs wait).
    let store = &arena.app.store;
    let token = arena_server::generation::workers::new_token();
    let hash = arena_server::generation::workers::hash_token(&token);
    let worker = store.add_worker("gpu-1", &hash, None).await.unwrap();
    let slugs: Vec<String> = arena_worker::demo::demo_models()
        .iter()
        .map(|m| m.slug.to_string())
        .collect();
    store.touch_worker(worker, &slugs).await.unwrap();

    let mut first = arena.client();
    let prompt = serde_json::json!({ "prompt": "a red kite over a green hill" });
    let r = first.post_json("/api/v1/battles", prompt.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Its two jobs fill the queue: the next voter is told to come back.
    let mut second = arena.client();
    let r = second.post_json("/api/v1/battles", prompt).await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "arena_busy")
    );
    assert!(r.headers.contains_key(header::RETRY_AFTER));
    assert_eq!(store.queued_live_jobs().await.unwrap(), 2);
    // Pool battles are still served.
    assert_eq!(
        second
            .post_json("/api/v1/battles", serde_json::json!({}))
            .await
            .status,
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_full_live_queue_refuses_new_live_battles_on_sqlite() {
    a_full_live_queue_refuses_new_live_battles(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_full_live_queue_refuses_new_live_battles_on_postgres() {
    a_full_live_queue_refuses_new_live_battles(Backend::Postgres).await;
}

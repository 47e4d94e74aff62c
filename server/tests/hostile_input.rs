//! Hostile input over every public route and the worker protocol, on SQLite and on the
//! real Postgres: oversized and invalid bodies, wrong types and content types, control
//! and bidi characters in prompts, forged cookies and cookies of other voters,
//! cross-site posts, replayed votes, path tricks. One row per case: each gets its 4xx
//! with the API's JSON error (or an error page), leaks nothing internal, sets no
//! cookie, and leaves every table of the database as it was.

mod common;
mod queue_support;

use std::collections::BTreeMap;
use std::time::Duration;

use arena_server::config::FileConfig;
use arena_server::generation::embedded_worker;
use arena_server::store::{NewPrompt, Store};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::IntoResponse;
use axum_extra::extract::PrivateCookieJar;
use axum_extra::extract::cookie::{Cookie, Key};
use common::{Backend, Client, PROMPTS, Response, TestArena, send};
use queue_support::{ADMIN_TOKEN, TestWorker};

/// Row counts of every table (whatever migrations added), by name — but the limits'
/// counters, which exist to count requests like these.
async fn table_counts(store: &Store) -> BTreeMap<String, i64> {
    use sqlx::AssertSqlSafe;
    let mut counts = BTreeMap::new();
    match store {
        Store::Sqlite(pool) => {
            let names: Vec<String> = sqlx::query_scalar(
                "select name from sqlite_master where type = 'table' \
                 and name not like 'sqlite_%' and name not like '_sqlx%' \
                 and name <> 'limit_counter'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for name in names {
                let sql = format!("select count(*) from \"{name}\"");
                let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(pool)
                    .await
                    .unwrap();
                counts.insert(name, n);
            }
        }
        Store::Postgres(pool) => {
            let names: Vec<String> = sqlx::query_scalar(
                "select table_name::text from information_schema.tables \
                 where table_schema = current_schema() and table_type = 'BASE TABLE' \
                 and table_name not like '_sqlx%' and table_name <> 'limit_counter'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for name in names {
                let sql = format!("select count(*) from \"{name}\"");
                let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql))
                    .fetch_one(pool)
                    .await
                    .unwrap();
                counts.insert(name, n);
            }
        }
    }
    assert!(counts.contains_key("vote") && counts.contains_key("battle"));
    counts
}

/// Text that would mean internal detail reached a client.
const LEAKS: &[&str] = &[
    "sqlx",
    "sqlite",
    "postgres",
    "SQLSTATE",
    "syntax error",
    "no such table",
    "constraint",
    "panicked",
    "backtrace",
    "thread '",
    ".rs:",
    "/tmp/",
    "/work/",
    "arena-data",
    "Failed to buffer",
    "Cannot parse",
];

/// A `Cookie:` header of a voter cookie sealed with `key` (the arena's or another).
fn sealed_cookie(key: &Key, value: &str) -> String {
    let jar = PrivateCookieJar::new(key.clone()).add(Cookie::new(
        arena_server::http::VOTER_COOKIE,
        value.to_string(),
    ));
    let response = (jar, ()).into_response();
    let set = response.headers()[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

/// Who a request claims to be.
#[derive(Clone, Copy, Debug)]
enum As {
    Nobody,
    /// The voter who was served the battles.
    Victim,
    /// A real voter of this arena who was not served them.
    OtherVoter,
    /// A well-formed voter cookie sealed with another key.
    ForgedKey,
    /// A voter cookie sealed with the arena's key whose id is not one it issues.
    ForgedId,
    /// Cookie bytes that are no sealed cookie at all.
    Garbage,
    /// A registered worker's token.
    Worker,
    /// A token no worker has.
    WrongToken,
}

/// What the refusal looks like.
#[derive(Clone, Copy, Debug)]
enum Shape {
    /// The API's JSON error with this code.
    Json(&'static str),
    /// An HTML error page.
    Page,
    /// A redirect to the page that shows what stands (a form sent twice).
    Redirect,
}

struct Case {
    what: &'static str,
    method: Method,
    path: String,
    who: As,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: StatusCode,
    shape: Shape,
}

fn case(what: &'static str, method: Method, path: impl Into<String>) -> Case {
    Case {
        what,
        method,
        path: path.into(),
        who: As::Victim,
        headers: Vec::new(),
        body: Vec::new(),
        status: StatusCode::BAD_REQUEST,
        shape: Shape::Page,
    }
}

impl Case {
    fn who(mut self, who: As) -> Case {
        self.who = who;
        self
    }
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Case {
        self.headers.push((name, value.into()));
        self
    }
    fn json(self, body: impl Into<String>) -> Case {
        self.body(body.into())
            .header("content-type", "application/json")
    }
    fn form(self, body: impl Into<String>) -> Case {
        self.body(body.into())
            .header("content-type", "application/x-www-form-urlencoded")
    }
    fn body(mut self, body: impl Into<Vec<u8>>) -> Case {
        self.body = body.into();
        self
    }
    fn expect(mut self, status: StatusCode, shape: Shape) -> Case {
        self.status = status;
        self.shape = shape;
        self
    }
}

/// The arena with pool images, an admin token, a worker, and what the cases need.
struct Setup {
    arena: TestArena,
    victim: Client,
    other: Client,
    worker: TestWorker,
    /// Served to the victim, not voted.
    open_battle: String,
    /// Served to the victim and voted.
    voted_battle: String,
}

async fn setup(backend: Backend) -> Option<Setup> {
    let file = FileConfig {
        admin_token: Some(ADMIN_TOKEN.into()),
        ..FileConfig::default()
    };
    let arena = TestArena::open(backend, file).await?;
    let prompts: Vec<NewPrompt> = PROMPTS
        .iter()
        .map(|(t, c)| NewPrompt {
            text: t.to_string(),
            category: c.to_string(),
            source: "test".into(),
        })
        .collect();
    arena.app.store.import_prompts(&prompts).await.unwrap();
    embedded_worker::fill_pool(&arena.app).await.unwrap();
    let worker = TestWorker::add(&arena, "gpu-1").await;
    let mut victim = arena.client();
    let open_battle = victim.new_battle().await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let voted_battle = victim.new_battle().await["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(victim.vote(&voted_battle, "a").await.status, StatusCode::OK);
    let mut other = arena.client();
    other.new_battle().await;
    Some(Setup {
        arena,
        victim,
        other,
        worker,
        open_battle,
        voted_battle,
    })
}

fn cases(s: &Setup) -> Vec<Case> {
    use Method as M;
    use Shape::{Json, Page, Redirect};
    use StatusCode as S;
    let open = &s.open_battle;
    let voted = &s.voted_battle;
    let vote_api = format!("/api/v1/battles/{open}/vote");
    let vote_form = format!("/battles/{open}/vote");
    let big = "x".repeat(64 * 1024);
    let big_json = format!("{{\"prompt\": \"{big}\"}}");
    let huge_png = vec![0u8; 64 * 1024 * 1024 + 1];
    vec![
        // Creating battles: bodies, types and content types.
        case("a 64 KiB battle request", M::POST, "/api/v1/battles")
            .json(big_json.clone())
            .expect(S::PAYLOAD_TOO_LARGE, Json("payload_too_large")),
        case(
            "a 64 KiB battle request that declares its length",
            M::POST,
            "/api/v1/battles",
        )
        .json(big_json.clone())
        .header("content-length", big_json.len().to_string())
        .expect(S::PAYLOAD_TOO_LARGE, Json("payload_too_large")),
        case(
            "a battle request sent as text/plain",
            M::POST,
            "/api/v1/battles",
        )
        .body("{}")
        .header("content-type", "text/plain")
        .expect(S::UNSUPPORTED_MEDIA_TYPE, Json("unsupported_media_type")),
        case(
            "a battle request sent as a form",
            M::POST,
            "/api/v1/battles",
        )
        .form("prompt=a+cat")
        .expect(S::UNSUPPORTED_MEDIA_TYPE, Json("unsupported_media_type")),
        case(
            "a battle request without a content type",
            M::POST,
            "/api/v1/battles",
        )
        .body("{}")
        .expect(S::UNSUPPORTED_MEDIA_TYPE, Json("unsupported_media_type")),
        case(
            "a battle request that is not JSON",
            M::POST,
            "/api/v1/battles",
        )
        .json("{not json")
        .expect(S::BAD_REQUEST, Json("invalid_json")),
        case(
            "a battle request whose prompt is a number",
            M::POST,
            "/api/v1/battles",
        )
        .json(r#"{"prompt": 5}"#)
        .expect(S::BAD_REQUEST, Json("invalid_json")),
        case(
            "a battle request with an unknown field",
            M::POST,
            "/api/v1/battles",
        )
        .json(r#"{"prompt": "a cat", "model": "demo-faithful"}"#)
        .expect(S::BAD_REQUEST, Json("invalid_json")),
        case(
            "a battle request that is a JSON array",
            M::POST,
            "/api/v1/battles",
        )
        .json("[]")
        .expect(S::BAD_REQUEST, Json("invalid_json")),
        case("a prompt of control characters", M::POST, "/api/v1/battles")
            .json(r#"{"prompt": "\u0000\u0007\u001b[31m\u0008\u0008"}"#)
            .expect(S::UNPROCESSABLE_ENTITY, Json("invalid_prompt_characters")),
        case(
            "a prompt with a right-to-left override",
            M::POST,
            "/api/v1/battles",
        )
        .json(r#"{"prompt": "a cat \u202Egod a\u202C on a mat"}"#)
        .expect(S::UNPROCESSABLE_ENTITY, Json("invalid_prompt_characters")),
        case("a prompt with a bidi isolate", M::POST, "/api/v1/battles")
            .json(r#"{"prompt": "\u2066a red fox\u2069"}"#)
            .expect(S::UNPROCESSABLE_ENTITY, Json("invalid_prompt_characters")),
        case(
            "a prompt with a zero-width space",
            M::POST,
            "/api/v1/battles",
        )
        .json(r#"{"prompt": "a red\u200bfox in snow"}"#)
        .expect(S::UNPROCESSABLE_ENTITY, Json("invalid_prompt_characters")),
        case(
            "a prompt with a left-to-right mark",
            M::POST,
            "/api/v1/battles",
        )
        .json(r#"{"prompt": "a red fox\u200e in snow"}"#)
        .expect(S::UNPROCESSABLE_ENTITY, Json("invalid_prompt_characters")),
        case(
            "a battle in a category that does not exist",
            M::POST,
            "/api/v1/battles",
        )
        .json(r#"{"category": "../../etc"}"#)
        .expect(S::UNPROCESSABLE_ENTITY, Json("unknown_category")),
        case(
            "a battle request from another site (Sec-Fetch-Site)",
            M::POST,
            "/api/v1/battles",
        )
        .json("{}")
        .header("sec-fetch-site", "cross-site")
        .expect(S::FORBIDDEN, Json("cross_site_request")),
        case(
            "a battle request from a sibling site (Sec-Fetch-Site)",
            M::POST,
            "/api/v1/battles",
        )
        .json("{}")
        .header("sec-fetch-site", "same-site")
        .expect(S::FORBIDDEN, Json("cross_site_request")),
        case(
            "a battle request from another origin",
            M::POST,
            "/api/v1/battles",
        )
        .json("{}")
        .header("host", "arena.example")
        .header("origin", "https://evil.example")
        .expect(S::FORBIDDEN, Json("cross_site_request")),
        case(
            "a battle request from an opaque origin",
            M::POST,
            "/api/v1/battles",
        )
        .json("{}")
        .header("host", "arena.example")
        .header("origin", "null")
        .expect(S::FORBIDDEN, Json("cross_site_request")),
        case(
            "GET on the battle-creating endpoint",
            M::GET,
            "/api/v1/battles",
        )
        .expect(S::METHOD_NOT_ALLOWED, Json("method_not_allowed")),
        case(
            "OPTIONS on the battle-creating endpoint",
            M::OPTIONS,
            "/api/v1/battles",
        )
        .expect(S::METHOD_NOT_ALLOWED, Json("method_not_allowed")),
        // Votes: cookies, bodies, replays.
        case("a vote without a cookie", M::POST, &vote_api)
            .who(As::Nobody)
            .json(r#"{"winner": "a"}"#)
            .expect(S::NOT_FOUND, Json("not_found")),
        case(
            "a vote with a cookie sealed by another key",
            M::POST,
            &vote_api,
        )
        .who(As::ForgedKey)
        .json(r#"{"winner": "a"}"#)
        .expect(S::NOT_FOUND, Json("not_found")),
        case(
            "a vote with a sealed cookie holding a foreign id",
            M::POST,
            &vote_api,
        )
        .who(As::ForgedId)
        .json(r#"{"winner": "a"}"#)
        .expect(S::NOT_FOUND, Json("not_found")),
        case("a vote with a garbage cookie", M::POST, &vote_api)
            .who(As::Garbage)
            .json(r#"{"winner": "a"}"#)
            .expect(S::NOT_FOUND, Json("not_found")),
        case(
            "a vote by a voter who was not served the battle",
            M::POST,
            &vote_api,
        )
        .who(As::OtherVoter)
        .json(r#"{"winner": "a"}"#)
        .expect(S::NOT_FOUND, Json("not_found")),
        case("a vote sent as text/plain", M::POST, &vote_api)
            .body(r#"{"winner": "a"}"#)
            .header("content-type", "text/plain;charset=UTF-8")
            .expect(S::UNSUPPORTED_MEDIA_TYPE, Json("unsupported_media_type")),
        case(
            "a vote sent as a form to the JSON endpoint",
            M::POST,
            &vote_api,
        )
        .form("winner=a")
        .expect(S::UNSUPPORTED_MEDIA_TYPE, Json("unsupported_media_type")),
        case("a vote for a side that does not exist", M::POST, &vote_api)
            .json(r#"{"winner": "c"}"#)
            .expect(S::UNPROCESSABLE_ENTITY, Json("invalid_winner")),
        case("a vote whose winner is a number", M::POST, &vote_api)
            .json(r#"{"winner": 1}"#)
            .expect(S::BAD_REQUEST, Json("invalid_json")),
        case("a vote without a winner", M::POST, &vote_api)
            .json("{}")
            .expect(S::BAD_REQUEST, Json("invalid_json")),
        case("a 64 KiB vote", M::POST, &vote_api)
            .json(format!("{{\"winner\": \"a\", \"x\": \"{big}\"}}"))
            .expect(S::PAYLOAD_TOO_LARGE, Json("payload_too_large")),
        case("a vote from another site", M::POST, &vote_api)
            .json(r#"{"winner": "a"}"#)
            .header("sec-fetch-site", "cross-site")
            .header("origin", "https://evil.example")
            .expect(S::FORBIDDEN, Json("cross_site_request")),
        case(
            "a replayed vote",
            M::POST,
            format!("/api/v1/battles/{voted}/vote"),
        )
        .json(r#"{"winner": "b"}"#)
        .expect(S::CONFLICT, Json("already_voted")),
        case(
            "a replayed vote through the form",
            M::POST,
            format!("/battles/{voted}/vote"),
        )
        .form("winner=b")
        .expect(S::SEE_OTHER, Redirect),
        case("DELETE on a vote", M::DELETE, &vote_api)
            .expect(S::METHOD_NOT_ALLOWED, Json("method_not_allowed")),
        // Path tricks on battle ids.
        case("a dot-dot battle id", M::POST, "/api/v1/battles/../vote")
            .json(r#"{"winner": "a"}"#)
            .expect(S::BAD_REQUEST, Json("invalid_battle_id")),
        case(
            "a percent-encoded dot-dot battle id",
            M::POST,
            "/api/v1/battles/%2e%2e/vote",
        )
        .json(r#"{"winner": "a"}"#)
        .expect(S::BAD_REQUEST, Json("invalid_battle_id")),
        case(
            "a battle id with an encoded slash",
            M::POST,
            format!("/api/v1/battles/{}%2F{}/vote", &open[..16], &open[16..]),
        )
        .json(r#"{"winner": "a"}"#)
        .expect(S::BAD_REQUEST, Json("invalid_battle_id")),
        case(
            "a battle id with an encoded NUL",
            M::GET,
            format!("/api/v1/battles/{open}%00"),
        )
        .expect(S::BAD_REQUEST, Json("invalid_battle_id")),
        case(
            "an overlong battle id",
            M::GET,
            format!("/api/v1/battles/{}", "a".repeat(4096)),
        )
        .expect(S::BAD_REQUEST, Json("invalid_battle_id")),
        case(
            "a non-hex battle id",
            M::GET,
            format!("/api/v1/battles/{}", "g".repeat(32)),
        )
        .expect(S::BAD_REQUEST, Json("invalid_battle_id")),
        case(
            "an upper-case battle id",
            M::GET,
            format!("/api/v1/battles/{}", open.to_uppercase()),
        )
        .expect(S::BAD_REQUEST, Json("invalid_battle_id")),
        case(
            "a battle id that was never issued",
            M::GET,
            format!("/api/v1/battles/{}", "0".repeat(32)),
        )
        .expect(S::NOT_FOUND, Json("not_found")),
        case(
            "another voter's battle",
            M::GET,
            format!("/api/v1/battles/{open}"),
        )
        .who(As::OtherVoter)
        .expect(S::NOT_FOUND, Json("not_found")),
        case(
            "a battle without a cookie",
            M::GET,
            format!("/api/v1/battles/{open}"),
        )
        .who(As::Nobody)
        .expect(S::NOT_FOUND, Json("not_found")),
        case(
            "another voter's event stream",
            M::GET,
            format!("/api/v1/battles/{open}/events"),
        )
        .who(As::OtherVoter)
        .expect(S::NOT_FOUND, Json("not_found")),
        case(
            "an API path past the vote",
            M::POST,
            format!("{vote_api}/again"),
        )
        .json(r#"{"winner": "a"}"#)
        .expect(S::NOT_FOUND, Json("not_found")),
        case(
            "an unknown API endpoint",
            M::GET,
            "/api/v1/../../etc/passwd",
        )
        .expect(S::NOT_FOUND, Json("not_found")),
        // The pages and their forms.
        case("a form vote without a cookie", M::POST, &vote_form)
            .who(As::Nobody)
            .form("winner=a")
            .expect(S::NOT_FOUND, Page),
        case("a form vote from another site", M::POST, &vote_form)
            .form("winner=a")
            .header("host", "arena.example")
            .header("origin", "http://evil.example")
            .expect(S::FORBIDDEN, Page),
        case(
            "a form vote for a side that does not exist",
            M::POST,
            &vote_form,
        )
        .form("winner=zzz")
        .expect(S::UNPROCESSABLE_ENTITY, Page),
        case("a form vote that is not a form", M::POST, &vote_form)
            .json(r#"{"winner": "a"}"#)
            .expect(S::UNPROCESSABLE_ENTITY, Page),
        case("a 64 KiB form vote", M::POST, &vote_form)
            .form(format!("winner=a&x={big}"))
            .expect(S::PAYLOAD_TOO_LARGE, Page),
        case("the prompt form without a cookie", M::POST, "/battles")
            .who(As::Nobody)
            .form("prompt=a+green+teapot")
            .expect(S::FORBIDDEN, Page),
        case("the prompt form with a forged cookie", M::POST, "/battles")
            .who(As::ForgedKey)
            .form("prompt=a+green+teapot")
            .expect(S::FORBIDDEN, Page),
        case("the prompt form with a bidi override", M::POST, "/battles")
            .form("prompt=a+%E2%80%AEtac+on+a+mat")
            .expect(S::UNPROCESSABLE_ENTITY, Page),
        case("the prompt form with a NUL", M::POST, "/battles")
            .form("prompt=a+cat%00+on+a+mat")
            .expect(S::UNPROCESSABLE_ENTITY, Page),
        case("the prompt form from another site", M::POST, "/battles")
            .form("prompt=a+green+teapot")
            .header("sec-fetch-site", "cross-site")
            .expect(S::FORBIDDEN, Page),
        case("a 64 KiB prompt form", M::POST, "/battles")
            .form(format!("prompt={big}"))
            .expect(S::PAYLOAD_TOO_LARGE, Page),
        case(
            "a battle page without a cookie",
            M::GET,
            format!("/battles/{open}"),
        )
        .who(As::Nobody)
        .expect(S::NOT_FOUND, Page),
        case(
            "another voter's battle page",
            M::GET,
            format!("/battles/{open}"),
        )
        .who(As::OtherVoter)
        .expect(S::NOT_FOUND, Page),
        case("a dot-dot battle page", M::GET, "/battles/%2e%2e").expect(S::BAD_REQUEST, Page),
        case(
            "a path that climbs out of /battles",
            M::GET,
            "/battles/../../etc/passwd",
        )
        .expect(S::NOT_FOUND, Page),
        case(
            "an arena page in an unknown category",
            M::GET,
            "/?category=%00%2e%2e",
        )
        .who(As::Nobody)
        .expect(S::NOT_FOUND, Page),
        case(
            "an image token with a dot-dot",
            M::GET,
            "/images/..%2F..%2Farena.db",
        )
        .expect(S::NOT_FOUND, Json("not_found")),
        case(
            "an image token of the right shape that was never issued",
            M::GET,
            format!("/images/{}", "f".repeat(32)),
        )
        .expect(S::NOT_FOUND, Json("not_found")),
        case(
            "a static file outside the static folder",
            M::GET,
            "/static/..%2F..%2FCargo.toml",
        )
        .expect(S::NOT_FOUND, Page),
        case(
            "a model page with a dot-dot slug",
            M::GET,
            "/models/%2e%2e%2f%2e%2e",
        )
        .expect(S::NOT_FOUND, Page),
        case(
            "a model as JSON that does not exist",
            M::GET,
            "/api/v1/models/nope",
        )
        .expect(S::NOT_FOUND, Json("not_found")),
        case(
            "a leaderboard with an unknown method",
            M::GET,
            "/api/v1/leaderboard?method=evil",
        )
        .expect(S::UNPROCESSABLE_ENTITY, Json("invalid_parameter")),
        // Exports.
        case(
            "an export in an unknown format",
            M::GET,
            "/api/v1/export/votes?format=xml",
        )
        .expect(S::BAD_REQUEST, Json("invalid_format")),
        case(
            "an export since a date that is not one",
            M::GET,
            "/api/v1/export/votes?since=yesterday'--",
        )
        .expect(S::BAD_REQUEST, Json("invalid_since")),
        case(
            "an export with an unknown parameter",
            M::GET,
            "/api/v1/export/votes?drop=vote",
        )
        .expect(S::BAD_REQUEST, Json("invalid_query")),
        // Admin.
        case("the admin queue without the token", M::GET, "/admin/queue")
            .who(As::Nobody)
            .expect(S::UNAUTHORIZED, Page),
        case(
            "the admin queue with a voter cookie and a wrong token",
            M::GET,
            "/api/v1/admin/queue",
        )
        .header("authorization", "Bearer guess")
        .expect(S::UNAUTHORIZED, Json("invalid_admin_token")),
        case(
            "an admin sign-in from another site",
            M::POST,
            "/admin/login",
        )
        .who(As::Nobody)
        .form(format!("token={ADMIN_TOKEN}"))
        .header("sec-fetch-site", "cross-site")
        .expect(S::FORBIDDEN, Page),
        case("a 64 KiB admin sign-in", M::POST, "/admin/login")
            .who(As::Nobody)
            .form(format!("token={big}"))
            .expect(S::PAYLOAD_TOO_LARGE, Page),
        case(
            "an admin sign-in that is not a form",
            M::POST,
            "/admin/login",
        )
        .who(As::Nobody)
        .json(r#"{"token": "x"}"#)
        .expect(S::UNSUPPORTED_MEDIA_TYPE, Page),
        case("a wrong admin token as a bearer", M::GET, "/admin/queue")
            .who(As::Nobody)
            .header("authorization", "Bearer not-the-token")
            .expect(S::UNAUTHORIZED, Page),
        // The operator's review of votes and flags.
        case(
            "the flagged voters without a token",
            M::GET,
            "/api/v1/admin/voters",
        )
        .who(As::Victim)
        .expect(S::UNAUTHORIZED, Json("invalid_admin_token")),
        case("the excluded votes without a token", M::GET, "/admin/votes")
            .who(As::Victim)
            .expect(S::UNAUTHORIZED, Page),
        case(
            "clearing a flag without a token",
            M::POST,
            "/api/v1/admin/flags/1/clear",
        )
        .who(As::Victim)
        .expect(S::UNAUTHORIZED, Json("invalid_admin_token")),
        case(
            "restoring a vote without a token",
            M::POST,
            "/api/v1/admin/votes/00000000000000000000000000000000/restore",
        )
        .who(As::Victim)
        .expect(S::UNAUTHORIZED, Json("invalid_admin_token")),
        case(
            "a scan of the detector without a token",
            M::POST,
            "/api/v1/admin/integrity/scan",
        )
        .who(As::Nobody)
        .expect(S::UNAUTHORIZED, Json("invalid_admin_token")),
        case(
            "the board with exclusions without a token",
            M::GET,
            "/api/v1/leaderboard?exclusions=include",
        )
        .who(As::Victim)
        .expect(S::UNAUTHORIZED, Json("invalid_admin_token")),
        case(
            "a board with an unknown exclusions switch",
            M::GET,
            "/api/v1/leaderboard?exclusions=some",
        )
        .who(As::Victim)
        .expect(S::UNPROCESSABLE_ENTITY, Json("invalid_parameter")),
        // The worker protocol.
        case("a lease without a token", M::POST, "/api/v1/worker/lease")
            .who(As::Nobody)
            .json(r#"{"models": ["demo-faithful"]}"#)
            .expect(S::UNAUTHORIZED, Json("invalid_worker_token")),
        case(
            "a lease with a token no worker has",
            M::POST,
            "/api/v1/worker/lease",
        )
        .who(As::WrongToken)
        .json(r#"{"models": ["demo-faithful"]}"#)
        .expect(S::UNAUTHORIZED, Json("invalid_worker_token")),
        case(
            "a lease with a voter cookie instead of a token",
            M::POST,
            "/api/v1/worker/lease",
        )
        .json(r#"{"models": ["demo-faithful"]}"#)
        .expect(S::UNAUTHORIZED, Json("invalid_worker_token")),
        case("a lease that is not JSON", M::POST, "/api/v1/worker/lease")
            .who(As::Worker)
            .json("models=all")
            .expect(S::BAD_REQUEST, Json("invalid_json")),
        case(
            "a lease whose models are a string",
            M::POST,
            "/api/v1/worker/lease",
        )
        .who(As::Worker)
        .json(r#"{"models": "demo-faithful"}"#)
        .expect(S::BAD_REQUEST, Json("invalid_json")),
        case("a lease for no models", M::POST, "/api/v1/worker/lease")
            .who(As::Worker)
            .json(r#"{"models": []}"#)
            .expect(S::UNPROCESSABLE_ENTITY, Json("no_models")),
        case(
            "a lease for a model that is not registered",
            M::POST,
            "/api/v1/worker/lease",
        )
        .who(As::Worker)
        .json(r#"{"models": ["../../etc/passwd"]}"#)
        .expect(S::UNPROCESSABLE_ENTITY, Json("unknown_model")),
        case("a 64 KiB lease", M::POST, "/api/v1/worker/lease")
            .who(As::Worker)
            .json(format!("{{\"models\": [\"{big}\"]}}"))
            .expect(S::PAYLOAD_TOO_LARGE, Json("payload_too_large")),
        case(
            "a heartbeat for a job that does not exist",
            M::POST,
            "/api/v1/worker/jobs/999999/heartbeat",
        )
        .who(As::Worker)
        .header("arena-lease", GUESSED_LEASE)
        .json(r#"{"step": 1, "steps": 2}"#)
        .expect(S::CONFLICT, Json("lease_lost")),
        case(
            "a heartbeat without the lease it is for",
            M::POST,
            "/api/v1/worker/jobs/1/heartbeat",
        )
        .who(As::Worker)
        .json(r#"{"step": 1, "steps": 2}"#)
        .expect(S::BAD_REQUEST, Json("missing_lease")),
        case(
            "a heartbeat for a job id that is not a number",
            M::POST,
            "/api/v1/worker/jobs/abc/heartbeat",
        )
        .who(As::Worker)
        .json("{}")
        .expect(S::BAD_REQUEST, Json("invalid_request")),
        case(
            "a heartbeat for a job id past i64",
            M::POST,
            "/api/v1/worker/jobs/99999999999999999999/heartbeat",
        )
        .who(As::Worker)
        .json("{}")
        .expect(S::BAD_REQUEST, Json("invalid_request")),
        case(
            "a heartbeat for a dot-dot job id",
            M::POST,
            "/api/v1/worker/jobs/%2e%2e/heartbeat",
        )
        .who(As::Worker)
        .json("{}")
        .expect(S::BAD_REQUEST, Json("invalid_request")),
        case(
            "a heartbeat whose step is a string",
            M::POST,
            "/api/v1/worker/jobs/1/heartbeat",
        )
        .who(As::Worker)
        .header("arena-lease", GUESSED_LEASE)
        .json(r#"{"step": "one"}"#)
        .expect(S::BAD_REQUEST, Json("invalid_json")),
        case(
            "a result for a job that does not exist",
            M::PUT,
            "/api/v1/worker/jobs/999999/result",
        )
        .who(As::Worker)
        .header("arena-lease", GUESSED_LEASE)
        .body(b"\x89PNG\r\n\x1a\nnot really".to_vec())
        .header("content-type", "image/png")
        .expect(S::CONFLICT, Json("lease_lost")),
        case(
            "a result whose parameters are not JSON",
            M::PUT,
            "/api/v1/worker/jobs/1/result",
        )
        .who(As::Worker)
        .header("arena-lease", GUESSED_LEASE)
        .body(b"\x89PNG".to_vec())
        .header("arena-params", "{'seed': 1")
        .expect(S::BAD_REQUEST, Json("invalid_params")),
        case(
            "a result over 64 MiB",
            M::PUT,
            "/api/v1/worker/jobs/1/result",
        )
        .who(As::Worker)
        .body(huge_png)
        .header("content-type", "image/png")
        .expect(S::PAYLOAD_TOO_LARGE, Json("payload_too_large")),
        case(
            "a failure report whose reason is a number",
            M::POST,
            "/api/v1/worker/jobs/1/fail",
        )
        .who(As::Worker)
        .header("arena-lease", GUESSED_LEASE)
        .json(r#"{"reason": 5}"#)
        .expect(S::BAD_REQUEST, Json("invalid_json")),
        case(
            "a failure report for a job that does not exist",
            M::POST,
            "/api/v1/worker/jobs/999999/fail",
        )
        .who(As::Worker)
        .header("arena-lease", GUESSED_LEASE)
        .json(r#"{"reason": "boom", "retryable": false}"#)
        .expect(S::CONFLICT, Json("lease_lost")),
        case(
            "a failure report with a wrong token",
            M::POST,
            "/api/v1/worker/jobs/1/fail",
        )
        .who(As::WrongToken)
        .json(r#"{"reason": "boom"}"#)
        .expect(S::UNAUTHORIZED, Json("invalid_worker_token")),
        case("GET on the lease endpoint", M::GET, "/api/v1/worker/lease")
            .who(As::Worker)
            .expect(S::METHOD_NOT_ALLOWED, Json("method_not_allowed")),
    ]
}

/// A lease nonce nobody was given: the job ids below exist or not, the lease never does.
const GUESSED_LEASE: &str = "0123456789abcdef0123456789abcdef";

async fn hostile_requests_are_refused_cleanly(backend: Backend) {
    let Some(s) = setup(backend).await else {
        return;
    };
    let key = &s.arena.app.cookie_key;
    let victim_cookie = s.victim.cookie.clone().unwrap();
    let other_cookie = s.other.cookie.clone().unwrap();
    let forged_key = sealed_cookie(&Key::generate(), &"ab".repeat(16));
    let forged_id = sealed_cookie(key, "../../../../etc/passwd");
    let garbage = format!(
        "{}=%00%ff';drop table vote;--",
        arena_server::http::VOTER_COOKIE
    );
    let all = cases(&s);
    assert!(all.len() >= 90, "{} cases", all.len());
    let mut failures = Vec::new();
    for c in all {
        let before = table_counts(&s.arena.app.store).await;
        let mut request = Request::builder().method(c.method.clone()).uri(&c.path);
        let cookie = match c.who {
            As::Victim => Some(victim_cookie.clone()),
            As::OtherVoter => Some(other_cookie.clone()),
            As::ForgedKey => Some(forged_key.clone()),
            As::ForgedId => Some(forged_id.clone()),
            As::Garbage => Some(garbage.clone()),
            As::Nobody | As::Worker | As::WrongToken => None,
        };
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        match c.who {
            As::Worker => {
                request =
                    request.header(header::AUTHORIZATION, format!("Bearer {}", s.worker.token))
            }
            As::WrongToken => {
                request = request.header(header::AUTHORIZATION, "Bearer arw_0000000000000000")
            }
            _ => {}
        }
        for (name, value) in &c.headers {
            request = request.header(*name, value);
        }
        let r = send(&s.arena.router, request.body(Body::from(c.body)).unwrap()).await;
        let after = table_counts(&s.arena.app.store).await;
        let problems = check(&r, &c.status, c.shape, &before, &after);
        failures.extend(problems.into_iter().map(|p| format!("{}: {p}", c.what)));
    }
    assert!(
        failures.is_empty(),
        "{} of the hostile cases went wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// What is wrong with the answer to one hostile request (nothing, for a clean refusal).
fn check(
    r: &Response,
    status: &StatusCode,
    shape: Shape,
    before: &BTreeMap<String, i64>,
    after: &BTreeMap<String, i64>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let text = String::from_utf8_lossy(&r.body[..r.body.len().min(4096)]).into_owned();
    if r.status != *status {
        problems.push(format!("status {} instead of {status}: {text}", r.status));
    }
    if r.headers.get(header::SET_COOKIE).is_some() {
        problems.push("a refused request set a cookie".into());
    }
    if let Err(e) = shape_of(r, shape) {
        problems.push(e);
    }
    for leak in LEAKS {
        if text.to_lowercase().contains(&leak.to_lowercase()) {
            problems.push(format!("the answer shows {leak:?}: {text}"));
        }
    }
    if before != after {
        problems.push(format!("the database changed: {before:?} -> {after:?}"));
    }
    problems
}

fn shape_of(r: &Response, shape: Shape) -> Result<(), String> {
    let content_type = r
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match shape {
        Shape::Json(code) => {
            if !content_type.starts_with("application/json") {
                return Err(format!("not JSON ({content_type}): {}", r.text()));
            }
            let body: serde_json::Value =
                serde_json::from_slice(&r.body).map_err(|e| format!("bad JSON: {e}"))?;
            if !body["error"]["message"].is_string() {
                return Err(format!("no error message: {body}"));
            }
            if body["error"]["code"] != code {
                return Err(format!("code {} instead of {code}", body["error"]["code"]));
            }
        }
        Shape::Page => {
            if !content_type.starts_with("text/html") {
                return Err(format!("not a page ({content_type}): {}", r.text()));
            }
            if !r.text().contains("<main class=\"message error\">") {
                return Err("not an error page".into());
            }
        }
        Shape::Redirect => {
            if !r.headers.contains_key(header::LOCATION) {
                return Err("a redirect without a location".into());
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn hostile_requests_get_a_clear_4xx_leak_nothing_and_change_nothing_on_sqlite() {
    hostile_requests_are_refused_cleanly(Backend::Sqlite).await;
}

#[tokio::test]
async fn hostile_requests_get_a_clear_4xx_leak_nothing_and_change_nothing_on_postgres() {
    hostile_requests_are_refused_cleanly(Backend::Postgres).await;
}

async fn a_vote_without_a_cookie_sets_none_and_stores_nothing(backend: Backend) {
    let Some(s) = setup(backend).await else {
        return;
    };
    let votes = s.arena.app.store.vote_count().await.unwrap();
    let mut stranger = Client::new(s.arena.router.clone());
    let r = stranger.vote(&s.open_battle, "a").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    assert!(r.headers.get(header::SET_COOKIE).is_none());
    assert!(stranger.cookie.is_none());
    let r = stranger.get(&format!("/battles/{}", s.open_battle)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.headers.get(header::SET_COOKIE).is_none());
    assert_eq!(s.arena.app.store.vote_count().await.unwrap(), votes);
    // The battle is still the victim's to vote on.
    let mut victim = s.victim.clone();
    assert_eq!(
        victim.vote(&s.open_battle, "b").await.status,
        StatusCode::OK
    );
    // A page view and a battle request are what issue a cookie.
    let mut newcomer = Client::new(s.arena.router.clone());
    let page = newcomer.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(newcomer.cookie.is_some(), "GET / issues the voter cookie");
    let mut api = Client::new(s.arena.router.clone());
    api.new_battle().await;
    assert!(
        api.cookie.is_some(),
        "POST /api/v1/battles issues the voter cookie"
    );
}

#[tokio::test]
async fn a_vote_without_a_cookie_sets_none_and_stores_nothing_on_sqlite() {
    a_vote_without_a_cookie_sets_none_and_stores_nothing(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_vote_without_a_cookie_sets_none_and_stores_nothing_on_postgres() {
    a_vote_without_a_cookie_sets_none_and_stores_nothing(Backend::Postgres).await;
}

async fn a_cross_site_post_to_battles_is_refused_and_keeps_the_victims_cookie(backend: Backend) {
    let Some(s) = setup(backend).await else {
        return;
    };
    let cookie = s.victim.cookie.clone().unwrap();
    let battles = table_counts(&s.arena.app.store).await["battle"];
    // What a browser sends for another site's form or fetch: SameSite=Lax keeps the
    // cookie back on a cross-site POST, which used to mint a new one over the victim's.
    for headers in [
        vec![
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ],
        vec![("origin", "https://evil.example")],
        vec![("sec-fetch-site", "same-site")],
    ] {
        let mut request = Request::post("/api/v1/battles")
            .header(header::HOST, "arena.example")
            .header(header::CONTENT_TYPE, "application/json");
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        let r = send(&s.arena.router, request.body(Body::from("{}")).unwrap()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{headers:?}");
        assert_eq!(r.error_code(), "cross_site_request");
        assert!(
            r.headers.get(header::SET_COOKIE).is_none(),
            "{headers:?}: the victim's cookie would be replaced"
        );
    }
    assert_eq!(table_counts(&s.arena.app.store).await["battle"], battles);
    // The victim's own requests from the arena's pages still work.
    let mut victim = s.victim.clone();
    let same_origin = send(
        &s.arena.router,
        Request::post("/api/v1/battles")
            .header(header::HOST, "arena.example")
            .header("origin", "http://arena.example")
            .header("sec-fetch-site", "same-origin")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::COOKIE, &cookie)
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_eq!(
        same_origin.status,
        StatusCode::CREATED,
        "{}",
        same_origin.text()
    );
    assert!(same_origin.headers.get(header::SET_COOKIE).is_none());
    let id = same_origin.json()["id"].as_str().unwrap().to_string();
    assert_eq!(victim.vote(&id, "tie").await.status, StatusCode::OK);
    assert_eq!(victim.cookie.as_deref(), Some(cookie.as_str()));
}

#[tokio::test]
async fn a_cross_site_post_to_battles_is_refused_and_keeps_the_victims_cookie_on_sqlite() {
    a_cross_site_post_to_battles_is_refused_and_keeps_the_victims_cookie(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_cross_site_post_to_battles_is_refused_and_keeps_the_victims_cookie_on_postgres() {
    a_cross_site_post_to_battles_is_refused_and_keeps_the_victims_cookie(Backend::Postgres).await;
}

async fn an_expired_battle_cannot_be_voted_and_nothing_is_stored(backend: Backend) {
    let Some(s) = setup(backend).await else {
        return;
    };
    let (_, strict) = s.arena.sibling(Duration::ZERO).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let before = table_counts(&s.arena.app.store).await;
    let mut late = Client::new(strict);
    late.cookie = s.victim.cookie.clone();
    let r = late.vote(&s.open_battle, "a").await;
    assert_eq!(
        (r.status, r.error_code().as_str()),
        (StatusCode::GONE, "battle_expired")
    );
    assert!(r.headers.get(header::SET_COOKIE).is_none());
    assert_eq!(table_counts(&s.arena.app.store).await, before);
}

#[tokio::test]
async fn an_expired_battle_cannot_be_voted_and_nothing_is_stored_on_sqlite() {
    an_expired_battle_cannot_be_voted_and_nothing_is_stored(Backend::Sqlite).await;
}

#[tokio::test]
async fn an_expired_battle_cannot_be_voted_and_nothing_is_stored_on_postgres() {
    an_expired_battle_cannot_be_voted_and_nothing_is_stored(Backend::Postgres).await;
}

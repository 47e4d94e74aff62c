//! The published API description, `GET /api/v1/openapi.json`: an OpenAPI 3.1 document
//! that holds every JSON route the server registers, with its method; whose every
//! operation is answered by its handler; and whose schemas the real responses match.
//!
//! The routes the server registers are read from the sources of `server/src/http/`
//! (each `.route("/api/v1/…", method(…))`, and each `routes!(handler)` with the path
//! and method of the handler's `#[utoipa::path]`), so a route added either way is
//! checked without anyone listing it here.

mod common;
mod queue_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use arena_server::config::{FileConfig, QueueConfig};
use arena_server::generation::queue;
use arena_server::store::NewPrompt;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::support::{demo_slugs, png_with_metadata};
use common::{Backend, Client, Response, TestArena, send};
use queue_support::{ADMIN_TOKEN, TestWorker};
use serde_json::{Value, json};

/// The catch-all that answers unknown API paths: registered, but not an operation.
const FALLBACK: (&str, &str) = ("any", "/api/v1/{*rest}");

/// What the fallback says (and the router's own 404 for unknown paths).
const FALLBACK_MESSAGE: &str = "No such API endpoint.";

/// An arena with the demo models, three prompts with their images, an admin token.
async fn arena() -> TestArena {
    let file = FileConfig {
        admin_token: Some(ADMIN_TOKEN.into()),
        queue: QueueConfig {
            pool_images: 1,
            ..QueueConfig::default()
        },
        ..FileConfig::default()
    };
    TestArena::with_pool(Backend::Sqlite, file)
        .await
        .expect("SQLite is always there")
}

/// The document as the server serves it.
async fn document(arena: &TestArena) -> Value {
    let r = arena.client().get("/api/v1/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/json");
    r.json()
}

/// `(method, path)` of every operation in the document, methods lowercase.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

#[tokio::test]
async fn the_document_is_openapi_3_1_with_the_arenas_version() {
    let arena = arena().await;
    let doc = document(&arena).await;

    // An independent parser reads it as OpenAPI 3.1.
    let text = doc.to_string();
    let spec = oas3::from_json(&text).expect("an OpenAPI 3.1 document");
    let version = spec.validate_version().expect("a supported version");
    assert_eq!((version.major, version.minor), (3, 1), "{version}");
    assert_eq!(spec.info.title, "Arena");
    assert_eq!(spec.info.version, env!("CARGO_PKG_VERSION"));
    assert!(
        spec.info
            .description
            .as_deref()
            .is_some_and(|d| !d.is_empty())
    );
    // Every operation, as that parser sees them, with its responses resolved.
    let operations: Vec<_> = spec.operations().collect();
    assert_eq!(operations.len(), documented(&doc).len());
    for (path, method, operation) in &operations {
        let declared = operation.responses.as_ref().map_or(0, |r| r.len());
        assert!(declared > 0, "{method} {path} has no responses");
        assert_eq!(
            operation.responses(&spec).len(),
            declared,
            "{method} {path}: a response reference does not resolve"
        );
        operation
            .parameters(&spec)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    }

    // Its structure: paths, schemas, the error responses and the security schemes.
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."));
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in ["ServedBattle", "BattleView", "Reveal", "Board", "ErrorBody"] {
        assert!(schemas.contains_key(name), "no schema {name}");
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["voter_cookie"]["in"], "cookie");
    assert_eq!(
        schemes["voter_cookie"]["name"],
        arena_server::http::VOTER_COOKIE
    );
    for bearer in ["worker_token", "admin_token"] {
        assert_eq!(schemes[bearer]["scheme"], "bearer", "{bearer}");
    }

    // Every reference points at something, and every security requirement at a scheme.
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    assert!(refs.len() > 50, "{} references", refs.len());
    for r in refs {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{r}"));
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    for (method, path) in documented(&doc) {
        let operation = &doc["paths"][&path][&method];
        for requirement in operation["security"].as_array().into_iter().flatten() {
            for scheme in requirement.as_object().unwrap().keys() {
                assert!(schemes.get(scheme).is_some(), "{method} {path}: {scheme}");
            }
        }
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(r)) => out.push(r.clone()),
                    _ => collect_refs(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_api_route_the_server_registers_is_documented_with_its_method() {
    let arena = arena().await;
    let doc = document(&arena).await;
    let mut registered = registered_api_routes();
    assert!(
        registered.remove(&(FALLBACK.0.to_string(), FALLBACK.1.to_string())),
        "the fallback for unknown API paths moved: {registered:?}"
    );
    // Enough to know the reading of the sources works (it found the voting API).
    assert!(registered.contains(&("post".into(), "/api/v1/battles/{id}/vote".into())));
    let documented = documented(&doc);
    let undocumented: Vec<_> = registered.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "registered but not in the document (register JSON routes with `routes!` and \
         `#[utoipa::path]`): {undocumented:?}"
    );
    let unregistered: Vec<_> = documented.difference(&registered).collect();
    assert!(
        unregistered.is_empty(),
        "documented but not registered: {unregistered:?}"
    );
}

#[tokio::test]
async fn every_documented_operation_is_answered_by_its_handler() {
    let arena = arena().await;
    let doc = document(&arena).await;
    for (method, path) in documented(&doc) {
        let operation = &doc["paths"][&path][&method];
        let uri = example_uri(&path, operation);
        let request = Request::builder()
            .method(method.to_uppercase().as_str())
            .uri(&uri)
            .body(Body::empty())
            .unwrap();
        let r = send(&arena.router, request).await;
        let is_fallback =
            r.status == StatusCode::NOT_FOUND && r.json()["error"]["message"] == FALLBACK_MESSAGE;
        assert!(
            !is_fallback && r.status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}: {} {}",
            r.status,
            r.text()
        );
        // And what it said is one of the answers documented for it.
        let status = r.status.as_u16().to_string();
        assert!(
            operation["responses"].get(&status).is_some(),
            "{method} {uri} answered {status}, which is not documented: {}",
            r.text()
        );
    }
}

/// `path` with each path parameter replaced by a well-formed value of its schema.
fn example_uri(path: &str, operation: &Value) -> String {
    let mut uri = path.to_string();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        if parameter["in"] != "path" {
            continue;
        }
        let name = parameter["name"].as_str().unwrap();
        let value = match parameter["schema"]["type"].as_str() {
            Some("integer") => "1",
            _ => "0123456789abcdef0123456789abcdef",
        };
        uri = uri.replace(&format!("{{{name}}}"), value);
    }
    assert!(
        !uri.contains('{'),
        "an undocumented path parameter in {path}"
    );
    uri
}

/// Checks a response against the document: its status is documented for the
/// operation, its content type is one the operation names, and a JSON body is valid
/// against the schema documented for that status (with no property the schema does
/// not name). Returns the body as JSON (`Null` for other content types).
fn check(doc: &Value, method: &str, path: &str, r: &Response) -> Value {
    let status = r.status.as_u16().to_string();
    let base = format!("/paths/{}/{method}/responses/{status}", escape(path));
    let mut response = doc
        .pointer(&base)
        .unwrap_or_else(|| panic!("{method} {path}: {status} is not documented: {}", r.text()));
    let mut pointer = base;
    if let Some(reference) = response["$ref"].as_str() {
        pointer = reference.trim_start_matches('#').to_string();
        response = doc.pointer(&pointer).unwrap();
    }
    let content_type = r.headers[header::CONTENT_TYPE].to_str().unwrap();
    let mime = content_type.split(';').next().unwrap().trim();
    let content = response["content"].as_object().expect("documented content");
    assert!(
        content.contains_key(mime),
        "{method} {path} {status}: {mime} is not among {:?}",
        content.keys().collect::<Vec<_>>()
    );
    if mime != "application/json" || content[mime].get("schema").is_none() {
        return Value::Null;
    }
    let body = r.json();
    let schema = format!("#{pointer}/content/{}/schema", escape(mime));
    validate(doc, &schema, &body, &format!("{method} {path} {status}"));
    body
}

/// Validates `instance` against the schema at `pointer` in `doc` (see [`schema_errors`]).
fn validate(doc: &Value, pointer: &str, instance: &Value, what: &str) {
    let errors = schema_errors(doc, pointer, instance);
    assert!(
        errors.is_empty(),
        "{what}: the body does not match its schema:\n{}\n{instance:#}",
        errors.join("\n")
    );
}

/// How `instance` differs from the schema at `pointer` in `doc` (JSON Schema
/// 2020-12, which OpenAPI 3.1 schemas are), strictly: objects may carry only the
/// properties their schema names.
fn schema_errors(doc: &Value, pointer: &str, instance: &Value) -> Vec<String> {
    let mut root = strict(doc);
    let root_object = root.as_object_mut().unwrap();
    // A URI fragment: path templates' braces are percent-encoded.
    let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
    root_object.insert("$ref".into(), json!(fragment));
    root_object.insert("unevaluatedProperties".into(), json!(false));
    let validator = jsonschema::draft202012::new(&root)
        .unwrap_or_else(|e| panic!("the schema at {pointer} does not compile: {e}"));
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// The document with `unevaluatedProperties: false` on each component schema that
/// names properties, except those another schema extends through `allOf` (which see
/// only their own properties; the schema that extends them is made strict instead).
fn strict(doc: &Value) -> Value {
    let mut doc = doc.clone();
    let mut extended = Vec::new();
    let schemas = doc["components"]["schemas"].as_object_mut().unwrap();
    for schema in schemas.values() {
        let parts = schema["allOf"].as_array().into_iter().flatten();
        extended.extend(parts.filter_map(|part| part["$ref"].as_str().map(String::from)));
    }
    for (name, schema) in schemas.iter_mut() {
        let reference = format!("#/components/schemas/{name}");
        let has_properties = schema.get("properties").is_some() || schema.get("allOf").is_some();
        if has_properties && !extended.contains(&reference) {
            schema["unevaluatedProperties"] = json!(false);
        }
    }
    doc
}

/// A JSON pointer token.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[tokio::test]
async fn responses_match_their_documented_schemas() {
    let arena = arena().await;
    let doc = document(&arena).await;
    let doc = &doc;

    // The voting API: a battle, its view, its events, the vote, a second vote.
    let mut voter = arena.client();
    let created = voter
        .post_json("/api/v1/battles", json!({ "category": "animals" }))
        .await;
    let battle = check(doc, "post", "/api/v1/battles", &created);
    assert!(created.headers.contains_key(header::SET_COOKIE));
    let id = battle["id"].as_str().unwrap().to_string();
    let seen = voter.get(&format!("/api/v1/battles/{id}")).await;
    check(doc, "get", "/api/v1/battles/{id}", &seen);
    let events = voter.get(&format!("/api/v1/battles/{id}/events")).await;
    check(doc, "get", "/api/v1/battles/{id}/events", &events);
    let data = events
        .text()
        .lines()
        .find_map(|l| l.strip_prefix("data:").map(|d| d.trim().to_string()))
        .expect("an event");
    let events_pointer = "#/components/schemas/ServedBattle";
    validate(
        doc,
        events_pointer,
        &serde_json::from_str(&data).unwrap(),
        "event",
    );
    voter.look_at(&battle).await;
    let reveal = voter.vote(&id, "a").await;
    check(doc, "post", "/api/v1/battles/{id}/vote", &reveal);
    let again = voter.vote(&id, "b").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    check(doc, "post", "/api/v1/battles/{id}/vote", &again);
    let voted = voter.get(&format!("/api/v1/battles/{id}")).await;
    assert!(check(doc, "get", "/api/v1/battles/{id}", &voted)["reveal"].is_object());
    let unknown = voter.get("/api/v1/battles/nope").await;
    check(doc, "get", "/api/v1/battles/{id}", &unknown);

    // Models and rankings.
    let models = voter.get("/api/v1/models").await;
    let slug = check(doc, "get", "/api/v1/models", &models)["models"][0]["slug"]
        .as_str()
        .unwrap()
        .to_string();
    let model = voter.get(&format!("/api/v1/models/{slug}")).await;
    check(doc, "get", "/api/v1/models/{slug}", &model);
    for query in [
        "",
        "?method=elo",
        "?ci=bootstrap&both_bad=exclude",
        "?method=nope",
    ] {
        let board = voter.get(&format!("/api/v1/leaderboard{query}")).await;
        check(doc, "get", "/api/v1/leaderboard", &board);
    }
    let card = voter.get("/api/v1/export/card?format=csv").await;
    check(doc, "get", "/api/v1/export/card", &card);
    for format in ["jsonl", "csv", "parquet", "fastchat", "genai-bench", "xml"] {
        let export = voter
            .get(&format!("/api/v1/export/votes?format={format}"))
            .await;
        check(doc, "get", "/api/v1/export/votes", &export);
    }

    // The worker protocol: an empty lease, then a job leased, drawn and uploaded, and
    // another given up.
    let worker = TestWorker::add(&arena, "gpu-1").await;
    let lease = |models: Vec<&str>| json!({ "models": models, "wait_secs": 0 });
    let empty = worker
        .post("/api/v1/worker/lease", lease(demo_slugs()))
        .await;
    check(doc, "post", "/api/v1/worker/lease", &empty);
    let new_prompt = NewPrompt {
        text: "a paper boat on a puddle".into(),
        category: "objects".into(),
        source: "test".into(),
    };
    arena.app.store.import_prompts(&[new_prompt]).await.unwrap();
    assert!(queue::refill_pool(&arena.app).await.unwrap() >= 2);
    let mut jobs = Vec::new();
    for _ in 0..2 {
        let leased = worker
            .post("/api/v1/worker/lease", lease(demo_slugs()))
            .await;
        let job = check(doc, "post", "/api/v1/worker/lease", &leased)["job"].clone();
        jobs.push((
            job["id"].as_i64().unwrap(),
            job["lease"].as_str().unwrap().to_string(),
        ));
    }
    let (done, done_lease) = &jobs[0];
    let beat = json!({ "step": 1, "steps": 4 });
    let beat = worker
        .post_as(*done, "heartbeat", Some(done_lease), beat)
        .await;
    check(doc, "post", "/api/v1/worker/jobs/{id}/heartbeat", &beat);
    let uploaded = worker
        .result_as(*done, Some(done_lease), png_with_metadata(64, 64))
        .await;
    check(doc, "put", "/api/v1/worker/jobs/{id}/result", &uploaded);
    let late = worker
        .post_as(*done, "heartbeat", Some(done_lease), json!({}))
        .await;
    assert_eq!(late.status, StatusCode::CONFLICT);
    check(doc, "post", "/api/v1/worker/jobs/{id}/heartbeat", &late);
    let (failed, failed_lease) = &jobs[1];
    let reason = json!({ "reason": "out of memory", "retryable": false });
    let failure = worker
        .post_as(*failed, "fail", Some(failed_lease), reason)
        .await;
    check(doc, "post", "/api/v1/worker/jobs/{id}/fail", &failure);

    // The operator's routes.
    let admin = |method: Method, uri: &str| {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
            .body(Body::empty())
            .unwrap();
        send(&arena.router, request)
    };
    for path in [
        "/api/v1/admin/queue",
        "/api/v1/admin/voters",
        "/api/v1/admin/votes",
        "/api/v1/admin/audit",
    ] {
        check(doc, "get", path, &admin(Method::GET, path).await);
    }
    let scan = admin(Method::POST, "/api/v1/admin/integrity/scan").await;
    check(doc, "post", "/api/v1/admin/integrity/scan", &scan);
    for action in ["exclude", "restore", "restore"] {
        let path = format!("/api/v1/admin/votes/{{battle}}/{action}");
        let r = admin(Method::POST, &path.replace("{battle}", &id)).await;
        check(doc, "post", &path, &r);
    }
    let cleared = admin(Method::POST, "/api/v1/admin/flags/1/clear").await;
    assert_eq!(cleared.status, StatusCode::NOT_FOUND);
    check(doc, "post", "/api/v1/admin/flags/{id}/clear", &cleared);
    let board = admin(Method::GET, "/api/v1/leaderboard?exclusions=include").await;
    check(doc, "get", "/api/v1/leaderboard", &board);
    let stranger = Client::new(arena.router.clone())
        .get("/api/v1/admin/queue")
        .await;
    check(doc, "get", "/api/v1/admin/queue", &stranger);
}

#[tokio::test]
async fn the_schema_check_refuses_bodies_that_differ_from_the_document() {
    let arena = arena().await;
    let doc = document(&arena).await;
    let view = json!({
        "id": "0123456789abcdef0123456789abcdef", "prompt": "a cat", "category": "animals",
        "status": "voted", "images": { "a": "/images/x", "b": "/images/y" },
        "questions": [
            { "name": "overall", "question": "Which image is better?", "label": "Overall" },
        ],
        "reveal": {
            "battle_id": "0123456789abcdef0123456789abcdef", "winner": "a",
            "model_a": "m", "model_b": "n", "model_a_name": "M", "model_b_name": "N",
        },
    });
    let pointer = "#/components/schemas/BattleView";
    assert_eq!(schema_errors(&doc, pointer, &view), Vec::<String>::new());
    let changes: [(&str, Value); 6] = [
        ("/status", json!("lost")),
        ("/prompt", json!(7)),
        ("/images/e", json!("/images/z")),
        ("/reveal/winner", json!("left")),
        ("/reveal/model_e", json!("o")),
        ("/extra", json!(true)),
    ];
    for (at, value) in changes {
        let mut bad = view.clone();
        let (parent, key) = at.rsplit_once('/').unwrap();
        bad.pointer_mut(parent).unwrap()[key] = value;
        assert!(
            !schema_errors(&doc, pointer, &bad).is_empty(),
            "{at} passed"
        );
    }
    // A battle of four images, voted best and worst, is what the document says.
    let mut four = view.clone();
    four["images"]["c"] = json!("/images/z");
    four["images"]["d"] = json!("/images/w");
    let reveal = four["reveal"].as_object_mut().unwrap();
    reveal.remove("winner");
    for (key, value) in [
        ("best", "c"),
        ("worst", "a"),
        ("model_c", "o"),
        ("model_c_name", "O"),
        ("model_d", "p"),
        ("model_d_name", "P"),
    ] {
        reveal.insert(key.into(), json!(value));
    }
    assert_eq!(schema_errors(&doc, pointer, &four), Vec::<String>::new());
    let mut missing = view.clone();
    missing["reveal"].as_object_mut().unwrap().remove("model_b");
    assert!(!schema_errors(&doc, pointer, &missing).is_empty());
}

/// `(method, path)` of every route under `/api/v1/` that the modules of
/// `server/src/http/` register, read from their sources.
fn registered_api_routes() -> BTreeSet<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut routes = BTreeSet::new();
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).unwrap();
            let module = |name: &str| std::fs::read_to_string(dir.join(format!("{name}.rs")));
            let found = routes_in(&source, &|name| module(name).unwrap());
            files += usize::from(!found.is_empty());
            routes.extend(found.into_iter().filter(|(_, p)| p.starts_with("/api/v1/")));
        }
    }
    assert!(
        files >= 6,
        "routes found in {files} files of {}",
        dir.display()
    );
    routes
}

/// The `(method, path)` pairs a module's source registers: `.route(PATH, get(…)…)`,
/// `.route_service`/`.nest` on a path (any method), and `routes!(handler, …)` with
/// the method and path of each handler's `#[utoipa::path(...)]` (a `module::handler`
/// is looked for in the source `module` returns).
fn routes_in(source: &str, module: &dyn Fn(&str) -> String) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (call, any) in [
        (".route(", false),
        (".route_service(", true),
        (".nest(", true),
    ] {
        for (at, _) in source.match_indices(call) {
            let args = balanced(&source[at + call.len() - 1..]);
            // A path this reader cannot see (a constant, a variable) would escape the
            // check: routes are registered with literal paths.
            assert!(
                args[1..].trim_start().starts_with('"'),
                "a route whose path is not a string literal: {call}{args}"
            );
            let path = first_string(args).unwrap();
            if any {
                out.push(("any".to_string(), path));
                continue;
            }
            let methods = method_calls(args);
            assert!(!methods.is_empty(), "no method in {args}");
            out.extend(methods.into_iter().map(|m| (m, path.clone())));
        }
    }
    for (at, _) in source.match_indices("routes!(") {
        let args = balanced(&source[at + "routes!".len()..]);
        for handler in args.trim_matches(|c| c == '(' || c == ')').split(',') {
            let mut segments: Vec<&str> = handler.trim().split("::").collect();
            let name = segments.pop().unwrap();
            if name.is_empty() {
                continue;
            }
            match segments.last() {
                Some(&m) if !["self", "super", "crate"].contains(&m) => {
                    out.push(annotated_route(&module(m), name));
                }
                _ => out.push(annotated_route(source, name)),
            }
        }
    }
    out
}

/// The method and path of `handler`'s `#[utoipa::path(...)]`.
fn annotated_route(source: &str, handler: &str) -> (String, String) {
    let defined = source
        .find(&format!("async fn {handler}("))
        .unwrap_or_else(|| panic!("no handler {handler}"));
    let attribute = source[..defined]
        .rfind("#[utoipa::path(")
        .unwrap_or_else(|| panic!("{handler} has no #[utoipa::path]"));
    let args = balanced(&source[attribute + "#[utoipa::path".len()..]);
    let between = &source[attribute + "#[utoipa::path".len() + args.len()..defined];
    assert!(
        !between.contains(" fn "),
        "the #[utoipa::path] before {handler} belongs to another function"
    );
    let method = args[1..]
        .split(|c: char| c == ',' || c.is_whitespace())
        .find(|w| !w.is_empty())
        .unwrap()
        .to_string();
    let at = args.find("path = ").expect("a path") + "path = ".len();
    let path = first_string(&args[at..]).expect("a path");
    (method, path)
}

/// The method routers named in a `.route(…)` call's arguments: `get(h)`,
/// `post(h).layer(…)`, `get(h).post(g)`, `axum::routing::any(h)`.
fn method_calls(args: &str) -> Vec<String> {
    const METHODS: [&str; 6] = ["get", "post", "put", "delete", "patch", "any"];
    let mut out = Vec::new();
    for method in METHODS {
        for (at, _) in args.match_indices(&format!("{method}(")) {
            let before = args[..at].chars().next_back();
            if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
                out.push(method.to_string());
            }
        }
    }
    out
}

/// `text` from its first `(` up to the matching `)`, both included.
fn balanced(text: &str) -> &str {
    let start = text.find('(').expect("an opening parenthesis");
    let mut depth = 0;
    let mut in_string = false;
    let mut previous = ' ';
    for (i, c) in text[start..].char_indices() {
        match c {
            '"' if previous != '\\' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return &text[start..=start + i];
                }
            }
            _ => {}
        }
        previous = c;
    }
    panic!("unbalanced parentheses in {text:.80}")
}

/// The first string literal in `text`.
fn first_string(text: &str) -> Option<String> {
    let start = text.find('"')? + 1;
    let end = start + text[start..].find('"')?;
    Some(text[start..end].to_string())
}

#[test]
fn the_route_reader_finds_routes_however_they_are_written() {
    let source = r#"
        pub fn router() -> OpenApiRouter<AppState> {
            OpenApiRouter::new()
                .route("/page", get(page))
                .route(
                    "/api/v1/export/votes",
                    get(export).layer(Extension(slots)),
                )
                .route("/admin/login", get(form).post(login))
                .routes(routes!(create, self::show))
                .routes(routes!(elsewhere::listed))
                .route("/api/v1/{*rest}", axum::routing::any(unknown))
        }

        /// Creates (a comment with "quotes" and (parentheses)).
        #[utoipa::path(post, path = "/api/v1/things", responses((status = 201)))]
        async fn create() {}

        #[utoipa::path(
            get,
            path = "/api/v1/things/{id}",
        )]
        async fn show() {}
    "#;
    let elsewhere = |module: &str| {
        assert_eq!(module, "elsewhere");
        "#[utoipa::path(get, path = \"/api/v1/list\")]\npub async fn listed() {}".to_string()
    };
    let found: BTreeMap<String, Vec<String>> = routes_in(source, &elsewhere).into_iter().fold(
        BTreeMap::new(),
        |mut map, (method, path)| {
            map.entry(path).or_default().push(method);
            map
        },
    );
    let expected: BTreeMap<String, Vec<String>> = [
        ("/page", vec!["get"]),
        ("/api/v1/export/votes", vec!["get"]),
        ("/admin/login", vec!["get", "post"]),
        ("/api/v1/things", vec!["post"]),
        ("/api/v1/things/{id}", vec!["get"]),
        ("/api/v1/list", vec!["get"]),
        ("/api/v1/{*rest}", vec!["any"]),
    ]
    .into_iter()
    .map(|(p, m)| (p.to_string(), m.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(found, expected);
}

//! The pages under their Content-Security-Policy in a real headless Chromium: the
//! battle page still votes (keyboard, buttons and the plain form) and reveals, and no
//! page raises a `securitypolicyviolation`. Screenshots of the battle and the
//! leaderboard at 1280 and 390 pixels wide land in `$TMPDIR/arena-screenshots`
//! (outside the repository).

use std::path::PathBuf;

use fantoccini::{Client, Locator};

use crate::arena::ArenaProcess;
use crate::browser::{BOTH_IMAGES_SHOWN, browser, click, vote_a_with_the_keyboard, wait_for};
use crate::support;

/// Starts collecting CSP violations: those reported since the page loaded (the
/// Reporting API buffers them) and every later one.
const WATCH: &str = r#"
    window.__csp = window.__csp || [];
    const seen = (r) => window.__csp.push(r.body ? r.body.blockedURL + " " + r.body.effectiveDirective : String(r));
    if (!window.__cspObserver && window.ReportingObserver) {
        window.__cspObserver = new ReportingObserver((reports) => reports.forEach(seen), { types: ["csp-violation"], buffered: true });
        window.__cspObserver.observe();
        document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.blockedURI + " " + e.violatedDirective));
    }
    return !!window.ReportingObserver;
"#;

/// The violations seen on this page so far.
const VIOLATIONS: &str = r#"
    if (window.__cspObserver) window.__cspObserver.takeRecords().forEach((r) => window.__csp.push(r.body.blockedURL + " " + r.body.effectiveDirective));
    return (window.__csp || []).slice();
"#;

async fn watch(client: &Client) {
    let supported = client.execute(WATCH, vec![]).await.unwrap();
    assert_eq!(
        supported,
        serde_json::Value::Bool(true),
        "no ReportingObserver"
    );
}

async fn violations(client: &Client) -> Vec<String> {
    // Reports are delivered asynchronously; give the browser a moment.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let value = client.execute(VIOLATIONS, vec![]).await.unwrap();
    serde_json::from_value(value).unwrap()
}

fn shots_dir() -> PathBuf {
    let dir = std::env::temp_dir().join("arena-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(client: &Client, width: u32, name: &str) {
    client.set_window_size(width, 900).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let png = client.screenshot().await.unwrap();
    let path = shots_dir().join(format!("{name}-{width}.png"));
    std::fs::write(&path, png).unwrap();
    eprintln!("screenshot: {}", path.display());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_battle_page_votes_and_reveals_under_the_csp_without_a_violation() {
    let dir = support::temp_dir("arena-browser-csp");
    let Some((url, _db)) = support::database(support::Backend::Sqlite, &dir).await else {
        return;
    };
    let Some((_driver, client)) = browser().await else {
        return;
    };
    let arena = ArenaProcess::start(&url, &dir).await;
    let mut all = Vec::new();

    // The keyboard vote and the in-place reveal (arena.js under script-src 'self').
    client.goto(&format!("{}/", arena.base)).await.unwrap();
    watch(&client).await;
    wait_for(&client, "both images", BOTH_IMAGES_SHOWN).await;
    shot(&client, 1280, "battle").await;
    shot(&client, 390, "battle").await;
    client.set_window_size(1280, 1000).await.unwrap();
    let (a, b) = vote_a_with_the_keyboard(&client).await;
    assert!(!a.is_empty() && !b.is_empty() && a != b, "{a:?} / {b:?}");
    shot(&client, 1280, "reveal").await;
    all.extend(violations(&client).await);

    // A vote with the buttons on the next battle.
    click(&client, Locator::Id("next")).await;
    watch(&client).await;
    wait_for(&client, "both images of the next battle", BOTH_IMAGES_SHOWN).await;
    click(&client, Locator::Id("vote-b")).await;
    wait_for(
        &client,
        "the reveal after a button vote",
        "return !document.getElementById('reveal').hidden && document.getElementById('reveal-b').textContent.length > 0;",
    )
    .await;
    assert_eq!(
        client
            .find(Locator::Id("reveal-winner"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "B is better"
    );
    all.extend(violations(&client).await);

    // The no-JavaScript vote: the browser posts the form itself (with its own
    // `Origin` and `Sec-Fetch-Site`, which the cross-site check must let through) and
    // follows the redirect to the reveal.
    client.goto(&format!("{}/", arena.base)).await.unwrap();
    wait_for(&client, "both images of a third battle", BOTH_IMAGES_SHOWN).await;
    client
        .execute(
            "const f = document.getElementById('vote-form'); const i = document.createElement('input'); \
             i.type = 'hidden'; i.name = 'winner'; i.value = 'tie'; f.appendChild(i); f.submit(); return true;",
            vec![],
        )
        .await
        .unwrap();
    wait_for(
        &client,
        "the reveal page after a form post",
        "const w = document.getElementById('reveal-winner'); return !!w && w.textContent === 'A tie' \
         && !document.getElementById('reveal').hidden;",
    )
    .await;
    watch(&client).await;
    all.extend(violations(&client).await);

    // The other pages: leaderboard (SVG charts), a model page (<meter> bars), the rest.
    client
        .goto(&format!("{}/leaderboard", arena.base))
        .await
        .unwrap();
    watch(&client).await;
    wait_for(
        &client,
        "the ranking",
        "return document.querySelectorAll('#ranking tbody tr').length >= 2;",
    )
    .await;
    shot(&client, 1280, "leaderboard").await;
    shot(&client, 390, "leaderboard").await;
    client.set_window_size(1280, 1000).await.unwrap();
    all.extend(violations(&client).await);
    click(&client, Locator::Css("#ranking tbody tr td.model a")).await;
    watch(&client).await;
    let bar_width = client
        .execute(
            "const m = document.querySelector('#opponents meter'); return m ? m.getBoundingClientRect().width : 0;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        bar_width.as_f64().unwrap_or(0.0) >= 50.0,
        "the win-rate bar is drawn: {bar_width}"
    );
    shot(&client, 1280, "model").await;
    all.extend(violations(&client).await);
    for path in [
        "/leaderboard/methodology",
        "/data",
        "/no/such/page",
        "/admin/login",
    ] {
        client.goto(&format!("{}{path}", arena.base)).await.unwrap();
        watch(&client).await;
        all.extend(
            violations(&client)
                .await
                .into_iter()
                .map(|v| format!("{path}: {v}")),
        );
    }
    assert!(all.is_empty(), "CSP violations: {all:#?}");

    // The watch itself works: an injected inline script is blocked and reported.
    client
        .goto(&format!("{}/leaderboard", arena.base))
        .await
        .unwrap();
    watch(&client).await;
    client
        .execute(
            "const s = document.createElement('script'); s.textContent = 'window.__ran = true'; document.body.appendChild(s); return true;",
            vec![],
        )
        .await
        .unwrap();
    let ran = client
        .execute("return window.__ran === true;", vec![])
        .await
        .unwrap();
    assert_eq!(ran, serde_json::Value::Bool(false), "an inline script ran");
    assert!(
        !violations(&client).await.is_empty(),
        "the violation was not reported"
    );
    client.close().await.unwrap();
}

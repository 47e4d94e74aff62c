//! The simulated clients: voters, who ask for a battle, look at both images, think,
//! and vote; and readers, who browse the leaderboard and the model pages.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{Rng, SeedableRng};
use reqwest::header;
use serde::Deserialize;

use super::session::{Refused, Session};
use super::stats::{Endpoint, Recorder};
use crate::integrity::pow;

/// The answers a vote may give (the API's spelling of the overall `winner`).
const WINNERS: [&str; 4] = ["a", "b", "tie", "both_bad"];

/// Prompts for live battles; a number is added so that no two are alike.
const PROMPTS: [&str; 6] = [
    "a lighthouse on a cliff at dusk, oil painting",
    "a red fox asleep in fresh snow, photograph",
    "a bowl of ramen on a wooden table, studio light",
    "an old tram crossing a bridge in the rain",
    "a paper crane on a desk beside a cup of tea",
    "a mountain lake at sunrise with mist over the water",
];

/// The longest a live battle is waited for after it is started.
const LIVE_WAIT: Duration = Duration::from_secs(120);

/// What every voter does, and until when.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// No new battle is asked for after this; one under way is finished.
    pub deadline: Instant,
    /// Between having fetched both images and voting.
    pub think: Duration,
    /// The fraction of battles that are live (the voter's own prompt).
    pub live_share: f64,
}

/// A battle as the API serves it (the fields the bench needs).
#[derive(Debug, Deserialize)]
struct Battle {
    id: String,
    status: String,
    images: Option<Images>,
    pow: Option<Pow>,
}

/// A pair's images, or three or four (`c`, `d`) in a K-wise battle.
#[derive(Debug, Deserialize)]
struct Images {
    a: String,
    b: String,
    c: Option<String>,
    d: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Pow {
    challenge: String,
    bits: u8,
}

/// One voter's loop, until the deadline; returns what it measured.
pub async fn vote_loop(mut session: Session, plan: Plan, mut recorder: Recorder) -> Recorder {
    let mut rng = StdRng::from_rng(&mut rand::rng());
    // Voters arrive spread over one think time, not all in the first millisecond.
    tokio::time::sleep(plan.think.mul_f64(rng.random::<f64>())).await;
    while Instant::now() < plan.deadline {
        if let Err(refused) = round(&mut session, &mut recorder, &plan, &mut rng).await {
            refused.back_off(plan.deadline).await;
        }
    }
    recorder
}

/// One battle: served (or drawn live), both images fetched, a pause (the think time,
/// ±50%), the vote.
async fn round(
    session: &mut Session,
    recorder: &mut Recorder,
    plan: &Plan,
    rng: &mut StdRng,
) -> Result<(), Refused> {
    let live = plan.live_share > 0.0 && rng.random_bool(plan.live_share);
    let battle = if live {
        live_battle(session, recorder, rng).await?
    } else {
        let body = session
            .call(
                recorder,
                Endpoint::Battle,
                session.post_json("/api/v1/battles", &serde_json::json!({})),
            )
            .await?;
        recorder.battles += 1;
        parse::<Battle>(recorder, Endpoint::Battle, &body)?
    };
    let Some(images) = &battle.images else {
        recorder.error(Endpoint::Battle, "battle_without_images");
        return Err(Refused::default());
    };
    // A voter does not vote on a battle whose images did not load.
    let urls: Vec<&String> = [
        Some(&images.a),
        Some(&images.b),
        images.c.as_ref(),
        images.d.as_ref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    for url in &urls {
        session
            .call(recorder, Endpoint::Image, session.get(url))
            .await?;
    }
    // People take their own time: half to one and a half times the think time.
    tokio::time::sleep(plan.think.mul_f64(rng.random_range(0.5..1.5))).await;
    let mut vote = match urls.len() {
        2 => serde_json::json!({ "winner": WINNERS.choose(rng).expect("not empty") }),
        // A K-wise battle: the best, and the worst two times in three.
        k => {
            let mut letters: Vec<&str> = ["a", "b", "c", "d"][..k].to_vec();
            letters.shuffle(rng);
            match rng.random_bool(2.0 / 3.0) {
                true => serde_json::json!({ "best": letters[0], "worst": letters[1] }),
                false => serde_json::json!({ "best": letters[0] }),
            }
        }
    };
    if let Some(challenge) = battle.pow {
        // About 2^bits hashes: off the async threads, so other voters keep going.
        let nonce =
            tokio::task::spawn_blocking(move || pow::solve(&challenge.challenge, challenge.bits))
                .await
                .unwrap_or_default();
        recorder.proofs_of_work += 1;
        vote["pow_nonce"] = nonce.into();
    }
    let path = format!("/api/v1/battles/{}/vote", battle.id);
    session
        .call(recorder, Endpoint::Vote, session.post_json(&path, &vote))
        .await?;
    recorder.acknowledge(battle.id);
    Ok(())
}

/// Starts a live battle and follows its events until both images are drawn.
async fn live_battle(
    session: &mut Session,
    recorder: &mut Recorder,
    rng: &mut StdRng,
) -> Result<Battle, Refused> {
    let prompt = format!(
        "{}, study {}",
        PROMPTS.choose(rng).expect("not empty"),
        rng.random_range(1..100_000)
    );
    let body = session
        .call(
            recorder,
            Endpoint::LiveBattle,
            session.post_json("/api/v1/battles", &serde_json::json!({ "prompt": prompt })),
        )
        .await?;
    recorder.battles += 1;
    let battle = parse::<Battle>(recorder, Endpoint::LiveBattle, &body)?;
    if battle.status == "ready" {
        return Ok(battle);
    }
    let request = session
        .get(&format!("/api/v1/battles/{}/events", battle.id))
        .header(header::ACCEPT, "text/event-stream")
        .timeout(LIVE_WAIT);
    let (mut response, started) = session
        .open(recorder, Endpoint::LiveEvents, request)
        .await?;
    let mut events = EventReader::default();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => {
                recorder.latency(Endpoint::LiveEvents, started.elapsed());
                recorder.error(Endpoint::LiveEvents, "live_stream_ended");
                return Err(Refused::default());
            }
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timeout"
                } else {
                    "transport"
                };
                recorder.error(Endpoint::LiveEvents, kind);
                return Err(Refused::default());
            }
        };
        for (name, data) in events.feed(&chunk) {
            let kind = match name.as_str() {
                "progress" => continue,
                "ready" => {
                    recorder.latency(Endpoint::LiveEvents, started.elapsed());
                    return parse::<Battle>(recorder, Endpoint::LiveEvents, data.as_bytes());
                }
                "failed" => "live_failed".to_string(),
                // `error` carries the API's error body.
                _ => serde_json::from_str::<serde_json::Value>(&data)
                    .ok()
                    .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("live_event_{name}")),
            };
            recorder.latency(Endpoint::LiveEvents, started.elapsed());
            recorder.error(Endpoint::LiveEvents, &kind);
            return Err(Refused::default());
        }
    }
}

/// Parses a 2xx body; one that is not what the API promises is an error of `endpoint`.
fn parse<T: for<'de> Deserialize<'de>>(
    recorder: &mut Recorder,
    endpoint: Endpoint,
    body: &[u8],
) -> Result<T, Refused> {
    serde_json::from_slice(body).map_err(|_| {
        recorder.error(endpoint, "invalid_response");
        Refused::default()
    })
}

/// Splits a server-sent event stream into `(event, data)` as its bytes arrive.
#[derive(Debug, Default)]
struct EventReader {
    pending: String,
}

impl EventReader {
    fn feed(&mut self, bytes: &[u8]) -> Vec<(String, String)> {
        self.pending
            .push_str(&String::from_utf8_lossy(bytes).replace('\r', ""));
        let mut events = Vec::new();
        while let Some(end) = self.pending.find("\n\n") {
            let block: String = self.pending.drain(..end + 2).collect();
            let (mut name, mut data) = ("message".to_string(), Vec::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            // A block of comments only is a keep-alive.
            if !data.is_empty() {
                events.push((name, data.join("\n")));
            }
        }
        events
    }
}

/// One reader's loop, until the deadline: the leaderboard page, its JSON, and the
/// page of one of `slugs` in turn, `think` after each page (a person reads it).
pub async fn read_loop(
    mut session: Session,
    slugs: Vec<String>,
    think: Duration,
    deadline: Instant,
    mut recorder: Recorder,
) -> Recorder {
    let mut rng = StdRng::from_rng(&mut rand::rng());
    while Instant::now() < deadline {
        let mut pages = vec![
            (Endpoint::Leaderboard, "/leaderboard".to_string()),
            (Endpoint::LeaderboardApi, "/api/v1/leaderboard".to_string()),
        ];
        if let Some(slug) = slugs.choose(&mut rng) {
            pages.push((Endpoint::ModelPage, format!("/models/{slug}")));
        }
        for (endpoint, path) in pages {
            if Instant::now() >= deadline {
                break;
            }
            if let Err(refused) = session
                .call(&mut recorder, endpoint, session.get(&path))
                .await
            {
                refused.back_off(deadline).await;
            }
            tokio::time::sleep(think.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }
    recorder
}

/// The slugs of the models taking part, for the model pages.
#[derive(Debug, Deserialize)]
pub struct ModelList {
    pub models: Vec<ModelEntry>,
}

#[derive(Debug, Deserialize)]
pub struct ModelEntry {
    pub slug: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_split_as_their_bytes_arrive() {
        let mut reader = EventReader::default();
        assert!(reader.feed(b"event: progress\ndata: {\"a\"").is_empty());
        let events = reader.feed(b":1}\n\n: keep-alive\n\nevent: ready\r\ndata: x\r\n\r\n");
        assert_eq!(
            events,
            vec![
                ("progress".to_string(), "{\"a\":1}".to_string()),
                ("ready".to_string(), "x".to_string())
            ]
        );
    }
}

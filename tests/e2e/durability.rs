//! Invariant 3: a vote acknowledged is a vote stored. Votes are cast while the server
//! is killed with SIGKILL; after a restart every acknowledged vote is there.

use std::sync::{Arc, Mutex};

use crate::arena::{ArenaProcess, Voter};
use crate::support::{self, Backend};

async fn acknowledged_votes_survive_sigkill(backend: Backend) {
    let dir = support::temp_dir("arena-durability");
    let Some((url, _db)) = support::database(backend, &dir).await else {
        return;
    };
    let server = ArenaProcess::start(&url, &dir).await;
    let base = server.base.clone();

    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut voter = Voter::new();
    voter
        .post(&format!("{base}/api/v1/battles"), serde_json::json!({}))
        .await
        .unwrap();
    let cookie = voter.cookie.clone().expect("a voter cookie");

    // Vote as fast as possible in the background; kill the server mid-stream.
    let ack = acknowledged.clone();
    let voting = tokio::spawn(async move {
        let winners = ["a", "b", "tie", "both_bad"];
        for i in 0.. {
            let Ok((201, battle)) = voter
                .post(&format!("{base}/api/v1/battles"), serde_json::json!({}))
                .await
            else {
                break;
            };
            let id = battle["id"].as_str().unwrap().to_string();
            let winner = winners[i % 4];
            match voter
                .post(
                    &format!("{base}/api/v1/battles/{id}/vote"),
                    serde_json::json!({ "winner": winner }),
                )
                .await
            {
                Ok((200, _)) => ack.lock().unwrap().push((id, winner.to_string())),
                _ => break,
            }
        }
    });
    while acknowledged.lock().unwrap().len() < 30 && !voting.is_finished() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert!(
        !voting.is_finished(),
        "voting stopped before the kill: see the server log above"
    );
    server.kill();
    voting.await.unwrap();
    let acknowledged = acknowledged.lock().unwrap().clone();

    let restarted = ArenaProcess::start(&url, &dir).await;
    let mut voter = Voter::new();
    voter.cookie = Some(cookie);
    for (id, winner) in &acknowledged {
        let (status, battle) = voter
            .get(&format!("{}/api/v1/battles/{id}", restarted.base))
            .await
            .unwrap();
        assert_eq!(status, 200, "battle {id} is gone after the restart");
        assert_eq!(
            battle["status"], "voted",
            "the acknowledged vote on {id} was lost"
        );
        assert_eq!(battle["reveal"]["winner"], winner.as_str());
    }
    eprintln!(
        "{} acknowledged votes, all present after SIGKILL ({backend:?})",
        acknowledged.len()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_votes_survive_sigkill_on_sqlite() {
    acknowledged_votes_survive_sigkill(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn acknowledged_votes_survive_sigkill_on_postgres() {
    acknowledged_votes_survive_sigkill(Backend::Postgres).await;
}

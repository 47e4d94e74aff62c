//! The check after a run: every vote the target acknowledged (answered 200) is in its
//! vote export exactly once.
//!
//! The export is read as JSONL, one row per vote (a vote's answers on other axes are
//! an `axes` object in its row, not rows of their own), and streamed: only the
//! acknowledged battles are counted, so an arena with millions of older votes costs
//! the bench time, not memory. With the admin token the export includes the votes that
//! do not count (`include_excluded=true`): every stored vote. Without it, the public
//! export holds only the votes that count, and a vote cast less than the target's
//! `min_view_ms` after its images (or by a voter the detector flagged) is stored but
//! not in it — the check then says so rather than guess.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header;
use serde::{Deserialize, Serialize};

/// How often an export refused because others are downloading is asked for again.
const BUSY_RETRIES: u32 = 6;

/// What the check found.
#[derive(Debug, Serialize)]
pub struct Check {
    /// No acknowledged vote is missing and none is stored twice.
    pub stored_exactly_once: bool,
    /// Votes the target answered with 200.
    pub acknowledged: u64,
    /// Rows of the export whose battle is one of those.
    pub found: u64,
    /// Acknowledged votes with no row.
    pub missing: u64,
    /// Acknowledged votes with more than one row.
    pub duplicated: u64,
    /// Acknowledged votes stored but not counted on the leaderboard, by the export's
    /// `exclusion_reason` (`too_fast`: voted sooner than `min_view_ms` after the images).
    pub excluded: BTreeMap<String, u64>,
    pub scope: Scope,
}

/// Which votes the export the check read holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Every stored vote, the excluded ones too (read with the admin token).
    AllStored,
    /// The votes that count only (the public export).
    CountedOnly,
}

impl Check {
    /// One line for people (the table, and the error when the check fails).
    pub fn summary(&self) -> String {
        let mut line = format!(
            "stored exactly once: {} ({} acknowledged, {} found, {} missing, {} duplicated; {})",
            if self.stored_exactly_once {
                "yes"
            } else {
                "NO"
            },
            self.acknowledged,
            self.found,
            self.missing,
            self.duplicated,
            match self.scope {
                Scope::AllStored => "every stored vote",
                Scope::CountedOnly => "votes that count only",
            }
        );
        if !self.excluded.is_empty() {
            let reasons: Vec<String> = self
                .excluded
                .iter()
                .map(|(r, n)| format!("{n} {r}"))
                .collect();
            line.push_str(&format!("; stored but not counted: {}", reasons.join(", ")));
        }
        line
    }

    /// Why the command fails when the check does not pass, and what may explain it.
    pub fn failure(&self) -> String {
        let mut message = format!(
            "of {} acknowledged vote(s), {} are missing from the target's vote export and {} \
             are in it more than once",
            self.acknowledged, self.missing, self.duplicated
        );
        if self.missing > 0 && self.scope == Scope::CountedOnly {
            message.push_str(
                ". Without --admin-token the check reads the public export, which holds only \
                 the votes that count: a vote cast sooner than the target's min_view_ms \
                 (default 1500) after its images is stored but left out. Pass --admin-token \
                 to check every stored vote, or --think-ms of at least twice min_view_ms (each pause is drawn from half to one and a half times it)",
            );
        }
        message
    }
}

/// The fields of an export row the check reads.
#[derive(Debug, Deserialize)]
struct Row {
    battle_id: String,
    #[serde(default)]
    exclusion_reason: Option<String>,
}

/// Downloads the target's vote export (rows since `since`, when the target's clock
/// said so before the run) and checks the `acknowledged` battles against it.
pub async fn run(
    base: &str,
    admin_token: Option<&str>,
    since: Option<DateTime<Utc>>,
    acknowledged: &[String],
) -> anyhow::Result<Check> {
    let mut url = reqwest::Url::parse(&format!("{}/api/v1/export/votes", base))?;
    {
        let mut query = url.query_pairs_mut();
        query.append_pair("format", "jsonl");
        if admin_token.is_some() {
            query.append_pair("include_excluded", "true");
        }
        if let Some(since) = since {
            query.append_pair("since", &since.to_rfc3339());
        }
    }
    // The export streams for as long as it takes: no overall timeout.
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .user_agent(concat!("arena-bench/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let mut response = download(&http, &url, admin_token).await?;

    let scope = match admin_token {
        Some(_) => Scope::AllStored,
        None => Scope::CountedOnly,
    };
    let mut tally = Tally::new(acknowledged);
    while let Some(chunk) = response
        .chunk()
        .await
        .context("the vote export broke off")?
    {
        tally.feed(&chunk)?;
    }
    tally.finish(scope)
}

/// Counts the export's rows of each acknowledged battle as the JSONL arrives.
struct Tally<'a> {
    /// Rows seen so far of each acknowledged battle.
    rows: HashMap<&'a str, u64>,
    excluded: BTreeMap<String, u64>,
    found: u64,
    /// The start of a line whose end has not arrived yet.
    pending: Vec<u8>,
}

impl<'a> Tally<'a> {
    fn new(acknowledged: &'a [String]) -> Tally<'a> {
        Tally {
            rows: acknowledged.iter().map(|id| (id.as_str(), 0)).collect(),
            excluded: BTreeMap::new(),
            found: 0,
            pending: Vec::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        let mut text = std::mem::take(&mut self.pending);
        text.extend_from_slice(bytes);
        let mut lines = text.split(|&b| b == b'\n');
        // The last piece is a line whose end is still to come (empty after a '\n').
        let rest = lines.next_back().unwrap_or_default();
        for line in lines {
            self.count(line)?;
        }
        self.pending = rest.to_vec();
        Ok(())
    }

    fn count(&mut self, line: &[u8]) -> anyhow::Result<()> {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let row: Row = serde_json::from_slice(line).context("a row of the vote export")?;
        if let Some(n) = self.rows.get_mut(row.battle_id.as_str()) {
            *n += 1;
            self.found += 1;
            if let Some(reason) = row.exclusion_reason {
                *self.excluded.entry(reason).or_default() += 1;
            }
        }
        Ok(())
    }

    fn finish(mut self, scope: Scope) -> anyhow::Result<Check> {
        let last = std::mem::take(&mut self.pending);
        self.count(&last)?;
        let missing = self.rows.values().filter(|&&n| n == 0).count() as u64;
        let duplicated = self.rows.values().filter(|&&n| n > 1).count() as u64;
        Ok(Check {
            stored_exactly_once: missing == 0 && duplicated == 0,
            acknowledged: self.rows.len() as u64,
            found: self.found,
            missing,
            duplicated,
            excluded: self.excluded,
            scope,
        })
    }
}

/// Asks for the export until it starts (others' downloads may hold every slot for a
/// while), and turns a refusal into a message that says what to do.
async fn download(
    http: &reqwest::Client,
    url: &reqwest::Url,
    admin_token: Option<&str>,
) -> anyhow::Result<reqwest::Response> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut request = http.get(url.clone());
        if let Some(token) = admin_token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("could not download the vote export from {url}"))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let message = body["error"]["message"].as_str().unwrap_or("").to_string();
        if status == StatusCode::SERVICE_UNAVAILABLE && attempt <= BUSY_RETRIES {
            tokio::time::sleep(Duration::from_secs(retry_after.unwrap_or(5).min(10))).await;
            continue;
        }
        match (status, admin_token) {
            (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, None) => bail!(
                "cannot check the votes: the target's vote export is for its operator \
                 ({status}). Pass --admin-token (or ARENA_ADMIN_TOKEN) with the target's \
                 admin_token"
            ),
            (StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN, Some(_)) => bail!(
                "cannot check the votes: the target refused the admin token ({status}): \
                 {message}"
            ),
            _ => bail!("cannot check the votes: {url} answered {status}: {message}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tally_counts_rows_of_acknowledged_battles_across_chunks() {
        let acknowledged = ["b1".to_string(), "b2".to_string(), "b3".to_string()];
        let mut tally = Tally::new(&acknowledged);
        let export = concat!(
            r#"{"battle_id":"b1","winner":"model_a","exclusion_reason":null}"#,
            "\n",
            r#"{"battle_id":"old","winner":"tie"}"#,
            "\n",
            r#"{"battle_id":"b2","exclusion_reason":"too_fast","axes":{"prompt":"tie"}}"#,
            "\n",
            r#"{"battle_id":"b2","exclusion_reason":"too_fast"}"#,
        );
        for chunk in export.as_bytes().chunks(7) {
            tally.feed(chunk).unwrap();
        }
        let check = tally.finish(Scope::AllStored).unwrap();
        assert!(!check.stored_exactly_once);
        assert_eq!(check.acknowledged, 3);
        assert_eq!(check.found, 3);
        assert_eq!(check.missing, 1);
        assert_eq!(check.duplicated, 1);
        assert_eq!(check.excluded["too_fast"], 2);
    }

    #[test]
    fn a_row_that_is_not_json_fails_the_check() {
        let mut tally = Tally::new(&[]);
        assert!(tally.feed(b"<html>\n").is_err());
    }
}

//! Decisions about which votes count: flags raised and cleared, single votes excluded
//! or restored — each in one transaction with its audit entry. Owns no table: it
//! composes `flag`, `vote` (and through it the tallies) and `audit`.

use chrono::Utc;

use super::flag::{self, FlagSubject, NewFlag};
use super::{Result, Store, audit, vote};

impl Store {
    /// Raises a flag and stops counting its subject's votes, in one transaction with
    /// its audit entry; returns the flag's id and how many votes it excluded.
    pub async fn raise_flag(&self, f: &NewFlag, actor: &str) -> Result<(i64, u64)> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        let id = flag::insert(&mut tx, f, now).await?;
        let (voter, address) = match f.subject_kind {
            FlagSubject::Voter => (Some(f.subject.as_str()), None),
            FlagSubject::Address => (None, Some(f.subject.as_str())),
        };
        let excluded = vote::exclude_flagged(&mut tx, id, voter, address).await?;
        let detail = serde_json::json!({
            "flag": id, "test": f.test, "reason": f.reason, "votes_excluded": excluded,
        });
        let subject = format!("{}:{}", f.subject_kind.as_str(), f.subject);
        audit::insert(&mut tx, actor, "flag", &subject, &detail, now).await?;
        tx.commit().await?;
        Ok((id, excluded))
    }

    /// Clears a standing flag; its votes count again (unless another standing flag
    /// covers them). `None` when no standing flag has this id; else how many votes
    /// count again.
    pub async fn clear_flag(&self, id: i64, by: &str) -> Result<Option<u64>> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        if !flag::clear(&mut tx, id, by, now).await? {
            return Ok(None);
        }
        let restored = vote::release_flagged(&mut tx, id).await?;
        let detail = serde_json::json!({ "flag": id, "votes_restored": restored });
        audit::insert(
            &mut tx,
            by,
            "clear_flag",
            &format!("flag:{id}"),
            &detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(restored))
    }

    /// An operator counts a battle's vote again (`exclude: None`) or excludes it, with
    /// an audit entry, in one transaction. False when the battle has no such vote.
    pub async fn set_vote_counting(
        &self,
        battle_id: &str,
        exclude: Option<&str>,
        by: &str,
    ) -> Result<bool> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        if !vote::set_counting(&mut tx, battle_id, exclude).await? {
            return Ok(false);
        }
        let (action, detail) = match exclude {
            None => ("restore_vote", serde_json::json!({})),
            Some(reason) => ("exclude_vote", serde_json::json!({ "reason": reason })),
        };
        audit::insert(
            &mut tx,
            by,
            action,
            &format!("battle:{battle_id}"),
            &detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

//! The `flag` table: voters and addresses the rigging detector found improbable, with
//! the figures behind each flag. While a flag stands its subject's votes do not count;
//! clearing it makes them count again.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::sql::{Exec, sql};
use super::{Result, Store, StoreError};

/// What a flag is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FlagSubject {
    /// A voter id.
    Voter,
    /// A client address hash.
    Address,
}

impl FlagSubject {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagSubject::Voter => "voter",
            FlagSubject::Address => "address",
        }
    }

    fn parse(s: &str) -> Result<FlagSubject> {
        match s {
            "voter" => Ok(FlagSubject::Voter),
            "address" => Ok(FlagSubject::Address),
            other => Err(StoreError::Invalid(format!("flag subject {other:?}"))),
        }
    }
}

/// A flag to raise.
#[derive(Clone, Debug)]
pub struct NewFlag {
    pub subject_kind: FlagSubject,
    pub subject: String,
    pub model_id: Option<i64>,
    /// Which test raised it.
    pub test: String,
    /// A sentence for the operator.
    pub reason: String,
    /// The figures (a JSON object).
    pub evidence: serde_json::Value,
}

/// A flag as stored, with how many votes it excludes now.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Flag {
    pub id: i64,
    pub subject_kind: FlagSubject,
    pub subject: String,
    pub model: Option<String>,
    pub test: String,
    pub reason: String,
    pub evidence: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub cleared_at: Option<DateTime<Utc>>,
    pub cleared_by: Option<String>,
    /// Votes excluded because of it.
    pub votes: i64,
}

#[derive(sqlx::FromRow)]
struct FlagRow {
    id: i64,
    subject_kind: String,
    subject: String,
    model: Option<String>,
    test: String,
    reason: String,
    evidence: String,
    created_at: DateTime<Utc>,
    cleared_at: Option<DateTime<Utc>>,
    cleared_by: Option<String>,
    votes: i64,
}

impl TryFrom<FlagRow> for Flag {
    type Error = StoreError;

    fn try_from(r: FlagRow) -> Result<Flag> {
        Ok(Flag {
            id: r.id,
            subject_kind: FlagSubject::parse(&r.subject_kind)?,
            subject: r.subject,
            model: r.model,
            test: r.test,
            reason: r.reason,
            evidence: serde_json::from_str(&r.evidence)
                .map_err(|e| StoreError::Invalid(format!("flag evidence: {e}")))?,
            created_at: r.created_at,
            cleared_at: r.cleared_at,
            cleared_by: r.cleared_by,
            votes: r.votes,
        })
    }
}

/// Raises a flag; returns its id.
pub(super) async fn insert(c: &mut impl Exec, f: &NewFlag, now: DateTime<Utc>) -> Result<i64> {
    c.scalar(
        sql("insert into flag (subject_kind, subject, model_id, test, reason, evidence, created_at) \
             values ($1, $2, $3, $4, $5, $6, $7) returning id")
        .bind(f.subject_kind.as_str())
        .bind(f.subject.as_str())
        .bind(f.model_id)
        .bind(f.test.as_str())
        .bind(f.reason.as_str())
        .bind(f.evidence.to_string())
        .bind(now),
    )
    .await
}

/// Clears a standing flag; false when there is none with this id.
pub(super) async fn clear(
    c: &mut impl Exec,
    id: i64,
    by: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let changed = c
        .execute(
            sql("update flag set cleared_at = $1, cleared_by = $2 where id = $3 and cleared_at is null")
                .bind(now)
                .bind(by)
                .bind(id),
        )
        .await?;
    Ok(changed == 1)
}

/// The standing flag on a voter or on an address, if any (the oldest).
pub(super) async fn standing(
    c: &mut impl Exec,
    voter: &str,
    address: Option<&str>,
) -> Result<Option<i64>> {
    c.scalar_optional(
        sql("select id from flag where cleared_at is null and \
             ((subject_kind = 'voter' and subject = $1) \
              or (subject_kind = 'address' and subject = $2)) order by id limit 1")
        .bind(voter)
        .bind(address),
    )
    .await
}

const FLAG_SELECT: &str = "select f.id, f.subject_kind, f.subject, m.slug as model, f.test, f.reason, \
     f.evidence, f.created_at, f.cleared_at, f.cleared_by, \
     (select count(*) from vote v where v.flag_id = f.id and not v.counts_for_leaderboard) as votes \
     from flag f left join model m on m.id = f.model_id";

impl Store {
    /// The latest flags, standing ones first, with how many votes each excludes.
    pub async fn flags(&self, limit: i64) -> Result<Vec<Flag>> {
        let rows: Vec<FlagRow> = self
            .pool()
            .fetch_all(
                super::sql::sql_owned(format!(
                    "{FLAG_SELECT} order by (f.cleared_at is null) desc, f.id desc limit $1"
                ))
                .bind(limit),
            )
            .await?;
        rows.into_iter().map(Flag::try_from).collect()
    }

    pub async fn flag(&self, id: i64) -> Result<Option<Flag>> {
        let row: Option<FlagRow> = self
            .pool()
            .fetch_optional(
                super::sql::sql_owned(format!("{FLAG_SELECT} where f.id = $1")).bind(id),
            )
            .await?;
        row.map(Flag::try_from).transpose()
    }

    /// Subjects with a standing flag: (kind, subject).
    pub async fn standing_flags(&self) -> Result<Vec<(String, String)>> {
        self.pool()
            .fetch_all(sql(
                "select subject_kind, subject from flag where cleared_at is null",
            ))
            .await
    }
}

//! Storage: one interface over the two supported databases.
//!
//! `Store` wraps either a SQLite or a Postgres pool. SQL is written once for both
//! (see [`sql`] for how), and the few statements that differ branch explicitly.
//!
//! Each table has one owner, the module named after it (`battle.rs` owns `battle`,
//! `vote.rs` owns `vote`, …): every insert into and update of that table is a function
//! there, taking any [`Exec`] — the pool for a statement on its own, or the caller's
//! open [`Tx`] — so that an operation that writes several tables (serving a battle,
//! recording a vote, finishing a job) composes those functions inside one transaction.
//! `live.rs`, `imports.rs`, `rankings.rs` and `export.rs` own no table: they compose
//! writes and read across tables for one purpose each.

mod audit;
mod battle;
mod battle_image;
mod choice_vote;
mod export;
mod flag;
mod generation;
mod snapshot;
pub use generation::parse_style;
pub use snapshot::{NewSnapshot, Snapshot, SnapshotInfo};
mod imports;
mod integrity_scan;
mod job;
mod limit_counter;
mod live;
mod model;
mod prompt;
mod purge;
mod rankings;
mod review;
pub mod sql;
mod tally;
mod vote;
mod voter;
mod worker;

pub use audit::AuditEntry;
pub use battle::{Battle, NewBattle};
pub use battle_image::BattleImage;
pub use choice_vote::KChoice;
pub use export::{ExportFilter, ExportRow, ExportSummary};
pub use flag::{Flag, FlagSubject, NewFlag};
pub use generation::{Candidate, Generation};
pub use imports::{GalleryCounts, GalleryImage, ImportedVote};
pub use integrity_scan::{ScanServed, ScanVote};
pub use job::{
    FailKind, FailedJob, FailureCause, GenerationRecord, Job, JobLease, JobResult, LIVE_PRIORITY,
    LastFailure, LeasedJob, ModelGenerationStats, ModelQueueStats, NewPoolJob, QueueCount, Reaped,
    WantedImage,
};
pub use live::{LiveAdmission, LiveLimits, LiveSide, NewLiveBattle};
pub use model::{Model, ModelStatus, NewModel};
pub use prompt::{NewPrompt, Prompt, RejectedPrompt};
pub use purge::Purged;
pub use rankings::{
    DailyChoiceCount, DailyPairCount, IdChoiceCount, IdPairCount, VoteMarker, VotedBattle,
};
pub use sql::{Exec, Tx};
pub use tally::OVERALL;
pub use vote::{Answer, ExcludedVote, NewVote, PairCount, RecordedVote, VoteOutcome, exclusion};
pub use worker::Worker;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {source}")]
    Connect { url: String, source: sqlx::Error },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("a row with the same key already exists")]
    Conflict,
    #[error(transparent)]
    Sqlx(sqlx::Error),
    /// A row holds a value this version does not understand (never silently read).
    #[error("invalid value in the database: {0}")]
    Invalid(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Sqlx(err),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Store {
    /// Opens `url` (`postgres://…` or `sqlite:…`); SQLite files are created if missing.
    pub async fn connect(url: &str) -> Result<Store> {
        let connect_err = |source| StoreError::Connect {
            url: redact(url),
            source,
        };
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(connect_err)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(connect_err)?;
            Ok(Store::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            // synchronous=FULL: a vote acknowledged after commit survives a power cut,
            // not only a killed process.
            let options = SqliteConnectOptions::from_str(url)
                .map_err(connect_err)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(connect_err)?;
            Ok(Store::Sqlite(pool))
        } else {
            Err(connect_err(sqlx::Error::Configuration(
                "the URL must start with postgres:// or sqlite:".into(),
            )))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Applies the backend's migrations from `migrations/`.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Store::Sqlite(pool) => sqlx::migrate!("../migrations/sqlite").run(pool).await?,
            Store::Postgres(pool) => sqlx::migrate!("../migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// True when a trivial query succeeds (readiness probe).
    pub async fn ping(&self) -> bool {
        self.pool().execute(sql::sql("select 1")).await.is_ok()
    }

    pub async fn close(&self) {
        match self {
            Store::Sqlite(pool) => pool.close().await,
            Store::Postgres(pool) => pool.close().await,
        }
    }
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl Store {
    /// The connection pool's size and how many of its connections are idle.
    pub fn pool_connections(&self) -> (u32, usize) {
        match self {
            Store::Sqlite(pool) => (pool.size(), pool.num_idle()),
            Store::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_the_password_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite:./a.db"), "sqlite:./a.db");
    }
}

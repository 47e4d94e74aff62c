//! Storage: one interface over the two supported databases.
//!
//! `Store` wraps either a SQLite or a Postgres pool. Most SQL is identical on both
//! (`$1` placeholders, `returning`, `on conflict do nothing`), so each method is written
//! once and the `on_pool!` macro instantiates it for both backends; the few statements
//! that differ branch explicitly. Every multi-statement write runs in a transaction.

mod battles;
mod export;
mod generations;
mod imports;
mod jobs;
mod live;
mod models;
mod prompts;
mod rankings;
mod tally;
mod votes;
mod workers;

pub use battles::{Battle, BattleImage, NewBattle};
pub use export::{ExportFilter, ExportRow, ExportSummary};
pub use generations::{Candidate, Generation};
pub use imports::{GalleryCounts, GalleryImage, ImportedVote};
pub use jobs::{
    FailKind, FailedJob, GenerationRecord, Job, JobResult, LIVE_PRIORITY, LastFailure, LeasedJob,
    NewPoolJob, QueueCount, Reaped, WantedImage,
};
pub use live::{LiveAdmission, LiveLimits, LiveSide, NewLiveBattle, RejectedPrompt};
pub use models::{Model, ModelStatus, NewModel};
pub use prompts::{NewPrompt, Prompt};
pub use rankings::{DailyPairCount, IdPairCount, VoteMarker, VotedBattle};
pub use votes::{NewVote, PairCount, Vote, VoteOutcome};
pub use workers::Worker;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// How a write transaction begins on each backend. SQLite must take the write lock
/// up front (`begin immediate`): a deferred transaction that reads and then writes
/// fails with SQLITE_BUSY, without waiting, when another connection wrote meanwhile.
pub(crate) trait WriteTransaction {
    const BEGIN: &'static str;
}

impl WriteTransaction for sqlx::Sqlite {
    const BEGIN: &'static str = "begin immediate";
}

impl WriteTransaction for sqlx::Postgres {
    const BEGIN: &'static str = "begin";
}

/// Starts a write transaction on either backend's pool.
pub(crate) async fn begin_write<DB: sqlx::Database + WriteTransaction>(
    pool: &sqlx::Pool<DB>,
) -> sqlx::Result<sqlx::Transaction<'static, DB>> {
    pool.begin_with(DB::BEGIN).await
}

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
        on_pool!(self, pool => sqlx::query("select 1").execute(pool).await.is_ok())
    }

    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
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

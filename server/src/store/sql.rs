//! How SQL runs here: a [`Statement`] (its text and its arguments) executed by an
//! [`Exec`], which is either the pool ([`Store::pool`]; each statement commits on its
//! own) or an open transaction ([`Tx`]).
//!
//! Most SQL is the same on both backends (`$1` placeholders, `returning`, `on conflict
//! do nothing`), so a statement is written once. Its arguments are kept as typed
//! values ([`Arg`]) and bound to the backend's own argument buffer only when it runs,
//! and rows are decoded by the backend's own driver into types that decode on both
//! ([`Row`]): this is what lets one function, written once, run on SQLite or
//! Postgres, inside whatever transaction its caller holds — without `sqlx::Any`,
//! which cannot decode timestamps, and without a macro at the call site.
//!
//! Table modules take `&mut impl Exec`; callers pass `&mut store.pool()` for a single
//! statement or `&mut tx` to write several tables atomically.

use std::future::Future;

use chrono::{DateTime, Utc};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Arguments, AssertSqlSafe, FromRow, Postgres, SqlSafeStr, SqlStr, Sqlite};

use super::{Result, Store, StoreError};

/// One argument of a statement, with the SQL type it binds as (`None` is a typed null).
#[derive(Clone, Debug)]
pub enum Arg {
    I16(Option<i16>),
    I32(Option<i32>),
    I64(Option<i64>),
    F64(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
    Time(Option<DateTime<Utc>>),
}

/// A value that can be bound to a statement.
pub trait Param {
    fn into_arg(self) -> Arg;
    /// A null of this value's type (what `None` binds as).
    const NULL: Arg;
}

impl<T: Param> Param for Option<T> {
    fn into_arg(self) -> Arg {
        match self {
            Some(v) => v.into_arg(),
            None => T::NULL,
        }
    }
    const NULL: Arg = T::NULL;
}

impl Param for i16 {
    fn into_arg(self) -> Arg {
        Arg::I16(Some(self))
    }
    const NULL: Arg = Arg::I16(None);
}

impl Param for i32 {
    fn into_arg(self) -> Arg {
        Arg::I32(Some(self))
    }
    const NULL: Arg = Arg::I32(None);
}

impl Param for i64 {
    fn into_arg(self) -> Arg {
        Arg::I64(Some(self))
    }
    const NULL: Arg = Arg::I64(None);
}

impl Param for f64 {
    fn into_arg(self) -> Arg {
        Arg::F64(Some(self))
    }
    const NULL: Arg = Arg::F64(None);
}

impl Param for bool {
    fn into_arg(self) -> Arg {
        Arg::Bool(Some(self))
    }
    const NULL: Arg = Arg::Bool(None);
}

impl Param for String {
    fn into_arg(self) -> Arg {
        Arg::Text(Some(self))
    }
    const NULL: Arg = Arg::Text(None);
}

impl Param for &str {
    fn into_arg(self) -> Arg {
        Arg::Text(Some(self.to_owned()))
    }
    const NULL: Arg = Arg::Text(None);
}

impl Param for &String {
    fn into_arg(self) -> Arg {
        Arg::Text(Some(self.clone()))
    }
    const NULL: Arg = Arg::Text(None);
}

impl Param for DateTime<Utc> {
    fn into_arg(self) -> Arg {
        Arg::Time(Some(self))
    }
    const NULL: Arg = Arg::Time(None);
}

/// Outcomes are stored in the arena's spelling (`a`, `b`, `tie`, `both_bad`).
impl Param for arena_evaluator::Outcome {
    fn into_arg(self) -> Arg {
        Arg::Text(Some(self.as_str().to_owned()))
    }
    const NULL: Arg = Arg::Text(None);
}

/// A position is stored as its slot: 0 for A, 1 for B, …
impl Param for arena_evaluator::Position {
    fn into_arg(self) -> Arg {
        Arg::I16(Some(self.index() as i16))
    }
    const NULL: Arg = Arg::I16(None);
}

/// SQL text and its arguments, ready to run on either backend.
#[derive(Debug)]
pub struct Statement {
    sql: SqlStr,
    args: Vec<Arg>,
}

/// A statement from constant SQL.
pub fn sql(text: &'static str) -> Statement {
    Statement {
        sql: text.into_sql_str(),
        args: Vec::new(),
    }
}

/// A statement from SQL assembled at run time out of constant pieces (never out of
/// input: input is always bound).
pub fn sql_owned(text: String) -> Statement {
    Statement {
        sql: AssertSqlSafe(text).into_sql_str(),
        args: Vec::new(),
    }
}

impl Statement {
    /// Binds the next `$n`.
    pub fn bind(mut self, value: impl Param) -> Statement {
        self.args.push(value.into_arg());
        self
    }

    fn sqlite(self) -> Result<(SqlStr, SqliteArguments)> {
        let mut out = SqliteArguments::default();
        let bound = self.args.into_iter().try_for_each(|arg| match arg {
            Arg::I16(v) => out.add(v),
            Arg::I32(v) => out.add(v),
            Arg::I64(v) => out.add(v),
            Arg::F64(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Time(v) => out.add(v),
        });
        bound.map_err(encode_error)?;
        Ok((self.sql, out))
    }

    fn postgres(self) -> Result<(SqlStr, PgArguments)> {
        let mut out = PgArguments::default();
        let bound = self.args.into_iter().try_for_each(|arg| match arg {
            Arg::I16(v) => out.add(v),
            Arg::I32(v) => out.add(v),
            Arg::I64(v) => out.add(v),
            Arg::F64(v) => out.add(v),
            Arg::Bool(v) => out.add(v),
            Arg::Text(v) => out.add(v),
            Arg::Time(v) => out.add(v),
        });
        bound.map_err(encode_error)?;
        Ok((self.sql, out))
    }
}

fn encode_error(e: BoxDynError) -> StoreError {
    StoreError::Sqlx(sqlx::Error::Encode(e))
}

/// A row type that decodes on both backends (`#[derive(sqlx::FromRow)]` structs and
/// tuples of plain column types).
pub trait Row:
    for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

impl<T> Row for T where
    T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin + 'static
{
}

/// Runs statements: the pool ([`Pool`]) or an open transaction ([`Tx`]).
pub trait Exec: Send {
    /// Runs a statement; returns how many rows it changed.
    fn execute(&mut self, s: Statement) -> impl Future<Output = Result<u64>> + Send;

    /// Every row the statement returns.
    fn fetch_all<T: Row>(&mut self, s: Statement) -> impl Future<Output = Result<Vec<T>>> + Send;

    /// The first row, if any.
    fn fetch_optional<T: Row>(
        &mut self,
        s: Statement,
    ) -> impl Future<Output = Result<Option<T>>> + Send;

    /// The one row the statement must return.
    fn fetch_one<T: Row>(&mut self, s: Statement) -> impl Future<Output = Result<T>> + Send {
        async move {
            self.fetch_optional(s)
                .await?
                .ok_or(StoreError::Sqlx(sqlx::Error::RowNotFound))
        }
    }

    /// The first column of the one row the statement must return.
    fn scalar<T>(&mut self, s: Statement) -> impl Future<Output = Result<T>> + Send
    where
        (T,): Row,
        T: Send,
    {
        async move { Ok(self.fetch_one::<(T,)>(s).await?.0) }
    }

    /// The first column of the first row, if any.
    fn scalar_optional<T>(&mut self, s: Statement) -> impl Future<Output = Result<Option<T>>> + Send
    where
        (T,): Row,
        T: Send,
    {
        async move { Ok(self.fetch_optional::<(T,)>(s).await?.map(|(v,)| v)) }
    }

    /// The first column of every row.
    fn scalars<T>(&mut self, s: Statement) -> impl Future<Output = Result<Vec<T>>> + Send
    where
        (T,): Row,
        T: Send,
    {
        async move {
            let rows: Vec<(T,)> = self.fetch_all(s).await?;
            Ok(rows.into_iter().map(|(v,)| v).collect())
        }
    }
}

/// The pool as an [`Exec`]: each statement runs (and commits) on its own.
#[derive(Clone, Copy)]
pub struct Pool<'a>(&'a Store);

impl Store {
    /// Runs statements on the pool, each in its own implicit transaction.
    pub fn pool(&self) -> Pool<'_> {
        Pool(self)
    }

    /// Begins a write transaction. SQLite takes its write lock up front (`begin
    /// immediate`): a deferred transaction that reads and then writes fails with
    /// SQLITE_BUSY, without waiting, when another connection wrote meanwhile.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Store::Sqlite(pool) => Tx::Sqlite(pool.begin_with("begin immediate").await?),
            Store::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }
}

impl<'a> Pool<'a> {
    /// The rows of a statement as a stream: memory stays flat however many there are.
    pub fn fetch<T: Row>(self, s: Statement) -> BoxStream<'a, Result<T>> {
        let stream = match self.0 {
            Store::Sqlite(pool) => s
                .sqlite()
                .map(|(sql, args)| sqlx::query_as_with::<Sqlite, T, _>(sql, args).fetch(pool)),
            Store::Postgres(pool) => s
                .postgres()
                .map(|(sql, args)| sqlx::query_as_with::<Postgres, T, _>(sql, args).fetch(pool)),
        };
        match stream {
            Ok(rows) => rows.map_err(StoreError::from).boxed(),
            Err(e) => futures_util::stream::once(async { Err(e) }).boxed(),
        }
    }
}

impl Exec for Pool<'_> {
    fn execute(&mut self, s: Statement) -> impl Future<Output = Result<u64>> + Send {
        let store = self.0;
        async move {
            Ok(match store {
                Store::Sqlite(pool) => {
                    let (sql, args) = s.sqlite()?;
                    sqlx::query_with(sql, args)
                        .execute(pool)
                        .await?
                        .rows_affected()
                }
                Store::Postgres(pool) => {
                    let (sql, args) = s.postgres()?;
                    sqlx::query_with(sql, args)
                        .execute(pool)
                        .await?
                        .rows_affected()
                }
            })
        }
    }

    fn fetch_all<T: Row>(&mut self, s: Statement) -> impl Future<Output = Result<Vec<T>>> + Send {
        let store = self.0;
        async move {
            Ok(match store {
                Store::Sqlite(pool) => {
                    let (sql, args) = s.sqlite()?;
                    sqlx::query_as_with(sql, args).fetch_all(pool).await?
                }
                Store::Postgres(pool) => {
                    let (sql, args) = s.postgres()?;
                    sqlx::query_as_with(sql, args).fetch_all(pool).await?
                }
            })
        }
    }

    fn fetch_optional<T: Row>(
        &mut self,
        s: Statement,
    ) -> impl Future<Output = Result<Option<T>>> + Send {
        let store = self.0;
        async move {
            Ok(match store {
                Store::Sqlite(pool) => {
                    let (sql, args) = s.sqlite()?;
                    sqlx::query_as_with(sql, args).fetch_optional(pool).await?
                }
                Store::Postgres(pool) => {
                    let (sql, args) = s.postgres()?;
                    sqlx::query_as_with(sql, args).fetch_optional(pool).await?
                }
            })
        }
    }
}

/// An open write transaction on either backend; dropped without
/// [`Tx::commit`], it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Whether this transaction runs on Postgres (for the few statements that differ).
    pub fn is_postgres(&self) -> bool {
        matches!(self, Tx::Postgres(_))
    }

    /// Takes the advisory lock `key` until this transaction ends, waiting for another
    /// server that holds it: servers sharing a Postgres database take turns. On SQLite
    /// the transaction already excludes every other writer (`begin immediate`).
    pub async fn lock(&mut self, key: i64) -> Result<()> {
        if self.is_postgres() {
            self.execute(sql("select pg_advisory_xact_lock($1)").bind(key))
                .await?;
        }
        Ok(())
    }

    /// [`Tx::lock`] without waiting: false when another server holds `key` now.
    pub async fn try_lock(&mut self, key: i64) -> Result<bool> {
        if !self.is_postgres() {
            return Ok(true);
        }
        self.scalar(sql("select pg_try_advisory_xact_lock($1)").bind(key))
            .await
    }
}

impl Exec for Tx {
    async fn execute(&mut self, s: Statement) -> Result<u64> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                let (sql, args) = s.sqlite()?;
                sqlx::query_with(sql, args)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected()
            }
            Tx::Postgres(tx) => {
                let (sql, args) = s.postgres()?;
                sqlx::query_with(sql, args)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected()
            }
        })
    }

    async fn fetch_all<T: Row>(&mut self, s: Statement) -> Result<Vec<T>> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                let (sql, args) = s.sqlite()?;
                sqlx::query_as_with(sql, args).fetch_all(&mut **tx).await?
            }
            Tx::Postgres(tx) => {
                let (sql, args) = s.postgres()?;
                sqlx::query_as_with(sql, args).fetch_all(&mut **tx).await?
            }
        })
    }

    async fn fetch_optional<T: Row>(&mut self, s: Statement) -> Result<Option<T>> {
        Ok(match self {
            Tx::Sqlite(tx) => {
                let (sql, args) = s.sqlite()?;
                sqlx::query_as_with(sql, args)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            Tx::Postgres(tx) => {
                let (sql, args) = s.postgres()?;
                sqlx::query_as_with(sql, args)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        })
    }
}

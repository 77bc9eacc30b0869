//! One store API over two databases: SQLite (embedded default) and PostgreSQL,
//! chosen at run time by the URL. Every query is one SQL text that both accept
//! (text ids, integer instants, `$1` placeholders, `RETURNING`, `ON CONFLICT`).

mod accounts;
mod calendar_feeds;
mod cancellations;
mod checkins;
mod communities;
mod digests;
mod formats;
mod happening;
mod jobs;
mod mail_jobs;
mod migrations;
mod notifications;
mod outbox;
mod partner_preferences;
mod partner_record;
mod partner_sessions;
mod partners;
mod places;
mod push;
mod reminders;
mod reports;
mod room;
mod room_log;
mod room_nodes;
mod rsvps;
mod schedule;
mod sessions;
mod webhooks;

pub use accounts::*;
pub use cancellations::*;
pub use checkins::*;
pub use communities::*;
pub use digests::*;
pub use formats::*;
pub use happening::*;
pub use jobs::*;
pub use mail_jobs::*;
pub use notifications::*;
pub use outbox::*;
pub use partner_preferences::*;
pub use partner_record::*;
pub use partner_sessions::*;
pub use partners::*;
pub use places::*;
pub use push::*;
pub use reminders::{PARTNER_REMINDER, REMINDER, STARTING_NOW};
pub use reports::*;
pub use room::*;
pub use room_log::*;
pub use rsvps::*;
pub use schedule::*;
pub use sessions::*;
pub use webhooks::*;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique value is taken; the field names which.
    #[error("{0} is already taken")]
    Taken(&'static str),
    /// Someone else saved the same thing since it was read.
    #[error("changed by someone else meanwhile")]
    Stale,
    /// The change would leave a community without an owner.
    #[error("a community needs an owner")]
    LastOwner,
    /// A limit was reached (a person's connections to a room).
    #[error("too many")]
    TooMany,
    /// A rule checked inside the transaction refused the change (a booking
    /// that overlaps one held); nothing was written.
    #[error("refused: {}", .0.message)]
    Refused(cowork_core::FieldError),
    #[error("unsupported database URL: {0}")]
    BadUrl(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

impl StoreError {
    /// "The database did not answer", for a write that never reached it.
    pub fn unavailable() -> StoreError {
        StoreError::Db(sqlx::Error::PoolTimedOut)
    }

    /// The database did not answer (down, restarting, unreachable, or no
    /// connection free in time), as opposed to refusing what was asked:
    /// worth saying "try again in a moment", not "something is wrong".
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Db(e) = self else { return false };
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => {
                true
            }
            sqlx::Error::Protocol(m) => m.contains("closed") || m.contains("EOF"),
            // Connection exceptions (08…), and "shutting down" / "cannot connect now" (57P…).
            sqlx::Error::Database(d) => d.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
            _ => false,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// For connections of their own (PostgreSQL's LISTEN for new jobs).
    url: std::sync::Arc<str>,
    /// How long before its start a session's room opens, when "starting now" is sent.
    room_opens_seconds: i64,
}

impl Store {
    /// Connects to `sqlite://path` (created if missing) or `postgres://…`, and
    /// applies every migration not applied yet.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Store::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// The same store, sending "starting now" when rooms open `minutes` before the start.
    pub fn with_room_opens(mut self, minutes: u32) -> Store {
        self.room_opens_seconds = i64::from(minutes) * 60;
        self
    }

    /// Connects without migrating (the `migrate` command migrates explicitly).
    pub async fn connect(url: &str) -> Result<Store> {
        let (backend, _) = normalize_url(url)?;
        Store::connect_with(url, if backend == Backend::Sqlite { 8 } else { 16 }).await
    }

    /// The same database through a pool of its own of at most `max`
    /// connections: the job runner's, so that a burst of jobs waits for its
    /// own connections and pages keep theirs.
    pub async fn with_own_pool(&self, max: u32) -> Result<Store> {
        let mut s = Store::connect_with(&self.url, max).await?;
        s.room_opens_seconds = self.room_opens_seconds;
        Ok(s)
    }

    async fn connect_with(url: &str, max: u32) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let (backend, url) = normalize_url(url)?;
        let opts = AnyConnectOptions::from_str(&url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
        let own_url: std::sync::Arc<str> = url.as_str().into();
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; NORMAL sync is
                        // durable in WAL mode across application crashes.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA busy_timeout = 10000",
                        ] {
                            conn.execute(pragma).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(opts)
            .await?;
        Ok(Store { pool, backend, url: own_url, room_opens_seconds: 15 * 60 })
    }

    /// A write transaction. On SQLite it takes the write lock at once (BEGIN
    /// IMMEDIATE): a transaction that reads before it writes then waits its
    /// turn, rather than failing as "database is locked" when another writer
    /// committed in between.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn migrate(&self) -> Result<usize> {
        let applied = migrations::apply(&self.pool, self.backend).await?;
        migrations::canonical_zones(&self.pool).await?;
        Ok(applied)
    }

    /// Cheap liveness probe for `/healthz`.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn normalize_url(url: &str) -> Result<(Backend, String)> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_string()));
    }
    if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let mut u = format!("sqlite://{rest}");
        if !rest.contains("mode=") {
            u.push_str(if rest.contains('?') { "&mode=rwc" } else { "?mode=rwc" });
        }
        return Ok((Backend::Sqlite, u));
    }
    Err(StoreError::BadUrl(format!("{url} (use sqlite://path or postgres://…)")))
}

/// A new random id: 96 bits, hex, never reused.
pub fn new_id() -> String {
    let mut b = [0u8; 12];
    getrandom::getrandom(&mut b).expect("the OS random source works");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Reads a column; a missing or mistyped column is a bug in our SQL, reported as a database error.
fn col<T>(row: &AnyRow, name: &str) -> Result<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    Ok(row.try_get::<T, _>(name)?)
}

fn flag(row: &AnyRow, name: &str) -> Result<bool> {
    Ok(col::<i64>(row, name)? != 0)
}

/// An UPDATE or DELETE that touched no row: what it was meant for is not there.
fn touched(r: sqlx::any::AnyQueryResult) -> Result<()> {
    if r.rows_affected() == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.kind() == sqlx::error::ErrorKind::UniqueViolation)
}

/// Escapes a user's search text for `LIKE … ESCAPE '\'`.
fn like_pattern(q: &str) -> String {
    let mut p = String::from("%");
    for c in q.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_the_backend() {
        assert_eq!(normalize_url("sqlite://./cowork.db").unwrap(), (Backend::Sqlite, "sqlite://./cowork.db?mode=rwc".into()));
        assert_eq!(normalize_url("postgres://localhost/test").unwrap().0, Backend::Postgres);
        assert!(normalize_url("mysql://x").is_err());
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_Off"), "%50\\%\\_off%");
    }
}

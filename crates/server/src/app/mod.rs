//! Use cases: what people can do, with the policy that decides whether they
//! may. Handlers for pages and API call exactly one of these and render.

pub mod accounts;
pub mod checkins;
pub mod clock;
pub mod communities;
pub mod days;
pub mod demo;
mod digests;
pub mod feeds;
pub mod happening;
mod hosting;
pub mod import;
pub mod jobs;
pub mod listings;
pub mod mail;
pub mod near;
mod notices;
pub mod notification_choices;
pub mod organizer_messages;
pub mod partner_sessions;
pub mod partners;
pub mod places;
pub mod push;
mod reminders;
pub mod room;
pub mod rsvps;
pub mod schedule;
pub mod unsubscribe;
pub mod visitors;
pub mod webhooks;
pub mod zones;

use crate::config::Config;
use crate::metrics::Metrics;
use cowork_core::Invalid;
use cowork_store::{Store, StoreError};
use std::sync::Arc;

pub use mail::Mailer;

#[derive(Clone)]
pub struct App {
    pub store: Store,
    pub mailer: Mailer,
    pub config: Arc<Config>,
    pub metrics: Arc<Metrics>,
    pub feeds: Arc<feeds::FeedCache>,
    pub pages: Arc<crate::page_cache::PageCache>,
    /// The directory's sessions, shared by every viewer for a moment.
    pub listings: Arc<crate::page_cache::TtlCache<listings::Listing>>,
    pub rooms: Arc<room::Rooms>,
    /// Wakes this node's job runner when a job was enqueued here.
    pub job_signal: Arc<tokio::sync::Notify>,
    /// The time jobs, deadlines and reminders go by (tests move it).
    pub clock: Arc<clock::Clock>,
    /// Requests to other servers (webhooks, push services): public addresses
    /// only (unless allowed), time-limited, no redirects.
    pub outgoing: crate::outgoing::Outgoing,
    /// The other nodes of this instance, through NATS (none without it).
    pub cluster: Arc<crate::cluster::Cluster>,
    /// The instance's unsubscribe key: made once, never changed, so read once.
    pub(crate) unsubscribe_key: Arc<tokio::sync::OnceCell<String>>,
}

impl App {
    /// The same app over another store (the job runner's own pool).
    pub fn with_store(&self, store: Store) -> App {
        App { mailer: self.mailer.with_store(store.clone()), store, ..self.clone() }
    }
}

/// The one error type of the service layer; pages and API each map it once.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("invalid input: {0}")]
    Invalid(Invalid),
    #[error("not found")]
    NotFound,
    #[error("sign in first")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    /// Someone else changed the thing meanwhile; nothing was saved.
    #[error("{0}")]
    Conflict(String),
    /// A link that worked once (invite, sign-in) and no longer does.
    #[error("{0}")]
    Gone(String),
    #[error("too many attempts")]
    RateLimited,
    /// The database is not answering for now: worth trying again shortly.
    #[error("the database is unavailable")]
    Unavailable,
    /// More is coming in than this node can write now: nothing was saved;
    /// the sender should slow down.
    #[error("busy")]
    SlowDown,
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn forbidden() -> Self {
        AppError::Forbidden("You don't have permission to do that.".into())
    }
}

impl From<Invalid> for AppError {
    fn from(i: Invalid) -> Self {
        AppError::Invalid(i)
    }
}

impl From<cowork_core::FieldError> for AppError {
    fn from(e: cowork_core::FieldError) -> Self {
        AppError::Invalid(Invalid(vec![e]))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Taken("slug") => Invalid::one("slug", "That address is taken; choose another.").into(),
            StoreError::Taken(f) => Invalid::one(f, format!("That {f} is already in use.")).into(),
            StoreError::Refused(field) => Invalid(vec![field]).into(),
            StoreError::LastOwner => AppError::Forbidden(cowork_core::permissions::Refusal::LastOwner.message().into()),
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "the database is not answering");
                AppError::Unavailable
            }
            other => {
                // Logged here with the detail; people only ever see a plain message.
                tracing::error!(error = %other, "store error");
                AppError::Internal(other.to_string())
            }
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// A fresh secret: `bytes` random bytes as hex.
pub fn secret(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    getrandom::getrandom(&mut b).expect("the OS random source works");
    hex(&b)
}

/// Secrets are stored as their SHA-256, so a copy of the database signs nobody in.
pub fn hash_secret(s: &str) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(s.as_bytes()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Equal-time comparison for secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl App {
    /// Now, by this app's clock (unix seconds).
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Counts a hit against each bucket; refuses when any is over its limit.
    pub async fn rate_limit(&self, buckets: &[(String, i64, i64)]) -> AppResult<()> {
        let now = now();
        let mut over = false;
        for (bucket, max, window) in buckets {
            let hits = self.store.hit_rate_limit(bucket, *window, now).await?;
            over |= hits > *max;
        }
        if over {
            self.metrics.rate_limited.inc();
            return Err(AppError::RateLimited);
        }
        Ok(())
    }
}

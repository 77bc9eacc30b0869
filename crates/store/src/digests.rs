//! What comes by the week or by the hour rather than with one change: the
//! weekly digest each person chose per community, and the organizers'
//! notices (join requests waiting, sessions in the next 48 hours without a
//! host), and who hosts a session when a series' hosts take turns. The hourly job finds what is due; a join request enqueues its
//! notice with itself.

use crate::jobs::{enqueue, notify, NewJob};
use crate::schedule::Tx;
use crate::{Result, Store};

/// Next week's sessions of one community, to one person, on Sunday evening.
pub const WEEKLY_DIGEST: &str = "mail.weekly_digest";
/// People waiting to join a community, to one organizer: at most one an hour.
pub const JOIN_REQUESTS: &str = "mail.join_requests";
/// A session starting within 48 hours has hosts taking turns but none
/// assigned, to one organizer or host of the series.
pub const NO_HOST: &str = "mail.no_host";

/// How long join requests gather before their organizers hear of them.
pub const JOIN_REQUESTS_EVERY: i64 = 3600;
/// How far ahead a session without a host is pointed out.
pub const NO_HOST_AHEAD: i64 = 48 * 3600;

/// Someone who chose a community's weekly digest.
#[derive(Debug, Clone)]
pub struct DigestReader {
    pub account_id: String,
    pub community_id: String,
    pub time_zone: String,
}

/// A session the hourly check found without a host.
#[derive(Debug, Clone)]
pub struct Unhosted {
    pub session_id: String,
    pub community_id: String,
    pub starts_at: i64,
}

/// Organizers and owners, who decide on requests and assign hosts.
async fn organizers(tx: &mut Tx<'_>, community_id: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT account_id FROM memberships WHERE community_id = $1 AND status = 'active' \
         AND role IN ('organizer', 'owner') ORDER BY account_id",
    )
    .bind(community_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// With a new join request: one notice per organizer for the hour it came
/// in, sent when that hour is over, so requests arriving together make one mail.
pub(crate) async fn enqueue_join_request_notices(tx: &mut Tx<'_>, community_id: &str, now: i64) -> Result<()> {
    let ends = now.div_euclid(JOIN_REQUESTS_EVERY) * JOIN_REQUESTS_EVERY + JOIN_REQUESTS_EVERY;
    for organizer in organizers(tx, community_id).await? {
        let payload = serde_json::json!({ "community_id": community_id, "account_id": organizer });
        let key = format!("{JOIN_REQUESTS}:{community_id}:{organizer}:{ends}");
        enqueue(tx, &NewJob::new(JOIN_REQUESTS, key, payload, ends), now).await?;
    }
    Ok(())
}

impl Store {
    /// Ids of the communities whose weekly digest the person chose.
    pub async fn digest_communities(&self, account_id: &str) -> Result<Vec<String>> {
        self.communities_listed_in("weekly_digests", account_id).await
    }

    /// Replaces the person's digests with `ids` (of communities they are an
    /// active member of), all or nothing.
    pub async fn set_digest_communities(&self, account_id: &str, ids: &[String], now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM weekly_digests WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
        for id in ids {
            sqlx::query(
                "INSERT INTO weekly_digests (account_id, community_id, created_at) SELECT $1, community_id, $3 FROM memberships \
                 WHERE account_id = $1 AND community_id = $2 AND status = 'active' ON CONFLICT DO NOTHING",
            )
            .bind(account_id)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Everyone who chose a digest of a community they are still an active
    /// member of, with their zone (the hourly job works out whose is due).
    pub async fn digest_readers(&self) -> Result<Vec<DigestReader>> {
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT d.account_id, d.community_id, a.time_zone FROM weekly_digests d \
             JOIN accounts a ON a.id = d.account_id \
             JOIN memberships m ON m.community_id = d.community_id AND m.account_id = d.account_id AND m.status = 'active' \
             ORDER BY d.community_id, d.account_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(account_id, community_id, time_zone)| DigestReader { account_id, community_id, time_zone }).collect())
    }

    /// Whether someone still reads a community's digest (they may have
    /// turned it off or left since it was queued).
    pub async fn reads_digest(&self, account_id: &str, community_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM weekly_digests d JOIN memberships m ON m.community_id = d.community_id \
             AND m.account_id = d.account_id AND m.status = 'active' WHERE d.account_id = $1 AND d.community_id = $2",
        )
        .bind(account_id)
        .bind(community_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// Scheduled sessions starting in `[from, to)` whose series has hosts
    /// taking turns (two or more) but none of them assigned to the session.
    pub async fn sessions_without_host(&self, from: i64, to: i64) -> Result<Vec<Unhosted>> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT s.id, s.community_id, s.starts_at FROM sessions s \
             WHERE s.starts_at >= $1 AND s.starts_at < $2 AND s.status = 'scheduled' \
             AND (SELECT COUNT(*) FROM series_hosts h WHERE h.series_id = s.series_id) > 1 \
             AND NOT EXISTS (SELECT 1 FROM session_hosts sh WHERE sh.session_id = s.id) \
             ORDER BY s.starts_at, s.id LIMIT 2000",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|(session_id, community_id, starts_at)| Unhosted { session_id, community_id, starts_at }).collect())
    }

    /// Who hosts a session: the one assigned, or else the series' only host
    /// (None: hosts taking turns and nobody assigned yet).
    pub async fn session_host(&self, session_id: &str) -> Result<Option<(String, String)>> {
        let assigned: Option<(String, String)> = sqlx::query_as(
            "SELECT a.id, a.display_name FROM session_hosts sh JOIN accounts a ON a.id = sh.account_id WHERE sh.session_id = $1",
        )
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?;
        if assigned.is_some() {
            return Ok(assigned);
        }
        let hosts: Vec<(String, String)> = sqlx::query_as(
            "SELECT a.id, a.display_name FROM series_hosts h JOIN sessions s ON s.series_id = h.series_id \
             JOIN accounts a ON a.id = h.account_id WHERE s.id = $1 ORDER BY a.id LIMIT 2",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(if hosts.len() == 1 { hosts.into_iter().next() } else { None })
    }

    /// Whether someone is assigned to host the session.
    pub async fn session_host_assigned(&self, session_id: &str) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM session_hosts WHERE session_id = $1").bind(session_id).fetch_one(&self.pool).await?;
        Ok(n > 0)
    }

    /// Assigns one of the series' hosts to a session, or nobody (`None`).
    /// False (and nothing changed) when `account_id` is not one of them.
    pub async fn set_session_host(&self, session_id: &str, account_id: Option<&str>, now: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM session_hosts WHERE session_id = $1").bind(session_id).execute(&mut *tx).await?;
        if let Some(account_id) = account_id {
            let added = sqlx::query(
                "INSERT INTO session_hosts (session_id, account_id, assigned_at) SELECT s.id, h.account_id, $3 FROM sessions s \
                 JOIN series_hosts h ON h.series_id = s.series_id WHERE s.id = $1 AND h.account_id = $2",
            )
            .bind(session_id)
            .bind(account_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if added.rows_affected() != 1 {
                return Ok(false);
            }
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Tells the organizers, and the series' hosts taking turns, that a
    /// session has no host: once per session and start (the dedupe key), as
    /// it comes within `NO_HOST_AHEAD`; useless once it has started.
    pub async fn enqueue_no_host_notices(&self, u: &Unhosted, now: i64) -> Result<usize> {
        let mut tx = self.begin().await?;
        let mut people = organizers(&mut tx, &u.community_id).await?;
        let rota: Vec<String> = sqlx::query_scalar(
            "SELECT h.account_id FROM series_hosts h JOIN sessions s ON s.series_id = h.series_id WHERE s.id = $1 ORDER BY h.account_id",
        )
        .bind(&u.session_id)
        .fetch_all(&mut *tx)
        .await?;
        people.extend(rota);
        people.sort();
        people.dedup();
        let mut queued = 0;
        for person in people {
            let payload = serde_json::json!({ "session_id": u.session_id, "account_id": person, "starts_at": u.starts_at });
            let key = format!("{NO_HOST}:{}:{person}:{}", u.session_id, u.starts_at);
            let at = (u.starts_at - NO_HOST_AHEAD).max(now);
            queued += usize::from(enqueue(&mut tx, &NewJob::new(NO_HOST, key, payload, at).until(u.starts_at), now).await?);
        }
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Enqueues many jobs in one transaction; returns how many were new.
    pub async fn enqueue_jobs(&self, jobs: &[NewJob], now: i64) -> Result<usize> {
        let mut tx = self.begin().await?;
        let mut queued = 0;
        for job in jobs {
            queued += usize::from(enqueue(&mut tx, job, now).await?);
        }
        notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// Names of the people waiting to join, oldest request first, and how many.
    pub async fn join_requests(&self, community_id: &str, limit: i64) -> Result<(Vec<String>, i64)> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT a.display_name FROM memberships m JOIN accounts a ON a.id = m.account_id \
             WHERE m.community_id = $1 AND m.status = 'pending' ORDER BY m.requested_at, a.id LIMIT $2",
        )
        .bind(community_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM memberships WHERE community_id = $1 AND status = 'pending'")
            .bind(community_id)
            .fetch_one(&self.pool)
            .await?;
        Ok((names, n))
    }
}

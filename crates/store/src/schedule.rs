//! Series and the plans that materialize their sessions.
//!
//! A series is stored as its wall time, zone and rule; its occurrences are
//! materialized as session rows with stable ids. The app works out which
//! occurrences a series has (core does the time-zone maths); the functions
//! here apply such a plan atomically.

use crate::cancellations::tell_of_cancellation;
use crate::rsvps::{lock_session, promote};
use crate::sessions::{tell_going_of_update, when_and_where};
use crate::{col, new_id, touched, Result, Store, StoreError};
use cowork_core::format::Phase;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Any;

pub(crate) type Tx<'a> = sqlx::Transaction<'a, Any>;

pub(crate) fn phases_json(p: &[Phase]) -> String {
    serde_json::to_string(p).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn phases_of(row: &AnyRow) -> Result<Vec<Phase>> {
    let text: String = col(row, "phases")?;
    Ok(serde_json::from_str(&text).unwrap_or_default())
}

// ---- series and sessions

/// What a series and each of its sessions share.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Content {
    pub title: String,
    pub description: String,
    pub format_name: String,
    pub phases: Vec<Phase>,
    pub time_zone: String,
    /// The in-person limit when there is a place (0: none).
    pub capacity: i64,
    /// online | in_person | hybrid
    pub place: String,
    pub video_url: String,
    /// The place met at ('' for a call).
    pub place_id: String,
    pub language: String,
    /// The online limit of a hybrid session (0: none).
    pub online_capacity: i64,
    /// call | coworking_day | drop_in | open_house
    pub kind: String,
}

pub(crate) fn content(r: &AnyRow) -> Result<Content> {
    Ok(Content {
        title: col(r, "title")?,
        description: col(r, "description")?,
        format_name: col(r, "format_name")?,
        phases: phases_of(r)?,
        time_zone: col(r, "time_zone")?,
        capacity: col(r, "capacity")?,
        place: col(r, "place")?,
        video_url: col(r, "video_url")?,
        place_id: col(r, "place_id")?,
        language: col(r, "language")?,
        online_capacity: col(r, "online_capacity")?,
        kind: col(r, "kind")?,
    })
}

/// The schedule of a series: its format key, first date, wall time and rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    pub format_key: String,
    pub start_date: String,
    pub start_time: String,
    pub rrule: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Series {
    pub id: String,
    pub community_id: String,
    #[serde(flatten)]
    pub content: Content,
    #[serde(flatten)]
    pub timing: Timing,
    /// approved | pending | declined: a member's proposed coworking day may wait for an organizer.
    pub approval: String,
    pub created_by: String,
    pub version: i64,
    pub materialized_until: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const SERIES_COLUMNS: &str =
    "id, community_id, title, description, format_key, format_name, phases, start_date, start_time, time_zone, rrule, \
     capacity, place, video_url, place_id, language, online_capacity, kind, approval, created_by, version, materialized_until, created_at, updated_at";

fn series(r: &AnyRow) -> Result<Series> {
    Ok(Series {
        id: col(r, "id")?,
        community_id: col(r, "community_id")?,
        content: content(r)?,
        timing: Timing {
            format_key: col(r, "format_key")?,
            start_date: col(r, "start_date")?,
            start_time: col(r, "start_time")?,
            rrule: col(r, "rrule")?,
        },
        approval: col(r, "approval")?,
        created_by: col(r, "created_by")?,
        version: col(r, "version")?,
        materialized_until: col(r, "materialized_until")?,
        created_at: col(r, "created_at")?,
        updated_at: col(r, "updated_at")?,
    })
}

/// One occurrence of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub occurrence: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

/// A series read from a calendar file, with the dates that file changed.
#[derive(Debug, Clone)]
pub struct ImportedSeries {
    pub content: Content,
    pub timing: Timing,
    /// The local date through which its sessions exist.
    pub through: String,
    /// The occurrences that follow the series.
    pub plan: Vec<Planned>,
    /// Occurrences the file cancelled, moved or changed, and dates it added:
    /// stored detached, so later edits of the series leave them as they are.
    pub exceptions: Vec<Exception>,
    /// The UID of the event it came from, so a file imports once.
    pub source_uid: String,
}

#[derive(Debug, Clone)]
pub struct Exception {
    pub planned: Planned,
    pub content: Content,
    pub cancelled: bool,
}

/// What saving a series did to its sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PlanReport {
    pub added: usize,
    pub updated: usize,
    /// Dropped by the edit but people had said they'd come: kept, marked cancelled.
    pub cancelled: usize,
    pub removed: usize,
}

impl Store {
    // ---- series

    /// Creates a series with its first sessions, in one transaction.
    pub async fn create_series(
        &self,
        community_id: &str,
        c: &Content,
        t: &Timing,
        created_by: &str,
        plan: &[Planned],
        through: &str,
        now: i64,
    ) -> Result<Series> {
        let id = new_id();
        let mut tx = self.begin().await?;
        insert_series(&mut tx, &id, community_id, c, t, created_by, through, now).await?;
        apply_plan(&mut tx, &id, community_id, c, plan, None, self.room_opens_seconds, now).await?;
        let payload = serde_json::json!({ "event": "series.created", "community_id": community_id, "series_id": id });
        crate::webhooks::enqueue_event(&mut tx, community_id, "series.created", &id, payload, now, None, now).await?;
        // Sessions starting before the next hourly look-ahead get theirs now.
        crate::webhooks::enqueue_starting(&mut tx, Some(community_id), None, now, now + crate::webhooks::STARTING_WINDOW, now).await?;
        crate::jobs::notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        self.series(&id).await
    }

    /// A member's proposed coworking day, waiting for an organizer: stored
    /// with no sessions until it is approved.
    pub async fn propose_series(&self, community_id: &str, c: &Content, t: &Timing, created_by: &str, now: i64) -> Result<Series> {
        let id = new_id();
        let mut tx = self.begin().await?;
        insert_series(&mut tx, &id, community_id, c, t, created_by, "", now).await?;
        sqlx::query("UPDATE series SET approval = 'pending' WHERE id = $1").bind(&id).execute(&mut *tx).await?;
        tx.commit().await?;
        self.series(&id).await
    }

    /// An organizer's answer to a proposed day. Only a pending one changes
    /// (two organizers answering at once: the first wins, the second is told
    /// it is stale); its sessions are then planned like any series'.
    pub async fn decide_series(&self, id: &str, approve: bool, now: i64) -> Result<Series> {
        let r =
            sqlx::query("UPDATE series SET approval = $2, version = version + 1, updated_at = $3 WHERE id = $1 AND approval = 'pending'")
                .bind(id)
                .bind(if approve { "approved" } else { "declined" })
                .bind(now)
                .execute(&self.pool)
                .await?;
        if r.rows_affected() == 0 {
            self.series(id).await?;
            return Err(StoreError::Stale);
        }
        self.series(id).await
    }

    /// A community's proposed days waiting for an organizer, oldest first.
    pub async fn pending_series(&self, community_id: &str) -> Result<Vec<Series>> {
        let sql = format!("SELECT {SERIES_COLUMNS} FROM series WHERE community_id = $1 AND approval = 'pending' ORDER BY created_at, id");
        let rows = sqlx::query(&sql).bind(community_id).fetch_all(&self.pool).await?;
        rows.iter().map(series).collect()
    }

    /// Creates many series (each with its sessions) in one transaction: an
    /// import lands whole or not at all. Returns the sessions added.
    pub async fn create_one_offs(
        &self,
        community_id: &str,
        items: &[(Content, Timing, Vec<Planned>, String)],
        created_by: &str,
        now: i64,
    ) -> Result<usize> {
        let mut tx = self.begin().await?;
        let mut added = 0;
        for (c, t, plan, source_uid) in items {
            let id = new_id();
            let through = plan.last().map(|p| p.occurrence.clone()).unwrap_or_default();
            insert_series(&mut tx, &id, community_id, c, t, created_by, &through, now).await?;
            sqlx::query("UPDATE series SET source_uid = $2 WHERE id = $1").bind(&id).bind(source_uid).execute(&mut *tx).await?;
            added += apply_plan(&mut tx, &id, community_id, c, plan, None, self.room_opens_seconds, now).await?.added;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Creates the series of an import (each with its sessions and exceptions)
    /// in one transaction: an import lands whole or not at all. Returns the
    /// sessions added (cancelled ones included) and the new series' ids, in order.
    pub async fn import_series(
        &self,
        community_id: &str,
        items: &[ImportedSeries],
        created_by: &str,
        now: i64,
    ) -> Result<(usize, Vec<String>)> {
        let mut tx = self.begin().await?;
        let mut added = 0;
        let mut ids = Vec::with_capacity(items.len());
        for s in items {
            let id = new_id();
            ids.push(id.clone());
            insert_series(&mut tx, &id, community_id, &s.content, &s.timing, created_by, &s.through, now).await?;
            sqlx::query("UPDATE series SET source_uid = $2 WHERE id = $1").bind(&id).bind(&s.source_uid).execute(&mut *tx).await?;
            let rows: Vec<NewSession> = s
                .exceptions
                .iter()
                .map(|e| NewSession {
                    content: &e.content,
                    planned: &e.planned,
                    status: if e.cancelled { "cancelled" } else { "scheduled" },
                    detached: 1,
                })
                .chain(s.plan.iter().map(|p| NewSession { content: &s.content, planned: p, status: "scheduled", detached: 0 }))
                .collect();
            added += insert_new_sessions(&mut tx, &id, community_id, &rows, now).await?;
        }
        tx.commit().await?;
        Ok((added, ids))
    }

    /// UIDs of the events already imported into a community.
    pub async fn imported_uids(&self, community_id: &str) -> Result<std::collections::HashSet<String>> {
        let v: Vec<String> = sqlx::query_scalar("SELECT source_uid FROM series WHERE community_id = $1 AND source_uid <> ''")
            .bind(community_id)
            .fetch_all(&self.pool)
            .await?;
        Ok(v.into_iter().collect())
    }

    pub async fn series(&self, id: &str) -> Result<Series> {
        let sql = format!("SELECT {SERIES_COLUMNS} FROM series WHERE id = $1");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        series(&row.ok_or(StoreError::NotFound)?)
    }

    pub async fn series_of(&self, community_id: &str) -> Result<Vec<Series>> {
        let sql = format!("SELECT {SERIES_COLUMNS} FROM series WHERE community_id = $1 ORDER BY title, id");
        let rows = sqlx::query(&sql).bind(community_id).fetch_all(&self.pool).await?;
        rows.iter().map(series).collect()
    }

    /// Series whose sessions run out before `date`, for the job that extends them.
    pub async fn series_to_extend(&self, date: &str, limit: i64) -> Result<Vec<Series>> {
        let sql = format!(
            "SELECT {SERIES_COLUMNS} FROM series WHERE rrule <> '' AND approval = 'approved' AND materialized_until < $1 \
             ORDER BY materialized_until, id LIMIT $2"
        );
        let rows = sqlx::query(&sql).bind(date).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(series).collect()
    }

    pub async fn series_hosts(&self, series_id: &str) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query("SELECT a.id, a.display_name FROM series_hosts h JOIN accounts a ON a.id = h.account_id WHERE h.series_id = $1 ORDER BY a.display_name, a.id")
            .bind(series_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((col(r, "id")?, col(r, "display_name")?))).collect()
    }

    /// Adds a host to a series (doing nothing if they host it already).
    pub async fn add_series_host(&self, series_id: &str, account_id: &str) -> Result<()> {
        sqlx::query("INSERT INTO series_hosts (series_id, account_id) VALUES ($1, $2) ON CONFLICT (series_id, account_id) DO NOTHING")
            .bind(series_id)
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes a host (and the sessions they were to host are open again);
    /// a series always keeps at least one.
    pub async fn remove_series_host(&self, series_id: &str, account_id: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        touched(
            sqlx::query(
                "DELETE FROM series_hosts WHERE series_id = $1 AND account_id = $2 AND (SELECT COUNT(*) FROM series_hosts WHERE series_id = $1) > 1",
            )
            .bind(series_id)
            .bind(account_id)
            .execute(&mut *tx)
            .await?,
        )?;
        sqlx::query("DELETE FROM session_hosts WHERE account_id = $2 AND session_id IN (SELECT id FROM sessions WHERE series_id = $1)")
            .bind(series_id)
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Saves an edit of a whole series: its fields, then its sessions from
    /// `from` on, following `plan`. Fails with `Stale` if someone else saved
    /// it since `version` was read, so two organizers never interleave.
    #[allow(clippy::too_many_arguments)]
    pub async fn save_series(
        &self,
        id: &str,
        version: i64,
        c: &Content,
        t: &Timing,
        plan: &[Planned],
        from: &str,
        through: &str,
        now: i64,
    ) -> Result<PlanReport> {
        let mut tx = self.begin().await?;
        let community_id = update_series_row(&mut tx, id, version, c, t, through, now).await?;
        let report = apply_plan(&mut tx, id, &community_id, c, plan, Some(from), self.room_opens_seconds, now).await?;
        crate::jobs::notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(report)
    }

    /// "This and following": the old series ends the day before `from`
    /// (`old_rrule`), a new series takes the sessions from `from` on and
    /// follows `plan`. One transaction.
    #[allow(clippy::too_many_arguments)]
    pub async fn split_series(
        &self,
        id: &str,
        version: i64,
        old_rrule: &str,
        c: &Content,
        t: &Timing,
        plan: &[Planned],
        from: &str,
        through: &str,
        created_by: &str,
        now: i64,
    ) -> Result<(Series, PlanReport)> {
        let mut tx = self.begin().await?;
        let r = sqlx::query("UPDATE series SET rrule = $3, version = version + 1, updated_at = $4 WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .bind(old_rrule)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Err(StoreError::Stale);
        }
        let old = {
            let sql = format!("SELECT {SERIES_COLUMNS} FROM series WHERE id = $1");
            series(&sqlx::query(&sql).bind(id).fetch_one(&mut *tx).await?)?
        };
        let new_id = new_id();
        let mut t = t.clone();
        t.start_date = t.start_date.max(from.to_string());
        insert_series(&mut tx, &new_id, &old.community_id, c, &t, created_by, through, now).await?;
        sqlx::query("UPDATE series SET parent_id = $2 WHERE id = $1").bind(&new_id).bind(id).execute(&mut *tx).await?;
        // The new series starts with the old one's hosts too (the creator is one already).
        sqlx::query(
            "INSERT INTO series_hosts (series_id, account_id) SELECT $2, account_id FROM series_hosts WHERE series_id = $1 \
             ON CONFLICT (series_id, account_id) DO NOTHING",
        )
        .bind(id)
        .bind(&new_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO series_followers (series_id, account_id, created_at) SELECT $2, account_id, created_at FROM series_followers WHERE series_id = $1")
            .bind(id)
            .bind(&new_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE sessions SET series_id = $2 WHERE series_id = $1 AND occurrence >= $3")
            .bind(id)
            .bind(&new_id)
            .bind(from)
            .execute(&mut *tx)
            .await?;
        let report = apply_plan(&mut tx, &new_id, &old.community_id, c, plan, Some(from), self.room_opens_seconds, now).await?;
        crate::jobs::notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok((self.series(&new_id).await?, report))
    }

    /// Adds the occurrences a series gained as time moved on (never changes existing ones).
    /// The plan was worked out from the series at `version`: if it has been
    /// edited since, nothing is added (the edit made its own sessions, and the
    /// next run plans from the new version).
    pub async fn extend_series(&self, id: &str, version: i64, plan: &[Planned], through: &str, now: i64) -> Result<usize> {
        let mut tx = self.begin().await?;
        // Touching the row takes its lock, so an edit cannot slip in between.
        let current = sqlx::query("UPDATE series SET version = version WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?;
        if current.rows_affected() == 0 {
            return Ok(0);
        }
        let s = {
            let sql = format!("SELECT {SERIES_COLUMNS} FROM series WHERE id = $1");
            series(&sqlx::query(&sql).bind(id).fetch_optional(&mut *tx).await?.ok_or(StoreError::NotFound)?)?
        };
        let mut added = 0;
        for p in plan {
            added += insert_session(&mut tx, id, &s.community_id, &s.content, p, now).await?;
        }
        sqlx::query("UPDATE series SET materialized_until = $2 WHERE id = $1 AND materialized_until < $2")
            .bind(id)
            .bind(through)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(added)
    }
}

#[allow(clippy::too_many_arguments)]
async fn insert_series(
    tx: &mut Tx<'_>,
    id: &str,
    community_id: &str,
    c: &Content,
    t: &Timing,
    created_by: &str,
    through: &str,
    now: i64,
) -> Result<()> {
    let q = sqlx::query(
        "INSERT INTO series (id, community_id, title, description, format_key, format_name, phases, start_date, start_time, time_zone, rrule, \
         capacity, place, video_url, place_id, language, online_capacity, kind, approval, created_by, materialized_until, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'approved', $19, $20, $21, $21)",
    )
    .bind(id)
    .bind(community_id);
    bind_series(q, c, t).bind(created_by).bind(through).bind(now).execute(&mut **tx).await?;
    sqlx::query("INSERT INTO series_hosts (series_id, account_id) VALUES ($1, $2)").bind(id).bind(created_by).execute(&mut **tx).await?;
    Ok(())
}

pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments<'q>>;

/// Binds a series' fields in the order its insert and update both use ($3 to $18).
fn bind_series<'q>(q: AnyQuery<'q>, c: &'q Content, t: &'q Timing) -> AnyQuery<'q> {
    q.bind(&c.title)
        .bind(&c.description)
        .bind(&t.format_key)
        .bind(&c.format_name)
        .bind(phases_json(&c.phases))
        .bind(&t.start_date)
        .bind(&t.start_time)
        .bind(&c.time_zone)
        .bind(&t.rrule)
        .bind(c.capacity)
        .bind(&c.place)
        .bind(&c.video_url)
        .bind(&c.place_id)
        .bind(&c.language)
        .bind(c.online_capacity)
        .bind(&c.kind)
}

/// Binds what a session shares with its series, in the order every session
/// statement uses ($2 to $13).
pub(crate) fn bind_content<'q>(q: AnyQuery<'q>, c: &'q Content) -> AnyQuery<'q> {
    q.bind(&c.title)
        .bind(&c.description)
        .bind(&c.format_name)
        .bind(phases_json(&c.phases))
        .bind(&c.time_zone)
        .bind(c.capacity)
        .bind(&c.place)
        .bind(&c.video_url)
        .bind(&c.place_id)
        .bind(&c.language)
        .bind(c.online_capacity)
        .bind(&c.kind)
}

async fn update_series_row(tx: &mut Tx<'_>, id: &str, version: i64, c: &Content, t: &Timing, through: &str, now: i64) -> Result<String> {
    let r = sqlx::query(
        "UPDATE series SET title = $3, description = $4, format_key = $5, format_name = $6, phases = $7, start_date = $8, start_time = $9, \
         time_zone = $10, rrule = $11, capacity = $12, place = $13, video_url = $14, place_id = $15, language = $16, online_capacity = $17, \
         kind = $18, materialized_until = $19, version = version + 1, updated_at = $20 WHERE id = $1 AND version = $2",
    )
    .bind(id)
    .bind(version);
    let r = bind_series(r, c, t).bind(through).bind(now).execute(&mut **tx).await?;
    if r.rows_affected() == 0 {
        let exists: Option<String> = sqlx::query_scalar("SELECT id FROM series WHERE id = $1").bind(id).fetch_optional(&mut **tx).await?;
        return Err(if exists.is_some() { StoreError::Stale } else { StoreError::NotFound });
    }
    Ok(sqlx::query_scalar("SELECT community_id FROM series WHERE id = $1").bind(id).fetch_one(&mut **tx).await?)
}

/// A session of a series being created, as `insert_new_sessions` writes it.
struct NewSession<'a> {
    content: &'a Content,
    planned: &'a Planned,
    status: &'static str,
    detached: i64,
}

/// Writes the sessions of a new series 50 rows to a statement: an import of
/// 500 daily series (100,500 sessions) took 35 s on PostgreSQL a row at a
/// time, 9 s so; SQLite's binding slows down past about 50 rows.
async fn insert_new_sessions(tx: &mut Tx<'_>, series_id: &str, community_id: &str, rows: &[NewSession<'_>], now: i64) -> Result<usize> {
    const PER_ROW: usize = 21;
    let mut added = 0;
    for chunk in rows.chunks(50) {
        let mut sql = String::from(
            "INSERT INTO sessions (id, title, description, format_name, phases, time_zone, capacity, place, video_url, place_id, language, \
             online_capacity, kind, series_id, community_id, occurrence, starts_at, ends_at, status, detached, created_at, updated_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let p: Vec<String> = (1..=PER_ROW).map(|k| format!("${}", i * PER_ROW + k)).collect();
            // created_at and updated_at are both "now".
            sql.push_str(&format!("{}({}, {})", if i == 0 { "" } else { ", " }, p.join(", "), p[PER_ROW - 1]));
        }
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = bind_content(q.bind(new_id()), r.content)
                .bind(series_id)
                .bind(community_id)
                .bind(&r.planned.occurrence)
                .bind(r.planned.starts_at)
                .bind(r.planned.ends_at)
                .bind(r.status)
                .bind(r.detached)
                .bind(now);
        }
        added += q.execute(&mut **tx).await?.rows_affected() as usize;
    }
    Ok(added)
}

/// Inserts an occurrence unless it exists; returns 1 if it was new.
async fn insert_session(tx: &mut Tx<'_>, series_id: &str, community_id: &str, c: &Content, p: &Planned, now: i64) -> Result<usize> {
    let q = sqlx::query(
        "INSERT INTO sessions (id, title, description, format_name, phases, time_zone, capacity, place, video_url, place_id, language, \
         online_capacity, kind, series_id, community_id, occurrence, starts_at, ends_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) \
         ON CONFLICT (series_id, occurrence) DO NOTHING",
    )
    .bind(new_id());
    let r = bind_content(q, c)
        .bind(series_id)
        .bind(community_id)
        .bind(&p.occurrence)
        .bind(p.starts_at)
        .bind(p.ends_at)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(r.rows_affected() as usize)
}

/// Brings a series' sessions from `from` on in line with `plan`: new
/// occurrences are added, kept ones take the series' fields (unless edited on
/// their own), dropped ones go — or, if people had answered, stay as cancelled.
async fn apply_plan(
    tx: &mut Tx<'_>,
    series_id: &str,
    community_id: &str,
    c: &Content,
    plan: &[Planned],
    from: Option<&str>,
    opens: i64,
    now: i64,
) -> Result<PlanReport> {
    let mut report = PlanReport::default();
    if let Some(from) = from {
        let existing: Vec<(String, String, i64, i64)> = {
            // What has begun is history: never changed by an edit.
            let rows = sqlx::query(
                "SELECT id, occurrence, detached, starts_at FROM sessions WHERE series_id = $1 AND occurrence >= $2 AND starts_at > $3",
            )
            .bind(series_id)
            .bind(from)
            .bind(now)
            .fetch_all(&mut **tx)
            .await?;
            rows.iter()
                .map(|r| Ok((col(r, "id")?, col(r, "occurrence")?, col(r, "detached")?, col(r, "starts_at")?)))
                .collect::<Result<_>>()?
        };
        for (id, occurrence, _, _) in &existing {
            // Under the session's lock (the one RSVPs take), re-read what may have changed
            // since the list was read: a concurrent edit, cancellation or answer wins.
            lock_session(tx, id).await?;
            let detached: i64 = sqlx::query_scalar("SELECT detached FROM sessions WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
            let detached = &detached;
            match plan.iter().find(|p| &p.occurrence == occurrence) {
                Some(p) if *detached == 0 => {
                    let before = when_and_where(tx, id).await?;
                    let q = sqlx::query(
                        "UPDATE sessions SET title = $2, description = $3, format_name = $4, phases = $5, time_zone = $6, capacity = $7, place = $8, \
                         video_url = $9, place_id = $10, language = $11, online_capacity = $12, kind = $13, starts_at = $14, ends_at = $15, \
                         status = 'scheduled', sequence = sequence + 1, updated_at = $16 WHERE id = $1",
                    )
                    .bind(id);
                    bind_content(q, c).bind(p.starts_at).bind(p.ends_at).bind(now).execute(&mut **tx).await?;
                    let promoted = promote(tx, id, opens, now).await?;
                    // Those going hear of a new time, place or link, with the updated invitation.
                    if when_and_where(tx, id).await? != before {
                        tell_going_of_update(tx, id, &promoted, opens, now).await?;
                    }
                    report.updated += 1;
                }
                Some(_) => {}
                None if *detached == 0 => {
                    let answered: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM rsvps WHERE session_id = $1 AND status <> 'cancelled'")
                        .bind(id)
                        .fetch_one(&mut **tx)
                        .await?;
                    if answered > 0 {
                        sqlx::query("UPDATE sessions SET status = 'cancelled', detached = 1, sequence = sequence + 1, updated_at = $2 WHERE id = $1")
                            .bind(id)
                            .bind(now)
                            .execute(&mut **tx)
                            .await?;
                        tell_of_cancellation(tx, id, now).await?;
                        report.cancelled += 1;
                    } else {
                        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(id).execute(&mut **tx).await?;
                        report.removed += 1;
                    }
                }
                None => {}
            }
        }
    }
    for p in plan {
        report.added += insert_session(tx, series_id, community_id, c, p, now).await?;
    }
    Ok(report)
}

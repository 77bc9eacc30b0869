//! A live room's ordered log, and who is in it. Every change to a room is
//! written with the room's next `seq`, in the same transaction as the change
//! itself, so that every node shows the same events in the same order, and a
//! node that missed some (NATS down, a node restarted) reads them back here.
//!
//! Writes come in batches (one transaction for many rooms: group commit). A
//! write that is refused (a stale notes version, a goal that is not yours)
//! is refused by its first step, before it changed anything, so the others
//! of its batch carry on; a database error redoes each write of the batch
//! alone, so one bad write never fails another's.

use crate::{col, Result, Store, StoreError};
use sqlx::{Any, Transaction};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// One change to a room's tables.
#[derive(Debug, Clone)]
pub enum RoomOp {
    AddMessage {
        id: String,
        table: Option<String>,
        account: String,
        text: String,
        at_ms: i64,
    },
    /// Refused (`NotFound`) when the message is not shown in this room.
    DeleteMessage {
        id: String,
        by: String,
    },
    AddGoal {
        id: String,
        account: String,
        text: String,
        at_ms: i64,
    },
    /// Refused (`NotFound`) unless the goal is `account`'s, in this room.
    CheckGoal {
        id: String,
        account: String,
        outcome: String,
        note: String,
        at_ms: i64,
    },
    RemoveGoal {
        id: String,
        account: String,
    },
    /// Refused (`Stale`) unless the saved timer is still `before` (as saved text).
    SaveTimer {
        before: String,
        timer: String,
    },
    /// Refused (`Stale`) unless the notes are still at version `base`.
    SaveNotes {
        base: i64,
        text: String,
        by: String,
        at_ms: i64,
    },
    AddTable {
        id: String,
        topic: String,
        video_url: String,
        by: String,
        until_phase: i64,
        at_ms: i64,
    },
    /// Closing gives up the table's seats. Refused (`NotFound`) for a table not in this room.
    SetTableClosed {
        id: String,
        closed: bool,
        until_phase: i64,
    },
    Seat {
        account: String,
        table: Option<String>,
    },
    /// Someone who may no longer be here (no longer a member, no longer
    /// going, the session cancelled): out of the room, but free to come back.
    Dismiss {
        account: String,
    },
    /// Someone a host removed: they may not come back, and are no longer here.
    Remove {
        account: String,
        by: String,
        at: i64,
    },
    /// A connection of `account` opens on `node`; the step takes effect (its
    /// event is logged) when it is the person's first anywhere. Refused
    /// (`TooMany`) when they already have `max` open, on all nodes together.
    Connect {
        account: String,
        node: String,
        person: String,
        max: i64,
    },
    /// A connection closes; takes effect when it was the person's last.
    Disconnect {
        account: String,
        node: String,
    },
    /// How the room shows someone now (status, mode, table), as JSON.
    SetPerson {
        account: String,
        person: String,
    },
}

/// One step of a write: a change, and the event that tells of it (a JSON
/// object without `seq` and `at_ms`, which the log adds).
#[derive(Debug, Clone)]
pub struct Step {
    pub op: RoomOp,
    pub event: Option<String>,
}

/// What one command changes in one room.
#[derive(Debug, Clone)]
pub struct RoomWrite {
    pub session_id: String,
    pub steps: Vec<Step>,
    pub now_ms: i64,
}

/// An event as logged: its `seq` and the frame every client gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub session_id: Arc<str>,
    pub seq: u64,
    pub body: Arc<str>,
}

/// The room's `seq` and the instant of its next event; `{"type":…}` becomes `{"seq":…,"at_ms":…,"type":…}`.
fn stamped(seq: i64, at_ms: i64, event: &str) -> String {
    let rest = event.strip_prefix('{').unwrap_or(event);
    let sep = if rest.trim_start().starts_with('}') { "" } else { "," };
    format!(r#"{{"seq":{seq},"at_ms":{at_ms}{sep}{rest}"#)
}

async fn log_event(tx: &mut Transaction<'static, Any>, session_id: &str, now_ms: i64, event: &str) -> Result<Logged> {
    let r = sqlx::query(
        "UPDATE room_state SET seq = seq + 1, last_ms = CASE WHEN last_ms >= $2 THEN last_ms + 1 ELSE $2 END \
         WHERE session_id = $1 RETURNING seq, last_ms",
    )
    .bind(session_id)
    .bind(now_ms)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let (seq, at): (i64, i64) = (col(&r, "seq")?, col(&r, "last_ms")?);
    let body = stamped(seq, at, event);
    sqlx::query("INSERT INTO room_events (session_id, seq, at_ms, body) VALUES ($1, $2, $3, $4)")
        .bind(session_id)
        .bind(seq)
        .bind(at)
        .bind(&body)
        .execute(&mut **tx)
        .await?;
    Ok(Logged { session_id: session_id.into(), seq: seq as u64, body: body.into() })
}

fn refused_unless(affected: u64, e: StoreError) -> Result<bool> {
    if affected == 0 {
        Err(e)
    } else {
        Ok(true)
    }
}

/// Carries out one change; whether it took effect (so its event is logged).
async fn apply(tx: &mut Transaction<'static, Any>, sid: &str, op: &RoomOp) -> Result<bool> {
    let c = &mut **tx;
    Ok(match op {
        RoomOp::AddMessage { id, table, account, text, at_ms } => {
            sqlx::query(
                "INSERT INTO room_messages (id, session_id, table_id, account_id, text, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(sid)
            .bind(table.as_deref())
            .bind(account)
            .bind(text)
            .bind(at_ms)
            .execute(c)
            .await?;
            true
        }
        RoomOp::DeleteMessage { id, by } => {
            let r =
                sqlx::query("UPDATE room_messages SET deleted_by = $3, text = '' WHERE session_id = $1 AND id = $2 AND deleted_by IS NULL")
                    .bind(sid)
                    .bind(id)
                    .bind(by)
                    .execute(c)
                    .await?;
            refused_unless(r.rows_affected(), StoreError::NotFound)?
        }
        RoomOp::AddGoal { id, account, text, at_ms } => {
            sqlx::query(
                "INSERT INTO room_goals (id, session_id, account_id, text, outcome, note, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'open', '', $5, $5)",
            )
            .bind(id)
            .bind(sid)
            .bind(account)
            .bind(text)
            .bind(at_ms)
            .execute(c)
            .await?;
            true
        }
        RoomOp::CheckGoal { id, account, outcome, note, at_ms } => {
            let r = sqlx::query(
                "UPDATE room_goals SET outcome = $4, note = $5, updated_at = $6 WHERE session_id = $1 AND id = $2 AND account_id = $3",
            )
            .bind(sid)
            .bind(id)
            .bind(account)
            .bind(outcome)
            .bind(note)
            .bind(at_ms)
            .execute(c)
            .await?;
            refused_unless(r.rows_affected(), StoreError::NotFound)?
        }
        RoomOp::RemoveGoal { id, account } => {
            let r = sqlx::query("DELETE FROM room_goals WHERE session_id = $1 AND id = $2 AND account_id = $3")
                .bind(sid)
                .bind(id)
                .bind(account)
                .execute(c)
                .await?;
            refused_unless(r.rows_affected(), StoreError::NotFound)?
        }
        RoomOp::SaveTimer { before, timer } => {
            let r = sqlx::query("UPDATE room_state SET timer = $3 WHERE session_id = $1 AND timer = $2")
                .bind(sid)
                .bind(before)
                .bind(timer)
                .execute(c)
                .await?;
            refused_unless(r.rows_affected(), StoreError::Stale)?
        }
        RoomOp::SaveNotes { base, text, by, at_ms } => {
            let r = sqlx::query(
                "UPDATE room_state SET notes = $3, notes_version = notes_version + 1, notes_by = $4, notes_at = $5 \
                 WHERE session_id = $1 AND notes_version = $2",
            )
            .bind(sid)
            .bind(base)
            .bind(text)
            .bind(by)
            .bind(at_ms)
            .execute(c)
            .await?;
            refused_unless(r.rows_affected(), StoreError::Stale)?
        }
        RoomOp::AddTable { id, topic, video_url, by, until_phase, at_ms } => {
            sqlx::query(
                "INSERT INTO room_tables (id, session_id, topic, video_url, proposed_by, until_phase, closed, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
            )
            .bind(id)
            .bind(sid)
            .bind(topic)
            .bind(video_url)
            .bind(by)
            .bind(until_phase)
            .bind(at_ms)
            .execute(c)
            .await?;
            true
        }
        RoomOp::SetTableClosed { id, closed, until_phase } => {
            let r = sqlx::query("UPDATE room_tables SET closed = $3, until_phase = $4 WHERE session_id = $1 AND id = $2")
                .bind(sid)
                .bind(id)
                .bind(*closed as i64)
                .bind(until_phase)
                .execute(&mut **tx)
                .await?;
            refused_unless(r.rows_affected(), StoreError::NotFound)?;
            if *closed {
                sqlx::query("DELETE FROM room_seats WHERE table_id = $1").bind(id).execute(&mut **tx).await?;
            }
            true
        }
        RoomOp::Seat { account, table } => {
            match table {
                Some(t) => sqlx::query(
                    "INSERT INTO room_seats (session_id, account_id, table_id) VALUES ($1, $2, $3) \
                     ON CONFLICT (session_id, account_id) DO UPDATE SET table_id = $3",
                )
                .bind(sid)
                .bind(account)
                .bind(t),
                None => sqlx::query("DELETE FROM room_seats WHERE session_id = $1 AND account_id = $2").bind(sid).bind(account),
            }
            .execute(c)
            .await?;
            true
        }
        RoomOp::Remove { account, by, at } => {
            sqlx::query(
                "INSERT INTO room_removals (session_id, account_id, removed_by, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (session_id, account_id) DO NOTHING",
            )
            .bind(sid)
            .bind(account)
            .bind(by)
            .bind(at)
            .execute(&mut **tx)
            .await?;
            for table in ["room_seats", "room_people"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE session_id = $1 AND account_id = $2"))
                    .bind(sid)
                    .bind(account)
                    .execute(&mut **tx)
                    .await?;
            }
            true
        }
        RoomOp::Dismiss { account } => {
            let r =
                sqlx::query("DELETE FROM room_people WHERE session_id = $1 AND account_id = $2").bind(sid).bind(account).execute(c).await?;
            r.rows_affected() > 0
        }
        RoomOp::Connect { account, node, person, max } => {
            if connections(tx, sid, account).await? >= *max {
                return Err(StoreError::TooMany);
            }
            sqlx::query(
                "INSERT INTO room_connections (session_id, account_id, node, conns) VALUES ($1, $2, $3, 1) \
                 ON CONFLICT (session_id, account_id, node) DO UPDATE SET conns = room_connections.conns + 1",
            )
            .bind(sid)
            .bind(account)
            .bind(node)
            .execute(&mut **tx)
            .await?;
            let r = sqlx::query(
                "INSERT INTO room_people (session_id, account_id, person, joined_seq) \
                 SELECT $1, $2, $3, seq FROM room_state WHERE session_id = $1 \
                 ON CONFLICT (session_id, account_id) DO NOTHING",
            )
            .bind(sid)
            .bind(account)
            .bind(person)
            .execute(&mut **tx)
            .await?;
            r.rows_affected() > 0
        }
        RoomOp::Disconnect { account, node } => {
            sqlx::query("UPDATE room_connections SET conns = conns - 1 WHERE session_id = $1 AND account_id = $2 AND node = $3")
                .bind(sid)
                .bind(account)
                .bind(node)
                .execute(&mut **tx)
                .await?;
            sqlx::query("DELETE FROM room_connections WHERE session_id = $1 AND account_id = $2 AND node = $3 AND conns <= 0")
                .bind(sid)
                .bind(account)
                .bind(node)
                .execute(&mut **tx)
                .await?;
            if connections(tx, sid, account).await? > 0 {
                return Ok(false);
            }
            let r = sqlx::query("DELETE FROM room_people WHERE session_id = $1 AND account_id = $2")
                .bind(sid)
                .bind(account)
                .execute(&mut **tx)
                .await?;
            r.rows_affected() > 0
        }
        RoomOp::SetPerson { account, person } => {
            sqlx::query("UPDATE room_people SET person = $3 WHERE session_id = $1 AND account_id = $2")
                .bind(sid)
                .bind(account)
                .bind(person)
                .execute(c)
                .await?;
            true
        }
    })
}

async fn connections(tx: &mut Transaction<'static, Any>, sid: &str, account: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT CAST(COALESCE(SUM(conns), 0) AS BIGINT) FROM room_connections WHERE session_id = $1 AND account_id = $2")
        .bind(sid)
        .bind(account)
        .fetch_one(&mut **tx)
        .await?)
}

/// One write inside a transaction: its steps, each step's event when it took effect.
pub(crate) async fn write_one(tx: &mut Transaction<'static, Any>, w: &RoomWrite) -> Result<Vec<Logged>> {
    let mut logged = Vec::new();
    for step in &w.steps {
        if apply(tx, &w.session_id, &step.op).await? {
            if let Some(e) = &step.event {
                logged.push(log_event(tx, &w.session_id, w.now_ms, e).await?);
            }
        }
    }
    Ok(logged)
}

/// Chat messages and new goals only: nothing to check, an event each.
fn is_plain(w: &RoomWrite) -> bool {
    w.steps.iter().all(|s| s.event.is_some() && matches!(s.op, RoomOp::AddMessage { .. } | RoomOp::AddGoal { .. }))
}

/// Rows per multi-row statement (well under both databases' limits on parameters).
const ROWS: usize = 200;

/// `($1, $2, …), ($n+1, …)`: `rows` rows of `width` placeholders.
fn placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", (1..=width).map(|c| format!("${}", r * width + c)).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Plain writes (`is_plain`), many rooms at once: one statement gives each
/// room its next `seq`s, and one each adds the messages, goals and events.
async fn write_plain(
    tx: &mut Transaction<'static, Any>,
    writes: &[RoomWrite],
    which: &[usize],
) -> Result<Vec<(usize, Result<Vec<Logged>>)>> {
    if which.is_empty() {
        return Ok(Vec::new());
    }
    let mut count: BTreeMap<&str, i64> = BTreeMap::new();
    for &i in which {
        *count.entry(writes[i].session_id.as_str()).or_default() += writes[i].steps.len() as i64;
    }
    let now = which.iter().map(|&i| writes[i].now_ms).max().unwrap_or(0);
    // Where each room's numbering ends: (last seq, last instant).
    let mut ends: HashMap<String, (i64, i64)> = HashMap::new();
    let rooms: Vec<(&str, i64)> = count.into_iter().collect();
    for chunk in rooms.chunks(ROWS) {
        let cases: String = (0..chunk.len()).map(|r| format!(" WHEN ${} THEN ${}", 2 * r + 2, 2 * r + 3)).collect();
        let ids: Vec<String> = (0..chunk.len()).map(|r| format!("${}", 2 * r + 2)).collect();
        let sql = format!(
            "UPDATE room_state SET seq = seq + (CASE session_id{cases} END), \
             last_ms = (CASE WHEN last_ms >= $1 THEN last_ms ELSE $1 END) + (CASE session_id{cases} END) \
             WHERE session_id IN ({}) RETURNING session_id, seq, last_ms",
            ids.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(now);
        for (id, n) in chunk {
            q = q.bind(*id).bind(*n);
        }
        for r in q.fetch_all(&mut **tx).await? {
            ends.insert(col(&r, "session_id")?, (col(&r, "seq")?, col(&r, "last_ms")?));
        }
    }
    // Numbered from the first of each room's new seqs, in the order written.
    let mut next: HashMap<&str, (i64, i64)> = HashMap::new();
    for (id, n) in &rooms {
        if let Some((seq, ms)) = ends.get(*id) {
            next.insert(id, (seq - n + 1, ms - n + 1));
        }
    }
    let mut out = Vec::with_capacity(which.len());
    let (mut messages, mut goals, mut events) = (Vec::new(), Vec::new(), Vec::new());
    for &i in which {
        let w = &writes[i];
        let Some((seq, ms)) = next.get_mut(w.session_id.as_str()) else {
            out.push((i, Err(StoreError::NotFound)));
            continue;
        };
        let mut logged = Vec::with_capacity(w.steps.len());
        for step in &w.steps {
            match &step.op {
                RoomOp::AddMessage { .. } => messages.push((&w.session_id, &step.op)),
                _ => goals.push((&w.session_id, &step.op)),
            }
            let body = stamped(*seq, *ms, step.event.as_deref().unwrap_or("{}"));
            events.push((w.session_id.as_str(), *seq, *ms, body.clone()));
            logged.push(Logged { session_id: w.session_id.as_str().into(), seq: *seq as u64, body: body.into() });
            *seq += 1;
            *ms += 1;
        }
        out.push((i, Ok(logged)));
    }
    for chunk in messages.chunks(ROWS) {
        let sql = format!(
            "INSERT INTO room_messages (id, session_id, table_id, account_id, text, created_at) VALUES {}",
            placeholders(chunk.len(), 6)
        );
        let mut q = sqlx::query(&sql);
        for (sid, op) in chunk {
            if let RoomOp::AddMessage { id, table, account, text, at_ms } = op {
                q = q.bind(id.as_str()).bind(sid.as_str()).bind(table.as_deref()).bind(account.as_str()).bind(text.as_str()).bind(*at_ms);
            }
        }
        q.execute(&mut **tx).await?;
    }
    for chunk in goals.chunks(ROWS) {
        let rows = (0..chunk.len())
            .map(|r| {
                format!("(${}, ${}, ${}, ${}, 'open', '', ${}, ${})", r * 5 + 1, r * 5 + 2, r * 5 + 3, r * 5 + 4, r * 5 + 5, r * 5 + 5)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("INSERT INTO room_goals (id, session_id, account_id, text, outcome, note, created_at, updated_at) VALUES {rows}");
        let mut q = sqlx::query(&sql);
        for (sid, op) in chunk {
            if let RoomOp::AddGoal { id, account, text, at_ms } = op {
                q = q.bind(id.as_str()).bind(sid.as_str()).bind(account.as_str()).bind(text.as_str()).bind(*at_ms);
            }
        }
        q.execute(&mut **tx).await?;
    }
    for chunk in events.chunks(ROWS) {
        let sql = format!("INSERT INTO room_events (session_id, seq, at_ms, body) VALUES {}", placeholders(chunk.len(), 4));
        let mut q = sqlx::query(&sql);
        for (sid, seq, at, body) in chunk {
            q = q.bind(*sid).bind(*seq).bind(*at).bind(body.as_str());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(out)
}

/// A refusal, as opposed to a database error: the write changed nothing, and
/// the rest of its batch goes on.
fn is_refusal(e: &StoreError) -> bool {
    matches!(e, StoreError::NotFound | StoreError::Stale | StoreError::TooMany)
}

impl Store {
    /// Writes a batch of room changes in one transaction, and logs their
    /// events. One answer per write, in order.
    pub async fn write_rooms(&self, writes: &[RoomWrite]) -> Vec<Result<Vec<Logged>>> {
        match self.write_batch(writes).await {
            Ok(v) => v,
            Err(e) if writes.len() == 1 => vec![Err(e)],
            Err(e) if e.is_unavailable() => writes.iter().map(|_| Err(StoreError::unavailable())).collect(),
            // One write broke the transaction: each alone, so only it fails.
            Err(_) => {
                let mut out = Vec::with_capacity(writes.len());
                for w in writes {
                    out.push(match self.write_batch(std::slice::from_ref(w)).await {
                        Ok(mut v) => v.pop().unwrap_or(Ok(Vec::new())),
                        Err(e) => Err(e),
                    });
                }
                out
            }
        }
    }

    async fn write_batch(&self, writes: &[RoomWrite]) -> Result<Vec<Result<Vec<Logged>>>> {
        let mut tx = self.begin().await?;
        let mut out: Vec<Option<Result<Vec<Logged>>>> = (0..writes.len()).map(|_| None).collect();
        // Rooms with only chat and new goals in this batch take a few statements
        // for the whole batch; the others, one write at a time.
        let mixed: HashSet<&str> = writes.iter().filter(|w| !is_plain(w)).map(|w| w.session_id.as_str()).collect();
        let (plain, mut rest): (Vec<usize>, Vec<usize>) = (0..writes.len()).partition(|&i| !mixed.contains(writes[i].session_id.as_str()));
        for (i, logged) in write_plain(&mut tx, writes, &plain).await? {
            out[i] = Some(logged);
        }
        // Rooms locked in one order on every node: two batches never deadlock.
        rest.sort_by(|a, b| writes[*a].session_id.cmp(&writes[*b].session_id));
        for i in rest {
            out[i] = Some(match write_one(&mut tx, &writes[i]).await {
                Ok(v) => Ok(v),
                Err(e) if is_refusal(&e) => Err(e),
                Err(e) => return Err(e),
            });
        }
        tx.commit().await?;
        Ok(out.into_iter().map(|r| r.unwrap_or(Ok(Vec::new()))).collect())
    }

    /// A room's events after `after`, oldest first (at most `limit`).
    pub async fn room_log(&self, session_id: &str, after: u64, limit: i64) -> Result<Vec<Logged>> {
        let rows = sqlx::query("SELECT seq, body FROM room_events WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
            .bind(session_id)
            .bind(after as i64)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let sid: Arc<str> = session_id.into();
        rows.iter()
            .map(|r| Ok(Logged { session_id: sid.clone(), seq: col::<i64>(r, "seq")? as u64, body: col::<String>(r, "body")?.into() }))
            .collect()
    }

    /// The last `seq` of each of these rooms.
    pub async fn room_seqs(&self, session_ids: &[String]) -> Result<Vec<(String, u64)>> {
        let mut out = Vec::new();
        for chunk in session_ids.chunks(200) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!("SELECT session_id, seq FROM room_state WHERE session_id IN ({})", marks.join(", "));
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            for r in q.fetch_all(&self.pool).await? {
                out.push((col(&r, "session_id")?, col::<i64>(&r, "seq")? as u64));
            }
        }
        Ok(out)
    }

    /// Drops logged events older than `before_ms`: nodes only read back recent ones.
    pub async fn purge_room_log(&self, before_ms: i64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM room_events WHERE at_ms < $1").bind(before_ms).execute(&self.pool).await?.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::stamped;

    #[test]
    fn events_get_their_seq_and_instant_first() {
        assert_eq!(stamped(7, 1000, r#"{"type":"chat","x":1}"#), r#"{"seq":7,"at_ms":1000,"type":"chat","x":1}"#);
        assert_eq!(stamped(1, 2, "{}"), r#"{"seq":1,"at_ms":2}"#);
    }
}

//! The live room of a session: who may come in, and what happens when
//! someone does something there. Each room that has people in it lives in
//! memory behind one lock; every change is written to the store, then
//! published to the room's connections through the [`Bus`], under that lock,
//! so everyone sees the same events in the same order.

use super::{now, App, AppError, AppResult};
use crate::app::communities::CommunityView;
use cowork_core::format::Phase;
use cowork_core::permissions::{room_rights, RoomRights};
use cowork_core::room::chat::{self, Span};
use cowork_core::room::presence;
use cowork_core::room::timer::{SkipUndo, Timer};
use cowork_core::rsvp::RsvpStatus;
use cowork_store::{new_id, Account, Goal, Message, MyFeedback, Session, Table};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// The protocol version this server speaks (docs/room-protocol.md).
pub const PROTOCOL: u32 = 1;
/// Chat in a snapshot's `history` frames: how much, and in frames of about this size.
const HISTORY_FRAME_BYTES: usize = 8 * 1024;
/// How much chat a snapshot carries.
const RECENT_MESSAGES: usize = 200;
/// The room stays open this long after the timer ends, for check-out and feedback.
pub const CLOSE_GRACE_MS: i64 = 30 * 60_000;
/// Earlier versions of the notes kept in memory, to merge edits made from them.
const NOTES_HISTORY: usize = 50;
/// Open tables at once, and tables in all (closed ones stay listed).
const MAX_OPEN_TABLES: usize = 30;
const MAX_TABLES: usize = 100;
/// Tabs one person may have open in a room.
const MAX_CONNECTIONS_PER_PERSON: usize = 5;
/// The room closes at the latest this long after its scheduled end, paused timer or not.
const LONGEST_OVERRUN_MS: i64 = 4 * 3600 * 1000;

/// The notes a room starts with, after The Turing Way's shared document.
pub fn notes_template(title: &str) -> String {
    format!(
        "# {title}\n\n\
         ## Sign-up\n\
         Name (pseudonyms welcome), pronouns, and an icebreaker: what is the best thing you read this month?\n\n\
         - \n\n\
         ## Conversation starters\n\
         - What are you working on today?\n\
         - What would make this session a good one for you?\n\n\
         ## Topic proposals\n\
         Propose a breakout table in the room, or note a topic here.\n\n\
         - \n\n\
         ## Notes and questions\n\n\
         - \n\n\
         ## Feedback\n\
         What worked, what could be better?\n\n\
         - \n"
    )
}

mod bus;
mod commands;
mod kept;

pub use bus::{Broadcast, Bus, LocalBus};
pub use commands::{Command, Reply, COMMANDS};
pub use kept::FeedbackView;

// ---- who is in a room

/// Someone let into a room, and what they may do there.
#[derive(Debug, Clone)]
pub struct Participant {
    pub account: Account,
    /// Drives the timer and tables.
    pub host: bool,
    /// Deletes messages and removes people (hosts and conduct contacts).
    pub moderator: bool,
    /// Tells this connection's own edits apart in events.
    pub conn: String,
}

/// Whether someone may come into a session's room, and when it is open.
pub struct Entry {
    pub session: Session,
    pub community: CommunityView,
    pub participant: Participant,
    pub opens_at_ms: i64,
    pub closes_at_ms: i64,
    /// The timer as it stands (as saved, or as scheduled).
    pub timer: Timer,
}

impl Entry {
    pub fn is_open(&self, now_ms: i64) -> bool {
        now_ms >= self.opens_at_ms && now_ms < self.closes_at_ms
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Person {
    pub id: String,
    pub name: String,
    pub pronouns: String,
    pub status: &'static str,
    pub mode: &'static str,
    pub table: Option<String>,
    pub host: bool,
    pub moderator: bool,
}

#[derive(Serialize)]
struct MessageView<'a> {
    #[serde(flatten)]
    message: &'a Message,
    spans: Vec<Span>,
}

fn message_view(m: &Message) -> MessageView<'_> {
    MessageView { message: m, spans: chat::spans(&m.text) }
}

#[derive(Serialize)]
struct Notes {
    version: i64,
    text: String,
    by: String,
    at_ms: i64,
}

/// A room with people in it.
struct State {
    session: Session,
    seq: u64,
    timer: Timer,
    /// The last skip, while a host may still take it back.
    undo: Option<SkipUndo>,
    /// Everyone here, in the order they came, with how many connections each has open.
    people: Vec<(Person, usize)>,
    goals: Vec<Goal>,
    messages: VecDeque<Message>,
    tables: Vec<Table>,
    notes: Notes,
    notes_history: VecDeque<(i64, String)>,
    removed: HashSet<String>,
    /// The last instant given to an event, so instants rise with `seq`.
    last_ms: i64,
    connections: usize,
    /// Emptied and forgotten: a newcomer must load the room afresh.
    retired: bool,
}

impl State {
    fn phases(&self) -> &[Phase] {
        &self.session.content.phases
    }

    fn instant(&mut self, now_ms: i64) -> i64 {
        self.last_ms = now_ms.max(self.last_ms + 1);
        self.last_ms
    }

    fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|(p, _)| p.id == id).map(|(p, _)| p)
    }

    fn person_mut(&mut self, id: &str) -> Option<&mut Person> {
        self.people.iter_mut().find(|(p, _)| p.id == id).map(|(p, _)| p)
    }

    /// The phase now, for tables (0 before the start, the last after the end).
    fn current_phase(&self, now_ms: i64) -> usize {
        let m = self.timer.at(now_ms);
        match m.phase {
            Some(p) => p,
            None if m.finished => self.phases().len().saturating_sub(1),
            None => 0,
        }
    }

    fn table_is_open(&self, t: &Table, now_ms: i64) -> bool {
        !t.closed && !self.timer.at(now_ms).finished && self.current_phase(now_ms) as i64 <= t.until_phase
    }

    fn closes_at(&self, now_ms: i64) -> i64 {
        closes_at(&self.session, &self.timer, now_ms)
    }

    /// The snapshot frame, then the chat in `history` frames of a few KB each:
    /// a connection's write buffer keeps the size of the largest frame it sent,
    /// so no frame is made larger than it has to be.
    fn snapshot(&self, who: &Participant, feedback: Option<MyFeedback>, now_ms: i64) -> Snapshot {
        let mut frames = Vec::new();
        let mut chunk: Vec<String> = Vec::new();
        let mut size = 0;
        for m in &self.messages {
            let one = serde_json::to_string(&message_view(m)).unwrap_or_default();
            size += one.len();
            chunk.push(one);
            if size >= HISTORY_FRAME_BYTES {
                frames.push(format!(r#"{{"type":"history","messages":[{}]}}"#, chunk.join(",")));
                chunk.clear();
                size = 0;
            }
        }
        if !chunk.is_empty() {
            frames.push(format!(r#"{{"type":"history","messages":[{}]}}"#, chunk.join(",")));
        }
        frames.insert(0, self.snapshot_frame(who, feedback, frames.len(), now_ms));
        Snapshot { seq: self.seq, frames }
    }

    fn snapshot_frame(&self, who: &Participant, feedback: Option<MyFeedback>, history: usize, now_ms: i64) -> String {
        let s = &self.session;
        json!({
            "type": "snapshot",
            "protocol": PROTOCOL,
            "seq": self.seq,
            "server_ms": now_ms,
            "me": {"id": who.account.id, "name": who.account.display_name, "host": who.host, "moderator": who.moderator, "conn": who.conn},
            "session": {
                "id": s.id, "title": s.content.title, "community": s.community_slug, "community_name": s.community_name,
                "starts_at_ms": s.starts_at * 1000, "ends_at_ms": s.ends_at * 1000, "closes_at_ms": self.closes_at(now_ms),
                "time_zone": s.content.time_zone, "format_name": s.content.format_name, "video_url": s.content.video_url,
            },
            "phases": self.phases(),
            "timer": self.timer,
            "people": self.people.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            "goals": self.goals,
            "messages": [],
            "history": history,
            "tables": self.tables,
            "notes": self.notes,
            "feedback": feedback,
        })
        .to_string()
    }
}

/// A room, loaded on the first connection and forgotten after the last.
pub struct Room {
    pub id: String,
    state: tokio::sync::Mutex<Option<State>>,
}

/// Every room with people in it on this node.
pub struct Rooms {
    live: Mutex<HashMap<String, Arc<Room>>>,
    bus: Arc<dyn Bus>,
}

impl Default for Rooms {
    fn default() -> Self {
        Rooms { live: Mutex::default(), bus: Arc::new(LocalBus::default()) }
    }
}

impl Rooms {
    fn room(&self, id: &str) -> Arc<Room> {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        live.entry(id.to_string()).or_insert_with(|| Arc::new(Room { id: id.to_string(), state: Default::default() })).clone()
    }

    fn forget(&self, room: &Arc<Room>) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        if live.get(&room.id).is_some_and(|r| Arc::ptr_eq(r, room)) {
            live.remove(&room.id);
        }
    }

    /// How many rooms have people in them, for metrics.
    pub fn live_count(&self) -> usize {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    fn publish(&self, st: &mut State, kind: &str, mut body: Value, now_ms: i64, removed: Option<String>) {
        st.seq += 1;
        let at = st.instant(now_ms);
        if let Value::Object(o) = &mut body {
            o.insert("type".into(), kind.into());
            o.insert("seq".into(), st.seq.into());
            o.insert("at_ms".into(), at.into());
        }
        self.bus.publish(&st.session.id, Arc::new(Broadcast { seq: st.seq, json: body.to_string().into(), removed }));
    }
}

/// A room as it is at `seq`: the `snapshot` frame and the `history` frames after it.
pub struct Snapshot {
    pub seq: u64,
    pub frames: Vec<String>,
}

/// What a connection gets on joining, or on resyncing after it fell behind.
pub struct Joined {
    pub room: Arc<Room>,
    pub snapshot: Snapshot,
    pub events: broadcast::Receiver<Arc<Broadcast>>,
}

fn removed() -> AppError {
    AppError::Forbidden("A host removed you from this room, so you can't come back into it.".into())
}

/// When a room closes: a while after the later of its scheduled end and its
/// timer's end, and never more than a few hours after the scheduled end.
fn closes_at(session: &Session, timer: &Timer, now_ms: i64) -> i64 {
    let scheduled = session.ends_at * 1000;
    scheduled.max(timer.ends_at(now_ms)).min(scheduled + LONGEST_OVERRUN_MS) + CLOSE_GRACE_MS
}

impl App {
    /// Whether `me` may come into the room of session `id`, and when it is open.
    pub async fn room_entry(&self, me: &Account, id: &str) -> AppResult<Entry> {
        // Lighter than the session page's view: a room fills with hundreds at once.
        let session = self.store.session(id).await?;
        if session.cancelled {
            return Err(AppError::Gone("This session was cancelled.".into()));
        }
        let community = self.community(Some(me), &session.community_slug).await?;
        if community.role().is_none() {
            return Err(AppError::Forbidden("The room is for members of the community: join it first.".into()));
        }
        let series_host = self.store.series_hosts(&session.series_id).await?.iter().any(|(a, _)| *a == me.id);
        let contact = self.store.is_conduct_contact(&community.community.id, &me.id).await?;
        let RoomRights { host, moderator } = room_rights(community.standing, series_host, contact);
        if session.content.capacity > 0 && !host {
            let going = self.store.rsvp_status(id, &me.id).await?.is_some_and(|r| r.status == RsvpStatus::Going);
            if !cowork_core::rsvp::may_enter_room(true, true, going, host) {
                return Err(AppError::Forbidden(
                    "This session has a limited number of places: the room is for the people going. Say you're going on the session's page."
                        .into(),
                ));
            }
        }
        if self.store.removed_from_room(id, &me.id).await? {
            return Err(AppError::Forbidden("A host removed you from this room, so you can't come back into it.".into()));
        }
        let opens_at_ms = session.starts_at * 1000 - i64::from(self.config.room_opens_minutes) * 60_000;
        let timer = match self.store.room_record(id).await? {
            Some(r) => serde_json::from_str::<Timer>(&r.timer).ok(),
            None => None,
        };
        let timer = timer.unwrap_or_else(|| Timer::scheduled(&session.content.phases, session.starts_at * 1000));
        let closes_at_ms = closes_at(&session, &timer, now_ms());
        let participant = Participant { account: me.clone(), host, moderator, conn: new_id() };
        Ok(Entry { session, community, participant, opens_at_ms, closes_at_ms, timer })
    }

    async fn load_room(&self, session: &Session, now_ms: i64) -> AppResult<State> {
        let id = &session.id;
        let fresh = Timer::scheduled(&session.content.phases, session.starts_at * 1000);
        let record = self
            .store
            .open_room(id, &serde_json::to_string(&fresh).unwrap_or_default(), &notes_template(&session.content.title), now_ms)
            .await?;
        let stored: Option<Timer> = serde_json::from_str(&record.timer).ok();
        // A timer nobody has touched yet follows the session as it is now (it
        // may have been moved or given another format since the room first opened).
        let untouched = |t: &Timer| t.phase == 0 && t.elapsed_ms == 0 && t.running && now_ms < t.anchor_ms;
        let timer = match stored {
            Some(t) if t.durations_ms.len() == fresh.durations_ms.len() && !untouched(&t) => t,
            _ => fresh,
        };
        Ok(State {
            session: session.clone(),
            seq: 0,
            timer,
            undo: None,
            people: Vec::new(),
            goals: self.store.room_goals(id).await?,
            messages: self.store.recent_messages(id, RECENT_MESSAGES as i64).await?.into(),
            tables: self.store.room_tables(id).await?,
            notes_history: VecDeque::from([(record.notes_version, record.notes.clone())]),
            notes: Notes { version: record.notes_version, text: record.notes, by: record.notes_by, at_ms: record.notes_at },
            removed: HashSet::new(),
            last_ms: 0,
            connections: 0,
            retired: false,
        })
    }

    /// Comes into a room: the snapshot to send, and the events after it.
    pub async fn join_room(&self, entry: &Entry) -> AppResult<Joined> {
        let who = &entry.participant;
        // Coming into the room is coming to the session, RSVP or not.
        self.store.record_arrival(&entry.session.id, &who.account.id, now()).await?;
        let feedback = self.store.my_feedback(&entry.session.id, &who.account.id).await?;
        let seat = self.store.seats(&entry.session.id).await?.into_iter().find(|(a, _)| *a == who.account.id).map(|(_, t)| t);
        loop {
            let room = self.rooms.room(&entry.session.id);
            let mut guard = room.state.lock().await;
            if guard.is_none() {
                *guard = Some(self.load_room(&entry.session, now_ms()).await?);
            }
            let st = guard.as_mut().expect("loaded above");
            if st.retired {
                drop(guard);
                continue;
            }
            // Removed since the door checked, or too many tabs: not in.
            if st.removed.contains(&who.account.id) {
                return Err(removed());
            }
            if st.people.iter().any(|(p, n)| p.id == who.account.id && *n >= MAX_CONNECTIONS_PER_PERSON) {
                return Err(AppError::Forbidden(format!(
                    "You have the room open {MAX_CONNECTIONS_PER_PERSON} times already; close a tab."
                )));
            }
            let now = now_ms();
            st.connections += 1;
            let events = self.rooms.bus.subscribe(&room.id);
            if let Some((_, n)) = st.people.iter_mut().find(|(p, _)| p.id == who.account.id) {
                *n += 1;
            } else {
                let a = &who.account;
                let person = Person {
                    id: a.id.clone(),
                    name: a.display_name.clone(),
                    pronouns: a.pronouns.clone(),
                    status: "focusing",
                    mode: presence::mode(&a.social_preference).unwrap_or("either"),
                    table: seat.clone().filter(|t| st.tables.iter().any(|x| x.id == *t)),
                    host: who.host,
                    moderator: who.moderator,
                };
                st.people.push((person.clone(), 1));
                self.rooms.publish(st, "joined", json!({ "person": person }), now, None);
            }
            let snapshot = st.snapshot(who, feedback.clone(), now);
            drop(guard);
            self.metrics.room_connections.inc();
            return Ok(Joined { room, snapshot, events });
        }
    }

    /// A fresh snapshot and subscription, for a connection that fell behind.
    pub async fn resync_room(&self, room: &Arc<Room>, who: &Participant) -> AppResult<(Snapshot, broadcast::Receiver<Arc<Broadcast>>)> {
        let feedback = self.store.my_feedback(&room.id, &who.account.id).await?;
        let guard = room.state.lock().await;
        let st = guard.as_ref().ok_or(AppError::NotFound)?;
        if st.removed.contains(&who.account.id) {
            return Err(removed());
        }
        let events = self.rooms.bus.subscribe(&room.id);
        Ok((st.snapshot(who, feedback, now_ms()), events))
    }

    /// A connection closed; the last one of a person means they left.
    pub async fn leave_room(&self, room: &Arc<Room>, who: &Participant) {
        self.metrics.room_connections.dec();
        let mut guard = room.state.lock().await;
        let Some(st) = guard.as_mut() else { return };
        let now = now_ms();
        if let Some(i) = st.people.iter().position(|(p, _)| p.id == who.account.id) {
            st.people[i].1 -= 1;
            if st.people[i].1 == 0 {
                st.people.remove(i);
                self.rooms.publish(st, "left", json!({ "account": who.account.id }), now, None);
            }
        }
        st.connections = st.connections.saturating_sub(1);
        if st.connections == 0 {
            // Kept (not emptied) so that a newcomer who already holds this room
            // sees it is retired and loads a fresh one from the map.
            st.retired = true;
            self.rooms.forget(room);
        }
    }

    /// When the room closes, as things stand now.
    pub async fn room_closes_at(&self, room: &Arc<Room>) -> Option<i64> {
        let now = now_ms();
        room.state.lock().await.as_ref().map(|st| st.closes_at(now))
    }

    /// Deletes chat older than the retention setting; notes, goals and reports stay.
    pub async fn purge_old_chat(&self) -> AppResult<u64> {
        match self.config.chat_retention_days {
            0 => Ok(0),
            days => Ok(self.store.purge_messages(now_ms() - i64::from(days) * 86_400_000).await?),
        }
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

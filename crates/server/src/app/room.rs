//! The live room of a session: who may come in, and what happens when
//! someone does. A room's changes are written to the store with the room's
//! next `seq`, in the same transaction as the change (`writer`), and every
//! node applies the logged events in that order to its copy of the room
//! (`mirror`, `delivery`), so people connected to different nodes see the
//! same events in the same order. Presence is kept in the store too, with a
//! heartbeat per node (`nodes`).

use super::{now, App, AppError, AppResult};
use crate::app::communities::CommunityView;
use cowork_core::permissions::{room_rights, Action, RoomRights};
use cowork_core::room::presence;
use cowork_core::room::timer::Timer;
use cowork_core::rsvp::RsvpStatus;
use cowork_store::{new_id, Account, RoomOp, RoomWrite, Session, Step, StoreError};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use tokio::sync::broadcast;

/// The protocol version this server speaks (docs/room-protocol.md).
pub const PROTOCOL: u32 = 1;
/// The room stays open this long after the timer ends, for check-out and feedback.
pub const CLOSE_GRACE_MS: i64 = 30 * 60_000;
/// Open tables at once, and tables in all (closed ones stay listed).
const MAX_OPEN_TABLES: usize = 30;
const MAX_TABLES: usize = 100;
/// Tabs one person may have open in a room, on all nodes together.
const MAX_CONNECTIONS_PER_PERSON: usize = 5;
/// Between two people's checks of their right to be in a room (19,900 people: 3 minutes).
const RIGHTS_PACE: std::time::Duration = std::time::Duration::from_millis(10);
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

mod commands;
mod delivery;
mod kept;
mod mirror;
mod nodes;
mod writer;

pub use commands::{Command, Reply, COMMANDS};
pub use delivery::{Broadcast, Room, Rooms};
pub use kept::FeedbackView;
pub use mirror::{Event, Snapshot};
pub use writer::WriteError;

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
    /// A pair's room rather than a community's session.
    pub fn is_pair(&self) -> bool {
        App::is_pair_room(&self.community.community.id)
    }
}

/// A room's door: what is checked once for everyone coming in.
struct Door {
    session: Session,
    community: cowork_store::Community,
    /// The series' hosts (account ids).
    hosts: Vec<String>,
}

/// Someone in the room, as everyone there sees them.
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

/// A person as logged, read back: status and mode must be ones the room knows.
#[derive(Deserialize)]
struct PersonFrame {
    id: String,
    name: String,
    pronouns: String,
    status: String,
    mode: String,
    table: Option<String>,
    host: bool,
    moderator: bool,
}

impl<'de> Deserialize<'de> for Person {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Person, D::Error> {
        let p = PersonFrame::deserialize(d)?;
        let bad = |e: cowork_core::FieldError| serde::de::Error::custom(e.message);
        Ok(Person {
            status: presence::status(&p.status).map_err(bad)?,
            mode: presence::mode(&p.mode).map_err(bad)?,
            id: p.id,
            name: p.name,
            pronouns: p.pronouns,
            table: p.table,
            host: p.host,
            moderator: p.moderator,
        })
    }
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
    /// What the door of a room checks that is the same for everyone.
    async fn room_door(&self, id: &str) -> AppResult<Door> {
        // Lighter than the session page's view: a room fills with hundreds at once.
        let session = match self.store.session(id).await {
            // A pair's room becomes a session when first entered.
            Err(StoreError::NotFound) => {
                self.open_partner_room(id).await?;
                self.store.session(id).await?
            }
            found => found?,
        };
        if session.cancelled {
            return Err(AppError::Gone("This session was cancelled.".into()));
        }
        let community = self.store.community(&session.community_slug).await?;
        let hosts = self.store.series_hosts(&session.series_id).await?.into_iter().map(|(a, _)| a).collect();
        Ok(Door { session, community, hosts })
    }

    /// Whether `me` may come in at `door`: a member, with a place where places
    /// are limited, not removed; and with which rights.
    async fn admit(&self, door: &Door, me: &Account) -> AppResult<(CommunityView, RoomRights)> {
        let standing = self.store.standing(&door.community.id, &me.id).await?;
        let community = CommunityView { community: door.community.clone(), standing };
        if App::is_pair_room(&door.community.id) {
            // Partners share the timer; there is no one to moderate for them.
            self.admit_to_pair(&door.session.id, me).await?;
            return Ok((community, RoomRights { host: true, moderator: false }));
        }
        if !community.may(Action::View) {
            return Err(AppError::NotFound);
        }
        if community.role().is_none() {
            return Err(AppError::Forbidden("The room is for members of the community: join it first.".into()));
        }
        let contact = self.store.is_conduct_contact(&door.community.id, &me.id).await?;
        let rights = room_rights(community.standing, door.hosts.contains(&me.id), contact);
        let id = &door.session.id;
        if door.session.content.capacity > 0 && !rights.host {
            let going = self.store.rsvp_status(id, &me.id).await?.is_some_and(|r| r.status == RsvpStatus::Going);
            if !cowork_core::rsvp::may_enter_room(true, true, going, rights.host) {
                return Err(AppError::Forbidden(
                    "This session has a limited number of places: the room is for the people going. Say you're going on the session's page."
                        .into(),
                ));
            }
        }
        if self.store.removed_from_room(id, &me.id).await? {
            return Err(AppError::Forbidden("A host removed you from this room, so you can't come back into it.".into()));
        }
        Ok((community, rights))
    }

    /// Whether `me` may come into the room of session `id`, and when it is open.
    pub async fn room_entry(&self, me: &Account, id: &str) -> AppResult<Entry> {
        let door = self.room_door(id).await?;
        let (community, RoomRights { host, moderator }) = self.admit(&door, me).await?;
        let session = door.session;
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

    /// The room as the store has it now, for this node's copy.
    async fn read_room(&self, session: &Session, now_ms: i64) -> AppResult<mirror::State> {
        let id = &session.id;
        let fresh = Timer::scheduled(&session.content.phases, session.starts_at * 1000);
        self.store
            .open_room(id, &serde_json::to_string(&fresh).unwrap_or_default(), &notes_template(&session.content.title), now_ms)
            .await?;
        let load = self.store.load_room(id, mirror::RECENT_MESSAGES as i64).await?;
        let stored: Option<Timer> = serde_json::from_str(&load.timer).ok();
        // A timer nobody has touched yet follows the session as it is now (it
        // may have been moved or given another format since the room first opened).
        let untouched = |t: &Timer| t.phase == 0 && t.elapsed_ms == 0 && t.running && now_ms < t.anchor_ms;
        let timer = match stored {
            Some(t) if t.durations_ms.len() == fresh.durations_ms.len() && !untouched(&t) => t,
            _ => fresh,
        };
        Ok(mirror::State::new(session.clone(), load, timer))
    }

    /// Comes into a room: the snapshot to send, and the events after it.
    pub async fn join_room(&self, entry: &Entry) -> AppResult<Joined> {
        let who = &entry.participant;
        // Coming into the room is coming to the session, RSVP or not.
        self.store.record_arrival(&entry.session.id, &who.account.id, now()).await?;
        if entry.is_pair() {
            self.store.record_partner_arrival(&entry.session.id, &who.account.id, self.now()).await?;
        }
        let feedback = self.store.my_feedback(&entry.session.id, &who.account.id).await?;
        let seat = self.store.seats(&entry.session.id).await?.into_iter().find(|(a, _)| *a == who.account.id).map(|(_, t)| t);
        // Counted in at once, so the room is not forgotten while this connection comes in.
        let room = loop {
            let room = self.rooms.room(&entry.session.id);
            let mut inner = room.lock();
            if inner.retired {
                continue;
            }
            inner.connections += 1;
            drop(inner);
            break room;
        };
        match self.enter(&room, entry, seat, feedback).await {
            Ok(j) => Ok(j),
            Err(e) => {
                self.let_go(&room, None);
                Err(e)
            }
        }
    }

    async fn enter(
        &self,
        room: &Arc<Room>,
        entry: &Entry,
        seat: Option<String>,
        feedback: Option<cowork_store::MyFeedback>,
    ) -> AppResult<Joined> {
        let who = &entry.participant;
        self.load(room, &entry.session, now_ms()).await?;
        let person = {
            let inner = room.lock();
            let st = inner.state.as_ref().ok_or(AppError::NotFound)?;
            // Removed since the door checked: not in.
            if st.removed.contains(&who.account.id) {
                return Err(removed());
            }
            let a = &who.account;
            Person {
                id: a.id.clone(),
                name: a.display_name.clone(),
                pronouns: a.pronouns.clone(),
                status: "focusing",
                mode: presence::mode(&a.social_preference).unwrap_or("either"),
                table: seat.filter(|t| st.tables.iter().any(|x| x.id == *t)),
                host: who.host,
                moderator: who.moderator,
            }
        };
        let step = Step {
            op: RoomOp::Connect {
                account: who.account.id.clone(),
                node: self.node_id().to_string(),
                person: serde_json::to_string(&person).unwrap_or_default(),
                max: MAX_CONNECTIONS_PER_PERSON as i64,
            },
            event: Some(nodes::joined(&person)),
        };
        let logged = match self.rooms.writer.write(RoomWrite { session_id: room.id.clone(), steps: vec![step], now_ms: now_ms() }).await {
            Err(WriteError::Store(StoreError::TooMany)) => {
                return Err(AppError::Forbidden(format!("You have the room open {MAX_CONNECTIONS_PER_PERSON} times already; close a tab.")))
            }
            r => r?,
        };
        self.deliver_events(logged, true);
        room.lock().local.entry(who.account.id.clone()).or_insert((0, person)).0 += 1;
        let (snapshot, events) = room.snapshot(who, feedback, now_ms()).ok_or(AppError::NotFound)?;
        self.metrics.room_connections.inc();
        Ok(Joined { room: room.clone(), snapshot, events })
    }

    /// A connection is no longer counted here; the room is forgotten with its last.
    fn let_go(&self, room: &Arc<Room>, account: Option<&str>) {
        let mut inner = room.lock();
        if let Some(a) = account {
            if let Some((n, _)) = inner.local.get_mut(a) {
                *n -= 1;
                if *n == 0 {
                    inner.local.remove(a);
                }
            }
        }
        inner.connections = inner.connections.saturating_sub(1);
        if inner.connections == 0 {
            // Kept (not emptied) so that a newcomer who already holds this room
            // sees it is retired and loads a fresh one from the map.
            inner.retired = true;
            drop(inner);
            self.rooms.forget(room);
        }
    }

    /// A fresh snapshot and subscription, for a connection that fell behind.
    pub async fn resync_room(&self, room: &Arc<Room>, who: &Participant) -> AppResult<(Snapshot, broadcast::Receiver<Arc<Broadcast>>)> {
        let feedback = self.store.my_feedback(&room.id, &who.account.id).await?;
        if room.lock().state.as_ref().is_some_and(|st| st.removed.contains(&who.account.id)) {
            return Err(removed());
        }
        room.snapshot(who, feedback, now_ms()).ok_or(AppError::NotFound)
    }

    /// A connection closed; the last one of a person, on any node, means they left.
    pub async fn leave_room(&self, room: &Arc<Room>, who: &Participant) {
        self.metrics.room_connections.dec();
        let step = Step {
            op: RoomOp::Disconnect { account: who.account.id.clone(), node: self.node_id().to_string() },
            event: Some(nodes::left(&who.account.id)),
        };
        let write = RoomWrite { session_id: room.id.clone(), steps: vec![step], now_ms: now_ms() };
        self.let_go(room, Some(&who.account.id));
        // Tried again for a while if the store does not answer (a busy node, a
        // database restarting): otherwise they would stay shown as here.
        for attempt in 0..8 {
            match self.rooms.writer.write(write.clone()).await {
                Ok(logged) => return self.deliver_events(logged, true),
                Err(e) => {
                    tracing::debug!(room = %room.id, error = ?e, "could not record a departure yet");
                    tokio::time::sleep(nodes::backoff(attempt)).await;
                }
            }
        }
        tracing::warn!(room = %room.id, "could not record a departure");
    }

    /// Everyone in a live room, on any node, checked again against the door's
    /// rules (still a member, still going where places are limited, not
    /// removed, the session not cancelled). Whoever may no longer be there is
    /// let out, on every node, with the reason. Run once per instance by the
    /// job queue; returns how many were let out.
    pub async fn check_room_rights(&self) -> AppResult<usize> {
        let mut dismissed = 0;
        // (session, its door as it stands now: None when nobody may be there)
        let mut door: Option<(String, Result<Door, String>)> = None;
        for (session_id, account_id) in self.store.people_in_rooms().await? {
            // Paced, so that thousands of people in rooms are checked over a
            // few minutes rather than in one burst beside their chat.
            tokio::time::sleep(RIGHTS_PACE).await;
            if door.as_ref().is_none_or(|(id, _)| *id != session_id) {
                let d = match self.room_door(&session_id).await {
                    Ok(d) => Ok(d),
                    Err(AppError::Gone(m) | AppError::Forbidden(m)) => Err(m),
                    Err(AppError::NotFound) => Err("This room is no longer open.".into()),
                    Err(e) => return Err(e),
                };
                door = Some((session_id.clone(), d));
            }
            let Some((_, d)) = &door else { continue };
            let why = match d {
                Err(m) => m.clone(),
                Ok(d) => {
                    let account = match self.store.account(&account_id).await {
                        Ok(a) => a,
                        Err(StoreError::NotFound) => continue,
                        Err(e) => return Err(e.into()),
                    };
                    match self.admit(d, &account).await {
                        Ok(_) => continue,
                        Err(AppError::Forbidden(m) | AppError::Gone(m)) => m,
                        Err(AppError::NotFound) => "This room is no longer open to you.".into(),
                        Err(e) => return Err(e),
                    }
                }
            };
            let event = serde_json::json!({ "type": "left", "account": account_id, "dismissed": why });
            let step = Step { op: RoomOp::Dismiss { account: account_id }, event: Some(event.to_string()) };
            let logged = self.rooms.writer.write(RoomWrite { session_id, steps: vec![step], now_ms: now_ms() }).await?;
            dismissed += logged.len();
            self.deliver_events(logged, true);
        }
        Ok(dismissed)
    }

    /// When the room closes, as things stand now.
    pub async fn room_closes_at(&self, room: &Arc<Room>) -> Option<i64> {
        let now = now_ms();
        room.lock().state.as_ref().map(|st| st.closes_at(now))
    }

    /// Deletes chat older than the retention setting; notes, goals and reports stay.
    pub async fn purge_old_chat(&self) -> AppResult<u64> {
        match self.config.chat_retention_days {
            0 => Ok(0),
            days => Ok(self.store.purge_messages(now_ms() - i64::from(days) * 86_400_000).await?),
        }
    }

    /// Forgets room events more than a day old: the log is for nodes that fell
    /// behind, and what people wrote stays in its own tables.
    pub async fn purge_room_log(&self) -> AppResult<u64> {
        Ok(self.store.purge_room_log(now_ms() - 86_400_000).await?)
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

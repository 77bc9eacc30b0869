//! This node's copy of a room: loaded from the store at one `seq`, then kept
//! up by applying the room's logged events in order, the same ones on every
//! node, so every node shows the same room. Commands read it to decide; only
//! events change it.

use super::{closes_at, Participant, Person, PROTOCOL};
use cowork_core::format::Phase;
use cowork_core::room::chat::{self, Span};
use cowork_core::room::timer::{SkipUndo, Timer, UNDO_SKIP_MS};
use cowork_store::{Goal, Message, MyFeedback, RoomLoad, Session, Table};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{HashSet, VecDeque};

/// Chat in a snapshot's `history` frames: how much, and in frames of about this size.
const HISTORY_FRAME_BYTES: usize = 2 * 1024;
/// How much chat a snapshot carries.
pub const RECENT_MESSAGES: usize = 200;
/// Earlier versions of the notes kept, to merge edits made from them.
const NOTES_HISTORY: usize = 50;

#[derive(Serialize)]
pub struct MessageView<'a> {
    #[serde(flatten)]
    message: &'a Message,
    spans: Vec<Span>,
}

pub fn message_view(m: &Message) -> MessageView<'_> {
    MessageView { message: m, spans: chat::spans(&m.text) }
}

#[derive(Serialize)]
pub struct Notes {
    pub version: i64,
    pub text: String,
    pub by: String,
    pub at_ms: i64,
}

/// A logged event, as this node applies it (docs/room-protocol.md, Events).
/// Fields the mirror does not need are left out; unknown ones are ignored.
#[derive(Debug, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub at_ms: i64,
    #[serde(flatten)]
    pub change: Change,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Joined {
        person: Person,
    },
    Left {
        account: String,
        /// Why they were let out, when it was not their choice.
        #[serde(default)]
        dismissed: Option<String>,
    },
    Presence {
        person: Person,
    },
    Timer {
        timer: Timer,
        action: String,
        #[serde(default)]
        undo_until_ms: Option<i64>,
    },
    Goal {
        goal: Goal,
    },
    GoalRemoved {
        id: String,
    },
    Chat {
        message: Message,
    },
    ChatDeleted {
        id: String,
    },
    Table {
        table: Table,
    },
    Notes {
        version: i64,
        text: String,
        by: String,
    },
    Removed {
        account: String,
    },
}

impl Event {
    /// An event's frame, read strictly: one that does not parse is not applied.
    pub fn read(body: &str) -> Option<Event> {
        serde_json::from_str(body).ok()
    }
}

/// A room as this node knows it, at `seq`.
pub struct State {
    pub session: Session,
    pub seq: u64,
    pub timer: Timer,
    /// The timer as the store holds it (text), for a compare-and-set.
    pub timer_saved: String,
    /// The last skip, while a host may still take it back.
    pub undo: Option<SkipUndo>,
    /// Everyone here on any node, in the order they came.
    pub people: Vec<Person>,
    pub goals: Vec<Goal>,
    pub messages: VecDeque<Message>,
    pub tables: Vec<Table>,
    pub notes: Notes,
    pub notes_history: VecDeque<(i64, String)>,
    pub removed: HashSet<String>,
}

impl State {
    /// The room as loaded; `timer` is the one it runs by (the saved one, or
    /// the schedule's while nobody has touched it).
    pub fn new(session: Session, load: RoomLoad, timer: Timer) -> State {
        let people = load.people.iter().filter_map(|p| serde_json::from_str(p).ok()).collect();
        State {
            session,
            seq: load.seq,
            timer,
            timer_saved: load.timer,
            undo: None,
            people,
            goals: load.goals,
            messages: load.messages.into(),
            tables: load.tables,
            notes_history: VecDeque::from([(load.notes_version, load.notes.clone())]),
            notes: Notes { version: load.notes_version, text: load.notes, by: load.notes_by, at_ms: load.notes_at },
            removed: load.removed.into_iter().collect(),
        }
    }

    /// Applies the next event (its `seq` is this state's plus one).
    pub fn apply(&mut self, e: Event) {
        self.seq = e.seq;
        match e.change {
            Change::Joined { person } | Change::Presence { person } => match self.people.iter_mut().find(|p| p.id == person.id) {
                Some(p) => *p = person,
                None => self.people.push(person),
            },
            Change::Left { account, .. } => self.people.retain(|p| p.id != account),
            Change::Timer { timer, action, undo_until_ms } => {
                // From when the host skipped (the event's own instant may be a little later).
                let at_ms = undo_until_ms.map_or(e.at_ms, |u| u - UNDO_SKIP_MS);
                self.undo = (action == "skip").then(|| SkipUndo { before: self.timer.clone(), at_ms });
                self.timer_saved = serde_json::to_string(&timer).unwrap_or_default();
                self.timer = timer;
            }
            Change::Goal { goal } => match self.goals.iter_mut().find(|g| g.id == goal.id) {
                Some(g) => *g = goal,
                None => self.goals.push(goal),
            },
            Change::GoalRemoved { id } => self.goals.retain(|g| g.id != id),
            Change::Chat { message } => {
                self.messages.push_back(message);
                if self.messages.len() > RECENT_MESSAGES {
                    self.messages.pop_front();
                }
            }
            Change::ChatDeleted { id } => self.messages.retain(|m| m.id != id),
            Change::Table { table } => {
                match self.tables.iter_mut().find(|t| t.id == table.id) {
                    Some(t) => *t = table,
                    None => self.tables.push(table),
                };
            }
            Change::Notes { version, text, by } => {
                self.notes_history.push_back((version, text.clone()));
                if self.notes_history.len() > NOTES_HISTORY {
                    self.notes_history.pop_front();
                }
                self.notes = Notes { version, text, by, at_ms: e.at_ms };
            }
            Change::Removed { account } => {
                self.people.retain(|p| p.id != account);
                self.removed.insert(account);
            }
        }
    }

    pub fn phases(&self) -> &[Phase] {
        &self.session.content.phases
    }

    pub fn person(&self, id: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

    /// The phase now, for tables (0 before the start, the last after the end).
    pub fn current_phase(&self, now_ms: i64) -> usize {
        let m = self.timer.at(now_ms);
        match m.phase {
            Some(p) => p,
            None if m.finished => self.phases().len().saturating_sub(1),
            None => 0,
        }
    }

    pub fn table_is_open(&self, t: &Table, now_ms: i64) -> bool {
        !t.closed && !self.timer.at(now_ms).finished && self.current_phase(now_ms) as i64 <= t.until_phase
    }

    pub fn closes_at(&self, now_ms: i64) -> i64 {
        closes_at(&self.session, &self.timer, now_ms)
    }

    /// The snapshot frame, then its people, goals and chat in `history`
    /// frames of a few KB each: a connection's write buffer keeps the size of
    /// the largest frame it sent, so no frame is made larger than it has to be.
    pub fn snapshot(&self, who: &Participant, feedback: Option<MyFeedback>, now_ms: i64) -> Snapshot {
        let mut frames = Vec::new();
        let people = self.people.iter().map(|p| serde_json::to_string(p).unwrap_or_default());
        history_frames("people", people, &mut frames);
        let goals = self.goals.iter().map(|g| serde_json::to_string(g).unwrap_or_default());
        history_frames("goals", goals, &mut frames);
        let messages = self.messages.iter().map(|m| serde_json::to_string(&message_view(m)).unwrap_or_default());
        history_frames("messages", messages, &mut frames);
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
            "people": [],
            "goals": [],
            "messages": [],
            "history": history,
            "tables": self.tables,
            "notes": self.notes,
            "feedback": feedback,
        })
        .to_string()
    }
}

/// `{"type":"history","<field>":[…]}` frames of about `HISTORY_FRAME_BYTES`, from items as JSON.
fn history_frames(field: &str, items: impl Iterator<Item = String>, frames: &mut Vec<String>) {
    let mut chunk: Vec<String> = Vec::new();
    let mut size = 0;
    let flush = |chunk: &mut Vec<String>, frames: &mut Vec<String>| {
        if !chunk.is_empty() {
            frames.push(format!(r#"{{"type":"history","{field}":[{}]}}"#, chunk.join(",")));
            chunk.clear();
        }
    };
    for one in items {
        size += one.len();
        chunk.push(one);
        if size >= HISTORY_FRAME_BYTES {
            flush(&mut chunk, frames);
            size = 0;
        }
    }
    flush(&mut chunk, frames);
}

/// A room as it is at `seq`: the `snapshot` frame and the `history` frames after it.
pub struct Snapshot {
    pub seq: u64,
    pub frames: Vec<String>,
}

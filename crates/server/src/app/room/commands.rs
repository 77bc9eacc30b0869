//! The frames a client sends (docs/room-protocol.md), and what each does
//! to the room: checked against this node's copy of it, then written with
//! its events in one transaction. The copy is changed only when the events
//! come back in order, as on every other node.

use super::mirror::{message_view, State};
use super::{now_ms, removed, Participant, Person, Room, WriteError, MAX_OPEN_TABLES, MAX_TABLES};
use crate::app::{now, App, AppError, AppResult};
use cowork_core::room::chat;
use cowork_core::room::goals::{self, Outcome};
use cowork_core::room::timer::{Control, UNDO_SKIP_MS};
use cowork_core::room::{notes, presence, tables};
use cowork_core::{input, FieldError, Invalid};
use cowork_store::{new_id, Goal, Message, RoomOp, RoomWrite, Step, StoreError};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// The longest reason given with a reported message, in characters.
const REPORT_REASON_MAX: usize = 500;

/// A write that lost a race with another node's (the timer or the notes
/// changed meanwhile) is made again from the room as it is now, this often.
const ATTEMPTS: usize = 3;

/// One frame from a client (docs/room-protocol.md), after its `type`.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    Ping {
        t: f64,
    },
    Presence {
        status: Option<String>,
        mode: Option<String>,
    },
    GoalAdd {
        text: String,
    },
    GoalCheck {
        id: String,
        outcome: String,
        #[serde(default)]
        note: String,
    },
    GoalRemove {
        id: String,
    },
    Chat {
        text: String,
        #[serde(default)]
        table: Option<String>,
    },
    ChatDelete {
        id: String,
    },
    Report {
        id: String,
        #[serde(default)]
        reason: String,
    },
    Timer {
        action: String,
        #[serde(default)]
        minutes: Option<i64>,
    },
    TablePropose {
        topic: String,
        #[serde(default)]
        video_url: String,
    },
    TableJoin {
        id: Option<String>,
    },
    TableClose {
        id: String,
    },
    TableOpen {
        id: String,
    },
    NotesEdit {
        base: i64,
        text: String,
    },
    Remove {
        account: String,
    },
    Feedback {
        rating: i64,
        #[serde(default)]
        comment: String,
        #[serde(default)]
        anonymous: bool,
    },
}

/// The message types a client may send, to tell an unknown type from a bad field.
pub const COMMANDS: &[&str] = &[
    "ping",
    "presence",
    "goal_add",
    "goal_check",
    "goal_remove",
    "chat",
    "chat_delete",
    "report",
    "timer",
    "table_propose",
    "table_join",
    "table_close",
    "table_open",
    "notes_edit",
    "remove",
    "feedback",
];

/// What a command answers to its own connection, besides the events everyone gets.
pub enum Reply {
    Nothing,
    Ok,
}

fn control(action: &str, minutes: Option<i64>) -> Result<Control, FieldError> {
    Ok(match action {
        "start" => Control::Start,
        "pause" => Control::Pause,
        "resume" => Control::Resume,
        "skip" => Control::Skip,
        "restart" => Control::Restart,
        "extend" => match minutes {
            Some(m @ 1..=60) => Control::Extend(m as u32),
            _ => return Err(FieldError::new("minutes", "Extend by 1 to 60 minutes.")),
        },
        _ => return Err(FieldError::new("action", "Choose start, pause, resume, skip, undo, extend or restart.")),
    })
}

impl App {
    /// Carries out one command of `who` in `room`.
    pub async fn room_command(&self, room: &Arc<Room>, who: &Participant, cmd: Command, r#ref: Option<&str>) -> AppResult<Reply> {
        // Reports and feedback touch nothing anyone else sees: no event.
        match cmd {
            Command::Report { id, reason } => return self.report_message(room, who, &id, &reason).await,
            Command::Feedback { rating, comment, anonymous } => {
                let (rating, comment) = goals::feedback(rating, &comment)?;
                return match self.store.save_feedback(&room.id, &who.account.id, i64::from(rating), &comment, anonymous, now()).await {
                    Ok(()) => Ok(Reply::Ok),
                    Err(StoreError::Taken(_)) => Err(AppError::Invalid(Invalid::one(
                        "anonymous",
                        "You already sent anonymous feedback on this session. Nothing links it to you, so it can't be changed.",
                    ))),
                    Err(e) => Err(e.into()),
                };
            }
            _ => {}
        }
        for attempt in 1..=ATTEMPTS {
            let now = now_ms();
            let steps = {
                let inner = room.lock();
                let st = inner.state.as_ref().ok_or(AppError::NotFound)?;
                if st.removed.contains(&who.account.id) {
                    return Err(removed());
                }
                plan(st, who, &cmd, r#ref, now)?
            };
            if steps.is_empty() {
                return Ok(Reply::Nothing);
            }
            match self.rooms.writer.write(RoomWrite { session_id: room.id.clone(), steps, now_ms: now }).await {
                Ok(logged) => {
                    self.deliver_events(logged, true);
                    return Ok(Reply::Nothing);
                }
                // Another node changed it first: catch up, and decide again.
                Err(WriteError::Store(StoreError::Stale)) if attempt < ATTEMPTS => self.catch_up(room).await,
                Err(WriteError::Store(StoreError::Stale)) => {
                    return Err(AppError::Conflict("Someone changed that at the same moment; try again.".into()))
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Reply::Nothing)
    }

    async fn report_message(&self, room: &Arc<Room>, who: &Participant, id: &str, reason: &str) -> AppResult<Reply> {
        let reason = input::text("reason", reason, REPORT_REASON_MAX)?;
        // Reports mail people: a few an hour per person, and each message once.
        self.rate_limit(&[(format!("room-report:{}", who.account.id), 20, 3600)]).await?;
        let m = self.store.message(&room.id, id).await?;
        let session = self.store.session(&room.id).await?;
        if App::is_pair_room(&session.community_id) {
            // A partner's message is a report of the partner, to the pool's conduct contacts.
            // Quoted short enough that the report fits with the reason beside it.
            let room_for = crate::app::partner_sessions::REASON_MAX - REPORT_REASON_MAX - 100;
            let quoted: String =
                if m.text.chars().count() > room_for { m.text.chars().take(room_for).chain(['…']).collect() } else { m.text.clone() };
            let what = format!("Their message in our room: “{quoted}”\n{}", if reason.is_empty() { "(no reason given)" } else { &reason });
            if self.report_partner(&who.account, &m.account, &what).await? {
                self.jobs_due();
            }
            return Ok(Reply::Ok);
        }
        let report = cowork_store::Report {
            id: new_id(),
            session_id: room.id.clone(),
            session_title: session.content.title.clone(),
            message_id: m.id.clone(),
            author_id: m.account.clone(),
            author_name: m.name.clone(),
            message_text: m.text.clone(),
            reporter_id: who.account.id.clone(),
            reporter_name: who.account.display_name.clone(),
            reason: reason.clone(),
            created_at: now(),
        };
        // The mails to the organizers are enqueued with the report and sent by the runner.
        if self.store.add_report(&session.community_id, &report, self.now()).await? {
            self.jobs_due();
        }
        Ok(Reply::Ok)
    }
}

fn step(op: RoomOp, event: Option<serde_json::Value>) -> Step {
    Step { op, event: event.map(|e| e.to_string()) }
}

/// Someone shown anew (status, mode or table): stored, and told as `presence`.
fn show(person: &Person) -> Step {
    step(
        RoomOp::SetPerson { account: person.id.clone(), person: serde_json::to_string(person).unwrap_or_default() },
        Some(json!({ "type": "presence", "person": person })),
    )
}

/// Seats `account` at a table (or stands them up): shown as `presence` if it changes where they sit.
fn seat(st: &State, account: &str, table: Option<String>, steps: &mut Vec<Step>) {
    steps.push(step(RoomOp::Seat { account: account.to_string(), table: table.clone() }, None));
    if let Some(p) = st.person(account).filter(|p| p.table != table) {
        steps.push(show(&Person { table, ..p.clone() }));
    }
}

/// What a command writes, decided from the room as this node has it: the
/// steps (none: nothing changes), or why it is refused.
fn plan(st: &State, who: &Participant, cmd: &Command, r#ref: Option<&str>, now: i64) -> AppResult<Vec<Step>> {
    let me = who.account.id.as_str();
    let name = &who.account.display_name;
    let mut steps = Vec::new();
    match cmd {
        Command::Ping { .. } | Command::Report { .. } | Command::Feedback { .. } => {}
        Command::Presence { status, mode } => {
            let status = status.as_deref().map(presence::status).transpose()?;
            let mode = mode.as_deref().map(presence::mode).transpose()?;
            let p = st.person(me).ok_or(AppError::NotFound)?;
            let person = Person { status: status.unwrap_or(p.status), mode: mode.unwrap_or(p.mode), ..p.clone() };
            if (person.status, person.mode) != (p.status, p.mode) {
                steps.push(show(&person));
            }
        }
        Command::GoalAdd { text } => {
            let text = goals::goal(text)?;
            goals::may_add_goal(st.goals.iter().filter(|g| g.account == me).count())?;
            let goal = Goal {
                id: new_id(),
                account: me.to_string(),
                name: name.clone(),
                text,
                outcome: "open".into(),
                note: String::new(),
                at_ms: now,
            };
            let op = RoomOp::AddGoal { id: goal.id.clone(), account: me.to_string(), text: goal.text.clone(), at_ms: now };
            steps.push(step(op, Some(json!({ "type": "goal", "goal": goal }))));
        }
        Command::GoalCheck { id, outcome, note } => {
            let outcome = Outcome::parse(outcome).ok_or_else(|| FieldError::new("outcome", "Choose open, done, partly or not_yet."))?;
            let note = goals::check_in_note(note)?;
            let g = st.goals.iter().find(|g| g.id == *id && g.account == me).ok_or(AppError::NotFound)?;
            let goal = Goal { outcome: outcome.as_str().into(), note: note.clone(), ..g.clone() };
            let op = RoomOp::CheckGoal { id: id.clone(), account: me.to_string(), outcome: goal.outcome.clone(), note, at_ms: now };
            steps.push(step(op, Some(json!({ "type": "goal", "goal": goal }))));
        }
        Command::GoalRemove { id } => {
            let op = RoomOp::RemoveGoal { id: id.clone(), account: me.to_string() };
            steps.push(step(op, Some(json!({ "type": "goal_removed", "id": id }))));
        }
        Command::Chat { text, table } => {
            let text = chat::message(text)?;
            if let Some(t) = table {
                let seated = st.person(me).and_then(|p| p.table.as_deref()) == Some(t.as_str());
                let open = st.tables.iter().find(|x| x.id == *t).is_some_and(|x| st.table_is_open(x, now));
                if !open {
                    return Err(AppError::NotFound);
                }
                if !seated {
                    return Err(AppError::Forbidden("Sit at the table to write in its chat.".into()));
                }
            }
            let m = Message { id: new_id(), account: me.to_string(), name: name.clone(), table: table.clone(), text, at_ms: now };
            let op = RoomOp::AddMessage {
                id: m.id.clone(),
                table: m.table.clone(),
                account: m.account.clone(),
                text: m.text.clone(),
                at_ms: now,
            };
            steps.push(step(op, Some(json!({ "type": "chat", "message": message_view(&m) }))));
        }
        Command::ChatDelete { id } => {
            if !who.moderator {
                return Err(AppError::Forbidden("Only hosts and the code of conduct's contacts delete messages.".into()));
            }
            let op = RoomOp::DeleteMessage { id: id.clone(), by: me.to_string() };
            steps.push(step(op, Some(json!({ "type": "chat_deleted", "id": id, "by": name }))));
        }
        Command::Timer { action, minutes } => {
            if !who.host {
                return Err(AppError::Forbidden("Only the session's hosts drive the timer.".into()));
            }
            let mut body = json!({ "type": "timer", "action": action, "by": name });
            let timer = if action == "undo" {
                st.undo.clone().and_then(|u| u.restore(now)).ok_or_else(|| {
                    FieldError::new(
                        "action",
                        "There is no skip to undo: a skip can be undone for 10 seconds, until the timer is changed again.",
                    )
                })?
            } else {
                let c = control(action, *minutes)?;
                let mut timer = st.timer.clone();
                if !timer.apply(c, st.phases(), now) {
                    return Ok(steps);
                }
                match c {
                    Control::Extend(m) => body["minutes"] = m.into(),
                    Control::Skip => body["undo_until_ms"] = (now + UNDO_SKIP_MS).into(),
                    _ => {}
                }
                timer
            };
            body["timer"] = json!(timer);
            let op = RoomOp::SaveTimer { before: st.timer_saved.clone(), timer: serde_json::to_string(&timer).unwrap_or_default() };
            steps.push(step(op, Some(body)));
        }
        Command::TablePropose { topic, video_url } => {
            let topic = tables::topic(topic)?;
            let video_url = input::optional_url("video_url", video_url)?;
            if st.timer.at(now).finished {
                return Err(AppError::Invalid(Invalid::one("topic", "The session is over; tables are closed.")));
            }
            if st.tables.iter().filter(|t| st.table_is_open(t, now)).count() >= MAX_OPEN_TABLES || st.tables.len() >= MAX_TABLES {
                return Err(AppError::Invalid(Invalid::one(
                    "topic",
                    "This room has as many tables as it can; join one, or ask a host to reopen one.",
                )));
            }
            let until = tables::open_until(st.phases(), st.current_phase(now)) as i64;
            let t = cowork_store::Table {
                id: new_id(),
                topic,
                video_url,
                proposed_by: me.to_string(),
                proposed_by_name: name.clone(),
                closed: false,
                until_phase: until,
            };
            let op = RoomOp::AddTable {
                id: t.id.clone(),
                topic: t.topic.clone(),
                video_url: t.video_url.clone(),
                by: me.to_string(),
                until_phase: until,
                at_ms: now,
            };
            steps.push(step(op, Some(json!({ "type": "table", "table": t }))));
            seat(st, me, Some(t.id), &mut steps);
        }
        Command::TableJoin { id } => {
            if let Some(t) = id {
                let open = st.tables.iter().find(|x| x.id == *t).is_some_and(|x| st.table_is_open(x, now));
                if !open {
                    return Err(AppError::NotFound);
                }
            }
            seat(st, me, id.clone(), &mut steps);
        }
        Command::TableClose { id } => {
            let t = st.tables.iter().find(|x| x.id == *id).ok_or(AppError::NotFound)?;
            if !who.host && t.proposed_by != me {
                return Err(AppError::Forbidden("Only hosts and the person who proposed a table close it.".into()));
            }
            if t.closed {
                return Ok(steps);
            }
            let closed = cowork_store::Table { closed: true, ..t.clone() };
            let op = RoomOp::SetTableClosed { id: id.clone(), closed: true, until_phase: t.until_phase };
            steps.push(step(op, Some(json!({ "type": "table", "table": closed }))));
            // Closing gave up the table's seats: everyone at it stands up.
            for p in st.people.iter().filter(|p| p.table.as_deref() == Some(id)) {
                steps.push(show(&Person { table: None, ..p.clone() }));
            }
        }
        Command::TableOpen { id } => {
            if !who.host {
                return Err(AppError::Forbidden("Only hosts reopen tables.".into()));
            }
            let t = st.tables.iter().find(|x| x.id == *id).ok_or(AppError::NotFound)?;
            if st.timer.at(now).finished {
                return Err(AppError::Invalid(Invalid::one("id", "The session is over; tables are closed.")));
            }
            let until = tables::open_until(st.phases(), st.current_phase(now)) as i64;
            let open = cowork_store::Table { closed: false, until_phase: until, ..t.clone() };
            let op = RoomOp::SetTableClosed { id: id.clone(), closed: false, until_phase: until };
            steps.push(step(op, Some(json!({ "type": "table", "table": open }))));
        }
        Command::NotesEdit { base, text } => {
            let ours = notes::check(text)?;
            // Made from an older version: merge with what was saved since. A
            // base too old to remember merges as if from nothing, keeping both.
            let base_text = st.notes_history.iter().find(|(v, _)| v == base).map(|(_, t)| t.as_str()).unwrap_or("");
            let merged = if *base == st.notes.version { ours } else { notes::merge(base_text, &ours, &st.notes.text) };
            let merged = notes::check(&merged)?;
            let version = st.notes.version + 1;
            let body = json!({ "type": "notes", "version": version, "text": merged, "by": name, "conn": who.conn, "ref": r#ref });
            let op = RoomOp::SaveNotes { base: st.notes.version, text: merged, by: name.clone(), at_ms: now };
            steps.push(step(op, Some(body)));
        }
        Command::Remove { account } => {
            if !who.moderator {
                return Err(AppError::Forbidden("Only hosts and the code of conduct's contacts remove people.".into()));
            }
            if account == me {
                return Err(AppError::Invalid(Invalid::one("account", "You can't remove yourself; leave the room instead.")));
            }
            let p = st.person(account).ok_or(AppError::NotFound)?;
            let op = RoomOp::Remove { account: account.clone(), by: me.to_string(), at: now / 1000 };
            steps.push(step(op, Some(json!({ "type": "removed", "account": account, "name": p.name }))));
        }
    }
    Ok(steps)
}

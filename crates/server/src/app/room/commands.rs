//! The frames a client sends (docs/room-protocol.md), and what each does
//! to the room: checked, written to the store, then told to everyone.

use super::{message_view, now_ms, removed, Notes, Participant, Room, State, MAX_OPEN_TABLES, MAX_TABLES, NOTES_HISTORY, RECENT_MESSAGES};
use crate::app::{now, App, AppError, AppResult};
use cowork_core::room::chat;
use cowork_core::room::goals::{self, Outcome};
use cowork_core::room::timer::{Control, SkipUndo, UNDO_SKIP_MS};
use cowork_core::room::{notes, presence, tables};
use cowork_core::{input, FieldError, Invalid};
use cowork_store::{new_id, Message};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

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
        let mut guard = room.state.lock().await;
        let st = guard.as_mut().ok_or(AppError::NotFound)?;
        if st.removed.contains(&who.account.id) {
            return Err(removed());
        }
        // Reports and feedback touch nothing anyone else sees: the room's lock is let go.
        match cmd {
            Command::Report { id, reason } => {
                drop(guard);
                return self.report_message(room, who, &id, &reason).await;
            }
            Command::Feedback { rating, comment, anonymous } => {
                drop(guard);
                let (rating, comment) = goals::feedback(rating, &comment)?;
                return match self.store.save_feedback(&room.id, &who.account.id, i64::from(rating), &comment, anonymous, now()).await {
                    Ok(()) => Ok(Reply::Ok),
                    Err(cowork_store::StoreError::Taken(_)) => Err(AppError::Invalid(Invalid::one(
                        "anonymous",
                        "You already sent anonymous feedback on this session. Nothing links it to you, so it can't be changed.",
                    ))),
                    Err(e) => Err(e.into()),
                };
            }
            _ => {}
        }
        let now = now_ms();
        let me = who.account.id.as_str();
        let sid = room.id.as_str();
        let rooms = &self.rooms;
        match cmd {
            Command::Ping { .. } | Command::Report { .. } | Command::Feedback { .. } => {}
            Command::Presence { status, mode } => {
                let status = status.map(|s| presence::status(&s)).transpose()?;
                let mode = mode.map(|m| presence::mode(&m)).transpose()?;
                let p = st.person_mut(me).ok_or(AppError::NotFound)?;
                let before = (p.status, p.mode);
                p.status = status.unwrap_or(p.status);
                p.mode = mode.unwrap_or(p.mode);
                if before != (p.status, p.mode) {
                    let person = p.clone();
                    rooms.publish(st, "presence", json!({ "person": person }), now, None);
                }
            }
            Command::GoalAdd { text } => {
                let text = goals::goal(&text)?;
                goals::may_add_goal(st.goals.iter().filter(|g| g.account == me).count())?;
                let at = st.instant(now);
                let goal = self.store.add_goal(&new_id(), sid, me, &text, at).await?;
                st.goals.push(goal.clone());
                rooms.publish(st, "goal", json!({ "goal": goal }), now, None);
            }
            Command::GoalCheck { id, outcome, note } => {
                let outcome =
                    Outcome::parse(&outcome).ok_or_else(|| FieldError::new("outcome", "Choose open, done, partly or not_yet."))?;
                let note = goals::check_in_note(&note)?;
                let goal = self.store.check_goal(sid, &id, me, outcome.as_str(), &note, now).await?;
                if let Some(g) = st.goals.iter_mut().find(|g| g.id == id) {
                    *g = goal.clone();
                }
                rooms.publish(st, "goal", json!({ "goal": goal }), now, None);
            }
            Command::GoalRemove { id } => {
                self.store.remove_goal(sid, &id, me).await?;
                st.goals.retain(|g| g.id != id);
                rooms.publish(st, "goal_removed", json!({ "id": id }), now, None);
            }
            Command::Chat { text, table } => {
                let text = chat::message(&text)?;
                if let Some(t) = &table {
                    let seated = st.person(me).and_then(|p| p.table.as_deref()) == Some(t.as_str());
                    let open = st.tables.iter().find(|x| x.id == *t).is_some_and(|x| st.table_is_open(x, now));
                    if !open {
                        return Err(AppError::NotFound);
                    }
                    if !seated {
                        return Err(AppError::Forbidden("Sit at the table to write in its chat.".into()));
                    }
                }
                let at = st.instant(now);
                let id = new_id();
                self.store.add_message(&id, sid, table.as_deref(), me, &text, at).await?;
                let m = Message { id, account: me.to_string(), name: who.account.display_name.clone(), table, text, at_ms: at };
                let body = json!({ "message": message_view(&m) });
                st.messages.push_back(m);
                if st.messages.len() > RECENT_MESSAGES {
                    st.messages.pop_front();
                }
                rooms.publish(st, "chat", body, now, None);
            }
            Command::ChatDelete { id } => {
                if !who.moderator {
                    return Err(AppError::Forbidden("Only hosts and the code of conduct's contacts delete messages.".into()));
                }
                self.store.delete_message(sid, &id, me).await?;
                st.messages.retain(|m| m.id != id);
                rooms.publish(st, "chat_deleted", json!({ "id": id, "by": who.account.display_name }), now, None);
            }
            Command::Timer { action, minutes } => {
                if !who.host {
                    return Err(AppError::Forbidden("Only the session's hosts drive the timer.".into()));
                }
                let mut body = json!({ "action": action, "by": who.account.display_name });
                let (timer, undo) = if action == "undo" {
                    let back = st.undo.clone().and_then(|u| u.restore(now)).ok_or_else(|| {
                        FieldError::new(
                            "action",
                            "There is no skip to undo: a skip can be undone for 10 seconds, until the timer is changed again.",
                        )
                    })?;
                    (back, None)
                } else {
                    let c = control(&action, minutes)?;
                    let mut timer = st.timer.clone();
                    if !timer.apply(c, st.phases(), now) {
                        return Ok(Reply::Nothing);
                    }
                    match c {
                        Control::Extend(m) => body["minutes"] = m.into(),
                        Control::Skip => body["undo_until_ms"] = (now + UNDO_SKIP_MS).into(),
                        _ => {}
                    }
                    let undo = (c == Control::Skip).then(|| SkipUndo { before: st.timer.clone(), at_ms: now });
                    (timer, undo)
                };
                // Saved first: a failed save leaves the room's timer as it was.
                self.store.save_timer(sid, &serde_json::to_string(&timer).unwrap_or_default()).await?;
                st.timer = timer.clone();
                st.undo = undo;
                body["timer"] = json!(timer);
                rooms.publish(st, "timer", body, now, None);
            }
            Command::TablePropose { topic, video_url } => {
                let topic = tables::topic(&topic)?;
                let video_url = input::optional_url("video_url", &video_url)?;
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
                let at = st.instant(now);
                let t = self.store.add_table(&new_id(), sid, &topic, &video_url, me, until, at).await?;
                self.store.seat(sid, me, Some(&t.id)).await?;
                st.tables.push(t.clone());
                rooms.publish(st, "table", json!({ "table": t }), now, None);
                self.seat(st, me, Some(t.id), now);
            }
            Command::TableJoin { id } => {
                if let Some(t) = &id {
                    let open = st.tables.iter().find(|x| x.id == *t).is_some_and(|x| st.table_is_open(x, now));
                    if !open {
                        return Err(AppError::NotFound);
                    }
                }
                self.store.seat(sid, me, id.as_deref()).await?;
                self.seat(st, me, id, now);
            }
            Command::TableClose { id } => {
                let t = st.tables.iter().find(|x| x.id == id).ok_or(AppError::NotFound)?;
                if !who.host && t.proposed_by != me {
                    return Err(AppError::Forbidden("Only hosts and the person who proposed a table close it.".into()));
                }
                if t.closed {
                    return Ok(Reply::Nothing);
                }
                let until = t.until_phase;
                self.store.set_table_closed(sid, &id, true, until).await?;
                let t = st.tables.iter_mut().find(|x| x.id == id).expect("found above");
                t.closed = true;
                let t = t.clone();
                rooms.publish(st, "table", json!({ "table": t }), now, None);
                let seated: Vec<String> =
                    st.people.iter().filter(|(p, _)| p.table.as_deref() == Some(&id)).map(|(p, _)| p.id.clone()).collect();
                for a in seated {
                    self.seat(st, &a, None, now);
                }
            }
            Command::TableOpen { id } => {
                if !who.host {
                    return Err(AppError::Forbidden("Only hosts reopen tables.".into()));
                }
                if !st.tables.iter().any(|x| x.id == id) {
                    return Err(AppError::NotFound);
                }
                if st.timer.at(now).finished {
                    return Err(AppError::Invalid(Invalid::one("id", "The session is over; tables are closed.")));
                }
                let until = tables::open_until(st.phases(), st.current_phase(now)) as i64;
                self.store.set_table_closed(sid, &id, false, until).await?;
                let t = st.tables.iter_mut().find(|x| x.id == id).expect("found above");
                t.closed = false;
                t.until_phase = until;
                let t = t.clone();
                rooms.publish(st, "table", json!({ "table": t }), now, None);
            }
            Command::NotesEdit { base, text } => {
                let ours = notes::check(&text)?;
                // Made from an older version: merge with what was saved since. A
                // base too old to remember merges as if from nothing, keeping both.
                let base_text = st.notes_history.iter().find(|(v, _)| *v == base).map(|(_, t)| t.as_str()).unwrap_or("");
                let merged = if base == st.notes.version { ours } else { notes::merge(base_text, &ours, &st.notes.text) };
                let merged = notes::check(&merged)?;
                let at = st.instant(now);
                let version = self.store.save_notes(sid, st.notes.version, &merged, &who.account.display_name, at).await?;
                st.notes = Notes { version, text: merged.clone(), by: who.account.display_name.clone(), at_ms: at };
                st.notes_history.push_back((version, merged.clone()));
                if st.notes_history.len() > NOTES_HISTORY {
                    st.notes_history.pop_front();
                }
                let body = json!({ "version": version, "text": merged, "by": who.account.display_name, "conn": who.conn, "ref": r#ref });
                rooms.publish(st, "notes", body, now, None);
            }
            Command::Remove { account } => {
                if !who.moderator {
                    return Err(AppError::Forbidden("Only hosts and the code of conduct's contacts remove people.".into()));
                }
                if account == me {
                    return Err(AppError::Invalid(Invalid::one("account", "You can't remove yourself; leave the room instead.")));
                }
                let name = st.person(&account).map(|p| p.name.clone()).ok_or(AppError::NotFound)?;
                self.store.remove_from_room(sid, &account, me, super::now()).await?;
                st.removed.insert(account.clone());
                if let Some(i) = st.people.iter().position(|(p, _)| p.id == account) {
                    st.people.remove(i);
                }
                rooms.publish(st, "removed", json!({ "account": account, "name": name }), now, Some(account.clone()));
            }
        }
        Ok(Reply::Nothing)
    }

    /// Seats `account` at a table (or stands them up) and tells the room.
    fn seat(&self, st: &mut State, account: &str, table: Option<String>, now_ms: i64) {
        if let Some(p) = st.person_mut(account) {
            if p.table != table {
                p.table = table;
                let person = p.clone();
                self.rooms.publish(st, "presence", json!({ "person": person }), now_ms, None);
            }
        }
    }

    async fn report_message(&self, room: &Arc<Room>, who: &Participant, id: &str, reason: &str) -> AppResult<Reply> {
        let reason = input::text("reason", reason, 500)?;
        // Reports mail people: a few an hour per person, and each message once.
        self.rate_limit(&[(format!("room-report:{}", who.account.id), 20, 3600)]).await?;
        let m = self.store.message(&room.id, id).await?;
        let session = self.store.session(&room.id).await?;
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

//! How a room's logged events reach its people: each node applies them to
//! its copy of the room in `seq` order and hands them to its connections,
//! whether they were written here or came from another node through NATS.
//! An event that arrives ahead of one still missing waits; if the missing one
//! does not come by NATS at once, it is read back from the store's log. NATS
//! only makes this quick: the log is what is true.

use super::mirror::{Change, Event, Snapshot, State};
use super::{App, AppResult, Participant, Person};
use cowork_store::{Logged, MyFeedback, Session};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::broadcast;

/// Events a connection may fall behind by before it is resynced from a snapshot.
const CHANNEL_CAPACITY: usize = 128;
/// How long a missing event may take over NATS before it is read from the log.
const GAP_WAIT: Duration = Duration::from_millis(40);
/// Events read back from the log at once.
const LOG_PAGE: i64 = 500;

/// One event, serialized once for every connection of the room on this node.
#[derive(Debug)]
pub struct Broadcast {
    pub seq: u64,
    pub json: Arc<str>,
    /// Someone whose connections this event closes, and why.
    pub closes: Option<Closing>,
    /// This node reloaded the room: connections start again from a snapshot.
    pub resync: bool,
}

/// Connections of one person closed by an event: removed by a host, or no
/// longer allowed in (the error frame's code and message say which).
#[derive(Debug)]
pub struct Closing {
    pub account: String,
    pub code: &'static str,
    pub message: String,
}

/// A room with people in it on this node.
pub struct Room {
    pub id: String,
    inner: Mutex<Inner>,
    events: broadcast::Sender<Arc<Broadcast>>,
    /// One load from the store at a time.
    loading: tokio::sync::Mutex<()>,
}

pub(super) struct Inner {
    /// None until loaded.
    pub state: Option<State>,
    /// Events that came ahead of one still missing (or before the load), by `seq`.
    pending: BTreeMap<u64, Arc<str>>,
    /// Connections open on this node, and whose (with the person as they came in).
    pub connections: usize,
    pub local: HashMap<String, (usize, Person)>,
    /// Emptied and forgotten: a newcomer must load the room afresh.
    pub retired: bool,
    filling: bool,
}

impl Room {
    fn new(id: &str) -> Room {
        Room {
            id: id.to_string(),
            inner: Mutex::new(Inner {
                state: None,
                pending: BTreeMap::new(),
                connections: 0,
                local: HashMap::new(),
                retired: false,
                filling: false,
            }),
            events: broadcast::channel(CHANNEL_CAPACITY).0,
            loading: tokio::sync::Mutex::new(()),
        }
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The room's snapshot for `who` and its events after it, taken in one
    /// step under the lock, so that nothing falls between the two.
    pub(super) fn snapshot(
        &self,
        who: &Participant,
        feedback: Option<MyFeedback>,
        now_ms: i64,
    ) -> Option<(Snapshot, broadcast::Receiver<Arc<Broadcast>>)> {
        let inner = self.lock();
        let st = inner.state.as_ref()?;
        Some((st.snapshot(who, feedback, now_ms), self.events.subscribe()))
    }

    /// Takes in events (any order, repeats welcome) and applies those that
    /// come next; true when one is still missing.
    fn receive(&self, events: impl IntoIterator<Item = (u64, Arc<str>)>) -> bool {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let at = inner.state.as_ref().map_or(0, |s| s.seq);
        for (seq, body) in events {
            if seq > at {
                inner.pending.insert(seq, body);
            }
        }
        let Some(st) = inner.state.as_mut() else { return false };
        while let Some(entry) = inner.pending.first_entry() {
            let seq = *entry.key();
            if seq <= st.seq {
                entry.remove();
                continue;
            }
            if seq != st.seq + 1 {
                return true;
            }
            let body = entry.remove();
            let closes = match Event::read(&body) {
                Some(e) => {
                    let closes = match &e.change {
                        Change::Removed { account } => Some(Closing {
                            account: account.clone(),
                            code: "removed",
                            message: "A host removed you from this room.".into(),
                        }),
                        Change::Left { account, dismissed: Some(why) } => {
                            Some(Closing { account: account.clone(), code: "forbidden", message: why.clone() })
                        }
                        _ => None,
                    };
                    st.apply(e);
                    closes
                }
                None => {
                    // Only a bug writes this; shown to no one rather than half-applied.
                    tracing::error!(room = %self.id, seq, "a logged room event does not parse; skipped");
                    st.seq = seq;
                    continue;
                }
            };
            let _ = self.events.send(Arc::new(Broadcast { seq, json: body, closes, resync: false }));
        }
        false
    }
}

/// Every room with people in it on this node, and the writers of their changes.
pub struct Rooms {
    live: Mutex<HashMap<String, Arc<Room>>>,
    pub(super) writer: super::writer::RoomWriter,
}

impl Rooms {
    pub fn new(store: &cowork_store::Store) -> Rooms {
        Rooms { live: Mutex::default(), writer: super::writer::RoomWriter::start(store) }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, Arc<Room>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The room, made if it has nobody on this node yet.
    pub(super) fn room(&self, id: &str) -> Arc<Room> {
        self.map().entry(id.to_string()).or_insert_with(|| Arc::new(Room::new(id))).clone()
    }

    pub(super) fn get(&self, id: &str) -> Option<Arc<Room>> {
        self.map().get(id).cloned()
    }

    pub(super) fn all(&self) -> Vec<Arc<Room>> {
        self.map().values().cloned().collect()
    }

    pub(super) fn forget(&self, room: &Arc<Room>) {
        let mut live = self.map();
        if live.get(&room.id).is_some_and(|r| Arc::ptr_eq(r, room)) {
            live.remove(&room.id);
        }
    }

    /// How many rooms have people in them, for metrics.
    pub fn live_count(&self) -> usize {
        self.map().len()
    }
}

impl App {
    /// Loads the room from the store if this node has not yet.
    pub(super) async fn load(&self, room: &Arc<Room>, session: &Session, now_ms: i64) -> AppResult<()> {
        let _one = room.loading.lock().await;
        if room.lock().state.is_some() {
            return Ok(());
        }
        let state = self.read_room(session, now_ms).await?;
        room.lock().state = Some(state);
        // What came while it loaded, past what it loaded.
        if room.receive([]) {
            self.fill_gap(room);
        }
        Ok(())
    }

    /// Events written here or told by another node: applied here in order,
    /// and (when written here) told to the other nodes.
    pub(crate) fn deliver_events(&self, logged: Vec<Logged>, written_here: bool) {
        if logged.is_empty() {
            return;
        }
        if written_here {
            self.cluster.tell_room(&logged);
        }
        let mut by_room: HashMap<Arc<str>, Vec<(u64, Arc<str>)>> = HashMap::new();
        for l in logged {
            by_room.entry(l.session_id).or_default().push((l.seq, l.body));
        }
        for (id, events) in by_room {
            if let Some(room) = self.rooms.get(&id) {
                if room.receive(events) {
                    self.fill_gap(&room);
                }
            }
        }
    }

    /// A room's missing events, read back from the log (once at a time per room).
    pub(super) fn fill_gap(&self, room: &Arc<Room>) {
        {
            let mut inner = room.lock();
            if inner.filling {
                return;
            }
            inner.filling = true;
        }
        let (app, room) = (self.clone(), room.clone());
        tokio::spawn(async move {
            tokio::time::sleep(GAP_WAIT).await;
            app.catch_up(&room).await;
            let again = {
                let mut inner = room.lock();
                inner.filling = false;
                inner.state.is_some() && !inner.pending.is_empty()
            };
            if again {
                app.fill_gap(&room);
            }
        });
    }

    /// Reads the log past this node's copy of the room until it has all of it.
    pub(super) async fn catch_up(&self, room: &Arc<Room>) {
        for _ in 0..20 {
            let Some(at) = room.lock().state.as_ref().map(|s| s.seq) else { return };
            match self.store.room_log(&room.id, at, LOG_PAGE).await {
                Ok(events) if events.is_empty() => {
                    if room.receive([]) {
                        // Missing from the log (purged): start again from the store.
                        self.reload(room).await;
                    }
                    return;
                }
                Ok(events) => {
                    let full = events.len() as i64 == LOG_PAGE;
                    if !room.receive(events.into_iter().map(|l| (l.seq, l.body))) && !full {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(room = %room.id, error = %e, "could not read the room's log; trying again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }

    /// Loads the room afresh, and has its connections start again from a snapshot.
    async fn reload(&self, room: &Arc<Room>) {
        let Some(session) = room.lock().state.as_ref().map(|s| s.session.clone()) else { return };
        match self.read_room(&session, super::now_ms()).await {
            Ok(state) => {
                let seq = state.seq;
                let mut inner = room.lock();
                inner.pending.retain(|s, _| *s > seq);
                inner.state = Some(state);
                let _ = room.events.send(Arc::new(Broadcast { seq, json: "".into(), closes: None, resync: true }));
            }
            Err(e) => tracing::warn!(room = %room.id, error = %e, "could not reload the room"),
        }
    }

    /// Every few seconds, with other nodes about: any room this node shows
    /// that the log has moved past (an event NATS did not bring) catches up.
    pub(crate) async fn keep_rooms_current(&self) {
        let mut every = tokio::time::interval(Duration::from_secs(2));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let rooms = self.rooms.all();
            if rooms.is_empty() {
                continue;
            }
            let ids: Vec<String> = rooms.iter().map(|r| r.id.clone()).collect();
            let Ok(seqs) = self.store.room_seqs(&ids).await else { continue };
            for (id, seq) in seqs {
                if let Some(room) = self.rooms.get(&id) {
                    if room.lock().state.as_ref().is_some_and(|s| s.seq < seq) {
                        self.fill_gap(&room);
                    }
                }
            }
        }
    }
}

//! Between the nodes of one instance: its NATS connection. Each node
//! publishes what the others must drop from their caches (a community's
//! feeds changed) and the room events it wrote, and listens for theirs.
//! Without a NATS URL a node is on its own and nothing is sent. NATS carries
//! only what can be lost: a node that misses a cache note serves a feed at
//! most `TRUST_SECONDS` old (see `feeds`), and one that misses a room event
//! reads it back from the room's log in the database, where it was written
//! first (see `app::room::delivery`).

use crate::app::room::Event;
use crate::app::App;
use cowork_store::Logged;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// The subject cache notes travel on.
pub const CACHE_SUBJECT: &str = "cowork.cache";
/// The subject room events travel on.
pub const ROOM_SUBJECT: &str = "cowork.room";
/// Longer ids are not ours.
const MAX_ID: usize = 64;

/// What one node tells the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Note {
    /// A community's sessions changed: its cached feeds are out of date.
    FeedsChanged { community_id: String },
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    /// The sending process, so a node skips its own notes.
    from: String,
    note: Note,
}

/// Room events one node wrote, for the others.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomEvents {
    from: String,
    events: Vec<RoomEvent>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomEvent {
    room: String,
    seq: u64,
    body: String,
}

/// This node's place in the instance.
pub struct Cluster {
    /// This node's name, as metrics and logs say it.
    pub node: String,
    /// This process, which the node's notes are signed with.
    process: String,
    client: RwLock<Option<async_nats::Client>>,
    connected: AtomicBool,
}

impl Cluster {
    pub fn new(node: String) -> Cluster {
        Cluster { node, process: crate::app::secret(8), client: RwLock::new(None), connected: AtomicBool::new(false) }
    }

    /// This process: its connections in the rooms' presence are recorded under it.
    pub fn process(&self) -> &str {
        &self.process
    }

    /// Whether the node is connected to NATS now (false without a NATS URL).
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed)
    }

    /// Tells the other nodes; nothing without NATS. Never waits: a note that
    /// cannot be sent now is lost, which caches' own expiry makes harmless.
    pub fn tell(&self, note: Note) {
        let Some(client) = self.client.read().ok().and_then(|c| c.clone()) else { return };
        let Ok(body) = serde_json::to_vec(&Envelope { from: self.process.clone(), note }) else { return };
        tokio::spawn(async move {
            if let Err(e) = client.publish(CACHE_SUBJECT, body.into()).await {
                tracing::debug!(error = %e, "could not tell the other nodes");
            }
        });
    }

    /// Tells the other nodes of room events written here; nothing without NATS.
    /// One that is lost is read back from the log (see `app::room::delivery`).
    pub fn tell_room(&self, logged: &[Logged]) {
        let Some(client) = self.client.read().ok().and_then(|c| c.clone()) else { return };
        let events = logged.iter().map(|l| RoomEvent { room: l.session_id.to_string(), seq: l.seq, body: l.body.to_string() }).collect();
        let Ok(body) = serde_json::to_vec(&RoomEvents { from: self.process.clone(), events }) else { return };
        tokio::spawn(async move {
            if let Err(e) = client.publish(ROOM_SUBJECT, body.into()).await {
                tracing::debug!(error = %e, "could not tell the other nodes of room events");
            }
        });
    }

    /// Room events from NATS, checked like client frames: each must be one
    /// the room's log could hold; anything else (and this node's own) is dropped.
    fn read_room(&self, payload: &[u8]) -> Vec<Logged> {
        let m = match serde_json::from_slice::<RoomEvents>(payload) {
            Ok(m) if m.from != self.process => m,
            Ok(_) => return Vec::new(),
            Err(e) => {
                tracing::warn!(error = %e, "ignored a malformed room message from NATS");
                return Vec::new();
            }
        };
        m.events
            .into_iter()
            .filter(|e| {
                let ok = e.seq > 0
                    && !e.room.is_empty()
                    && e.room.len() <= MAX_ID
                    && Event::read(&e.body).is_some_and(|ev| ev.seq == e.seq);
                if !ok {
                    tracing::warn!(room = %e.room.chars().take(MAX_ID).collect::<String>(), seq = e.seq, "ignored a malformed room event from NATS");
                }
                ok
            })
            .map(|e| Logged { session_id: e.room.into(), seq: e.seq, body: e.body.into() })
            .collect()
    }

    /// A note from NATS, checked like any input: malformed ones, and this
    /// node's own, come to nothing.
    fn read(&self, payload: &[u8]) -> Option<Note> {
        match serde_json::from_slice::<Envelope>(payload) {
            Ok(e) if e.from != self.process => Some(e.note),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = %e, "ignored a malformed note from NATS");
                None
            }
        }
    }
}

/// Connects to NATS and keeps listening. A server that does not answer is
/// said so in the log and retried; the node serves on its own meanwhile.
pub async fn join(app: App, url: String) {
    let cluster = app.cluster.clone();
    let events = cluster.clone();
    let shown = crate::redact(&url);
    let options = async_nats::ConnectOptions::new()
        .name(format!("cowork {}", cluster.node))
        .retry_on_initial_connect()
        .max_reconnects(None)
        .event_callback(move |event| {
            let (cluster, shown) = (events.clone(), shown.clone());
            async move { on_event(&cluster, &shown, event) }
        });
    let client = match options.connect(url.as_str()).await {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, nats = %crate::redact(&url), "not a NATS URL this node can use; it serves on its own");
            return;
        }
    };
    let (notes, rooms) = match (client.subscribe(CACHE_SUBJECT).await, client.subscribe(ROOM_SUBJECT).await) {
        (Ok(n), Ok(r)) => (n, r),
        (Err(e), _) | (_, Err(e)) => {
            tracing::error!(error = %e, "could not listen on NATS; this node serves on its own");
            return;
        }
    };
    if let Ok(mut c) = cluster.client.write() {
        *c = Some(client);
    }
    use futures_util::StreamExt;
    let mut both = futures_util::stream::select(notes.map(|m| (true, m)), rooms.map(|m| (false, m)));
    while let Some((cache, m)) = both.next().await {
        if cache {
            match cluster.read(&m.payload) {
                Some(Note::FeedsChanged { community_id }) => app.forget_feeds(&community_id),
                None => {}
            }
        } else {
            app.deliver_events(cluster.read_room(&m.payload), false);
        }
    }
}

fn on_event(cluster: &Arc<Cluster>, url: &str, event: async_nats::Event) {
    match event {
        async_nats::Event::Connected => {
            cluster.connected.store(true, Ordering::Relaxed);
            tracing::info!(nats = %url, "connected to NATS");
        }
        async_nats::Event::Disconnected => {
            cluster.connected.store(false, Ordering::Relaxed);
            tracing::warn!(nats = %url, "NATS does not answer; retrying, and serving on this node alone meanwhile");
        }
        async_nats::Event::ClientError(e) => tracing::warn!(nats = %url, error = %e, "NATS"),
        _ => {}
    }
}

/// This machine's name and the port, when no node name is given.
pub fn default_node_name(bind: std::net::SocketAddr) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_default();
    let host = if host.is_empty() { "node".to_string() } else { host };
    format!("{host}:{}", bind.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_read_strictly_and_a_nodes_own_are_skipped() {
        let c = Cluster::new("a".into());
        let from_other = br#"{"from":"someone","note":{"type":"feeds_changed","community_id":"c1"}}"#;
        assert_eq!(c.read(from_other), Some(Note::FeedsChanged { community_id: "c1".into() }));
        let own = format!(r#"{{"from":"{}","note":{{"type":"feeds_changed","community_id":"c1"}}}}"#, c.process);
        assert_eq!(c.read(own.as_bytes()), None);
        for bad in
            [&b"not json"[..], br#"{"from":"x","note":{"type":"drop_database"}}"#, br#"{"from":"x","note":{"type":"feeds_changed"}}"#]
        {
            assert_eq!(c.read(bad), None);
        }
    }

    #[test]
    fn room_events_from_nats_are_read_like_client_frames() {
        let c = Cluster::new("a".into());
        let event = |seq: u64, body: &str| serde_json::json!({"room": "r1", "seq": seq, "body": body});
        let chat = r#"{"seq":7,"at_ms":1,"type":"goal_removed","id":"g1"}"#;
        let ok = serde_json::json!({"from": "other", "events": [event(7, chat)]}).to_string();
        let read = c.read_room(ok.as_bytes());
        assert_eq!(read.len(), 1);
        assert_eq!((&*read[0].session_id, read[0].seq), ("r1", 7));
        // This node's own, a seq that does not match its body, an unknown event, junk: dropped.
        let own = serde_json::json!({"from": c.process, "events": [event(7, chat)]}).to_string();
        let wrong_seq = serde_json::json!({"from": "other", "events": [event(8, chat)]}).to_string();
        let unknown = serde_json::json!({"from": "other", "events": [event(1, r#"{"seq":1,"at_ms":1,"type":"drop_tables"}"#)]}).to_string();
        let long_room = serde_json::json!({"from": "other", "events": [{"room": "r".repeat(65), "seq": 7, "body": chat}]}).to_string();
        for bad in [own.as_str(), &wrong_seq, &unknown, &long_room, "not json", r#"{"from":"x","events":[],"extra":1}"#] {
            assert!(c.read_room(bad.as_bytes()).is_empty(), "{bad}");
        }
    }
}

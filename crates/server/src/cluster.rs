//! Between the nodes of one instance: its NATS connection. Each node
//! publishes what the others must drop from their caches (a community's
//! feeds changed) and listens for theirs. Without a NATS URL a node is on its
//! own and nothing is sent. NATS carries only what can be lost: a node that
//! misses a note serves a feed at most `TRUST_SECONDS` old (see `feeds`), as
//! it would have without NATS; everything durable lives in the database.

use crate::app::App;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// The subject cache notes travel on.
pub const CACHE_SUBJECT: &str = "cowork.cache";

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
    let mut notes = match client.subscribe(CACHE_SUBJECT).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "could not listen on NATS; this node serves on its own");
            return;
        }
    };
    if let Ok(mut c) = cluster.client.write() {
        *c = Some(client);
    }
    use futures_util::StreamExt;
    while let Some(m) = notes.next().await {
        match cluster.read(&m.payload) {
            Some(Note::FeedsChanged { community_id }) => app.forget_feeds(&community_id),
            None => {}
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
}

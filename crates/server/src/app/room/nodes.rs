//! Presence across nodes. Each node process beats every few seconds in the
//! store; the connections of one that falls silent are taken out of their
//! rooms by whichever node notices first, and the people it alone held are
//! shown leaving. A node only judges others after it has itself been in touch
//! with the store for a while, so that after the database was unreachable
//! nobody is taken for dead before they could beat again.

use super::{now_ms, App, Person};
use cowork_store::{RoomOp, RoomWrite, Step};
use serde_json::json;
use std::time::Duration;

/// How often a node beats.
const BEAT: Duration = Duration::from_secs(3);
/// Silent this long, a node is gone (its people leave within about 15 s).
const SILENT_MS: i64 = 9_000;

/// The `left` event of one person.
pub(super) fn left(account: &str) -> String {
    json!({ "type": "left", "account": account }).to_string()
}

/// The `joined` event of one person.
pub(super) fn joined(person: &Person) -> String {
    json!({ "type": "joined", "person": person }).to_string()
}

impl App {
    /// This node process's name in the store's presence tables.
    pub(crate) fn node_id(&self) -> &str {
        self.cluster.process()
    }

    /// Beats, and takes silent nodes' people out of their rooms, for as long as the node runs.
    pub(crate) async fn keep_presence(&self) {
        let mut every = tokio::time::interval(BEAT);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Since when this node has been in touch with the store without a break.
        let mut in_touch_since: Option<i64> = None;
        loop {
            every.tick().await;
            let now = now_ms();
            match self.store.node_heartbeat(self.node_id(), now).await {
                Ok(known) => {
                    let since = *in_touch_since.get_or_insert(now);
                    if !known {
                        self.register_connections().await;
                    }
                    if now - since >= SILENT_MS {
                        self.forget_silent_nodes(now).await;
                    }
                }
                Err(e) => {
                    in_touch_since = None;
                    tracing::debug!(error = %e, "could not beat");
                }
            }
        }
    }

    async fn forget_silent_nodes(&self, now: i64) {
        let Ok(silent) = self.store.silent_nodes(now - SILENT_MS).await else { return };
        for node in silent.into_iter().filter(|n| n != self.node_id()) {
            match self.store.forget_node(&node, now, left).await {
                Ok(logged) => {
                    tracing::info!(node = %node, people = logged.len(), "a node fell silent: its people left their rooms");
                    self.deliver_events(logged, true);
                }
                Err(e) => tracing::warn!(node = %node, error = %e, "could not take a silent node's people out"),
            }
        }
    }

    /// Records this node's connections again, after other nodes took it for
    /// gone (it could not reach the store for a while): its people come back.
    async fn register_connections(&self) {
        let node = self.node_id().to_string();
        for room in self.rooms.all() {
            let local: Vec<(usize, Person)> = room.lock().local.values().cloned().collect();
            for (n, person) in local {
                for _ in 0..n {
                    let step = Step {
                        op: RoomOp::Connect {
                            account: person.id.clone(),
                            node: node.clone(),
                            person: serde_json::to_string(&person).unwrap_or_default(),
                            max: i64::MAX,
                        },
                        event: Some(joined(&person)),
                    };
                    match self.rooms.writer.write(RoomWrite { session_id: room.id.clone(), steps: vec![step], now_ms: now_ms() }).await {
                        Ok(logged) => self.deliver_events(logged, true),
                        Err(e) => tracing::warn!(room = %room.id, error = ?e, "could not record a connection again"),
                    }
                }
            }
        }
    }
}

/// Waits a little longer each time, up to a few seconds.
pub(super) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200 * 2u64.pow(attempt.min(5)))
}

//! How a room's events reach its connections: published once, under the
//! room's lock, to everyone subscribed on this node.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// One event, serialized once for every connection of the room.
#[derive(Debug)]
pub struct Broadcast {
    pub seq: u64,
    pub json: Arc<str>,
    /// The account a `removed` event removes: its connections close.
    pub removed: Option<String>,
}

/// Where a room's events go: to the connections of this node only. A room's
/// state and its `seq` live in this node's memory (see `Rooms`), so sharing
/// a room between nodes takes more than another bus: a durable, ordered log
/// of its events that every node reads (README: several nodes).
pub trait Bus: Send + Sync + 'static {
    fn publish(&self, room: &str, event: Arc<Broadcast>);
    fn subscribe(&self, room: &str) -> broadcast::Receiver<Arc<Broadcast>>;
}

/// The bus of one process: a broadcast channel per room.
#[derive(Default)]
pub struct LocalBus {
    channels: Mutex<HashMap<String, broadcast::Sender<Arc<Broadcast>>>>,
}

/// Events a connection may fall behind by before it is resynced from a snapshot.
const CHANNEL_CAPACITY: usize = 128;

impl Bus for LocalBus {
    fn publish(&self, room: &str, event: Arc<Broadcast>) {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = channels.get(room) {
            if tx.send(event).is_err() {
                // Nobody listens any more.
                channels.remove(room);
            }
        }
    }

    fn subscribe(&self, room: &str) -> broadcast::Receiver<Arc<Broadcast>> {
        let mut channels = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        channels.entry(room.to_string()).or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0).subscribe()
    }
}

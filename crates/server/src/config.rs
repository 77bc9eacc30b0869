//! Settings of one cowork instance. The binary fills them from flags,
//! `COWORK_*` variables and an optional TOML file.

use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: SocketAddr,
    /// `sqlite://path` or `postgres://…`.
    pub database_url: String,
    /// Public base URL used in links and mail, without a trailing slash.
    /// Cookies are marked Secure when it is https.
    pub base_url: String,
    /// SMTP server URL; empty keeps mail in the outbox.
    pub smtp_url: String,
    pub mail_from: String,
    pub site_name: String,
    /// Take the client address from X-Forwarded-For (only behind a proxy you run).
    pub trust_proxy: bool,
    /// A session's live room opens this many minutes before its start.
    pub room_opens_minutes: u32,
    /// Room chat is deleted this many days after it was written (0: kept).
    pub chat_retention_days: u32,
    /// Webhooks may call private, loopback and link-local addresses (tests; a trusted network).
    pub allow_private_webhooks: bool,
    /// A webhook that has not answered by then has failed.
    pub webhook_timeout: std::time::Duration,
    /// NATS, between the nodes of one instance (`nats://host:4222`); empty: one node alone.
    pub nats_url: String,
    /// This node's name in metrics and logs; empty: the machine's name and the port.
    pub node_name: String,
    /// The directions link of a place: {lat} and {lon} are filled in.
    pub map_link: String,
    /// Map tiles for `/near` ({z}, {x}, {y}); empty shows the list alone.
    pub map_tiles: String,
    /// A Jitsi-compatible server whose rooms partner pairs meet in (a room
    /// per pair, named from its unguessable id); empty: partners' own links only.
    pub partner_video: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://./cowork.db".into(),
            base_url: String::new(),
            smtp_url: String::new(),
            mail_from: "cowork <cowork@localhost>".into(),
            site_name: "cowork".into(),
            trust_proxy: false,
            room_opens_minutes: 15,
            chat_retention_days: 90,
            allow_private_webhooks: false,
            webhook_timeout: std::time::Duration::from_secs(10),
            nats_url: String::new(),
            node_name: String::new(),
            map_link: "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}".into(),
            map_tiles: "https://tile.openstreetmap.org/{z}/{x}/{y}.png".into(),
            partner_video: "https://meet.jit.si".into(),
        }
    }
}

impl Config {
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

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
        }
    }
}

impl Config {
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

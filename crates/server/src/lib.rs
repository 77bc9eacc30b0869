//! The cowork server: pages, JSON API, sign-in, mail and metrics over one store.

pub mod api;
pub mod app;
pub mod cluster;
pub mod config;
pub mod ical;
mod markdown;
pub mod metrics;
pub mod outgoing;
pub mod page_cache;
mod web;

pub use app::{App, AppError};
pub use config::Config;

use axum::Router;
use cowork_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Opens the database (migrating it) and the mailer.
pub async fn open(mut config: Config) -> Result<App, String> {
    let store = Store::open(&config.database_url)
        .await
        .map_err(|e| format!("database {}: {e}", redact(&config.database_url)))?
        .with_room_opens(config.room_opens_minutes);
    config.base_url = config.base_url.trim_end_matches('/').to_string();
    let mailer = app::Mailer::new(store.clone(), &config.smtp_url, &config.mail_from, &config.site_name)?;
    // Made on first start and kept: browsers subscribe with its public half.
    store.vapid_keys(app::push::new_vapid_pair, app::now()).await.map_err(|e| format!("VAPID keys: {e}"))?;
    if config.node_name.trim().is_empty() {
        config.node_name = cluster::default_node_name(config.bind);
    }
    if !config.nats_url.is_empty() && store.backend() != cowork_store::Backend::Postgres {
        return Err("several nodes (a NATS URL) need PostgreSQL: each node would have a database of its own on SQLite".into());
    }
    let rooms = Arc::new(app::room::Rooms::new(&store));
    Ok(App {
        cluster: Arc::new(cluster::Cluster::new(config.node_name.clone())),
        outgoing: outgoing::Outgoing::new(config.allow_private_webhooks, config.webhook_timeout),
        store,
        mailer,
        config: Arc::new(config),
        metrics: Default::default(),
        feeds: Default::default(),
        pages: Default::default(),
        listings: Default::default(),
        rooms,
        job_signal: Default::default(),
        clock: Default::default(),
        unsubscribe_key: Default::default(),
    })
}

/// Every route: pages, API, health and metrics, static files.
pub fn router(app: App) -> Router {
    web::router(app)
}

/// A server running in the background, for the binary and for tests.
pub struct Running {
    pub addr: SocketAddr,
    pub app: App,
    pub task: tokio::task::JoinHandle<()>,
}

/// Binds `config.bind` (port 0 picks a free port), fills in the base URL if
/// none was given, and serves until the process ends.
pub async fn start(mut config: Config) -> Result<Running, String> {
    let listener = listen(config.bind).map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if config.base_url.is_empty() {
        config.base_url = format!("http://{addr}");
    }
    let app = open(config).await?;
    app::jobs::spawn_runner(app.clone());
    let presence = app.clone();
    tokio::spawn(async move { presence.keep_presence().await });
    if !app.config.nats_url.is_empty() {
        tokio::spawn(cluster::join(app.clone(), app.config.nats_url.clone()));
        let rooms = app.clone();
        tokio::spawn(async move { rooms.keep_rooms_current().await });
    }
    let router = router(app.clone());
    let task = tokio::spawn(async move {
        let svc = router.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, svc).with_graceful_shutdown(shutdown_signal()).await {
            tracing::error!(error = %e, "server stopped");
        }
    });
    Ok(Running { addr, app, task })
}

/// A listener with a long accept queue: when a session starts, hundreds of
/// people open its room in the same second (the default queue is 128).
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { tokio::net::TcpSocket::new_v4()? } else { tokio::net::TcpSocket::new_v6()? };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

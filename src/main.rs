//! The `cowork` command: serve (the default), migrate, admin, demo.

use clap::{Parser, Subcommand};

// Many small allocations per request (rows, templates): mimalloc is markedly
// faster than glibc's allocator under concurrent load (see bench/).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use cowork_server::{App, Config};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "cowork", version, about = "A self-hosted home for coworking communities")]
struct Cli {
    /// Optional TOML file with the same settings (flags and environment win).
    #[arg(long, env = "COWORK_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "COWORK_BIND", global = true)]
    bind: Option<SocketAddr>,
    /// sqlite://path or postgres://user@host/db [default: sqlite://./cowork.db]
    #[arg(long, env = "COWORK_DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Public URL of this site, used in links and mail [default: http://<bind>]
    #[arg(long, env = "COWORK_BASE_URL", global = true)]
    base_url: Option<String>,
    /// SMTP server, e.g. smtp://user:pass@mail.example.org:587; unset keeps mail in the outbox
    #[arg(long, env = "COWORK_SMTP_URL", global = true)]
    smtp_url: Option<String>,
    /// Sender of mail [default: cowork <cowork@localhost>]
    #[arg(long, env = "COWORK_MAIL_FROM", global = true)]
    mail_from: Option<String>,
    /// Name of this site in pages and mail [default: cowork]
    #[arg(long, env = "COWORK_SITE_NAME", global = true)]
    site_name: Option<String>,
    /// Trust X-Forwarded-For for client addresses (only behind your own proxy)
    #[arg(long, env = "COWORK_TRUST_PROXY", global = true)]
    trust_proxy: Option<bool>,
    /// Minutes before its start that a session's live room opens [default: 15]
    #[arg(long, env = "COWORK_ROOM_OPENS_MINUTES", global = true)]
    room_opens_minutes: Option<u32>,
    /// Days room chat is kept; 0 keeps it for good [default: 90]
    #[arg(long, env = "COWORK_CHAT_RETENTION_DAYS", global = true)]
    chat_retention_days: Option<u32>,
    /// Let webhooks call private, loopback and link-local addresses (only on a network you trust)
    #[arg(long, env = "COWORK_ALLOW_PRIVATE_WEBHOOKS", global = true)]
    allow_private_webhooks: Option<bool>,
    /// NATS between the nodes of one instance, e.g. nats://127.0.0.1:4222 (with PostgreSQL); unset: one node
    #[arg(long, env = "COWORK_NATS_URL", global = true)]
    nats_url: Option<String>,
    /// This node's name in metrics and logs [default: the machine's name and the port]
    #[arg(long, env = "COWORK_NODE_NAME", global = true)]
    node_name: Option<String>,
    /// Directions link for a place, with {lat} and {lon} [default: OpenStreetMap]
    #[arg(long, env = "COWORK_MAP_LINK", global = true)]
    map_link: Option<String>,
    /// Map tiles for /near, with {z}, {x} and {y}; "" shows no map [default: OpenStreetMap's tiles]
    #[arg(long, env = "COWORK_MAP_TILES", global = true)]
    map_tiles: Option<String>,
    /// Jitsi-compatible server for partner pairs' video rooms; "" for partners' own links only [default: https://meet.jit.si]
    #[arg(long, env = "COWORK_PARTNER_VIDEO", global = true)]
    partner_video: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the site (the default)
    Serve,
    /// Apply database migrations and exit
    Migrate,
    /// Instance administration
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Fill the database with a demo community to look around in
    Demo,
    /// Import an .ics file into a community as one-off sessions (all of it, or nothing)
    ImportIcs {
        /// The community's address (slug)
        #[arg(long)]
        community: String,
        /// An organizer of that community, who the sessions are planned by
        #[arg(long = "as")]
        organizer: String,
        /// The .ics file
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an instance admin (or make an account one) and print a sign-in link
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// Read a password for the admin from standard input
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<SocketAddr>,
    database_url: Option<String>,
    base_url: Option<String>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    site_name: Option<String>,
    trust_proxy: Option<bool>,
    room_opens_minutes: Option<u32>,
    chat_retention_days: Option<u32>,
    allow_private_webhooks: Option<bool>,
    nats_url: Option<String>,
    node_name: Option<String>,
    map_link: Option<String>,
    map_tiles: Option<String>,
    partner_video: Option<String>,
}

fn config(cli: &Cli) -> Result<Config, String> {
    let file: FileConfig = match &cli.config {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("config file {}: {e}", p.display()))?;
            toml::from_str(&text).map_err(|e| format!("config file {}: {e}", p.display()))?
        }
        None => FileConfig::default(),
    };
    let d = Config::default();
    Ok(Config {
        bind: cli.bind.or(file.bind).unwrap_or(d.bind),
        database_url: cli.database_url.clone().or(file.database_url).unwrap_or(d.database_url),
        base_url: cli.base_url.clone().or(file.base_url).unwrap_or(d.base_url),
        smtp_url: cli.smtp_url.clone().or(file.smtp_url).unwrap_or(d.smtp_url),
        mail_from: cli.mail_from.clone().or(file.mail_from).unwrap_or(d.mail_from),
        site_name: cli.site_name.clone().or(file.site_name).unwrap_or(d.site_name),
        trust_proxy: cli.trust_proxy.or(file.trust_proxy).unwrap_or(d.trust_proxy),
        room_opens_minutes: cli.room_opens_minutes.or(file.room_opens_minutes).unwrap_or(d.room_opens_minutes).min(24 * 60),
        chat_retention_days: cli.chat_retention_days.or(file.chat_retention_days).unwrap_or(d.chat_retention_days),
        allow_private_webhooks: cli.allow_private_webhooks.or(file.allow_private_webhooks).unwrap_or(d.allow_private_webhooks),
        nats_url: cli.nats_url.clone().or(file.nats_url).unwrap_or(d.nats_url),
        node_name: cli.node_name.clone().or(file.node_name).unwrap_or(d.node_name),
        map_link: cli.map_link.clone().or(file.map_link).unwrap_or(d.map_link),
        map_tiles: cli.map_tiles.clone().or(file.map_tiles).unwrap_or(d.map_tiles),
        partner_video: cli.partner_video.clone().or(file.partner_video).unwrap_or(d.partner_video).trim_end_matches('/').to_string(),
        ..d
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("COWORK_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()))
        .init();
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cowork: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let mut config = config(&cli)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let running = cowork_server::start(config).await?;
            tracing::info!(
                "cowork is serving {} (database {})",
                running.app.config.base_url,
                cowork_server::redact(&running.app.config.database_url)
            );
            running.task.await.map_err(|e| e.to_string())?;
            running.app.store.close().await;
            Ok(())
        }
        Command::Migrate => {
            let store = cowork_store::Store::connect(&config.database_url).await.map_err(|e| e.to_string())?;
            let n = store.migrate().await.map_err(|e| e.to_string())?;
            println!("{n} migration(s) applied; database is up to date");
            Ok(())
        }
        Command::Demo => {
            let app = open(&mut config).await?;
            let r = app.demo().await.map_err(|e| e.to_string())?;
            println!(
                "Demo ready: {} people, {} new communities. Run `cowork` and open {}/communities",
                r.accounts, r.communities, app.config.base_url
            );
            Ok(())
        }
        Command::ImportIcs { community, organizer, file } => {
            let text = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            if text.len() > cowork_server::ical::MAX_IMPORT_BYTES {
                return Err(format!("{} is larger than 1 MiB", file.display()));
            }
            let app = open(&mut config).await?;
            let email = cowork_core::input::Email::parse(&organizer).map_err(|e| e.message)?;
            let me =
                app.store.account_by_email(email.as_str()).await.map_err(|e| e.to_string())?.ok_or(format!("no account for {email}"))?;
            let report = app.import_ics(&me, &community, &String::from_utf8_lossy(&text)).await.map_err(|e| match e {
                cowork_server::AppError::Invalid(i) => i.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" "),
                other => other.to_string(),
            })?;
            println!(
                "Imported {} sessions into {community} ({} repeating events kept as series with {} dates changed; {} already past and left out).",
                report.imported, report.series, report.exceptions, report.skipped_past
            );
            Ok(())
        }
        Command::Admin { command: AdminCommand::Create { email, name, password_stdin } } => {
            let app = open(&mut config).await?;
            let admin = app.make_admin(&email, name.as_deref()).await.map_err(|e| e.to_string())?;
            if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
                let pw = line.trim_end_matches(['\r', '\n']);
                app.set_password(&admin, pw, pw, "").await.map_err(|e| e.to_string())?;
            }
            let email = cowork_core::input::Email::parse(&admin.email).map_err(|e| e.message)?;
            let link = app.issue_sign_in_link(&email).await.map_err(|e| e.to_string())?;
            println!("{} is an instance admin.\nSign in within 15 minutes with this single-use link:\n{link}", admin.email);
            Ok(())
        }
    }
}

/// Opens the app for a one-off command; links point at the configured site.
async fn open(config: &mut Config) -> Result<App, String> {
    if config.base_url.is_empty() {
        config.base_url = format!("http://{}", config.bind);
    }
    cowork_server::open(config.clone()).await
}

//! PostgreSQL not answering for a while, through a TCP proxy the test can
//! cut: pages, the API and room frames say so clearly (503, an error frame),
//! nothing panics, and everything works again once the database is back,
//! without a restart.

use crate::support::Server;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Forwards to PostgreSQL while up; while down it cuts every connection and
/// hangs up on new ones, as a database that went away would look.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (up, links) = (Arc::new(AtomicBool::new(true)), Arc::new(Mutex::new(Vec::new())));
        let (up2, links2) = (up.clone(), links.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    continue; // dropped: the connection is closed at once
                }
                let target = target.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links2.lock().unwrap().push(link);
            }
        });
        Proxy { port, up, links }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for l in self.links.lock().unwrap().drain(..) {
            l.abort();
        }
    }

    fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn while_postgres_is_unreachable_pages_api_and_rooms_say_so_and_all_recovers() {
    // A database made through the direct URL, then used through the proxy.
    let direct = crate::support::fresh_database("postgres").await;
    let (before, after) = direct.split_once("@").unwrap();
    let (host, db) = after.split_once('/').unwrap();
    let proxy = Proxy::start(host.to_string()).await;
    let through = format!("{before}@127.0.0.1:{}/{db}", proxy.port);
    let server = Server::start_on_with("postgres", |c| c.database_url = through.clone()).await;
    let session = server.live_session("org@example.org", "steady", "builtin:weekly-coworking", 600).await;
    let member = server.member_of(&session, "mo@example.org").await;
    let token = server.token("mo@example.org").await;
    assert!(member.get_ok(&format!("/s/{}", session.id)).await.contains("Weekly Coworking"));
    let mut ws = crate::room::open(&server, &member, &session.id).await.expect("into the room");

    proxy.down();
    // In the room: a chat message gets an error frame that says why; the connection stays.
    ws.send(serde_json::json!({"type": "chat", "text": "anyone there?", "ref": "c1"})).await;
    let e = ws.next_of("error").await;
    assert_eq!((e["code"].as_str(), e["ref"].as_str()), (Some("unavailable"), Some("c1")), "{e}");
    let r = member.get(&format!("/s/{}", session.id)).await;
    assert_eq!(r.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
    let page = r.text().await.unwrap();
    assert!(
        page.contains("We can&#x27;t reach our database right now") || page.contains("We can't reach our database right now"),
        "{page}"
    );
    assert!(!page.to_lowercase().contains("sqlx") && !page.contains("SELECT"), "no internals shown: {page}");
    let r = member.post(&format!("/s/{}/rsvp", session.id), &[]).await;
    assert_eq!(r.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE, "a form sent meanwhile: nothing saved, said so");
    let api = reqwest::Client::new().get(server.url(&format!("/api/v1/sessions/{}", session.id))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(api.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    assert_eq!(server.client().get("/healthz").await.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);

    proxy.up();
    assert!(server.client().get_ok("/healthz").await.contains("ok"), "back without a restart");
    assert!(member.get_ok(&format!("/s/{}", session.id)).await.contains("Weekly Coworking"));
    assert_eq!(member.post(&format!("/s/{}/rsvp", session.id), &[]).await.status(), reqwest::StatusCode::SEE_OTHER);
    ws.send(serde_json::json!({"type": "chat", "text": "back again", "ref": "c2"})).await;
    let chat = ws.next_of("chat").await;
    assert_eq!(chat["message"]["text"], "back again", "the same connection carries on");
    let mine = server.app().store.rsvp_status(&session.id, &server.account("mo@example.org").await.id).await.unwrap();
    assert!(mine.is_some(), "the answer sent after the outage is saved");
}

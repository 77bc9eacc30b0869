//! Several nodes of one instance, on one PostgreSQL database and a real NATS
//! server: what one node changes, the others' caches drop at once; a node
//! whose NATS does not answer says so and serves on its own; metrics name
//! their node.

use crate::support::Server;
use std::time::Duration;

/// The NATS server the tests use; the test script makes sure one runs.
pub fn nats_url() -> String {
    std::env::var("COWORK_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// Waits (bounded) until `ready` holds; false if it never did.
async fn eventually(mut ready: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..200 {
        if ready().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

async fn two_nodes() -> (Server, Server) {
    let a = Server::start_on_with("postgres", |c| {
        c.nats_url = nats_url();
        c.node_name = "node-a".into();
    })
    .await;
    let db = a.app().config.database_url.clone();
    let b = Server::start_on_with("postgres", |c| {
        c.database_url = db;
        c.nats_url = nats_url();
        c.node_name = "node-b".into();
    })
    .await;
    for n in [&a, &b] {
        assert!(eventually(async || n.app().cluster.connected()).await, "{} connects to NATS at {}", n.app().cluster.node, nats_url());
    }
    (a, b)
}

#[tokio::test]
async fn a_session_cancelled_on_one_node_drops_the_feed_cached_on_another() {
    let (a, b) = two_nodes().await;
    let session = a.live_session("org@example.org", "two-nodes", "builtin:weekly-coworking", 86_400).await;
    let feed = "/c/two-nodes/calendar.ics";
    // Node B serves the feed and keeps it.
    let before = b.client().get_ok(feed).await;
    assert!(before.contains("Weekly Coworking") && !before.contains("STATUS:CANCELLED"), "{before}");
    assert!(b.app().feed_cached(&session.community_id));

    // The organizer cancels it on node A: node B drops its copy (told through NATS), and remakes it.
    let org = a.account("org@example.org").await;
    a.app().cancel_session(&org, &session.id, true, "").await.unwrap();
    assert!(eventually(async || !b.app().feed_cached(&session.community_id)).await, "node B was told");
    assert!(b.client().get_ok(feed).await.contains("STATUS:CANCELLED"));

    // Each node's metrics name it, and say it is connected.
    for (n, name) in [(&a, "node-a"), (&b, "node-b")] {
        let m = n.client().get_ok("/metrics").await;
        assert!(m.contains(&format!("cowork_node_info{{node=\"{name}\"}} 1")) && m.contains("cowork_nats_connected 1"), "{m}");
    }
}

#[tokio::test]
async fn a_node_whose_nats_does_not_answer_serves_on_its_own_and_says_so() {
    let lonely = Server::start_on_with("postgres", |c| c.nats_url = "nats://127.0.0.1:1".into()).await;
    assert!(lonely.client().get_ok("/healthz").await.contains("ok"));
    lonely.community("org@example.org", "alone", "public", "open").await;
    assert!(lonely.client().get_ok("/c/alone").await.contains("Community alone"));
    let m = lonely.client().get_ok("/metrics").await;
    assert!(m.contains("cowork_nats_connected 0"), "{m}");
    assert!(!lonely.app().cluster.connected());

    // Several nodes need one database: NATS with SQLite is refused, clearly.
    let config = cowork_server::Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: crate::support::fresh_database("sqlite").await,
        nats_url: nats_url(),
        ..Default::default()
    };
    let err = cowork_server::start(config).await.err().expect("refused");
    assert!(err.contains("need PostgreSQL"), "{err}");
}

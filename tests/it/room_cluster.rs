//! One live room across several nodes on one PostgreSQL database and a real
//! NATS server: people connected to different nodes see the same events in
//! the same order with the same `seq`; every node takes every command, and
//! the room's rules hold across them; NATS can go away and come back.

use crate::cluster::nats_url;
use crate::room::{open, Ws};
use crate::support::{Browser, Server};
use serde_json::{json, Value};
use std::time::Duration;

/// `n` nodes on one fresh PostgreSQL database, talking through NATS at `nats`.
pub async fn nodes(n: usize, nats: &str) -> Vec<Server> {
    let first = Server::start_on_with("postgres", |c| {
        c.nats_url = nats.into();
        c.node_name = "node-0".into();
    })
    .await;
    let db = first.app().config.database_url.clone();
    let mut all = vec![first];
    for i in 1..n {
        all.push(
            Server::start_on_with("postgres", |c| {
                c.database_url = db.clone();
                c.nats_url = nats.into();
                c.node_name = format!("node-{i}");
            })
            .await,
        );
    }
    for s in &all {
        assert!(connected(s).await, "{} connects to NATS at {nats}", s.app().cluster.node);
    }
    all
}

async fn connected(s: &Server) -> bool {
    for _ in 0..200 {
        if s.app().cluster.connected() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// Frames of the kinds people write (chat, goals, the timer), in order.
async fn written(ws: &mut Ws, n: usize) -> Vec<Value> {
    let mut got = Vec::new();
    while got.len() < n {
        let v = ws.next().await;
        if ["chat", "goal", "timer"].contains(&v["type"].as_str().unwrap_or("")) {
            got.push(v);
        }
    }
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_on_three_nodes_see_the_same_210_events_in_the_same_order() {
    let nodes = nodes(3, &nats_url()).await;
    let session = nodes[0].live_session("host@example.org", "three-nodes", "builtin:weekly-coworking", -60).await;
    let host = nodes[0].signed_in("host@example.org").await;
    let b = nodes[1].member_of(&session, "b@example.org").await;
    let c = nodes[2].member_of(&session, "c@example.org").await;
    // Each on another node.
    let mut wa = open(&nodes[0], &host, &session.id).await.unwrap();
    let mut wb = open(&nodes[1], &b, &session.id).await.unwrap();
    let mut wc = open(&nodes[2], &c, &session.id).await.unwrap();
    // Everyone sees everyone arrive, whichever node they came through.
    assert_eq!(wa.next_of("joined").await["person"]["name"], "b");
    assert_eq!(wa.next_of("joined").await["person"]["name"], "c");
    assert_eq!(wb.next_of("joined").await["person"]["name"], "c");

    // 210 events, interleaved from all three nodes: chat, goals and the timer.
    for i in 0..60 {
        wa.send(json!({"type": "chat", "text": format!("a {i}")})).await;
        wb.send(json!({"type": "chat", "text": format!("b {i}")})).await;
        wc.send(json!({"type": "chat", "text": format!("c {i}")})).await;
        if i % 6 == 0 {
            wb.send(json!({"type": "goal_add", "text": format!("goal b {i}")})).await;
            wc.send(json!({"type": "goal_add", "text": format!("goal c {i}")})).await;
        }
        if i % 6 == 3 {
            wa.send(json!({"type": "timer", "action": if i % 12 == 3 { "pause" } else { "resume" }})).await;
        }
        // Within the rate limit of each connection (10 frames a second).
        tokio::time::sleep(Duration::from_millis(110)).await;
    }
    // 180 messages, 20 goals and 10 timer actions.
    let ea = written(&mut wa, 210).await;
    let eb = written(&mut wb, 210).await;
    let ec = written(&mut wc, 210).await;
    assert_eq!(ea, eb, "node 0 and node 1 show the same frames in the same order");
    assert_eq!(ea, ec, "and node 2 too");
    let seqs: Vec<u64> = ea.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[1] > w[0]), "seq rises: {seqs:?}");
    // Each person's own messages keep the order they were sent in.
    for who in ["host", "b", "c"] {
        let mine: Vec<&str> = ea
            .iter()
            .filter(|e| e["type"] == "chat" && e["message"]["name"] == who)
            .map(|e| e["message"]["text"].as_str().unwrap())
            .collect();
        let letter = &who[..1].replace('h', "a");
        assert_eq!(mine, (0..60).map(|i| format!("{letter} {i}")).collect::<Vec<_>>());
    }
    // A newcomer on any node gets the same room: same seq, timer, goals and chat.
    let d = nodes[2].member_of(&session, "d@example.org").await;
    let s0 = open(&nodes[0], &d, &session.id).await.unwrap().snapshot;
    let s2 = open(&nodes[2], &d, &session.id).await.unwrap().snapshot;
    for field in ["timer", "goals", "messages", "tables", "notes"] {
        assert_eq!(s0[field], s2[field], "{field} is the same on both nodes");
    }
    assert_eq!(s0["timer"], ea.iter().rev().find(|e| e["type"] == "timer").unwrap()["timer"], "the last timer event holds");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rooms_rules_hold_across_nodes() {
    let nodes = nodes(2, &nats_url()).await;
    let session = nodes[0].live_session("host@example.org", "rules", "builtin:weekly-coworking", -60).await;
    let host = nodes[0].signed_in("host@example.org").await;
    let m = nodes[1].member_of(&session, "m@example.org").await;
    let mut h = open(&nodes[0], &host, &session.id).await.unwrap();

    // Five tabs at most, counted over both nodes.
    let mut tabs: Vec<Ws> = Vec::new();
    for i in 0..5 {
        tabs.push(open(&nodes[i % 2], &m, &session.id).await.unwrap());
    }
    assert_eq!(h.next_of("joined").await["person"]["name"], "m", "one arrival, for the first tab");
    let e = open(&nodes[1], &m, &session.id).await.unwrap_or_else(|s| panic!("upgrade refused with {s}")).snapshot;
    assert_eq!(e["code"], "forbidden", "{e}");
    assert!(e["message"].as_str().unwrap().contains("5 times"), "{e}");

    // Notes edited from the same version on two nodes at once: both kept, merged.
    let base = h.snapshot["notes"]["version"].as_i64().unwrap();
    let text = h.snapshot["notes"]["text"].as_str().unwrap().to_string();
    h.send(json!({"type": "notes_edit", "base": base, "text": format!("{text}\n- from the host")})).await;
    tabs[1].send(json!({"type": "notes_edit", "base": base, "text": format!("{text}\n- from m")})).await;
    let mut last = Value::Null;
    for _ in 0..2 {
        last = h.next_of("notes").await;
    }
    let merged = last["text"].as_str().unwrap();
    assert!(merged.contains("- from the host") && merged.contains("- from m"), "{merged}");
    assert_eq!(last["version"].as_i64().unwrap(), base + 2);

    // A table proposed on one node, closed by its host on the other: everyone at it stands up.
    tabs[1].send(json!({"type": "table_propose", "topic": "Writing"})).await;
    let table = h.next_of("table").await["table"].clone();
    assert_eq!(h.next_of("presence").await["person"]["table"], table["id"]);
    h.send(json!({"type": "table_close", "id": table["id"]})).await;
    while tabs[0].next_of("table").await["table"]["closed"] != true {}
    assert_eq!(tabs[0].next_of("presence").await["person"]["table"], Value::Null);

    // Removed by a host on node 0: every tab of m closes, on both nodes, and m can't come back on either.
    let m_id = nodes[0].account("m@example.org").await.id;
    h.send(json!({"type": "remove", "account": m_id})).await;
    for t in tabs.iter_mut() {
        assert_eq!(t.next_of_error().await["code"], "removed");
    }
    for n in &nodes {
        let status = match open(n, &m, &session.id).await {
            Ok(ws) => ws.snapshot["code"].as_str().unwrap_or("in").to_string(),
            Err(s) => s.to_string(),
        };
        assert!(status == "403" || status == "forbidden", "{status}");
    }
}

/// A NATS server of the test's own, on a port of its own, so it can be stopped.
struct OwnNats {
    port: u16,
    child: std::process::Child,
}

impl OwnNats {
    fn start(port: u16) -> OwnNats {
        let child = std::process::Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nats-server is installed (./scripts/test installs it)");
        OwnNats { port, child }
    }

    async fn wait_ready(&self) {
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("nats-server did not start");
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_carries_on_while_nats_is_away_and_catches_up_when_it_is_back() {
    let port = free_port();
    let mut nats = OwnNats::start(port);
    nats.wait_ready().await;
    let url = format!("nats://127.0.0.1:{port}");
    let nodes = nodes(2, &url).await;
    let session = nodes[0].live_session("host@example.org", "nats-away", "builtin:weekly-coworking", -60).await;
    let host = nodes[0].signed_in("host@example.org").await;
    let m = nodes[1].member_of(&session, "m@example.org").await;
    let mut a = open(&nodes[0], &host, &session.id).await.unwrap();
    let mut b = open(&nodes[1], &m, &session.id).await.unwrap();
    a.next_of("joined").await;

    async fn chat_both_ways(a: &mut Ws, b: &mut Ws, label: &str) {
        for i in 0..5 {
            a.send(json!({"type": "chat", "text": format!("{label} a{i}")})).await;
            b.send(json!({"type": "chat", "text": format!("{label} b{i}")})).await;
        }
        let (ea, eb) = (written(a, 10).await, written(b, 10).await);
        assert_eq!(ea, eb, "{label}: the same frames in the same order");
    }
    chat_both_ways(&mut a, &mut b, "before").await;

    // NATS goes away: nodes say so, and the room still works, from the log.
    nats.stop();
    for n in &nodes {
        for _ in 0..200 {
            if !n.app().cluster.connected() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(!n.app().cluster.connected(), "{} notices", n.app().cluster.node);
    }
    chat_both_ways(&mut a, &mut b, "without NATS").await;

    // Back on the same port: both reconnect by themselves and events flow through it again.
    let _nats = OwnNats::start(port);
    for n in &nodes {
        assert!(connected(n).await, "{} reconnects", n.app().cluster.node);
    }
    chat_both_ways(&mut a, &mut b, "after").await;
}

/// `cowork serve` as a process of its own: a node that can be killed.
pub struct Node {
    pub base: String,
    child: std::process::Child,
}

impl Node {
    pub async fn start(database_url: &str, nats: &str, name: &str) -> Node {
        Node::start_with(database_url, nats, name, "").await
    }

    /// A node whose public address (base URL) is `base_url` (empty: its own).
    pub async fn start_with(database_url: &str, nats: &str, name: &str, base_url: &str) -> Node {
        let port = free_port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_cowork"))
            .env("COWORK_DATABASE_URL", database_url)
            .env("COWORK_NATS_URL", nats)
            .env("COWORK_NODE_NAME", name)
            .env("COWORK_BIND", format!("127.0.0.1:{port}"))
            .env("COWORK_BASE_URL", base_url)
            .env("COWORK_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Held from here, so that it is killed however the test ends.
        let node = Node { base: format!("http://127.0.0.1:{port}"), child };
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http.get(format!("{}/healthz", node.base)).send().await.is_ok_and(|r| r.status().is_success()) {
                return node;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("node {name} did not start");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// kill -9.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Everything a client saw before its connection went, or until `quiet` passed without a frame.
async fn seen_until_gone(ws: &mut Ws, quiet: Duration, into: &mut Vec<Value>) {
    while let Some(v) = ws.next_or_gone(quiet).await {
        into.push(v);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_burst_loses_nothing_acknowledged_and_its_people_leave() {
    // An in-process node stays up; another runs as its own process and is killed.
    let keeper = Server::start_on_with("postgres", |c| {
        c.nats_url = nats_url();
        c.node_name = "keeper".into();
    })
    .await;
    let db = keeper.app().config.database_url.clone();
    let mut victim = Node::start(&db, &nats_url(), "victim").await;
    assert!(connected(&keeper).await);
    let session = keeper.live_session("host@example.org", "kill-9", "builtin:weekly-coworking", -60).await;
    let host = keeper.signed_in("host@example.org").await;
    let m: Browser = keeper.member_of(&session, "m@example.org").await;
    let gone = keeper.member_of(&session, "gone@example.org").await;
    let k = keeper.member_of(&session, "k@example.org").await;
    let gone_id = keeper.account("gone@example.org").await.id;

    // Host, m and "gone" on the victim; k on the keeper.
    let mut wk = crate::room::open(&keeper, &k, &session.id).await.unwrap();
    let mut wh = crate::room::open_at(&victim.base, &host, &session.id).await.unwrap();
    let mut wm = crate::room::open_at(&victim.base, &m, &session.id).await.unwrap();
    let mut wg = crate::room::open_at(&victim.base, &gone, &session.id).await.unwrap();
    for name in ["host", "m", "gone"] {
        assert_eq!(wk.next_of("joined").await["person"]["name"], name);
    }

    // The host drives the timer from the victim; once k has seen it all, the timer is where it is.
    let mut seen_k: Vec<Value> = Vec::new();
    for action in ["pause", "resume", "skip", "extend"] {
        wh.send(json!({"type": "timer", "action": action, "minutes": 5})).await;
        let t = wk.next_of("timer").await;
        seen_k.push(t);
    }
    let timer_before = seen_k.last().unwrap()["timer"].clone();

    // A burst from both nodes; the victim is killed in the middle of it.
    let mut seen_victims: Vec<Value> = Vec::new();
    for i in 0..40 {
        wk.send(json!({"type": "chat", "text": format!("k {i}")})).await;
        wm.try_send(json!({"type": "chat", "text": format!("m {i}")})).await;
        if i < 10 {
            wm.try_send(json!({"type": "goal_add", "text": format!("goal {i}")})).await;
        }
        wh.try_send(json!({"type": "chat", "text": format!("host {i}")})).await;
        if i == 20 {
            victim.kill();
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    let killed_at = std::time::Instant::now();
    for ws in [&mut wh, &mut wm, &mut wg] {
        seen_until_gone(ws, Duration::from_secs(2), &mut seen_victims).await;
    }

    // Host and m come back through the other node, resynced from a snapshot.
    let _back_h = crate::room::open(&keeper, &host, &session.id).await.unwrap();
    let _back_m = crate::room::open(&keeper, &m, &session.id).await.unwrap();

    // k goes on seeing events; "gone" (who did not come back) leaves within 15 s; host and m never do.
    let mut left = None;
    while left.is_none() {
        let v = wk.next_or_gone(Duration::from_secs(16)).await.expect("k's connection stays");
        if v["type"] == "left" {
            assert_eq!(v["account"], gone_id.as_str(), "only the one who did not come back leaves: {v}");
            left = Some(killed_at.elapsed());
        }
        seen_k.push(v);
    }
    assert!(left.unwrap() <= Duration::from_secs(15), "gone left {:?} after the kill", left.unwrap());
    seen_until_gone(&mut wk, Duration::from_millis(500), &mut seen_k).await;

    // k missed nothing: its events rise by exactly one.
    let ks: Vec<u64> = seen_k.iter().filter_map(|e| e["seq"].as_u64()).collect();
    assert!(ks.windows(2).all(|w| w[1] == w[0] + 1), "{ks:?}");

    // Every chat and goal anyone saw acknowledged is in the room exactly once,
    // for the host coming back in another tab as for anyone.
    let again = crate::room::open(&keeper, &host, &session.id).await.unwrap();
    {
        let back = &again.snapshot;
        let messages = back["messages"].as_array().unwrap();
        let goals = back["goals"].as_array().unwrap();
        for e in seen_k.iter().chain(&seen_victims) {
            let (list, item) = match e["type"].as_str() {
                Some("chat") => (messages, &e["message"]),
                Some("goal") => (goals, &e["goal"]),
                _ => continue,
            };
            let n = list.iter().filter(|x| x["id"] == item["id"]).count();
            assert_eq!(n, 1, "{item} is there once");
        }
        let mut texts: Vec<&str> = messages.iter().map(|x| x["text"].as_str().unwrap()).collect();
        let all = texts.len();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), all, "no message twice");
        // The timer did not jump: as the host left it before the kill.
        assert_eq!(back["timer"], timer_before);
        // Host and m are here (back through the keeper); "gone" is not.
        let people: Vec<&str> = back["people"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert!(people.contains(&"host") && people.contains(&"m") && !people.contains(&"gone"), "{people:?}");
    }
    drop(wg);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_periodic_work_runs_once_and_lets_out_on_every_node_who_may_no_longer_be_in_a_room() {
    let nodes = nodes(3, &nats_url()).await;
    let session = nodes[0].live_session("host@example.org", "rights", "builtin:weekly-coworking", -60).await;
    let host = nodes[0].signed_in("host@example.org").await;
    let m = nodes[1].member_of(&session, "m@example.org").await;
    let mut h = open(&nodes[0], &host, &session.id).await.unwrap();
    let mut m1 = open(&nodes[1], &m, &session.id).await.unwrap();
    let mut m2 = open(&nodes[2], &m, &session.id).await.unwrap();
    assert_eq!(h.next_of("joined").await["person"]["name"], "m");

    // Three nodes' runners, one job per period: each ran once.
    let url = nodes[0].app().config.database_url.clone();
    let mut db = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.unwrap();
    for _ in 0..100 {
        let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE kind IN ('hourly', 'room_rights') AND status <> 'done'")
            .fetch_one(&mut db)
            .await
            .unwrap();
        if pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let runs: Vec<(String, i64)> = sqlx::query_as("SELECT kind, attempts FROM jobs WHERE kind IN ('hourly', 'room_rights') ORDER BY kind")
        .fetch_all(&mut db)
        .await
        .unwrap();
    let kinds: Vec<&str> = runs.iter().map(|(k, _)| k.as_str()).collect();
    assert!(kinds.contains(&"hourly") && kinds.contains(&"room_rights"), "{runs:?}");
    assert!(runs.iter().all(|(_, attempts)| *attempts == 1), "each ran once: {runs:?}");

    // Nobody lost their place yet: the check lets nobody out.
    assert_eq!(nodes[2].app().check_room_rights().await.unwrap(), 0);

    // m leaves the community; the next check (on any one node) lets m out of the room on every node, with why.
    let m_id = nodes[0].account("m@example.org").await.id;
    nodes[0].app().store.end_membership(&session.community_id, &m_id, false).await.unwrap();
    assert_eq!(nodes[2].app().check_room_rights().await.unwrap(), 1);
    let left = h.next_of("left").await;
    assert_eq!(left["account"], m_id.as_str());
    assert!(left["dismissed"].as_str().unwrap().contains("members"), "{left}");
    for ws in [&mut m1, &mut m2] {
        let e = ws.next_of_error().await;
        assert_eq!(e["code"], "forbidden", "{e}");
    }
    // Once only.
    assert_eq!(nodes[1].app().check_room_rights().await.unwrap(), 0);
}

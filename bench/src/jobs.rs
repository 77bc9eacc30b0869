//! Job queue benchmark (issue 9): a burst of 10,000 mails due in the same
//! moment — everyone going to a session that is cancelled, one notice each —
//! on SQLite with one node, and on PostgreSQL with two nodes' runners. A
//! local SMTP sink times when each mail is handed over; meanwhile clients
//! load the signed-in upcoming page at a steady rate, and its p99 during the
//! burst is compared with the same page just before it, in the same run.
//!
//! Usage: ./bench/run jobs [--people 10000] [--runs 3] [--rate 100]

use crate::{now, Conn, SESSION_TOKEN};
use cowork_core::community::CommunityInput;
use cowork_core::format::builtin;
use cowork_store::{Content, Planned, Store, Timing};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const API_TOKEN: &str = "cwk_bench0123456789abcdef0123456789abcdef0123";
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const PG_DB: &str = "cowork_bench_jobs";

struct Args {
    people: usize,
    runs: usize,
    rate: u64,
}

fn args(v: &[String]) -> Args {
    let mut a = Args { people: 10_000, runs: 3, rate: 100 };
    let mut i = 0;
    while i + 1 < v.len() {
        let n: usize = v[i + 1].parse().unwrap_or(0);
        match v[i].as_str() {
            "--people" => a.people = n,
            "--runs" => a.runs = n,
            "--rate" => a.rate = n as u64,
            other => panic!("unknown flag {other}"),
        }
        i += 2;
    }
    a
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// An SMTP server that accepts everything and notes when each message arrived.
async fn smtp_sink() -> (u16, Arc<Mutex<Vec<Instant>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                if w.write_all(b"220 sink ESMTP\r\n").await.is_err() {
                    return;
                }
                let (mut in_data, mut cancellation) = (false, false);
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if in_data {
                        if line.starts_with("Subject: Cancelled") {
                            cancellation = true;
                        }
                        if line != "." {
                            continue;
                        }
                        in_data = false;
                        // Only the burst's notices are timed (RSVP confirmations go to the sink too).
                        if std::mem::take(&mut cancellation) {
                            seen.lock().unwrap().push(Instant::now());
                        }
                        b"250 queued\r\n"
                    } else {
                        match line.split_whitespace().next().unwrap_or("").to_uppercase().as_str() {
                            "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "DATA" => {
                                in_data = true;
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => {
                                let _ = w.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"250 ok\r\n",
                        }
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, arrivals)
}

/// A fresh database with `runs` sessions, each with `people` going, and a
/// member's browser session and an organizer's API token.
async fn seed(url: &str, people: usize, runs: usize) -> Vec<String> {
    let started = Instant::now();
    let store = Store::open(url).await.expect("bench database");
    let owner = store.create_account("organizer@bench.test", "Bench Organizer", "Europe/London", now()).await.unwrap();
    store.insert_api_token(&owner.id, "bench", &sha256_hex(API_TOKEN), now()).await.unwrap();
    let member = store.create_account("member@bench.test", "Bench Member", "America/New_York", now()).await.unwrap();
    store.insert_web_session(&sha256_hex(SESSION_TOKEN), &member.id, now(), now() + 86_400).await.unwrap();
    let input = CommunityInput {
        slug: "burst".into(),
        name: "Burst".into(),
        code_of_conduct: cowork_core::community::DEFAULT_CODE_OF_CONDUCT.into(),
        visibility: "public".into(),
        join_policy: "open".into(),
        time_zone: "Europe/London".into(),
        ..Default::default()
    };
    let c = store.create_community(&input.parse().unwrap(), &owner.id, now()).await.unwrap();
    let content = Content {
        title: "Burst".into(),
        description: String::new(),
        format_name: "Weekly Coworking".into(),
        phases: builtin("builtin:weekly-coworking").unwrap().phases,
        time_zone: "Europe/London".into(),
        capacity: 0,
        place: "online".into(),
        video_url: String::new(),
        address: String::new(),
        language: "en".into(),
    };
    let timing = Timing { format_key: "builtin:weekly-coworking".into(), start_date: "2026-01-01".into(), start_time: "10:00".into(), rrule: String::new() };
    let plan: Vec<Planned> =
        (0..runs).map(|k| Planned { occurrence: format!("{k:03}"), starts_at: now() + 86_400 * (k as i64 + 2), ends_at: now() + 86_400 * (k as i64 + 2) + 3900 }).collect();
    store.create_series(&c.id, &content, &timing, &owner.id, &plan, "9999-12-31", now()).await.unwrap();
    let sessions: Vec<String> = store.community_sessions(&c.id, 0, i64::MAX, 100).await.unwrap().into_iter().map(|s| s.id).collect();
    let store = Arc::new(store);
    // PostgreSQL takes writers side by side; SQLite one at a time.
    let writers = if url.starts_with("postgres") { 16 } else { 1 };
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (store, sessions, cid) = (store.clone(), sessions.clone(), c.id.clone());
        tasks.push(tokio::spawn(async move {
            for i in (w..people).step_by(writers) {
                let a = store.create_account(&format!("p{i}@bench.test"), &format!("Person {i}"), "Asia/Kolkata", now()).await.unwrap();
                store.add_member(&cid, &a.id, false, now()).await.unwrap();
                for s in &sessions {
                    store.rsvp(s, &a.id, now()).await.unwrap();
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    eprintln!("  seeded {people} people going to {runs} sessions in {:.0?}", started.elapsed());
    sessions
}

async fn start_node(url: &str, port: u16, smtp: u16) -> tokio::process::Child {
    let binary = crate::server_binary(&crate::root());
    let child = tokio::process::Command::new(binary)
        .args(["--database-url", url, "--bind", &format!("127.0.0.1:{port}"), "--smtp-url", &format!("smtp://127.0.0.1:{smtp}")])
        .env("COWORK_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .expect("server starts");
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child
}

/// Cancels a session through the API, as an organizer's click does.
async fn cancel(addr: &str, session: &str) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST /api/v1/sessions/{session}/cancel HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {API_TOKEN}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut s, &mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "cancel answered: {}", out.lines().next().unwrap_or(""));
}

/// The signed-in upcoming page at `rate` requests a second for `seconds`; its p99 in ms.
async fn page_p99(addr: &str, rate: u64, seconds: f64) -> f64 {
    let clients = 20usize;
    let interval = Duration::from_secs_f64(clients as f64 / rate as f64);
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let addr = addr.to_string();
        tasks.push(tokio::spawn(async move {
            let source = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 1, 1 + c as u8));
            let mut conn = Conn::open(&addr, source).await;
            let mut due = Instant::now() + interval.mul_f64(c as f64 / clients as f64);
            let mut lat = Vec::new();
            let cookie = format!("Cookie: cowork_session={SESSION_TOKEN}\r\n");
            while due < deadline {
                tokio::time::sleep_until(due.into()).await;
                if conn.get("/upcoming", &cookie).await.is_ok() {
                    lat.push(due.elapsed().as_secs_f64() * 1000.0);
                } else {
                    conn = Conn::open(&addr, source).await;
                }
                due += interval;
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by(|a, b| a.total_cmp(b));
    all.get((all.len() as f64 * 0.99) as usize).copied().unwrap_or(f64::NAN)
}

struct Run {
    p50: f64,
    p99: f64,
    max: f64,
    per_second: f64,
    page_before: f64,
    page_during: f64,
    all_within: f64,
}

async fn burst(addr: &str, session: &str, people: usize, arrivals: &Arc<Mutex<Vec<Instant>>>, rate: u64) -> Run {
    let page_before = page_p99(addr, rate, 5.0).await;
    arrivals.lock().unwrap().clear();
    let load = {
        let addr = addr.to_string();
        tokio::spawn(async move { page_p99(&addr, rate, 10.0).await })
    };
    let due = Instant::now();
    cancel(addr, session).await;
    let wait_until = due + Duration::from_secs(180);
    while arrivals.lock().unwrap().len() < people && Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page_during = load.await.unwrap();
    let mut lat: Vec<f64> = arrivals.lock().unwrap().iter().map(|t| t.duration_since(due).as_secs_f64()).collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    assert_eq!(lat.len(), people, "every mail handed over within 180 s");
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    let last = *lat.last().unwrap();
    Run { p50: pct(0.5), p99: pct(0.99), max: last, per_second: people as f64 / last, page_before, page_during, all_within: last }
}

async fn psql(sql: &str) {
    let ok = tokio::process::Command::new("psql").args([PG_ADMIN, "-q", "-c", sql]).status().await.map(|s| s.success()).unwrap_or(false);
    assert!(ok, "psql {sql}");
}

pub async fn main(argv: &[String]) {
    let a = args(argv);
    let data = crate::root().join("bench/data");
    std::fs::create_dir_all(&data).unwrap();
    let (smtp, arrivals) = smtp_sink().await;
    let mut rows = Vec::new();
    for backend in ["sqlite", "postgres"] {
        let url = if backend == "sqlite" {
            let db = data.join("jobs.db");
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
            }
            format!("sqlite://{}", db.display())
        } else {
            psql(&format!("DROP DATABASE IF EXISTS {PG_DB}")).await;
            psql(&format!("CREATE DATABASE {PG_DB}")).await;
            format!("postgres://postgres@127.0.0.1:5432/{PG_DB}")
        };
        let sessions = seed(&url, a.people, a.runs).await;
        let nodes = if backend == "sqlite" { 1 } else { 2 };
        let mut children = Vec::new();
        for n in 0..nodes {
            children.push(start_node(&url, 18_090 + n as u16, smtp).await);
        }
        let addr = "127.0.0.1:18090".to_string();
        // The seed's RSVPs queued their confirmations: let them all go out first.
        eprintln!("  waiting for the seed's RSVP confirmations to be sent");
        let store = Store::open(&url).await.unwrap();
        while store.unfinished_jobs().await.unwrap() > 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        store.close().await;
        // Warm up (connections, caches, page faults) before anything is measured.
        page_p99(&addr, a.rate, 3.0).await;
        let mut runs = Vec::new();
        for (i, session) in sessions.iter().enumerate().take(a.runs) {
            let r = burst(&addr, session, a.people, &arrivals, a.rate).await;
            eprintln!(
                "{backend} ({nodes} node{}) run {}: all {} handed over in {:.1} s ({:.0}/s); due→handed p50 {:.1} s, p99 {:.1} s, max {:.1} s; page p99 {:.1} ms before, {:.1} ms during",
                if nodes > 1 { "s" } else { "" },
                i + 1,
                a.people,
                r.all_within,
                r.per_second,
                r.p50,
                r.p99,
                r.max,
                r.page_before,
                r.page_during
            );
            runs.push(r);
            // Let the queue settle (the notices all sent) before the next run.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        for mut c in children {
            let _ = c.kill().await;
        }
        rows.push((backend, nodes, runs));
    }
    println!("\n{} people going, one notice each, {} runs; page load {} req/s", a.people, a.runs, a.rate);
    println!("| database | nodes | due → handed p50 s | p99 s | max s | sends/s | page p99 before ms | page p99 during ms |");
    println!("|---|---|---|---|---|---|---|---|");
    for (backend, nodes, runs) in rows {
        let col = |f: fn(&Run) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            crate::median_range(&mut v)
        };
        println!(
            "| {backend} | {nodes} | {} | {} | {} | {} | {} | {} |",
            col(|r| r.p50),
            col(|r| r.p99),
            col(|r| r.max),
            col(|r| r.per_second),
            col(|r| r.page_before),
            col(|r| r.page_during)
        );
    }
}

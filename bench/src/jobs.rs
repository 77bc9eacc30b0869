//! Job queue benchmark (issue 9): 10,000 reminders due in the same moment —
//! everyone going to a session gets its "one hour before" reminder — on
//! SQLite with one node and on PostgreSQL with two nodes' runners, the
//! release server on the real clock. A local SMTP sink notes when each
//! reminder arrives; its Message-ID (`<job id@host>`) gives the job, whose
//! `run_at` is when it was due. Meanwhile 20 clients load the signed-in
//! upcoming page at a steady rate, and its p99 during the burst is compared
//! with the same page in the seconds just before it, in the same run.
//!
//! Each run seeds a new session starting an hour and a bit from now and the
//! people's RSVPs (through the store, nodes stopped), so the reminders come
//! due a known moment later; the seed's own RSVP confirmations are marked
//! sent, as they would have been when people answered. Runs alternate
//! SQLite / PostgreSQL.
//!
//! Usage: ./bench/run jobs [--people 10000] [--runs 3] [--rate 100]

use crate::{Conn, SESSION_TOKEN};
use cowork_core::community::CommunityInput;
use cowork_core::format::builtin;
use cowork_store::{Content, Planned, Store, Timing, MAIL_RSVP, REMINDER};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const PG_DB: &str = "cowork_bench_jobs";
/// The page's "before" window, just before the reminders come due.
const BEFORE: f64 = 5.0;
/// No burst may take longer than this (the run fails).
const GIVE_UP: f64 = 240.0;

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

/// Wall time in unix seconds, with its fraction: jobs are due at whole seconds.
fn unix() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64()
}

async fn sleep_until_unix(t: f64) {
    let d = t - unix();
    if d > 0.0 {
        tokio::time::sleep(Duration::from_secs_f64(d)).await;
    }
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(s.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reminders as they arrived: the job id from the Message-ID, and when.
type Arrivals = Arc<Mutex<Vec<(String, f64)>>>;
/// SMTP connections the sink accepted (a pooling mailer opens few).
static CONNECTIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// An SMTP server that accepts everything and notes when each reminder arrived.
async fn smtp_sink() -> (u16, Arrivals) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let arrivals: Arrivals = Default::default();
    let seen = arrivals.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            CONNECTIONS.fetch_add(1, Ordering::Relaxed);
            let seen = seen.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                if w.write_all(b"220 sink ESMTP\r\n").await.is_err() {
                    return;
                }
                let (mut in_data, mut reminder, mut job) = (false, false, String::new());
                while let Ok(Some(line)) = lines.next_line().await {
                    let reply: &[u8] = if in_data {
                        if line.starts_with("Subject: Reminder:") {
                            reminder = true;
                        } else if let Some(id) = line.strip_prefix("Message-ID: <") {
                            job = id.split('@').next().unwrap_or("").to_string();
                        }
                        if line != "." {
                            continue;
                        }
                        in_data = false;
                        if std::mem::take(&mut reminder) {
                            seen.lock().unwrap().push((std::mem::take(&mut job), unix()));
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

/// One database: its people (members of one community) and, per run, a session they all go to.
struct Db {
    backend: &'static str,
    url: String,
    nodes: usize,
    store: Arc<Store>,
    community: String,
    owner: String,
    people: Vec<String>,
    /// How long the last run's RSVPs took to seed, to plan the next one's due moment.
    rsvp_secs: f64,
}

async fn open_db(backend: &'static str, people: usize) -> Db {
    let url = if backend == "sqlite" {
        let data = crate::root().join("bench/data");
        std::fs::create_dir_all(&data).unwrap();
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
    let started = unix();
    let store = Arc::new(Store::open(&url).await.expect("bench database"));
    let t = crate::now();
    let owner = store.create_account("organizer@bench.test", "Bench Organizer", "Europe/London", t).await.unwrap();
    let member = store.create_account("member@bench.test", "Bench Member", "America/New_York", t).await.unwrap();
    store.insert_web_session(&sha256_hex(SESSION_TOKEN), &member.id, t, t + 86_400).await.unwrap();
    let input = CommunityInput {
        slug: "burst".into(),
        name: "Burst".into(),
        code_of_conduct: cowork_core::community::DEFAULT_CODE_OF_CONDUCT.into(),
        visibility: "public".into(),
        join_policy: "open".into(),
        time_zone: "Europe/London".into(),
        ..Default::default()
    };
    let c = store.create_community(&input.parse().unwrap(), &owner.id, t).await.unwrap();
    let ids = in_parallel(backend, people, {
        let (store, cid) = (store.clone(), c.id.clone());
        move |i| {
            let (store, cid) = (store.clone(), cid.clone());
            async move {
                let a = store.create_account(&format!("p{i}@bench.test"), &format!("Person {i}"), "Asia/Kolkata", crate::now()).await.unwrap();
                store.add_member(&cid, &a.id, false, crate::now()).await.unwrap();
                a.id
            }
        }
    })
    .await;
    eprintln!("  {backend}: {people} people in {:.0} s", unix() - started);
    let nodes = if backend == "sqlite" { 1 } else { 2 };
    Db { backend, url, nodes, store, community: c.id, owner: owner.id, people: ids, rsvp_secs: people as f64 / 80.0 }
}

/// Runs `f(i)` for i in 0..n: one writer at a time on SQLite, several on PostgreSQL.
pub(crate) async fn in_parallel<F, Fut, T>(backend: &str, n: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let writers = if backend == "postgres" { 8 } else { 1 };
    let mut tasks = Vec::new();
    for w in 0..writers {
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for i in (w..n).step_by(writers) {
                out.push((i, f(i).await));
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, v)| v).collect()
}

/// A session starting at `starts_at` with everyone going: their "one hour
/// before" reminders are due at `starts_at - 3600`. The RSVPs' own
/// confirmations are marked sent.
async fn seed_session(db: &Db, run: usize, starts_at: i64) -> String {
    let content = Content {
        title: "Burst".into(),
        description: String::new(),
        format_name: "Weekly Coworking".into(),
        phases: builtin("builtin:weekly-coworking").unwrap().phases,
        time_zone: "Europe/London".into(),
        capacity: 0,
        place: "online".into(),
        video_url: "https://meet.example.org/burst".into(),
        place_id: String::new(),
        language: "en".into(),
        online_capacity: 0,
        kind: "call".into(),
    };
    let timing = Timing { format_key: "builtin:weekly-coworking".into(), start_date: "2026-01-01".into(), start_time: "10:00".into(), rrule: String::new() };
    let plan = vec![Planned { occurrence: format!("run{run:03}"), starts_at, ends_at: starts_at + 3900 }];
    db.store.create_series(&db.community, &content, &timing, &db.owner, &plan, "9999-12-31", crate::now()).await.unwrap();
    let session = db.store.community_sessions(&db.community, starts_at, starts_at + 1, 1).await.unwrap().remove(0).id;
    let people = Arc::new(db.people.clone());
    in_parallel(db.backend, people.len(), {
        let (store, session) = (db.store.clone(), session.clone());
        move |i| {
            let (store, session, people) = (store.clone(), session.clone(), people.clone());
            async move {
                store.rsvp(&session, &people[i], crate::now()).await.unwrap();
            }
        }
    })
    .await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let r = sqlx::query("UPDATE jobs SET status = 'done', note = 'bench: sent when they answered' WHERE kind = $1 AND status = 'queued'")
        .bind(MAIL_RSVP)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(r.rows_affected() as usize, db.people.len(), "one confirmation each");
    pool.close().await;
    session
}

async fn start_node(url: &str, port: u16, smtp: u16) -> tokio::process::Child {
    let binary = crate::server_binary(&crate::root());
    let child = tokio::process::Command::new(binary)
        .args(["--database-url", url, "--bind", &format!("127.0.0.1:{port}"), "--smtp-url", &format!("smtp://127.0.0.1:{smtp}")])
        .env("COWORK_LOG", std::env::var("COWORK_LOG").unwrap_or_else(|_| "warn".into()))
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

/// The signed-in upcoming page at `rate` requests a second from `from` until
/// `stop`: each request's due moment (unix s) and latency (ms) from then.
async fn page_load(addr: &str, rate: u64, from: f64, stop: Arc<AtomicBool>) -> Vec<(f64, f64)> {
    let clients = 20usize;
    let interval = clients as f64 / rate as f64;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (addr, stop) = (addr.to_string(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let source = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 1, 1 + c as u8));
            let mut conn = Conn::open(&addr, source).await;
            let mut due = from + interval * c as f64 / clients as f64;
            let mut lat = Vec::new();
            let cookie = format!("Cookie: cowork_session={SESSION_TOKEN}\r\n");
            while !stop.load(Ordering::Relaxed) {
                sleep_until_unix(due).await;
                match conn.get("/upcoming", &cookie).await {
                    Ok((200, _)) => lat.push((due, (unix() - due) * 1000.0)),
                    Ok((status, _)) => panic!("the upcoming page answered {status}"),
                    Err(_) => conn = Conn::open(&addr, source).await,
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
    all
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(f64::NAN)
}

struct Run {
    p50: f64,
    p99: f64,
    max: f64,
    per_second: f64,
    page_before: f64,
    page_during: f64,
}

/// One run: a new session's reminders due `lead` seconds after seeding starts.
async fn run(db: &mut Db, i: usize, a: &Args, smtp: u16, arrivals: &Arrivals) -> Run {
    let load_avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    // The seed must be done, the nodes up and the page measured before the reminders are due.
    let lead = (db.rsvp_secs * 1.25 + 15.0).ceil() as i64;
    let seeding = unix();
    let due = crate::now() + lead;
    let session = seed_session(db, i, due + 3600).await;
    db.rsvp_secs = unix() - seeding;
    let spare = due as f64 - unix();
    assert!(spare > BEFORE + 4.0, "the seed took {:.0} s, too long for its lead of {lead} s", db.rsvp_secs);
    let mut children = Vec::new();
    for n in 0..db.nodes {
        children.push(start_node(&db.url, 18_090 + n as u16, smtp).await);
    }
    let addr = "127.0.0.1:18090".to_string();
    // Warm up (connections, caches, page faults) before anything is measured.
    let warm = Arc::new(AtomicBool::new(false));
    let warming = tokio::spawn({
        let (addr, warm) = (addr.clone(), warm.clone());
        let rate = a.rate;
        async move { page_load(&addr, rate, unix(), warm).await }
    });
    sleep_until_unix(due as f64 - BEFORE - 0.5).await;
    warm.store(true, Ordering::Relaxed);
    warming.await.unwrap();
    arrivals.lock().unwrap().clear();
    let connections = CONNECTIONS.load(Ordering::Relaxed);
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn({
        let (addr, stop) = (addr.clone(), stop.clone());
        let rate = a.rate;
        async move { page_load(&addr, rate, due as f64 - BEFORE, stop).await }
    });
    while arrivals.lock().unwrap().len() < a.people && unix() < due as f64 + GIVE_UP {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let connections = CONNECTIONS.load(Ordering::Relaxed) - connections;
    let pages = load.await.unwrap();
    // Every job finished (so none is left running for a later run) before the nodes stop.
    for _ in 0..300 {
        if db.store.jobs_due_or_running(crate::now()).await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for mut c in children {
        let _ = c.kill().await;
    }
    // When each was due: its job's run_at.
    let due_at: HashMap<String, i64> = db
        .store
        .jobs_of_kind(REMINDER, (db.people.len() * 2) as i64)
        .await
        .unwrap()
        .into_iter()
        .filter(|j| j.payload.contains(&session))
        .map(|j| (j.id, j.run_at))
        .collect();
    let got = arrivals.lock().unwrap().clone();
    let mut lat: Vec<f64> = got.iter().filter_map(|(id, at)| due_at.get(id).map(|d| at - *d as f64)).collect();
    let distinct: std::collections::HashSet<&String> = got.iter().map(|(id, _)| id).collect();
    assert_eq!(lat.len(), a.people, "every reminder handed over once within {GIVE_UP} s ({} distinct)", distinct.len());
    let max = lat.iter().copied().fold(0.0, f64::max);
    let window = |from: f64, to: f64| -> Vec<f64> { pages.iter().filter(|(t, _)| *t >= from && *t < to).map(|(_, l)| *l).collect() };
    let r = Run {
        p50: percentile(&mut lat, 0.5),
        p99: percentile(&mut lat, 0.99),
        max,
        per_second: a.people as f64 / max,
        page_before: percentile(&mut window(due as f64 - BEFORE, due as f64), 0.99),
        page_during: percentile(&mut window(due as f64, due as f64 + max), 0.99),
    };
    eprintln!(
        "{} ({} node{}) run {}: all {} handed over {:.1} s after due ({:.0}/s); due→handed p50 {:.1} s, p99 {:.1} s; page p99 {:.1} ms before, {:.1} ms during; {} SMTP connections; seed {:.0} s; load average at start {}",
        db.backend,
        db.nodes,
        if db.nodes > 1 { "s" } else { "" },
        i + 1,
        a.people,
        r.max,
        r.per_second,
        r.p50,
        r.p99,
        r.page_before,
        r.page_during,
        connections,
        db.rsvp_secs,
        load_avg.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    );
    r
}

async fn psql(sql: &str) {
    let ok = tokio::process::Command::new("psql").args([PG_ADMIN, "-q", "-c", sql]).status().await.map(|s| s.success()).unwrap_or(false);
    assert!(ok, "psql {sql}");
}

pub async fn main(argv: &[String]) {
    let a = args(argv);
    let (smtp, arrivals) = smtp_sink().await;
    let mut dbs = vec![open_db("sqlite", a.people).await, open_db("postgres", a.people).await];
    let mut runs: Vec<Vec<Run>> = dbs.iter().map(|_| Vec::new()).collect();
    // Interleaved, so slow moments of the shared machine fall on both.
    for i in 0..a.runs {
        for (d, db) in dbs.iter_mut().enumerate() {
            runs[d].push(run(db, i, &a, smtp, &arrivals).await);
        }
    }
    println!("\n{} people going, one reminder each due at once; {} runs each, interleaved; page load {} req/s", a.people, a.runs, a.rate);
    println!("| database | nodes | all handed over in s | due → handed p50 s | p99 s | sends/s | page p99 before ms | page p99 during ms | during / before |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (db, runs) in dbs.iter().zip(&runs) {
        let col = |f: fn(&Run) -> f64| {
            let mut v: Vec<f64> = runs.iter().map(f).collect();
            crate::median_range(&mut v)
        };
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            db.backend,
            db.nodes,
            col(|r| r.max),
            col(|r| r.p50),
            col(|r| r.p99),
            col(|r| r.per_second),
            col(|r| r.page_before),
            col(|r| r.page_during),
            // Each run's own ratio: the machine's noise moves both figures of a run together.
            col(|r| r.page_during / r.page_before)
        );
    }
}

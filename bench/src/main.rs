//! Schedule benchmark (issue 3): a database of 10,000 communities and
//! 200,000 upcoming sessions on SQLite; 200 concurrent clients on the public
//! upcoming page and on a community feed of 1,000 sessions.
//!
//! Each scenario runs several times, interleaved, and the report gives the
//! median and range over the runs. Two load shapes:
//! - closed loop: every client sends its next request as soon as the last
//!   answer arrives (the most the server can do; latency then grows with the
//!   queue, by Little's law);
//! - open loop: every client sends at a fixed pace whatever the answers do
//!   (people and calendar apps polling), latency measured from when the
//!   request was due, so queueing is never hidden.
//!
//! The open loop offers 80% of what the closed loop of the same run reached
//! (at most --rate): latency under a load the server can sustain.
//!
//! Usage: ./bench/run [--runs 3] [--seconds 10] [--clients 200] [--rate 2000]
//!
//! `./bench/run room …` runs the live room benchmark instead: see room.rs;
//! `./bench/run jobs …` the job queue's burst benchmark: see jobs.rs;
//! `./bench/run near …` coworking near me and check-in at the door: see near.rs;
//! `./bench/run partners …` 1,000 people booking the same partner slot: see partners.rs.
//! The server binary is $COWORK_BIN, by default target/release/cowork.

mod jobs;
mod near;
mod partners;
mod room;

use cowork_core::community::CommunityInput;
use cowork_core::format::builtin;
use cowork_core::places::{PlaceDraft, PlaceKind};
use cowork_store::{Content, PlaceOwner, Planned, Store, Timing};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const COMMUNITIES: usize = 10_000;
const SESSIONS_PER_COMMUNITY: usize = 20;
const BIG_FEED: usize = 1_000;
/// Bump when the seed changes, so an old database is not reused.
const SEED_VERSION: u32 = 3;
/// A browser session of a bench member, so one scenario renders every page afresh.
const SESSION_TOKEN: &str = "bench-session-0123456789abcdef0123456789abcdef";

struct Args {
    runs: usize,
    seconds: u64,
    clients: usize,
    rate: u64,
}

fn args(v: &[String]) -> Args {
    let mut a = Args { runs: 3, seconds: 10, clients: 200, rate: 2000 };
    let mut i = 0;
    while i + 1 < v.len() {
        let n: u64 = v[i + 1].parse().unwrap_or(0);
        match v[i].as_str() {
            "--runs" => a.runs = n as usize,
            "--seconds" => a.seconds = n,
            "--clients" => a.clients = n as usize,
            "--rate" => a.rate = n,
            other => panic!("unknown flag {other}"),
        }
        i += 2;
    }
    a
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Seeds the database once; later runs reuse it while it is fresh enough.
async fn seed(db: &Path) {
    let marker = db.with_extension(format!("seeded-v{SEED_VERSION}"));
    let fresh = std::fs::metadata(&marker).ok().and_then(|m| m.modified().ok()).map(|t| t.elapsed().unwrap_or_default() < Duration::from_secs(86_400)).unwrap_or(false);
    if fresh && db.exists() {
        return;
    }
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    let started = Instant::now();
    let store = Store::open(&format!("sqlite://{}", db.display())).await.expect("bench database");
    let owner = store.create_account("organizer@bench.test", "Bench Organizer", "Europe/London", now()).await.unwrap();
    let member = store.create_account("member@bench.test", "Bench Member", "America/New_York", now()).await.unwrap();
    use sha2::Digest;
    let hash: String = sha2::Sha256::digest(SESSION_TOKEN.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    store.insert_web_session(&hash, &member.id, now(), now() + 30 * 86_400).await.unwrap();
    let phases = builtin("builtin:weekly-coworking").unwrap().phases;
    let content = |title: String, place: &str, place_id: String, language: &str| Content {
        title,
        description: "A bench session.".into(),
        format_name: "Weekly Coworking".into(),
        phases: phases.clone(),
        time_zone: "Europe/London".into(),
        capacity: 20,
        place: place.into(),
        video_url: String::new(),
        place_id,
        language: language.into(),
        online_capacity: 0,
        kind: "call".into(),
    };
    let topics = ["writing", "open science", "research software", "design", "phd", "startups", "languages", "art"];
    let base = now() + 3600;
    for i in 0..COMMUNITIES {
        let slug = if i == 0 { "big-feed".to_string() } else { format!("bench-{i:05}") };
        let input = CommunityInput {
            slug: slug.clone(),
            name: format!("Bench community {i}"),
            description: "Coworking for benchmarks.".into(),
            topics: format!("{}, {}", topics[i % topics.len()], topics[(i / 3) % topics.len()]),
            code_of_conduct: cowork_core::community::DEFAULT_CODE_OF_CONDUCT.into(),
            visibility: "public".into(),
            join_policy: "open".into(),
            time_zone: "Europe/London".into(),
            ..Default::default()
        };
        let c = store.create_community(&input.parse().unwrap(), &owner.id, now()).await.unwrap();
        let count = if i == 0 { BIG_FEED } else { SESSIONS_PER_COMMUNITY };
        // Spread over six months, at varied hours, so every page of the directory differs.
        let plan: Vec<Planned> = (0..count)
            .map(|k| {
                let starts_at = base + ((i * 7919 + k * 104_729) % (180 * 24)) as i64 * 3600 + (k as i64 % 4) * 900;
                Planned { occurrence: format!("{k:05}"), starts_at, ends_at: starts_at + 3900 }
            })
            .collect();
        let timing = Timing { format_key: "builtin:weekly-coworking".into(), start_date: "2026-01-01".into(), start_time: "10:00".into(), rrule: String::new() };
        let place = if i % 5 == 0 { "in_person" } else { "online" };
        // An in-person community meets at a place of its own (as migration 0011 makes of an old address).
        let place_id = if place == "in_person" {
            let draft = PlaceDraft {
                name: "Main Street 1".into(),
                kind: PlaceKind::Other,
                address: "Main Street 1".into(),
                area: String::new(),
                city: String::new(),
                country: "",
                coordinates: None,
                time_zone: "Europe/London".into(),
                access: Vec::new(),
                amenities: Vec::new(),
                access_notes: String::new(),
                seats: 0,
                house_rules: String::new(),
                opening_hours: Default::default(),
                drop_in_seats: 0,
                free_trial: false,
            };
            store.create_place(&PlaceOwner::Community(c.id.clone()), &draft, now()).await.unwrap().id
        } else {
            String::new()
        };
        let language = ["en", "en", "es", "de", "fr"][i % 5];
        store.create_series(&c.id, &content(format!("Session of {i}"), place, place_id, language), &timing, &owner.id, &plan, "9999-12-31", now()).await.unwrap();
        if i % 1000 == 0 {
            eprintln!("  seeded {i} communities ({:.0?})", started.elapsed());
        }
    }
    store.close().await;
    std::fs::write(&marker, b"ok").unwrap();
    eprintln!("seeded {COMMUNITIES} communities and {} sessions in {:.0?}", (COMMUNITIES - 1) * SESSIONS_PER_COMMUNITY + BIG_FEED, started.elapsed());
}

/// One keep-alive HTTP/1.1 connection, read by Content-Length.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: &str, source: std::net::IpAddr) -> Conn {
        let sock = tokio::net::TcpSocket::new_v4().unwrap();
        sock.bind(std::net::SocketAddr::new(source, 0)).unwrap();
        let stream = sock.connect(addr.parse().unwrap()).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn { stream, buf: Vec::with_capacity(64 * 1024) }
    }

    /// Sends one GET and reads the whole answer; returns status and body length.
    async fn get(&mut self, path: &str, cookie: &str) -> std::io::Result<(u16, usize)> {
        let req = format!("GET {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: cowork-bench\r\nAccept-Encoding: gzip\r\n{cookie}\r\n");
        self.stream.write_all(req.as_bytes()).await?;
        self.buf.clear();
        let mut chunk = [0u8; 65536];
        let header_end = loop {
            if let Some(p) = find(&self.buf, b"\r\n\r\n") {
                break p + 4;
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..header_end]).to_ascii_lowercase();
        let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
        while self.buf.len() < header_end + len {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok((status, len))
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}

#[derive(Clone, Copy)]
enum Shape {
    Closed,
    /// Requests per second offered, over all clients.
    Open(u64),
}

struct Outcome {
    rps: f64,
    p50: f64,
    p99: f64,
    max: f64,
    errors: usize,
    bytes: usize,
}

/// Runs `clients` connections for `seconds` against paths from `path_of(client, n)`.
async fn load(addr: &str, clients: usize, seconds: u64, shape: Shape, scenario: Scenario) -> Outcome {
    let (path_of, signed_in) = (scenario.path, scenario.signed_in);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for c in 0..clients {
        let addr = addr.to_string();
        // Connections come from 127.0.0.x so that no one address runs out of ports.
        let source = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1 + (c % 200) as u8));
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::open(&addr, source).await;
            let mut lat = Vec::new();
            let (mut errors, mut bytes) = (0, 0);
            let interval = match shape {
                Shape::Open(rate) => Some(Duration::from_secs_f64(clients as f64 / rate as f64)),
                Shape::Closed => None,
            };
            // Clients start spread over one interval, not all at once.
            let mut due = Instant::now() + interval.map(|i| i.mul_f64(c as f64 / clients as f64)).unwrap_or_default();
            let mut n = 0;
            while Instant::now() < deadline {
                // Latency counts from when the request was due, so a late start is never hidden.
                let sent = match interval {
                    Some(i) => {
                        // Nothing is due after the window (at a low rate a client's first turn may come later).
                        if due >= deadline {
                            break;
                        }
                        tokio::time::sleep_until(due.into()).await;
                        let d = due;
                        due += i;
                        d
                    }
                    None => Instant::now(),
                };
                let cookie = if signed_in { format!("Cookie: cowork_session={SESSION_TOKEN}\r\n") } else { String::new() };
                match conn.get(&path_of(c, n), &cookie).await {
                    Ok((200 | 304, len)) => {
                        lat.push(sent.elapsed().as_secs_f64() * 1000.0);
                        bytes += len;
                    }
                    _ => {
                        errors += 1;
                        conn = Conn::open(&addr, source).await;
                    }
                }
                n += 1;
            }
            (lat, errors, bytes)
        }));
    }
    let mut all = Vec::new();
    let (mut errors, mut bytes) = (0, 0);
    for t in tasks {
        let (l, e, b) = t.await.unwrap();
        all.extend(l);
        errors += e;
        bytes += b;
    }
    all.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or(f64::NAN);
    Outcome { rps: all.len() as f64 / seconds as f64, p50: pct(0.50), p99: pct(0.99), max: all.last().copied().unwrap_or(f64::NAN), errors, bytes }
}

#[derive(Clone, Copy)]
struct Scenario {
    name: &'static str,
    path: fn(usize, usize) -> String,
    /// Signed in: the page is rendered for this person every time, never shared.
    signed_in: bool,
}

fn upcoming_path(c: usize, n: usize) -> String {
    // Most people look at the first pages; some filter.
    match (c + n) % 10 {
        0 => "/upcoming?place=online".into(),
        1 => "/upcoming?language=es".into(),
        2 => format!("/upcoming?page={}", 2 + n % 5),
        _ => "/upcoming".into(),
    }
}

fn feed_path(_: usize, _: usize) -> String {
    "/c/big-feed/calendar.ics".into()
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn median_range(v: &mut [f64]) -> String {
    v.sort_by(|a, b| a.total_cmp(b));
    format!("{:.1} ({:.1}–{:.1})", v[v.len() / 2], v[0], v[v.len() - 1])
}

/// The repository's root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The server to measure: $COWORK_BIN, or the repository's target/release/cowork.
fn server_binary(root: &Path) -> PathBuf {
    let binary = std::env::var_os("COWORK_BIN").map(PathBuf::from).unwrap_or_else(|| root.join("target/release/cowork"));
    assert!(binary.exists(), "build the server first (cargo build --release), or set COWORK_BIN: {} is missing", binary.display());
    binary
}

#[tokio::main]
async fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.first().map(String::as_str) == Some("room") {
        return room::main(&argv[1..]).await;
    }
    if argv.first().map(String::as_str) == Some("jobs") {
        return jobs::main(&argv[1..]).await;
    }
    if argv.first().map(String::as_str) == Some("near") {
        return near::main(&argv[1..]).await;
    }
    if argv.first().map(String::as_str) == Some("partners") {
        return partners::main(&argv[1..]).await;
    }
    let a = args(&argv);
    let root = root();
    let data = root.join("bench/data");
    std::fs::create_dir_all(&data).unwrap();
    let db = data.join("schedule.db");
    seed(&db).await;
    let binary = server_binary(&root);
    let port = 18_080;
    let mut server = tokio::process::Command::new(&binary)
        .args(["--database-url", &format!("sqlite://{}", db.display()), "--bind", &format!("127.0.0.1:{port}")])
        .env("COWORK_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .expect("server starts");
    let addr = format!("127.0.0.1:{port}");
    for _ in 0..100 {
        if TcpStream::connect(&addr).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let pid = server.id().unwrap_or(0);
    // Warm up: caches, connections, page faults.
    let scenarios = [
        Scenario { name: "upcoming page, anonymous", path: upcoming_path, signed_in: false },
        Scenario { name: "upcoming page, signed in", path: upcoming_path, signed_in: true },
        Scenario { name: "community feed (1,000 sessions)", path: feed_path, signed_in: false },
    ];
    for s in scenarios {
        load(&addr, 20, 2, Shape::Closed, s).await;
    }
    let shapes = ["closed loop", "open loop"];
    let mut results: Vec<Vec<Outcome>> = (0..scenarios.len() * shapes.len()).map(|_| Vec::new()).collect();
    let mut offered: Vec<Vec<u64>> = vec![Vec::new(); scenarios.len()];
    for run in 0..a.runs {
        for (si, s) in scenarios.iter().enumerate() {
            let name = s.name;
            let mut sustainable = a.rate;
            for (hi, shape_name) in shapes.iter().enumerate() {
                let shape = if hi == 0 { Shape::Closed } else { Shape::Open(sustainable) };
                let o = load(&addr, a.clients, a.seconds, shape, *s).await;
                if hi == 0 {
                    sustainable = ((o.rps * 0.8) as u64).clamp(1, a.rate);
                }
                offered[si].push(sustainable);
                eprintln!("run {} {name}, {shape_name}: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {} errors, {:.0} KB/answer", run + 1, o.rps, o.p50, o.p99, o.max, o.errors, o.bytes as f64 / o.rps.max(1.0) / a.seconds as f64 / 1024.0);
                results[si * shapes.len() + hi].push(o);
            }
        }
    }
    let rss = rss_mb(pid);
    println!("\n{} runs of {} s, {} clients; server RSS after the runs: {rss:.0} MB", a.runs, a.seconds, a.clients);
    println!("| scenario | load | requests/s | p50 ms | p99 ms | max ms | errors |");
    println!("|---|---|---|---|---|---|---|");
    for (si, s) in scenarios.iter().enumerate() {
        let name = s.name;
        for (hi, shape_name) in shapes.iter().enumerate() {
            let r = &results[si * shapes.len() + hi];
            let load = if hi == 0 {
                shape_name.to_string()
            } else {
                let mut o = offered[si].clone();
                o.sort();
                format!("{shape_name}, {} req/s offered", o[o.len() / 2])
            };
            let mut rps: Vec<f64> = r.iter().map(|o| o.rps).collect();
            let mut p50: Vec<f64> = r.iter().map(|o| o.p50).collect();
            let mut p99: Vec<f64> = r.iter().map(|o| o.p99).collect();
            let mut max: Vec<f64> = r.iter().map(|o| o.max).collect();
            let errors: usize = r.iter().map(|o| o.errors).sum();
            println!("| {name} | {load} | {} | {} | {} | {} | {errors} |", median_range(&mut rps), median_range(&mut p50), median_range(&mut p99), median_range(&mut max));
        }
    }
    let _ = server.kill().await;
}

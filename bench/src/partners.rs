//! Partner booking benchmark (issue 12): a Monday 09:00 rush. 1,000 people
//! book the same 50-minute slot over the API within 10 seconds, each from
//! its own keep-alive connection (from 127.0.0.x), at evenly spread moments
//! (open loop: latency counts from when each booking was due).
//!
//! Reported: booking latency (p50, p99, max) and the time until everyone
//! knows their partner. A booking that finds someone waiting answers
//! "matched" with the partner's card, so its answer is the moment both know;
//! the one who waited knows from that moment (the page and the API show it,
//! and a mail is queued in the same transaction). So each person's wait is
//! from their own booking's due time to the answer that matched them.
//!
//! Usage: ./bench/run partners [--people 1000] [--seconds 10] [--runs 3] [--db sqlite|postgres|both]

use crate::near::{lit, load_average, mr, ms, pct, pg_url, psql, secs, start_server, Http, Writer, ACCOUNT_COLUMNS};
use crate::{now, root};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const PG_RUN: &str = "cowork_bench_partners";

struct Args {
    people: usize,
    seconds: f64,
    runs: usize,
    dbs: Vec<&'static str>,
}

fn args(v: &[String]) -> Args {
    let mut a = Args { people: 1000, seconds: 10.0, runs: 3, dbs: vec!["sqlite", "postgres"] };
    let mut i = 0;
    while i + 1 < v.len() {
        match v[i].as_str() {
            "--people" => a.people = v[i + 1].parse().unwrap_or(a.people),
            "--seconds" => a.seconds = v[i + 1].parse().unwrap_or(a.seconds),
            "--runs" => a.runs = v[i + 1].parse().unwrap_or(a.runs),
            "--db" => {
                a.dbs = match v[i + 1].as_str() {
                    "sqlite" => vec!["sqlite"],
                    "postgres" => vec!["postgres"],
                    _ => vec!["sqlite", "postgres"],
                }
            }
            other => panic!("unknown option {other}"),
        }
        i += 2;
    }
    a
}

fn token(i: usize) -> String {
    format!("cwk_bench_partner_{i:06}_0123456789abcdef")
}

/// A fresh database with `people` accounts and their API tokens, the server on it.
async fn fresh(db: &str, people: usize, port: u16) -> tokio::process::Child {
    let data = root().join("bench/data");
    std::fs::create_dir_all(&data).unwrap();
    let url = match db {
        "sqlite" => {
            let f = data.join("partners-run.db");
            for ext in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{ext}", f.display()));
            }
            format!("sqlite://{}", f.display())
        }
        _ => {
            psql("postgres", &format!("DROP DATABASE IF EXISTS {PG_RUN} WITH (FORCE)")).await;
            psql("postgres", &format!("CREATE DATABASE {PG_RUN}")).await;
            pg_url(PG_RUN)
        }
    };
    let server = start_server(&url, port, &data.join(format!("partners-server-{db}.log"))).await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::pool::PoolOptions::<sqlx::Any>::new().max_connections(1).connect(&url).await.unwrap();
    let t0 = now();
    let mut accounts = Writer::new(&pool, "accounts", ACCOUNT_COLUMNS);
    for i in 0..people {
        let zone = ["Europe/London", "America/New_York", "Asia/Tokyo", "Australia/Sydney"][i % 4];
        accounts.push(&[lit(&format!("bp{i:06}")), lit(&format!("p{i}@partners.bench.test")), lit(&format!("Person {i}")), lit(zone), t0.to_string()]).await;
    }
    accounts.done().await;
    let mut tokens = Writer::new(&pool, "api_tokens", "id, account_id, name, token_hash, created_at");
    for i in 0..people {
        use sha2::Digest;
        let hash: String = sha2::Sha256::digest(token(i).as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        tokens.push(&[lit(&format!("bt{i:06}")), lit(&format!("bp{i:06}")), lit("bench"), lit(&hash), t0.to_string()]).await;
    }
    tokens.done().await;
    pool.close().await;
    server
}

struct Run {
    latencies: Vec<f64>,
    waits: Vec<f64>,
    all_known: f64,
    errors: usize,
    unmatched: usize,
}

/// One rush: everyone books the same slot, person i at i × seconds / people.
async fn rush(addr: &str, people: usize, seconds: f64, slot: &str) -> Run {
    let start = Instant::now() + Duration::from_millis(500);
    let mut tasks = Vec::with_capacity(people);
    for i in 0..people {
        let addr = addr.to_string();
        let body = format!("{{\"starts_at\": \"{slot}\", \"minutes\": \"50\"}}");
        let due = start + Duration::from_secs_f64(seconds * i as f64 / people as f64);
        tasks.push(tokio::spawn(async move {
            let source = std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 1 + (i / 250) as u8, 1 + (i % 250) as u8));
            let mut h = Http::open(&addr, source).await.expect("connects");
            tokio::time::sleep_until(due.into()).await;
            let r = h.send("POST", "/api/v1/partners/bookings", Some(&token(i)), Some(&body)).await;
            let done = Instant::now();
            (i, due, done, r)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    // Who matched whom, and when the matching answer came.
    let mut due_of: HashMap<String, Instant> = HashMap::new();
    let mut matched_at: Vec<(String, String, Instant)> = Vec::new();
    for t in tasks {
        let (i, due, done, r) = t.await.unwrap();
        latencies.push((done - due).as_secs_f64() * 1000.0);
        due_of.insert(format!("bp{i:06}"), due);
        match r {
            Ok((201, body)) => {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                if v["status"] == "matched" {
                    for p in v["partners"].as_array().into_iter().flatten() {
                        matched_at.push((format!("bp{i:06}"), p["account_id"].as_str().unwrap_or_default().to_string(), done));
                    }
                }
            }
            _ => errors += 1,
        }
    }
    let mut known: HashMap<String, Instant> = HashMap::new();
    for (me, partner, at) in &matched_at {
        for who in [me, partner] {
            let e = known.entry(who.clone()).or_insert(*at);
            *e = (*e).min(*at);
        }
    }
    let mut waits: Vec<f64> = known.iter().map(|(who, at)| (*at - due_of[who]).as_secs_f64() * 1000.0).collect();
    waits.sort_by(f64::total_cmp);
    latencies.sort_by(f64::total_cmp);
    let last = known.values().max().copied().unwrap_or(start);
    Run { latencies, waits, all_known: (last - start).as_secs_f64(), errors, unmatched: people - known.len() }
}

pub async fn main(argv: &[String]) {
    let a = args(argv);
    println!(
        "machine: {} cores, load average {} at start",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        load_average()
    );
    // The slot: a quarter hour two hours ahead, as an instant.
    let slot_at = (now() / 900 + 8) * 900;
    let slot = jiff::Timestamp::from_second(slot_at).unwrap().to_string();
    let mut results: HashMap<&str, Vec<Run>> = HashMap::new();
    for run in 0..a.runs {
        for (k, db) in a.dbs.iter().enumerate() {
            let port = 18300 + (run * 2 + k) as u16;
            let mut server = fresh(db, a.people, port).await;
            let r = rush(&format!("127.0.0.1:{port}"), a.people, a.seconds, &slot).await;
            eprintln!(
                "run {} {db}: booking p99 {} ms, everyone knew their partner {} s after the first booking, {} errors, {} unmatched; load {}",
                run + 1,
                ms(pct(&r.latencies, 0.99)),
                secs(r.all_known),
                r.errors,
                r.unmatched,
                load_average()
            );
            results.entry(db).or_default().push(r);
            let _ = server.kill().await;
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    println!(
        "\n{} people book the same 50-minute slot over {} s (open loop, each on its own connection); {} runs, interleaved; median (min–max)",
        a.people, a.seconds, a.runs
    );
    println!("| database | booking p50 ms | booking p99 ms | booking max ms | partner known: p50 ms | p99 ms | all known after, s | errors | unmatched |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for db in &a.dbs {
        let rs = &results[db];
        let f = |g: &dyn Fn(&Run) -> f64| rs.iter().map(g).collect::<Vec<f64>>();
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            if *db == "sqlite" { "SQLite" } else { "PostgreSQL" },
            mr(&f(&|r| pct(&r.latencies, 0.5)), ms),
            mr(&f(&|r| pct(&r.latencies, 0.99)), ms),
            mr(&f(&|r| r.latencies.last().copied().unwrap_or(f64::NAN)), ms),
            mr(&f(&|r| pct(&r.waits, 0.5)), ms),
            mr(&f(&|r| pct(&r.waits, 0.99)), ms),
            mr(&f(&|r| r.all_known), secs),
            rs.iter().map(|r| r.errors).sum::<usize>(),
            rs.iter().map(|r| r.unmatched).sum::<usize>(),
        );
    }
}

//! Coworking near me and check-in at the door (issue 11).
//!
//! The seed (once a day, cached: `bench/data/near.db`, and with PostgreSQL
//! the database `cowork_bench_near_seed`): around each of the 5,000 most
//! populous towns of the gazetteer, ten places scattered within 15 km (one a
//! home, the rest cafés, libraries, coworking spaces, offices and others),
//! each place kept by the town's public community or, for some coworking
//! spaces, by their operator; each place has a series of four upcoming
//! sessions spread over the next 60 days, of the kinds such a place holds
//! (coworking days, drop-in days, open houses, calls in person, some of them
//! hybrid): 50,000 places and 200,000 sessions. Rows are written straight
//! with SQL, in multi-row INSERTs of 1,000 rows, a transaction per 10,000,
//! into a schema made by the store's own migrations.
//!
//! Every invocation runs on a fresh copy of the seed (`near-run.db`, or the
//! database `cowork_bench_near` made from the seed as a template), so what one
//! run writes never reaches the next.
//!
//! Scenario A, coworking near me: `GET /near?q=<town>&radius=25` and
//! `GET /api/v1/near?q=<town>&radius=25` for 200 big towns in turn (the
//! default days: today and the next 14), anonymous, from `--clients`
//! keep-alive clients, closed loop, then open loop at 80% of what the closed
//! loop reached (at most `--rate`), as the schedule benchmark does.
//! Requests/s counts answers over the time until the last one came back, so
//! answers still coming in after the sending stopped count with their time.
//!
//! Scenario B, check-in at the door: a coworking day at a place with
//! `--people` seats, starting now (its door is open), `--people` going, each
//! with their own code; the organizer checks them in with
//! `POST /api/v1/sessions/{id}/checkins {"code": …}` and an API token:
//! (a) at the doors: all of them over `--door-seconds` from `--doors`
//! clients on a fixed schedule (open loop: latency counts from when each was
//! due); (b) as fast as they go, from each of `--fast` numbers of clients
//! (closed loop): time for all of them. Each burst has its own place and
//! session; afterwards the place's daily log (`GET /api/v1/places/{id}/log`)
//! must hold every one of them exactly once. On SQLite and on PostgreSQL
//! (`--db`), runs interleaved.
//!
//! Usage: ./bench/run near [--runs 3] [--seconds 10] [--clients 200]
//!        [--rate 2000] [--people 500] [--door-seconds 60] [--doors 4]
//!        [--fast 4,20] [--db both|sqlite|postgres] [--near-db sqlite|postgres|both]
//!        [--only near|checkin]

use crate::{load, now, root, rss_mb, server_binary, Scenario, Shape};
use cowork_core::format::builtin;
use cowork_core::gazetteer::{self, City};
use sqlx::{AnyPool, Executor};
use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bump when the seed changes, so an old one is not reused.
const SEED_VERSION: u32 = 1;
const TOWNS: usize = 5_000;
const PLACES_PER_TOWN: usize = 10;
const SESSIONS_PER_PLACE: usize = 4;
/// Sessions start within this many days from the seed.
const DAYS: i64 = 60;
/// Places lie within this distance of their town's centre.
const SCATTER_KM: f64 = 15.0;
/// Towns searched in scenario A: the most populous.
const QUERY_TOWNS: usize = 200;
const RADIUS_KM: u32 = 25;
const PORT_SQLITE: u16 = 18_100;
const PORT_POSTGRES: u16 = 18_101;
const PG_SEED: &str = "cowork_bench_near_seed";
const PG_RUN: &str = "cowork_bench_near";
/// The door organizer's API token (only its SHA-256 is stored).
const DOOR_TOKEN: &str = "cwk_near-bench-door-0123456789abcdef0123456789abcdef";
/// Rows a statement, and a transaction.
const ROWS_PER_STATEMENT: usize = 1_000;
const ROWS_PER_TRANSACTION: usize = 10_000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
    fn port(self) -> u16 {
        match self {
            Backend::Sqlite => PORT_SQLITE,
            Backend::Postgres => PORT_POSTGRES,
        }
    }
}

struct Args {
    runs: usize,
    seconds: u64,
    clients: usize,
    rate: u64,
    people: usize,
    door_seconds: f64,
    doors: usize,
    fast: Vec<usize>,
    /// Databases of the check-in bursts.
    db: Vec<Backend>,
    /// Databases of /near.
    near_db: Vec<Backend>,
    near: bool,
    checkin: bool,
}

fn backends(v: &str) -> Vec<Backend> {
    match v {
        "sqlite" => vec![Backend::Sqlite],
        "postgres" => vec![Backend::Postgres],
        "both" => vec![Backend::Sqlite, Backend::Postgres],
        other => panic!("a database is sqlite, postgres or both, not {other}"),
    }
}

fn args(v: &[String]) -> Args {
    let mut a = Args {
        runs: 3,
        seconds: 10,
        clients: 200,
        rate: 2000,
        people: 500,
        door_seconds: 60.0,
        doors: 4,
        fast: vec![4, 20],
        db: backends("both"),
        near_db: backends("sqlite"),
        near: true,
        checkin: true,
    };
    let mut i = 0;
    while i < v.len() {
        let value = v.get(i + 1).unwrap_or_else(|| panic!("{} needs a value", v[i])).as_str();
        let num = || value.parse::<f64>().unwrap_or_else(|_| panic!("{} takes a number, not {value}", v[i]));
        match v[i].as_str() {
            "--runs" => a.runs = (num() as usize).max(1),
            "--seconds" => a.seconds = num() as u64,
            "--clients" => a.clients = num() as usize,
            "--rate" => a.rate = num() as u64,
            "--people" => a.people = num() as usize,
            "--door-seconds" => a.door_seconds = num(),
            "--doors" => a.doors = (num() as usize).max(1),
            "--fast" => a.fast = value.split(',').map(|n| n.trim().parse().unwrap_or_else(|_| panic!("--fast takes numbers of clients, such as 4,20"))).collect(),
            "--db" => a.db = backends(value),
            "--near-db" => a.near_db = backends(value),
            "--only" => match value {
                "near" => a.checkin = false,
                "checkin" => a.near = false,
                other => panic!("--only near or --only checkin, not {other}"),
            },
            other => panic!("unknown flag {other} (near mode takes --runs --seconds --clients --rate --people --door-seconds --doors --fast --db --near-db --only)"),
        }
        i += 2;
    }
    assert!(a.people > 0 && a.people <= cowork_core::places::MAX_SEATS as usize, "--people from 1 to {}", cowork_core::places::MAX_SEATS);
    a
}

// ---- seeding

/// splitmix64: the same seed gives the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// A 24-hex-digit id like the store's, its first byte saying which table.
fn id(table: u8, n: usize) -> String {
    format!("{table:02x}{n:022x}")
}

/// A text as an SQL literal.
pub(crate) fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Rows of one table, written 1,000 a statement and a transaction per 10,000.
pub(crate) struct Writer<'a> {
    pool: &'a AnyPool,
    table: &'static str,
    columns: &'static str,
    rows: Vec<String>,
    written: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(pool: &'a AnyPool, table: &'static str, columns: &'static str) -> Writer<'a> {
        Writer { pool, table, columns, rows: Vec::with_capacity(ROWS_PER_TRANSACTION), written: 0 }
    }

    /// One row: its values as SQL literals, in the order of the columns.
    /// Kept until `flush`, so that rows another table's refer to go first.
    pub(crate) async fn push(&mut self, values: &[String]) {
        self.rows.push(format!("({})", values.join(",")));
    }

    /// A transaction's worth is waiting.
    fn full(&self) -> bool {
        self.rows.len() >= ROWS_PER_TRANSACTION
    }

    async fn flush(&mut self) {
        for rows in self.rows.chunks(ROWS_PER_TRANSACTION) {
            let mut tx = self.pool.begin().await.unwrap();
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                let sql = format!("INSERT INTO {} ({}) VALUES {}", self.table, self.columns, chunk.join(","));
                tx.execute(sql.as_str()).await.unwrap_or_else(|e| panic!("insert into {}: {e}", self.table));
            }
            tx.commit().await.unwrap();
        }
        self.written += self.rows.len();
        self.rows.clear();
    }

    pub(crate) async fn done(mut self) -> usize {
        self.flush().await;
        self.written
    }
}

/// The towns to seed: the most populous of the gazetteer whose country and
/// zone the server reads back.
fn towns() -> Vec<&'static City> {
    gazetteer::all()
        .iter()
        .filter(|c| cowork_core::zones::country(c.country).is_some() && jiff::tz::TimeZone::get(c.time_zone).is_ok())
        .take(TOWNS)
        .collect()
}

/// A point `km` at most from `c`, uniform over the disc.
fn scatter(rng: &mut Rng, c: &City, km: f64) -> (f64, f64) {
    let r = km * rng.unit().sqrt();
    let bearing = rng.unit() * std::f64::consts::TAU;
    let lat = c.lat + r / 111.19 * bearing.cos();
    let lon = c.lon + r / (111.19 * c.lat.to_radians().cos().max(0.05)) * bearing.sin();
    (
        lat.clamp(-89.9, 89.9),
        if lon > 180.0 {
            lon - 360.0
        } else if lon < -180.0 {
            lon + 360.0
        } else {
            lon
        },
    )
}

fn e6(x: f64) -> String {
    ((x * 1e6).round() as i64).to_string()
}

/// Unix seconds of a local wall time in `zone`.
fn local(zone: &jiff::tz::TimeZone, date: jiff::civil::Date, hour: i8, minute: i8) -> i64 {
    date.at(hour, minute, 0, 0).to_zoned(zone.clone()).map(|z| z.timestamp().as_second()).unwrap_or(0)
}

const PLACE_COLUMNS: &str =
    "id, community_id, owner_id, name, kind, address, area, city, country, lat_e6, lon_e6, time_zone, access, amenities, \
     access_notes, seats, house_rules, opening_hours, drop_in_seats, free_trial, day_secret, created_at, updated_at";
const SERIES_COLUMNS: &str =
    "id, community_id, title, description, format_key, format_name, phases, start_date, start_time, time_zone, rrule, \
     capacity, place, video_url, place_id, language, created_by, materialized_until, online_capacity, kind, created_at, updated_at";
const SESSION_COLUMNS: &str =
    "id, series_id, community_id, occurrence, starts_at, ends_at, title, description, format_name, phases, time_zone, \
     capacity, place, video_url, place_id, language, status, going_count, online_capacity, online_going, kind, created_at, updated_at";
pub(crate) const ACCOUNT_COLUMNS: &str = "id, email, display_name, time_zone, created_at";
const COMMUNITY_COLUMNS: &str =
    "id, slug, name, description, topics, search_text, code_of_conduct, visibility, join_policy, time_zone, created_at, updated_at";
const MEMBERSHIP_COLUMNS: &str = "community_id, account_id, role, status, conduct_accepted_at, requested_at, joined_at";
const RSVP_COLUMNS: &str = "session_id, account_id, status, position, online, checkin_code, created_at, updated_at";

/// Table bytes of the first id of each kind of row.
const T_ACCOUNT: u8 = 0xa0;
const T_COMMUNITY: u8 = 0xc0;
const T_PLACE: u8 = 0xd0;
const T_SERIES: u8 = 0xe0;
const T_SESSION: u8 = 0xf0;
/// The check-in bursts' rows.
const T_BURST: u8 = 0xb0;

/// A format's key, name, phases (JSON) and length in seconds.
fn format_of(key: &str) -> (String, String, String, i64) {
    let f = builtin(key).unwrap_or_else(|| panic!("built-in format {key}"));
    (f.key.clone(), f.name.clone(), serde_json::to_string(&f.phases).unwrap(), i64::from(f.total_minutes()) * 60)
}

/// What a session of a kind at a place is like.
struct Plan {
    kind: &'static str,
    format: &'static str,
    title: &'static str,
    /// Local start times to choose from.
    starts: &'static [(i8, i8)],
    hybrid: f64,
}

const DAY: Plan = Plan {
    kind: "coworking_day",
    format: "builtin:coworking-day",
    title: "Coworking day",
    starts: &[(9, 0), (9, 30), (10, 0)],
    hybrid: 0.1,
};
const DROP_IN: Plan =
    Plan { kind: "drop_in", format: "builtin:drop-in-slots", title: "Free drop-in day", starts: &[(10, 0), (13, 0)], hybrid: 0.0 };
const OPEN_HOUSE: Plan =
    Plan { kind: "open_house", format: "builtin:collaboration-cafe", title: "Open house", starts: &[(16, 0), (17, 0)], hybrid: 0.0 };
const CALL: Plan = Plan {
    kind: "call",
    format: "builtin:shut-up-and-write",
    title: "Shut Up & Write",
    starts: &[(8, 0), (12, 30), (18, 0), (19, 0)],
    hybrid: 0.3,
};
const WEEKLY: Plan =
    Plan { kind: "call", format: "builtin:weekly-coworking", title: "Weekly coworking", starts: &[(9, 0), (14, 0), (18, 30)], hybrid: 0.3 };

/// The kinds of place, how often each is seeded (of the nine that are not homes), and what they hold.
fn place_plan(kind: &str, rng: &mut Rng) -> &'static Plan {
    let roll = rng.below(100);
    match kind {
        "home" => &DAY,
        "cafe" if roll < 50 => &DAY,
        "cafe" => &CALL,
        "library" if roll < 60 => &DAY,
        "library" => &CALL,
        "coworking_space" if roll < 50 => &DROP_IN,
        "coworking_space" if roll < 65 => &OPEN_HOUSE,
        "coworking_space" if roll < 85 => &DAY,
        "coworking_space" => &WEEKLY,
        "office" if roll < 60 => &WEEKLY,
        "office" => &DAY,
        _ if roll < 70 => &CALL,
        _ => &DAY,
    }
}

const NOT_HOMES: [&str; 9] = ["cafe", "cafe", "cafe", "library", "coworking_space", "coworking_space", "office", "other", "other"];

/// Writes the whole seed into an empty, migrated database.
async fn write_seed(pool: &AnyPool) -> (usize, usize) {
    let t0 = now();
    let mut rng = Rng(11);
    let towns = towns();
    assert_eq!(towns.len(), TOWNS, "the gazetteer has {TOWNS} towns to seed");
    let owner = id(T_ACCOUNT, 0);
    let conduct = cowork_core::community::DEFAULT_CODE_OF_CONDUCT;

    let mut accounts = Writer::new(pool, "accounts", ACCOUNT_COLUMNS);
    accounts.push(&[lit(&owner), lit("organizer@near.bench.test"), lit("Near Organizer"), lit("Europe/London"), t0.to_string()]).await;
    accounts.flush().await;
    let mut communities = Writer::new(pool, "communities", COMMUNITY_COLUMNS);
    let mut memberships = Writer::new(pool, "memberships", MEMBERSHIP_COLUMNS);
    for (i, town) in towns.iter().enumerate() {
        let name = format!("Coworking {}", town.name);
        let description = format!("Coworking days, drop-ins and writing sessions in and around {}.", town.name);
        let topics = "coworking, writing";
        let search = format!("{name} {description} {topics}").to_lowercase();
        let cid = id(T_COMMUNITY, i);
        let row = [
            lit(&cid),
            lit(&format!("near-{i:04}")),
            lit(&name),
            lit(&description),
            lit(topics),
            lit(&search),
            lit(conduct),
            lit("public"),
            lit("open"),
            lit(town.time_zone),
            t0.to_string(),
            t0.to_string(),
        ];
        communities.push(&row).await;
        memberships.push(&[lit(&cid), lit(&owner), lit("owner"), lit("active"), t0.to_string(), t0.to_string(), t0.to_string()]).await;
    }
    communities.done().await;
    memberships.done().await;

    let mut places = Writer::new(pool, "places", PLACE_COLUMNS);
    let mut series = Writer::new(pool, "series", SERIES_COLUMNS);
    let mut sessions = Writer::new(pool, "sessions", SESSION_COLUMNS);
    let weekdays = "[{\"opens\":540,\"closes\":1080}]";
    let space_hours = format!("[{weekdays},{weekdays},{weekdays},{weekdays},{weekdays},[],[]]");
    let closed = "[[],[],[],[],[],[],[]]";
    let mut n_place = 0;
    let mut n_session = 0;
    let mut operators = 0;
    for (t, town) in towns.iter().enumerate() {
        let zone = jiff::tz::TimeZone::get(town.time_zone).unwrap();
        let today = jiff::Timestamp::from_second(t0).unwrap().to_zoned(zone.clone()).date();
        let cid = id(T_COMMUNITY, t);
        for k in 0..PLACES_PER_TOWN {
            let kind = if k == 0 { "home" } else { NOT_HOMES[rng.below(NOT_HOMES.len() as u64) as usize] };
            let pid = id(T_PLACE, n_place);
            n_place += 1;
            let (lat, lon) = scatter(&mut rng, town, SCATTER_KM);
            let street =
                ["Market Street", "Station Road", "High Street", "Library Lane", "Canal Side", "Park Avenue"][rng.below(6) as usize];
            let address = format!("{} {street}", rng.range(1, 120));
            let area = format!("{} {}", town.name, ["Centre", "North", "South", "East", "West", "Old Town"][rng.below(6) as usize]);
            let (name, seats, drop_in, hours) = match kind {
                "home" => (format!("Ana's flat, {}", town.name), rng.range(4, 10), 0, closed.to_string()),
                "cafe" => (format!("Café {} {}", town.name, k), rng.range(10, 40), 0, closed.to_string()),
                "library" => (format!("{} Library {}", town.name, k), rng.range(20, 80), 0, closed.to_string()),
                "coworking_space" => (format!("{} Coworking {}", town.name, k), rng.range(20, 150), rng.range(4, 20), space_hours.clone()),
                "office" => (format!("Office {} {}", town.name, k), rng.range(10, 60), 0, closed.to_string()),
                _ => (format!("Community hall {} {}", town.name, k), rng.range(10, 100), 0, closed.to_string()),
            };
            // Some coworking spaces are their operator's own, not the community's.
            let (community, operator) = if kind == "coworking_space" && rng.chance(0.3) {
                let a = id(T_ACCOUNT, 1 + operators);
                operators += 1;
                let row = [
                    lit(&a),
                    lit(&format!("operator{operators}@near.bench.test")),
                    lit(&format!("Operator {operators}")),
                    lit(town.time_zone),
                    t0.to_string(),
                ];
                accounts.push(&row).await;
                ("NULL".to_string(), lit(&a))
            } else {
                (lit(&cid), "NULL".to_string())
            };
            let access = ["step_free,toilets", "toilets", "step_free,quiet_room,toilets,parking_or_transit", ""][rng.below(4) as usize];
            let amenities = ["wifi,power", "wifi,power,coffee", "wifi,power,coffee,food,phone_booths", "wifi"][rng.below(4) as usize];
            let row = [
                lit(&pid),
                community,
                operator,
                lit(&name),
                lit(kind),
                lit(&address),
                lit(&area),
                lit(town.name),
                lit(town.country),
                e6(lat),
                e6(lon),
                lit(town.time_zone),
                lit(access),
                lit(amenities),
                lit(if kind == "home" { "Ring the top bell; the cat is friendly." } else { "" }),
                seats.to_string(),
                lit("Be kind; quiet hours until the lunch round."),
                lit(&hours),
                drop_in.to_string(),
                (kind == "coworking_space" && rng.chance(0.5)).then_some("1").unwrap_or("0").to_string(),
                lit(&format!("{pid}-secret")),
                t0.to_string(),
                t0.to_string(),
            ];
            places.push(&row).await;

            // One series a place, of four sessions on four different days.
            let plan = place_plan(kind, &mut rng);
            let (format_key, format_name, phases, length) = format_of(plan.format);
            let (start_h, start_m) = plan.starts[rng.below(plan.starts.len() as u64) as usize];
            let hybrid = rng.chance(plan.hybrid) && kind != "home";
            let place_mode = if hybrid { "hybrid" } else { "in_person" };
            let video = if hybrid { format!("https://meet.example.org/{pid}") } else { String::new() };
            let capacity = if plan.kind == "drop_in" { drop_in } else { seats.min(rng.range(8, 30)) };
            let online_capacity = if hybrid { 50 } else { 0 };
            let title = format!("{} at {name}", plan.title);
            let sid = id(T_SERIES, n_place - 1);
            let mut days: Vec<i64> = Vec::new();
            while days.len() < SESSIONS_PER_PLACE {
                let d = rng.range(0, DAYS - 1);
                if !days.contains(&d) {
                    days.push(d);
                }
            }
            days.sort();
            // One already started (a day at 9 today, seeded at noon) moves to the 60th day.
            let mut starts: Vec<(jiff::civil::Date, i64)> = days
                .iter()
                .map(|d| {
                    let date = today.checked_add(jiff::Span::new().days(*d)).unwrap();
                    (date, local(&zone, date, start_h, start_m))
                })
                .collect();
            for s in starts.iter_mut() {
                if s.1 <= t0 {
                    let date = today.checked_add(jiff::Span::new().days(DAYS)).unwrap();
                    *s = (date, local(&zone, date, start_h, start_m));
                }
            }
            let first = starts[0].0;
            let row = [
                lit(&sid),
                lit(&cid),
                lit(&title),
                lit("Come and work alongside others; say what you are working on."),
                lit(&format_key),
                lit(&format_name),
                lit(&phases),
                lit(&first.to_string()),
                lit(&format!("{start_h:02}:{start_m:02}")),
                lit(town.time_zone),
                lit(""),
                capacity.to_string(),
                lit(place_mode),
                lit(&video),
                lit(&pid),
                lit("en"),
                lit(&owner),
                lit("9999-12-31"),
                online_capacity.to_string(),
                lit(plan.kind),
                t0.to_string(),
                t0.to_string(),
            ];
            series.push(&row).await;
            for (date, starts_at) in starts {
                let going = rng.range(0, capacity.max(1) / 2);
                let online_going = if hybrid { rng.range(0, 20) } else { 0 };
                let status = if rng.chance(0.02) { "cancelled" } else { "scheduled" };
                let row = [
                    lit(&id(T_SESSION, n_session)),
                    lit(&sid),
                    lit(&cid),
                    lit(&date.to_string()),
                    starts_at.to_string(),
                    (starts_at + length).to_string(),
                    lit(&title),
                    lit("Come and work alongside others; say what you are working on."),
                    lit(&format_name),
                    lit(&phases),
                    lit(town.time_zone),
                    capacity.to_string(),
                    lit(place_mode),
                    lit(&video),
                    lit(&pid),
                    lit("en"),
                    lit(status),
                    going.to_string(),
                    online_capacity.to_string(),
                    online_going.to_string(),
                    lit(plan.kind),
                    t0.to_string(),
                    t0.to_string(),
                ];
                sessions.push(&row).await;
                n_session += 1;
            }
        }
        // What a row refers to is written first.
        if sessions.full() {
            accounts.flush().await;
            places.flush().await;
            series.flush().await;
            sessions.flush().await;
        }
        if (t + 1) % 1000 == 0 {
            eprintln!("  {} towns, {n_place} places, {n_session} sessions ({} s)", t + 1, now() - t0);
        }
    }
    accounts.done().await;
    let p = places.done().await;
    series.done().await;
    let s = sessions.done().await;
    (p, s)
}

/// Seeds bench/data/near.db once a day. Returns the seed's duration (as noted when it was made).
async fn seed_sqlite(db: &Path) -> f64 {
    let marker = db.with_extension(format!("seeded-v{SEED_VERSION}"));
    let fresh = std::fs::metadata(&marker)
        .ok()
        .and_then(|m| m.modified().ok())
        .map(|t| t.elapsed().unwrap_or_default() < Duration::from_secs(86_400))
        .unwrap_or(false);
    if fresh && db.exists() {
        return std::fs::read_to_string(&marker).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(f64::NAN);
    }
    let _ = std::fs::remove_file(&marker);
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    eprintln!("seeding {} (once a day) …", db.display());
    let started = Instant::now();
    let url = format!("sqlite://{}", db.display());
    // The schema from the store's own migrations.
    cowork_store::Store::open(&url).await.expect("bench database").close().await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::pool::PoolOptions::<sqlx::Any>::new().max_connections(1).connect(&url).await.unwrap();
    pool.execute("PRAGMA journal_mode = WAL").await.unwrap();
    pool.execute("PRAGMA synchronous = NORMAL").await.unwrap();
    pool.execute("PRAGMA foreign_keys = ON").await.unwrap();
    let (places, sessions) = write_seed(&pool).await;
    pool.execute("PRAGMA wal_checkpoint(TRUNCATE)").await.unwrap();
    pool.close().await;
    let secs = started.elapsed().as_secs_f64();
    std::fs::write(&marker, format!("{secs:.1}")).unwrap();
    eprintln!("seeded SQLite: {places} places, {sessions} sessions in {secs:.0} s");
    secs
}

pub(crate) async fn psql(database: &str, sql: &str) -> String {
    let out = tokio::process::Command::new("psql").args([&pg_url(database), "-qAt", "-c", sql]).output().await.expect("psql runs");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A database on the PostgreSQL server of $COWORK_BENCH_POSTGRES_URL
/// (by default postgres://postgres@127.0.0.1:5432/).
pub(crate) fn pg_url(database: &str) -> String {
    let base = std::env::var("COWORK_BENCH_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/".into());
    let (scheme, rest) = base.split_once("://").expect("COWORK_BENCH_POSTGRES_URL is postgres://user@host:port/");
    let server = rest.split(['/', '?']).next().unwrap_or_default();
    format!("{scheme}://{server}/{database}")
}

/// Seeds the PostgreSQL template database once a day. Returns the seed's duration.
async fn seed_postgres() -> f64 {
    let exists = psql("postgres", &format!("SELECT 1 FROM pg_database WHERE datname = '{PG_SEED}'")).await == "1";
    if exists {
        let noted =
            psql(PG_SEED, &format!("SELECT seconds FROM bench_seed WHERE version = {SEED_VERSION} AND seeded_at > {}", now() - 86_400))
                .await;
        if let Ok(secs) = noted.parse::<f64>() {
            return secs;
        }
        psql("postgres", &format!("DROP DATABASE {PG_SEED} WITH (FORCE)")).await;
    }
    eprintln!("seeding PostgreSQL {PG_SEED} (once a day) …");
    let started = Instant::now();
    psql("postgres", &format!("CREATE DATABASE {PG_SEED}")).await;
    let url = pg_url(PG_SEED);
    cowork_store::Store::open(&url).await.expect("bench database").close().await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::pool::PoolOptions::<sqlx::Any>::new().max_connections(1).connect(&url).await.unwrap();
    let (places, sessions) = write_seed(&pool).await;
    // Autovacuum would analyze the new rows within a minute or so; done now, so every run sees the same plans.
    pool.execute("ANALYZE").await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    pool.execute("CREATE TABLE bench_seed (version BIGINT, seeded_at BIGINT, seconds DOUBLE PRECISION)").await.unwrap();
    pool.execute(format!("INSERT INTO bench_seed VALUES ({SEED_VERSION}, {}, {secs})", now()).as_str()).await.unwrap();
    pool.close().await;
    eprintln!("seeded PostgreSQL: {places} places, {sessions} sessions in {secs:.0} s");
    secs
}

// ---- the check-in bursts' own rows

/// One burst: a place with seats for everyone, a coworking day there starting now, everyone going.
struct Burst {
    session: String,
    place: String,
    codes: Vec<String>,
}

/// A town whose clock reads between 8 and 13 now, so a day starting now ends
/// the same local day (the door stays open, and the daily log is one day's).
fn morning_town() -> &'static City {
    let t = jiff::Timestamp::now();
    let hour = |c: &City| jiff::tz::TimeZone::get(c.time_zone).map(|z| t.to_zoned(z).hour()).unwrap_or(-1);
    towns().into_iter().find(|c| (8..=13).contains(&hour(c))).unwrap_or_else(|| towns()[0])
}

/// Writes the organizer (owner of a community, with an API token), the
/// people going, and one place and session for each burst, straight into a
/// fresh copy of the seed.
async fn seed_bursts(url: &str, people: usize, bursts: usize) -> Vec<Burst> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::pool::PoolOptions::<sqlx::Any>::new().max_connections(1).connect(url).await.unwrap();
    let t0 = now();
    let town = morning_town();
    let organizer = id(T_BURST, 0);
    let community = id(T_BURST, 1);
    let mut accounts = Writer::new(&pool, "accounts", ACCOUNT_COLUMNS);
    accounts.push(&[lit(&organizer), lit("door@near.bench.test"), lit("Door Organizer"), lit(town.time_zone), t0.to_string()]).await;
    for i in 0..people {
        accounts
            .push(&[
                lit(&id(T_BURST, 1000 + i)),
                lit(&format!("guest{i}@near.bench.test")),
                lit(&format!("Guest {i}")),
                lit(town.time_zone),
                t0.to_string(),
            ])
            .await;
    }
    accounts.done().await;
    use sha2::Digest;
    let hash: String = sha2::Sha256::digest(DOOR_TOKEN.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let mut tokens = Writer::new(&pool, "api_tokens", "id, account_id, name, token_hash, created_at");
    tokens.push(&[lit(&id(T_BURST, 2)), lit(&organizer), lit("door phone"), lit(&hash), t0.to_string()]).await;
    tokens.done().await;
    let mut c = Writer::new(&pool, "communities", COMMUNITY_COLUMNS);
    let row = [
        lit(&community),
        lit("door-burst"),
        lit("Conference doors"),
        lit("A conference's coworking day."),
        lit("coworking"),
        lit("conference doors a conference's coworking day. coworking"),
        lit(cowork_core::community::DEFAULT_CODE_OF_CONDUCT),
        lit("public"),
        lit("open"),
        lit(town.time_zone),
        t0.to_string(),
        t0.to_string(),
    ];
    c.push(&row).await;
    c.done().await;
    let mut m = Writer::new(&pool, "memberships", MEMBERSHIP_COLUMNS);
    m.push(&[lit(&community), lit(&organizer), lit("owner"), lit("active"), t0.to_string(), t0.to_string(), t0.to_string()]).await;
    for i in 0..people {
        m.push(&[
            lit(&community),
            lit(&id(T_BURST, 1000 + i)),
            lit("member"),
            lit("active"),
            t0.to_string(),
            t0.to_string(),
            t0.to_string(),
        ])
        .await;
    }
    m.done().await;

    let (format_key, format_name, phases, length) = format_of("builtin:coworking-day");
    let zone = jiff::tz::TimeZone::get(town.time_zone).unwrap();
    let now_local = jiff::Timestamp::from_second(t0).unwrap().to_zoned(zone);
    let mut rng = Rng(t0 as u64);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut places = Writer::new(&pool, "places", PLACE_COLUMNS);
    let mut series = Writer::new(&pool, "series", SERIES_COLUMNS);
    let mut sessions = Writer::new(&pool, "sessions", SESSION_COLUMNS);
    let mut rsvps = Writer::new(&pool, "rsvps", RSVP_COLUMNS);
    for b in 0..bursts {
        let place = id(T_BURST, 100 + b);
        let sid = id(T_BURST, 200 + b);
        let session = id(T_BURST, 300 + b);
        let name = format!("Conference hall {}", b + 1);
        let row = [
            lit(&place),
            lit(&community),
            "NULL".into(),
            lit(&name),
            lit("other"),
            lit(&format!("{} Congress Square", b + 1)),
            lit(&format!("{} Centre", town.name)),
            lit(town.name),
            lit(town.country),
            e6(town.lat),
            e6(town.lon),
            lit(town.time_zone),
            lit("step_free,toilets"),
            lit("wifi,power,coffee"),
            lit(""),
            people.to_string(),
            lit(""),
            lit("[[],[],[],[],[],[],[]]"),
            "0".into(),
            "0".into(),
            lit(&format!("{place}-secret")),
            t0.to_string(),
            t0.to_string(),
        ];
        places.push(&row).await;
        let title = format!("Conference coworking day {}", b + 1);
        let row = [
            lit(&sid),
            lit(&community),
            lit(&title),
            lit(""),
            lit(&format_key),
            lit(&format_name),
            lit(&phases),
            lit(&now_local.date().to_string()),
            lit(&format!("{:02}:{:02}", now_local.hour(), now_local.minute())),
            lit(town.time_zone),
            lit(""),
            people.to_string(),
            lit("in_person"),
            lit(""),
            lit(&place),
            lit("en"),
            lit(&organizer),
            lit("9999-12-31"),
            "0".into(),
            lit("coworking_day"),
            t0.to_string(),
            t0.to_string(),
        ];
        series.push(&row).await;
        let row = [
            lit(&session),
            lit(&sid),
            lit(&community),
            lit(&now_local.date().to_string()),
            t0.to_string(),
            (t0 + length).to_string(),
            lit(&title),
            lit(""),
            lit(&format_name),
            lit(&phases),
            lit(town.time_zone),
            people.to_string(),
            lit("in_person"),
            lit(""),
            lit(&place),
            lit("en"),
            lit("scheduled"),
            people.to_string(),
            "0".into(),
            "0".into(),
            lit("coworking_day"),
            t0.to_string(),
            t0.to_string(),
        ];
        sessions.push(&row).await;
        let mut codes = Vec::with_capacity(people);
        for i in 0..people {
            let code = loop {
                let b = rng.next().to_be_bytes();
                let code = cowork_core::checkin::code_from([b[0], b[1], b[2], b[3], b[4]]);
                if seen.insert(code.clone()) {
                    break code;
                }
            };
            let row = [
                lit(&session),
                lit(&id(T_BURST, 1000 + i)),
                lit("going"),
                (i + 1).to_string(),
                "0".into(),
                lit(&code),
                t0.to_string(),
                t0.to_string(),
            ];
            rsvps.push(&row).await;
            codes.push(code);
        }
        out.push(Burst { session, place, codes });
    }
    places.done().await;
    series.done().await;
    sessions.done().await;
    rsvps.done().await;
    pool.close().await;
    eprintln!("  {bursts} check-in bursts at places in {} ({}), {people} people going to each", town.name, town.time_zone);
    out
}

// ---- HTTP

/// One keep-alive HTTP/1.1 connection that sends any method and reads a
/// whole answer (by Content-Length, or chunked).
pub(crate) struct Http {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Http {
    pub(crate) async fn open(addr: &str, source: std::net::IpAddr) -> std::io::Result<Http> {
        let sock = tokio::net::TcpSocket::new_v4()?;
        sock.bind(std::net::SocketAddr::new(source, 0))?;
        let stream = sock.connect(addr.parse().unwrap()).await?;
        stream.set_nodelay(true)?;
        Ok(Http { stream, buf: Vec::with_capacity(16 * 1024) })
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16384];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    async fn line(&mut self, from: usize) -> std::io::Result<usize> {
        loop {
            if let Some(p) = self.buf[from..].windows(2).position(|w| w == b"\r\n") {
                return Ok(from + p);
            }
            self.fill().await?;
        }
    }

    /// Sends a request; returns its status and body.
    pub(crate) async fn send(&mut self, method: &str, path: &str, token: Option<&str>, body: Option<&str>) -> std::io::Result<(u16, String)> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: bench\r\nUser-Agent: cowork-bench\r\n");
        if let Some(t) = token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        if let Some(b) = body {
            req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}", b.len()));
        } else {
            req.push_str("\r\n");
        }
        self.stream.write_all(req.as_bytes()).await?;
        self.buf.clear();
        let header_end = loop {
            if let Some(p) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..header_end]).to_ascii_lowercase();
        let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        let chunked = head.lines().any(|l| l.starts_with("transfer-encoding:") && l.contains("chunked"));
        let mut body = Vec::new();
        if chunked {
            let mut at = header_end;
            loop {
                let end = self.line(at).await?;
                let size = usize::from_str_radix(String::from_utf8_lossy(&self.buf[at..end]).split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "chunk size"))?;
                at = end + 2;
                while self.buf.len() < at + size + 2 {
                    self.fill().await?;
                }
                body.extend_from_slice(&self.buf[at..at + size]);
                at += size + 2;
                if size == 0 {
                    break;
                }
            }
        } else {
            let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
            while self.buf.len() < header_end + len {
                self.fill().await?;
            }
            body.extend_from_slice(&self.buf[header_end..header_end + len]);
        }
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    }
}

// ---- scenario A

static QUERIES: OnceLock<Vec<String>> = OnceLock::new();

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The 200 most populous towns, as people would type them: the name, or the
/// name and country where the name alone finds a bigger town elsewhere.
fn queries() -> &'static [String] {
    QUERIES.get_or_init(|| {
        towns()
            .into_iter()
            .take(QUERY_TOWNS)
            .map(|c| {
                let alone =
                    gazetteer::search(c.name, 1).first().is_some_and(|f| f.country == c.country && f.lat == c.lat && f.lon == c.lon);
                urlencode(&if alone { c.name.to_string() } else { format!("{}, {}", c.name, c.country) })
            })
            .collect()
    })
}

/// Each client goes through the towns from its own starting point.
fn near_page(c: usize, n: usize) -> String {
    let q = queries();
    format!("/near?q={}&radius={RADIUS_KM}", q[(c * 13 + n) % q.len()])
}

fn near_api(c: usize, n: usize) -> String {
    let q = queries();
    format!("/api/v1/near?q={}&radius={RADIUS_KM}", q[(c * 13 + n) % q.len()])
}

/// What one search answers for a town, to show before the load: status, size, places and sessions found.
async fn probe(addr: &str, path: &str) -> (u16, String) {
    let mut h = Http::open(addr, std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1))).await.expect("server answers");
    let started = Instant::now();
    let (status, body) = h.send("GET", path, None, None).await.expect("server answers");
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let summary = if status == 200 && path.starts_with("/api/") {
        let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
        let n = |k: &str| v[k].as_array().map(|a| a.len()).unwrap_or(0);
        format!(
            "{} places{}, {} sessions{}, {} bytes, {ms:.0} ms",
            n("places"),
            if v["more_places"] == true { "+" } else { "" },
            n("sessions"),
            if v["more_sessions"] == true { "+" } else { "" },
            body.len()
        )
    } else {
        format!("{} bytes, {ms:.0} ms: {}", body.len(), body.chars().take(if status == 200 { 0 } else { 300 }).collect::<String>())
    };
    (status, summary)
}

// ---- scenario B

/// What one burst came to.
struct Outcome {
    /// Latency of each check-in (ms): from when it was due (doors) or sent (as fast as possible).
    lat: Vec<f64>,
    /// From the first due (or sent) to the last answer, s.
    total: f64,
    /// Answers other than 201 (each retried), and the first of them.
    errors: usize,
    first_error: String,
}

/// Checks one code in, retrying (as a host at the door would) on an error;
/// "already in" after a retry means the first attempt went through.
async fn check_in(
    conn: &mut Option<Http>,
    addr: &str,
    source: std::net::IpAddr,
    session: &str,
    code: &str,
    errors: &mut usize,
    first_error: &mut String,
) -> bool {
    let path = format!("/api/v1/sessions/{session}/checkins");
    let body = format!("{{\"code\": \"{code}\"}}");
    for attempt in 0..5 {
        if conn.is_none() {
            *conn = Http::open(addr, source).await.ok();
        }
        let Some(h) = conn.as_mut() else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        match h.send("POST", &path, Some(DOOR_TOKEN), Some(&body)).await {
            Ok((201, _)) => return true,
            Ok((_, b)) if attempt > 0 && b.contains("checked in already") => return true,
            Ok((status, b)) => {
                *errors += 1;
                if first_error.is_empty() {
                    *first_error = format!("{status} {}", b.chars().take(200).collect::<String>());
                }
            }
            Err(e) => {
                *errors += 1;
                if first_error.is_empty() {
                    *first_error = e.to_string();
                }
                *conn = None;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn door_source(d: usize) -> std::net::IpAddr {
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 2, 1 + (d % 250) as u8))
}

/// (a) At the doors: check-in i is due at i × seconds / n, from door i mod doors; open loop.
async fn at_the_doors(addr: &str, b: &Burst, doors: usize, seconds: f64) -> Outcome {
    let n = b.codes.len();
    let start = Instant::now() + Duration::from_millis(200);
    let codes = Arc::new(b.codes.clone());
    let mut tasks = Vec::new();
    for d in 0..doors {
        let (addr, session, codes) = (addr.to_string(), b.session.clone(), codes.clone());
        tasks.push(tokio::spawn(async move {
            let mut conn = Http::open(&addr, door_source(d)).await.ok();
            let (mut lat, mut errors, mut first_error, mut last) = (Vec::new(), 0, String::new(), start);
            for i in (d..n).step_by(doors) {
                let due = start + Duration::from_secs_f64(seconds * i as f64 / n as f64);
                tokio::time::sleep_until(due.into()).await;
                if check_in(&mut conn, &addr, door_source(d), &session, &codes[i], &mut errors, &mut first_error).await {
                    lat.push(due.elapsed().as_secs_f64() * 1000.0);
                }
                last = last.max(Instant::now());
            }
            (lat, errors, first_error, last)
        }));
    }
    gather(tasks, start).await
}

/// (b) As fast as they go: `clients` connections, each taking the next code as soon as it has an answer.
async fn as_fast_as_possible(addr: &str, b: &Burst, clients: usize) -> Outcome {
    let next = Arc::new(AtomicUsize::new(0));
    let codes = Arc::new(b.codes.clone());
    // Connected first, so the time counts check-ins only.
    let mut conns = Vec::new();
    for c in 0..clients {
        conns.push(Http::open(addr, door_source(c)).await.ok());
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (c, mut conn) in conns.into_iter().enumerate() {
        let (addr, session, codes, next) = (addr.to_string(), b.session.clone(), codes.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut first_error, mut last) = (Vec::new(), 0, String::new(), start);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= codes.len() {
                    break;
                }
                let sent = Instant::now();
                if check_in(&mut conn, &addr, door_source(c), &session, &codes[i], &mut errors, &mut first_error).await {
                    lat.push(sent.elapsed().as_secs_f64() * 1000.0);
                }
                last = last.max(Instant::now());
            }
            (lat, errors, first_error, last)
        }));
    }
    gather(tasks, start).await
}

type Task = tokio::task::JoinHandle<(Vec<f64>, usize, String, Instant)>;

async fn gather(tasks: Vec<Task>, start: Instant) -> Outcome {
    let mut o = Outcome { lat: Vec::new(), total: 0.0, errors: 0, first_error: String::new() };
    let mut last = start;
    for t in tasks {
        let (l, e, f, at) = t.await.unwrap();
        o.lat.extend(l);
        o.errors += e;
        if o.first_error.is_empty() {
            o.first_error = f;
        }
        last = last.max(at);
    }
    o.total = (last - start).as_secs_f64();
    o.lat.sort_by(|a, b| a.total_cmp(b));
    o
}

pub(crate) fn pct(v: &[f64], p: f64) -> f64 {
    v.get(((v.len() as f64 * p) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(f64::NAN)
}

/// The place's daily log must hold everyone exactly once.
async fn verify(addr: &str, b: &Burst) {
    let mut h = Http::open(addr, std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 1))).await.unwrap();
    let (status, body) = h.send("GET", &format!("/api/v1/places/{}/log", b.place), Some(DOOR_TOKEN), None).await.unwrap();
    assert_eq!(status, 200, "the daily log: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let items = v["items"].as_array().expect("the log's items");
    let people: HashSet<&str> = items.iter().filter_map(|i| i["account_id"].as_str()).collect();
    let ours = items.iter().filter(|i| i["session_id"].as_str() == Some(b.session.as_str())).count();
    assert_eq!(items.len(), b.codes.len(), "the daily log holds {} check-ins for {} people", items.len(), b.codes.len());
    assert_eq!(people.len(), b.codes.len(), "{} people checked in, some twice", people.len());
    assert_eq!(ours, b.codes.len(), "every check-in is of the burst's session");
}

// ---- the servers

/// Starts the release server; what it logs goes to `log`.
pub(crate) async fn start_server(url: &str, port: u16, log: &Path) -> tokio::process::Child {
    let log = std::fs::File::create(log).expect("the server's log file");
    let child = tokio::process::Command::new(server_binary(&root()))
        .args(["--database-url", url, "--bind", &format!("127.0.0.1:{port}")])
        .env("COWORK_LOG", std::env::var("COWORK_LOG").unwrap_or_else(|_| "warn".into()))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .expect("server starts");
    for _ in 0..300 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server on port {port} did not start");
}

/// "1,234".
fn thousands(x: f64) -> String {
    let s = format!("{:.0}", x);
    let (sign, digits) = s.strip_prefix('-').map(|d| ("-", d)).unwrap_or(("", &s));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    format!("{sign}{out}")
}

/// "median (min–max)", each written by `f`.
pub(crate) fn mr(v: &[f64], f: fn(f64) -> String) -> String {
    let mut v = v.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return "–".into();
    }
    format!("{} ({}–{})", f(v[v.len() / 2]), f(v[0]), f(v[v.len() - 1]))
}

/// Requests a second: whole ones from 10 up, with thousands separated.
fn rate(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}")
    } else {
        thousands(x)
    }
}

pub(crate) fn ms(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

pub(crate) fn secs(x: f64) -> String {
    format!("{x:.2}")
}

pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn file_mb(p: &Path) -> f64 {
    ["", "-wal"].iter().map(|e| std::fs::metadata(format!("{}{e}", p.display())).map(|m| m.len()).unwrap_or(0)).sum::<u64>() as f64 / 1e6
}

pub async fn main(argv: &[String]) {
    let a = args(argv);
    let data = root().join("bench/data");
    std::fs::create_dir_all(&data).unwrap();
    let mut used: Vec<Backend> = Vec::new();
    for b in a.near_db.iter().filter(|_| a.near).chain(a.db.iter().filter(|_| a.checkin)) {
        if !used.contains(b) {
            used.push(*b);
        }
    }
    println!(
        "machine: {} cores ({}), load average {} at start",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        cpu_model(),
        load_average()
    );

    // Fresh copies of the seeds, and the bursts' rows in them.
    let bursts_per_db = a.runs * (1 + a.fast.len());
    let mut urls = Vec::new();
    let mut bursts: Vec<Vec<Burst>> = Vec::new();
    for b in &used {
        let (url, seconds, size) = match b {
            Backend::Sqlite => {
                let seed = data.join("near.db");
                let secs = seed_sqlite(&seed).await;
                let size = file_mb(&seed);
                let run = data.join("near-run.db");
                for ext in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{ext}", run.display()));
                }
                std::fs::copy(&seed, &run).unwrap();
                (format!("sqlite://{}", run.display()), secs, size)
            }
            Backend::Postgres => {
                let secs = seed_postgres().await;
                let size: f64 =
                    psql("postgres", &format!("SELECT pg_database_size('{PG_SEED}')")).await.parse::<f64>().unwrap_or(0.0) / 1e6;
                psql("postgres", &format!("DROP DATABASE IF EXISTS {PG_RUN} WITH (FORCE)")).await;
                psql("postgres", &format!("CREATE DATABASE {PG_RUN} TEMPLATE {PG_SEED}")).await;
                (pg_url(PG_RUN), secs, size)
            }
        };
        println!(
            "{}: seed of {} places and {} sessions made in {seconds:.0} s (cached for a day), {size:.0} MB",
            b.label(),
            TOWNS * PLACES_PER_TOWN,
            TOWNS * PLACES_PER_TOWN * SESSIONS_PER_PLACE
        );
        bursts.push(if a.checkin && a.db.contains(b) { seed_bursts(&url, a.people, bursts_per_db).await } else { Vec::new() });
        urls.push(url);
    }
    let mut servers = Vec::new();
    for (b, url) in used.iter().zip(&urls) {
        let log = data.join(format!("near-server-{}.log", b.label().to_lowercase()));
        println!("{} server's log: {}", b.label(), log.display());
        servers.push(start_server(url, b.port(), &log).await);
    }
    let addr = |b: Backend| format!("127.0.0.1:{}", b.port());

    if a.near {
        near_scenario(&a, &addr).await;
    }
    if a.checkin {
        checkin_scenario(&a, &used, &bursts, &addr).await;
    }
    for (b, s) in used.iter().zip(&servers) {
        println!("{} server RSS after the runs: {:.0} MB", b.label(), rss_mb(s.id().unwrap_or(0)));
    }
    println!("load average at the end: {}", load_average());
    for mut s in servers {
        let _ = s.kill().await;
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|m| m.trim_start_matches([' ', '\t', ':']).to_string()))
        .unwrap_or_default()
}

async fn near_scenario(a: &Args, addr: &dyn Fn(Backend) -> String) {
    let endpoints = [
        Scenario { name: "/near page", path: near_page, signed_in: false },
        Scenario { name: "/api/v1/near", path: near_api, signed_in: false },
    ];
    // What each answers, first; an endpoint that fails is reported and left out.
    let mut working: Vec<(Backend, Scenario)> = Vec::new();
    for b in &a.near_db {
        for s in endpoints {
            let mut ok = true;
            for town in [0, 1, 57, 199] {
                let (status, summary) = probe(&addr(*b), &(s.path)(0, town)).await;
                eprintln!("{} {}: {status}, {summary}", b.label(), (s.path)(0, town));
                ok &= status == 200;
            }
            if ok {
                working.push((*b, s));
            } else {
                println!("{} on {}: answers errors (see above); not measured", s.name, b.label());
            }
        }
    }
    // Warm up: caches, connections, page faults.
    for (b, s) in &working {
        load(&addr(*b), 20, 2, Shape::Closed, *s).await;
    }
    struct Row {
        rps: Vec<f64>,
        p50: Vec<f64>,
        p99: Vec<f64>,
        max: Vec<f64>,
        errors: usize,
        offered: Vec<f64>,
    }
    let mut rows: Vec<[Row; 2]> = working
        .iter()
        .map(|_| [0, 1].map(|_| Row { rps: vec![], p50: vec![], p99: vec![], max: vec![], errors: 0, offered: vec![] }))
        .collect();
    for run in 0..a.runs {
        for (w, (b, s)) in working.iter().enumerate() {
            let mut sustainable = a.rate;
            for shape in 0..2 {
                let load_avg = load_average();
                let started = Instant::now();
                let mut o =
                    load(&addr(*b), a.clients, a.seconds, if shape == 0 { Shape::Closed } else { Shape::Open(sustainable) }, *s).await;
                // Answers over the time until the last came back: a slow search's last answers
                // arrive well after the sending stopped, and count with the time they took.
                o.rps *= a.seconds as f64 / started.elapsed().as_secs_f64();
                let r = &mut rows[w][shape];
                if shape == 0 {
                    sustainable = ((o.rps * 0.8) as u64).clamp(1, a.rate);
                } else {
                    r.offered.push(sustainable as f64);
                }
                eprintln!(
                    "run {} {} {}, {}: {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {} errors, {:.1} KB/answer; load average {load_avg}",
                    run + 1,
                    b.label(),
                    s.name,
                    if shape == 0 { "closed loop".to_string() } else { format!("open loop at {sustainable}/s") },
                    o.rps,
                    o.p50,
                    o.p99,
                    o.max,
                    o.errors,
                    o.bytes as f64 / (o.rps * a.seconds as f64).max(1.0) / 1024.0
                );
                r.rps.push(o.rps);
                r.p50.push(o.p50);
                r.p99.push(o.p99);
                r.max.push(o.max);
                r.errors += o.errors;
            }
        }
    }
    println!(
        "\n/near: {} runs of {} s each, interleaved, {} clients, {} towns in turn, {RADIUS_KM} km, the next 14 days; median (min–max)",
        a.runs, a.seconds, a.clients, QUERY_TOWNS
    );
    println!("| database | scenario | load | requests/s | p50 ms | p99 ms | max ms | errors |");
    println!("|---|---|---|---|---|---|---|---|");
    for (w, (b, s)) in working.iter().enumerate() {
        for (shape, r) in rows[w].iter().enumerate() {
            let load = if shape == 0 {
                "closed loop".to_string()
            } else {
                let mut o = r.offered.clone();
                o.sort_by(|a, b| a.total_cmp(b));
                format!("open loop, {}/s", thousands(o[o.len() / 2]))
            };
            println!(
                "| {} | {} | {load} | {} | {} | {} | {} | {} |",
                b.label(),
                s.name,
                mr(&r.rps, rate),
                mr(&r.p50, ms),
                mr(&r.p99, ms),
                mr(&r.max, ms),
                r.errors
            );
        }
    }
}

async fn checkin_scenario(a: &Args, used: &[Backend], bursts: &[Vec<Burst>], addr: &dyn Fn(Backend) -> String) {
    let dbs: Vec<(usize, Backend)> = used.iter().enumerate().filter(|(_, b)| a.db.contains(b)).map(|(i, b)| (i, *b)).collect();
    // Warm up as a host does before the doors open: the door's list of who is expected, for each burst.
    for (i, b) in &dbs {
        let mut h = Http::open(&addr(*b), door_source(0)).await.unwrap();
        for burst in &bursts[*i] {
            let (status, body) =
                h.send("GET", &format!("/api/v1/sessions/{}/checkins", burst.session), Some(DOOR_TOKEN), None).await.unwrap();
            assert_eq!(status, 200, "{}: the door of {}: {}", b.label(), burst.session, body.chars().take(300).collect::<String>());
        }
    }
    // Modes: 0 the doors, then each number of clients as fast as possible.
    let modes = 1 + a.fast.len();
    let mut results: Vec<Vec<Vec<Outcome>>> = dbs.iter().map(|_| (0..modes).map(|_| Vec::new()).collect()).collect();
    for run in 0..a.runs {
        for mode in 0..modes {
            for (d, (i, b)) in dbs.iter().enumerate() {
                let burst = &bursts[*i][run * modes + mode];
                let load_avg = load_average();
                let o = if mode == 0 {
                    at_the_doors(&addr(*b), burst, a.doors, a.door_seconds).await
                } else {
                    as_fast_as_possible(&addr(*b), burst, a.fast[mode - 1]).await
                };
                let label = if mode == 0 {
                    format!("{} doors over {} s", a.doors, a.door_seconds)
                } else {
                    format!("{} clients as fast as possible", a.fast[mode - 1])
                };
                eprintln!(
                    "run {} {} {label}: {} checked in in {:.2} s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms, {} errors{}; load average {load_avg}",
                    run + 1,
                    b.label(),
                    o.lat.len(),
                    o.total,
                    pct(&o.lat, 0.5),
                    pct(&o.lat, 0.99),
                    o.lat.last().copied().unwrap_or(f64::NAN),
                    o.errors,
                    if o.first_error.is_empty() { String::new() } else { format!(" (first: {})", o.first_error) }
                );
                verify(&addr(*b), burst).await;
                results[d][mode].push(o);
            }
        }
    }
    println!(
        "\nCheck-in at the door: {} people going to a coworking day at one place ({} seats), POST /api/v1/sessions/{{id}}/checkins with the organizer's token; {} runs, interleaved; median (min–max); the daily log held all {} exactly once after every burst",
        a.people, a.people, a.runs, a.people
    );
    println!("| database | load | all {} checked in, s | check-ins/s | p50 ms | p99 ms | max ms | errors |", a.people);
    println!("|---|---|---|---|---|---|---|---|");
    for (d, (_, b)) in dbs.iter().enumerate() {
        for mode in 0..modes {
            let r = &results[d][mode];
            let label = if mode == 0 {
                format!("at the doors: {} clients, open loop, {} over {} s", a.doors, a.people, a.door_seconds)
            } else {
                format!("as fast as possible, {} clients", a.fast[mode - 1])
            };
            let col = |f: fn(&Outcome) -> f64| r.iter().map(f).collect::<Vec<f64>>();
            println!(
                "| {} | {label} | {} | {} | {} | {} | {} | {} |",
                b.label(),
                mr(&col(|o| o.total), secs),
                mr(&col(|o| o.lat.len() as f64 / o.total), rate),
                mr(&col(|o| pct(&o.lat, 0.5)), ms),
                mr(&col(|o| pct(&o.lat, 0.99)), ms),
                mr(&col(|o| o.lat.last().copied().unwrap_or(f64::NAN)), ms),
                r.iter().map(|o| o.errors).sum::<usize>()
            );
        }
    }
}

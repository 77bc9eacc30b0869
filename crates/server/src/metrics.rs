//! Prometheus metrics in the text exposition format, kept by hand: a few
//! counters and one latency histogram do not need a library.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

#[derive(Default)]
pub struct Counter(AtomicU64);

impl Counter {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
    /// For gauges: a count that also goes down.
    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    pub sign_in_links: Counter,
    pub sign_ins: Counter,
    pub rate_limited: Counter,
    /// Open live-room connections (a gauge).
    pub room_connections: Counter,
    /// Room frames refused with an error frame.
    pub room_errors: Counter,
    /// Of those, refused because this node's room writers were full.
    pub room_slow_downs: Counter,
    /// Jobs done, failed (to be retried or dead), and dropped at their deadline.
    pub jobs_done: Counter,
    pub jobs_failed: Counter,
    pub jobs_dropped: Counter,
    /// (method, status) → count
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    /// cumulative bucket counts, then sum (µs) and count
    latency: Mutex<([u64; BUCKETS.len()], u64, u64)>,
}

impl Metrics {
    pub fn observe(&self, method: &str, status: u16, seconds: f64) {
        // Made-up methods would each add a series forever.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "OTHER",
        };
        if let Ok(mut r) = self.requests.lock() {
            *r.entry((method.to_string(), status)).or_default() += 1;
        }
        if let Ok(mut l) = self.latency.lock() {
            for (i, b) in BUCKETS.iter().enumerate() {
                if seconds <= *b {
                    l.0[i] += 1;
                }
            }
            l.1 += (seconds * 1e6) as u64;
            l.2 += 1;
        }
    }

    /// The metrics of this node (`node` names it; each node has its own).
    pub fn render(&self, accounts: i64, node: &str, nats: Option<bool>) -> String {
        let mut o = String::new();
        let node = node.replace(['\\', '"', '\n'], "_");
        let _ = writeln!(
            o,
            "# HELP cowork_node_info The node these metrics are of.\n# TYPE cowork_node_info gauge\ncowork_node_info{{node=\"{node}\"}} 1"
        );
        if let Some(up) = nats {
            let _ = writeln!(
                o,
                "# HELP cowork_nats_connected Whether this node is connected to NATS.\n# TYPE cowork_nats_connected gauge\ncowork_nats_connected {}",
                u8::from(up)
            );
        }
        let mut counter = |name: &str, help: &str, v: u64| {
            let _ = writeln!(o, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}");
        };
        counter("cowork_sign_in_links_total", "Sign-in links requested.", self.sign_in_links.get());
        counter("cowork_sign_ins_total", "Successful sign-ins.", self.sign_ins.get());
        counter("cowork_rate_limited_total", "Requests refused by a rate limit.", self.rate_limited.get());
        counter("cowork_room_errors_total", "Live room frames answered with an error frame.", self.room_errors.get());
        counter(
            "cowork_room_slow_downs_total",
            "Live room frames refused with slow_down: this node's room writers were full.",
            self.room_slow_downs.get(),
        );
        counter("cowork_jobs_done_total", "Jobs this node ran to the end.", self.jobs_done.get());
        counter("cowork_jobs_failed_total", "Job attempts on this node that failed (retried later, or dead).", self.jobs_failed.get());
        counter("cowork_jobs_dropped_total", "Jobs this node dropped because their deadline had passed.", self.jobs_dropped.get());
        let _ = writeln!(
            o,
            "# HELP cowork_room_connections Open live room connections.\n# TYPE cowork_room_connections gauge\ncowork_room_connections {}",
            self.room_connections.get()
        );
        let _ = writeln!(o, "# HELP cowork_accounts Accounts on this instance.\n# TYPE cowork_accounts gauge\ncowork_accounts {accounts}");
        let _ =
            writeln!(o, "# HELP cowork_http_requests_total HTTP requests by method and status.\n# TYPE cowork_http_requests_total counter");
        if let Ok(r) = self.requests.lock() {
            for ((m, s), n) in r.iter() {
                let _ = writeln!(o, "cowork_http_requests_total{{method=\"{m}\",status=\"{s}\"}} {n}");
            }
        }
        let _ = writeln!(o, "# HELP cowork_http_request_duration_seconds Time to answer an HTTP request.\n# TYPE cowork_http_request_duration_seconds histogram");
        if let Ok(l) = self.latency.lock() {
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(o, "cowork_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}", l.0[i]);
            }
            let _ = writeln!(o, "cowork_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}", l.2);
            let _ = writeln!(o, "cowork_http_request_duration_seconds_sum {}", l.1 as f64 / 1e6);
            let _ = writeln!(o, "cowork_http_request_duration_seconds_count {}", l.2);
        }
        o
    }
}

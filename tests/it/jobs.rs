//! The job queue: leases, retries with backoff, dead jobs an admin retries,
//! deadlines, the same change enqueued once, and several runners on one
//! database each job done once. Time is the app's clock, moved by the test.

use crate::support::{fresh_store, Server};
use cowork_server::app::jobs::POLL;
use cowork_server::Config;
use cowork_store::{NewJob, SESSION_CANCELLED};
use reqwest::StatusCode;
use serde_json::json;

fn a_job(key: &str, run_at: i64) -> NewJob {
    NewJob::new(SESSION_CANCELLED, key.into(), json!({ "session_id": "gone", "account_id": "gone" }), run_at)
}

async fn leases_dedupe_backoff_and_dead(backend: &str) {
    let store = fresh_store(backend).await;
    // The same change enqueues once.
    assert!(store.enqueue_job(&a_job("k1", 100), 100).await.unwrap());
    assert!(!store.enqueue_job(&a_job("k1", 100), 101).await.unwrap());
    assert_eq!(store.unfinished_jobs().await.unwrap(), 1);

    // Not due yet: nobody gets it.
    assert!(store.claim_job("a", 99, 219).await.unwrap().is_none());
    let job = store.claim_job("a", 100, 220).await.unwrap().expect("due at 100");
    assert_eq!(job.attempts, 1);
    // Held under a lease: another runner can't take it meanwhile.
    assert!(store.claim_job("b", 150, 270).await.unwrap().is_none());
    // The lease runs out (runner a stalled): runner b takes it over...
    let again = store.claim_job("b", 221, 341).await.unwrap().expect("claimable once the lease ran out");
    assert_eq!((again.id.as_str(), again.attempts), (job.id.as_str(), 2));
    // ...and the stale runner can no longer finish or fail it.
    assert!(!store.finish_job(&job.id, "a", "done", "", 230).await.unwrap());
    assert!(!store.fail_job(&job.id, "a", "late", Some(300), 230).await.unwrap());
    // b fails it: queued again for later, not before.
    assert!(store.fail_job(&job.id, "b", "SMTP said 451", Some(400), 240).await.unwrap());
    assert!(store.claim_job("c", 399, 519).await.unwrap().is_none());
    let third = store.claim_job("c", 400, 520).await.unwrap().unwrap();
    assert_eq!(third.attempts, 3);
    // Failing for good: dead, kept with its error; an admin's retry queues it again.
    assert!(store.fail_job(&third.id, "c", "SMTP said 554", None, 410).await.unwrap());
    let dead = store.jobs_with_status("dead", 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error, "SMTP said 554");
    assert!(store.claim_job("d", 10_000, 10_120).await.unwrap().is_none(), "a dead job is not claimed");
    store.retry_dead_job(&third.id, 500).await.unwrap();
    let retried = store.claim_job("d", 500, 620).await.unwrap().unwrap();
    assert_eq!(retried.attempts, 1, "a retry counts its attempts afresh");
    assert!(store.finish_job(&retried.id, "d", "done", "", 501).await.unwrap());
    assert_eq!(store.job_counts().await.unwrap().done, 1);
    assert!(store.retry_dead_job(&retried.id, 502).await.is_err(), "only a dead job can be retried");
}

#[tokio::test]
async fn a_job_is_leased_retried_with_backoff_and_dead_at_last_on_sqlite() {
    leases_dedupe_backoff_and_dead("sqlite").await;
}

#[tokio::test]
async fn a_job_is_leased_retried_with_backoff_and_dead_at_last_on_postgres() {
    leases_dedupe_backoff_and_dead("postgres").await;
}

/// Two runners claiming batches at once: each job goes to one of them, and
/// only the holder of a job's lease can finish it.
async fn batches_are_claimed_once(backend: &str) {
    let store = fresh_store(backend).await;
    for i in 0..100 {
        store.enqueue_job(&a_job(&format!("b{i}"), 100 + i % 3), 100).await.unwrap();
    }
    assert!(store.claim_jobs("a", 99, 200, 50).await.unwrap().is_empty(), "none due yet");
    let (a, b) = tokio::join!(store.claim_jobs("a", 200, 300, 40), store.claim_jobs("b", 200, 300, 40));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.len(), b.len()), (40, 40));
    let ids: std::collections::HashSet<&str> = a.iter().chain(&b).map(|j| j.id.as_str()).collect();
    assert_eq!(ids.len(), 80, "no job in both batches");
    assert!(a.windows(2).all(|w| w[0].run_at <= w[1].run_at), "the soonest due first");
    assert_eq!(store.claim_jobs("c", 200, 300, 40).await.unwrap().len(), 20, "the rest");
    assert!(store.claim_jobs("d", 200, 300, 40).await.unwrap().is_empty());
    assert!(!store.finish_job(&a[0].id, "b", "done", "", 210).await.unwrap(), "b does not hold it");
    assert!(store.finish_job(&a[0].id, "a", "done", "", 210).await.unwrap());
    // The leases run out (the runners stalled): the jobs are claimed again, and the stale runner can't finish one.
    let again = store.claim_jobs("e", 300, 400, 500).await.unwrap();
    assert_eq!(again.len(), 99, "each job still running, the finished one not");
    assert!(again.iter().all(|j| j.attempts == 2));
    assert!(!store.finish_job(&b[0].id, "b", "done", "", 301).await.unwrap());
    assert!(store.finish_job(&b[0].id, "e", "done", "", 301).await.unwrap());
}

#[tokio::test]
async fn batches_are_claimed_once_on_sqlite() {
    batches_are_claimed_once("sqlite").await;
}

#[tokio::test]
async fn batches_are_claimed_once_on_postgres() {
    batches_are_claimed_once("postgres").await;
}

#[tokio::test]
async fn the_runner_sleeps_until_a_job_enqueued_earlier_comes_due_not_a_poll_later() {
    // An app without a runner of its own: the test asks what the runner would do.
    let url = crate::support::fresh_database("sqlite").await;
    let app = cowork_server::open(Config { database_url: url, ..Config::default() }).await.unwrap();
    let t = app.now();
    app.store.enqueue_job(&a_job("later", t + 3600), t).await.unwrap();
    assert_eq!(app.next_wake().await, POLL, "due in an hour: it looks again after a poll");
    app.clock.set(t + 3600 - 3);
    let wake = app.next_wake().await;
    assert!(wake <= std::time::Duration::from_secs(3) && wake < POLL, "three seconds before, it sleeps until then: {wake:?}");
    app.clock.set(t + 3600);
    assert!(app.next_wake().await < std::time::Duration::from_secs(1), "due: at once");
    assert_eq!(app.run_due_jobs().await, 1);
    assert_eq!(app.store.jobs_of_kind(SESSION_CANCELLED, 1).await.unwrap()[0].status, "done");
}

#[tokio::test]
async fn a_mail_server_that_is_down_leaves_the_mail_queued_until_an_admin_sees_it_dead_and_retries() {
    // Nothing listens on port 9 here: every attempt to mail fails.
    let server = Server::start_with(|c: &mut Config| c.smtp_url = "smtp://127.0.0.1:9".into()).await;
    let session = server.live_session("org@example.org", "down", "builtin:weekly-coworking", 3 * 86_400).await;
    let member = server.account("m@example.org").await;
    server.app().store.add_member(&session.community_id, &member.id, false, 1).await.unwrap();
    server.app().rsvp(&member, &session.id, false).await.unwrap();
    let org = server.account("org@example.org").await;

    // The organizer's page answers at once: the mail is only written down.
    let told = server.app().cancel_session(&org, &session.id, true, "").await.unwrap();
    assert_eq!(told, 1);
    let app = server.app();
    // The server's own runner may hold the job for a moment: read it once it's let go.
    let settled = || async {
        for _ in 0..500 {
            let job = app.store.jobs_of_kind(SESSION_CANCELLED, 1).await.unwrap().remove(0);
            if job.status != "running" {
                return job;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the job stayed running");
    };
    let mut attempts = 0;
    for _ in 0..20 {
        app.run_due_jobs().await;
        let job = settled().await;
        attempts = job.attempts;
        if job.status == "dead" {
            assert!(!job.last_error.is_empty());
            break;
        }
        assert_eq!(job.status, "queued", "retried later, not lost");
        // Not again before its backoff: nothing runs now.
        let before = job.attempts;
        app.run_due_jobs().await;
        assert_eq!(settled().await.attempts, before);
        // The backoff passes (the clock is moved, nobody waits).
        app.clock.set(job.run_at);
    }
    assert_eq!(attempts, cowork_server::app::jobs::MAX_ATTEMPTS, "dead after the last attempt");

    // The admin sees it with its error, and retries it.
    let admin = server.admin().await;
    let page = admin.get_ok("/admin/jobs").await;
    assert!(page.contains(SESSION_CANCELLED), "{page}");
    assert!(page.contains("Failed for good"));
    let job = app.store.jobs_of_kind(SESSION_CANCELLED, 1).await.unwrap().remove(0);
    let r = admin.post(&format!("/admin/jobs/{}/retry", job.id), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Queued again (and perhaps already taken by the server's runner): no longer dead.
    assert_ne!(app.store.jobs_of_kind(SESSION_CANCELLED, 1).await.unwrap()[0].status, "dead");
    // A member can't see or retry the queue.
    let m = server.signed_in("m@example.org").await;
    assert_eq!(m.get("/admin/jobs").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(m.post(&format!("/admin/jobs/{}/retry", job.id), &[]).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_job_past_its_deadline_is_dropped_and_counted_never_done_late() {
    let server = Server::start().await;
    let app = server.app();
    let t = app.now();
    app.store.enqueue_job(&a_job("late", t - 60).until(t + 600), t - 60).await.unwrap();
    app.store.enqueue_job(&a_job("on-time", t - 60).until(t + 3600), t - 60).await.unwrap();
    // Twenty minutes pass before any runner gets to them (the node was down).
    app.clock.advance(1200);
    server.deliver_jobs().await;
    let dropped = app.store.jobs_with_status("dropped", 10).await.unwrap();
    assert_eq!(dropped.iter().map(|j| j.dedupe_key.as_str()).collect::<Vec<_>>(), vec!["late"]);
    let done: Vec<_> = app.store.jobs_with_status("done", 10).await.unwrap().into_iter().filter(|j| j.kind == SESSION_CANCELLED).collect();
    assert_eq!(done.len(), 1, "the other was still in time");
    assert!(!done[0].note.is_empty(), "its session is gone, so it ended with a note, not a crash loop");
    let metrics = server.client().get_ok("/metrics").await;
    assert!(metrics.contains("cowork_jobs_dropped_total 1"), "{metrics}");
}

#[tokio::test]
async fn the_hourly_work_runs_once_per_instance_whatever_the_nodes() {
    let first = Server::start_on("postgres").await;
    let url = first.app().config.database_url.clone();
    let second = Server::start_with_backend("postgres", |c: &mut Config| c.database_url = url).await;
    for app in [first.app(), second.app(), first.app()] {
        app.enqueue_hourly().await;
    }
    first.deliver_jobs().await;
    let hourly = first.app().store.jobs_of_kind(cowork_server::app::jobs::HOURLY, 10).await.unwrap();
    assert_eq!(hourly.len(), 1, "one job for this hour, from any number of nodes");
    assert_eq!(hourly[0].status, "done");
    // An hour later (by the clock) there is the next one.
    first.app().clock.advance(3600);
    first.app().enqueue_hourly().await;
    assert_eq!(first.app().store.jobs_of_kind(cowork_server::app::jobs::HOURLY, 10).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runners_on_one_postgres_send_each_of_a_thousand_mails_once() {
    let (port, mut received) = crate::mail::smtp_server().await;
    let smtp = format!("smtp://127.0.0.1:{port}");
    let first = Server::start_with_backend("postgres", |c: &mut Config| c.smtp_url = smtp.clone()).await;
    let url = first.app().config.database_url.clone();
    let second = Server::start_with_backend("postgres", |c: &mut Config| {
        c.database_url = url;
        c.smtp_url = smtp;
    })
    .await;
    let session = first.live_session("org@example.org", "thousand", "builtin:weekly-coworking", 3 * 86_400).await;
    let store = &first.app().store;
    for i in 0..1000 {
        let (a, _) = store.account_for_email(&format!("p{i}@example.org"), &format!("p{i}"), 1).await.unwrap();
        store.add_member(&session.community_id, &a.id, false, 1).await.unwrap();
        store.rsvp(&session.id, &a.id, 2).await.unwrap();
    }
    let org = first.account("org@example.org").await;
    assert_eq!(first.app().cancel_session(&org, &session.id, true, "").await.unwrap(), 1000);
    // Both nodes' runners work the queue at once (their background runners too).
    let (a, b) = tokio::join!(first.app().run_due_jobs(), second.app().run_due_jobs());
    first.deliver_jobs().await;
    assert!(a > 0 && b > 0, "both runners took part: {a} and {b}");
    // (Their RSVP confirmations go out too; the cancellations are counted.)
    let mut to = std::collections::HashMap::<String, usize>::new();
    while to.values().sum::<usize>() < 1000 {
        let data = tokio::time::timeout(std::time::Duration::from_secs(30), received.recv()).await.expect("every mail arrives").unwrap();
        if let Some(rcpt) = cancellation_to(&data) {
            *to.entry(rcpt).or_default() += 1;
        }
    }
    assert_eq!(to.len(), 1000, "a mail to each person");
    assert!(to.values().all(|n| *n == 1), "nobody got two");
    while let Ok(Some(data)) = tokio::time::timeout(std::time::Duration::from_millis(500), received.recv()).await {
        assert!(cancellation_to(&data).is_none(), "and no more");
    }
}

/// `cowork serve` as its own process, sending to `smtp`, on `database_url`.
fn serve(database_url: &str, smtp: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_cowork"))
        .env("COWORK_DATABASE_URL", database_url)
        .env("COWORK_SMTP_URL", smtp)
        .env("COWORK_BIND", "127.0.0.1:0")
        .env("COWORK_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_burst_loses_no_mail() {
    let (port, mut received) = crate::mail::smtp_server().await;
    let smtp = format!("smtp://127.0.0.1:{port}");
    let url = crate::support::fresh_database("postgres").await;
    // Set up with an app of our own that runs no runner: 500 people going, then cancelled.
    let app = cowork_server::open(Config { database_url: url.clone(), base_url: "http://cowork.test".into(), ..Config::default() })
        .await
        .unwrap();
    let owner = app.store.account_for_email("org@example.org", "org", 1).await.unwrap().0;
    let input = cowork_core::community::CommunityInput {
        slug: "burst".into(),
        name: "Burst".into(),
        code_of_conduct: cowork_core::community::DEFAULT_CODE_OF_CONDUCT.into(),
        visibility: "public".into(),
        join_policy: "open".into(),
        time_zone: "Europe/London".into(),
        ..Default::default()
    };
    let community = app.store.create_community(&input.parse().unwrap(), &owner.id, 1).await.unwrap();
    let tomorrow = jiff::Zoned::now().date().tomorrow().unwrap().to_string();
    let series_input = cowork_core::schedule::SeriesInput {
        title: "Burst".into(),
        format: "builtin:weekly-coworking".into(),
        start_date: tomorrow,
        start_time: "09:00".into(),
        time_zone: "Europe/London".into(),
        ..Default::default()
    };
    let series = app.create_series(&owner, "burst", &series_input).await.unwrap();
    let session = app.store.series_sessions(&series.id, 0, 1).await.unwrap().remove(0);
    for i in 0..500 {
        let (a, _) = app.store.account_for_email(&format!("p{i}@example.org"), &format!("p{i}"), 1).await.unwrap();
        app.store.add_member(&community.id, &a.id, false, 1).await.unwrap();
        app.store.rsvp(&session.id, &a.id, 2).await.unwrap();
    }
    assert_eq!(app.cancel_session(&owner, &session.id, true, "").await.unwrap(), 500);

    let mut to = std::collections::HashMap::<String, usize>::new();
    // Every Message-ID each person got: a mail sent twice must be recognisable as the same one.
    let mut ids = std::collections::HashMap::<String, std::collections::HashSet<String>>::new();
    // A node starts sending; it is killed (SIGKILL) a hundred mails in.
    let mut node = serve(&url, &smtp);
    while to.values().sum::<usize>() < 100 {
        let data = tokio::time::timeout(std::time::Duration::from_secs(60), received.recv()).await.expect("the node sends").unwrap();
        if let Some(r) = cancellation_to(&data) {
            ids.entry(r.clone()).or_default().insert(message_id(&data));
            *to.entry(r).or_default() += 1;
        }
    }
    node.kill().unwrap();
    node.wait().unwrap();
    // Another starts on the same database and finishes the burst (the job the
    // killed node held comes back when its lease runs out).
    let mut node = serve(&url, &smtp);
    while to.len() < 500 {
        let data = tokio::time::timeout(std::time::Duration::from_secs(90), received.recv()).await.expect("every mail is sent").unwrap();
        if let Some(r) = cancellation_to(&data) {
            ids.entry(r.clone()).or_default().insert(message_id(&data));
            *to.entry(r).or_default() += 1;
        }
    }
    // Until the queue is empty (the job the killed node held included), taking in what arrives.
    for _ in 0..600 {
        while let Ok(data) = received.try_recv() {
            if let Some(r) = cancellation_to(&data) {
                ids.entry(r.clone()).or_default().insert(message_id(&data));
                *to.entry(r).or_default() += 1;
            }
        }
        // Reminders of the cancelled session stay queued until their hour (then send nothing).
        if app.store.jobs_due_or_running(app.now()).await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    while let Ok(data) = received.try_recv() {
        if let Some(r) = cancellation_to(&data) {
            ids.entry(r.clone()).or_default().insert(message_id(&data));
            *to.entry(r).or_default() += 1;
        }
    }
    node.kill().unwrap();
    node.wait().unwrap();
    let twice: Vec<_> = to.iter().filter(|(_, n)| **n > 1).map(|(r, n)| format!("{r} ×{n}")).collect();
    println!("killed mid-burst: 500 of 500 delivered, {} delivered twice: {twice:?}", twice.len());
    assert_eq!(to.len(), 500, "nobody's mail was lost");
    // Only mail in flight when the node died can go twice (a runner has at most 32 jobs in flight).
    assert!(twice.len() <= 32, "{twice:?}");
    assert!(ids.values().all(|set| set.len() == 1), "a mail sent again carries the same Message-ID");
    assert_eq!(app.store.jobs_due_or_running(app.now()).await.unwrap(), 0);
}

fn message_id(data: &str) -> String {
    data.lines().find_map(|l| l.strip_prefix("Message-ID: ")).expect("every mail has a Message-ID").to_string()
}

/// The recipient of a cancellation notice (other mail, such as RSVP confirmations, is None).
fn cancellation_to(data: &str) -> Option<String> {
    data.lines()
        .any(|l| l.starts_with("Subject: Cancelled"))
        .then(|| data.lines().find_map(|l| l.strip_prefix("To: ")).unwrap_or_default().to_string())
}

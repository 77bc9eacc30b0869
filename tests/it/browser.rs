//! The browser tests: tests/browser/*.mjs drive Debian's chromium with
//! playwright-core against this real server. ./scripts/test installs both;
//! with COWORK_REQUIRE_BROWSER=1 (set there and in CI) a missing browser fails.

use crate::support::Server;
use std::path::Path;
use std::process::Command;

/// Where the browser flows live, or None (with a note) when this machine lacks them.
fn browser_dir() -> Option<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    let ready = dir.join("node_modules/playwright-core").exists()
        && dir.join("node_modules/ical.js").exists()
        && Path::new("/usr/bin/chromium").exists();
    if !ready {
        assert!(std::env::var("COWORK_REQUIRE_BROWSER").is_err(), "chromium or the npm packages are missing; run ./scripts/test");
        eprintln!("SKIPPED: chromium or tests/browser/node_modules missing (./scripts/test installs them)");
        return None;
    }
    Some(dir)
}

async fn run(script: &'static str, env: Vec<(&'static str, String)>) -> String {
    let dir = browser_dir().expect("checked by the caller");
    let out = tokio::task::spawn_blocking(move || Command::new("node").arg(script).current_dir(&dir).envs(env).output())
        .await
        .unwrap()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    stdout
}

fn email(e: &str) -> cowork_core::input::Email {
    cowork_core::input::Email::parse(e).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_signs_up_creates_and_joins_in_chromium() {
    if browser_dir().is_none() {
        return;
    }
    let server = Server::start().await;
    server.app().make_admin("admin@example.org", Some("Admin")).await.unwrap();
    let admin_link = server.app().issue_sign_in_link(&email("admin@example.org")).await.unwrap();
    let stdout = run("flow.mjs", vec![("BASE_URL", server.base.clone()), ("ADMIN_LINK", admin_link)]).await;
    assert!(stdout.contains("pages checked with axe-core"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_schedules_a_cafe_and_a_new_yorker_follows_it() {
    if browser_dir().is_none() {
        return;
    }
    let server = Server::start().await;
    let c = server.community("organizer@example.org", "cafe-club", "public", "open").await;
    let member = server.account("ny@example.org").await;
    server.app().store.add_member(&c.id, &member.id, false, 1).await.unwrap();
    server.name_and_zone(&member, "Dana in New York", "America/New_York").await;
    let organizer = server.account("organizer@example.org").await;
    server.name_and_zone(&organizer, "Ada in London", "Europe/London").await;
    let organizer_link = server.app().issue_sign_in_link(&email("organizer@example.org")).await.unwrap();
    let member_link = server.app().issue_sign_in_link(&email("ny@example.org")).await.unwrap();
    let stdout =
        run("schedule.mjs", vec![("BASE_URL", server.base.clone()), ("ORGANIZER_LINK", organizer_link), ("MEMBER_LINK", member_link)])
            .await;
    assert!(stdout.contains("feed events matched"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_cowork_in_the_live_room_across_the_world() {
    if browser_dir().is_none() {
        return;
    }
    let server = Server::start().await;
    let session = server.live_session("host@example.org", "room-club", "builtin:weekly-coworking", 120).await;
    let host = server.account("host@example.org").await;
    let member = server.account("member@example.org").await;
    server.app().store.add_member(&session.community_id, &member.id, false, 1).await.unwrap();
    server.name_and_zone(&host, "host", "Europe/London").await;
    server.name_and_zone(&member, "member", "Asia/Tokyo").await;
    let host_link = server.app().issue_sign_in_link(&email("host@example.org")).await.unwrap();
    let member_link = server.app().issue_sign_in_link(&email("member@example.org")).await.unwrap();
    let stdout = run(
        "room.mjs",
        vec![("BASE_URL", server.base.clone()), ("HOST_LINK", host_link), ("MEMBER_LINK", member_link), ("SESSION", session.id.clone())],
    )
    .await;
    assert!(stdout.contains("the room agreed between London and Tokyo"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_cancels_ahead_and_a_member_on_a_phone_joins_what_is_happening_now() {
    if browser_dir().is_none() {
        return;
    }
    let server = Server::start().await;
    let running = server.live_session("organizer@example.org", "now-club", "builtin:weekly-coworking", -5 * 60).await;
    let later = server.live_session("organizer@example.org", "later-club", "builtin:weekly-coworking", 7 * 86_400).await;
    let member = server.account("kolkata@example.org").await;
    for c in [&running.community_id, &later.community_id] {
        server.app().store.add_member(c, &member.id, false, 1).await.unwrap();
    }
    server.name_and_zone(&member, "Meera in Kolkata", "Asia/Kolkata").await;
    server.app().rsvp(&member, &later.id, false).await.unwrap();
    let organizer = server.account("organizer@example.org").await;
    server.name_and_zone(&organizer, "Ada in London", "Europe/London").await;
    let organizer_link = server.app().issue_sign_in_link(&email("organizer@example.org")).await.unwrap();
    let member_link = server.app().issue_sign_in_link(&email("kolkata@example.org")).await.unwrap();
    let stdout = run(
        "session_life.mjs",
        vec![
            ("BASE_URL", server.base.clone()),
            ("ORGANIZER_LINK", organizer_link),
            ("MEMBER_LINK", member_link),
            ("RUNNING", running.id.clone()),
            ("LATER", later.id.clone()),
        ],
    )
    .await;
    assert!(stdout.contains("join now led into the live room"));
    server.deliver_jobs().await;
    let mails = server.app().store.outbox(Some("kolkata@example.org"), 10).await.unwrap();
    assert!(
        mails.iter().any(|m| m.subject.starts_with("Cancelled:") && m.body.contains("(Asia/Kolkata)")),
        "the member is told, in her zone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_in_india_ends_up_with_asia_kolkata_and_zones_are_found_by_city_offset_or_country() {
    if browser_dir().is_none() {
        return;
    }
    let server = Server::start().await;
    server.community("kavya@example.org", "chai-club", "public", "open").await;
    let kavya = email("kavya@example.org");
    let mut links = Vec::new();
    for name in ["LINK_1280", "LINK_390", "LINK_NOJS"] {
        links.push((name, server.app().issue_sign_in_link(&kavya).await.unwrap()));
    }
    let mut env = vec![("BASE_URL", server.base.clone())];
    env.extend(links);
    let stdout = run("zones.mjs", env).await;
    assert!(stdout.contains("chromium reported Asia/Calcutta"), "the browser reports the legacy name");
    assert_eq!(server.account("kavya@example.org").await.time_zone, "Asia/Kolkata");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_moves_a_google_calendar_in_in_chromium() {
    if browser_dir().is_none() {
        return;
    }
    let server = Server::start().await;
    server.community("organizer@example.org", "cafe-club", "public", "open").await;
    let organizer = server.account("organizer@example.org").await;
    server.name_and_zone(&organizer, "Olu in New York", "America/New_York").await;
    let link = server.app().issue_sign_in_link(&email("organizer@example.org")).await.unwrap();
    let file = std::env::temp_dir().join(format!("{}.ics", crate::support::unique("writers")));
    let ny = cowork_core::time::Zone::parse("tz", "America/New_York").unwrap();
    std::fs::write(&file, crate::import::google_export(crate::import::next(&ny, jiff::civil::Weekday::Tuesday))).unwrap();
    let stdout =
        run("import.mjs", vec![("BASE_URL", server.base.clone()), ("ORGANIZER_LINK", link), ("ICS_FILE", file.display().to_string())])
            .await;
    let _ = std::fs::remove_file(&file);
    assert!(stdout.contains("imported sessions matched"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organizer_connects_a_signed_webhook_in_chromium() {
    if browser_dir().is_none() {
        return;
    }
    let receiver = crate::webhooks::Receiver::start().await;
    let server = Server::start_with(|c| c.allow_private_webhooks = true).await;
    server.community("organizer@example.org", "hook-club", "public", "open").await;
    let link = server.app().issue_sign_in_link(&email("organizer@example.org")).await.unwrap();
    let link2 = server.app().issue_sign_in_link(&email("organizer@example.org")).await.unwrap();
    let stdout = run(
        "webhooks.mjs",
        vec![
            ("BASE_URL", server.base.clone()),
            ("ORGANIZER_LINK", link),
            ("ORGANIZER_LINK2", link2),
            ("SLUG", "hook-club".into()),
            ("RECEIVER", receiver.base.clone()),
        ],
    )
    .await;
    assert!(stdout.contains("pages checked with axe-core"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_worker_shows_a_pushed_message_as_a_notification_in_chromium() {
    if browser_dir().is_none() {
        return;
    }
    let server = Server::start().await;
    let session = server.live_session("ada@example.org", "push-club", "builtin:weekly-coworking", 7200).await;
    // A laptop already notified, so the list of devices shows.
    let ada = server.account("ada@example.org").await;
    let laptop = p256::SecretKey::from_slice(&[7; 32]).unwrap();
    let device = cowork_server::app::push::DeviceInput {
        endpoint: "https://push.example.org/laptop".into(),
        p256dh: base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, laptop.public_key().to_sec1_bytes()),
        auth: "AAAAAAAAAAAAAAAAAAAAAA".into(),
        label: "Firefox on Linux".into(),
    };
    server.app().add_push_device(&ada, &device).await.unwrap();
    let link = server.app().issue_sign_in_link(&email("ada@example.org")).await.unwrap();
    let phone_link = server.app().issue_sign_in_link(&email("ada@example.org")).await.unwrap();
    let stdout = run(
        "push.mjs",
        vec![("BASE_URL", server.base.clone()), ("LINK", link), ("PHONE_LINK", phone_link), ("SESSION", session.id.clone())],
    )
    .await;
    assert!(stdout.contains("a pushed message was shown as a notification"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_take_turns_and_a_member_chooses_a_weekly_digest_in_chromium() {
    if browser_dir().is_none() {
        return;
    }
    let server = Server::start().await;
    let a = server.live_session("organizer@example.org", "turns-club", "builtin:weekly-coworking", 2 * 86_400).await;
    let b = server.live_session("organizer@example.org", "turns-club-2", "builtin:weekly-coworking", 3 * 86_400).await;
    let store = &server.app().store;
    let organizer = server.account("organizer@example.org").await;
    server.name_and_zone(&organizer, "Olu", "Europe/London").await;
    let hal = server.account("hal@example.org").await;
    server.name_and_zone(&hal, "Hal", "Europe/London").await;
    let mio = server.account("mio@example.org").await;
    server.name_and_zone(&mio, "Mio", "Asia/Tokyo").await;
    for s in [&a, &b] {
        store.add_member(&s.community_id, &hal.id, false, 1).await.unwrap();
        store.add_series_host(&s.series_id, &hal.id).await.unwrap();
    }
    store.add_member(&a.community_id, &mio.id, false, 1).await.unwrap();
    let app = server.app();
    let (hal_link, organizer_link) = (
        app.issue_sign_in_link(&email("hal@example.org")).await.unwrap(),
        app.issue_sign_in_link(&email("organizer@example.org")).await.unwrap(),
    );
    // Mio signs in twice: on a laptop and on a phone.
    let (mio_link, mio_link2) = (
        app.issue_sign_in_link(&email("mio@example.org")).await.unwrap(),
        app.issue_sign_in_link(&email("mio@example.org")).await.unwrap(),
    );
    let stdout = run(
        "hosting.mjs",
        vec![
            ("BASE_URL", server.base.clone()),
            ("HAL_LINK", hal_link),
            ("ORGANIZER_LINK", organizer_link),
            ("MIO_LINK", mio_link),
            ("MIO_LINK2", mio_link2),
            ("SESSION", a.id.clone()),
            ("OTHER_SESSION", b.id.clone()),
            ("COMMUNITY_NAME", a.community_name.clone()),
        ],
    )
    .await;
    assert!(stdout.contains("Mio chose the weekly digest"), "{stdout}");
    assert_eq!(store.session_host(&a.id).await.unwrap().map(|h| h.1), Some("Hal".into()));
    assert_eq!(store.session_host(&b.id).await.unwrap().map(|h| h.1), Some("Hal".into()));
    assert_eq!(store.digest_communities(&mio.id).await.unwrap(), [a.community_id.clone()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_retries_a_failed_mail_in_chromium() {
    if browser_dir().is_none() {
        return;
    }
    let server = Server::start().await;
    let admin = server.app();
    admin.make_admin("admin@example.org", Some("Ada")).await.unwrap();
    // A mail that failed every attempt.
    let store = &server.app().store;
    let t = server.app().now();
    let job = cowork_store::NewJob::new(cowork_store::MAIL_RSVP, "browser-dead".into(), serde_json::json!({}), t + 86_400);
    store.enqueue_job(&job, t).await.unwrap();
    let claimed = store.claim_job("test", t + 86_400, t + 86_430).await.unwrap().expect("the job");
    store.fail_job(&claimed.id, "test", "SMTP said 451: mailbox busy", None, t).await.unwrap();
    let (link, link2) = (
        admin.issue_sign_in_link(&email("admin@example.org")).await.unwrap(),
        admin.issue_sign_in_link(&email("admin@example.org")).await.unwrap(),
    );
    let stdout = run("admin_jobs.mjs", vec![("BASE_URL", server.base.clone()), ("ADMIN_LINK", link), ("ADMIN_LINK2", link2)]).await;
    assert!(stdout.contains("the admin retried a dead job"), "{stdout}");
    assert_eq!(store.job_counts().await.unwrap().dead, 0, "retried: no longer dead");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_checks_people_in_at_the_library_door_on_a_phone_in_chromium() {
    if browser_dir().is_none() {
        return;
    }
    let server = Server::start().await;
    let c = server.community("organizer@example.org", "library-club", "public", "open").await;
    let organizer = server.account("organizer@example.org").await;
    server.name_and_zone(&organizer, "Olu the organizer", "Europe/London").await;
    for (e, name) in [("amira@example.org", "Amira Khan"), ("bruno@example.org", "Bruno Silva")] {
        let a = server.account(e).await;
        server.app().store.add_member(&c.id, &a.id, false, 1).await.unwrap();
        server.name_and_zone(&a, name, "Europe/London").await;
    }
    let app = server.app();
    let stdout = run(
        "checkin.mjs",
        vec![
            ("BASE_URL", server.base.clone()),
            ("SLUG", "library-club".into()),
            ("ORGANIZER_TOKEN", server.token("organizer@example.org").await),
            ("A_TOKEN", server.token("amira@example.org").await),
            ("B_TOKEN", server.token("bruno@example.org").await),
            ("ORGANIZER_LINK", app.issue_sign_in_link(&email("organizer@example.org")).await.unwrap()),
            ("A_LINK", app.issue_sign_in_link(&email("amira@example.org")).await.unwrap()),
        ],
    )
    .await;
    assert!(stdout.contains("the door checked in four and refused a fifth"), "{stdout}");
}

/// nginx in front of two nodes, as in the README (`deploy/nginx-cowork.conf`'s
/// proxy settings), with two entrances: the first prefers node A, the second
/// node B, so two browsers land on different nodes; each falls back on the other.
struct Nginx {
    child: std::process::Child,
}

impl Nginx {
    fn start(dir: &Path, ports: (u16, u16), a: &str, b: &str) -> Nginx {
        let deploy = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/nginx-cowork.conf")).unwrap();
        let location = &deploy[deploy.find("    location / {").unwrap()..deploy.rfind('}').unwrap()];
        let (a, b) = (a.trim_start_matches("http://"), b.trim_start_matches("http://"));
        let entrance = |port: u16, upstream: &str| {
            format!("server {{\n    listen 127.0.0.1:{port};\n{}\n}}\n", location.replace("http://cowork", &format!("http://{upstream}")))
        };
        let d = dir.display();
        let conf = format!(
            "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 256; }}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n fastcgi_temp_path {d}/fastcgi;\n\
             uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
             map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}\n\
             upstream a_first {{ server {a} max_fails=1 fail_timeout=5s; server {b} backup; }}\n\
             upstream b_first {{ server {b} max_fails=1 fail_timeout=5s; server {a} backup; }}\n{}{}}}\n",
            entrance(ports.0, "a_first"),
            entrance(ports.1, "b_first"),
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = Command::new("nginx")
            .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf"), "-g", "daemon off;"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("nginx is installed (./scripts/test installs it)");
        Nginx { child }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // TERM, not KILL: the master process then stops its workers too.
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_browsers_on_two_nodes_behind_nginx_carry_on_when_one_node_is_killed() {
    if browser_dir().is_none() {
        return;
    }
    let has_nginx = Command::new("nginx").arg("-v").output().is_ok();
    if !has_nginx {
        assert!(std::env::var("COWORK_REQUIRE_BROWSER").is_err(), "nginx is missing; run ./scripts/test");
        eprintln!("SKIPPED: nginx missing (./scripts/test installs it)");
        return;
    }
    let nats = crate::cluster::nats_url();
    let ports = (crate::room_cluster::free_port(), crate::room_cluster::free_port());
    let public = format!("http://127.0.0.1:{}", ports.0);
    // Set up through an in-process node of the same instance.
    let setup = Server::start_on_with("postgres", |c| {
        c.nats_url = nats.clone();
        c.node_name = "setup".into();
        c.base_url = public.clone();
    })
    .await;
    let db = setup.app().config.database_url.clone();
    let session = setup.live_session("london@example.org", "two-nodes-room", "builtin:weekly-coworking", -60).await;
    let tokyo = setup.account("tokyo@example.org").await;
    setup.app().store.add_member(&session.community_id, &tokyo.id, false, 1).await.unwrap();
    setup.name_and_zone(&tokyo, "tokyo", "Asia/Tokyo").await;
    let london = setup.account("london@example.org").await;
    setup.name_and_zone(&london, "london", "Europe/London").await;
    let link_a = setup.app().issue_sign_in_link(&email("london@example.org")).await.unwrap();
    let link_b = setup.app().issue_sign_in_link(&email("tokyo@example.org")).await.unwrap();

    let a = crate::room_cluster::Node::start_with(&db, &nats, "a", &public).await;
    let b = crate::room_cluster::Node::start_with(&db, &nats, "b", &public).await;
    let dir = std::env::temp_dir().join(crate::support::unique("cowork-nginx-"));
    std::fs::create_dir_all(&dir).unwrap();
    let _nginx = Nginx::start(&dir, ports, &a.base, &b.base);
    for port in [ports.0, ports.1] {
        let mut up = false;
        for _ in 0..100 {
            if reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(up, "nginx answers on {port}");
    }
    let stdout = run(
        "cluster.mjs",
        vec![
            ("URL_A", public.clone()),
            ("URL_B", format!("http://127.0.0.1:{}", ports.1)),
            ("LINK_A", link_a),
            ("LINK_B", link_b),
            ("SESSION", session.id.clone()),
            ("PID_A", a.pid().to_string()),
        ],
    )
    .await;
    assert!(stdout.contains("two browsers on two nodes carried on after one was killed"));
    drop(b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_in_berlin_and_toronto_book_the_same_50_minutes_meet_in_their_pair_room_and_check_out_in_chromium() {
    if browser_dir().is_none() {
        return;
    }
    let server = Server::start().await;
    // Ten minutes before the next quarter hour, so "book now" is the same
    // slot for both however long booking takes, and its room (open 15
    // minutes ahead of the start, by the wall clock) is open.
    let app = server.app();
    app.clock.set(cowork_core::partners::next_quarter(app.now()) - 600);
    let ann = server.account("ann@example.org").await;
    let profile = cowork_store::Profile {
        display_name: "Ann".into(),
        pronouns: "she/her".into(),
        time_zone: "Europe/Berlin".into(),
        bio: String::new(),
        social_preference: "either".into(),
    };
    app.store.update_profile(&ann.id, &profile).await.unwrap();
    let bo = server.account("bo@example.org").await;
    server.name_and_zone(&bo, "Bo", "America/Toronto").await;
    let (ann_link, bo_link) =
        (app.issue_sign_in_link(&email("ann@example.org")).await.unwrap(), app.issue_sign_in_link(&email("bo@example.org")).await.unwrap());
    let stdout = run("partners.mjs", vec![("BASE_URL", server.base.clone()), ("ANN_LINK", ann_link), ("BO_LINK", bo_link)]).await;
    assert!(stdout.contains("pages checked with axe-core"));
    // Both are matched, with each other.
    let a = app.my_partner_bookings(&ann).await.unwrap();
    let b = app.my_partner_bookings(&bo).await.unwrap();
    assert_eq!((a.len(), b.len()), (1, 1));
    assert_eq!((a[0].minutes, b[0].minutes), (50, 50));
    assert_eq!((a[0].match_id.as_str(), a[0].partners[0].name.as_str()), (b[0].match_id.as_str(), "Bo"));
    // Both came into their room; Ann's goal is done, and Bo is her favourite.
    assert!(a[0].arrived_at > 0 && b[0].arrived_at > 0);
    assert!(a[0].partners[0].favourite);
    assert_eq!(app.my_record(&ann).await.unwrap().goals_done, 1);
}

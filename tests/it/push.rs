//! Web push, as a push service sees it: a local endpoint stands in for the
//! browser vendor's service, decrypts what cowork sends with the browser's
//! private key (RFC 8291) and checks the VAPID signature (RFC 8292).

use crate::support::{location, Browser, SendChecked, Server};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use p256::ecdsa::signature::Verifier as _;
use reqwest::StatusCode;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// One request the push service received.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    path: String,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

/// A push service on 127.0.0.1:0 that records every request and answers
/// each path with the statuses scripted for it (201 once they run out).
#[derive(Clone, Default)]
pub(crate) struct PushService {
    origin: String,
    received: Arc<Mutex<Vec<Received>>>,
    answers: Arc<Mutex<Vec<(String, VecDeque<u16>)>>>,
}

impl PushService {
    pub(crate) async fn start() -> PushService {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let service = PushService { origin: format!("http://{}", listener.local_addr().unwrap()), ..Default::default() };
        let s = service.clone();
        let app = axum::Router::new().fallback(move |req: axum::extract::Request| {
            let s = s.clone();
            async move {
                let path = req.uri().path().to_string();
                let headers = req.headers().clone();
                let body = axum::body::to_bytes(req.into_body(), 1 << 20).await.unwrap().to_vec();
                s.received.lock().unwrap().push(Received { path: path.clone(), headers, body });
                let status = s.answers.lock().unwrap().iter_mut().find(|(p, _)| *p == path).and_then(|(_, q)| q.pop_front()).unwrap_or(201);
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        service
    }

    pub(crate) fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    fn answer(&self, path: &str, statuses: &[u16]) {
        self.answers.lock().unwrap().push((path.to_string(), statuses.iter().copied().collect()));
    }

    pub(crate) fn received(&self, path: &str) -> Vec<Received> {
        self.received.lock().unwrap().iter().filter(|r| r.path == path).cloned().collect()
    }
}

/// A browser's push keys: its P-256 key pair and auth secret.
pub(crate) struct Device {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Device {
    pub(crate) fn new(seed: u8) -> Device {
        Device { secret: p256::SecretKey::from_slice(&[seed; 32]).unwrap(), auth: [seed.wrapping_add(1); 16] }
    }
    fn p256dh(&self) -> String {
        B64.encode(self.secret.public_key().to_sec1_bytes())
    }
    fn auth(&self) -> String {
        B64.encode(self.auth)
    }
    /// What the browser reads once it decrypted the push (RFC 8291).
    pub(crate) fn decrypt(&self, r: &Received) -> serde_json::Value {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        let plain = web_push_native::decrypt(r.body.clone(), &self.secret, &auth).expect("the payload decrypts with the browser's key");
        serde_json::from_slice(&plain).unwrap()
    }
}

fn header(r: &Received, name: &str) -> String {
    r.headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

/// Checks the VAPID `Authorization` of a push (RFC 8292): an ES256 JWT for
/// the push service's origin, signed by the key the page gave the browser.
fn check_vapid(r: &Received, origin: &str, vapid_key: &str, now: i64) {
    let auth = header(r, "authorization");
    let rest = auth.strip_prefix("vapid ").unwrap_or_else(|| panic!("a VAPID authorization: {auth}"));
    let (t, k) = rest.split_once(", ").unwrap();
    let (jwt, k) = (t.strip_prefix("t=").unwrap(), k.strip_prefix("k=").unwrap());
    assert_eq!(k, vapid_key, "signed with the key browsers subscribed with");
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let head: serde_json::Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(head["alg"], "ES256");
    let claims: serde_json::Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["aud"], origin, "the audience is the push service's origin, port included");
    let exp = claims["exp"].as_i64().unwrap();
    assert!(exp > now && exp <= now + 24 * 3600, "expires within a day (RFC 8292 §2): {exp} at {now}");
    let sub = claims["sub"].as_str().unwrap();
    assert!(sub.starts_with("mailto:") || sub.starts_with("https://"), "a contact: {sub}");
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&B64.decode(k).unwrap()).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&B64.decode(parts[2]).unwrap()).unwrap();
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).expect("the VAPID signature verifies");
}

/// The VAPID key the devices page hands to the browser's push manager.
fn vapid_key_in(html: &str) -> String {
    let at = html.find("data-key=\"").expect("the page carries the VAPID key") + "data-key=\"".len();
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

pub(crate) async fn add_device(b: &Browser, endpoint: &str, d: &Device, label: &str) -> reqwest::Response {
    b.post("/settings/devices", &[("endpoint", endpoint), ("p256dh", &d.p256dh()), ("auth", &d.auth()), ("label", label)]).await
}

/// Runs the jobs due now and waits until none is in the middle of running
/// (the server's own runner may have taken one).
async fn attempt_due_jobs(server: &Server) {
    for _ in 0..500 {
        server.app().run_due_jobs().await;
        if server.app().store.jobs_with_status("running", 10).await.unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("a job still running after 5 s");
}

#[tokio::test]
async fn a_test_notification_reaches_the_device_encrypted_and_signed_on_both_databases() {
    for backend in ["sqlite", "postgres"] {
        let server = Server::start_on_with(backend, loopback_push_service).await;
        let push = PushService::start().await;
        let ada = server.signed_in("ada@example.org").await;
        let laptop = Device::new(7);

        // Given Ada chose "Notify me on this device" on her laptop,
        let page = ada.get_ok("/settings/devices").await;
        assert!(page.contains("Notify me on this device"), "{backend}");
        let vapid_key = vapid_key_in(&page);
        assert_eq!(B64.decode(&vapid_key).unwrap().len(), 65, "an uncompressed P-256 point");
        let r = add_device(&ada, &push.endpoint("/push/ada-laptop"), &laptop, "Firefox on Linux").await;
        assert_eq!(r.status(), StatusCode::CREATED, "{backend}");
        assert!(ada.get_ok("/settings/devices").await.contains("Firefox on Linux"), "her devices list the laptop");

        // when she sends herself a test notification,
        let r = ada.post("/settings/devices/test", &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(ada.get_ok(&location(&r)).await.contains("A test notification is on its way to your device."));
        server.deliver_jobs().await;

        // then her push service got one message only her laptop can read, signed by this site.
        let got = push.received("/push/ada-laptop");
        assert_eq!(got.len(), 1, "{backend}");
        let m = laptop.decrypt(&got[0]);
        assert_eq!(m["title"], "Test notification");
        assert_eq!(m["url"], server.url("/settings/devices"));
        assert_eq!(header(&got[0], "content-encoding"), "aes128gcm");
        assert!(header(&got[0], "ttl").parse::<i64>().unwrap() > 0);
        assert_eq!(header(&got[0], "urgency"), "normal");
        let topic = header(&got[0], "topic");
        assert!(!topic.is_empty() && topic.len() <= 32 && topic.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(m["tag"], topic.as_str(), "shown under its topic, so a second copy replaces the first");
        check_vapid(&got[0], &push.origin, &vapid_key, server.app().now());
        assert!(Device::new(9).decrypt_fails(&got[0]), "another browser's keys cannot read it");

        // The key pair is the instance's: a restart (or another node) signs with the same one.
        let again =
            cowork_server::open(cowork_server::Config { database_url: server.app().config.database_url.clone(), ..Default::default() })
                .await
                .unwrap();
        assert_eq!(again.vapid_public_key().await.unwrap(), vapid_key, "{backend}");
    }
}

impl Device {
    fn decrypt_fails(&self, r: &Received) -> bool {
        let auth = web_push_native::Auth::clone_from_slice(&self.auth);
        web_push_native::decrypt(r.body.clone(), &self.secret, &auth).is_err()
    }
}

#[tokio::test]
async fn a_busy_push_service_gets_the_same_message_again_later_and_a_forgotten_device_is_removed() {
    let server = Server::start_on_with("sqlite", loopback_push_service).await;
    let push = PushService::start().await;
    let ada = server.signed_in("ada@example.org").await;
    let (laptop, phone) = (Device::new(7), Device::new(11));
    assert_eq!(add_device(&ada, &push.endpoint("/push/laptop"), &laptop, "Firefox on Linux").await.status(), StatusCode::CREATED);
    assert_eq!(add_device(&ada, &push.endpoint("/push/phone"), &phone, "Chrome on Android").await.status(), StatusCode::CREATED);
    // The laptop's push service is overloaded once; the phone's forgot the phone.
    push.answer("/push/laptop", &[503]);
    push.answer("/push/phone", &[410]);

    let r = ada.post("/settings/devices/test", &[]).await;
    assert!(location(&r).ends_with("?sent=2"), "{}", location(&r));
    attempt_due_jobs(&server).await;
    assert_eq!(push.received("/push/laptop").len(), 1);
    assert_eq!(push.received("/push/phone").len(), 1);
    let page = ada.get_ok("/settings/devices").await;
    assert!(page.contains("Firefox on Linux"), "the laptop stays");
    assert!(!page.contains("Chrome on Android"), "the device its push service answered 410 for is gone");

    // An hour later the retry goes out: the same message under the same Topic,
    // so the push service (and the browser) can tell it is the same one.
    server.app().clock.advance(3600);
    server.deliver_jobs().await;
    let laptop_got = push.received("/push/laptop");
    assert_eq!(laptop_got.len(), 2, "retried once, then done");
    assert_eq!(header(&laptop_got[0], "topic"), header(&laptop_got[1], "topic"));
    assert_eq!(laptop.decrypt(&laptop_got[0]), laptop.decrypt(&laptop_got[1]));
    assert_eq!(push.received("/push/phone").len(), 1, "nothing more goes to a removed device");
    let jobs = server.app().store.jobs_of_kind("push.send", 10).await.unwrap();
    assert!(jobs.iter().all(|j| j.status == "done"), "{jobs:?}");
    assert!(jobs.iter().any(|j| j.note.contains("(410)")), "{jobs:?}");
}

#[tokio::test]
async fn a_device_that_is_not_one_is_refused_and_nobody_removes_another_persons_device_on_both_databases() {
    for backend in ["sqlite", "postgres"] {
        let server = Server::start_on_with(backend, loopback_push_service).await;
        let ada = server.signed_in("ada@example.org").await;
        let d = Device::new(7);
        let bad = [
            ("ftp://push.example.org/x", d.p256dh(), d.auth(), "That is not a push service address"),
            ("http://push.example.org/x", d.p256dh(), d.auth(), "That is not a push service address"),
            ("https://push.example.org/x", B64.encode([4u8; 65]), d.auth(), "P-256 public key"),
            ("https://push.example.org/x", d.p256dh(), B64.encode([1u8; 8]), "16-byte authentication secret"),
        ];
        for (endpoint, p256dh, auth, says) in bad {
            let r = ada.post("/settings/devices", &[("endpoint", endpoint), ("p256dh", &p256dh), ("auth", &auth)]).await;
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{endpoint}");
            assert!(r.text().await.unwrap().contains(says), "{says}");
        }
        // Without the page's CSRF value nothing is kept either.
        let r = ada
            .http
            .post(ada.url("/settings/devices"))
            .form(&[("endpoint", "https://push.example.org/y"), ("p256dh", &d.p256dh()), ("auth", &d.auth())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(ada.get_ok("/settings/devices").await.contains("No device yet."));
        // With no device, a test notification says why it cannot go; clicking on
        // and on is slowed down.
        let r = ada.post("/settings/devices/test", &[]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("There is no device to send to yet"));
        for _ in 1..10 {
            assert_eq!(ada.post("/settings/devices/test", &[]).await.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
        assert_eq!(ada.post("/settings/devices/test", &[]).await.status(), StatusCode::TOO_MANY_REQUESTS);

        // Ada's device cannot be removed by Bob.
        let r = add_device(&ada, "https://push.example.org/ada", &d, "Firefox on Linux").await;
        let id = r.json::<serde_json::Value>().await.unwrap()["id"].as_str().unwrap().to_string();
        let bob = server.signed_in("bob@example.org").await;
        let r = bob.post(&format!("/settings/devices/{id}/remove"), &[]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(ada.get_ok("/settings/devices").await.contains("Firefox on Linux"));
        let r = ada.post(&format!("/settings/devices/{id}/remove"), &[]).await;
        assert!(ada.get_ok(&location(&r)).await.contains("That device will not be notified any more."));
        assert!(ada.get_ok("/settings/devices").await.contains("No device yet."));

        // Twenty devices is plenty: a twenty-first is refused, one already there is kept.
        for n in 0..20 {
            let r = add_device(&ada, &format!("https://push.example.org/{n}"), &d, &format!("Device {n}")).await;
            assert_eq!(r.status(), StatusCode::CREATED);
        }
        let r = add_device(&ada, "https://push.example.org/one-more", &d, "One more").await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.unwrap().contains("remove one first"));
        assert_eq!(add_device(&ada, "https://push.example.org/3", &d, "Device 3, renamed").await.status(), StatusCode::CREATED);
        let page = ada.get_ok("/settings/devices").await;
        assert!(page.contains("Device 3, renamed") && !page.contains("One more"));
    }
}

#[tokio::test]
async fn a_script_lists_adds_and_removes_devices_through_the_api() {
    let server = Server::start_on_with("sqlite", loopback_push_service).await;
    let token = server.token("ada@example.org").await;
    let http = reqwest::Client::new();
    let d = Device::new(7);
    let list = http.get(server.url("/api/v1/me/devices")).bearer_auth(&token).sent().await;
    assert_eq!(list.status(), StatusCode::OK);
    let list: serde_json::Value = list.json().await.unwrap();
    assert_eq!(B64.decode(list["vapid_public_key"].as_str().unwrap()).unwrap().len(), 65);
    assert_eq!(list["items"], serde_json::json!([]));

    let body = serde_json::json!({ "endpoint": "https://push.example.org/a", "p256dh": d.p256dh(), "auth": d.auth(), "label": "Kiosk" });
    let r = http.post(server.url("/api/v1/me/devices")).bearer_auth(&token).json(&body).sent().await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let added: serde_json::Value = r.json().await.unwrap();
    assert_eq!(added["label"], "Kiosk");
    assert!(added.get("auth").is_none() && added.get("endpoint").is_none(), "the browser's secrets stay on the server");

    let bad = serde_json::json!({ "endpoint": "https://push.example.org/b", "p256dh": "not-a-key", "auth": d.auth() });
    let r = http.post(server.url("/api/v1/me/devices")).bearer_auth(&token).json(&bad).sent().await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: serde_json::Value = r.json().await.unwrap();
    assert_eq!(e["error"]["fields"][0]["field"], "p256dh", "{e}");

    let id = added["id"].as_str().unwrap();
    let other = server.token("bob@example.org").await;
    let r = http.delete(server.url(&format!("/api/v1/me/devices/{id}"))).bearer_auth(&other).sent().await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not Bob's to remove");
    let r = http.delete(server.url(&format!("/api/v1/me/devices/{id}"))).bearer_auth(&token).sent().await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let list: serde_json::Value = http.get(server.url("/api/v1/me/devices")).bearer_auth(&token).sent().await.json().await.unwrap();
    assert_eq!(list["items"], serde_json::json!([]));
}

#[tokio::test]
async fn a_push_that_matters_until_a_start_is_urgent_kept_no_longer_and_enqueued_once() {
    let server = Server::start_on_with("sqlite", loopback_push_service).await;
    let push = PushService::start().await;
    let ada = server.signed_in("ada@example.org").await;
    let laptop = Device::new(7);
    assert_eq!(add_device(&ada, &push.endpoint("/push/laptop"), &laptop, "Firefox on Linux").await.status(), StatusCode::CREATED);
    let account = server.account("ada@example.org").await;

    // "Starting now", useful for ten minutes, enqueued twice by the same change.
    let start = server.app().now() + 600;
    let n = cowork_server::app::push::Notification {
        title: "Weekly Coworking is starting",
        body: "The room is open.",
        url: "/upcoming",
        key: "starting:session-1:ada",
        urgent: true,
        deadline: Some(start),
    };
    assert_eq!(server.app().enqueue_push(&account.id, &n).await.unwrap(), 1);
    assert_eq!(server.app().enqueue_push(&account.id, &n).await.unwrap(), 0, "the same key is enqueued once");
    server.deliver_jobs().await;
    let got = push.received("/push/laptop");
    assert_eq!(got.len(), 1);
    assert_eq!(header(&got[0], "urgency"), "high");
    let ttl: i64 = header(&got[0], "ttl").parse().unwrap();
    assert!(ttl > 0 && ttl <= 600, "a push service keeps it until the start at most: {ttl}");
    assert_eq!(laptop.decrypt(&got[0])["title"], "Weekly Coworking is starting");

    // Once the start has passed, such a push is dropped, not sent late.
    server.app().clock.advance(601);
    let late = cowork_server::app::push::Notification { key: "starting:session-2:ada", ..n };
    assert_eq!(server.app().enqueue_push(&account.id, &late).await.unwrap(), 1);
    server.deliver_jobs().await;
    assert_eq!(push.received("/push/laptop").len(), 1, "nothing sent after the start");
    assert_eq!(server.app().store.job_counts().await.unwrap().dropped, 1);
}

/// The push service of these tests listens on loopback, which outgoing
/// requests only reach when the instance allows private addresses.
pub(crate) fn loopback_push_service(c: &mut cowork_server::Config) {
    c.allow_private_webhooks = true;
}

//! Web push: people choose the browsers they want to be notified on; a push
//! to a person becomes one `push.send` job per browser, which encrypts the
//! message for that browser (RFC 8291, aes128gcm) and hands it to its push
//! service, signed with the instance's VAPID key (RFC 8292).

use super::jobs::{Attempt, Outcome};
use super::{App, AppError, AppResult};
use crate::outgoing::OutgoingError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use cowork_core::notifications::{Channel, Kind};
use cowork_core::{FieldError, Invalid};
use cowork_store::{Account, Job, PushMessage, PushSubscription};
use p256::ecdsa::signature::Signer as _;

/// How long a push service keeps a message for a browser that is offline.
const TTL_SECONDS: i64 = 12 * 3600;
/// A browser gives an endpoint of a few hundred characters.
const MAX_ENDPOINT: usize = 2048;
/// Devices one person is notified on: more is a script, not a person, and
/// each push would fan out to every one of them.
pub const MAX_DEVICES: usize = 20;

/// What a browser's `PushSubscription.toJSON()` gives, and a name for it.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct DeviceInput {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub label: String,
}

/// What other features push to a person (a reminder, "starting now").
pub struct Notification<'a> {
    pub title: &'a str,
    pub body: &'a str,
    /// Opened on a click; a path is made absolute with the site's base URL.
    pub url: &'a str,
    /// Which message this is (a reminder of one session for one person): the
    /// same key is enqueued once and carries the same `Topic` on every try.
    pub key: &'a str,
    /// `Urgency: high`, for what is happening now.
    pub urgent: bool,
    /// Useless after this instant (the session's start): not sent later, and
    /// a push service holding it for an offline browser drops it by then.
    pub deadline: Option<i64>,
}

/// A fresh VAPID key pair, base64url: (private scalar, uncompressed public point).
pub fn new_vapid_pair() -> (String, String) {
    loop {
        let mut b = [0u8; 32];
        getrandom::getrandom(&mut b).expect("the OS random source works");
        // A random 32 bytes is a valid scalar unless zero or past the order (odds ~2^-32).
        if let Ok(key) = p256::SecretKey::from_slice(&b) {
            let public = key.public_key().to_sec1_bytes();
            return (B64.encode(b), B64.encode(public));
        }
    }
}

/// The Topic header (RFC 8030 §5.4: at most 32 base64url characters) for an
/// idempotency key: the same key always gives the same topic, so a retry, or
/// a second send after a crash, replaces the message instead of adding one.
pub fn topic(key: &str) -> String {
    use sha2::Digest;
    B64.encode(&sha2::Sha256::digest(key.as_bytes())[..24])
}

/// An ES256 JWT for `audience` (the push service's origin), as RFC 8292 asks.
fn vapid_jwt(private_key: &str, audience: &str, subject: &str, expires: i64) -> Result<String, String> {
    let raw = B64.decode(private_key).map_err(|_| "the VAPID private key is not base64url".to_string())?;
    let key = p256::ecdsa::SigningKey::from_slice(&raw).map_err(|_| "the VAPID private key is not a P-256 key".to_string())?;
    let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    let claims = B64.encode(serde_json::json!({ "aud": audience, "exp": expires, "sub": subject }).to_string());
    let signed = format!("{header}.{claims}");
    let signature: p256::ecdsa::Signature = key.sign(signed.as_bytes());
    Ok(format!("{signed}.{}", B64.encode(signature.to_bytes())))
}

impl App {
    /// The public half of the instance's VAPID key, which browsers subscribe with.
    pub async fn vapid_public_key(&self) -> AppResult<String> {
        Ok(self.store.vapid_keys(new_vapid_pair, self.now()).await?.1)
    }

    /// Keeps the browser `me` asked to be notified on.
    pub async fn add_push_device(&self, me: &Account, d: &DeviceInput) -> AppResult<PushSubscription> {
        let endpoint = d.endpoint.trim();
        let mut problems = Invalid(Vec::new());
        match reqwest::Url::parse(endpoint) {
            _ if endpoint.len() > MAX_ENDPOINT => problems.push(FieldError::new("endpoint", "That push address is too long.")),
            Ok(u) if u.scheme() == "https" && u.host().is_some() => {}
            // Plain http only to this machine: a push service under test or development.
            Ok(u) if u.scheme() == "http" && matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]")) => {}
            _ => problems.push(FieldError::new("endpoint", "That is not a push service address (https://…).")),
        }
        let key = B64.decode(d.p256dh.trim()).ok().filter(|k| p256::PublicKey::from_sec1_bytes(k).is_ok());
        if key.is_none() {
            problems.push(FieldError::new("p256dh", "That is not the browser's P-256 public key."));
        }
        if B64.decode(d.auth.trim()).map(|a| a.len()) != Ok(16) {
            problems.push(FieldError::new("auth", "That is not the browser's 16-byte authentication secret."));
        }
        if !problems.0.is_empty() {
            return Err(problems.into());
        }
        let mine = self.store.push_subscriptions(&me.id).await?;
        if mine.len() >= MAX_DEVICES && !mine.iter().any(|s| s.endpoint == endpoint) {
            return Err(Invalid::one("endpoint", format!("You are notified on {MAX_DEVICES} devices already; remove one first.")).into());
        }
        let label: String = d.label.trim().chars().filter(|c| !c.is_control()).take(80).collect();
        let label = if label.is_empty() { "A browser".to_string() } else { label };
        Ok(self.store.save_push_subscription(&me.id, endpoint, d.p256dh.trim(), d.auth.trim(), &label, self.now()).await?)
    }

    pub async fn push_devices(&self, me: &Account) -> AppResult<Vec<PushSubscription>> {
        Ok(self.store.push_subscriptions(&me.id).await?)
    }

    pub async fn remove_push_device(&self, me: &Account, id: &str) -> AppResult<()> {
        if self.store.delete_push_subscription(&me.id, id).await? {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    /// Pushes to the person's browsers if they chose push for `kind` and did
    /// not mute the community (a job's handler calls it; errors retry the job).
    pub(super) async fn push_if_chosen(
        &self,
        kind: Kind,
        community_id: &str,
        account_id: &str,
        n: &Notification<'_>,
    ) -> Result<(), String> {
        if self.store.notification_choice(account_id, kind, Channel::Push).await.map_err(|e| e.to_string())?.enabled
            // A muted community still confirms the person's own answers, as by mail.
            && (kind == Kind::Confirmations || !self.store.is_muted(account_id, community_id).await.map_err(|e| e.to_string())?)
        {
            self.enqueue_push(account_id, n).await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Pushes a notification to each of the person's browsers; returns how
    /// many it goes to. Pushing the same `key` again sends nothing new.
    pub async fn enqueue_push(&self, account_id: &str, n: &Notification<'_>) -> AppResult<usize> {
        let message = PushMessage { title: n.title.into(), body: n.body.into(), url: n.url.into(), topic: topic(n.key), urgent: n.urgent };
        let queued = self.store.enqueue_push(account_id, &message, n.deadline, self.now()).await?;
        if queued > 0 {
            self.jobs_due();
        }
        Ok(queued)
    }

    /// "Send a test notification": one to each of my browsers.
    pub async fn send_test_push(&self, me: &Account) -> AppResult<usize> {
        self.rate_limit(&[(format!("test-push:{}", me.id), 10, 3600)]).await?;
        let key = format!("test:{}:{}", me.id, super::secret(8));
        let body = format!("Notifications from {} reach this device.", self.config.site_name);
        let n =
            Notification { title: "Test notification", body: &body, url: "/settings/devices", key: &key, urgent: false, deadline: None };
        self.enqueue_push(&me.id, &n).await
    }

    /// A `push.send` job: encrypts the message for one browser and POSTs it to
    /// its push service. A service that no longer knows the browser (404, 410)
    /// has it removed; a busy or failing one (429, 5xx, no answer) is retried.
    pub(super) async fn send_push(&self, job: &Job) -> Attempt {
        #[derive(serde::Deserialize)]
        struct Payload {
            subscription: String,
            title: String,
            body: String,
            url: String,
            topic: String,
            #[serde(default)]
            urgent: bool,
        }
        let p: Payload = serde_json::from_str(&job.payload).map_err(|e| format!("unreadable payload: {e}"))?;
        let Some(sub) = self.store.push_subscription(&p.subscription).await.map_err(|e| e.to_string())? else {
            return Ok(Outcome::Nothing("the device was removed".into()));
        };
        let (private, public) = self.store.vapid_keys(new_vapid_pair, self.now()).await.map_err(|e| e.to_string())?;
        let ua_public = B64
            .decode(&sub.p256dh)
            .ok()
            .and_then(|k| p256::PublicKey::from_sec1_bytes(&k).ok())
            .ok_or("the device's public key is unreadable")?;
        let auth = B64.decode(&sub.auth).map_err(|_| "the device's auth secret is unreadable")?;
        if auth.len() != 16 {
            return Err("the device's auth secret is not 16 bytes".into());
        }
        // The topic is the notification's tag too: a message that arrives twice
        // replaces itself on the screen instead of showing twice.
        let message = serde_json::json!({ "title": p.title, "body": p.body, "url": self.absolute(&p.url), "tag": p.topic }).to_string();
        let encrypted = web_push_native::encrypt(message.into_bytes(), &ua_public, web_push_native::Auth::from_slice(&auth))
            .map_err(|e| format!("encrypting: {e}"))?;
        let audience = reqwest::Url::parse(&sub.endpoint).map_err(|e| format!("endpoint: {e}"))?.origin().ascii_serialization();
        let jwt = vapid_jwt(&private, &audience, &self.vapid_subject(), self.now() + TTL_SECONDS)?;
        // Kept for an offline browser no longer than it is of use.
        let ttl = if job.deadline > 0 { (job.deadline - self.now()).clamp(0, TTL_SECONDS) } else { TTL_SECONDS };
        let headers = [
            ("authorization", format!("vapid t={jwt}, k={public}")),
            ("ttl", ttl.to_string()),
            ("urgency", if p.urgent { "high" } else { "normal" }.to_string()),
            ("topic", p.topic.clone()),
            ("content-encoding", "aes128gcm".to_string()),
            ("content-type", "application/octet-stream".to_string()),
        ];
        let answer = match self.outgoing.send("POST", &sub.endpoint, &headers, encrypted).await {
            Ok(a) => a,
            // An endpoint we will never call (not http(s), or a private address): forget the device.
            Err(e @ (OutgoingError::BadUrl(_) | OutgoingError::Private(_))) => {
                self.store.forget_push_subscription(&sub.id).await.map_err(|e| e.to_string())?;
                return Ok(Outcome::Nothing(format!("{e}; the device was removed")));
            }
            Err(e) => return Err(e.to_string()),
        };
        match answer.status {
            200..=299 => Ok(Outcome::Done),
            404 | 410 => {
                self.store.forget_push_subscription(&sub.id).await.map_err(|e| e.to_string())?;
                Ok(Outcome::Nothing(format!("the push service no longer knows this device ({}); it was removed", answer.status)))
            }
            status => {
                let said: String = answer.body.chars().take(200).collect();
                Err(format!("the push service answered {status}: {said}"))
            }
        }
    }

    /// Who push services may contact about our pushes: the site, or its mail address.
    fn vapid_subject(&self) -> String {
        if self.config.base_url.starts_with("https://") {
            return self.config.base_url.clone();
        }
        let from = &self.config.mail_from;
        let address = match (from.find('<'), from.rfind('>')) {
            (Some(a), Some(b)) if a < b => &from[a + 1..b],
            _ => from.as_str(),
        };
        format!("mailto:{}", address.trim())
    }

    fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", self.config.base_url)
        } else {
            url.to_string()
        }
    }
}

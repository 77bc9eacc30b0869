//! What each chat tool receives, in its own documented shape, and the
//! Standard Webhooks signature of generic deliveries.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cowork_core::webhooks::{slack_escape, Kind};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

/// A message about one event, before it takes a tool's shape.
#[derive(Debug, Clone)]
pub struct Message {
    /// The event name (`session.starting`, …).
    pub event: String,
    /// One line, plain text.
    pub headline: String,
    /// More lines, plain text (may be empty).
    pub details: Vec<String>,
    /// Where to go (the session, the room, the schedule).
    pub link: String,
    pub link_label: String,
    /// The event's data for generic endpoints.
    pub data: Value,
}

impl Message {
    fn plain(&self) -> String {
        let mut s = self.headline.clone();
        for d in &self.details {
            s.push('\n');
            s.push_str(d);
        }
        if !self.link.is_empty() {
            s.push_str(&format!("\n{}: {}", self.link_label, self.link));
        }
        s
    }
}

/// The request a delivery makes: method, headers and JSON body.
pub struct Request {
    pub method: &'static str,
    /// Matrix takes the transaction id at the end of the URL.
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// Shapes `m` for an endpoint. `id` is the delivery's idempotency key (the
/// job id): the `webhook-id` of generic endpoints, Matrix's transaction id.
pub fn request(kind: Kind, url: &str, secret: &str, id: &str, timestamp: i64, m: &Message) -> Request {
    let body = match kind {
        // https://api.slack.com/messaging/webhooks: `text` is the fallback, `blocks` the layout.
        Kind::Slack => {
            let mut mrkdwn = format!("*{}*", slack_escape(&m.headline));
            for d in &m.details {
                mrkdwn.push_str(&format!("\n{}", slack_escape(d)));
            }
            if !m.link.is_empty() {
                mrkdwn.push_str(&format!("\n<{}|{}>", m.link, slack_escape(&m.link_label)));
            }
            json!({
                "text": slack_escape(&m.plain()),
                "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": mrkdwn } }],
            })
        }
        // https://discord.com/developers/docs/resources/webhook#execute-webhook: no
        // mention in a title people wrote may ping anyone.
        Kind::Discord => json!({
            "content": m.headline,
            "embeds": [{ "title": m.headline, "description": m.details.join("\n"), "url": m.link }],
            "allowed_mentions": { "parse": [] },
        }),
        // https://spec.matrix.org/latest/client-server-api/#mroommessage (m.text with HTML).
        Kind::Matrix => {
            let mut html = format!("<strong>{}</strong>", html_escape(&m.headline));
            for d in &m.details {
                html.push_str(&format!("<br>{}", html_escape(d)));
            }
            if !m.link.is_empty() {
                html.push_str(&format!("<br><a href=\"{}\">{}</a>", html_escape(&m.link), html_escape(&m.link_label)));
            }
            json!({ "msgtype": "m.text", "body": m.plain(), "format": "org.matrix.custom.html", "formatted_body": html })
        }
        Kind::Generic => json!({ "type": m.event, "timestamp": rfc3339(timestamp), "data": m.data }),
    }
    .to_string();
    match kind {
        Kind::Matrix => Request {
            method: "PUT",
            url: format!("{}/{}", url.trim_end_matches('/'), urlencode(id)),
            headers: vec![("authorization", format!("Bearer {secret}"))],
            body,
        },
        Kind::Generic => Request {
            method: "POST",
            url: url.to_string(),
            headers: vec![
                ("webhook-id", id.to_string()),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", sign(secret, id, timestamp, &body).unwrap_or_default()),
            ],
            body,
        },
        Kind::Slack | Kind::Discord => {
            Request { method: "POST", url: url.to_string(), headers: vec![("webhook-id", id.to_string())], body }
        }
    }
}

/// A new signing secret: `whsec_` and 24 random bytes in base64.
pub fn new_secret() -> String {
    let mut b = [0u8; 24];
    getrandom::getrandom(&mut b).expect("the OS random source works");
    format!("whsec_{}", STANDARD.encode(b))
}

/// The Standard Webhooks signature: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}`, keyed with the base64 secret after `whsec_`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).ok()?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

fn rfc3339(t: i64) -> String {
    jiff::Timestamp::from_second(t).map(|t| t.to_string()).unwrap_or_default()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference test vector of the Standard Webhooks libraries.
    #[test]
    fn signs_like_the_standard_webhooks_reference() {
        let sig = sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, r#"{"test": 2432232314}"#);
        assert_eq!(sig.as_deref(), Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    }

    #[test]
    fn a_new_secret_signs() {
        let s = new_secret();
        assert!(s.starts_with("whsec_"));
        assert!(sign(&s, "msg_1", 1, "{}").is_some());
        assert_ne!(new_secret(), s);
    }
}

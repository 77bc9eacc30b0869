//! Requests cowork makes to other servers (webhooks; web push may share it).
//! They follow no redirects, time out, read at most a small answer, and go
//! only to public addresses unless the instance admin allows private ones:
//! the host is resolved here, every address checked, and the connection made
//! to an address that was checked, so a DNS answer that changes between the
//! check and the connection (rebinding) cannot reach the local network.

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The most of an answer's body that is read (enough for an error message).
const MAX_ANSWER: usize = 16 * 1024;

/// Why a request was not made or did not succeed, in words for the organizer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutgoingError {
    #[error("{0}")]
    BadUrl(String),
    #[error("{0} is a private or local address; cowork only calls the public internet.")]
    Private(String),
    #[error("No answer within {}.", seconds(*.0))]
    Timeout(u64),
    #[error("{0}")]
    Failed(String),
}

fn seconds(n: u64) -> String {
    if n == 1 {
        "a second".into()
    } else {
        format!("{n} seconds")
    }
}

/// An answer: its status and the start of its body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Clone)]
pub struct Outgoing {
    client: reqwest::Client,
    allow_private: bool,
    timeout: Duration,
}

struct CheckedResolver {
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addrs = checked_addresses(name.as_str(), allow_private).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The addresses of `host`, all of them public (or private ones allowed).
async fn checked_addresses(host: &str, allow_private: bool) -> Result<Vec<SocketAddr>, OutgoingError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|_| OutgoingError::Failed(format!("The host name {host} could not be found.")))?
        .collect();
    if addrs.is_empty() {
        return Err(OutgoingError::Failed(format!("The host name {host} could not be found.")));
    }
    if !allow_private {
        if let Some(a) = addrs.iter().find(|a| !cowork_core::webhooks::is_public(a.ip())) {
            return Err(OutgoingError::Private(format!("{host} ({})", a.ip())));
        }
    }
    Ok(addrs)
}

impl Outgoing {
    pub fn new(allow_private: bool, timeout: Duration) -> Outgoing {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout)
            .dns_resolver(Arc::new(CheckedResolver { allow_private }))
            .user_agent("cowork")
            .build()
            .expect("the HTTP client's settings are valid");
        Outgoing { client, allow_private, timeout }
    }

    /// Checks a URL before it is saved or called: http(s), and a host that
    /// resolves to addresses it may reach.
    pub async fn check(&self, url: &str) -> Result<reqwest::Url, OutgoingError> {
        let parsed = reqwest::Url::parse(url).map_err(|_| OutgoingError::BadUrl("That is not a valid URL.".into()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(OutgoingError::BadUrl("Use an http:// or https:// URL.".into()));
        }
        let host = parsed.host_str().ok_or_else(|| OutgoingError::BadUrl("That URL has no host.".into()))?;
        // The resolver is not asked about literal addresses: they are checked here.
        match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            Ok(ip) => self.literal(ip)?,
            Err(_) => {
                checked_addresses(host, self.allow_private).await?;
            }
        }
        Ok(parsed)
    }

    fn literal(&self, ip: IpAddr) -> Result<(), OutgoingError> {
        if self.allow_private || cowork_core::webhooks::is_public(ip) {
            Ok(())
        } else {
            Err(OutgoingError::Private(ip.to_string()))
        }
    }

    /// POSTs (or PUTs) `body` with `headers` (JSON unless they name another
    /// content-type); any answer is returned, 2xx or not (a redirect is an
    /// answer too, never followed).
    pub async fn send(&self, method: &str, url: &str, headers: &[(&str, String)], body: Vec<u8>) -> Result<Answer, OutgoingError> {
        let url = self.check(url).await?;
        let method = if method == "PUT" { reqwest::Method::PUT } else { reqwest::Method::POST };
        let mut req = self.client.request(method, url).body(body);
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
            req = req.header("content-type", "application/json");
        }
        for (name, value) in headers {
            req = req.header(*name, value.as_str());
        }
        let mut res = req.send().await.map_err(|e| self.error(e))?;
        let status = res.status().as_u16();
        let mut body = Vec::new();
        while body.len() < MAX_ANSWER {
            match res.chunk().await {
                Ok(Some(c)) => body.extend_from_slice(&c[..c.len().min(MAX_ANSWER - body.len())]),
                Ok(None) => break,
                Err(e) => return Err(self.error(e)),
            }
        }
        Ok(Answer { status, body: String::from_utf8_lossy(&body).into_owned() })
    }

    fn error(&self, e: reqwest::Error) -> OutgoingError {
        if e.is_timeout() {
            return OutgoingError::Timeout(self.timeout.as_secs().max(1));
        }
        // The resolver's refusal, wrapped by the client: say it plainly.
        let mut source: Option<&dyn std::error::Error> = Some(&e);
        while let Some(s) = source {
            if let Some(o) = s.downcast_ref::<OutgoingError>() {
                return o.clone();
            }
            source = s.source();
        }
        if e.is_connect() {
            OutgoingError::Failed("Could not connect to that server.".into())
        } else {
            OutgoingError::Failed("The request failed before an answer came.".into())
        }
    }
}

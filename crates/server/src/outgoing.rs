//! Requests cowork makes to other servers (push services, webhooks). Each one
//! times out, follows no redirect (a redirect could lead a request somewhere
//! it was never meant to go), and reads at most a few kilobytes of the answer:
//! a slow or hostile server can hold a job runner neither long nor much.

use std::time::Duration;

/// How long one request may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an answer's body is kept; the rest is not read.
pub const ANSWER_CAP: usize = 16 * 1024;

/// The HTTP client for outgoing requests; cheap to clone (one connection pool).
#[derive(Clone)]
pub struct Outgoing {
    client: reqwest::Client,
}

/// What the other server answered: its status and the start of its body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Why no answer came back.
#[derive(Debug, thiserror::Error)]
pub enum OutgoingError {
    #[error("not a usable URL: {0}")]
    Url(String),
    #[error("no answer within {} s", TIMEOUT.as_secs())]
    Timeout,
    #[error("could not reach the server: {0}")]
    Unreachable(String),
}

impl Default for Outgoing {
    fn default() -> Self {
        Outgoing::new(TIMEOUT)
    }
}

impl Outgoing {
    pub fn new(timeout: Duration) -> Outgoing {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cowork/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client's settings are valid");
        Outgoing { client }
    }

    /// POSTs `body` with `headers` to `url`. Any status is an answer (a 3xx
    /// is not followed); only a failure to get one is an error.
    pub async fn post(&self, url: &str, headers: &[(&str, String)], body: Vec<u8>) -> Result<Answer, OutgoingError> {
        let url = reqwest::Url::parse(url).map_err(|e| OutgoingError::Url(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutgoingError::Url(format!("{} is not http or https", url.scheme())));
        }
        let mut req = self.client.post(url).body(body);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let mut res = req.send().await.map_err(failure)?;
        let status = res.status().as_u16();
        let mut body = Vec::new();
        while body.len() < ANSWER_CAP {
            match res.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(ANSWER_CAP - body.len())]),
                Ok(None) => break,
                // The status is what matters; a body cut short still leaves it.
                Err(e) if e.is_timeout() => return Err(OutgoingError::Timeout),
                Err(_) => break,
            }
        }
        Ok(Answer { status, body })
    }
}

fn failure(e: reqwest::Error) -> OutgoingError {
    if e.is_timeout() {
        OutgoingError::Timeout
    } else {
        // The innermost cause says what happened ("connection refused").
        let mut cause: &dyn std::error::Error = &e;
        while let Some(next) = cause.source() {
            cause = next;
        }
        OutgoingError::Unreachable(cause.to_string())
    }
}

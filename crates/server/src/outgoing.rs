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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A server on 127.0.0.1 that reads one request and then does `answer` with the socket.
    fn one_shot(answer: impl FnOnce(&mut std::net::TcpStream) + Send + 'static) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/push", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut socket, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf);
            answer(&mut socket);
        });
        url
    }

    #[tokio::test]
    async fn a_redirect_is_an_answer_not_followed() {
        let url = one_shot(|s| {
            let _ = s.write_all(b"HTTP/1.1 307 Temporary Redirect\r\nlocation: http://169.254.169.254/latest\r\ncontent-length: 0\r\n\r\n");
        });
        let a = Outgoing::default().post(&url, &[], b"x".to_vec()).await.unwrap();
        assert_eq!(a.status, 307);
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let url = one_shot(|_| std::thread::sleep(Duration::from_secs(3)));
        let e = Outgoing::new(Duration::from_millis(200)).post(&url, &[], Vec::new()).await.unwrap_err();
        assert!(matches!(e, OutgoingError::Timeout), "{e}");
    }

    #[tokio::test]
    async fn only_the_start_of_a_huge_answer_is_read() {
        let url = one_shot(|s| {
            let _ = s.write_all(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 10000000\r\n\r\n");
            let chunk = vec![b'a'; 64 * 1024];
            for _ in 0..(10_000_000 / chunk.len()) {
                if s.write_all(&chunk).is_err() {
                    return;
                }
            }
        });
        let a = Outgoing::default().post(&url, &[], Vec::new()).await.unwrap();
        assert_eq!((a.status, a.body.len()), (500, ANSWER_CAP));
    }

    #[tokio::test]
    async fn only_http_and_https_are_called() {
        let e = Outgoing::default().post("file:///etc/passwd", &[], Vec::new()).await.unwrap_err();
        assert!(matches!(e, OutgoingError::Url(_)), "{e}");
    }
}

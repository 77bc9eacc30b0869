//! Mail through a real SMTP conversation: a small SMTP server on port 0
//! receives what cowork sends, and bodies (which hold sign-in links) are not kept.

use crate::support::{location, Server};
use cowork_server::Config;
use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// How the test SMTP server answers: addresses refused for good at RCPT
/// (550), and a number of messages refused for now at the end of DATA (451).
#[derive(Default)]
pub struct SmtpRules {
    pub refuse: Vec<String>,
    pub busy_for: usize,
}

pub type Rules = std::sync::Arc<std::sync::Mutex<SmtpRules>>;

/// Accepts SMTP sessions and reports each message's DATA.
pub(crate) async fn smtp_server() -> (u16, mpsc::UnboundedReceiver<String>) {
    let (port, rx, _) = smtp_server_with_rules().await;
    (port, rx)
}

/// The same, answering as `Rules` say; only accepted messages are reported.
pub async fn smtp_server_with_rules() -> (u16, mpsc::UnboundedReceiver<String>, Rules) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    let rules: Rules = Default::default();
    let shared = rules.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let tx = tx.clone();
            let rules = shared.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(d) = data.as_mut() {
                        if line == "." {
                            let busy = {
                                let mut r = rules.lock().unwrap();
                                let busy = r.busy_for > 0;
                                r.busy_for = r.busy_for.saturating_sub(1);
                                busy
                            };
                            if busy {
                                data = None;
                                w.write_all(b"451 try again later\r\n").await.unwrap();
                            } else {
                                tx.send(data.take().unwrap()).unwrap();
                                w.write_all(b"250 queued\r\n").await.unwrap();
                            }
                        } else {
                            // SMTP's dot-stuffing undone.
                            d.push_str(line.strip_prefix('.').filter(|_| line.starts_with("..")).unwrap_or(&line));
                            d.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                    let refused = verb == "RCPT" && rules.lock().unwrap().refuse.iter().any(|a| line.contains(a.as_str()));
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-test\r\n250 8BITMIME\r\n",
                        "RCPT" if refused => b"550 5.1.1 no such mailbox\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go ahead\r\n"
                        }
                        "QUIT" => {
                            w.write_all(b"221 bye\r\n").await.unwrap();
                            break;
                        }
                        _ => b"250 ok\r\n",
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (port, rx, rules)
}

#[tokio::test]
async fn sign_in_links_go_out_through_smtp_and_are_not_kept() {
    let (port, mut received) = smtp_server().await;
    let server = Server::start_with(|c: &mut Config| {
        c.smtp_url = format!("smtp://127.0.0.1:{port}");
        c.mail_from = "Coworkers <hello@cowork.example.org>".into();
    })
    .await;
    let ada = server.client();
    let r = ada.post("/signin", &[("email", "ada@example.org")]).await;
    assert_eq!((r.status(), location(&r).as_str()), (StatusCode::SEE_OTHER, "/signin/sent"));
    let message = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv()).await.expect("mail arrives").unwrap();
    assert!(message.contains("To: ada@example.org"), "{message}");
    assert!(message.contains("From: Coworkers <hello@cowork.example.org>"), "{message}");
    let message = quoted_printable_decoded(&message);
    let at = message.find("/signin/link?token=").expect("the mail holds the link");
    let from = message[..at].rfind("http").unwrap();
    let link: String = message[from..].chars().take_while(|c| !c.is_whitespace()).collect();

    settle(&server).await;
    let kept = server.app().store.outbox(Some("ada@example.org"), 10).await.unwrap();
    assert_eq!(
        (kept.len(), kept[0].status.as_str(), kept[0].body.as_str(), kept[0].raw.as_str()),
        (1, "sent", "", ""),
        "recorded, without the link"
    );
    let job = &server.app().store.jobs_of_kind(cowork_store::MAIL_SIGN_IN, 1).await.unwrap()[0];
    assert!(!job.payload.contains("token"), "no secret waits in the queue: {}", job.payload);
    assert!(!message.contains("List-Unsubscribe"), "sign-in mail has no unsubscribe link");

    ada.follow_sign_in_link(&link).await;
    assert!(ada.get_ok("/").await.contains("Welcome back"));
}

#[tokio::test]
async fn a_failing_mail_server_does_not_change_the_answer_and_the_mail_waits_for_it() {
    // Nothing listens on this port: delivery fails, is recorded, and the job stays queued.
    let unused = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let server = Server::start_with(|c: &mut Config| c.smtp_url = format!("smtp://127.0.0.1:{unused}")).await;
    let r = server.client().post("/signin", &[("email", "ada@example.org")]).await;
    assert_eq!(location(&r), "/signin/sent");
    settle(&server).await;
    let kept = server.app().store.outbox(Some("ada@example.org"), 10).await.unwrap();
    assert_eq!(kept[0].status, "failed");
    assert!(!kept[0].error.is_empty());
    let job = &server.app().store.jobs_of_kind(cowork_store::MAIL_SIGN_IN, 5).await.unwrap()[0];
    assert_eq!((job.status.as_str(), job.attempts), ("queued", 1), "kept for a retry, not lost: {job:?}");
}

/// Runs due jobs until none is running and none is due now (retries may wait
/// for later); bounded, like `deliver_jobs`.
pub async fn settle(server: &Server) {
    for _ in 0..500 {
        server.app().run_due_jobs().await;
        let s = &server.app().store;
        let due = s.next_job_due().await.unwrap().is_some_and(|t| t <= server.app().now());
        if s.job_counts().await.unwrap().running == 0 && !due {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("jobs still running after 5 s");
}

/// What a mail client shows of a quoted-printable body (long lines are encoded so).
pub fn quoted_printable_decoded(s: &str) -> String {
    let s = s.replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

//! Mail through a real SMTP conversation: a small SMTP server on port 0
//! receives what cowork sends, and bodies (which hold sign-in links) are not kept.

use crate::support::{location, Server};
use cowork_server::Config;
use reqwest::StatusCode;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Accepts SMTP sessions and reports each message's DATA.
pub(crate) async fn smtp_server() -> (u16, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 test ESMTP\r\n").await.unwrap();
                let mut data: Option<String> = None;
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Some(d) = data.as_mut() {
                        if line == "." {
                            tx.send(data.take().unwrap()).unwrap();
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            d.push_str(&line);
                            d.push('\n');
                        }
                        continue;
                    }
                    let verb = line.split_whitespace().next().unwrap_or("").to_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "EHLO" | "HELO" => b"250-test\r\n250 8BITMIME\r\n",
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
    (port, rx)
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

    let kept = server.app().store.outbox(Some("ada@example.org"), 10).await.unwrap();
    assert_eq!((kept.len(), kept[0].status.as_str(), kept[0].body.as_str()), (1, "sent", ""), "recorded, without the body");

    ada.follow_sign_in_link(&link).await;
    assert!(ada.get_ok("/").await.contains("Welcome back"));
}

#[tokio::test]
async fn a_failing_mail_server_does_not_change_the_answer() {
    // Nothing listens on this port: delivery fails, is recorded and logged.
    let unused = TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port();
    let server = Server::start_with(|c: &mut Config| c.smtp_url = format!("smtp://127.0.0.1:{unused}")).await;
    let r = server.client().post("/signin", &[("email", "ada@example.org")]).await;
    assert_eq!(location(&r), "/signin/sent");
    let kept = server.app().store.outbox(Some("ada@example.org"), 10).await.unwrap();
    assert_eq!(kept[0].status, "failed");
    assert!(!kept[0].error.is_empty());
}

/// What a mail client shows of a quoted-printable body (long lines are encoded so).
fn quoted_printable_decoded(s: &str) -> String {
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

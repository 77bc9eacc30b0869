//! One mailer, two transports: SMTP when configured, otherwise the outbox
//! (stored, logged, readable by instance admins) so a fresh install works.

use crate::app::now;
use cowork_store::Store;
use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Message, Tokio1Executor};

#[derive(Clone)]
pub struct Mailer {
    store: Store,
    from: Mailbox,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

impl Mailer {
    /// `smtp_url` is like `smtps://user:pass@host:465` (TLS),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://localhost:25`
    /// (unencrypted, for a local relay); empty means the outbox.
    pub fn new(store: Store, smtp_url: &str, from: &str) -> Result<Mailer, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("mail sender address {from:?}: {e}"))?;
        let smtp = if smtp_url.trim().is_empty() {
            None
        } else {
            Some(
                // A stuck mail server must not hold a sign-in request for long.
                AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
                    .map_err(|e| format!("SMTP URL: {e}"))?
                    .timeout(Some(std::time::Duration::from_secs(10)))
                    .build(),
            )
        };
        Ok(Mailer { store, from, smtp })
    }

    pub fn uses_outbox(&self) -> bool {
        self.smtp.is_none()
    }

    /// Sends (or stores) one plain-text mail. Failure to deliver is recorded and
    /// logged, not shown: the person sees the same answer either way.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let now = now();
        let Some(smtp) = &self.smtp else {
            tracing::info!(to, subject, "mail stored in the outbox (no SMTP server configured):\n{body}");
            self.store.insert_mail(to, subject, body, "outbox", "stored", "", now).await.map_err(|e| e.to_string())?;
            return Ok(());
        };
        let to_box: Mailbox = to.parse().map_err(|e| format!("recipient: {e}"))?;
        let msg =
            Message::builder().from(self.from.clone()).to(to_box).subject(subject).body(body.to_string()).map_err(|e| e.to_string())?;
        // With a real server, bodies (which hold sign-in links) are not kept.
        let (status, error) = match smtp.send(msg).await {
            Ok(_) => ("sent", String::new()),
            Err(e) => {
                tracing::warn!(to, error = %e, "SMTP delivery failed");
                ("failed", e.to_string())
            }
        };
        self.store.insert_mail(to, subject, "", "smtp", status, &error, now).await.map_err(|e| e.to_string())?;
        if status == "failed" {
            Err(error)
        } else {
            Ok(())
        }
    }
}

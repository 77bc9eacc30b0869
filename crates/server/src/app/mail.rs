//! One mailer, two transports: SMTP when configured, otherwise the outbox
//! (stored, logged, readable by instance admins) so a fresh install works.
//! Every mail is a `Letter` sent by a job: a plain text and an HTML part (and
//! a calendar invitation last, when there is one), a Message-ID made from the
//! job's id so a retry after a crash is the same message, and RFC 8058
//! one-click unsubscribe on every mail but sign-in.

use super::jobs::{Attempt, Outcome};
use super::App;
use askama::Template;
use cowork_core::notifications::Kind;
use cowork_store::{Job, RecipientChoices, Store};
use lettre::message::header::{ContentTransferEncoding, ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::{AsyncSmtpTransport, PoolConfig};
use lettre::{AsyncTransport, Message, Tokio1Executor};

#[derive(Clone)]
pub struct Mailer {
    store: Store,
    from: Mailbox,
    smtp_url: String,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

/// What one mail says, composed by a job's handler.
#[derive(Debug, Clone, Default)]
pub struct Letter {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub greeting: String,
    pub paragraphs: Vec<String>,
    /// Someone's own words (an organizer's note), shown quoted.
    pub quote: Vec<String>,
    /// The one thing to do: a label and a link.
    pub action: Option<(String, String)>,
    /// An iTIP invitation: its METHOD and the iCalendar text.
    pub calendar: Option<(&'static str, String)>,
    /// The kind a person can turn off from this mail (None: sign-in, which can't be).
    pub kind: Option<Kind>,
    /// Holds a secret (a sign-in link): never kept after it is handed to a mail server.
    pub secret: bool,
    /// The community it comes from, which the person may have muted.
    pub community_id: Option<String>,
    /// An inline SVG shown in the HTML part (a check-in pass's QR code); the text says the same in words.
    pub picture: Option<String>,
}

impl Letter {
    /// A letter to one person, greeted by name; the rest is filled in by the caller.
    pub fn to(a: &cowork_store::Account) -> Letter {
        Letter { to: a.email.clone(), to_name: a.display_name.clone(), greeting: format!("Hello {},", a.display_name), ..Letter::default() }
    }
}

/// What handing a mail over came to.
pub enum Delivery {
    Sent,
    /// The recipient's server refused the address for good (SMTP 5xx).
    Bounced(String),
}

#[derive(Template)]
#[template(path = "mail.html")]
struct MailHtml<'a> {
    site: &'a str,
    subject: &'a str,
    greeting: &'a str,
    paragraphs: &'a [String],
    quote: &'a [String],
    action: Option<(&'a str, &'a str)>,
    unsubscribe: Option<(&'a str, &'a str)>,
    picture: Option<&'a str>,
}

#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.trim().trim_start_matches('<').trim_end_matches('>').to_string()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

fn transport(smtp_url: &str) -> Result<Option<AsyncSmtpTransport<Tokio1Executor>>, String> {
    if smtp_url.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(
        // A stuck mail server holds one job, not the runner: the job is retried.
        AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| format!("SMTP URL: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(10)))
            // As many kept open as the runner sends at once: with fewer, a
            // burst opened (TCP, EHLO, TLS) and closed one per extra mail.
            .pool_config(PoolConfig::new().max_size(super::jobs::IN_FLIGHT as u32))
            .build(),
    ))
}

impl Mailer {
    /// `smtp_url` is like `smtps://user:pass@host:465` (TLS),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtp://localhost:25`
    /// (unencrypted, for a local relay); empty means the outbox. A sender
    /// address without a name is named after the site.
    pub fn new(store: Store, smtp_url: &str, from: &str, site_name: &str) -> Result<Mailer, String> {
        let mut from: Mailbox = from.parse().map_err(|e| format!("mail sender address {from:?}: {e}"))?;
        if from.name.is_none() {
            from.name = Some(site_name.to_string());
        }
        Ok(Mailer { store, from, smtp: transport(smtp_url)?, smtp_url: smtp_url.to_string() })
    }

    /// The same mailer recording sent mail through another store, with
    /// connections of its own to the mail server (the job runner's, on its
    /// own runtime).
    pub fn with_store(&self, store: Store) -> Mailer {
        Mailer { store, smtp: transport(&self.smtp_url).unwrap_or_else(|_| self.smtp.clone()), ..self.clone() }
    }

    pub fn uses_outbox(&self) -> bool {
        self.smtp.is_none()
    }

    pub fn from_address(&self) -> String {
        self.from.email.to_string()
    }

    /// Builds the whole message. `message_id` is stable for a job.
    fn build(&self, l: &Letter, site: &str, message_id: &str, unsubscribe: Option<&str>) -> Result<(Message, String), String> {
        let to = Mailbox::new(Some(l.to_name.clone()).filter(|n| !n.is_empty()), l.to.parse().map_err(|e| format!("recipient: {e}"))?);
        let mut text = format!("{}\n\n", l.greeting);
        for p in &l.paragraphs {
            text.push_str(p);
            text.push_str("\n\n");
        }
        if !l.quote.is_empty() {
            text.push_str(&l.quote.iter().map(|q| format!("> {q}")).collect::<Vec<_>>().join("\n"));
            text.push_str("\n\n");
        }
        if let Some((label, url)) = &l.action {
            text.push_str(&format!("{label}:\n{url}\n\n"));
        }
        text.push_str(&format!("— {site}\n"));
        let label = l.kind.map(|k| k.label()).unwrap_or("");
        if let Some(url) = unsubscribe {
            text.push_str(&format!("\nYou get this because “{label}” is on in your settings. Turn these mails off:\n{url}\n"));
        }
        let html = MailHtml {
            site,
            subject: &l.subject,
            greeting: &l.greeting,
            paragraphs: &l.paragraphs,
            quote: &l.quote,
            action: l.action.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            unsubscribe: unsubscribe.map(|u| (label, u)),
            picture: l.picture.as_deref(),
        }
        .render()
        .map_err(|e| e.to_string())?;
        let mut parts = MultiPart::alternative().singlepart(SinglePart::plain(text.clone())).singlepart(SinglePart::html(html));
        if let Some((method, ics)) = &l.calendar {
            let ct = ContentType::parse(&format!("text/calendar; method={method}; charset=utf-8")).map_err(|e| e.to_string())?;
            // Quoted-printable keeps the iCalendar lines readable (and their CRLFs intact).
            let body =
                Body::new_with_encoding(ics.clone(), ContentTransferEncoding::QuotedPrintable).map_err(|_| "calendar part".to_string())?;
            parts = parts.singlepart(SinglePart::builder().header(ct).body(body));
        }
        let mut b = Message::builder().from(self.from.clone()).to(to).subject(&l.subject).message_id(Some(message_id.to_string()));
        if let Some(url) = unsubscribe {
            b = b.header(ListUnsubscribe(url.to_string())).header(ListUnsubscribePost);
        }
        Ok((b.multipart(parts).map_err(|e| e.to_string())?, text))
    }

    /// Hands one mail to the SMTP server (or the outbox). A temporary
    /// failure (4xx, a timeout, no server) is an error, so the job is tried
    /// again; a permanent refusal is a bounce.
    async fn deliver(&self, l: &Letter, site: &str, message_id: &str, unsubscribe: Option<&str>, t: i64) -> Result<Delivery, String> {
        let (msg, text) = self.build(l, site, message_id, unsubscribe)?;
        let raw = String::from_utf8_lossy(&msg.formatted()).into_owned();
        let record = |status: &'static str, kept: bool, error: String| {
            let (text, raw) = if kept { (text.clone(), raw.clone()) } else { (String::new(), String::new()) };
            let store = self.store.clone();
            let (to, subject, id) = (l.to.clone(), l.subject.clone(), message_id.to_string());
            let transport = if self.smtp.is_some() { "smtp" } else { "outbox" };
            async move {
                let m = cowork_store::NewMail {
                    to: &to,
                    subject: &subject,
                    body: &text,
                    raw: &raw,
                    message_id: &id,
                    transport,
                    status,
                    error: &error,
                };
                store.insert_mail(&m, t).await.map_err(|e| e.to_string())
            }
        };
        let Some(smtp) = &self.smtp else {
            tracing::info!(to = %l.to, subject = %l.subject, "mail stored in the outbox (no SMTP server configured)");
            record("stored", true, String::new()).await?;
            return Ok(Delivery::Sent);
        };
        // With a real server, a message holding a secret is not kept.
        let kept = !l.secret;
        match smtp.send(msg).await {
            Ok(_) => {
                record("sent", kept, String::new()).await?;
                Ok(Delivery::Sent)
            }
            Err(e) if e.is_permanent() => {
                tracing::warn!(to = %l.to, error = %e, "mail refused for good");
                record("bounced", kept, e.to_string()).await?;
                Ok(Delivery::Bounced(e.to_string()))
            }
            Err(e) => {
                tracing::warn!(to = %l.to, error = %e, "SMTP delivery failed; the job will try again");
                record("failed", false, e.to_string()).await?;
                Err(format!("SMTP: {e}"))
            }
        }
    }
}

impl App {
    /// The host part of Message-IDs and calendar UIDs.
    pub(crate) fn mail_host(&self) -> String {
        self.config.base_url.split("://").nth(1).unwrap_or("cowork").split(['/', ':']).next().unwrap_or("cowork").to_string()
    }

    /// Sends the letter a job composed, if its recipient still wants it:
    /// not for a kind they turned off, nor to an address that bounced
    /// (`even_if_bounced` is for sign-in and the mail confirming an address).
    pub(crate) async fn send_letter(&self, job: &Job, account_id: Option<&str>, l: &Letter, even_if_bounced: bool) -> Attempt {
        let choices = match account_id {
            Some(account) => {
                let kind = l.kind.unwrap_or(Kind::Confirmations);
                let community = l.community_id.as_deref().unwrap_or("");
                Some(self.store.recipient_choices(account, &l.to, kind, community).await.map_err(|e| e.to_string())?)
            }
            None => None,
        };
        self.send_letter_with(job, account_id, l, even_if_bounced, choices.as_ref()).await
    }

    /// The same, with the person's choices (for `l.kind`) already read.
    pub(crate) async fn send_letter_with(
        &self,
        job: &Job,
        account_id: Option<&str>,
        l: &Letter,
        even_if_bounced: bool,
        choices: Option<&RecipientChoices>,
    ) -> Attempt {
        if let (Some(kind), Some(c)) = (l.kind, choices) {
            if !c.email.enabled {
                return Ok(Outcome::Nothing(format!("{} is turned off for this person", kind.as_str())));
            }
        }
        // A muted community still confirms the person's own answers.
        if let (Some(_), Some(c)) = (&l.community_id, choices) {
            if l.kind != Some(Kind::Confirmations) && c.muted {
                return Ok(Outcome::Nothing("the person muted this community".into()));
            }
        }
        let bounced = match choices {
            Some(c) => c.bounced_at,
            None if even_if_bounced => 0,
            None => self.store.bounced_at(&l.to).await.map_err(|e| e.to_string())?,
        };
        if !even_if_bounced && bounced > 0 {
            return Ok(Outcome::Nothing("the address bounced; it gets mail again once confirmed".into()));
        }
        let unsubscribe = match (l.kind, account_id, choices) {
            (Some(kind), Some(account), Some(c)) => {
                Some(self.unsubscribe_url(account, kind, c.email.generation).await.map_err(|e| e.to_string())?)
            }
            _ => None,
        };
        let message_id = format!("<{}@{}>", job.id, self.mail_host());
        match self.mailer.deliver(l, &self.config.site_name, &message_id, unsubscribe.as_deref(), self.now()).await? {
            Delivery::Sent => Ok(Outcome::Done),
            Delivery::Bounced(why) => {
                self.store.mark_bounced(&l.to, self.now()).await.map_err(|e| e.to_string())?;
                Ok(Outcome::Nothing(format!("the address bounced: {why}")))
            }
        }
    }
}

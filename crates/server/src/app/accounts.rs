//! Signing in (magic link or password), browser sessions, profiles, API tokens.

use super::jobs::{Attempt, Outcome};
use super::mail::Letter;
use super::{hash_secret, now, secret, App, AppError, AppResult};
use cowork_core::input::{self, Email};
use cowork_core::time::Zone;
use cowork_core::{FieldError, Invalid};
use cowork_store::{new_id, sign_in_mail_key, Account, ApiToken, Job, NewJob, Profile, MAIL_SIGN_IN};

pub const LINK_MINUTES: i64 = 15;
pub const SESSION_DAYS: i64 = 30;
pub const API_TOKEN_PREFIX: &str = "cwk_";
/// Sign-in mails to one address per hour before only a usable link is kept in its mailbox.
const LINK_MAILS_PER_HOUR: i64 = 5;
/// Wrong passwords for one account in an hour, from anywhere, before each place gets fewer tries.
const PASSWORD_FAILURES_BEFORE_CAUTION: i64 = 20;

/// A signed-in browser: the account and the secret for its cookie.
pub struct SignedIn {
    pub account: Account,
    pub session_token: String,
    pub new_account: bool,
    /// Where the person was going when they asked for the link ("" for nowhere in particular).
    pub next: String,
}

#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ProfileInput {
    pub display_name: String,
    pub pronouns: String,
    pub time_zone: String,
    pub bio: String,
    pub social_preference: String,
}

impl ProfileInput {
    pub fn of(a: &Account) -> Self {
        ProfileInput {
            display_name: a.display_name.clone(),
            pronouns: a.pronouns.clone(),
            time_zone: a.time_zone.clone(),
            bio: a.bio.clone(),
            social_preference: a.social_preference.clone(),
        }
    }

    fn parse(&self) -> Result<Profile, Invalid> {
        let mut inv = Invalid::default();
        let display_name = inv.take(input::line("display_name", &self.display_name, 1, 60));
        let pronouns = inv.take(input::line("pronouns", &self.pronouns, 0, 30));
        let time_zone = inv.take(Zone::parse("time_zone", &self.time_zone));
        let bio = inv.take(input::text("bio", &self.bio, 500));
        let pref = self.social_preference.trim();
        let pref = if pref.is_empty() { "either" } else { pref };
        if !["quiet", "social", "either"].contains(&pref) {
            inv.push(FieldError::new("social_preference", "Choose quiet, social or either."));
        }
        match (display_name, pronouns, time_zone, bio) {
            (Some(display_name), Some(pronouns), Some(tz), Some(bio)) if inv.is_empty() => {
                Ok(Profile { display_name, pronouns, time_zone: tz.name().to_string(), bio, social_preference: pref.to_string() })
            }
            _ => Err(inv),
        }
    }
}

/// An argon2id hash of a random secret, verified against when an address has
/// no password, so that the answer takes the same time either way.
fn dummy_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&secret(16)).unwrap_or_default()).clone()
}

impl App {
    /// Mails a single-use sign-in link. The answer is the same whether or not
    /// the address has an account; a first sign-in creates the account.
    ///
    /// The limits stop one place from asking too often (429), and stop anyone
    /// from flooding a mailbox, without letting a stranger lock the owner out:
    /// past five mails an hour to an address, another is sent only when no
    /// earlier link is still usable, and the answer does not change.
    pub async fn request_sign_in_link(&self, raw_email: &str, next: &str, ip: &str) -> AppResult<()> {
        self.request_link(raw_email, next, ip, None).await
    }

    /// A sign-in link, or (with the session's title) the link that confirms
    /// a visitor's registration: the same link, limits and mail queue.
    pub(super) async fn request_link(&self, raw_email: &str, next: &str, ip: &str, registering_for: Option<&str>) -> AppResult<()> {
        let email = Email::parse(raw_email)?;
        self.rate_limit(&[(format!("link-ip:{ip}"), 20, 3600), (format!("link-addr-ip:{email}:{ip}"), 5, 900)]).await?;
        let mails = self.store.hit_rate_limit(&format!("link-mail:{email}"), 3600, now()).await?;
        if mails > LINK_MAILS_PER_HOUR
            && (self.store.has_live_login_link(email.as_str(), now()).await? || self.store.sign_in_mail_on_its_way(email.as_str()).await?)
        {
            return Ok(());
        }
        // The link itself is made when the mail goes out, so no secret waits in the queue.
        let next: String = next.chars().take(500).collect();
        let job = NewJob::new(
            MAIL_SIGN_IN,
            sign_in_mail_key(email.as_str(), &new_id()),
            serde_json::json!({ "email": email.as_str(), "next": next, "registering_for": registering_for }),
            self.now(),
        );
        self.store.enqueue_job(&job, self.now()).await?;
        self.jobs_due();
        self.metrics.sign_in_links.inc();
        Ok(())
    }

    /// A fresh single-use sign-in link for an address (mailed, or printed by `admin create`).
    pub async fn issue_sign_in_link(&self, email: &Email) -> AppResult<String> {
        self.issue_sign_in_link_to(email, "").await
    }

    /// `next` must already be a path on this site (see `web::safe_next`).
    async fn issue_sign_in_link_to(&self, email: &Email, next: &str) -> AppResult<String> {
        let token = secret(32);
        let t = now();
        let next: String = next.chars().take(500).collect();
        self.store.insert_login_link(&hash_secret(&token), email.as_str(), &next, t, t + LINK_MINUTES * 60).await?;
        Ok(format!("{}/signin/link?token={token}", self.config.base_url))
    }

    /// Mails a fresh sign-in link: the job of `request_sign_in_link`. A retry
    /// makes another link (each works once); the Message-ID stays the same.
    pub(super) async fn send_sign_in_link(&self, job: &Job) -> Attempt {
        #[derive(serde::Deserialize)]
        struct Ask {
            email: String,
            next: String,
            #[serde(default)]
            registering_for: Option<String>,
        }
        let ask: Ask = serde_json::from_str(&job.payload).map_err(|e| format!("payload: {e}"))?;
        let Ok(email) = Email::parse(&ask.email) else { return Ok(Outcome::Nothing("not an address".into())) };
        let link = self.issue_sign_in_link_to(&email, &ask.next).await.map_err(|e| e.to_string())?;
        let site = &self.config.site_name;
        let (subject, why, what, label) = match &ask.registering_for {
            Some(title) => (
                format!("Confirm your place: {title}"),
                format!("Someone (we hope you) registered this address for “{title}” on {site}."),
                "confirm: it signs you in and says you're coming",
                "Confirm my place",
            ),
            None => (
                format!("Your sign-in link for {site}"),
                format!("Someone (we hope you) asked to sign in to {site} with this address."),
                "sign in",
                "Sign in",
            ),
        };
        let l = Letter {
            to: email.as_str().to_string(),
            subject,
            greeting: "Hello,".into(),
            paragraphs: vec![
                why,
                format!("Open this link within {LINK_MINUTES} minutes to {what}. It works once. If you did not ask for it, ignore this mail: nothing happens."),
            ],
            action: Some((label.into(), link)),
            secret: true,
            ..Letter::default()
        };
        // Sent even to an address that bounced: following it confirms the address.
        self.send_letter(job, None, &l, true).await
    }

    /// The address a sign-in link is for, shown half-masked before it is used
    /// (so nobody is signed in to someone else's account unawares).
    pub async fn sign_in_link_address(&self, token: &str) -> AppResult<Option<String>> {
        if token.len() != 64 {
            return Ok(None);
        }
        Ok(self.store.login_link_email(&hash_secret(token), now()).await?.map(|e| mask_email(&e)))
    }

    pub async fn sign_in_with_link(&self, token: &str) -> AppResult<SignedIn> {
        let (email, next) = self
            .store
            .consume_login_link(&hash_secret(token), now())
            .await?
            .ok_or_else(|| AppError::Gone("This sign-in link has expired or was already used. Ask for a new one.".into()))?;
        let email = Email::parse(&email)?;
        // The link came through: the address works again if it had bounced.
        self.store.confirm_email(email.as_str()).await?;
        let (account, new_account) = self.store.account_for_email(email.as_str(), &email.suggested_name(), now()).await?;
        let mut s = self.start_session(account, new_account).await?;
        s.next = next;
        Ok(s)
    }

    /// Guessing is limited per place: 30 attempts per 15 minutes from one
    /// address, and 10 an hour at one account from one place (3 while the
    /// account is being guessed at from many places). Wrong passwords from
    /// elsewhere never stop the owner's right one.
    pub async fn sign_in_with_password(&self, raw_email: &str, password: &str, ip: &str) -> AppResult<SignedIn> {
        let email = Email::parse(raw_email)?;
        let under_attack = self.store.rate_limit_hits(&format!("pw-fail:{email}"), 3600, now()).await? >= PASSWORD_FAILURES_BEFORE_CAUTION;
        let per_place = if under_attack { 3 } else { 10 };
        self.rate_limit(&[(format!("pw-ip:{ip}"), 30, 900), (format!("pw-addr-ip:{email}:{ip}"), per_place, 3600)]).await?;
        let stored = self.store.password_hash(email.as_str()).await?;
        let hash = stored.as_ref().map(|(_, h)| h.clone()).unwrap_or_else(dummy_hash);
        let pw = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&pw, &hash)).await.unwrap_or(false);
        match stored {
            Some((id, _)) if ok => {
                let account = self.store.account(&id).await?;
                self.start_session(account, false).await
            }
            _ => {
                self.store.hit_rate_limit(&format!("pw-fail:{email}"), 3600, now()).await?;
                Err(Invalid::one("password", "That e-mail address and password don't match. Try again, or sign in with an e-mail link.")
                    .into())
            }
        }
    }

    async fn start_session(&self, account: Account, new_account: bool) -> AppResult<SignedIn> {
        let token = secret(32);
        let t = now();
        self.store.insert_web_session(&hash_secret(&token), &account.id, t, t + SESSION_DAYS * 86_400).await?;
        self.metrics.sign_ins.inc();
        Ok(SignedIn { account, session_token: token, new_account, next: String::new() })
    }

    pub async fn session_account(&self, token: &str) -> AppResult<Option<Account>> {
        Ok(self.store.web_session_account(&hash_secret(token), now()).await?)
    }

    pub async fn sign_out(&self, token: &str) -> AppResult<()> {
        Ok(self.store.delete_web_session(&hash_secret(token)).await?)
    }

    pub async fn update_profile(&self, me: &Account, input: &ProfileInput) -> AppResult<Account> {
        let profile = super::zones::parse_with_zone(input.clone(), |i| &mut i.time_zone, |i| i.parse())?;
        Ok(self.store.update_profile(&me.id, &profile).await?)
    }

    /// Sets (or with an empty one, refuses) a password and signs out other browsers.
    pub async fn set_password(&self, me: &Account, password: &str, confirm: &str, keep_session: &str) -> AppResult<()> {
        let pw = input::password(password)?;
        if pw != confirm {
            return Err(Invalid::one("confirm", "The two passwords differ.").into());
        }
        let hash = tokio::task::spawn_blocking(move || hash_password(&pw)).await.map_err(|e| AppError::Internal(e.to_string()))??;
        self.store.set_password_hash(&me.id, Some(&hash)).await?;
        self.store.delete_other_web_sessions(&me.id, &hash_secret(keep_session)).await?;
        Ok(())
    }

    pub async fn remove_password(&self, me: &Account) -> AppResult<()> {
        Ok(self.store.set_password_hash(&me.id, None).await?)
    }

    /// Creates a personal API token; its secret is returned once, never stored.
    pub async fn create_api_token(&self, me: &Account, name: &str) -> AppResult<(ApiToken, String)> {
        let name = input::line("name", name, 1, 60)?;
        let existing = self.store.api_tokens(&me.id).await?;
        if existing.len() >= 20 {
            return Err(Invalid::one("name", "You have 20 tokens already; revoke one first.").into());
        }
        let token = format!("{API_TOKEN_PREFIX}{}", secret(24));
        let t = self.store.insert_api_token(&me.id, &name, &hash_secret(&token), now()).await?;
        Ok((t, token))
    }

    pub async fn api_tokens(&self, me: &Account) -> AppResult<Vec<ApiToken>> {
        Ok(self.store.api_tokens(&me.id).await?)
    }

    pub async fn revoke_api_token(&self, me: &Account, id: &str) -> AppResult<()> {
        Ok(self.store.delete_api_token(&me.id, id).await?)
    }

    pub async fn api_token_account(&self, token: &str) -> AppResult<Option<Account>> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(self.store.api_token_account(&hash_secret(token), now()).await?)
    }

    pub async fn outbox(&self, me: &Account) -> AppResult<Vec<cowork_store::Mail>> {
        if !me.is_admin {
            return Err(AppError::Forbidden("Only instance admins can read the outbox.".into()));
        }
        Ok(self.store.outbox(None, 200).await?)
    }

    /// Creates (or promotes) an instance admin, for the `admin create` command.
    pub async fn make_admin(&self, raw_email: &str, display_name: Option<&str>) -> AppResult<Account> {
        let email = Email::parse(raw_email)?;
        let name = display_name.map(str::to_string).unwrap_or_else(|| email.suggested_name());
        let (account, _) = self.store.account_for_email(email.as_str(), &name, now()).await?;
        self.store.set_admin(&account.id, true).await?;
        Ok(self.store.account(&account.id).await?)
    }
}

/// "ada.lovelace@example.org" → "ad…@example.org": enough to recognise, not to harvest.
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}…@{domain}", local.chars().take(2).collect::<String>()),
        None => "…".into(),
    }
}

fn hash_password(pw: &str) -> AppResult<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| AppError::Internal(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::Internal(e.to_string()))?;
    argon2::Argon2::default().hash_password(pw.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| AppError::Internal(e.to_string()))
}

fn verify_password(pw: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    match PasswordHash::new(hash) {
        Ok(h) => argon2::Argon2::default().verify_password(pw.as_bytes(), &h).is_ok(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_masked() {
        assert_eq!(mask_email("ada.lovelace@example.org"), "ad…@example.org");
        assert_eq!(mask_email("a@example.org"), "a…@example.org");
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
    }

    #[test]
    fn the_dummy_hash_is_well_formed_and_matches_nothing_typed() {
        assert!(argon2::password_hash::PasswordHash::new(&dummy_hash()).is_ok());
        assert!(!verify_password("", &dummy_hash()));
    }
}

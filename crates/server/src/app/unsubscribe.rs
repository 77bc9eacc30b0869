//! RFC 8058 one-click unsubscribe. A link names a person, a kind of mail and
//! the generation of their choice, signed with the instance's own key (made
//! on first use, kept in the database so every node signs alike). It turns
//! off exactly that kind for exactly that person; a link mailed before they
//! turned the kind back on is outdated and changes nothing.

use super::{same_secret, secret, App, AppResult};
use cowork_core::notifications::Kind;
use cowork_store::{StoreError, Unsubscribed};
use hmac::{Hmac, Mac};

const KEY_NAME: &str = "unsubscribe_key";

/// What following a link came to, as the person is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsubscribe {
    Done(Kind, Unsubscribed),
    /// Not a link this site signed (mistyped, cut short, or forged).
    NotValid,
}

impl Unsubscribe {
    pub fn message(self) -> String {
        match self {
            Unsubscribe::Done(k, Unsubscribed::TurnedOff) => {
                format!("Done: you will no longer get “{}” by mail. You can turn it back on in your notification settings.", k.label())
            }
            Unsubscribe::Done(k, Unsubscribed::WasOff) => format!("“{}” was already off; nothing changed.", k.label()),
            Unsubscribe::Done(k, Unsubscribed::Outdated) => format!(
                "This link is older than your latest choice for “{}” (you turned it back on since), so nothing changed. \
                 Use the link in a newer mail, or your notification settings.",
                k.label()
            ),
            Unsubscribe::NotValid => "This link is not valid; nothing changed.".into(),
        }
    }
}

fn signature(key: &str, account: &str, kind: Kind, generation: i64) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("unsubscribe\n{account}\n{}\n{generation}", kind.as_str()).as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

impl App {
    async fn unsubscribe_key(&self) -> Result<String, StoreError> {
        let key = self.unsubscribe_key.get_or_try_init(|| self.store.instance_secret(KEY_NAME, || secret(32), self.now())).await?;
        Ok(key.clone())
    }

    /// The one-click link for one kind of mail to one person, at the
    /// `generation` of their choice for it.
    pub(crate) async fn unsubscribe_url(&self, account_id: &str, kind: Kind, generation: i64) -> Result<String, StoreError> {
        let sig = signature(&self.unsubscribe_key().await?, account_id, kind, generation);
        Ok(format!("{}/unsubscribe/{account_id}.{}.{generation}.{sig}", self.config.base_url, kind.as_str()))
    }

    /// Checks a link's token without acting on it (the page before the button).
    pub async fn unsubscribe_kind(&self, token: &str) -> AppResult<Option<Kind>> {
        Ok(self.verify_unsubscribe(token).await?.map(|(_, kind, _)| kind))
    }

    /// Follows a link: turns its kind off if the link is genuine and current.
    pub async fn unsubscribe(&self, token: &str) -> AppResult<Unsubscribe> {
        let Some((account, kind, generation)) = self.verify_unsubscribe(token).await? else {
            return Ok(Unsubscribe::NotValid);
        };
        match self.store.unsubscribe(&account, kind, generation, self.now()).await {
            Ok(u) => Ok(Unsubscribe::Done(kind, u)),
            // The account was deleted: there is nothing left to turn off.
            Err(StoreError::NotFound) => Ok(Unsubscribe::NotValid),
            Err(e) => Err(e.into()),
        }
    }

    async fn verify_unsubscribe(&self, token: &str) -> AppResult<Option<(String, Kind, i64)>> {
        let parts: Vec<&str> = token.split('.').collect();
        let [account, kind, generation, sig] = parts.as_slice() else { return Ok(None) };
        let (Some(kind), Ok(generation)) = (Kind::parse(kind), generation.parse::<i64>()) else { return Ok(None) };
        if account.is_empty() || account.len() > 64 || !account.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        let expected = signature(&self.unsubscribe_key().await?, account, kind, generation);
        if !same_secret(&expected, sig) || self.store.account(account).await.is_err() {
            return Ok(None);
        }
        Ok(Some((account.to_string(), kind, generation)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_the_person_the_kind_and_the_generation() {
        let s = signature("k", "ada", Kind::Reminders, 0);
        assert_eq!(s.len(), 64);
        assert_ne!(s, signature("k", "bob", Kind::Reminders, 0));
        assert_ne!(s, signature("k", "ada", Kind::Confirmations, 0));
        assert_ne!(s, signature("k", "ada", Kind::Reminders, 1));
        assert_ne!(s, signature("other key", "ada", Kind::Reminders, 0));
    }
}

//! What a person chooses to hear of: each kind by channel, when reminders
//! come, and communities muted. Read and saved whole, by the settings page
//! and the API alike.

use super::{App, AppResult};
use cowork_core::notifications::{Channel, Kind, ReminderTime};
use cowork_core::{FieldError, Invalid};
use cowork_store::Account;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KindChoice {
    pub kind: String,
    #[serde(default, skip_deserializing)]
    pub label: String,
    pub email: bool,
    pub push: bool,
}

/// A person's notification settings. The API reads and writes this shape;
/// `muted_communities` and `digest_communities` are slugs of communities the
/// person belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct NotificationChoices {
    pub kinds: Vec<KindChoice>,
    pub reminder_times: Vec<String>,
    pub muted_communities: Vec<String>,
    /// Communities whose weekly digest the person chose; left out (None) of a
    /// save, they stay as they are.
    #[serde(default)]
    pub digest_communities: Option<Vec<String>>,
    /// Mail to the address was refused for good; nothing is sent until the
    /// person signs in with a link mailed to it (read only).
    #[serde(default, skip_deserializing)]
    pub email_bounced: bool,
}

impl App {
    pub async fn notification_choices(&self, me: &Account) -> AppResult<NotificationChoices> {
        let mut kinds = Vec::new();
        for k in Kind::ALL {
            let email = self.store.notification_choice(&me.id, k, Channel::Email).await?.enabled;
            let push = self.store.notification_choice(&me.id, k, Channel::Push).await?.enabled;
            kinds.push(KindChoice { kind: k.as_str().into(), label: k.label().into(), email, push });
        }
        let reminder_times = self.store.reminder_times(&me.id).await?.iter().map(|t| t.as_str().to_string()).collect();
        let muted = self.store.muted_communities(&me.id).await?;
        let digests = self.store.digest_communities(&me.id).await?;
        let mine = self.store.communities_of(&me.id).await?;
        let slugs = |ids: &[String]| mine.iter().filter(|c| ids.contains(&c.community.id)).map(|c| c.community.slug.clone()).collect();
        let email_bounced = self.store.bounced_at(&me.email).await? > 0;
        Ok(NotificationChoices {
            kinds,
            reminder_times,
            muted_communities: slugs(&muted),
            digest_communities: Some(slugs(&digests)),
            email_bounced,
        })
    }

    /// Saves every choice at once; kinds left out keep theirs. Bad input
    /// (an unknown kind, time or community) is refused whole.
    pub async fn save_notification_choices(&self, me: &Account, c: &NotificationChoices) -> AppResult<()> {
        let mut invalid = Invalid::default();
        let mut kinds = Vec::new();
        for k in &c.kinds {
            match Kind::parse(&k.kind) {
                Some(kind) => kinds.push((kind, k)),
                None => invalid.push(FieldError::new("kinds", format!("There is no kind of notification called “{}”.", k.kind))),
            }
        }
        let mut times = Vec::new();
        for t in &c.reminder_times {
            match ReminderTime::parse(t) {
                Some(t) => times.push(t),
                None => {
                    invalid.push(FieldError::new("reminder_times", format!("“{t}” is not a reminder time; choose among the ones listed.")))
                }
            }
        }
        let mine: Vec<_> = self.store.communities_of(&me.id).await?.into_iter().filter(|m| !m.pending).collect();
        let mut ids = |field: &'static str, slugs: &[String]| {
            let mut ids = Vec::new();
            for slug in slugs {
                match mine.iter().find(|m| &m.community.slug == slug) {
                    Some(m) => ids.push(m.community.id.clone()),
                    None => invalid.push(FieldError::new(field, format!("You are not a member of “{slug}”."))),
                }
            }
            ids
        };
        let muted = ids("muted_communities", &c.muted_communities);
        let digests = c.digest_communities.as_deref().map(|d| ids("digest_communities", d));
        if !invalid.is_empty() {
            return Err(invalid.into());
        }
        let t = self.now();
        for (kind, k) in kinds {
            self.store.set_notification_choice(&me.id, kind, Channel::Email, k.email, t).await?;
            self.store.set_notification_choice(&me.id, kind, Channel::Push, k.push, t).await?;
        }
        self.store.set_reminder_times(&me.id, &times, t).await?;
        self.jobs_due();
        self.store.set_muted_communities(&me.id, &muted, t).await?;
        if let Some(digests) = digests {
            self.store.set_digest_communities(&me.id, &digests, t).await?;
        }
        Ok(())
    }
}

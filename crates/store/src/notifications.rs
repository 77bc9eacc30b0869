//! Each person's choices of what to hear of (kinds by channel, reminder
//! times, muted communities), addresses that bounced, and the instance's
//! own secrets.

use crate::{col, Result, Store};
use cowork_core::notifications::{Channel, Kind, ReminderTime};

/// One kind on one channel, as chosen (or by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub enabled: bool,
    /// Rises each time the kind is turned back on (see `unsubscribe`).
    pub generation: i64,
}

/// What a one-click unsubscribe came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unsubscribed {
    TurnedOff,
    WasOff,
    /// The link predates the person turning the kind back on: it is theirs
    /// no longer to act on, so nothing changed.
    Outdated,
}

/// All that decides whether one mail of a kind goes to a person, read in
/// one round trip by the job that sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientChoices {
    /// The kind by mail, with its generation (for the unsubscribe link).
    pub email: Choice,
    pub push: Choice,
    /// Whether they muted the community the mail comes from.
    pub muted: bool,
    /// When their address bounced (0: it did not).
    pub bounced_at: i64,
    pub reminder_times: Vec<ReminderTime>,
}

impl Store {
    /// A person's choices for `kind` (and of `community_id`, '' for none), as
    /// `notification_choice`, `is_muted`, `bounced_at` and `reminder_times` would read them.
    pub async fn recipient_choices(&self, account_id: &str, email: &str, kind: Kind, community_id: &str) -> Result<RecipientChoices> {
        let row = sqlx::query(
            "SELECT \
               (SELECT enabled FROM notification_choices WHERE account_id = $1 AND kind = $2 AND channel = 'email') AS email_on, \
               (SELECT generation FROM notification_choices WHERE account_id = $1 AND kind = $2 AND channel = 'email') AS email_generation, \
               (SELECT enabled FROM notification_choices WHERE account_id = $1 AND kind = $2 AND channel = 'push') AS push_on, \
               (SELECT generation FROM notification_choices WHERE account_id = $1 AND kind = $2 AND channel = 'push') AS push_generation, \
               (SELECT COUNT(*) FROM muted_communities WHERE account_id = $1 AND community_id = $3) AS muted, \
               (SELECT email_bounced_at FROM accounts WHERE email = $4) AS bounced_at, \
               (SELECT times FROM reminder_choices WHERE account_id = $1) AS reminder_times",
        )
        .bind(account_id)
        .bind(kind.as_str())
        .bind(community_id)
        .bind(email)
        .fetch_one(&self.pool)
        .await?;
        let choice = |on: &str, generation: &str, channel: Channel| -> Result<Choice> {
            Ok(match (col::<Option<i64>>(&row, on)?, col::<Option<i64>>(&row, generation)?) {
                (Some(enabled), Some(generation)) => Choice { enabled: enabled != 0, generation },
                _ => Choice { enabled: kind.default_on(channel), generation: 0 },
            })
        };
        Ok(RecipientChoices {
            email: choice("email_on", "email_generation", Channel::Email)?,
            push: choice("push_on", "push_generation", Channel::Push)?,
            muted: col::<i64>(&row, "muted")? > 0,
            bounced_at: col::<Option<i64>>(&row, "bounced_at")?.unwrap_or(0),
            reminder_times: col::<Option<String>>(&row, "reminder_times")?
                .map(|t| ReminderTime::parse_list(&t))
                .unwrap_or_else(|| ReminderTime::DEFAULT.to_vec()),
        })
    }

    pub async fn notification_choice(&self, account_id: &str, kind: Kind, channel: Channel) -> Result<Choice> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT enabled, generation FROM notification_choices WHERE account_id = $1 AND kind = $2 AND channel = $3")
                .bind(account_id)
                .bind(kind.as_str())
                .bind(channel.as_str())
                .fetch_optional(&self.pool)
                .await?;
        Ok(match row {
            Some((enabled, generation)) => Choice { enabled: enabled != 0, generation },
            None => Choice { enabled: kind.default_on(channel), generation: 0 },
        })
    }

    /// Sets one choice; turning a kind back on starts a new generation.
    pub async fn set_notification_choice(&self, account_id: &str, kind: Kind, channel: Channel, enabled: bool, now: i64) -> Result<()> {
        let was = self.notification_choice(account_id, kind, channel).await?;
        let generation = if enabled && !was.enabled { was.generation + 1 } else { was.generation };
        sqlx::query(
            "INSERT INTO notification_choices (account_id, kind, channel, enabled, generation, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (account_id, kind, channel) DO UPDATE SET enabled = $4, generation = $5, updated_at = $6",
        )
        .bind(account_id)
        .bind(kind.as_str())
        .bind(channel.as_str())
        .bind(enabled as i64)
        .bind(generation)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Turns one kind of mail off, if the link's generation is the current one.
    pub async fn unsubscribe(&self, account_id: &str, kind: Kind, generation: i64, now: i64) -> Result<Unsubscribed> {
        let c = self.notification_choice(account_id, kind, Channel::Email).await?;
        if c.generation != generation {
            return Ok(Unsubscribed::Outdated);
        }
        if !c.enabled {
            return Ok(Unsubscribed::WasOff);
        }
        self.set_notification_choice(account_id, kind, Channel::Email, false, now).await?;
        Ok(Unsubscribed::TurnedOff)
    }

    pub async fn reminder_times(&self, account_id: &str) -> Result<Vec<ReminderTime>> {
        let times: Option<String> = sqlx::query_scalar("SELECT times FROM reminder_choices WHERE account_id = $1")
            .bind(account_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(times.map(|t| ReminderTime::parse_list(&t)).unwrap_or_else(|| ReminderTime::DEFAULT.to_vec()))
    }

    /// Saves the times and queues the reminders they add to sessions the
    /// person is going to (those queued already are kept by their dedupe
    /// keys; a time no longer chosen sends nothing when it comes due).
    pub async fn set_reminder_times(&self, account_id: &str, times: &[ReminderTime], now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO reminder_choices (account_id, times, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id) DO UPDATE SET times = $2, updated_at = $3",
        )
        .bind(account_id)
        .bind(ReminderTime::list(times))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let upcoming: Vec<String> = sqlx::query_scalar(
            "SELECT r.session_id FROM rsvps r JOIN sessions s ON s.id = r.session_id \
             WHERE r.account_id = $1 AND r.status = 'going' AND s.status = 'scheduled' AND s.starts_at > $2",
        )
        .bind(account_id)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        for session_id in &upcoming {
            crate::reminders::enqueue_reminders(&mut tx, session_id, account_id, self.room_opens_seconds, now).await?;
        }
        crate::jobs::notify(&mut tx, self.backend).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ids of the communities a person muted.
    pub async fn muted_communities(&self, account_id: &str) -> Result<Vec<String>> {
        self.communities_listed_in("muted_communities", account_id).await
    }

    /// The community ids a person has a row for in one of the per-community
    /// choice tables (`muted_communities`, `weekly_digests`).
    pub(crate) async fn communities_listed_in(&self, table: &'static str, account_id: &str) -> Result<Vec<String>> {
        let sql = format!("SELECT community_id FROM {table} WHERE account_id = $1 ORDER BY community_id");
        Ok(sqlx::query_scalar(&sql).bind(account_id).fetch_all(&self.pool).await?)
    }

    /// Replaces the muted communities with `ids` (of communities the person belongs to), all or nothing.
    pub async fn set_muted_communities(&self, account_id: &str, ids: &[String], now: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM muted_communities WHERE account_id = $1").bind(account_id).execute(&mut *tx).await?;
        for id in ids {
            sqlx::query(
                "INSERT INTO muted_communities (account_id, community_id, created_at) SELECT $1, community_id, $3 FROM memberships \
                 WHERE account_id = $1 AND community_id = $2 ON CONFLICT DO NOTHING",
            )
            .bind(account_id)
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn is_muted(&self, account_id: &str, community_id: &str) -> Result<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM muted_communities WHERE account_id = $1 AND community_id = $2")
            .bind(account_id)
            .bind(community_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// An address's mail server refused it for good: no more mail to it
    /// until its owner confirms it again.
    pub async fn mark_bounced(&self, email: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE accounts SET email_bounced_at = $2 WHERE email = $1 AND email_bounced_at = 0")
            .bind(email)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// When the address bounced (0: it did not, or no account has it).
    pub async fn bounced_at(&self, email: &str) -> Result<i64> {
        let at: Option<i64> =
            sqlx::query_scalar("SELECT email_bounced_at FROM accounts WHERE email = $1").bind(email).fetch_optional(&self.pool).await?;
        Ok(at.unwrap_or(0))
    }

    /// The owner showed the address works (they followed a link mailed to it).
    pub async fn confirm_email(&self, email: &str) -> Result<()> {
        sqlx::query("UPDATE accounts SET email_bounced_at = 0 WHERE email = $1").bind(email).execute(&self.pool).await?;
        Ok(())
    }

    /// A secret of this instance, made by `make` the first time it is asked
    /// for; every node then reads the same one.
    pub async fn instance_secret(&self, name: &str, make: impl FnOnce() -> String, now: i64) -> Result<String> {
        // Read first: asked for by every mail, it is written only once.
        let found: Option<String> =
            sqlx::query_scalar("SELECT value FROM instance_secrets WHERE name = $1").bind(name).fetch_optional(&self.pool).await?;
        if let Some(v) = found {
            return Ok(v);
        }
        sqlx::query("INSERT INTO instance_secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(make())
            .bind(now)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query("SELECT value FROM instance_secrets WHERE name = $1").bind(name).fetch_one(&self.pool).await?;
        col(&row, "value")
    }
}

//! What a person asks of a partner, kept between bookings: the preferences
//! the matcher reads, the video link they offer, and whether their record
//! shows. Their row is also the lock that serializes one person's bookings.

use crate::schedule::Tx;
use crate::{Result, Store};
use cowork_core::partners::{Availability, Camera, OddOneOut, Preferences, Talk, WorkKind};
use serde::Serialize;

/// A person's standing preferences, with the video link they offer.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PartnerSettings {
    pub prefs: Preferences,
    pub video_url: String,
    pub record_public: bool,
}

pub(crate) fn prefs_text(p: &Preferences) -> String {
    serde_json::json!({
        "availability": p.availability.as_str(),
        "talk": p.talk.as_str(),
        "work": p.work.as_str(),
        "camera": p.camera.as_str(),
        "odd_one_out": p.odd_one_out.as_str(),
    })
    .to_string()
}

/// Preferences as stored; anything unreadable falls back to the defaults.
pub(crate) fn prefs_of(text: &str) -> Preferences {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    let f = |k: &str| v[k].as_str().unwrap_or("");
    prefs_from(f("availability"), f("talk"), f("work"), f("camera"), f("odd_one_out"))
}

fn prefs_from(availability: &str, talk: &str, work: &str, camera: &str, odd_one_out: &str) -> Preferences {
    Preferences {
        availability: Availability::parse(availability).unwrap_or_default(),
        talk: Talk::parse(talk).unwrap_or_default(),
        work: WorkKind::parse(work).unwrap_or_default(),
        camera: Camera::parse(camera).unwrap_or_default(),
        odd_one_out: OddOneOut::parse(odd_one_out).unwrap_or_default(),
    }
}

/// Takes (and so locks) a person's preferences row, saving `prefs` when given.
pub(crate) async fn lock_person(tx: &mut Tx<'_>, account_id: &str, prefs: Option<&Preferences>, now: i64) -> Result<()> {
    let p = prefs.copied().unwrap_or_default();
    let update = if prefs.is_some() {
        "availability = $2, talk = $3, work = $4, camera = $5, odd_one_out = $6, updated_at = $7"
    } else {
        "updated_at = partner_preferences.updated_at"
    };
    sqlx::query(&format!(
        "INSERT INTO partner_preferences (account_id, availability, talk, work, camera, odd_one_out, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id) DO UPDATE SET {update}"
    ))
    .bind(account_id)
    .bind(p.availability.as_str())
    .bind(p.talk.as_str())
    .bind(p.work.as_str())
    .bind(p.camera.as_str())
    .bind(p.odd_one_out.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    pub async fn partner_settings(&self, account_id: &str) -> Result<PartnerSettings> {
        let r: Option<(String, String, String, String, String, String, i64)> = sqlx::query_as(
            "SELECT availability, talk, work, camera, odd_one_out, video_url, record_public FROM partner_preferences WHERE account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match r {
            None => PartnerSettings::default(),
            Some((availability, talk, work, camera, odd, video_url, public)) => {
                PartnerSettings { prefs: prefs_from(&availability, &talk, &work, &camera, &odd), video_url, record_public: public != 0 }
            }
        })
    }

    pub async fn save_partner_settings(&self, account_id: &str, s: &PartnerSettings, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        lock_person(&mut tx, account_id, Some(&s.prefs), now).await?;
        sqlx::query("UPDATE partner_preferences SET video_url = $2, record_public = $3 WHERE account_id = $1")
            .bind(account_id)
            .bind(&s.video_url)
            .bind(s.record_public as i64)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Shows my record to my partners, or hides it, leaving the rest as it is.
    pub async fn show_partner_record(&self, account_id: &str, public: bool, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        lock_person(&mut tx, account_id, None, now).await?;
        sqlx::query("UPDATE partner_preferences SET record_public = $2, updated_at = $3 WHERE account_id = $1")
            .bind(account_id)
            .bind(public as i64)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

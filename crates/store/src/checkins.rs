//! Check-in at the door and a place's daily log. A check-in is decided under
//! the place's lock, so the seats of the day are never over-counted and no
//! one is checked in twice, however many hosts scan at once.

use crate::rsvps::new_checkin_code;
use crate::schedule::Tx;
use crate::{col, flag, new_id, Result, Store, StoreError};
use cowork_core::checkin::Refusal;
use cowork_core::rsvp::RsvpStatus;
use serde::Serialize;

/// Who is being checked in.
#[derive(Debug, Clone)]
pub enum Arriving {
    /// By the personal code on their pass (typed or scanned).
    Code(String),
    /// Picked from the host's list of who is expected.
    Listed(String),
    /// Someone going, by the place's code of the day (self check-in).
    DayCode(String),
    /// Someone not on the list, added on the spot.
    WalkIn { name: String, email: String, guest_of: String },
}

impl Arriving {
    fn how(&self) -> &'static str {
        match self {
            Arriving::Code(_) => "code",
            Arriving::Listed(_) => "list",
            Arriving::DayCode(_) => "day_code",
            Arriving::WalkIn { .. } => "walk_in",
        }
    }
}

/// A check-in to make: at which session, place and day, with which limits.
#[derive(Debug, Clone)]
pub struct CheckinAt<'a> {
    pub session_id: &'a str,
    pub place_id: &'a str,
    /// The place's local date.
    pub day: &'a str,
    /// The place's seats of the day (0: no limit).
    pub seats: u32,
    /// Who checks them in ("" for self check-in).
    pub by: &'a str,
}

/// One line of a place's daily log.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Checkin {
    pub id: String,
    pub session_id: Option<String>,
    pub session_title: String,
    pub account_id: Option<String>,
    pub name: String,
    pub email: String,
    /// The name of the person they came with, or "".
    pub guest_of: String,
    pub first_visit: bool,
    /// code | list | walk_in | day_code
    pub how: String,
    pub at: i64,
}

/// Someone expected at a session, for the host's list.
#[derive(Debug, Clone, Serialize)]
pub struct Expected {
    pub account_id: String,
    pub name: String,
    pub pronouns: String,
    pub status: RsvpStatus,
    pub online: bool,
    pub guest_name: String,
    /// When they were checked in (0: not yet).
    pub checked_in_at: i64,
}

/// A person's pass for a session: their code, and whether it was used.
#[derive(Debug, Clone, Serialize)]
pub struct Pass {
    pub code: String,
    pub status: RsvpStatus,
    pub online: bool,
    pub guest_name: String,
    pub checked_in_at: i64,
}

/// What a check-in came to.
#[derive(Debug, Clone, Serialize)]
pub struct CheckedIn {
    /// The person, then their guest if they brought one.
    pub people: Vec<Checkin>,
    /// Checked in at the place today, after this one.
    pub today: i64,
}

/// A check-in refused for a reason the host should hear, or a store failure.
#[derive(Debug)]
pub enum CheckinError {
    Refused(Refusal),
    Store(StoreError),
}

impl From<StoreError> for CheckinError {
    fn from(e: StoreError) -> Self {
        CheckinError::Store(e)
    }
}

impl From<sqlx::Error> for CheckinError {
    fn from(e: sqlx::Error) -> Self {
        CheckinError::Store(e.into())
    }
}

const LOG_COLUMNS: &str =
    "k.id, k.session_id, COALESCE(s.title, '') AS session_title, k.account_id, k.name, k.email, k.guest_of, k.first_visit, k.how, k.at";

fn checkin(r: &sqlx::any::AnyRow) -> Result<Checkin> {
    Ok(Checkin {
        id: col(r, "id")?,
        session_id: col(r, "session_id")?,
        session_title: col(r, "session_title")?,
        account_id: col(r, "account_id")?,
        name: col(r, "name")?,
        email: col(r, "email")?,
        guest_of: col(r, "guest_of")?,
        first_visit: flag(r, "first_visit")?,
        how: col(r, "how")?,
        at: col(r, "at")?,
    })
}

async fn checked_in_today(tx: &mut Tx<'_>, place_id: &str, day: &str) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM checkins WHERE place_id = $1 AND day = $2")
        .bind(place_id)
        .bind(day)
        .fetch_one(&mut **tx)
        .await?)
}

/// Whether someone (by account, else by e-mail) has been checked in at this place before.
async fn been_before(tx: &mut Tx<'_>, place_id: &str, account: Option<&str>, email: &str) -> Result<bool> {
    let n: i64 = match account {
        Some(a) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM checkins WHERE place_id = $1 AND account_id = $2 AND guest_of = ''")
                .bind(place_id)
                .bind(a)
                .fetch_one(&mut **tx)
                .await?
        }
        None if !email.is_empty() => {
            sqlx::query_scalar("SELECT COUNT(*) FROM checkins WHERE place_id = $1 AND email = $2")
                .bind(place_id)
                .bind(email)
                .fetch_one(&mut **tx)
                .await?
        }
        None => 0,
    };
    Ok(n > 0)
}

impl Store {
    /// Checks someone in (with their guest), under the place's lock: the
    /// seats of the day hold, and no one is checked in twice.
    pub async fn check_in(&self, at: &CheckinAt<'_>, who: &Arriving, now: i64) -> std::result::Result<CheckedIn, CheckinError> {
        let mut tx = self.begin().await?;
        let locked = sqlx::query("UPDATE places SET updated_at = updated_at WHERE id = $1").bind(at.place_id).execute(&mut *tx).await?;
        if locked.rows_affected() == 0 {
            return Err(StoreError::NotFound.into());
        }
        let refuse = |r: Refusal| Err(CheckinError::Refused(r));
        // (account, name, email, guest_name) of whoever arrives.
        let (account, name, email, guest, guest_of) = match who {
            Arriving::Code(code) | Arriving::Listed(code) | Arriving::DayCode(code) => {
                // A pass is found by its code; someone from the list by their account.
                let by = if matches!(who, Arriving::Code(_)) { "r.checkin_code" } else { "r.account_id" };
                let row = sqlx::query(&format!(
                    "SELECT r.account_id, r.status, r.guest_name, a.display_name, a.email FROM rsvps r JOIN accounts a ON a.id = r.account_id \
                     WHERE r.session_id = $1 AND {by} = $2"
                ))
                .bind(at.session_id)
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    if let Arriving::Code(code) = who {
                        let elsewhere: Option<String> = sqlx::query_scalar(
                            "SELECT s.title FROM rsvps r JOIN sessions s ON s.id = r.session_id WHERE r.checkin_code = $1 LIMIT 1",
                        )
                        .bind(code)
                        .fetch_optional(&mut *tx)
                        .await?;
                        if let Some(title) = elsewhere {
                            return refuse(Refusal::OtherSession { title });
                        }
                    }
                    return refuse(Refusal::Unknown);
                };
                let account: String = col(&row, "account_id")?;
                let name: String = col(&row, "display_name")?;
                if col::<String>(&row, "status")? != "going" {
                    return refuse(Refusal::NoPlace { name });
                }
                let already: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM checkins WHERE session_id = $1 AND account_id = $2 AND guest_of = ''")
                        .bind(at.session_id)
                        .bind(&account)
                        .fetch_one(&mut *tx)
                        .await?;
                if already > 0 {
                    return refuse(Refusal::AlreadyIn { name });
                }
                (Some(account), name, col::<String>(&row, "email")?, col::<String>(&row, "guest_name")?, String::new())
            }
            Arriving::WalkIn { name, email, guest_of } => (None, name.clone(), email.clone(), String::new(), guest_of.clone()),
        };
        let party = if guest.is_empty() { 1 } else { 2 };
        let today = checked_in_today(&mut tx, at.place_id, at.day).await?;
        if let Err(r) = cowork_core::checkin::seat_left(at.seats, today + party - 1) {
            return refuse(r);
        }
        let first_visit = !been_before(&mut tx, at.place_id, account.as_deref(), &email).await?;
        let mut people = vec![Checkin {
            id: new_id(),
            session_id: Some(at.session_id.to_string()),
            session_title: String::new(),
            account_id: account.clone(),
            name: name.clone(),
            email: email.clone(),
            guest_of,
            first_visit,
            how: who.how().into(),
            at: now,
        }];
        if !guest.is_empty() {
            people.push(Checkin {
                id: new_id(),
                session_id: Some(at.session_id.to_string()),
                session_title: String::new(),
                account_id: account.clone(),
                name: guest,
                email: String::new(),
                guest_of: name,
                first_visit: true,
                how: who.how().into(),
                at: now,
            });
        }
        for k in &people {
            sqlx::query(
                "INSERT INTO checkins (id, place_id, day, session_id, account_id, name, email, guest_of, first_visit, how, checked_in_by, at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(&k.id)
            .bind(at.place_id)
            .bind(at.day)
            .bind(at.session_id)
            .bind(&k.account_id)
            .bind(&k.name)
            .bind(&k.email)
            .bind(&k.guest_of)
            .bind(k.first_visit as i64)
            .bind(&k.how)
            .bind(at.by)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(a) = &account {
            // A check-in is attendance.
            sqlx::query("UPDATE rsvps SET attendance = 'attended', updated_at = $3 WHERE session_id = $1 AND account_id = $2")
                .bind(at.session_id)
                .bind(a)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(CheckedIn { people, today: today + party })
    }

    /// Everyone who answered a session, with whether they are checked in, for the host's list.
    pub async fn expected(&self, session_id: &str) -> Result<Vec<Expected>> {
        let rows = sqlx::query(
            "SELECT r.account_id, a.display_name, a.pronouns, r.status, r.online, r.guest_name, \
             COALESCE((SELECT MIN(k.at) FROM checkins k WHERE k.session_id = r.session_id AND k.account_id = r.account_id AND k.guest_of = ''), 0) AS checked_in_at \
             FROM rsvps r JOIN accounts a ON a.id = r.account_id WHERE r.session_id = $1 AND r.status <> 'cancelled' \
             ORDER BY CASE r.status WHEN 'going' THEN 0 ELSE 1 END, a.display_name, r.account_id",
        )
        .bind(session_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Expected {
                    account_id: col(r, "account_id")?,
                    name: col(r, "display_name")?,
                    pronouns: col(r, "pronouns")?,
                    status: RsvpStatus::parse(&col::<String>(r, "status")?).unwrap_or(RsvpStatus::Cancelled),
                    online: flag(r, "online")?,
                    guest_name: col(r, "guest_name")?,
                    checked_in_at: col(r, "checked_in_at")?,
                })
            })
            .collect()
    }

    /// A person's pass for a session (None: they have not answered, or cancelled).
    pub async fn pass(&self, session_id: &str, account_id: &str) -> Result<Option<Pass>> {
        // Answers from before check-in codes get theirs when first shown.
        sqlx::query("UPDATE rsvps SET checkin_code = $3 WHERE session_id = $1 AND account_id = $2 AND checkin_code = ''")
            .bind(session_id)
            .bind(account_id)
            .bind(new_checkin_code())
            .execute(&self.pool)
            .await?;
        let row = sqlx::query(
            "SELECT r.checkin_code, r.status, r.online, r.guest_name, \
             COALESCE((SELECT MIN(k.at) FROM checkins k WHERE k.session_id = r.session_id AND k.account_id = r.account_id AND k.guest_of = ''), 0) AS checked_in_at \
             FROM rsvps r WHERE r.session_id = $1 AND r.account_id = $2 AND r.status <> 'cancelled'",
        )
        .bind(session_id)
        .bind(account_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(Pass {
                code: col(&r, "checkin_code")?,
                status: RsvpStatus::parse(&col::<String>(&r, "status")?).unwrap_or(RsvpStatus::Cancelled),
                online: flag(&r, "online")?,
                guest_name: col(&r, "guest_name")?,
                checked_in_at: col(&r, "checked_in_at")?,
            })
        })
        .transpose()
    }

    /// Who came to a place on a day (its local date), in the order they came (a guest after whom they came with).
    pub async fn daily_log(&self, place_id: &str, day: &str) -> Result<Vec<Checkin>> {
        let sql = format!(
            "SELECT {LOG_COLUMNS} FROM checkins k LEFT JOIN sessions s ON s.id = k.session_id \
             WHERE k.place_id = $1 AND k.day = $2 ORDER BY k.at, CASE WHEN k.guest_of = '' THEN 0 ELSE 1 END, k.id"
        );
        let rows = sqlx::query(&sql).bind(place_id).bind(day).fetch_all(&self.pool).await?;
        rows.iter().map(checkin).collect()
    }
}

/// A registration by name and e-mail, waiting for its confirmation link.
#[derive(Debug, Clone)]
pub struct PendingRsvp<'a> {
    /// A hash of the link's secret: the secret itself is only in the mail.
    pub token_hash: &'a str,
    pub session_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub guest_name: &'a str,
    pub expires_at: i64,
}

impl Store {
    /// Keeps a registration until its link is followed; old ones are dropped here.
    pub async fn add_pending_rsvp(&self, p: &PendingRsvp<'_>, now: i64) -> Result<()> {
        sqlx::query("DELETE FROM pending_rsvps WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        sqlx::query(
            "INSERT INTO pending_rsvps (token_hash, session_id, email, name, guest_name, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(p.token_hash)
        .bind(p.session_id)
        .bind(p.email)
        .bind(p.name)
        .bind(p.guest_name)
        .bind(now)
        .bind(p.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Takes a registration (once): its e-mail, name and guest, if it is for this session and still good.
    pub async fn take_pending_rsvp(&self, token_hash: &str, session_id: &str, now: i64) -> Result<Option<(String, String, String)>> {
        let mut tx = self.begin().await?;
        let row: Option<(String, String, String)> = sqlx::query_as(
            "SELECT email, name, guest_name FROM pending_rsvps WHERE token_hash = $1 AND session_id = $2 AND expires_at >= $3",
        )
        .bind(token_hash)
        .bind(session_id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM pending_rsvps WHERE token_hash = $1").bind(token_hash).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(row)
    }
}

//! Check-in at the door: each person going has a pass (a QR code drawn by
//! the server and a short code); a host or the space's staff checks people
//! in from a phone, by scanning, from the list, by the typed code, or as a
//! walk-in; people going may check themselves in with the place's code of
//! the day. The place's daily log is what these leave behind.

use super::schedule::SessionView;
use super::{App, AppError, AppResult};
use cowork_core::checkin::{self, Refusal};
use cowork_core::input::{self, FieldError};
use cowork_core::time::Zone;
use cowork_core::Invalid;
use cowork_store::{Account, Arriving, CheckedIn, Checkin, CheckinAt, CheckinError, Expected, Pass, Place};
use hmac::{Hmac, Mac};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// A pass as its holder sees it.
pub struct PassView {
    pub pass: Pass,
    /// "7KQ4-M2XD", to read out or type.
    pub code: String,
    /// The QR code (an `<svg>` element) of the check-in link.
    pub svg: String,
}

/// The host's view of the door.
pub struct Door {
    pub v: SessionView,
    pub expected: Vec<Expected>,
    /// The place's code of the day, to show at the door for self check-in.
    pub day_code: String,
    /// Checked in at the place today, and the place's seats (0: no limit).
    pub today: usize,
    pub seats: u32,
}

/// A walk-in as the form gives it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct WalkIn {
    pub name: String,
    pub email: String,
    pub guest_of: String,
}

/// The QR code of a text, as an SVG element sized by its viewBox.
pub fn qr_svg(text: &str) -> String {
    match QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M) {
        Ok(code) => code
            .render::<svg::Color>()
            .min_dimensions(200, 200)
            .dark_color(svg::Color("#111111"))
            .light_color(svg::Color("#ffffff"))
            .quiet_zone(true)
            .build()
            // Drop the XML prologue: the SVG sits inside a page or a mail.
            .split_once("<svg")
            .map(|(_, rest)| format!("<svg role=\"img\" aria-label=\"Check-in QR code\"{rest}"))
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn refused(r: Refusal) -> AppError {
    refused_at("code", r)
}

/// A refusal said beside the field the host used: the code, the list, or the walk-in's name.
fn refused_at(field: &'static str, r: Refusal) -> AppError {
    AppError::Invalid(Invalid::one(field, r.message()))
}

impl App {
    /// The link a pass's QR code holds: opened by a host's phone it checks
    /// the person in; opened by anyone else it checks no one in.
    pub fn checkin_link(&self, session_id: &str, code: &str) -> String {
        format!("{}/s/{session_id}/checkin?code={code}", self.config.base_url)
    }

    /// My pass for a session at a place (None: not going, or a call).
    pub async fn my_pass(&self, me: &Account, v: &SessionView) -> AppResult<Option<PassView>> {
        if v.place.is_none() || v.session.cancelled {
            return Ok(None);
        }
        let Some(pass) = self.store.pass(&v.session.id, &me.id).await? else { return Ok(None) };
        if pass.status != cowork_core::rsvp::RsvpStatus::Going || pass.online {
            return Ok(None);
        }
        let svg = qr_svg(&self.checkin_link(&v.session.id, &pass.code));
        Ok(Some(PassView { code: checkin::display(&pass.code), svg, pass }))
    }

    /// The place's local date at `at`, and the end of that day.
    fn place_day(place: &Place, at: i64) -> (String, i64) {
        let zone = Zone::parse("tz", &place.details.time_zone).unwrap_or_else(|_| Zone::utc());
        let date = zone.local(at).date;
        let end = zone.instant(date.tomorrow().unwrap_or(date), jiff::civil::Time::midnight());
        (date.to_string(), end)
    }

    /// The code of the day at a place: a keyed hash of the place and its date.
    async fn day_code(&self, place: &Place, day: &str) -> AppResult<String> {
        let secret = self.store.place_day_secret(&place.id).await?;
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
        mac.update(place.id.as_bytes());
        mac.update(b"|");
        mac.update(day.as_bytes());
        Ok(checkin::day_code(&mac.finalize().into_bytes()))
    }

    async fn door_place(&self, v: &SessionView) -> AppResult<Place> {
        if v.place.is_none() {
            return Err(AppError::Invalid(Invalid::one("code", "This session meets online; there is no door to check in at.")));
        }
        Ok(self.store.place(&v.session.content.place_id).await?)
    }

    /// The door as a host or the place's staff sees it.
    pub async fn door(&self, me: &Account, session_id: &str) -> AppResult<Door> {
        let v = self.session_view(Some(me), session_id).await?;
        if !v.may_check_in(Some(me)) {
            return Err(AppError::Forbidden("Only the hosts and the place's staff check people in.".into()));
        }
        let place = self.door_place(&v).await?;
        let (day, _) = Self::place_day(&place, self.now().max(v.session.starts_at));
        let day_code = self.day_code(&place, &day).await?;
        let today = self.store.daily_log(&place.id, &day).await?.len();
        let expected = self.store.expected(session_id).await?;
        Ok(Door { seats: place.details.seats, v, expected, day_code, today })
    }

    /// Checks someone in at a session's door, for a host or the place's staff.
    pub async fn check_in(&self, me: &Account, session_id: &str, who: Arriving) -> AppResult<CheckedIn> {
        let v = self.session_view(Some(me), session_id).await?;
        if !v.may_check_in(Some(me)) {
            return Err(AppError::Forbidden("Only the hosts and the place's staff check people in.".into()));
        }
        let who = match who {
            Arriving::Code(typed) => Arriving::Code(
                checkin::normalize(&typed).filter(|c| c.len() == checkin::CODE_LEN).ok_or_else(|| refused(Refusal::Unknown))?,
            ),
            Arriving::WalkIn { name, email, guest_of } => {
                let mut problems = Vec::new();
                let name = input::line("name", &name, 1, 80).map_err(|e| problems.push(e)).unwrap_or_default();
                let guest_of = input::line("guest_of", &guest_of, 0, 80).map_err(|e| problems.push(e)).unwrap_or_default();
                let email = match email.trim() {
                    "" => String::new(),
                    e => cowork_core::input::Email::parse(e)
                        .map(|e| e.to_string())
                        .map_err(|e| problems.push(FieldError::new("email", e.message)))
                        .unwrap_or_default(),
                };
                if !problems.is_empty() {
                    return Err(AppError::Invalid(Invalid(problems)));
                }
                Arriving::WalkIn { name, email, guest_of }
            }
            other => other,
        };
        self.door_check_in(&v, me, who).await
    }

    /// Checks oneself in with the place's code of the day (people going only).
    pub async fn self_check_in(&self, me: &Account, session_id: &str, typed: &str) -> AppResult<CheckedIn> {
        let v = self.session_view(Some(me), session_id).await?;
        if !v.going() {
            return Err(AppError::Forbidden("Only people going check themselves in; a host can add you at the door.".into()));
        }
        // Guessing the code of the day: a few tries an hour are plenty for a typo.
        self.rate_limit(&[(format!("day-code:{}:{session_id}", me.id), 10, 3600)]).await?;
        let place = self.door_place(&v).await?;
        let (day, _) = Self::place_day(&place, self.now());
        let expected = self.day_code(&place, &day).await?;
        if checkin::normalize(typed).as_deref() != Some(expected.as_str()) {
            return Err(AppError::Invalid(Invalid::one("day_code", "That is not today's code. It is shown at the door.")));
        }
        self.door_check_in(&v, me, Arriving::DayCode(me.id.clone())).await
    }

    async fn door_check_in(&self, v: &SessionView, me: &Account, who: Arriving) -> AppResult<CheckedIn> {
        let field = match who {
            Arriving::Code(_) | Arriving::DayCode(_) => "code",
            Arriving::Listed(_) => "account",
            Arriving::WalkIn { .. } => "name",
        };
        let refused = |r: Refusal| refused_at(field, r);
        if v.session.cancelled {
            return Err(refused(Refusal::Cancelled));
        }
        let place = self.door_place(v).await?;
        let now = self.now();
        let (_, day_end) = Self::place_day(&place, v.session.ends_at.max(v.session.starts_at));
        checkin::door(v.session.starts_at, day_end, now).map_err(refused)?;
        let (day, _) = Self::place_day(&place, now);
        let by = if matches!(who, Arriving::DayCode(_)) { "" } else { me.id.as_str() };
        let at = CheckinAt { session_id: &v.session.id, place_id: &place.id, day: &day, seats: place.details.seats, by };
        match self.store.check_in(&at, &who, now).await {
            Ok(done) => Ok(done),
            Err(CheckinError::Refused(r)) => Err(refused(r)),
            Err(CheckinError::Store(e)) => Err(e.into()),
        }
    }

    /// A place's daily log, for the people who keep the place.
    pub async fn daily_log(&self, me: &Account, place_id: &str, day: Option<&str>) -> AppResult<(Place, String, Vec<Checkin>)> {
        let place = self.store.place(place_id).await?;
        if !self.keeps_place(Some(me), &place).await? {
            return Err(AppError::Forbidden("Only the people who keep this place read its daily log.".into()));
        }
        let day = match day.map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => cowork_core::time::parse_date("day", d)?.to_string(),
            None => Self::place_day(&place, self.now()).0,
        };
        let log = self.store.daily_log(place_id, &day).await?;
        Ok((place, day, log))
    }
}

/// The daily log as CSV, with cells that a spreadsheet would run as a
/// formula made inert.
pub fn log_csv(log: &[Checkin], zone: &Zone) -> String {
    let cell = |s: &str| {
        let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
        format!("\"{}\"", s.replace('"', "\"\""))
    };
    let mut out = String::from("time,name,email,guest_of,first_visit,session,how\r\n");
    for k in log {
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\r\n",
            zone.clock(k.at),
            cell(&k.name),
            cell(&k.email),
            cell(&k.guest_of),
            if k.first_visit { "yes" } else { "no" },
            cell(&k.session_title),
            k.how
        ));
    }
    out
}

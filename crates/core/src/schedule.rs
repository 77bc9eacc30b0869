//! Series and their occurrences: what an organizer plans, checked, and the
//! instants it turns into in its own time zone.

use crate::format::{self, Phase};
use crate::input::{self, FieldError, Invalid};
use crate::recurrence::{self, End, Frequency, Rule};
use crate::time::{parse_date, parse_time, Zone};
use jiff::civil::{Date, Time, Weekday};
use serde::{Deserialize, Serialize};

/// Where a session happens: a call, a place (one of the community's or the
/// organizer's own, by id), or both at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Place {
    /// A video call link (Jitsi, Zoom or any URL), shown to participants only.
    Online {
        video_url: String,
    },
    InPerson {
        place_id: String,
    },
    /// In person and online, each with its own limit.
    Hybrid {
        place_id: String,
        video_url: String,
    },
}

impl Place {
    pub fn kind(&self) -> &'static str {
        match self {
            Place::Online { .. } => "online",
            Place::InPerson { .. } => "in_person",
            Place::Hybrid { .. } => "hybrid",
        }
    }
    pub fn video_url(&self) -> &str {
        match self {
            Place::Online { video_url } | Place::Hybrid { video_url, .. } => video_url,
            Place::InPerson { .. } => "",
        }
    }
    /// The place's id, or "" for a call.
    pub fn place_id(&self) -> &str {
        match self {
            Place::InPerson { place_id } | Place::Hybrid { place_id, .. } => place_id,
            Place::Online { .. } => "",
        }
    }
    pub fn from_parts(kind: &str, video_url: &str, place_id: &str) -> Place {
        match kind {
            "in_person" => Place::InPerson { place_id: place_id.into() },
            "hybrid" => Place::Hybrid { place_id: place_id.into(), video_url: video_url.into() },
            _ => Place::Online { video_url: video_url.into() },
        }
    }
}

/// What kind of gathering a series is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SessionKind {
    /// A coworking call (or meeting) run on its format's timer.
    #[default]
    Call,
    /// A casual coworking day anywhere (Jelly): come and go, a round every 90 minutes.
    CoworkingDay,
    /// A coworking space's free drop-in day.
    DropIn,
    /// A coworking space's open house.
    OpenHouse,
}

impl SessionKind {
    pub const ALL: [SessionKind; 4] = [SessionKind::Call, SessionKind::CoworkingDay, SessionKind::DropIn, SessionKind::OpenHouse];
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Call => "call",
            SessionKind::CoworkingDay => "coworking_day",
            SessionKind::DropIn => "drop_in",
            SessionKind::OpenHouse => "open_house",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SessionKind::Call => "Coworking session",
            SessionKind::CoworkingDay => "Coworking day",
            SessionKind::DropIn => "Drop-in day",
            SessionKind::OpenHouse => "Open house",
        }
    }
    pub fn parse(s: &str) -> Option<SessionKind> {
        SessionKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    /// Days happen at a place, all day: they take the day format and need a place.
    pub fn is_day(self) -> bool {
        self != SessionKind::Call
    }
}

/// The format a day (coworking day, drop-in day, open house) runs on.
pub const DAY_FORMAT: &str = "builtin:coworking-day";

/// Languages a session can be held in, for the upcoming directory's filter.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("pt", "Português"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("sv", "Svenska"),
    ("pl", "Polski"),
    ("tr", "Türkçe"),
    ("ar", "العربية"),
    ("hi", "हिन्दी"),
    ("zh", "中文"),
    ("ja", "日本語"),
    ("ko", "한국어"),
    ("id", "Bahasa Indonesia"),
    ("sw", "Kiswahili"),
];

pub fn language_name(code: &str) -> &str {
    LANGUAGES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n).unwrap_or(code)
}

/// A series as typed in the form (or sent as JSON): every field text, checked by `parse`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SeriesInput {
    pub title: String,
    pub description: String,
    /// `builtin:…` or a community format's id.
    pub format: String,
    pub start_date: String,
    pub start_time: String,
    pub time_zone: String,
    /// none | daily | weekly | monthly_weekday | monthly_day
    pub repeat: String,
    pub interval: String,
    pub wd_mo: bool,
    pub wd_tu: bool,
    pub wd_we: bool,
    pub wd_th: bool,
    pub wd_fr: bool,
    pub wd_sa: bool,
    pub wd_su: bool,
    pub nth_1: bool,
    pub nth_2: bool,
    pub nth_3: bool,
    pub nth_4: bool,
    pub nth_last: bool,
    /// MO … SU, for monthly_weekday.
    pub month_weekday: String,
    /// 1–31 or "last", for monthly_day.
    pub month_day: String,
    /// never | until | count
    pub ends: String,
    pub until: String,
    pub count: String,
    /// An RRULE instead of the fields above (for API clients); wins when given.
    pub rrule: String,
    /// The in-person limit when there is a place; the only one for a call.
    pub capacity: String,
    /// The online limit of a hybrid session.
    pub online_capacity: String,
    /// online | in_person | hybrid
    pub place: String,
    pub video_url: String,
    /// One of the places the community or the organizer keeps.
    pub place_id: String,
    pub language: String,
    /// call (default) | coworking_day | drop_in | open_house
    pub kind: String,
}

/// A checked series, ready to store and expand.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesDraft {
    pub title: String,
    pub description: String,
    pub format_key: String,
    pub start_date: Date,
    pub start_time: Time,
    pub zone: Zone,
    pub rule: Option<Rule>,
    /// 0: no limit. In person when there is a place.
    pub capacity: i64,
    /// The online limit of a hybrid session (0: no limit).
    pub online_capacity: i64,
    pub place: Place,
    pub language: String,
    pub kind: SessionKind,
}

const WEEKDAY_FIELDS: [(Weekday, &str); 7] = [
    (Weekday::Monday, "MO"),
    (Weekday::Tuesday, "TU"),
    (Weekday::Wednesday, "WE"),
    (Weekday::Thursday, "TH"),
    (Weekday::Friday, "FR"),
    (Weekday::Saturday, "SA"),
    (Weekday::Sunday, "SU"),
];

impl SeriesInput {
    fn weekdays(&self) -> Vec<Weekday> {
        let flags = [self.wd_mo, self.wd_tu, self.wd_we, self.wd_th, self.wd_fr, self.wd_sa, self.wd_su];
        WEEKDAY_FIELDS.iter().zip(flags).filter(|(_, on)| *on).map(|((w, _), _)| *w).collect()
    }

    /// The rule the repeat fields describe, or None for a one-off.
    fn rule(&self, start: Option<Date>) -> Result<Option<Rule>, FieldError> {
        if !self.rrule.trim().is_empty() {
            return Rule::parse(&self.rrule).map(Some);
        }
        let repeat = self.repeat.trim();
        if repeat.is_empty() || repeat == "none" {
            return Ok(None);
        }
        let interval: u16 = match self.interval.trim() {
            "" => 1,
            v => v.parse().map_err(|_| FieldError::new("interval", "Repeat every how many? Use a whole number."))?,
        };
        let end = match self.ends.trim() {
            "" | "never" => End::Never,
            "until" => End::Until(parse_date("until", &self.until)?),
            "count" => End::Count(
                self.count.trim().parse().map_err(|_| FieldError::new("count", "End after how many times? Use a whole number."))?,
            ),
            _ => return Err(FieldError::new("ends", "Choose when the series ends.")),
        };
        let (frequency, by_day, by_month_day) = match repeat {
            "daily" => (Frequency::Daily, vec![], vec![]),
            "weekly" => {
                let mut days = self.weekdays();
                if days.is_empty() {
                    days = start.map(|d| vec![d.weekday()]).unwrap_or_default();
                }
                (Frequency::Weekly, days.into_iter().map(|w| (0, w)).collect(), vec![])
            }
            "monthly_weekday" => {
                let wd = WEEKDAY_FIELDS
                    .iter()
                    .find(|(_, c)| *c == self.month_weekday.trim().to_uppercase())
                    .map(|(w, _)| *w)
                    .or(start.map(|d| d.weekday()))
                    .ok_or_else(|| FieldError::new("month_weekday", "Choose a weekday."))?;
                let ords: Vec<i8> = [(1, self.nth_1), (2, self.nth_2), (3, self.nth_3), (4, self.nth_4), (-1, self.nth_last)]
                    .iter()
                    .filter(|(_, on)| *on)
                    .map(|(n, _)| *n)
                    .collect();
                if ords.is_empty() {
                    return Err(FieldError::new("repeat", "Tick which weeks of the month: first, second, third, fourth or last."));
                }
                (Frequency::Monthly, ords.into_iter().map(|n| (n, wd)).collect(), vec![])
            }
            "monthly_day" => {
                let d: i8 = match self.month_day.trim() {
                    "last" => -1,
                    "" => start.map(|d| d.day()).unwrap_or(1),
                    v => v
                        .parse()
                        .ok()
                        .filter(|d| (1..=31).contains(d))
                        .ok_or_else(|| FieldError::new("month_day", "Choose a day from 1 to 31, or the last day."))?,
                };
                (Frequency::Monthly, vec![], vec![d])
            }
            _ => return Err(FieldError::new("repeat", "Choose how the series repeats.")),
        };
        let rule = Rule { frequency, interval, by_day, by_month_day, end, week_start: Weekday::Monday };
        rule.check()?;
        Ok(Some(rule))
    }

    /// Checks everything, reporting every problem at once. A day (coworking
    /// day, drop-in day, open house) runs on the day format and needs a place.
    pub fn parse(&self, formats_known: impl Fn(&str) -> bool, places_known: impl Fn(&str) -> bool) -> Result<SeriesDraft, Invalid> {
        let mut inv = Invalid::default();
        let title = inv.take(input::line("title", &self.title, 3, 100));
        let description = inv.take(input::text("description", &self.description, 5000));
        let kind = match self.kind.trim() {
            "" => SessionKind::Call,
            k => SessionKind::parse(k).unwrap_or_else(|| {
                inv.push(FieldError::new("kind", "Choose a coworking session, a coworking day, a drop-in day or an open house."));
                SessionKind::Call
            }),
        };
        let format_key = if kind.is_day() { DAY_FORMAT.to_string() } else { self.format.trim().to_string() };
        if !formats_known(&format_key) {
            inv.push(FieldError::new("format", "Choose a format."));
        }
        let start_date = inv.take(parse_date("start_date", &self.start_date));
        let start_time = inv.take(parse_time("start_time", &self.start_time));
        let zone = inv.take(Zone::parse("time_zone", &self.time_zone));
        let rule = inv.take(self.rule(start_date).and_then(|r| match (&r, start_date) {
            (Some(rule), Some(d)) => rule.check_with_start(d).map(|_| r),
            _ => Ok(r),
        }));
        let capacity = inv.take(limit("capacity", &self.capacity));
        let online_capacity = inv.take(limit("online_capacity", &self.online_capacity));
        let place_id = || {
            let id = self.place_id.trim();
            if id.is_empty() {
                Err(FieldError::new("place_id", "Choose where you meet, or add a place first."))
            } else if !places_known(id) {
                Err(FieldError::new("place_id", "Choose one of the places listed."))
            } else {
                Ok(id.to_string())
            }
        };
        let place = match (self.place.trim(), kind.is_day()) {
            ("online", true) => {
                inv.push(FieldError::new("place", "A day happens at a place: choose in person (or hybrid)."));
                None
            }
            ("in_person", _) | ("", true) => inv.take(place_id().map(|place_id| Place::InPerson { place_id })),
            ("hybrid", _) => {
                let at = inv.take(place_id());
                let link = inv.take(input::optional_url("video_url", &self.video_url));
                at.zip(link).map(|(place_id, video_url)| Place::Hybrid { place_id, video_url })
            }
            ("" | "online", false) => {
                inv.take(input::optional_url("video_url", &self.video_url).map(|video_url| Place::Online { video_url }))
            }
            _ => {
                inv.push(FieldError::new("place", "Choose online, in person or hybrid."));
                None
            }
        };
        let language = match self.language.trim() {
            "" => "en".to_string(),
            l if LANGUAGES.iter().any(|(c, _)| *c == l) => l.to_string(),
            _ => {
                inv.push(FieldError::new("language", "Choose a language from the list."));
                String::new()
            }
        };
        match (title, description, start_date, start_time, zone, rule, capacity, online_capacity, place) {
            (
                Some(title),
                Some(description),
                Some(start_date),
                Some(start_time),
                Some(zone),
                Some(rule),
                Some(capacity),
                Some(online_capacity),
                Some(place),
            ) if inv.is_empty() => Ok(SeriesDraft {
                title,
                description,
                format_key,
                start_date,
                start_time,
                zone,
                rule,
                capacity,
                online_capacity: if matches!(place, Place::Hybrid { .. }) { online_capacity } else { 0 },
                place,
                language,
                kind,
            }),
            _ => Err(inv),
        }
    }

    /// The form's fields for a stored series. A rule the fields cannot
    /// express exactly (say, the fifth Wednesday) also travels as `rrule`, so
    /// an edit that leaves the rule alone keeps it.
    pub fn of(d: &SeriesDraft) -> SeriesInput {
        let mut i = Self::fields_of(d);
        if let Some(rule) = &d.rule {
            if i.rule(Some(d.start_date)).ok().flatten().as_ref() != Some(rule) {
                i.rrule = rule.to_rrule();
            }
        }
        i
    }

    fn fields_of(d: &SeriesDraft) -> SeriesInput {
        let mut i = SeriesInput {
            title: d.title.clone(),
            description: d.description.clone(),
            format: d.format_key.clone(),
            start_date: d.start_date.to_string(),
            start_time: format!("{:02}:{:02}", d.start_time.hour(), d.start_time.minute()),
            time_zone: d.zone.name().into(),
            repeat: "none".into(),
            interval: "1".into(),
            ends: "never".into(),
            capacity: if d.capacity == 0 { String::new() } else { d.capacity.to_string() },
            online_capacity: if d.online_capacity == 0 { String::new() } else { d.online_capacity.to_string() },
            place: d.place.kind().into(),
            video_url: d.place.video_url().into(),
            place_id: d.place.place_id().into(),
            language: d.language.clone(),
            kind: d.kind.as_str().into(),
            ..Default::default()
        };
        if let Some(r) = &d.rule {
            i.interval = r.interval.to_string();
            match r.end {
                End::Never => {}
                End::Until(u) => {
                    i.ends = "until".into();
                    i.until = u.to_string();
                }
                End::Count(n) => {
                    i.ends = "count".into();
                    i.count = n.to_string();
                }
            }
            match r.frequency {
                Frequency::Daily => i.repeat = "daily".into(),
                Frequency::Weekly => {
                    i.repeat = "weekly".into();
                    for (_, w) in &r.by_day {
                        match w {
                            Weekday::Monday => i.wd_mo = true,
                            Weekday::Tuesday => i.wd_tu = true,
                            Weekday::Wednesday => i.wd_we = true,
                            Weekday::Thursday => i.wd_th = true,
                            Weekday::Friday => i.wd_fr = true,
                            Weekday::Saturday => i.wd_sa = true,
                            Weekday::Sunday => i.wd_su = true,
                        }
                    }
                }
                Frequency::Monthly if !r.by_day.is_empty() => {
                    i.repeat = "monthly_weekday".into();
                    i.month_weekday = recurrence::weekday_code(r.by_day[0].1).into();
                    for (n, _) in &r.by_day {
                        match n {
                            1 => i.nth_1 = true,
                            2 => i.nth_2 = true,
                            3 => i.nth_3 = true,
                            4 => i.nth_4 = true,
                            _ => i.nth_last = true,
                        }
                    }
                }
                Frequency::Monthly => {
                    i.repeat = "monthly_day".into();
                    i.month_day = match r.by_month_day.first() {
                        Some(-1) => "last".into(),
                        Some(d) => d.to_string(),
                        None => String::new(),
                    };
                }
            }
        }
        i
    }
}

/// A limit on places: blank or 0 for none, else 1–10000.
fn limit(field: &'static str, typed: &str) -> Result<i64, FieldError> {
    match typed.trim() {
        "" => Ok(0),
        v => v
            .parse::<i64>()
            .ok()
            .filter(|c| (0..=10_000).contains(c))
            .ok_or_else(|| FieldError::new(field, "Use a number of places from 1 to 10000, or 0 for no limit.")),
    }
}

/// One occurrence as the schedule produces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// The local date it falls on: stable, so edits and RSVPs stay attached.
    pub key: String,
    pub starts_at: i64,
    pub ends_at: i64,
}

impl SeriesDraft {
    /// Occurrences whose dates fall in `[from, to]` (dates in the series' zone).
    pub fn occurrences(&self, minutes: u32, from: Date, to: Date) -> Vec<Occurrence> {
        recurrence::occurrences(self.start_date, self.rule.as_ref(), from, to)
            .into_iter()
            .map(|date| {
                let starts_at = self.zone.instant(date, self.start_time);
                Occurrence { key: date.to_string(), starts_at, ends_at: starts_at + i64::from(minutes) * 60 }
            })
            .collect()
    }

    /// "Every month on the first Wednesday, at 15:00 Europe/London", or the date of a one-off.
    pub fn describe(&self) -> String {
        let at = format!("{:02}:{:02} {}", self.start_time.hour(), self.start_time.minute(), self.zone.name());
        match &self.rule {
            Some(r) => format!("{}, at {at}", r.describe(self.start_date)),
            None => format!("Once, {} at {at}", self.start_date.strftime("%a %-d %b %Y")),
        }
    }
}

/// The date, in a zone, an instant falls on (the materialization window is in the series' zone).
pub fn date_in(zone: &Zone, unix: i64) -> Date {
    zone.local(unix).date
}

/// Phases for a session: a format's, by key.
pub fn phases_of(format_key: &str, custom: impl Fn(&str) -> Option<Vec<Phase>>) -> Option<Vec<Phase>> {
    format::builtin(format_key).map(|f| f.phases).or_else(|| custom(format_key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SeriesInput {
        SeriesInput {
            title: "Collaboration Cafe".into(),
            format: "builtin:collaboration-cafe".into(),
            start_date: "2026-11-04".into(),
            start_time: "15:00".into(),
            time_zone: "Europe/London".into(),
            repeat: "monthly_weekday".into(),
            nth_1: true,
            nth_3: true,
            month_weekday: "WE".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_collaboration_cafe_on_the_first_and_third_wednesday() {
        let d = input().parse(|k| k.starts_with("builtin:"), |_| true).unwrap();
        assert_eq!(d.rule.as_ref().unwrap().to_rrule(), "FREQ=MONTHLY;BYDAY=1WE,3WE");
        assert_eq!(d.describe(), "Every month on the first Wednesday and third Wednesday, at 15:00 Europe/London");
        let occ = d.occurrences(120, jiff::civil::date(2026, 11, 1), jiff::civil::date(2027, 4, 30));
        let ny = Zone::parse("tz", "America/New_York").unwrap();
        let in_ny: Vec<String> = occ.iter().map(|o| format!("{} {}", o.key, ny.clock(o.starts_at))).collect();
        // London and New York change clocks on different dates: in March 2027 the gap is 4 hours.
        assert_eq!(in_ny[..2], ["2026-11-04 10:00".to_string(), "2026-11-18 10:00".to_string()]);
        assert!(in_ny.contains(&"2027-03-17 11:00".to_string()), "{in_ny:?}");
        assert!(in_ny.contains(&"2027-04-07 10:00".to_string()), "{in_ny:?}");
        assert_eq!(occ[0].ends_at - occ[0].starts_at, 7200);
    }

    #[test]
    fn the_form_round_trips() {
        let d = input().parse(|_| true, |_| true).unwrap();
        let again = SeriesInput::of(&d).parse(|_| true, |_| true).unwrap();
        assert_eq!(d, again);
    }

    #[test]
    fn rules_the_form_cannot_show_travel_as_rrule() {
        let mut i = input();
        i.rrule = "FREQ=MONTHLY;BYDAY=5WE".into();
        let d = i.parse(|_| true, |_| true).unwrap();
        assert_eq!(SeriesInput::of(&d).rrule, "FREQ=MONTHLY;BYDAY=5WE");
        assert_eq!(SeriesInput::of(&input().parse(|_| true, |_| true).unwrap()).rrule, "", "simple rules stay in the fields");
    }

    #[test]
    fn every_problem_is_reported() {
        let mut i = input();
        i.title = "x".into();
        i.start_date = "2026-02-30".into();
        i.start_time = "25:00".into();
        i.time_zone = "Nowhere".into();
        i.capacity = "-1".into();
        i.place = "online".into();
        i.video_url = "javascript:1".into();
        i.format = "nope".into();
        let err = i.parse(|k| k.starts_with("builtin:"), |_| true).unwrap_err();
        for f in ["title", "start_date", "start_time", "time_zone", "capacity", "video_url", "format"] {
            assert!(err.message_for(f).is_some(), "{f}: {err}");
        }
    }

    #[test]
    fn a_day_happens_at_a_known_place_and_hybrid_keeps_two_limits() {
        let mut i = input();
        i.kind = "coworking_day".into();
        i.place = "online".into();
        let err = i.parse(|_| true, |_| true).unwrap_err();
        assert!(err.message_for("place").is_some(), "a day is not online: {err}");
        i.place = String::new();
        let err = i.parse(|_| true, |_| true).unwrap_err();
        assert!(err.message_for("place_id").is_some(), "a day with no choice made meets in person, at a place: {err}");
        i.place = "in_person".into();
        i.place_id = "elsewhere".into();
        let err = i.parse(|_| true, |id| id == "library").unwrap_err();
        assert_eq!(err.message_for("place_id"), Some("Choose one of the places listed."));
        i.place_id = "library".into();
        let day = i.parse(|_| true, |id| id == "library").unwrap();
        assert_eq!((day.kind, day.format_key.as_str(), day.place.place_id()), (SessionKind::CoworkingDay, DAY_FORMAT, "library"));
        let mut h = input();
        h.place = "hybrid".into();
        h.place_id = "library".into();
        h.video_url = "https://meet.jit.si/x".into();
        h.capacity = "12".into();
        h.online_capacity = "40".into();
        let d = h.parse(|_| true, |_| true).unwrap();
        assert_eq!((d.capacity, d.online_capacity, d.place.video_url()), (12, 40, "https://meet.jit.si/x"));
        assert_eq!(SeriesInput::of(&d).parse(|_| true, |_| true).unwrap(), d, "the form round-trips");
        h.online_capacity = "-1".into();
        assert!(h.parse(|_| true, |_| true).unwrap_err().message_for("online_capacity").is_some());
    }

    #[test]
    fn weekly_without_days_uses_the_start_day_and_rrule_wins() {
        let mut i = input();
        i.repeat = "weekly".into();
        assert_eq!(i.parse(|_| true, |_| true).unwrap().rule.unwrap().to_rrule(), "FREQ=WEEKLY;BYDAY=WE");
        i.rrule = "FREQ=DAILY;COUNT=3".into();
        assert_eq!(i.parse(|_| true, |_| true).unwrap().rule.unwrap().to_rrule(), "FREQ=DAILY;COUNT=3");
        i.rrule = "FREQ=SECONDLY".into();
        assert!(i.parse(|_| true, |_| true).is_err());
    }
}

/// The organizer's optional word when cancelling a session: a few lines at most.
pub fn cancel_note(raw: &str) -> Result<String, crate::FieldError> {
    crate::input::text("note", raw, 1000)
}

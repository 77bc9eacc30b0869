//! Time zones. Every conversion between instants and wall times lives here.

use crate::input::FieldError;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// A valid IANA time zone, such as `Europe/London`. It keeps the zone's rules
/// at hand, since a page may convert dozens of instants.
#[derive(Debug, Clone)]
pub struct Zone(String, TimeZone);

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Zone {}

impl Zone {
    pub fn parse(field: &'static str, raw: &str) -> Result<Zone, FieldError> {
        let v = raw.trim();
        if v.is_empty() {
            return Err(FieldError::new(field, "Choose a time zone, such as Europe/London."));
        }
        if v.len() > 64 {
            return Err(FieldError::new(field, "That is not a time zone name."));
        }
        // Accept any spelling the database knows, but store its canonical name:
        // browsers still report legacy ones such as Asia/Calcutta.
        let name = crate::zones::canonical(v).unwrap_or(v);
        match jiff::tz::db().get(name) {
            Ok(tz) => Ok(Zone(tz.iana_name().unwrap_or(name).to_string(), tz)),
            Err(_) => Err(FieldError::new(
                field,
                format!("“{v}” is not one time zone we know; type a city or a country, or a name such as America/New_York."),
            )),
        }
    }
    pub fn utc() -> Zone {
        Zone("UTC".into(), TimeZone::UTC)
    }
    pub fn name(&self) -> &str {
        &self.0
    }
    pub fn tz(&self) -> TimeZone {
        self.1.clone()
    }
    /// A date and time in this zone, for a page: "Sat 21 Nov 2026, 14:05 GMT".
    pub fn format(&self, unix_seconds: i64) -> String {
        match Timestamp::from_second(unix_seconds) {
            Ok(ts) => ts.to_zoned(self.tz()).strftime("%a %-d %b %Y, %H:%M %Z").to_string(),
            Err(_) => String::from("—"),
        }
    }
    /// A stretch of time, the one style of every page and mail:
    /// "Wed 16 Dec 2026, 10:00–12:00 EST", or across midnight
    /// "Wed 16 Dec 2026, 23:00 – Thu 17 Dec, 01:00 GMT".
    pub fn format_span(&self, start: i64, end: i64) -> String {
        let (Ok(a), Ok(b)) = (Timestamp::from_second(start), Timestamp::from_second(end)) else {
            return String::from("—");
        };
        let (a, b) = (a.to_zoned(self.tz()), b.to_zoned(self.tz()));
        let first = a.strftime("%a %-d %b %Y, %H:%M");
        if a.date() == b.date() {
            format!("{first}–{}", b.strftime("%H:%M %Z"))
        } else {
            format!("{first} – {}", b.strftime("%a %-d %b, %H:%M %Z"))
        }
    }
    /// A calendar date in this zone: "21 Nov 2026".
    pub fn format_date(&self, unix_seconds: i64) -> String {
        match Timestamp::from_second(unix_seconds) {
            Ok(ts) => ts.to_zoned(self.tz()).strftime("%-d %b %Y").to_string(),
            Err(_) => String::from("—"),
        }
    }
}

/// A wall-clock moment in a zone, as people schedule it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    pub date: Date,
    pub time: Time,
    /// Seconds east of UTC in force at that moment.
    pub offset_seconds: i32,
}

impl Zone {
    /// The instant of a wall time, following RFC 5545 §3.3.5: a time that
    /// falls in a gap (clocks spring forward) shifts forward by the gap; an
    /// ambiguous one (clocks fall back) takes the first of its two instants.
    pub fn instant(&self, date: Date, time: Time) -> i64 {
        let dt = DateTime::from_parts(date, time);
        match self.tz().to_ambiguous_timestamp(dt).compatible() {
            Ok(ts) => ts.as_second(),
            // Only reachable at the edges of representable time.
            Err(_) => dt.to_zoned(TimeZone::UTC).map(|z| z.timestamp().as_second()).unwrap_or(0),
        }
    }

    /// The wall time an instant shows in this zone.
    pub fn local(&self, unix_seconds: i64) -> Local {
        let ts = Timestamp::from_second(unix_seconds).unwrap_or(Timestamp::UNIX_EPOCH);
        let z = ts.to_zoned(self.tz());
        Local { date: z.date(), time: z.time(), offset_seconds: z.offset().seconds() }
    }

    /// "15:00" in this zone.
    pub fn clock(&self, unix_seconds: i64) -> String {
        let l = self.local(unix_seconds);
        format!("{:02}:{:02}", l.time.hour(), l.time.minute())
    }

    /// The zone's abbreviation at an instant ("BST", "EST", or "+0530" where none is in use).
    pub fn abbreviation(&self, unix_seconds: i64) -> String {
        let ts = Timestamp::from_second(unix_seconds).unwrap_or(Timestamp::UNIX_EPOCH);
        self.tz().to_offset_info(ts).abbreviation().to_string()
    }

    /// Offset changes in (from, to], for a calendar's VTIMEZONE.
    pub fn transitions(&self, from: i64, to: i64) -> Vec<Transition> {
        let tz = self.tz();
        let start = Timestamp::from_second(from).unwrap_or(Timestamp::UNIX_EPOCH);
        let mut before = tz.to_offset(start).seconds();
        let mut out = Vec::new();
        for t in tz.following(start) {
            let at = t.timestamp().as_second();
            if at > to || out.len() >= 400 {
                break;
            }
            let after = t.offset().seconds();
            out.push(Transition {
                at,
                offset_before: before,
                offset_after: after,
                abbreviation: t.abbreviation().to_string(),
                dst: t.dst().is_dst(),
            });
            before = after;
        }
        out
    }

    /// The offset in force at an instant, in seconds east of UTC.
    pub fn offset_at(&self, unix_seconds: i64) -> i32 {
        self.local(unix_seconds).offset_seconds
    }
}

/// One change of a zone's offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub at: i64,
    pub offset_before: i32,
    pub offset_after: i32,
    pub abbreviation: String,
    pub dst: bool,
}

/// How far off a moment is, the way people say it: "in 3 hours", "2 days ago", "now".
pub fn relative(now: i64, then: i64) -> String {
    let d = then - now;
    let a = d.abs();
    if a < 60 {
        return "now".into();
    }
    let (n, unit) = match a {
        a if a < 3600 => (a / 60, "minute"),
        a if a < 2 * 86_400 => ((a + 1800) / 3600, "hour"),
        a if a < 14 * 86_400 => ((a + 43_200) / 86_400, "day"),
        a if a < 60 * 86_400 => ((a + 302_400) / 604_800, "week"),
        a => ((a + 1_296_000) / 2_592_000, "month"),
    };
    let s = if n == 1 { "" } else { "s" };
    if d > 0 {
        format!("in {n} {unit}{s}")
    } else {
        format!("{n} {unit}{s} ago")
    }
}

/// Parses a calendar date typed as YYYY-MM-DD.
pub fn parse_date(field: &'static str, raw: &str) -> Result<Date, FieldError> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(FieldError::new(field, "Choose a date."));
    }
    v.parse::<Date>().map_err(|_| FieldError::new(field, format!("“{v}” is not a date; use the form 2026-12-02.")))
}

/// Parses a time of day typed as HH:MM (24-hour).
pub fn parse_time(field: &'static str, raw: &str) -> Result<Time, FieldError> {
    let v = raw.trim();
    let bad = || FieldError::new(field, format!("“{v}” is not a time; use 24-hour HH:MM, such as 15:00."));
    let (h, m) = v.split_once(':').ok_or_else(bad)?;
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    Time::new(h, m, 0, 0).map_err(|_| bad())
}

/// Every zone name people may choose, sorted, for a picker: no legacy names.
pub fn zone_names() -> Vec<String> {
    crate::zones::names().into_iter().map(String::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_zones_parse_and_unknown_ones_do_not() {
        assert_eq!(Zone::parse("tz", "Asia/Kolkata").unwrap().name(), "Asia/Kolkata");
        assert_eq!(Zone::parse("tz", " Pacific/Chatham ").unwrap().name(), "Pacific/Chatham");
        assert!(Zone::parse("tz", "Mars/Olympus").is_err());
        assert!(Zone::parse("tz", "").is_err());
        assert!(Zone::parse("tz", "../../etc/passwd").is_err());
    }

    #[test]
    fn times_show_in_the_viewers_zone() {
        // 2026-07-01T14:00:00Z
        let t = 1_782_914_400;
        assert_eq!(Zone::parse("tz", "Europe/London").unwrap().format(t), "Wed 1 Jul 2026, 15:00 BST");
        assert_eq!(Zone::parse("tz", "UTC").unwrap().format(t), "Wed 1 Jul 2026, 14:00 UTC");
    }

    #[test]
    fn a_span_is_one_line_in_one_style() {
        // 2026-12-16T15:00:00Z, two hours.
        let t = 1_797_433_200;
        assert_eq!(zone("America/New_York").format_span(t, t + 7200), "Wed 16 Dec 2026, 10:00–12:00 EST");
        assert_eq!(zone("Asia/Tokyo").format_span(t, t + 7200), "Thu 17 Dec 2026, 00:00–02:00 JST");
        assert_eq!(zone("Europe/London").format_span(t + 8 * 3600, t + 11 * 3600), "Wed 16 Dec 2026, 23:00 – Thu 17 Dec, 02:00 GMT");
    }

    fn zone(n: &str) -> Zone {
        Zone::parse("tz", n).unwrap()
    }

    #[test]
    fn a_wall_time_in_a_gap_shifts_forward() {
        // New York springs forward at 02:00 on 2027-03-14: 02:30 does not exist.
        let ny = zone("America/New_York");
        let t = ny.instant(jiff::civil::date(2027, 3, 14), jiff::civil::time(2, 30, 0, 0));
        assert_eq!(ny.clock(t), "03:30");
        assert_eq!(ny.offset_at(t), -4 * 3600);
    }

    #[test]
    fn an_ambiguous_wall_time_takes_the_first_instant() {
        // London falls back at 02:00 BST on 2026-10-25: 01:30 happens twice.
        let london = zone("Europe/London");
        let t = london.instant(jiff::civil::date(2026, 10, 25), jiff::civil::time(1, 30, 0, 0));
        assert_eq!(london.offset_at(t), 3600, "the first 01:30 is still BST");
        assert_eq!(london.clock(t), "01:30");
    }

    #[test]
    fn half_and_three_quarter_hour_zones() {
        let t = zone("Asia/Kolkata").instant(jiff::civil::date(2026, 7, 1), jiff::civil::time(9, 0, 0, 0));
        assert_eq!(zone("UTC").clock(t), "03:30");
        assert_eq!(zone("Pacific/Chatham").clock(t), "16:15", "UTC+12:45 in the southern winter");
    }

    #[test]
    fn transitions_are_listed_for_calendars() {
        let from = zone("UTC").instant(jiff::civil::date(2026, 1, 1), jiff::civil::time(0, 0, 0, 0));
        let to = from + 365 * 86_400;
        let t = zone("Europe/London").transitions(from, to);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].offset_before, t[0].offset_after, t[0].abbreviation.as_str(), t[0].dst), (0, 3600, "BST", true));
        assert!(zone("Asia/Kolkata").transitions(from, to).is_empty());
    }

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative(0, 3 * 3600), "in 3 hours");
        assert_eq!(relative(0, 30), "now");
        assert_eq!(relative(3 * 86_400, 0), "3 days ago");
        assert_eq!(relative(0, 60), "in 1 minute");
        assert_eq!(relative(0, 20 * 86_400), "in 3 weeks");
    }

    #[test]
    fn dates_and_times_are_parsed_strictly() {
        assert!(parse_date("d", "2026-02-30").is_err());
        assert_eq!(parse_date("d", "2026-12-02").unwrap(), jiff::civil::date(2026, 12, 2));
        assert_eq!(parse_time("t", "15:00").unwrap(), jiff::civil::time(15, 0, 0, 0));
        for bad in ["25:00", "15", "3pm", "15:60", ""] {
            assert!(parse_time("t", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_picker_lists_common_zones() {
        let names = zone_names();
        for z in ["Europe/London", "America/New_York", "Australia/Sydney", "UTC"] {
            assert!(names.iter().any(|n| n == z), "{z} missing");
        }
    }
}

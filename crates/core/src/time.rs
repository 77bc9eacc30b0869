//! Time zones. Every conversion between instants and wall times lives here.

use crate::input::FieldError;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// A valid IANA time zone name, such as `Europe/London`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone(String);

impl Zone {
    pub fn parse(field: &'static str, raw: &str) -> Result<Zone, FieldError> {
        let v = raw.trim();
        if v.is_empty() {
            return Err(FieldError::new(field, "Choose a time zone, such as Europe/London."));
        }
        if v.len() > 64 {
            return Err(FieldError::new(field, "That is not a time zone name."));
        }
        // Accept any spelling the database knows, but store its canonical name.
        match jiff::tz::db().get(v) {
            Ok(tz) => Ok(Zone(tz.iana_name().unwrap_or(v).to_string())),
            Err(_) => Err(FieldError::new(field, format!("“{v}” is not a time zone we know; use a name such as America/New_York."))),
        }
    }
    pub fn utc() -> Zone {
        Zone("UTC".into())
    }
    pub fn name(&self) -> &str {
        &self.0
    }
    fn tz(&self) -> TimeZone {
        jiff::tz::db().get(&self.0).unwrap_or(TimeZone::UTC)
    }
    /// A date and time in this zone, for a page: "Sat 21 Nov 2026, 14:05 GMT".
    pub fn format(&self, unix_seconds: i64) -> String {
        match Timestamp::from_second(unix_seconds) {
            Ok(ts) => ts.to_zoned(self.tz()).strftime("%a %-d %b %Y, %H:%M %Z").to_string(),
            Err(_) => String::from("—"),
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

/// Every zone name people may choose, sorted, for a picker.
pub fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.to_string())
        .filter(|n| {
            n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("SystemV/") && !n.starts_with("posix/") && !n.starts_with("right/")
        })
        .collect();
    names.push("UTC".into());
    names.sort();
    names.dedup();
    names
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
    fn the_picker_lists_common_zones() {
        let names = zone_names();
        for z in ["Europe/London", "America/New_York", "Australia/Sydney", "UTC"] {
            assert!(names.iter().any(|n| n == z), "{z} missing");
        }
    }
}

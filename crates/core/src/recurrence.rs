//! Recurrence rules: the RFC 5545 subset people schedule coworking with.
//! Daily; weekly on chosen weekdays every N weeks; monthly on the Nth (or
//! last) weekday or on a day of the month (or its last day); until a date or
//! for a count. Occurrences are calendar dates: the series' wall time and zone
//! turn each into an instant (see `time`). What RFC 5545 forbids (a part given
//! twice, COUNT with UNTIL) or what would change a rule's meaning unseen is
//! refused, never quietly reinterpreted.

use crate::input::FieldError;
use jiff::civil::{Date, Weekday};
use jiff::ToSpan;

mod dates;
pub use dates::{occurrences, resume};

/// No rule may produce more occurrences than this in its whole life.
pub const MAX_OCCURRENCES: u32 = 1000;
/// Nor run further than this many years past its start.
pub const MAX_YEARS: i16 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Never,
    /// The last date that may have an occurrence (inclusive).
    Until(Date),
    Count(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub frequency: Frequency,
    pub interval: u16,
    /// Weekly: the weekdays (ordinal 0). Monthly: the Nth weekday (1–4, or -1 for the last).
    pub by_day: Vec<(i8, Weekday)>,
    /// Monthly: days of the month (1–31, or -1 for the last day).
    pub by_month_day: Vec<i8>,
    pub end: End,
    /// The day weeks start on (WKST): with a weekly interval above 1 it decides
    /// which weeks are "every other" one. Monday unless the rule says otherwise.
    pub week_start: Weekday,
}

const DAYS: [(&str, Weekday); 7] = [
    ("MO", Weekday::Monday),
    ("TU", Weekday::Tuesday),
    ("WE", Weekday::Wednesday),
    ("TH", Weekday::Thursday),
    ("FR", Weekday::Friday),
    ("SA", Weekday::Saturday),
    ("SU", Weekday::Sunday),
];

pub fn weekday_code(w: Weekday) -> &'static str {
    DAYS.iter().find(|(_, d)| *d == w).map(|(c, _)| *c).unwrap_or("MO")
}

pub fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

fn ordinal_name(n: i8) -> &'static str {
    match n {
        1 => "first",
        2 => "second",
        3 => "third",
        4 => "fourth",
        5 => "fifth",
        -1 => "last",
        _ => "",
    }
}

fn rule_error(m: impl Into<String>) -> FieldError {
    FieldError::new("repeat", m)
}

fn weekday_of_code(code: &str) -> Option<Weekday> {
    DAYS.iter().find(|(c, _)| *c == code).map(|(_, w)| *w)
}

/// Days from the week's first day to `w`, 0–6.
pub(crate) fn days_into_week(w: Weekday, week_start: Weekday) -> i64 {
    i64::from(w.to_monday_zero_offset() - week_start.to_monday_zero_offset()).rem_euclid(7)
}

impl Rule {
    /// Parses an RRULE value such as `FREQ=MONTHLY;BYDAY=1WE,3WE;COUNT=12`.
    pub fn parse(rrule: &str) -> Result<Rule, FieldError> {
        let text = rrule.trim().trim_start_matches("RRULE:");
        let mut frequency = None;
        let mut interval = 1u16;
        let mut by_day = Vec::new();
        let mut by_month_day = Vec::new();
        let mut end = End::Never;
        let mut week_start = Weekday::Monday;
        let mut given: Vec<String> = Vec::new();
        for part in text.split(';').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| rule_error(format!("“{part}” is not a rule part.")))?;
            let k = k.trim().to_ascii_uppercase();
            // RFC 5545 §3.3.10: each part at most once; a second one would silently win.
            if given.contains(&k) {
                return Err(rule_error(format!("The rule gives {k} twice; give each part once.")));
            }
            given.push(k.clone());
            match k.as_str() {
                "FREQ" => {
                    frequency = Some(match v.to_ascii_uppercase().as_str() {
                        "DAILY" => Frequency::Daily,
                        "WEEKLY" => Frequency::Weekly,
                        "MONTHLY" => Frequency::Monthly,
                        other => return Err(rule_error(format!("Repeating {other} is not supported; use daily, weekly or monthly."))),
                    })
                }
                "INTERVAL" => interval = v.parse().map_err(|_| rule_error("The interval must be a whole number."))?,
                "BYDAY" => {
                    for d in v.split(',') {
                        let d = d.trim().to_ascii_uppercase();
                        if !d.is_ascii() || d.len() < 2 {
                            return Err(rule_error(format!("“{d}” is not a weekday.")));
                        }
                        let (num, code) = d.split_at(d.len() - 2);
                        let wd = weekday_of_code(code).ok_or_else(|| rule_error(format!("“{d}” is not a weekday.")))?;
                        let n: i8 = if num.is_empty() {
                            0
                        } else {
                            num.trim_start_matches('+').parse().map_err(|_| rule_error(format!("“{d}” is not a weekday.")))?
                        };
                        by_day.push((n, wd));
                    }
                }
                "BYMONTHDAY" => {
                    for d in v.split(',') {
                        by_month_day.push(d.trim().parse().map_err(|_| rule_error(format!("“{d}” is not a day of the month.")))?);
                    }
                }
                "UNTIL" => {
                    let digits: String = v.chars().take(8).collect();
                    let date = if digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit()) {
                        Date::new(digits[..4].parse().unwrap_or(0), digits[4..6].parse().unwrap_or(0), digits[6..8].parse().unwrap_or(0))
                            .ok()
                    } else {
                        None
                    };
                    end = End::Until(date.ok_or_else(|| rule_error(format!("“{v}” is not a date.")))?);
                }
                "COUNT" => end = End::Count(v.parse().map_err(|_| rule_error("The count must be a whole number."))?),
                "WKST" => {
                    week_start = weekday_of_code(&v.trim().to_ascii_uppercase())
                        .ok_or_else(|| rule_error(format!("The week start “{v}” is not a weekday such as MO or SU.")))?
                }
                other => return Err(rule_error(format!("The rule part {other} is not supported."))),
            }
        }
        if given.iter().any(|k| k == "COUNT") && given.iter().any(|k| k == "UNTIL") {
            return Err(rule_error("A rule ends either on a date (UNTIL) or after a number of times (COUNT), not both."));
        }
        let frequency = frequency.ok_or_else(|| rule_error("The rule needs a frequency."))?;
        // Only "every N weeks" counts weeks; elsewhere WKST changes nothing and is dropped,
        // so Outlook's habitual WKST=SU does not make a plain weekly rule look unusual.
        if frequency != Frequency::Weekly || interval == 1 {
            week_start = Weekday::Monday;
        }
        let rule = Rule { frequency, interval, by_day, by_month_day, end, week_start };
        rule.check()?;
        Ok(rule)
    }

    /// Refuses what would make no sense or expand without bound.
    pub fn check(&self) -> Result<(), FieldError> {
        let max_interval = match self.frequency {
            Frequency::Daily => 365,
            Frequency::Weekly => 52,
            Frequency::Monthly => 12,
        };
        if self.interval == 0 || self.interval > max_interval {
            return Err(rule_error(format!("Repeat every 1 to {max_interval} {}.", self.unit(2))));
        }
        match self.frequency {
            Frequency::Daily if !self.by_day.is_empty() || !self.by_month_day.is_empty() => {
                return Err(rule_error("A daily rule takes no weekdays or days of the month."))
            }
            Frequency::Weekly if self.by_day.iter().any(|(n, _)| *n != 0) || !self.by_month_day.is_empty() => {
                return Err(rule_error("A weekly rule takes plain weekdays."))
            }
            Frequency::Monthly => {
                if self.by_day.iter().any(|(n, _)| !matches!(n, 1..=5 | -1)) {
                    return Err(rule_error("Choose the first, second, third, fourth, fifth or last weekday of the month."));
                }
                if self.by_month_day.iter().any(|d| !matches!(d, 1..=31 | -1)) {
                    return Err(rule_error("Days of the month run from 1 to 31 (or the last day)."));
                }
                if !self.by_day.is_empty() && !self.by_month_day.is_empty() {
                    return Err(rule_error("Repeat monthly either on weekdays or on days of the month, not both."));
                }
            }
            _ => {}
        }
        for (i, (n, w)) in self.by_day.iter().enumerate() {
            if self.by_day[..i].contains(&(*n, *w)) {
                let which = if *n == 0 { weekday_name(*w).to_string() } else { format!("The {} {}", ordinal_name(*n), weekday_name(*w)) };
                return Err(rule_error(format!("{which} is listed twice; list each day once.")));
            }
        }
        for (i, d) in self.by_month_day.iter().enumerate() {
            if self.by_month_day[..i].contains(d) {
                let which = if *d == -1 { "The last day".to_string() } else { format!("The {d}{}", suffix(*d)) };
                return Err(rule_error(format!("{which} is listed twice; list each day once.")));
            }
        }
        if let End::Count(n) = self.end {
            if n == 0 || n > MAX_OCCURRENCES {
                return Err(rule_error(format!("End after 1 to {MAX_OCCURRENCES} times.")));
            }
        }
        Ok(())
    }

    /// Checks the end against the start: not before it, not too far after.
    pub fn check_with_start(&self, start: Date) -> Result<(), FieldError> {
        self.check()?;
        if let End::Until(u) = self.end {
            if u < start {
                return Err(rule_error("The series ends before it starts."));
            }
            if u > start.saturating_add(MAX_YEARS.years()) {
                return Err(rule_error(format!("A series can run at most {MAX_YEARS} years; end it sooner.")));
            }
        }
        Ok(())
    }

    fn unit(&self, n: u16) -> &'static str {
        match (self.frequency, n == 1) {
            (Frequency::Daily, true) => "day",
            (Frequency::Daily, false) => "days",
            (Frequency::Weekly, true) => "week",
            (Frequency::Weekly, false) => "weeks",
            (Frequency::Monthly, true) => "month",
            (Frequency::Monthly, false) => "months",
        }
    }

    /// The RRULE value, as a calendar wants it.
    pub fn to_rrule(&self) -> String {
        let mut parts = vec![format!(
            "FREQ={}",
            match self.frequency {
                Frequency::Daily => "DAILY",
                Frequency::Weekly => "WEEKLY",
                Frequency::Monthly => "MONTHLY",
            }
        )];
        if self.interval != 1 {
            parts.push(format!("INTERVAL={}", self.interval));
        }
        if !self.by_day.is_empty() {
            let days: Vec<String> = self
                .by_day
                .iter()
                .map(|(n, w)| if *n == 0 { weekday_code(*w).to_string() } else { format!("{n}{}", weekday_code(*w)) })
                .collect();
            parts.push(format!("BYDAY={}", days.join(",")));
        }
        if !self.by_month_day.is_empty() {
            parts.push(format!("BYMONTHDAY={}", self.by_month_day.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(",")));
        }
        match self.end {
            End::Never => {}
            End::Until(d) => parts.push(format!("UNTIL={:04}{:02}{:02}", d.year(), d.month(), d.day())),
            End::Count(n) => parts.push(format!("COUNT={n}")),
        }
        if self.week_start != Weekday::Monday {
            parts.push(format!("WKST={}", weekday_code(self.week_start)));
        }
        parts.join(";")
    }

    /// In words: "every 2 weeks on Monday and Wednesday, 10 times".
    pub fn describe(&self, start: Date) -> String {
        let every = if self.interval == 1 {
            format!("every {}", self.unit(1))
        } else {
            format!("every {} {}", self.interval, self.unit(self.interval))
        };
        let on = match self.frequency {
            Frequency::Daily => String::new(),
            Frequency::Weekly => {
                let days: Vec<Weekday> =
                    if self.by_day.is_empty() { vec![start.weekday()] } else { self.by_day.iter().map(|(_, w)| *w).collect() };
                format!(" on {}", join_words(&days.iter().map(|w| weekday_name(*w).to_string()).collect::<Vec<_>>()))
            }
            Frequency::Monthly if !self.by_day.is_empty() => {
                let days: Vec<String> = self.by_day.iter().map(|(n, w)| format!("{} {}", ordinal_name(*n), weekday_name(*w))).collect();
                format!(" on the {}", join_words(&days))
            }
            Frequency::Monthly => {
                let days: Vec<i8> = if self.by_month_day.is_empty() { vec![start.day()] } else { self.by_month_day.clone() };
                let words: Vec<String> =
                    days.iter().map(|d| if *d == -1 { "last day".to_string() } else { format!("{}{}", d, suffix(*d)) }).collect();
                format!(" on the {}", join_words(&words))
            }
        };
        let end = match self.end {
            End::Never => String::new(),
            End::Until(d) => format!(", until {}", d.strftime("%-d %b %Y")),
            End::Count(n) => format!(", {n} time{}", if n == 1 { "" } else { "s" }),
        };
        // Only then does the week start change which dates come.
        let weeks = if self.frequency == Frequency::Weekly && self.interval > 1 && self.week_start != Weekday::Monday {
            format!(" (weeks starting on {})", weekday_name(self.week_start))
        } else {
            String::new()
        };
        let text = format!("{every}{on}{weeks}{end}");
        let mut c = text.chars();
        c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
    }
}

fn suffix(d: i8) -> &'static str {
    match (d % 10, d % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

fn join_words(w: &[String]) -> String {
    match w.len() {
        0 => String::new(),
        1 => w[0].clone(),
        n => format!("{} and {}", w[..n - 1].join(", "), w[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn dates(v: &[Date]) -> Vec<String> {
        v.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn rules_round_trip_through_rrule_text() {
        for text in [
            "FREQ=DAILY",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE",
            "FREQ=MONTHLY;BYDAY=1WE,3WE;COUNT=12",
            "FREQ=MONTHLY;BYMONTHDAY=-1;UNTIL=20271231",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU",
        ] {
            assert_eq!(Rule::parse(text).unwrap().to_rrule(), text);
        }
    }

    #[test]
    fn bad_and_unbounded_rules_are_refused() {
        for bad in [
            "FREQ=WEEKLY;BYDAY=€",
            "FREQ=WEEKLY;BYDAY=É1",
            "FREQ=WEEKLY;BYDAY=M",
            "FREQ=YEARLY",
            "FREQ=HOURLY",
            "FREQ=WEEKLY;INTERVAL=0",
            "FREQ=WEEKLY;INTERVAL=99",
            "FREQ=DAILY;COUNT=5000",
            "FREQ=MONTHLY;BYDAY=7WE",
            "FREQ=WEEKLY;BYDAY=XX",
            "INTERVAL=2",
            "FREQ=MONTHLY;BYMONTHDAY=32",
            "FREQ=DAILY;UNTIL=2026",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad} should be refused");
        }
        let r = Rule::parse("FREQ=DAILY;UNTIL=20500101").unwrap();
        assert!(r.check_with_start(date(2026, 1, 1)).is_err(), "too far");
        assert!(Rule::parse("FREQ=DAILY;UNTIL=20250101").unwrap().check_with_start(date(2026, 1, 1)).is_err(), "ends before it starts");
    }

    #[test]
    fn the_week_start_decides_which_weeks_an_every_other_week_rule_takes() {
        // RFC 5545 §3.8.5.3, from Tuesday 5 Aug 1997: "every other week on Tuesday and Sunday".
        let start = date(1997, 8, 5);
        let monday = Rule::parse("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO").unwrap();
        let sunday = Rule::parse("FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU").unwrap();
        let all = |r: &Rule| dates(&occurrences(start, Some(r), start, date(1997, 12, 31)));
        assert_eq!(all(&monday), ["1997-08-05", "1997-08-10", "1997-08-19", "1997-08-24"]);
        assert_eq!(all(&sunday), ["1997-08-05", "1997-08-17", "1997-08-19", "1997-08-31"]);
        assert_eq!(sunday.describe(start), "Every 2 weeks on Tuesday and Sunday (weeks starting on Sunday), 4 times");
        assert_eq!(monday.to_rrule(), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;COUNT=4", "Monday is the default and is not written");
        assert_eq!(Rule::parse("FREQ=WEEKLY;BYDAY=TU;WKST=SU").unwrap().to_rrule(), "FREQ=WEEKLY;BYDAY=TU", "no weeks to count");
    }

    #[test]
    fn what_rfc_5545_forbids_is_refused_with_the_reason() {
        for (bad, why) in [
            ("FREQ=DAILY;COUNT=5;UNTIL=20271231", "not both"),
            ("FREQ=DAILY;UNTIL=20271231;COUNT=5", "not both"),
            ("FREQ=DAILY;FREQ=WEEKLY", "FREQ twice"),
            ("FREQ=WEEKLY;BYDAY=MO;byday=TU", "BYDAY twice"),
            ("FREQ=WEEKLY;BYDAY=TU,WE,TU", "Tuesday is listed twice"),
            ("FREQ=MONTHLY;BYDAY=1WE,1WE", "first Wednesday is listed twice"),
            ("FREQ=MONTHLY;BYMONTHDAY=15,15", "15th is listed twice"),
            ("FREQ=WEEKLY;WKST=XX", "not a weekday"),
        ] {
            let e = Rule::parse(bad).unwrap_err();
            assert!(e.message.contains(why), "{bad}: {}", e.message);
        }
        let thousands = format!("FREQ=WEEKLY;BYDAY={}", vec!["MO"; 5000].join(","));
        assert!(Rule::parse(&thousands).unwrap_err().message.contains("Monday is listed twice"));
    }

    #[test]
    fn a_series_resumed_later_gives_the_same_dates() {
        let every_other_tuesday = Rule::parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=SU").unwrap();
        let start = date(2016, 1, 5);
        let (at, r) = resume(start, &every_other_tuesday, date(2026, 12, 2)).unwrap();
        assert_eq!(at.to_string(), "2026-12-08", "an even number of weeks after 5 Jan 2016");
        let daily_ten = Rule::parse("FREQ=DAILY;COUNT=10").unwrap();
        let (at, r2) = resume(date(2026, 1, 1), &daily_ten, date(2026, 1, 8)).unwrap();
        assert_eq!((at.to_string(), r2.end), ("2026-01-08".to_string(), End::Count(3)));
        assert!(resume(date(2026, 1, 1), &daily_ten, date(2026, 1, 11)).is_none(), "all ten are past");
        assert_eq!(r.to_rrule(), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;WKST=SU");
    }

    #[test]
    fn first_and_third_wednesday() {
        let r = Rule::parse("FREQ=MONTHLY;BYDAY=1WE,3WE").unwrap();
        let got = occurrences(date(2026, 11, 4), Some(&r), date(2026, 11, 1), date(2027, 1, 31));
        assert_eq!(dates(&got), ["2026-11-04", "2026-11-18", "2026-12-02", "2026-12-16", "2027-01-06", "2027-01-20"]);
        assert_eq!(r.describe(date(2026, 11, 4)), "Every month on the first Wednesday and third Wednesday");
    }

    #[test]
    fn weekly_every_other_week_on_two_days() {
        let r = Rule::parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=5").unwrap();
        // Starting on a Thursday: that week's Tuesday is before the start and not counted.
        let got = occurrences(date(2026, 11, 19), Some(&r), date(2026, 1, 1), date(2027, 12, 31));
        assert_eq!(dates(&got), ["2026-11-19", "2026-12-01", "2026-12-03", "2026-12-15", "2026-12-17"]);
    }

    #[test]
    fn the_count_holds_from_the_start_whatever_the_window() {
        let r = Rule::parse("FREQ=DAILY;COUNT=10").unwrap();
        let got = occurrences(date(2026, 1, 1), Some(&r), date(2026, 1, 8), date(2026, 12, 31));
        assert_eq!(dates(&got), ["2026-01-08", "2026-01-09", "2026-01-10"]);
    }

    #[test]
    fn last_day_and_missing_days_of_the_month() {
        let last = Rule::parse("FREQ=MONTHLY;BYMONTHDAY=-1").unwrap();
        let got = occurrences(date(2026, 1, 31), Some(&last), date(2026, 1, 1), date(2026, 4, 30));
        assert_eq!(dates(&got), ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"]);
        let the_31st = Rule::parse("FREQ=MONTHLY;BYMONTHDAY=31").unwrap();
        let got = occurrences(date(2026, 1, 31), Some(&the_31st), date(2026, 1, 1), date(2026, 5, 31));
        assert_eq!(dates(&got), ["2026-01-31", "2026-03-31", "2026-05-31"], "months without a 31st are skipped");
        let last_friday = Rule::parse("FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20260331").unwrap();
        assert_eq!(
            dates(&occurrences(date(2026, 1, 1), Some(&last_friday), date(2026, 1, 1), date(2026, 12, 31))),
            ["2026-01-30", "2026-02-27", "2026-03-27"]
        );
    }

    #[test]
    fn a_one_off_is_its_start_date() {
        assert_eq!(dates(&occurrences(date(2026, 12, 2), None, date(2026, 12, 1), date(2026, 12, 3))), ["2026-12-02"]);
        assert!(occurrences(date(2026, 12, 2), None, date(2026, 12, 3), date(2026, 12, 9)).is_empty());
    }

    #[test]
    fn rules_read_as_words() {
        assert_eq!(
            Rule::parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;COUNT=10").unwrap().describe(date(2026, 1, 5)),
            "Every 2 weeks on Monday, Wednesday and Friday, 10 times"
        );
        assert_eq!(Rule::parse("FREQ=MONTHLY;BYMONTHDAY=-1").unwrap().describe(date(2026, 1, 31)), "Every month on the last day");
        assert_eq!(Rule::parse("FREQ=DAILY;UNTIL=20261224").unwrap().describe(date(2026, 12, 1)), "Every day, until 24 Dec 2026");
    }

    #[test]
    fn nothing_expands_past_the_caps() {
        let r = Rule::parse("FREQ=DAILY").unwrap();
        let got = occurrences(date(2026, 1, 1), Some(&r), date(2026, 1, 1), date(2040, 1, 1));
        assert_eq!(got.len() as u32, MAX_OCCURRENCES);
    }
}

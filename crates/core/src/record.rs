//! A person's record of work done with others: the sessions they came to
//! (group calls and partner sessions alike), their weekly streak, the time
//! they spent focusing, and the goals they checked out as done.

use crate::format::{Phase, PhaseKind};
use crate::time::Zone;
use serde::Serialize;

/// One session someone came to, as the record counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attended {
    pub starts_at: i64,
    /// Minutes of focus in its format.
    pub focus_minutes: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Record {
    pub sessions: usize,
    pub focus_minutes: u64,
    /// Weeks in a row, Monday to Sunday in the person's zone, with at least
    /// one session, up to this week (or the last, while this one has none yet).
    pub weekly_streak: u32,
    pub goals_done: usize,
}

impl Record {
    /// "12 h 30 min", "45 min", "0 min".
    pub fn hours_text(&self) -> String {
        let (h, m) = (self.focus_minutes / 60, self.focus_minutes % 60);
        match (h, m) {
            (0, m) => format!("{m} min"),
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        }
    }
}

/// The minutes of focus in a format's phases.
pub fn focus_minutes(phases: &[Phase]) -> u32 {
    phases.iter().filter(|p| p.kind == PhaseKind::Focus).map(|p| p.minutes).sum()
}

/// The week (counted from a Monday in 1970) an instant falls in, in `zone`.
fn week(zone: &Zone, unix: i64) -> i64 {
    let monday = jiff::civil::date(1970, 1, 5);
    let days = zone.local(unix).date.since(monday).map(|s| s.get_days()).unwrap_or(0);
    i64::from(days).div_euclid(7)
}

pub fn record(attended: &[Attended], goals_done: usize, zone: &Zone, now: i64) -> Record {
    let mut weeks: Vec<i64> = attended.iter().filter(|a| a.starts_at <= now).map(|a| week(zone, a.starts_at)).collect();
    weeks.sort_unstable();
    weeks.dedup();
    let this = week(zone, now);
    // A streak still stands while this week has no session yet.
    let mut expect = if weeks.last() == Some(&this) { this } else { this - 1 };
    let mut streak = 0;
    for w in weeks.iter().rev() {
        if *w != expect {
            break;
        }
        streak += 1;
        expect -= 1;
    }
    Record {
        sessions: attended.len(),
        focus_minutes: attended.iter().map(|a| u64::from(a.focus_minutes)).sum(),
        weekly_streak: streak,
        goals_done,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(zone: &Zone, y: i16, m: i8, d: i8, h: i8) -> i64 {
        zone.instant(jiff::civil::date(y, m, d), jiff::civil::time(h, 0, 0, 0))
    }

    #[test]
    fn a_streak_counts_weeks_in_a_row_up_to_this_one_or_the_last() {
        let z = Zone::parse("tz", "Europe/Berlin").unwrap();
        let s = |t| Attended { starts_at: t, focus_minutes: 44 };
        // Wednesday 2 December 2026; sessions in the weeks of 16 Nov, 23 Nov and 30 Nov.
        let now = at(&z, 2026, 12, 2, 12);
        let three = [s(at(&z, 2026, 11, 16, 9)), s(at(&z, 2026, 11, 24, 9)), s(at(&z, 2026, 11, 25, 9)), s(at(&z, 2026, 11, 30, 9))];
        let r = record(&three, 5, &z, now);
        assert_eq!((r.sessions, r.weekly_streak, r.goals_done, r.focus_minutes), (4, 3, 5, 176));
        assert_eq!(r.hours_text(), "2 h 56 min");
        // Nothing yet this week: the streak up to last week still stands.
        let r = record(&three[..3], 0, &z, now);
        assert_eq!(r.weekly_streak, 2);
        // A week missed breaks it.
        let r = record(&[s(at(&z, 2026, 11, 16, 9)), s(at(&z, 2026, 12, 1, 9))], 0, &z, now);
        assert_eq!(r.weekly_streak, 1);
        // Two weeks ago and nothing since: no streak.
        assert_eq!(record(&[s(at(&z, 2026, 11, 18, 9))], 0, &z, now).weekly_streak, 0);
        assert_eq!(record(&[], 0, &z, now), Record::default());
    }

    #[test]
    fn weeks_begin_on_monday_in_the_persons_zone() {
        // Sunday 23:30 in Tokyo is Sunday afternoon in London: for Tokyo the
        // session on Monday 00:30 local is the next week.
        let tokyo = Zone::parse("tz", "Asia/Tokyo").unwrap();
        let sunday = at(&tokyo, 2026, 11, 29, 23);
        let monday = at(&tokyo, 2026, 11, 30, 0);
        assert_eq!(week(&tokyo, monday), week(&tokyo, sunday) + 1);
        let now = at(&tokyo, 2026, 12, 1, 12);
        let r =
            record(&[Attended { starts_at: sunday, focus_minutes: 19 }, Attended { starts_at: monday, focus_minutes: 19 }], 0, &tokyo, now);
        assert_eq!(r.weekly_streak, 2);
    }

    #[test]
    fn focus_is_the_focus_phases_only() {
        assert_eq!(focus_minutes(&crate::partners::Length::Medium.phases()), 44);
    }
}

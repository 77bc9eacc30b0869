//! What a person can choose to hear of, on which channel, and when reminders
//! come. Plain names and defaults; the store keeps only what differs.

use crate::time::Zone;
use jiff::civil::Time;

/// A kind of notification, as a person turns it on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// RSVP confirmations with their calendar invitations, updates and cancellations.
    Confirmations,
    Reminders,
    StartingNow,
    OrganizerMessages,
    /// For organizers: reports, join requests waiting, sessions without a host.
    OrganizerNotices,
    WeeklyDigest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Push,
}

impl Kind {
    pub const ALL: [Kind; 6] =
        [Kind::Confirmations, Kind::Reminders, Kind::StartingNow, Kind::OrganizerMessages, Kind::OrganizerNotices, Kind::WeeklyDigest];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Confirmations => "confirmations",
            Kind::Reminders => "reminders",
            Kind::StartingNow => "starting_now",
            Kind::OrganizerMessages => "organizer_messages",
            Kind::OrganizerNotices => "organizer_notices",
            Kind::WeeklyDigest => "weekly_digest",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How the settings page and an unsubscribe answer name it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Confirmations => "Confirmations and calendar updates",
            Kind::Reminders => "Reminders before a session",
            Kind::StartingNow => "“Starting now” when the room opens",
            Kind::OrganizerMessages => "Messages from hosts and organizers",
            Kind::OrganizerNotices => "For organizers: reports and requests",
            Kind::WeeklyDigest => "Weekly digest of next week's sessions",
        }
    }

    /// On unless turned off; "starting now" is opt-in, and push is opt-in
    /// for everything (it needs a device first). The digest's opt-in is per
    /// community (nothing comes until one is chosen), so its mail is on.
    pub fn default_on(self, channel: Channel) -> bool {
        channel == Channel::Email && self != Kind::StartingNow
    }
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Email, Channel::Push];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Push => "push",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// When a reminder comes, relative to a session's start in the person's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReminderTime {
    /// 18:00 on the day before.
    DayBefore18,
    /// 08:00 on the day itself.
    Morning08,
    HourBefore,
    TenMinutes,
}

impl ReminderTime {
    pub const ALL: [ReminderTime; 4] =
        [ReminderTime::DayBefore18, ReminderTime::Morning08, ReminderTime::HourBefore, ReminderTime::TenMinutes];
    pub const DEFAULT: [ReminderTime; 2] = [ReminderTime::DayBefore18, ReminderTime::HourBefore];

    pub fn as_str(self) -> &'static str {
        match self {
            ReminderTime::DayBefore18 => "day_before_18",
            ReminderTime::Morning08 => "morning_08",
            ReminderTime::HourBefore => "hour_before",
            ReminderTime::TenMinutes => "ten_minutes",
        }
    }

    pub fn parse(s: &str) -> Option<ReminderTime> {
        ReminderTime::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ReminderTime::DayBefore18 => "The day before, at 18:00",
            ReminderTime::Morning08 => "The morning of, at 08:00",
            ReminderTime::HourBefore => "One hour before",
            ReminderTime::TenMinutes => "Ten minutes before",
        }
    }

    /// A stored list ("" is none); unknown names are skipped, order kept as in `ALL`.
    pub fn parse_list(s: &str) -> Vec<ReminderTime> {
        let names: Vec<&str> = s.split(',').map(str::trim).collect();
        ReminderTime::ALL.into_iter().filter(|t| names.contains(&t.as_str())).collect()
    }

    pub fn list(times: &[ReminderTime]) -> String {
        ReminderTime::ALL.into_iter().filter(|t| times.contains(t)).map(|t| t.as_str()).collect::<Vec<_>>().join(",")
    }
}

impl ReminderTime {
    /// When this reminder of a session starting at `starts_at` comes, for
    /// someone living in `zone`: wall times are the person's own, so 18:00
    /// stays 18:00 across a DST change.
    pub fn at(self, starts_at: i64, zone: &Zone) -> i64 {
        let day = zone.local(starts_at).date;
        match self {
            ReminderTime::DayBefore18 => zone.instant(day.yesterday().unwrap_or(day), Time::constant(18, 0, 0, 0)),
            ReminderTime::Morning08 => zone.instant(day, Time::constant(8, 0, 0, 0)),
            ReminderTime::HourBefore => starts_at - 3600,
            ReminderTime::TenMinutes => starts_at - 600,
        }
    }
}

/// The reminders still to come of a session: each chosen time's instant,
/// skipping those already past and those not before the start (a session at
/// 07:00 has no "morning of" reminder).
pub fn reminders_due(times: &[ReminderTime], starts_at: i64, zone: &Zone, now: i64) -> Vec<(ReminderTime, i64)> {
    times.iter().map(|t| (*t, t.at(starts_at, zone))).filter(|(_, at)| *at > now && *at < starts_at).collect()
}

/// The week a weekly digest covers, and when it comes, in one person's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestWeek {
    /// Sunday at 18:00, the evening before the week begins.
    pub sent_at: i64,
    /// Monday 00:00 of the week it lists …
    pub from: i64,
    /// … to the next Monday 00:00.
    pub to: i64,
    /// That Monday, as `YYYY-MM-DD` (names the week in dedupe keys).
    pub monday: jiff::civil::Date,
}

/// The first weekly digest that comes at or after `after` for someone in
/// `zone`: on Sunday evening at 18:00 their time, listing Monday to Sunday.
pub fn next_digest(after: i64, zone: &Zone) -> DigestWeek {
    let mut day = zone.local(after).date;
    loop {
        if day.weekday() == jiff::civil::Weekday::Sunday {
            let sent_at = zone.instant(day, Time::constant(18, 0, 0, 0));
            if sent_at >= after {
                let monday = day.tomorrow().unwrap_or(day);
                let next = monday.checked_add(jiff::Span::new().days(7)).unwrap_or(monday);
                let midnight = Time::constant(0, 0, 0, 0);
                return DigestWeek { sent_at, from: zone.instant(monday, midnight), to: zone.instant(next, midnight), monday };
            }
        }
        match day.tomorrow() {
            Ok(d) => day = d,
            Err(_) => return DigestWeek { sent_at: after, from: after, to: after + 7 * 86_400, monday: day },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_comes_on_sunday_evening_in_the_persons_zone() {
        let tokyo = Zone::parse("tz", "Asia/Tokyo").unwrap();
        let la = Zone::parse("tz", "America/Los_Angeles").unwrap();
        // Wednesday 2 December 2026, noon UTC.
        let now = Zone::utc().instant(jiff::civil::date(2026, 12, 2), Time::constant(12, 0, 0, 0));
        let t = next_digest(now, &tokyo);
        assert_eq!(tokyo.format(t.sent_at), tokyo.format(tokyo.instant(jiff::civil::date(2026, 12, 6), Time::constant(18, 0, 0, 0))));
        assert_eq!(t.monday, jiff::civil::date(2026, 12, 7));
        assert_eq!(t.to - t.from, 7 * 86_400);
        // Los Angeles's Sunday 18:00 comes 17 hours after Tokyo's.
        assert_eq!(next_digest(now, &la).sent_at - t.sent_at, 17 * 3600);
        // At the very moment it is due, it is that one; a second later, next week's.
        assert_eq!(next_digest(t.sent_at, &tokyo), t);
        assert_eq!(next_digest(t.sent_at + 1, &tokyo).monday, jiff::civil::date(2026, 12, 14));
        // The week of the autumn change in London is 7 days and 1 hour long.
        let london = Zone::parse("tz", "Europe/London").unwrap();
        let oct = london.instant(jiff::civil::date(2026, 10, 21), Time::constant(9, 0, 0, 0));
        let w = next_digest(oct, &london);
        assert_eq!(w.monday, jiff::civil::date(2026, 10, 26));
        let w = next_digest(oct - 7 * 86_400, &london);
        assert_eq!(w.to - w.from, 7 * 86_400 + 3600);
    }

    #[test]
    fn reminders_come_at_wall_times_in_the_persons_zone_across_dst() {
        let ny = Zone::parse("tz", "America/New_York").unwrap();
        let london = Zone::parse("tz", "Europe/London").unwrap();
        // Monday 9 March 2026 10:00 in London; New York moved to EDT on Sunday 8 March.
        let start = london.instant(jiff::civil::date(2026, 3, 9), Time::constant(10, 0, 0, 0));
        let due = reminders_due(&ReminderTime::ALL, start, &ny, 0);
        let local: Vec<String> = due.iter().map(|(_, at)| ny.format(*at)).collect();
        // The day before at 18:00 in New York is 8 March, already EDT (UTC-4): 22:00 UTC.
        assert_eq!(due[0], (ReminderTime::DayBefore18, ny.instant(jiff::civil::date(2026, 3, 8), Time::constant(18, 0, 0, 0))));
        assert_eq!(ny.clock(due[0].1), "18:00");
        assert_eq!(due[0].1 % 86_400, 22 * 3600);
        // 10:00 London is 06:00 New York: the morning at 08:00 is after the start, so skipped.
        assert_eq!(
            due.iter().map(|d| d.0).collect::<Vec<_>>(),
            vec![ReminderTime::DayBefore18, ReminderTime::HourBefore, ReminderTime::TenMinutes]
        );
        assert_eq!(due[1].1, start - 3600, "{local:?}");
        // A week earlier New York was still on EST (UTC-5): 18:00 there is 23:00 UTC.
        let earlier = reminders_due(&[ReminderTime::DayBefore18], start - 7 * 86_400, &ny, 0);
        assert_eq!(earlier[0].1 % 86_400, 23 * 3600);
        // Past times are skipped.
        assert_eq!(reminders_due(&ReminderTime::DEFAULT, start, &ny, start - 1800), vec![]);
    }

    #[test]
    fn names_round_trip_and_defaults_are_the_documented_ones() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert!(Kind::Confirmations.default_on(Channel::Email));
        // "Starting now" is opt-in; the digest is opt-in per community, so its mail kind is on.
        assert!(!Kind::StartingNow.default_on(Channel::Email));
        assert!(Kind::WeeklyDigest.default_on(Channel::Email));
        assert!(!Kind::Reminders.default_on(Channel::Push));
        assert_eq!(ReminderTime::parse_list("hour_before, day_before_18,nonsense"), ReminderTime::DEFAULT.to_vec());
        assert_eq!(ReminderTime::list(&[ReminderTime::TenMinutes, ReminderTime::DayBefore18]), "day_before_18,ten_minutes");
        assert!(ReminderTime::parse_list("").is_empty());
    }
}

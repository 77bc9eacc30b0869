//! What a person can choose to hear of, on which channel, and when reminders
//! come. Plain names and defaults; the store keeps only what differs.

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

    /// On unless turned off; "starting now" and the digest are opt-in, and
    /// push is opt-in for everything (it needs a device first).
    pub fn default_on(self, channel: Channel) -> bool {
        channel == Channel::Email && !matches!(self, Kind::StartingNow | Kind::WeeklyDigest)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_defaults_are_the_documented_ones() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert!(Kind::Confirmations.default_on(Channel::Email));
        assert!(!Kind::WeeklyDigest.default_on(Channel::Email));
        assert!(!Kind::Reminders.default_on(Channel::Push));
        assert_eq!(ReminderTime::parse_list("hour_before, day_before_18,nonsense"), ReminderTime::DEFAULT.to_vec());
        assert_eq!(ReminderTime::list(&[ReminderTime::TenMinutes, ReminderTime::DayBefore18]), "day_before_18,ten_minutes");
        assert!(ReminderTime::parse_list("").is_empty());
    }
}

//! Places at a session: who goes, who waits, and what counts as late.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RsvpStatus {
    Going,
    Waitlisted,
    Cancelled,
}

impl RsvpStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RsvpStatus::Going => "going",
            RsvpStatus::Waitlisted => "waitlisted",
            RsvpStatus::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [RsvpStatus::Going, RsvpStatus::Waitlisted, RsvpStatus::Cancelled].into_iter().find(|r| r.as_str() == s)
    }
}

/// Whether a new RSVP gets a place (capacity 0 means no limit).
pub fn place_for(capacity: i64, going: i64) -> RsvpStatus {
    if capacity <= 0 || going < capacity {
        RsvpStatus::Going
    } else {
        RsvpStatus::Waitlisted
    }
}

/// Who may come into a session's live room: members; when places are
/// limited, only the people going and the hosts.
pub fn may_enter_room(member: bool, limited_places: bool, going: bool, host: bool) -> bool {
    member && (!limited_places || going || host)
}

/// Cancelling less than this long before the start counts as late.
pub const LATE_CANCEL_SECONDS: i64 = 2 * 3600;

pub fn is_late_cancellation(now: i64, starts_at: i64) -> bool {
    starts_at - now < LATE_CANCEL_SECONDS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attendance {
    Unmarked,
    Attended,
    NoShow,
}

impl Attendance {
    pub fn as_str(self) -> &'static str {
        match self {
            Attendance::Unmarked => "",
            Attendance::Attended => "attended",
            Attendance::NoShow => "no_show",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Attendance::Unmarked, Attendance::Attended, Attendance::NoShow].into_iter().find(|a| a.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_run_out_at_capacity() {
        assert_eq!(place_for(10, 9), RsvpStatus::Going);
        assert_eq!(place_for(10, 10), RsvpStatus::Waitlisted);
        assert_eq!(place_for(0, 5000), RsvpStatus::Going, "no limit");
    }

    #[test]
    fn late_means_within_two_hours() {
        assert!(is_late_cancellation(0, 3600));
        assert!(!is_late_cancellation(0, 3 * 3600));
    }
}

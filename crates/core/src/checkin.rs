//! Check-in at the door: personal codes, the code of the day, when a
//! session's door is open, and what a refused check-in tells the host.

use serde::Serialize;

/// Crockford's base 32: no I, L, O or U, so a code read aloud or typed from
/// a phone screen is not mistaken.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a personal check-in code (40 bits).
pub const CODE_LEN: usize = 8;

/// A personal code from five random bytes.
pub fn code_from(bytes: [u8; 5]) -> String {
    let n = bytes.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
    (0..CODE_LEN).rev().map(|i| ALPHABET[((n >> (i * 5)) & 31) as usize] as char).collect()
}

/// A code as typed ("7kq4 m2xd", "7KQ4-M2XD", with O for 0): its canonical
/// form, or None when it cannot be one of ours.
pub fn normalize(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_LEN);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '\u{a0}' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) || out.len() >= CODE_LEN + 2 {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_LEN || out.len() == DAY_CODE_LEN).then_some(out)
}

/// "7KQ4-M2XD": easier to read off a screen.
pub fn display(code: &str) -> String {
    if code.len() == CODE_LEN {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_string()
    }
}

/// Characters in a place's code of the day.
pub const DAY_CODE_LEN: usize = 6;

/// The code of the day from a keyed hash of the place and the date (the
/// server holds the key), so every node shows the same code and none is stored.
pub fn day_code(mac: &[u8]) -> String {
    mac.iter().take(DAY_CODE_LEN).map(|b| ALPHABET[usize::from(*b) % 32] as char).collect()
}

/// The door opens two hours before a session and closes when its day ends.
pub const OPENS_BEFORE_SECONDS: i64 = 2 * 3600;

/// Why a check-in was refused: said so the host at the door knows what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    /// Not a code of this session at all (mistyped, or made up).
    Unknown,
    /// A real code, but for another session.
    OtherSession { title: String },
    /// The session has not opened its door yet.
    NotYet,
    /// The session is over.
    Expired,
    /// They are checked in already.
    AlreadyIn { name: String },
    /// They hold no place (waitlisted or cancelled).
    NoPlace { name: String },
    /// The place's seats for the day are all taken.
    Full { seats: u32 },
    /// The session was cancelled.
    Cancelled,
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::Unknown => "That code is not one of this session's. Check it, or find the person in the list.".into(),
            Refusal::OtherSession { title } => format!("That code is for another session: {title}."),
            Refusal::NotYet => "Check-in opens two hours before the start.".into(),
            Refusal::Expired => "This session is over; its codes no longer check anyone in.".into(),
            Refusal::AlreadyIn { name } => format!("{name} is checked in already."),
            Refusal::NoPlace { name } => format!("{name} has no place: they are on the waitlist or cancelled."),
            Refusal::Full { seats } => format!("All {seats} seats of the day are taken."),
            Refusal::Cancelled => "This session was cancelled.".into(),
        }
    }
}

/// Whether a session's door is open at `now`: from two hours before it
/// starts until the end of its last day (a coworking day runs on; people come
/// and go). `day_end` is midnight after the session's end, in the place's zone.
pub fn door(starts_at: i64, day_end: i64, now: i64) -> Result<(), Refusal> {
    if now < starts_at - OPENS_BEFORE_SECONDS {
        Err(Refusal::NotYet)
    } else if now >= day_end {
        Err(Refusal::Expired)
    } else {
        Ok(())
    }
}

/// Whether the day has a seat left: `seats` 0 means no limit.
pub fn seat_left(seats: u32, checked_in: i64) -> Result<(), Refusal> {
    if seats > 0 && checked_in >= i64::from(seats) {
        Err(Refusal::Full { seats })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_however_they_are_typed() {
        let code = code_from([0xde, 0xad, 0xbe, 0xef, 0x01]);
        assert_eq!(code.len(), CODE_LEN);
        assert_eq!(normalize(&code), Some(code.clone()));
        assert_eq!(normalize(&display(&code).to_lowercase()), Some(code.clone()));
        assert_eq!(normalize(" 7kq4 m2xd "), Some("7KQ4M2XD".into()));
        assert_eq!(normalize("OIL0-0000"), Some("01100000".into()), "O, I and L are read as 0, 1 and 1");
        assert_eq!(normalize("7KQ4-M2XU"), None, "U is not in the alphabet");
        assert_eq!(normalize("7KQ4"), None);
        assert_eq!(normalize("7KQ4M2XD7KQ4M2XD"), None);
        assert_eq!(normalize("ABCDEF"), Some("ABCDEF".into()), "a code of the day");
        assert_eq!(normalize("' OR 1=1 --"), None);
    }

    #[test]
    fn the_door_opens_two_hours_early_and_closes_at_the_end_of_the_day() {
        let start = 1_000_000;
        let day_end = start + 20 * 3600;
        assert_eq!(door(start, day_end, start - 3 * 3600), Err(Refusal::NotYet));
        assert_eq!(door(start, day_end, start - 3600), Ok(()));
        assert_eq!(door(start, day_end, day_end - 1), Ok(()));
        assert_eq!(door(start, day_end, day_end), Err(Refusal::Expired));
    }

    #[test]
    fn the_day_fills_up() {
        assert_eq!(seat_left(0, 10_000), Ok(()));
        assert_eq!(seat_left(2, 1), Ok(()));
        assert_eq!(seat_left(2, 2), Err(Refusal::Full { seats: 2 }));
        assert!(Refusal::Full { seats: 2 }.message().contains("2 seats"));
        assert_eq!(day_code(&[0, 1, 31, 32, 255, 7, 9]), "01Z0Z7");
    }
}

//! How someone in a room shows themselves: what they are doing now, and
//! whether they would rather be left alone or talk.

use crate::input::FieldError;

/// What someone is doing, shown beside their name.
pub const STATUSES: [(&str, &str); 5] =
    [("focusing", "Focusing"), ("break", "On a break"), ("away", "Away"), ("hand", "Hand raised"), ("dnd", "Do not disturb")];

/// Quiet: rather not be spoken to; social: happy to chat in breaks.
pub const MODES: [(&str, &str); 3] = [("either", "Either"), ("quiet", "Quiet"), ("social", "Social")];

fn one_of(field: &'static str, value: &str, allowed: &'static [(&'static str, &'static str)]) -> Result<&'static str, FieldError> {
    allowed.iter().map(|(k, _)| *k).find(|k| *k == value).ok_or_else(|| {
        FieldError::new(field, format!("Choose one of: {}.", allowed.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")))
    })
}

pub fn status(value: &str) -> Result<&'static str, FieldError> {
    one_of("status", value, &STATUSES)
}

pub fn mode(value: &str) -> Result<&'static str, FieldError> {
    one_of("mode", value, &MODES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_modes_are_from_a_short_list() {
        assert_eq!(status("hand").unwrap(), "hand");
        assert_eq!(mode("quiet").unwrap(), "quiet");
        assert!(status("asleep").is_err());
        assert!(mode("focusing").is_err());
        assert!(status("").is_err());
    }
}

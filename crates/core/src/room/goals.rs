//! Goals set at the start of a session and checked at its end, and the
//! feedback given at the close.

use crate::input::{self, FieldError};
use serde::{Deserialize, Serialize};

pub const MAX_GOALS_PER_PERSON: usize = 10;

/// How a goal went, said at wrap-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Open,
    Done,
    Partly,
    NotYet,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Open => "open",
            Outcome::Done => "done",
            Outcome::Partly => "partly",
            Outcome::NotYet => "not_yet",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Open, Outcome::Done, Outcome::Partly, Outcome::NotYet].into_iter().find(|o| o.as_str() == s)
    }
}

/// A goal's text: one line, 1–200 characters.
pub fn goal(raw: &str) -> Result<String, FieldError> {
    input::line("goal", raw, 1, 200)
}

/// A note on how it went (optional), up to 500 characters.
pub fn check_in_note(raw: &str) -> Result<String, FieldError> {
    input::text("note", raw, 500)
}

/// Whether one more goal may be added by someone who has `count` already.
pub fn may_add_goal(count: usize) -> Result<(), FieldError> {
    if count >= MAX_GOALS_PER_PERSON {
        return Err(FieldError::new("goal", format!("Keep it to {MAX_GOALS_PER_PERSON} goals for one session.")));
    }
    Ok(())
}

/// Feedback at the close: a rating from 1 to 5 and an optional comment.
pub fn feedback(rating: i64, comment: &str) -> Result<(u8, String), FieldError> {
    if !(1..=5).contains(&rating) {
        return Err(FieldError::new("rating", "Rate the session from 1 to 5."));
    }
    Ok((rating as u8, input::text("comment", comment, 2000)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_and_check_ins() {
        assert_eq!(goal("  Draft chapter 2 ").unwrap(), "Draft chapter 2");
        assert!(goal("").is_err());
        assert!(goal(&"x".repeat(201)).is_err());
        assert!(goal("two\nlines").is_err());
        assert!(may_add_goal(9).is_ok());
        assert!(may_add_goal(10).is_err());
        assert_eq!(Outcome::parse("not_yet"), Some(Outcome::NotYet));
        assert_eq!(Outcome::parse("maybe"), None);
        assert!(check_in_note(&"n".repeat(501)).is_err());
    }

    #[test]
    fn feedback_is_a_rating_and_words() {
        assert_eq!(feedback(5, " Lovely ").unwrap(), (5, "Lovely".to_string()));
        assert!(feedback(0, "").is_err());
        assert!(feedback(6, "").is_err());
    }
}

//! Pure domain rules of cowork. Nothing here does I/O: every rule is a plain
//! function over plain data, so it can be read and tested alone.

pub mod checkin;
pub mod community;
pub mod format;
pub mod gazetteer;
pub mod input;
pub mod notifications;
pub mod partners;
#[cfg(test)]
mod partners_properties;
pub mod permissions;
pub mod places;
pub mod record;
pub mod recurrence;
pub mod room;
pub mod rsvp;
pub mod schedule;
#[cfg(test)]
mod schedule_properties;
#[cfg(test)]
mod test_gen;
pub mod time;
pub mod webhooks;
pub mod zones;

pub use input::{FieldError, Invalid};

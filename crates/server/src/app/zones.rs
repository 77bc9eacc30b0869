//! Time zone fields: what people type there is read with the clock's help,
//! since abbreviations and offsets depend on the day.

use super::{now, App};
use cowork_core::zones::{self, Found};

impl App {
    /// Zones matching what someone typed: "New York", "India", "CET", "+05:30".
    pub fn find_zones(&self, query: &str) -> Found {
        zones::search(query, now())
    }
}

/// Zones matching what someone typed, for a form that could not take it.
pub fn search(typed: &str) -> Found {
    zones::search(typed, now())
}

/// A zone field as typed, made a canonical zone name when it clearly means
/// one zone; otherwise left for the parser to refuse and the form to offer matches.
pub fn settle(typed: &str) -> String {
    zones::settle(typed, now())
}

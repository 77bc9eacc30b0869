//! Time zone fields: what people type there is read with the clock's help,
//! since abbreviations and offsets depend on the day.

use super::{now, App};
use cowork_core::zones::{self, Found};
use cowork_core::Invalid;

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

/// Parses a form after reading its zone field with `zones::settle`, so that
/// a zone found from text is stored by name, and a zone error is listed with
/// the form's other errors.
pub fn parse_with_zone<I, T>(
    mut input: I,
    zone: impl Fn(&mut I) -> &mut String,
    parse: impl FnOnce(&I) -> Result<T, Invalid>,
) -> Result<T, Invalid> {
    let typed = zone(&mut input);
    let settled = zones::settle("time_zone", typed, now());
    if let Ok(name) = &settled {
        *typed = name.clone();
    }
    let parsed = parse(&input);
    match settled {
        Ok(_) => parsed,
        Err(e) => {
            let mut errors = parsed.err().map(|i| i.0).unwrap_or_default();
            errors.retain(|x| x.field != "time_zone");
            errors.push(e);
            Err(Invalid(errors))
        }
    }
}

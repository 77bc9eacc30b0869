//! .ics import: every event becomes a series — a single date, or a repeating
//! event with the dates its file removed (EXDATE), added (RDATE) or changed
//! (RECURRENCE-ID). All of a file lands, or (on any error) none of it, and
//! an error names the line that cowork cannot express.

use super::schedule::HORIZON_DAYS;
use super::{now, App, AppError, AppResult};
use crate::ical::{self, ImportError, ImportedEvent, Stamp};
use cowork_core::format::{duration_words, Phase, PhaseKind};
use cowork_core::permissions::Action;
use cowork_core::places::{PlaceDraft, PlaceKind};
use cowork_core::recurrence::{self, Rule, MAX_OCCURRENCES};
use cowork_core::schedule::{date_in, SeriesDraft, SeriesInput};
use cowork_core::time::Zone;
use cowork_core::Invalid;
use cowork_store::PlaceOwner;
use cowork_store::{Account, Content, Exception, ImportedSeries, Planned, Timing};
use jiff::civil::{Date, Time};
use jiff::ToSpan;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What an import did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    /// Sessions added, cancelled dates included.
    pub imported: usize,
    /// Repeating events, each kept as a series.
    pub series: usize,
    /// Dates of those series that the file cancelled, moved, changed or added.
    pub exceptions: usize,
    /// Events imported before (same UID), left alone.
    pub duplicates: usize,
    /// Events with no date left to come.
    pub skipped_past: usize,
    /// Events the calendar itself marks cancelled (STATUS:CANCELLED).
    pub cancelled: usize,
    /// The series made of repeating events, to look at next.
    pub repeating: Vec<MadeSeries>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct MadeSeries {
    pub id: String,
    pub title: String,
    /// "Every week on Tuesday, at 10:00 America/New_York".
    pub rule: String,
}

/// One date of an imported series and what the file did to it.
#[derive(Debug)]
struct Slot {
    planned: Planned,
    /// Made by the rule (else added by RDATE or kept from a moved date).
    from_rule: bool,
    cancelled: bool,
    /// Its own title, times and place (RECURRENCE-ID).
    own: Option<(SeriesDraft, u32)>,
}

/// An event of the file, ready to store once its format is known.
#[derive(Debug)]
pub(crate) struct EventPlan {
    draft: SeriesDraft,
    minutes: u32,
    repeats: bool,
    through: Date,
    slots: Vec<Slot>,
}

fn error(line: usize, message: String) -> ImportError {
    ImportError { line, message }
}

/// The fields of the series form for an event, so it is checked like one made by hand.
fn draft_of_event(e: &ImportedEvent, zone: &Zone, start_date: Date, rrule: String) -> Result<SeriesDraft, ImportError> {
    let local = zone.local(e.start);
    let link = e.location.starts_with("http");
    let input = SeriesInput {
        title: e.summary.chars().take(100).collect(),
        description: e.description.chars().take(5000).collect(),
        format: "imported".into(),
        start_date: start_date.to_string(),
        start_time: format!("{:02}:{:02}", local.time.hour(), local.time.minute()),
        time_zone: zone.name().into(),
        rrule,
        place: if e.location.trim().is_empty() || link { "online".into() } else { "in_person".into() },
        video_url: if link { e.location.clone() } else { String::new() },
        // The location's words stand in for a place until the import makes one of them.
        place_id: e.location.chars().take(200).collect(),
        ..Default::default()
    };
    input.parse(|k| k == "imported", |_| true).map_err(|i| {
        let why = i.0.first().map(|f| f.message.as_str()).unwrap_or("");
        error(e.line, format!("The event on line {}: {why}", e.line))
    })
}

/// An UNTIL given as a date-time becomes the last local date whose session
/// starts by then: in New York, UNTIL=20270302T045959Z means 1 March.
fn until_as_date(rrule: &str, zone: &Zone, time: Time) -> String {
    let part = |p: &str| -> Option<String> {
        let (k, v) = p.split_once('=')?;
        if !k.trim().eq_ignore_ascii_case("UNTIL") || v.as_bytes().get(8) != Some(&b'T') {
            return None;
        }
        let n = |r: std::ops::Range<usize>| v.get(r)?.parse::<i16>().ok();
        let d = Date::new(n(0..4)?, n(4..6)? as i8, n(6..8)? as i8).ok()?;
        let t = Time::new(n(9..11)? as i8, n(11..13)? as i8, n(13..15)?.min(59) as i8, 0).ok()?;
        let until = if v.ends_with('Z') { Zone::utc().instant(d, t) } else { zone.instant(d, t) };
        let mut last = zone.local(until).date;
        if zone.instant(last, time) > until {
            last = last.yesterday().ok()?;
        }
        Some(format!("UNTIL={}", last.strftime("%Y%m%d")))
    };
    rrule.split(';').map(|p| part(p).unwrap_or_else(|| p.to_string())).collect::<Vec<_>>().join(";")
}

/// Works out what an event (with the events that change its dates) becomes.
pub(crate) fn plan_event(
    master: &ImportedEvent,
    overrides: &[&ImportedEvent],
    default_zone: &Zone,
    now: i64,
) -> Result<Option<EventPlan>, ImportError> {
    let repeats = master.rrule.is_some() || !master.rdates.is_empty();
    // A repeating event given in UTC repeats at the same UTC time all year, as its file says.
    let zone = if master.utc && repeats { Zone::utc() } else { Zone::parse("tz", &master.zone).unwrap_or_else(|_| default_zone.clone()) };
    let local = zone.local(master.start);
    let today = date_in(&zone, now);
    let mut first = local.date;
    let rrule = match &master.rrule {
        None => String::new(),
        Some((line, text)) => {
            let refused = |why: String| error(*line, format!("Line {line}: the repeat rule (RRULE) cannot be imported: {why}"));
            let rule = Rule::parse(&until_as_date(text, &zone, local.time)).map_err(|e| refused(e.message))?;
            // A calendar begun years ago goes on from today with the same dates.
            match recurrence::resume(local.date, &rule, local.date.max(today)) {
                Some((at, resumed)) => {
                    resumed.check_with_start(at).map_err(|e| refused(e.message))?;
                    first = at;
                    resumed.to_rrule()
                }
                // The rule is over; dates the file adds may still be to come.
                None if master.rdates.iter().any(|r| r.at > now) => String::new(),
                None => return Ok(None),
            }
        }
    };
    let draft = draft_of_event(master, &zone, first, rrule)?;
    if master.rdates.len() > MAX_OCCURRENCES as usize {
        let line = master.rdates[0].line;
        return Err(error(line, format!("Line {line}: an event may add at most {MAX_OCCURRENCES} dates (RDATE).")));
    }
    let minutes = ((master.end - master.start) / 60).max(1) as u32;
    let key = |s: &Stamp| s.date.unwrap_or_else(|| zone.local(s.at).date);
    let furthest = master
        .exdates
        .iter()
        .chain(&master.rdates)
        .chain(overrides.iter().filter_map(|o| o.recurrence_id.as_ref()))
        .map(key)
        .max()
        .unwrap_or(first);
    let through = today.saturating_add(HORIZON_DAYS.days()).max(first.saturating_add(62.days())).max(furthest);
    let mut slots: BTreeMap<Date, Slot> = BTreeMap::new();
    for o in draft.occurrences(minutes, first, through) {
        let planned = Planned { occurrence: o.key.clone(), starts_at: o.starts_at, ends_at: o.ends_at };
        slots.insert(o.key.parse().unwrap_or(first), Slot { planned, from_rule: true, cancelled: false, own: None });
    }
    for r in &master.rdates {
        let d = key(r);
        // A date alone takes the series' time.
        let at = if r.date.is_some() { zone.instant(d, draft.start_time) } else { r.at };
        match slots.get(&d) {
            // The same session twice is one session (RFC 5545 §3.8.5.2).
            Some(s) if s.planned.starts_at == at => {}
            Some(_) => {
                return Err(error(
                    r.line,
                    format!(
                        "Line {}: RDATE adds a second session on {d}, a day the series already meets; a series meets once a day.",
                        r.line
                    ),
                ))
            }
            // Past dates are dropped with the rest below; one before a later start is still to come.
            None => {
                let planned = Planned { occurrence: d.to_string(), starts_at: at, ends_at: at + i64::from(minutes) * 60 };
                slots.insert(d, Slot { planned, from_rule: false, cancelled: false, own: None });
            }
        }
    }
    for x in &master.exdates {
        let d = key(x);
        match slots.get(&d).map(|s| s.from_rule) {
            Some(true) => slots.get_mut(&d).into_iter().for_each(|s| s.cancelled = true),
            Some(false) => {
                slots.remove(&d);
            }
            // A date the series does not have: nothing to take out, in any calendar.
            None => {}
        }
    }
    let mut changed = HashSet::new();
    for o in overrides {
        let Some(rid) = &o.recurrence_id else { continue };
        let d = key(rid);
        if !changed.insert(d) {
            return Err(error(rid.line, format!("Line {}: the session of {d} is changed twice in the file.", rid.line)));
        }
        let own = if o.cancelled {
            None
        } else {
            let own_zone = Zone::parse("tz", &o.zone).ok().filter(|_| !o.utc).unwrap_or_else(|| zone.clone());
            let date = own_zone.local(o.start).date;
            Some((draft_of_event(o, &own_zone, date, String::new())?, ((o.end - o.start) / 60).max(1) as u32))
        };
        let planned = Planned { occurrence: d.to_string(), starts_at: o.start, ends_at: o.end };
        match slots.get_mut(&d) {
            Some(s) if o.cancelled => s.cancelled = true,
            Some(s) => {
                s.planned = planned;
                s.own = own;
            }
            // A date before the series resumes: only a moved session still to come matters.
            None if d < first => {
                if own.is_some() {
                    slots.insert(d, Slot { planned, from_rule: false, cancelled: false, own });
                }
            }
            None => {
                return Err(error(
                    rid.line,
                    format!(
                        "Line {}: RECURRENCE-ID names {d}, which is not a date of the repeating event on line {}; this change has nothing to apply to.",
                        rid.line, master.line
                    ),
                ))
            }
        }
    }
    // What has begun is history: an import adds only what is still to come.
    let slots = slots.into_values().filter(|s| s.planned.starts_at > now).collect();
    Ok(Some(EventPlan { draft, minutes, repeats, through, slots }).filter(|p| !p.slots.is_empty()))
}

fn content(d: &SeriesDraft, format_name: &str, phases: &[Phase]) -> Content {
    Content {
        title: d.title.clone(),
        description: d.description.clone(),
        format_name: format_name.into(),
        phases: phases.to_vec(),
        time_zone: d.zone.name().into(),
        capacity: 0,
        place: d.place.kind().into(),
        video_url: d.place.video_url().into(),
        place_id: d.place.place_id().into(),
        language: "en".into(),
        online_capacity: 0,
        kind: "call".into(),
    }
}

impl App {
    /// Imports an .ics file: all of it, or (on any error) none of it.
    pub async fn import_ics(&self, me: &Account, slug: &str, text: &str) -> AppResult<ImportReport> {
        let view = self.community_for(me, slug, Action::Schedule).await?;
        let default_zone = Zone::parse("tz", &view.community.time_zone).unwrap_or_else(|_| Zone::utc());
        let refuse = |e: ImportError| {
            let at = if e.line > 0 && !e.message.starts_with("Line") && !e.message.starts_with("The event on line") {
                format!("Line {}: ", e.line)
            } else {
                String::new()
            };
            AppError::Invalid(Invalid::one("file", format!("{at}{} Nothing was imported.", e.message)))
        };
        let events = ical::parse(text, &default_zone).map_err(refuse)?;
        let t = now();
        let mut report =
            ImportReport { imported: 0, series: 0, exceptions: 0, duplicates: 0, skipped_past: 0, cancelled: 0, repeating: vec![] };
        let seen = self.store.imported_uids(&view.community.id).await?;
        // Changed dates travel with their event (same UID), wherever they are in the file.
        let mut overrides: HashMap<&str, Vec<&ImportedEvent>> = HashMap::new();
        for e in events.iter().filter(|e| e.recurrence_id.is_some()) {
            overrides.entry(e.uid.as_str()).or_default().push(e);
        }
        let masters: HashSet<&str> = events.iter().filter(|e| e.recurrence_id.is_none()).map(|e| e.uid.as_str()).collect();
        if let Some(o) = events.iter().find(|e| e.recurrence_id.is_some() && !masters.contains(e.uid.as_str()) && !seen.contains(&e.uid)) {
            return Err(refuse(error(
                o.line,
                format!("The event on line {} changes one date of a repeating event (RECURRENCE-ID) that is not in the file.", o.line),
            )));
        }
        let mut taken = seen.clone();
        let mut plans = Vec::new();
        for e in events.iter().filter(|e| e.recurrence_id.is_none()) {
            if !e.uid.is_empty() && !taken.insert(e.uid.clone()) {
                report.duplicates += 1;
                continue;
            }
            if e.cancelled {
                report.cancelled += 1;
                continue;
            }
            let changes = if e.uid.is_empty() { vec![] } else { overrides.get(e.uid.as_str()).cloned().unwrap_or_default() };
            let Some(plan) = plan_event(e, &changes, &default_zone, t).map_err(refuse)? else {
                report.skipped_past += 1;
                continue;
            };
            plans.push((plan, e.uid.clone()));
        }
        if plans.is_empty() && report.duplicates > 0 {
            return Err(Invalid::one("file", "Every event in the file was imported before; nothing new to add.").into());
        }
        if plans.is_empty() && report.cancelled > 0 {
            return Err(Invalid::one("file", "Every event in the file is cancelled or has already happened; nothing was imported.").into());
        }
        if plans.is_empty() {
            return Err(Invalid::one("file", "Every event in the file has already happened; nothing was imported.").into());
        }
        // Imported sessions follow a format like any other — one "open session" per length —
        // so they can be edited like any other.
        let existing = self.store.formats(&view.community.id).await?;
        let mut formats: HashMap<u32, (String, String, Vec<Phase>)> = HashMap::new();
        let mut items = Vec::new();
        let mut described = Vec::new();
        for (plan, uid) in plans {
            described.push(plan.repeats.then(|| (plan.draft.title.clone(), plan.draft.describe())));
            let mut lengths = vec![plan.minutes];
            lengths.extend(plan.slots.iter().filter_map(|s| s.own.as_ref().map(|(_, m)| *m)));
            for minutes in lengths {
                if formats.contains_key(&minutes) {
                    continue;
                }
                let name = format!("Open session, {}", duration_words(minutes));
                let phases = vec![Phase { kind: PhaseKind::OpenWork, label: "Open session".into(), minutes, enforced: false }];
                let id = match existing.iter().find(|f| f.name == name && f.phases == phases) {
                    Some(f) => f.id.clone(),
                    None => self.store.create_format(&view.community.id, &name, "Made by an .ics import.", &phases, t).await?.id,
                };
                formats.insert(minutes, (id, name, phases));
            }
            let (key, name, phases) = formats[&plan.minutes].clone();
            let series_content = content(&plan.draft, &name, &phases);
            let d = &plan.draft;
            let timing = Timing {
                format_key: key,
                start_date: d.start_date.to_string(),
                start_time: format!("{:02}:{:02}", d.start_time.hour(), d.start_time.minute()),
                rrule: d.rule.as_ref().map(Rule::to_rrule).unwrap_or_default(),
            };
            let mut regular = Vec::new();
            let mut exceptions = Vec::new();
            for s in plan.slots {
                match s.own {
                    _ if s.cancelled => exceptions.push(Exception { planned: s.planned, content: series_content.clone(), cancelled: true }),
                    Some((own, minutes)) => {
                        let (_, name, phases) = &formats[&minutes];
                        exceptions.push(Exception { planned: s.planned, content: content(&own, name, phases), cancelled: false })
                    }
                    None if !s.from_rule => {
                        exceptions.push(Exception { planned: s.planned, content: series_content.clone(), cancelled: false })
                    }
                    None => regular.push(s.planned),
                }
            }
            report.series += plan.repeats as usize;
            report.exceptions += exceptions.len();
            items.push(ImportedSeries {
                content: series_content,
                timing,
                through: plan.through.to_string(),
                plan: regular,
                exceptions,
                source_uid: uid,
            });
        }
        self.import_places(&view.community.id, &mut items, t).await?;
        let (added, ids) = self.store.import_series(&view.community.id, &items, &me.id, t).await?;
        report.imported = added;
        report.repeating =
            ids.into_iter().zip(described).filter_map(|(id, d)| d.map(|(title, rule)| MadeSeries { id, title, rule })).collect();
        self.invalidate_feeds(&view.community.id);
        Ok(report)
    }
}

impl App {
    /// An imported event's LOCATION becomes one of the community's places
    /// (the same words, the same place), like an old free-text address did.
    async fn import_places(&self, community_id: &str, items: &mut [ImportedSeries], t: i64) -> AppResult<()> {
        let owner = PlaceOwner::Community(community_id.to_string());
        let mut known: HashMap<String, String> =
            self.store.places_of(&owner).await?.into_iter().map(|p| (p.details.address.clone(), p.id)).collect();
        for item in items.iter_mut() {
            let zone = item.content.time_zone.clone();
            for c in std::iter::once(&mut item.content).chain(item.exceptions.iter_mut().map(|e| &mut e.content)) {
                if c.place_id.is_empty() {
                    continue;
                }
                let id = match known.get(&c.place_id) {
                    Some(id) => id.clone(),
                    None => {
                        let draft = PlaceDraft {
                            name: c.place_id.chars().take(100).collect(),
                            kind: PlaceKind::Other,
                            address: c.place_id.clone(),
                            area: String::new(),
                            city: String::new(),
                            country: "",
                            coordinates: None,
                            time_zone: zone.clone(),
                            access: vec![],
                            amenities: vec![],
                            access_notes: String::new(),
                            seats: 0,
                            house_rules: String::new(),
                            opening_hours: Default::default(),
                            drop_in_seats: 0,
                            free_trial: false,
                        };
                        let id = self.store.create_place(&owner, &draft, t).await?.id;
                        known.insert(c.place_id.clone(), id.clone());
                        id
                    }
                };
                c.place_id = id;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(file: &str, now: i64) -> Option<EventPlan> {
        let text = format!("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:u\r\n{file}END:VEVENT\r\nEND:VCALENDAR\r\n");
        let events = ical::parse(&text, &Zone::parse("tz", "Europe/London").unwrap()).unwrap();
        plan_event(&events[0], &[], &Zone::utc(), now).unwrap()
    }

    #[test]
    fn a_daily_call_begun_years_ago_goes_on_today_past_the_caps_that_count_from_its_start() {
        let now = Zone::utc().instant(jiff::civil::date(2026, 12, 2), Time::new(12, 0, 0, 0).unwrap());
        // 1,430 days since 2023: more than the 1,000 a rule may give from its start.
        let p = plan("DTSTART;TZID=Europe/Paris:20230101T090000\r\nDURATION:PT15M\r\nRRULE:FREQ=DAILY\r\n", now).unwrap();
        let paris = Zone::parse("tz", "Europe/Paris").unwrap();
        assert_eq!(p.slots[0].planned.occurrence, "2026-12-03");
        assert_eq!(paris.clock(p.slots[0].planned.starts_at), "09:00");
        assert!(p.slots.len() > 190, "{}", p.slots.len());
    }

    #[test]
    fn utc_repeats_in_utc_and_added_dates_count_even_before_a_later_start() {
        let now = Zone::utc().instant(jiff::civil::date(2026, 12, 2), Time::new(12, 0, 0, 0).unwrap());
        let p = plan("DTSTART:20270301T150000Z\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nRDATE;VALUE=DATE:20270215\r\n", now).unwrap();
        assert_eq!(p.draft.zone.name(), "UTC", "the same UTC time all year, as the file says");
        let days: Vec<(&str, String, bool)> =
            p.slots.iter().map(|s| (s.planned.occurrence.as_str(), Zone::utc().clock(s.planned.starts_at), s.from_rule)).collect();
        assert_eq!(
            days,
            [
                ("2027-02-15", "15:00".to_string(), false),
                ("2027-03-01", "15:00".to_string(), true),
                ("2027-03-08", "15:00".to_string(), true),
                ("2027-03-15", "15:00".to_string(), true),
            ]
        );
        assert!(plan("DTSTART:20200301T150000Z\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n", now).is_none(), "all of it has happened");
    }

    #[test]
    fn an_until_in_utc_ends_on_the_local_date_it_falls_on() {
        let ny = Zone::parse("tz", "America/New_York").unwrap();
        let ten = Time::new(10, 0, 0, 0).unwrap();
        // Google writes the end of 1 March in New York as 04:59:59 UTC on 2 March.
        assert_eq!(until_as_date("FREQ=WEEKLY;UNTIL=20270302T045959Z;BYDAY=TU", &ny, ten), "FREQ=WEEKLY;UNTIL=20270301;BYDAY=TU");
        // Outlook writes the start of the last session: that day is kept.
        assert_eq!(until_as_date("FREQ=DAILY;UNTIL=20270302T150000Z", &ny, ten), "FREQ=DAILY;UNTIL=20270302");
        // One minute earlier, the session of that day has not started by then.
        assert_eq!(until_as_date("FREQ=DAILY;UNTIL=20270302T145900Z", &ny, ten), "FREQ=DAILY;UNTIL=20270301");
        assert_eq!(until_as_date("FREQ=DAILY;UNTIL=20270302", &ny, ten), "FREQ=DAILY;UNTIL=20270302", "a date stays as it is");
    }
}

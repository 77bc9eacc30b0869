//! Reading imported .ics files: content lines, dates in their zones, and the
//! parts of a repeating event (RRULE, EXDATE, RDATE, RECURRENCE-ID), each
//! kept with its line so that whatever cannot be imported is named.

use cowork_core::time::Zone;
use jiff::civil::Date;

/// An event read from an imported file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEvent {
    pub line: usize,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub start: i64,
    pub end: i64,
    /// The zone its times were given in (the default zone for UTC or floating times).
    pub zone: String,
    /// Its times were given in UTC (a repeating event then repeats in UTC).
    pub utc: bool,
    /// Given as a date without a time (an all-day event).
    pub all_day: bool,
    /// The event's UID, so importing the same file twice adds nothing twice.
    pub uid: String,
    /// STATUS:CANCELLED.
    pub cancelled: bool,
    /// The RRULE's line and value, as written.
    pub rrule: Option<(usize, String)>,
    /// Dates taken out of the series.
    pub exdates: Vec<Stamp>,
    /// Dates added to the series.
    pub rdates: Vec<Stamp>,
    /// Set when this event replaces one date of a repeating event with the same UID.
    pub recurrence_id: Option<Stamp>,
}

/// One date or date-time of EXDATE, RDATE or RECURRENCE-ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub line: usize,
    pub at: i64,
    /// The date as written, for values without a time.
    pub date: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub line: usize,
    pub message: String,
}

pub const MAX_IMPORT_BYTES: usize = 1024 * 1024;
pub const MAX_IMPORT_EVENTS: usize = 500;

fn unescape(s: &str) -> String {
    let mut o = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
                Some('n') | Some('N') => o.push('\n'),
                Some(x) => o.push(x),
                None => {}
            }
        } else {
            o.push(c);
        }
    }
    o
}

struct Prop {
    line: usize,
    name: String,
    params: Vec<(String, String)>,
    value: String,
}

impl Prop {
    fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Unfolds and splits content lines into properties, keeping each one's first line number.
fn props(text: &str) -> Result<Vec<Prop>, ImportError> {
    let mut logical: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.starts_with(' ') || raw.starts_with('\t') {
            match logical.last_mut() {
                Some((_, l)) => l.push_str(&raw[1..]),
                None => return Err(ImportError { line: i + 1, message: "The file starts with a continuation line.".into() }),
            }
        } else if !raw.is_empty() {
            logical.push((i + 1, raw.to_string()));
        }
    }
    let mut out = Vec::new();
    for (n, l) in logical {
        // RFC 5545 §3.1 allows no control characters but tab; a NUL would reach the database.
        if l.chars().any(|c| c.is_control() && c != '\t') {
            return Err(ImportError {
                line: n,
                message: format!("Line {n} contains a control character (such as NUL), which a calendar file may not hold."),
            });
        }
        // The value starts at the first colon outside a quoted parameter.
        let mut quoted = false;
        let mut split = None;
        for (i, c) in l.char_indices() {
            match c {
                '"' => quoted = !quoted,
                ':' if !quoted => {
                    split = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let at = split.ok_or_else(|| ImportError { line: n, message: format!("Line {n} is not an iCalendar property (no “:”).") })?;
        let (head, value) = (&l[..at], &l[at + 1..]);
        let mut parts = head.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_uppercase();
        if name.is_empty() {
            return Err(ImportError { line: n, message: format!("Line {n} has no property name.") });
        }
        let params =
            parts.filter_map(|p| p.split_once('=')).map(|(k, v)| (k.trim().to_string(), v.trim_matches('"').to_string())).collect();
        out.push(Prop { line: n, name, params, value: value.to_string() });
    }
    Ok(out)
}

fn parse_stamp(p: &Prop, default_zone: &Zone) -> Result<(i64, Option<String>, bool), ImportError> {
    parse_value(p, &p.value, default_zone).map(|(at, zone, all_day, _)| (at, zone, all_day))
}

/// Reads one date or date-time of a property: the instant, the zone it was
/// given in (None for floating; "UTC" for UTC), whether it is a date alone, and the date as written.
fn parse_value(p: &Prop, value: &str, default_zone: &Zone) -> Result<(i64, Option<String>, bool, Date), ImportError> {
    let bad = |m: &str| ImportError { line: p.line, message: format!("Line {}: {} {m}", p.line, p.name) };
    let v = value.trim();
    let all_day = p.param("VALUE").is_some_and(|x| x.eq_ignore_ascii_case("DATE")) || v.len() == 8;
    let num = |s: &str| s.parse::<i16>().map_err(|_| bad("has a date that cannot be read."));
    if !v.get(..8).is_some_and(|d| d.chars().all(|c| c.is_ascii_digit())) {
        return Err(bad("has a date that cannot be read."));
    }
    let date = jiff::civil::Date::new(num(&v[..4])?, num(&v[4..6])? as i8, num(&v[6..8])? as i8).map_err(|_| bad("is not a real date."))?;
    let time = if all_day {
        jiff::civil::Time::new(9, 0, 0, 0).map_err(|_| bad("."))?
    } else {
        let t = v
            .get(9..15)
            .filter(|t| v.as_bytes().get(8) == Some(&b'T') && t.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| bad("has a time that cannot be read."))?;
        jiff::civil::Time::new(num(&t[..2])? as i8, num(&t[2..4])? as i8, num(&t[4..6])?.min(59) as i8, 0)
            .map_err(|_| bad("is not a real time."))?
    };
    if v.ends_with('Z') {
        return Ok((Zone::utc().instant(date, time), Some("UTC".into()), all_day, date));
    }
    match p.param("TZID") {
        Some(tz) => {
            let tz = windows_zone(tz).unwrap_or(tz);
            let zone = Zone::parse("tz", tz.trim_start_matches('/'))
                .map_err(|_| bad(&format!("uses the time zone “{tz}”, which we do not know; use an IANA name such as Europe/London.")))?;
            Ok((zone.instant(date, time), Some(zone.name().to_string()), all_day, date))
        }
        None => Ok((default_zone.instant(date, time), None, all_day, date)),
    }
}

/// Outlook and Exchange name zones the Windows way; the commonest, as IANA names
/// (the mapping of the Unicode CLDR's windowsZones for each zone's main territory).
fn windows_zone(name: &str) -> Option<&'static str> {
    const MAP: &[(&str, &str)] = &[
        ("GMT Standard Time", "Europe/London"),
        ("Greenwich Standard Time", "Atlantic/Reykjavik"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Central Europe Standard Time", "Europe/Budapest"),
        ("Central European Standard Time", "Europe/Warsaw"),
        ("Romance Standard Time", "Europe/Paris"),
        ("E. Europe Standard Time", "Europe/Chisinau"),
        ("FLE Standard Time", "Europe/Kiev"),
        ("GTB Standard Time", "Europe/Bucharest"),
        ("Russian Standard Time", "Europe/Moscow"),
        ("Eastern Standard Time", "America/New_York"),
        ("Central Standard Time", "America/Chicago"),
        ("Mountain Standard Time", "America/Denver"),
        ("US Mountain Standard Time", "America/Phoenix"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("Alaskan Standard Time", "America/Anchorage"),
        ("Hawaiian Standard Time", "Pacific/Honolulu"),
        ("Atlantic Standard Time", "America/Halifax"),
        ("E. South America Standard Time", "America/Sao_Paulo"),
        ("Argentina Standard Time", "America/Buenos_Aires"),
        ("SA Pacific Standard Time", "America/Bogota"),
        ("Central America Standard Time", "America/Guatemala"),
        ("India Standard Time", "Asia/Kolkata"),
        ("China Standard Time", "Asia/Shanghai"),
        ("Tokyo Standard Time", "Asia/Tokyo"),
        ("Korea Standard Time", "Asia/Seoul"),
        ("Singapore Standard Time", "Asia/Singapore"),
        ("SE Asia Standard Time", "Asia/Bangkok"),
        ("Arabian Standard Time", "Asia/Dubai"),
        ("Israel Standard Time", "Asia/Jerusalem"),
        ("South Africa Standard Time", "Africa/Johannesburg"),
        ("W. Central Africa Standard Time", "Africa/Lagos"),
        ("E. Africa Standard Time", "Africa/Nairobi"),
        ("Egypt Standard Time", "Africa/Cairo"),
        ("AUS Eastern Standard Time", "Australia/Sydney"),
        ("E. Australia Standard Time", "Australia/Brisbane"),
        ("Cen. Australia Standard Time", "Australia/Adelaide"),
        ("W. Australia Standard Time", "Australia/Perth"),
        ("New Zealand Standard Time", "Pacific/Auckland"),
        ("Chatham Islands Standard Time", "Pacific/Chatham"),
        ("UTC", "UTC"),
    ];
    MAP.iter().find(|(w, _)| w.eq_ignore_ascii_case(name.trim())).map(|(_, iana)| *iana)
}

/// Reads the seconds of a DURATION such as PT1H30M or P1D.
fn parse_duration(p: &Prop) -> Result<i64, ImportError> {
    let bad = || ImportError { line: p.line, message: format!("Line {}: DURATION “{}” cannot be read.", p.line, p.value) };
    let v = p.value.trim().trim_start_matches('+');
    let rest = v.strip_prefix('P').ok_or_else(bad)?;
    let (mut total, mut num, mut in_time) = (0i64, String::new(), false);
    for c in rest.chars() {
        match c {
            'T' => in_time = true,
            '0'..='9' => num.push(c),
            u => {
                let n: i64 = num.parse().map_err(|_| bad())?;
                num.clear();
                let unit = match (u, in_time) {
                    ('W', false) => 604_800,
                    ('D', false) => 86_400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return Err(bad()),
                };
                total = n.checked_mul(unit).and_then(|x| total.checked_add(x)).ok_or_else(bad)?;
            }
        }
    }
    if !num.is_empty() || total <= 0 {
        return Err(bad());
    }
    Ok(total)
}

/// Reads every VEVENT of a file. Anything malformed stops the whole import
/// with the line it was found on, so nothing half-imports.
pub fn parse(text: &str, default_zone: &Zone) -> Result<Vec<ImportedEvent>, ImportError> {
    if text.len() > MAX_IMPORT_BYTES {
        return Err(ImportError { line: 0, message: format!("The file is larger than {} KiB.", MAX_IMPORT_BYTES / 1024) });
    }
    let text = text.trim_start_matches('\u{feff}');
    if !text.trim_start().get(..15).is_some_and(|h| h.eq_ignore_ascii_case("BEGIN:VCALENDAR")) {
        return Err(ImportError { line: 1, message: "This is not an iCalendar file: it should start with BEGIN:VCALENDAR.".into() });
    }
    let props = props(text)?;
    if !props.first().is_some_and(|p| p.name == "BEGIN" && p.value.trim().eq_ignore_ascii_case("VCALENDAR")) {
        return Err(ImportError { line: 1, message: "This is not an iCalendar file: it should start with BEGIN:VCALENDAR.".into() });
    }
    let mut events = Vec::new();
    let mut stack: Vec<(String, usize)> = Vec::new();
    let mut current: Option<(usize, Vec<&Prop>)> = None;
    for p in &props {
        match p.name.as_str() {
            "BEGIN" => {
                let what = p.value.trim().to_ascii_uppercase();
                if what == "VEVENT" {
                    if current.is_some() {
                        return Err(ImportError {
                            line: p.line,
                            message: format!("Line {}: an event starts inside another event.", p.line),
                        });
                    }
                    current = Some((p.line, Vec::new()));
                }
                stack.push((what, p.line));
            }
            "END" => {
                let what = p.value.trim().to_ascii_uppercase();
                match stack.pop() {
                    Some((open, _)) if open == what => {}
                    Some((open, l)) => {
                        return Err(ImportError {
                            line: p.line,
                            message: format!("Line {}: END:{what} closes BEGIN:{open} from line {l}.", p.line),
                        })
                    }
                    None => return Err(ImportError { line: p.line, message: format!("Line {}: END:{what} without a BEGIN.", p.line) }),
                }
                if what == "VEVENT" {
                    let (start_line, ps) = current
                        .take()
                        .ok_or_else(|| ImportError { line: p.line, message: format!("Line {}: END:VEVENT without an event.", p.line) })?;
                    events.push(event(start_line, &ps, default_zone)?);
                    if events.len() > MAX_IMPORT_EVENTS {
                        return Err(ImportError {
                            line: p.line,
                            message: format!("The file has more than {MAX_IMPORT_EVENTS} events; split it."),
                        });
                    }
                }
            }
            _ => {
                if let Some((_, ps)) = current.as_mut() {
                    // Properties of alarms inside the event are not the event's.
                    if stack.last().is_some_and(|(w, _)| w == "VEVENT") {
                        ps.push(p);
                    }
                }
            }
        }
    }
    if let Some((open, l)) = stack.pop() {
        return Err(ImportError { line: l, message: format!("BEGIN:{open} on line {l} is never closed.") });
    }
    if events.is_empty() {
        return Err(ImportError { line: 0, message: "The file has no events.".into() });
    }
    Ok(events)
}

fn event(start_line: usize, ps: &[&Prop], default_zone: &Zone) -> Result<ImportedEvent, ImportError> {
    let get = |n: &str| ps.iter().find(|p| p.name == n);
    let dtstart = get("DTSTART")
        .ok_or_else(|| ImportError { line: start_line, message: format!("The event on line {start_line} has no DTSTART.") })?;
    let (start, zone, all_day) = parse_stamp(dtstart, default_zone)?;
    let stamps = |name: &str| -> Result<Vec<Stamp>, ImportError> {
        let mut out = Vec::new();
        for p in ps.iter().filter(|p| p.name == name) {
            if p.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("PERIOD")) || p.value.contains('/') {
                return Err(ImportError {
                    line: p.line,
                    message: format!(
                        "Line {}: {name} gives a period (a start and an end); cowork can add dates to a series but not periods.",
                        p.line
                    ),
                });
            }
            for v in p.value.split(',').filter(|v| !v.trim().is_empty()) {
                let (at, _, date_only, written) = parse_value(p, v, default_zone)?;
                out.push(Stamp { line: p.line, at, date: date_only.then_some(written) });
            }
        }
        Ok(out)
    };
    // RFC 5545 deprecates both; cowork keeps one rule a series, and would rather say so than drop one.
    if let Some(p) = ps.iter().filter(|p| p.name == "RRULE").nth(1).or_else(|| get("EXRULE")) {
        let what = if p.name == "RRULE" { "a second repeat rule (RRULE)" } else { "an exception rule (EXRULE)" };
        return Err(ImportError {
            line: p.line,
            message: format!("Line {}: the event has {what}; a series here follows one rule, so remove it or split the event.", p.line),
        });
    }
    let exdates = stamps("EXDATE")?;
    let rdates = stamps("RDATE")?;
    let recurrence_id = stamps("RECURRENCE-ID")?.into_iter().next();
    let end = match (get("DTEND"), get("DURATION")) {
        (Some(e), _) => parse_stamp(e, default_zone)?.0,
        (None, Some(d)) => start + parse_duration(d)?,
        (None, None) if all_day => start + 8 * 3600,
        (None, None) => start + 3600,
    };
    let end = if all_day && end - start >= 86_400 { start + 8 * 3600 } else { end };
    if end <= start {
        let l = get("DTEND").map(|p| p.line).unwrap_or(start_line);
        return Err(ImportError { line: l, message: format!("Line {l}: the event ends before it starts.") });
    }
    if end - start > 24 * 3600 {
        return Err(ImportError { line: dtstart.line, message: format!("Line {}: an event may last at most 24 hours.", dtstart.line) });
    }
    let text = |n: &str| get(n).map(|p| unescape(&p.value)).unwrap_or_default();
    let summary = text("SUMMARY");
    Ok(ImportedEvent {
        line: start_line,
        summary: if summary.trim().is_empty() { "Imported session".into() } else { summary },
        description: text("DESCRIPTION"),
        location: text("LOCATION"),
        start,
        end,
        utc: zone.as_deref() == Some("UTC") && dtstart.value.trim().ends_with('Z'),
        zone: zone.filter(|_| !dtstart.value.trim().ends_with('Z')).unwrap_or_else(|| default_zone.name().to_string()),
        all_day,
        uid: get("UID").map(|p| p.value.trim().chars().take(255).collect()).unwrap_or_default(),
        cancelled: get("STATUS").is_some_and(|p| p.value.trim().eq_ignore_ascii_case("CANCELLED")),
        rrule: get("RRULE").map(|p| (p.line, p.value.trim().to_string())),
        exdates,
        rdates,
        recurrence_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_of_a_repeating_event_are_read_with_their_lines() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Europe/Berlin:20270104T090000\r\nRRULE:FREQ=WEEKLY\r\n\
                    EXDATE;TZID=Europe/Berlin:20270111T090000,20270118T090000\r\nEXDATE;VALUE=DATE:20270125\r\nRDATE:20270106T080000Z\r\n\
                    STATUS:CANCELLED\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:a\r\nRECURRENCE-ID;TZID=Europe/Berlin:20270201T090000\r\n\
                    DTSTART;TZID=Europe/Berlin:20270202T140000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let ev = parse(text, &Zone::utc()).unwrap();
        let berlin = Zone::parse("tz", "Europe/Berlin").unwrap();
        let nine = |d: i8, m: i8| berlin.instant(jiff::civil::date(2027, m, d), jiff::civil::time(9, 0, 0, 0));
        assert_eq!(ev[0].rrule, Some((5, "FREQ=WEEKLY".to_string())));
        let ex: Vec<(usize, i64)> = ev[0].exdates.iter().map(|s| (s.line, s.at)).collect();
        assert_eq!(&ex[..2], [(6, nine(11, 1)), (6, nine(18, 1))]);
        assert_eq!((ex[2].0, ev[0].exdates[2].date), (7, Some(jiff::civil::date(2027, 1, 25))), "a date alone is kept as written");
        assert_eq!((ev[0].rdates[0].line, berlin.clock(ev[0].rdates[0].at)), (8, "09:00".to_string()));
        assert!(ev[0].cancelled && !ev[1].cancelled);
        assert_eq!(ev[1].recurrence_id.as_ref().map(|s| (s.line, s.at)), Some((13, nine(1, 2))));
    }

    #[test]
    fn control_characters_and_periods_are_refused_on_their_line() {
        let nul = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\u{0}b\nDTSTART:20270105T100000Z\nEND:VEVENT\nEND:VCALENDAR\n";
        let e = parse(nul, &Zone::utc()).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(e.message.contains("control character"), "{e:?}");
        let two =
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270105T100000Z\nRRULE:FREQ=DAILY\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(parse(two, &Zone::utc()).unwrap_err().line, 5);
        let exrule = two.replace("RRULE:FREQ=WEEKLY", "EXRULE:FREQ=WEEKLY;BYDAY=MO");
        assert!(parse(&exrule, &Zone::utc()).unwrap_err().message.contains("EXRULE"));
        let period = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270105T100000Z\nRDATE;VALUE=PERIOD:20270106T100000Z/PT1H\nEND:VEVENT\nEND:VCALENDAR\n";
        let e = parse(period, &Zone::utc()).unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("not periods"), "{e:?}");
    }
}

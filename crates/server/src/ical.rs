//! iCalendar (RFC 5545): writing feeds and reading imported files. Pure text
//! work; instants and zones go through `cowork_core::time`.

use cowork_core::time::Zone;
use std::collections::BTreeMap;

/// One VEVENT.
#[derive(Debug, Clone)]
pub struct Event {
    pub uid: String,
    pub sequence: i64,
    pub created: i64,
    pub last_modified: i64,
    pub start: i64,
    pub end: i64,
    /// The zone DTSTART and DTEND are written in (with a matching VTIMEZONE).
    pub zone: Zone,
    pub summary: String,
    pub description: String,
    pub location: String,
    pub url: String,
    /// CONFIRMED, TENTATIVE or CANCELLED.
    pub status: &'static str,
}

pub struct Calendar {
    pub name: String,
    pub description: String,
    /// How often clients should look again, in minutes.
    pub refresh_minutes: u32,
    pub events: Vec<Event>,
}

/// Escapes TEXT values (§3.3.11).
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => o.push_str("\\\\"),
            ';' => o.push_str("\\;"),
            ',' => o.push_str("\\,"),
            '\n' => o.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}

/// Writes one content line, folded at 75 octets (§3.1) without splitting a character.
fn line(out: &mut String, text: &str) {
    let mut used = 0;
    for c in text.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

fn utc_stamp(unix: i64) -> String {
    let l = Zone::utc().local(unix);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        l.date.year(),
        l.date.month(),
        l.date.day(),
        l.time.hour(),
        l.time.minute(),
        l.time.second()
    )
}

fn local_stamp(zone: &Zone, unix: i64) -> String {
    let l = zone.local(unix);
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}", l.date.year(), l.date.month(), l.date.day(), l.time.hour(), l.time.minute(), l.time.second())
}

fn offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let a = seconds.abs();
    if a % 60 == 0 {
        format!("{sign}{:02}{:02}", a / 3600, (a % 3600) / 60)
    } else {
        format!("{sign}{:02}{:02}{:02}", a / 3600, (a % 3600) / 60, a % 60)
    }
}

/// A VTIMEZONE listing each offset change in the span the events cover
/// (with a year either side), so any client resolves the TZID alike.
fn vtimezone(out: &mut String, zone: &Zone, from: i64, to: i64) {
    line(out, "BEGIN:VTIMEZONE");
    line(out, &format!("TZID:{}", zone.name()));
    let from = from - 366 * 86_400;
    let to = to + 366 * 86_400;
    let transitions = zone.transitions(from, to);
    if transitions.is_empty() {
        let o = zone.offset_at(from);
        line(out, "BEGIN:STANDARD");
        line(out, "DTSTART:19700101T000000");
        line(out, &format!("TZOFFSETFROM:{}", offset(o)));
        line(out, &format!("TZOFFSETTO:{}", offset(o)));
        line(out, &format!("TZNAME:{}", escape(&zone.abbreviation(from))));
        line(out, "END:STANDARD");
    } else {
        // The offset in force before the first change, as its own observance.
        let first = &transitions[0];
        line(out, "BEGIN:STANDARD");
        line(out, &format!("DTSTART:{}", local_stamp(&Zone::utc(), from + i64::from(first.offset_before))));
        line(out, &format!("TZOFFSETFROM:{}", offset(first.offset_before)));
        line(out, &format!("TZOFFSETTO:{}", offset(first.offset_before)));
        line(out, &format!("TZNAME:{}", escape(&zone.abbreviation(from))));
        line(out, "END:STANDARD");
        for t in &transitions {
            let kind = if t.dst { "DAYLIGHT" } else { "STANDARD" };
            line(out, &format!("BEGIN:{kind}"));
            // DTSTART of an observance is the local time just before the change, in the old offset.
            line(out, &format!("DTSTART:{}", local_stamp(&Zone::utc(), t.at + i64::from(t.offset_before))));
            line(out, &format!("TZOFFSETFROM:{}", offset(t.offset_before)));
            line(out, &format!("TZOFFSETTO:{}", offset(t.offset_after)));
            line(out, &format!("TZNAME:{}", escape(&t.abbreviation)));
            line(out, &format!("END:{kind}"));
        }
    }
    line(out, "END:VTIMEZONE");
}

pub fn write(cal: &Calendar, now: i64) -> String {
    let mut out = String::with_capacity(1024 + cal.events.len() * 900);
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//cowork//cowork//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", escape(&cal.name)));
    line(&mut out, &format!("NAME:{}", escape(&cal.name)));
    if !cal.description.is_empty() {
        line(&mut out, &format!("X-WR-CALDESC:{}", escape(&cal.description)));
    }
    line(&mut out, &format!("REFRESH-INTERVAL;VALUE=DURATION:PT{}M", cal.refresh_minutes));
    line(&mut out, &format!("X-PUBLISHED-TTL:PT{}M", cal.refresh_minutes));
    let mut spans: BTreeMap<String, (Zone, i64, i64)> = BTreeMap::new();
    for e in &cal.events {
        let entry = spans.entry(e.zone.name().to_string()).or_insert((e.zone.clone(), e.start, e.end));
        entry.1 = entry.1.min(e.start);
        entry.2 = entry.2.max(e.end);
    }
    for (zone, from, to) in spans.values() {
        if zone.name() != "UTC" {
            vtimezone(&mut out, zone, *from, *to);
        }
    }
    let stamp = utc_stamp(now);
    for e in &cal.events {
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", escape(&e.uid)));
        line(&mut out, &format!("SEQUENCE:{}", e.sequence));
        line(&mut out, &format!("DTSTAMP:{stamp}"));
        line(&mut out, &format!("CREATED:{}", utc_stamp(e.created)));
        line(&mut out, &format!("LAST-MODIFIED:{}", utc_stamp(e.last_modified)));
        // In the hour that repeats when clocks go back, a local time names two instants and
        // calendars take the first: such an event is written in UTC, which is never ambiguous.
        let unambiguous = |t: i64| {
            let l = e.zone.local(t);
            e.zone.instant(l.date, l.time) == t
        };
        if e.zone.name() == "UTC" || !unambiguous(e.start) || !unambiguous(e.end) {
            line(&mut out, &format!("DTSTART:{}", utc_stamp(e.start)));
            line(&mut out, &format!("DTEND:{}", utc_stamp(e.end)));
        } else {
            line(&mut out, &format!("DTSTART;TZID={}:{}", e.zone.name(), local_stamp(&e.zone, e.start)));
            line(&mut out, &format!("DTEND;TZID={}:{}", e.zone.name(), local_stamp(&e.zone, e.end)));
        }
        line(&mut out, &format!("SUMMARY:{}", escape(&e.summary)));
        if !e.description.is_empty() {
            line(&mut out, &format!("DESCRIPTION:{}", escape(&e.description)));
        }
        if !e.location.is_empty() {
            line(&mut out, &format!("LOCATION:{}", escape(&e.location)));
        }
        if !e.url.is_empty() {
            line(&mut out, &format!("URL:{}", e.url));
        }
        line(&mut out, &format!("STATUS:{}", e.status));
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

// ---- reading

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
    pub had_rule: bool,
    /// The event's UID, so importing the same file twice adds nothing twice.
    pub uid: String,
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
    let bad = |m: &str| ImportError { line: p.line, message: format!("Line {}: {} {m}", p.line, p.name) };
    let v = p.value.trim();
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
        return Ok((Zone::utc().instant(date, time), None, all_day));
    }
    match p.param("TZID") {
        Some(tz) => {
            let tz = windows_zone(tz).unwrap_or(tz);
            let zone = Zone::parse("tz", tz.trim_start_matches('/'))
                .map_err(|_| bad(&format!("uses the time zone “{tz}”, which we do not know; use an IANA name such as Europe/London.")))?;
            Ok((zone.instant(date, time), Some(zone.name().to_string()), all_day))
        }
        None => Ok((default_zone.instant(date, time), None, all_day)),
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
        zone: zone.unwrap_or_else(|| default_zone.name().to_string()),
        had_rule: get("RRULE").is_some(),
        uid: get("UID").map(|p| p.value.trim().chars().take(255).collect()).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone(n: &str) -> Zone {
        Zone::parse("tz", n).unwrap()
    }

    #[test]
    fn text_is_escaped_and_long_lines_folded_on_character_boundaries() {
        assert_eq!(escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
        let mut out = String::new();
        line(&mut out, &format!("SUMMARY:{}", "é".repeat(60)));
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        assert_eq!(out.replace("\r\n ", "").trim_end(), format!("SUMMARY:{}", "é".repeat(60)));
    }

    #[test]
    fn a_feed_has_events_in_their_zone_with_a_matching_vtimezone() {
        let london = zone("Europe/London");
        let start = london.instant(jiff::civil::date(2026, 12, 2), jiff::civil::time(15, 0, 0, 0));
        let cal = Calendar {
            name: "Cafe, weekly".into(),
            description: String::new(),
            refresh_minutes: 60,
            events: vec![Event {
                uid: "abc@cowork".into(),
                sequence: 2,
                created: 0,
                last_modified: 0,
                start,
                end: start + 7200,
                zone: london.clone(),
                summary: "Collaboration Cafe".into(),
                description: "15:00 Intros".into(),
                location: "Online".into(),
                url: "https://cowork.example.org/s/abc".into(),
                status: "CANCELLED",
            }],
        };
        let text = write(&cal, start);
        for want in [
            "X-WR-CALNAME:Cafe\\, weekly",
            "REFRESH-INTERVAL;VALUE=DURATION:PT60M",
            "X-PUBLISHED-TTL:PT60M",
            "BEGIN:VTIMEZONE\r\nTZID:Europe/London",
            "TZOFFSETFROM:+0000\r\nTZOFFSETTO:+0100\r\nTZNAME:BST",
            "DTSTART;TZID=Europe/London:20261202T150000",
            "DTEND;TZID=Europe/London:20261202T170000",
            "SEQUENCE:2",
            "STATUS:CANCELLED",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        // What we write, we read back the same.
        let back = parse(&text, &zone("UTC")).unwrap();
        assert_eq!((back[0].start, back[0].end, back[0].zone.as_str()), (start, start + 7200, "Europe/London"));
    }

    #[test]
    fn an_event_in_the_repeated_hour_is_written_in_utc() {
        let london = zone("Europe/London");
        // 00:30 BST on 2026-10-25, two hours long: it ends at 01:30 GMT, the second 01:30 of that night.
        let start = london.instant(jiff::civil::date(2026, 10, 25), jiff::civil::time(0, 30, 0, 0));
        let event = Event {
            uid: "u".into(),
            sequence: 0,
            created: 0,
            last_modified: 0,
            start,
            end: start + 7200,
            zone: london,
            summary: "Night owls".into(),
            description: String::new(),
            location: String::new(),
            url: String::new(),
            status: "CONFIRMED",
        };
        let text = write(&Calendar { name: "n".into(), description: String::new(), refresh_minutes: 60, events: vec![event] }, 0);
        assert!(text.contains("DTSTART:20261024T233000Z") && text.contains("DTEND:20261025T013000Z"), "{text}");
        let back = parse(&text, &zone("UTC")).unwrap();
        assert_eq!(back[0].end - back[0].start, 7200);
    }

    #[test]
    fn imports_read_utc_zoned_floating_and_all_day_times() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Write\\, together\r\nDTSTART:20270105T090000Z\r\nDURATION:PT1H30M\r\nEND:VEVENT\r\n\
                    BEGIN:VEVENT\r\nSUMMARY:Cafe\r\nDTSTART;TZID=America/New_York:20270106T100000\r\nDTEND;TZID=America/New_York:20270106T120000\r\n\
                    BEGIN:VALARM\r\nDESCRIPTION:ring\r\nEND:VALARM\r\nEND:VEVENT\r\n\
                    BEGIN:VEVENT\r\nDTSTART:20270107T080000\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Day\r\nDTSTART;VALUE=DATE:20270108\r\nDTEND;VALUE=DATE:20270109\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let ev = parse(text, &zone("Asia/Tokyo")).unwrap();
        assert_eq!(ev.len(), 4);
        assert_eq!((ev[0].summary.as_str(), ev[0].end - ev[0].start), ("Write, together", 5400));
        assert_eq!(zone("America/New_York").clock(ev[1].start), "10:00");
        assert_eq!(ev[1].description, "", "alarm text is not the event's");
        assert_eq!((zone("Asia/Tokyo").clock(ev[2].start).as_str(), ev[2].summary.as_str()), ("08:00", "Imported session"));
        assert!(ev[3].had_rule);
        let outlook = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:abc-123\r\nDTSTART;TZID=W. Europe Standard Time:20270105T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let from_outlook = parse(outlook, &zone("UTC")).unwrap();
        assert_eq!(
            (from_outlook[0].zone.as_str(), from_outlook[0].uid.as_str()),
            ("Europe/Berlin", "abc-123"),
            "Windows zone names are understood"
        );
        assert_eq!(ev[3].end - ev[3].start, 8 * 3600, "an all-day event becomes a working day");
    }

    #[test]
    fn malformed_files_report_the_line() {
        let cases = [
            ("hello", 1, "not an iCalendar file"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2027-01-05\nEND:VEVENT\nEND:VCALENDAR\n", 3, "cannot be read"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270230T100000Z\nEND:VEVENT\nEND:VCALENDAR\n", 3, "not a real date"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=Somewhere Standard Time:20270105T100000\nEND:VEVENT\nEND:VCALENDAR\n", 3, "IANA"),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270105T100000Z\nDTEND:20270105T090000Z\nEND:VEVENT\nEND:VCALENDAR\n",
                4,
                "ends before",
            ),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR\n", 2, "no DTSTART"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2027010é\nEND:VEVENT\nEND:VCALENDAR\n", 3, "cannot be read"),
            (
                "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270105T100000Z\nDURATION:P99999999999999999W\nEND:VEVENT\nEND:VCALENDAR\n",
                4,
                "DURATION",
            ),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270105T100000Z\nEND:VCALENDAR\n", 4, "closes BEGIN:VEVENT"),
            ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20270105T100000Z\nthis line is broken\nEND:VEVENT\nEND:VCALENDAR\n", 4, "no “:”"),
            ("BEGIN:VCALENDAR\nEND:VCALENDAR\n", 0, "no events"),
        ];
        for (text, line, words) in cases {
            let e = parse(text, &zone("UTC")).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e:?}");
            assert!(e.message.contains(words), "{text:?}: {e:?}");
        }
        let big = format!("BEGIN:VCALENDAR\n{}END:VCALENDAR\n", "BEGIN:VEVENT\nDTSTART:20270105T100000Z\nEND:VEVENT\n".repeat(501));
        assert!(parse(&big, &zone("UTC")).unwrap_err().message.contains("more than 500"));
    }
}

//! iCalendar (RFC 5545): writing feeds and reading imported files. Pure text
//! work; instants and zones go through `cowork_core::time`.

use cowork_core::time::Zone;
use std::collections::BTreeMap;

mod read;
pub use read::{parse, ImportError, ImportedEvent, Stamp, MAX_IMPORT_BYTES, MAX_IMPORT_EVENTS};

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
    /// GEO: latitude and longitude, only where the viewer may know the spot.
    pub geo: Option<(f64, f64)>,
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
        vevent(&mut out, e, &stamp, &[]);
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// One VEVENT; `extra` lines (ORGANIZER, ATTENDEE) go before its end.
fn vevent(out: &mut String, e: &Event, stamp: &str, extra: &[String]) {
    line(out, "BEGIN:VEVENT");
    line(out, &format!("UID:{}", escape(&e.uid)));
    line(out, &format!("SEQUENCE:{}", e.sequence));
    line(out, &format!("DTSTAMP:{stamp}"));
    line(out, &format!("CREATED:{}", utc_stamp(e.created)));
    line(out, &format!("LAST-MODIFIED:{}", utc_stamp(e.last_modified)));
    // In the hour that repeats when clocks go back, a local time names two instants and
    // calendars take the first: such an event is written in UTC, which is never ambiguous.
    let unambiguous = |t: i64| {
        let l = e.zone.local(t);
        e.zone.instant(l.date, l.time) == t
    };
    if e.zone.name() == "UTC" || !unambiguous(e.start) || !unambiguous(e.end) {
        line(out, &format!("DTSTART:{}", utc_stamp(e.start)));
        line(out, &format!("DTEND:{}", utc_stamp(e.end)));
    } else {
        line(out, &format!("DTSTART;TZID={}:{}", e.zone.name(), local_stamp(&e.zone, e.start)));
        line(out, &format!("DTEND;TZID={}:{}", e.zone.name(), local_stamp(&e.zone, e.end)));
    }
    line(out, &format!("SUMMARY:{}", escape(&e.summary)));
    if !e.description.is_empty() {
        line(out, &format!("DESCRIPTION:{}", escape(&e.description)));
    }
    if !e.location.is_empty() {
        line(out, &format!("LOCATION:{}", escape(&e.location)));
    }
    if let Some((lat, lon)) = e.geo {
        line(out, &format!("GEO:{lat:.6};{lon:.6}"));
    }
    if !e.url.is_empty() {
        line(out, &format!("URL:{}", e.url));
    }
    line(out, &format!("STATUS:{}", e.status));
    for x in extra {
        line(out, x);
    }
    line(out, "END:VEVENT");
}

/// A calendar invitation (RFC 5546 iTIP) to one attendee: METHOD:REQUEST to
/// add or update the event, METHOD:CANCEL to withdraw it. Mail clients show
/// it with their own buttons; UID and SEQUENCE are the feed's, so the same
/// calendar entry is updated whichever way it arrived.
pub struct Invitation<'a> {
    pub method: &'static str,
    pub event: &'a Event,
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    pub attendee_name: &'a str,
    pub attendee_email: &'a str,
}

pub fn write_invitation(inv: &Invitation<'_>, now: i64) -> String {
    let e = inv.event;
    let mut out = String::with_capacity(2048);
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//cowork//cowork//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, &format!("METHOD:{}", inv.method));
    if e.zone.name() != "UTC" {
        vtimezone(&mut out, &e.zone, e.start, e.end);
    }
    let partstat = if inv.method == "CANCEL" { "DECLINED" } else { "ACCEPTED" };
    let extra = [
        format!("ORGANIZER;CN={}:mailto:{}", param(inv.organizer_name), inv.organizer_email),
        format!(
            "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};RSVP=FALSE:mailto:{}",
            param(inv.attendee_name),
            inv.attendee_email
        ),
    ];
    vevent(&mut out, e, &utc_stamp(now), &extra);
    line(&mut out, "END:VCALENDAR");
    out
}

/// A parameter value (§3.2): quoted, with no quote or control character in it.
fn param(s: &str) -> String {
    format!("\"{}\"", s.chars().filter(|c| *c != '"' && !c.is_control()).collect::<String>())
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
                geo: None,
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
            geo: None,
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
        assert!(ev[3].rrule.is_some());
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

//! Moving a community's calendar in: Google and Outlook exports with
//! repeating events and their exceptions, read as an organizer sees them on
//! the series page and in the feed; rules cowork cannot express are refused
//! line by line, the same on SQLite and PostgreSQL.

use crate::support::{csrf_in, Browser, SendChecked, Server};
use cowork_core::time::Zone;
use jiff::civil::{Date, Weekday};
use jiff::ToSpan;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn now() -> i64 {
    cowork_server::app::now()
}

fn ymd(d: Date) -> String {
    d.strftime("%Y%m%d").to_string()
}

/// The first such weekday at least two days after today in a zone.
pub fn next(zone: &Zone, w: Weekday) -> Date {
    let mut d = zone.local(now()).date.saturating_add(2.days());
    while d.weekday() != w {
        d = d.tomorrow().unwrap();
    }
    d
}

async fn organizer(server: &Server) -> Browser {
    server.community("owner@example.org", "cafe-club", "public", "open").await;
    let owner = server.signed_in("owner@example.org").await;
    server.name_and_zone(&server.account("owner@example.org").await, "Olu", "America/New_York").await;
    owner
}

async fn upload(b: &Browser, text: &str) -> (StatusCode, String) {
    let csrf = csrf_in(&b.get_ok("/c/cafe-club/import").await).unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf)
        .part("file", reqwest::multipart::Part::text(text.to_string()).file_name("calendar.ics"));
    let r = b.http.post(b.url("/c/cafe-club/import")).multipart(form).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// The upcoming sessions a series page lists: (start, title, cancelled).
fn listed(html: &str) -> Vec<(i64, String, bool)> {
    html.split("<li class=\"session")
        .skip(1)
        .map(|li| {
            let iso = li.split("datetime=\"").nth(1).unwrap().split('"').next().unwrap();
            let at = iso.parse::<jiff::Timestamp>().unwrap().as_second();
            let title = li.split("<a href=\"/s/").nth(1).unwrap().split('>').nth(1).unwrap().split('<').next().unwrap();
            (at, title.replace("&#x27;", "'"), li.starts_with(" cancelled"))
        })
        .collect()
}

/// A Google Calendar export: a weekly call begun in January 2025, one date
/// removed (EXDATE), one moved to the next afternoon, one cancelled.
pub fn google_export(t: Date) -> String {
    let (t2, t3, t4) = (t.saturating_add(7.days()), t.saturating_add(14.days()), t.saturating_add(21.days()));
    let moved = t3.tomorrow().unwrap();
    format!(
        "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\n\
X-WR-CALNAME:Writers' Coworking\r\nX-WR-TIMEZONE:America/New_York\r\n\
BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nX-LIC-LOCATION:America/New_York\r\n\
BEGIN:DAYLIGHT\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nDTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\n\
BEGIN:STANDARD\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nDTSTART:19701101T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\n\
END:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nDTSTART;TZID=America/New_York:20250107T100000\r\nDTEND;TZID=America/New_York:20250107T113000\r\n\
RRULE:FREQ=WEEKLY;BYDAY=TU\r\nEXDATE;TZID=America/New_York:{ex}T100000\r\nDTSTAMP:20261201T120000Z\r\n\
UID:7kukuqrfedlm2f9t7vhmkq4sgd@google.com\r\nCREATED:20241220T150000Z\r\n\
DESCRIPTION:Our weekly writing call: say your goal\\, write for an hour\\, and t\r\n ell us how it went.\r\n\
LAST-MODIFIED:20261130T090000Z\r\nLOCATION:https://meet.google.com/abc-defg-hij\r\nSEQUENCE:3\r\nSTATUS:CONFIRMED\r\n\
SUMMARY:Writers' Weekly Coworking\r\nTRANSP:OPAQUE\r\n\
BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:This is an event reminder\r\nTRIGGER:-P0DT0H10M0S\r\nEND:VALARM\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART;TZID=America/New_York:{mv}T140000\r\nDTEND;TZID=America/New_York:{mv}T153000\r\nDTSTAMP:20261201T120000Z\r\n\
UID:7kukuqrfedlm2f9t7vhmkq4sgd@google.com\r\nRECURRENCE-ID;TZID=America/New_York:{t3}T100000\r\nCREATED:20241220T150000Z\r\n\
LAST-MODIFIED:20261130T090000Z\r\nLOCATION:https://meet.google.com/abc-defg-hij\r\nSEQUENCE:4\r\nSTATUS:CONFIRMED\r\n\
SUMMARY:Writers' Coworking (afternoon this week)\r\nTRANSP:OPAQUE\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART;TZID=America/New_York:{t4}T100000\r\nDTEND;TZID=America/New_York:{t4}T113000\r\nDTSTAMP:20261201T120000Z\r\n\
UID:7kukuqrfedlm2f9t7vhmkq4sgd@google.com\r\nRECURRENCE-ID;TZID=America/New_York:{t4}T100000\r\nSTATUS:CANCELLED\r\n\
SUMMARY:Writers' Weekly Coworking\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        ex = ymd(t2),
        mv = ymd(moved),
        t3 = ymd(t3),
        t4 = ymd(t4),
    )
}

#[tokio::test]
async fn a_google_weekly_call_arrives_as_a_series_with_its_exceptions() {
    let server = Server::start().await;
    let owner = organizer(&server).await;
    let ny = Zone::parse("tz", "America/New_York").unwrap();
    let t = next(&ny, Weekday::Tuesday);
    let (status, html) = upload(&owner, &google_export(t)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("1 repeating event became a series, with 3 dates cancelled, moved, changed or added"), "{html}");

    let cid = server.app().store.community("cafe-club").await.unwrap().id;
    let series = server.app().store.series_of(&cid).await.unwrap();
    assert_eq!(series.len(), 1, "one series, not one session per date");
    let s = &series[0];
    assert_eq!((s.content.time_zone.as_str(), s.timing.start_time.as_str()), ("America/New_York", "10:00"));
    assert!(
        html.contains(&format!("<a href=\"/c/cafe-club/series/{}\">Writers&#x27; Weekly Coworking</a>", s.id))
            && html.contains("Every week on Tuesday, at 10:00 America/New_York"),
        "the report links to the new series: {html}"
    );
    let page = owner.get_ok(&format!("/c/cafe-club/series/{}", s.id)).await;
    assert!(page.contains("Every week on Tuesday"), "{page}");
    let sessions = listed(&page);
    let at = |d: Date, h: i8| ny.instant(d, jiff::civil::time(h, 0, 0, 0));
    let title = "Writers' Weekly Coworking".to_string();
    assert_eq!(
        sessions[..5],
        [
            (at(t, 10), title.clone(), false),
            (at(t.saturating_add(7.days()), 10), title.clone(), true),
            (at(t.saturating_add(15.days()), 14), "Writers' Coworking (afternoon this week)".to_string(), false),
            (at(t.saturating_add(21.days()), 10), title.clone(), true),
            (at(t.saturating_add(28.days()), 10), title.clone(), false),
        ],
        "removed and cancelled dates show as cancelled; the moved one at its new time"
    );
    // Every other date is a Tuesday at 10:00 New York time, on both sides of the DST change.
    let all = server.app().store.series_sessions(&s.id, 0, 1000).await.unwrap();
    assert!(all.len() >= 28, "six months of Tuesdays: {}", all.len());
    assert!(all.iter().all(|x| x.starts_at > now()), "nothing in the past");
    for x in all.iter().filter(|x| x.content.title == title) {
        let local = ny.local(x.starts_at);
        assert_eq!((local.date.weekday(), ny.clock(x.starts_at), x.ends_at - x.starts_at), (Weekday::Tuesday, "10:00".into(), 5400));
    }
    assert!(all.iter().any(|x| ny.offset_at(x.starts_at) != ny.offset_at(all[0].starts_at)), "the sessions cross a DST change");

    // The community's feed carries the same sessions back out.
    let feed = server.client().get(&format!("/c/cafe-club/calendar.ics")).await.text().await.unwrap();
    let back = cowork_server::ical::parse(&feed, &Zone::utc()).unwrap();
    let moved = back.iter().find(|e| e.summary == "Writers' Coworking (afternoon this week)").unwrap();
    assert_eq!((moved.start, moved.end), (at(t.saturating_add(15.days()), 14), at(t.saturating_add(15.days()), 14) + 5400));
    let cancelled: Vec<i64> = back.iter().filter(|e| e.summary.starts_with("Cancelled: ")).map(|e| e.start).collect();
    assert_eq!(cancelled, [at(t.saturating_add(7.days()), 10), at(t.saturating_add(21.days()), 10)]);
    assert_eq!(back.len(), all.len());

    // Renaming the whole series later leaves the file's exceptions as they were.
    let token = server.token("owner@example.org").await;
    let r = reqwest::Client::new()
        .patch(server.url(&format!("/api/v1/communities/cafe-club/series/{}", s.id)))
        .bearer_auth(&token)
        .json(&json!({"version": s.version, "title": "Writers' Tuesday Coworking"}))
        .sent()
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let renamed = listed(&owner.get_ok(&format!("/c/cafe-club/series/{}", s.id)).await);
    let shown: Vec<(&str, bool)> = renamed[..5].iter().map(|(_, t, c)| (t.as_str(), *c)).collect();
    assert_eq!(
        shown,
        [
            ("Writers' Tuesday Coworking", false),
            ("Writers' Weekly Coworking", true),
            ("Writers' Coworking (afternoon this week)", false),
            ("Writers' Weekly Coworking", true),
            ("Writers' Tuesday Coworking", false),
        ]
    );
    assert_eq!(renamed[2].0, sessions[2].0, "the moved session keeps its time");

    // The same file again adds nothing.
    let (status, html) = upload(&owner, &google_export(t)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("imported before"), "{html}");
    assert_eq!(server.app().store.series_sessions(&s.id, 0, 1000).await.unwrap().len(), all.len());
}

/// An Outlook export: Windows zone names, every other week on Sunday and
/// Tuesday with weeks starting on Sunday, an UNTIL in UTC, two dates removed;
/// and a meeting the calendar cancelled.
fn outlook_export(first: Date, until: Date, removed: [Date; 2]) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\nVERSION:2.0\r\nMETHOD:PUBLISH\r\nX-MS-OLK-FORCEINSPECTOROPEN:TRUE\r\n\
BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n\
BEGIN:STANDARD\r\nDTSTART:16011028T030000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\n\
END:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nCLASS:PUBLIC\r\nCREATED:20261115T101500Z\r\nDESCRIPTION:\\n\r\n\
DTEND;TZID=\"W. Europe Standard Time\":{first}T110000\r\nDTSTAMP:20261201T080000Z\r\n\
DTSTART;TZID=\"W. Europe Standard Time\":{first}T090000\r\n\
EXDATE;TZID=\"W. Europe Standard Time\":{ex1}T090000,{ex2}T090000\r\n\
LAST-MODIFIED:20261120T101500Z\r\nLOCATION:Stadtbibliothek\\, 2. Stock\r\nPRIORITY:5\r\n\
RRULE:FREQ=WEEKLY;UNTIL={until}T080000Z;INTERVAL=2;BYDAY=SU,TU;WKST=SU\r\nSEQUENCE:0\r\n\
SUMMARY;LANGUAGE=de-de:Schreibsprint\r\nTRANSP:OPAQUE\r\n\
UID:040000008200E00074C5B7101A82E00800000000D0F1E2A3B4C5D601000000000000000010000000A1B2C3D4E5F6A7B8C9D0E1F2A3B4C5D6\r\n\
X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\nX-MICROSOFT-CDO-IMPORTANCE:1\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART;TZID=\"W. Europe Standard Time\":{first}T140000\r\nDTEND;TZID=\"W. Europe Standard Time\":{first}T150000\r\n\
STATUS:CANCELLED\r\nSUMMARY:Abgesagt: Planungstreffen\r\nUID:040000008200E00074C5B7101A82E008000000001\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        first = ymd(first),
        until = ymd(until),
        ex1 = ymd(removed[0]),
        ex2 = ymd(removed[1]),
    )
}

#[tokio::test]
async fn an_outlook_series_keeps_its_week_start_its_end_and_its_removed_dates() {
    let server = Server::start().await;
    let owner = organizer(&server).await;
    let berlin = Zone::parse("tz", "Europe/Berlin").unwrap();
    let t = next(&berlin, Weekday::Tuesday).saturating_add(7.days());
    // Weeks start on Sunday: the Sunday before each Tuesday is in its week (RFC 5545 §3.8.5.3).
    let want: Vec<Date> = (0..5)
        .flat_map(|k| {
            let week = t.saturating_sub(2.days()).saturating_add((14 * k).days());
            [week, week.saturating_add(2.days())]
        })
        .filter(|d| *d >= t)
        .collect();
    let until = *want.last().unwrap();
    let (status, html) = upload(&owner, &outlook_export(t, until, [want[1], want[4]])).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("1 was cancelled in the calendar and left out"), "{html}");
    let cid = server.app().store.community("cafe-club").await.unwrap().id;
    let s = server.app().store.series_of(&cid).await.unwrap().remove(0);
    let place = server.app().store.place(&s.content.place_id).await.unwrap();
    assert_eq!((s.content.time_zone.as_str(), place.details.address.as_str()), ("Europe/Berlin", "Stadtbibliothek, 2. Stock"));
    let page = owner.get_ok(&format!("/c/cafe-club/series/{}", s.id)).await;
    assert!(page.contains("Every 2 weeks on Sunday and Tuesday (weeks starting on Sunday), until"), "{page}");
    let got: Vec<(Date, String, bool)> =
        listed(&page).into_iter().map(|(at, _, cancelled)| (berlin.local(at).date, berlin.clock(at), cancelled)).collect();
    let expected: Vec<(Date, String, bool)> = want.iter().enumerate().map(|(i, d)| (*d, "09:00".to_string(), i == 1 || i == 4)).collect();
    assert_eq!(got, expected, "every other week from Sunday, through the UNTIL date, two removed");
}

#[tokio::test]
async fn what_cowork_cannot_repeat_is_refused_on_its_line_and_nothing_is_written() {
    let server = Server::start().await;
    let owner = organizer(&server).await;
    let ny = Zone::parse("tz", "America/New_York").unwrap();
    let t = next(&ny, Weekday::Tuesday);
    let good = google_export(t);
    let line_of = |text: &str, needle: &str| text.split("\r\n").position(|l| l.starts_with(needle)).unwrap() + 1;
    let cases = [
        (good.replace("RRULE:FREQ=WEEKLY;BYDAY=TU", "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=5;UNTIL=20271231"), "RRULE:FREQ=WEEKLY", "not both"),
        (
            good.replace("RRULE:FREQ=WEEKLY;BYDAY=TU", "RRULE:FREQ=YEARLY;BYMONTH=6"),
            "RRULE:FREQ=YEARLY;BYMONTH=6",
            "YEARLY is not supported",
        ),
        (good.replace("RRULE:FREQ=WEEKLY;BYDAY=TU", "RRULE:FREQ=WEEKLY;BYDAY=TU;FREQ=DAILY"), "RRULE:FREQ=WEEKLY", "FREQ twice"),
        (good.replace("EXDATE;", &format!("RDATE;VALUE=PERIOD:{}T150000Z/PT1H\r\nEXDATE;", ymd(t))), "RDATE;VALUE=PERIOD", "not periods"),
        (
            good.replace("EXDATE;", &format!("RDATE;TZID=America/New_York:{}T160000\r\nEXDATE;", ymd(t))),
            "RDATE;TZID",
            "a second session on",
        ),
        (
            good.replacen(
                &format!("RECURRENCE-ID;TZID=America/New_York:{}", ymd(t.saturating_add(14.days()))),
                &format!("RECURRENCE-ID;TZID=America/New_York:{}", ymd(t.saturating_add(15.days()))),
                1,
            ),
            "RECURRENCE-ID;TZID=America/New_York:",
            "not a date of the repeating event",
        ),
    ];
    let cid = server.app().store.community("cafe-club").await.unwrap().id;
    for (text, needle, why) in cases {
        let (status, html) = upload(&owner, &text).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{needle}: {html}");
        let line = line_of(&text, needle);
        assert!(
            html.contains(&format!("Line {line}")) && html.contains(why) && html.contains("Nothing was imported"),
            "{needle} on line {line}: {html}"
        );
        assert!(server.app().store.series_of(&cid).await.unwrap().is_empty(), "{needle}: nothing written");
    }
}

async fn rules_and_nul_are_refused_alike(backend: &str) {
    let server = Server::start_on(backend).await;
    let owner = organizer(&server).await;
    let token = server.token("owner@example.org").await;
    let cid = server.app().store.community("cafe-club").await.unwrap().id;
    let start = next(&Zone::utc(), Weekday::Tuesday).to_string();
    // A NUL in imported text (here the UID) is refused at the file's boundary, on its line.
    let year = Zone::utc().local(now()).date.year() + 1;
    let file = format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:call\u{0}1@example.org\r\nSUMMARY:Call\r\nDTSTART:{year}0105T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    let (status, html) = upload(&owner, &file).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{backend}: {html}");
    assert!(html.contains("Line 4 contains a control character") && html.contains("Nothing was imported"), "{backend}: {html}");
    assert!(server.app().store.series_of(&cid).await.unwrap().is_empty(), "{backend}: nothing written");
    let http = reqwest::Client::new();
    for (rrule, why) in [
        ("FREQ=DAILY;COUNT=5;UNTIL=20271231", "not both"),
        ("FREQ=DAILY;FREQ=WEEKLY", "FREQ twice"),
        (&*format!("FREQ=WEEKLY;BYDAY={}", vec!["TU"; 3000].join(",")), "Tuesday is listed twice"),
    ] {
        let r = http
            .post(server.url("/api/v1/communities/cafe-club/series"))
            .bearer_auth(&token)
            .json(&json!({"title": "Writing sprint", "format": "builtin:focus-50", "start_date": start, "start_time": "10:00", "time_zone": "UTC", "rrule": rrule}))
            .sent().await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{backend} {rrule:.40}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["fields"][0]["field"], "repeat", "{body}");
        assert!(body["error"]["fields"][0]["message"].as_str().unwrap().contains(why), "{body}");
    }
    // The series form sends a rule it cannot show the same way, and gets the same answer.
    let r = owner
        .post(
            "/c/cafe-club/series/new",
            &[
                ("title", "Writing sprint"),
                ("format", "builtin:focus-50"),
                ("start_date", &start),
                ("start_time", "10:00"),
                ("time_zone", "UTC"),
                ("rrule", "FREQ=WEEKLY;COUNT=5;UNTIL=20271231"),
                ("place", "online"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("not both"));
}

#[tokio::test]
async fn refusals_are_the_same_on_sqlite() {
    rules_and_nul_are_refused_alike("sqlite").await;
}

#[tokio::test]
async fn refusals_are_the_same_on_postgres() {
    rules_and_nul_are_refused_alike("postgres").await;
}

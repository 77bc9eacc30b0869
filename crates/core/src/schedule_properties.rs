//! Property tests: random series in the zones the issue names, every rule
//! kind, checked against an oracle built from offsets alone.

use crate::recurrence::{End, Frequency, Rule};
use crate::schedule::{Place, SeriesDraft};
use crate::time::Zone;
use jiff::civil::{date, Date, Time, Weekday};

const ZONES: [&str; 6] = ["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "Pacific/Chatham", "America/Sao_Paulo"];

use crate::test_gen::Gen;

const WEEKDAYS: [Weekday; 7] =
    [Weekday::Monday, Weekday::Tuesday, Weekday::Wednesday, Weekday::Thursday, Weekday::Friday, Weekday::Saturday, Weekday::Sunday];

fn random_rule(g: &mut Gen) -> Option<Rule> {
    let end = match g.below(3) {
        0 => End::Never,
        1 => End::Count(1 + g.below(60) as u32),
        _ => End::Until(date(2027, 1 + g.below(12) as i8, 1 + g.below(28) as i8)),
    };
    let interval = 1 + g.below(3) as u16;
    let week_start = WEEKDAYS[g.below(7) as usize];
    let rule = match g.below(5) {
        0 => return None,
        1 => Rule { frequency: Frequency::Daily, interval, by_day: vec![], by_month_day: vec![], end, week_start },
        2 => {
            let mut days: Vec<(i8, Weekday)> = (0..1 + g.below(3)).map(|_| (0, WEEKDAYS[g.below(7) as usize])).collect();
            days.dedup();
            Rule { frequency: Frequency::Weekly, interval, by_day: days, by_month_day: vec![], end, week_start }
        }
        3 => {
            let n = [1, 2, 3, 4, -1][g.below(5) as usize];
            let by_day = vec![(n, WEEKDAYS[g.below(7) as usize])];
            Rule { frequency: Frequency::Monthly, interval, by_day, by_month_day: vec![], end, week_start }
        }
        _ => {
            let d = [1, 15, 28, 29, 30, 31, -1][g.below(7) as usize];
            Rule { frequency: Frequency::Monthly, interval, by_day: vec![], by_month_day: vec![d], end, week_start }
        }
    };
    Some(rule)
}

/// The instant a wall time should map to, from offsets alone: the earliest
/// instant that shows it; or, in a gap, the wall time read with the offset
/// in force before the gap (which shifts it forward by the gap's length).
fn oracle(zone: &Zone, d: Date, t: Time) -> i64 {
    let naive = Zone::parse("tz", "UTC").unwrap().instant(d, t);
    let before = zone.offset_at(naive - 86_400);
    let after = zone.offset_at(naive + 86_400);
    let mut valid: Vec<i64> = [before, after, zone.offset_at(naive)]
        .iter()
        .map(|o| naive - i64::from(*o))
        .filter(|c| zone.local(*c).date == d && zone.local(*c).time == t)
        .collect();
    valid.sort();
    valid.first().copied().unwrap_or(naive - i64::from(before))
}

/// Whole weeks between the weeks holding `a` and `b`, weeks starting on
/// `week_start` (RFC 5545 §3.3.10, WKST): counted day by day, independently
/// of how the rule expands.
fn weeks_apart(a: Date, b: Date, week_start: Weekday) -> i64 {
    let first_of_week = |mut d: Date| {
        while d.weekday() != week_start {
            d = d.yesterday().unwrap();
        }
        d
    };
    let (mut d, end, mut weeks) = (first_of_week(a), first_of_week(b), 0);
    while d < end {
        d = d.checked_add(jiff::Span::new().days(7)).unwrap();
        weeks += 1;
    }
    weeks
}

/// Every date the rule should give from the start, found by walking the
/// calendar one day at a time — the count applied last.
fn weekly_oracle(start: Date, r: &Rule, through: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut d = start;
    while d <= through {
        let on_day = r.by_day.iter().any(|(_, w)| *w == d.weekday());
        let in_week = weeks_apart(start, d, r.week_start) % i64::from(r.interval) == 0;
        let before_end = match r.end {
            End::Until(u) => d <= u,
            _ => true,
        };
        if on_day && in_week && before_end {
            out.push(d);
        }
        d = d.tomorrow().unwrap();
    }
    if let End::Count(n) = r.end {
        out.truncate(n as usize);
    }
    out
}

#[test]
fn weekly_rules_give_exactly_the_dates_of_their_weeks_whatever_the_week_start() {
    let mut g = Gen(0x3eeb_57a7);
    let mut cases = 0;
    while cases < 400 {
        let Some(r) = random_rule(&mut g) else { continue };
        if r.frequency != Frequency::Weekly {
            continue;
        }
        cases += 1;
        let start = date(2026, 1 + g.below(12) as i8, 1 + g.below(28) as i8);
        let through = date(2027, 12, 31);
        let got = crate::recurrence::occurrences(start, Some(&r), start, through);
        assert_eq!(got, weekly_oracle(start, &r, through), "{start} {r:?}");
    }
}

#[test]
fn a_resumed_series_gives_the_same_dates_from_then_on() {
    let mut g = Gen(0xfeed_beef);
    for case in 0..1500 {
        let Some(r) = random_rule(&mut g) else { continue };
        let start = date(2025, 1 + g.below(12) as i8, 1 + g.below(28) as i8);
        let from = date(2026, 1 + g.below(12) as i8, 1 + g.below(28) as i8);
        let to = date(2027, 6, 30);
        let want = crate::recurrence::occurrences(start, Some(&r), from, to);
        let got = match crate::recurrence::resume(start, &r, from) {
            Some((s, again)) => crate::recurrence::occurrences(s, Some(&again), from, to),
            None => vec![],
        };
        assert_eq!(got, want, "case {case}: {start} from {from} {r:?}");
    }
}

#[test]
fn occurrences_keep_their_wall_time_and_follow_the_gap_and_fold_policy() {
    let mut g = Gen(0x5eed_c0ffee);
    let mut checked = 0;
    let mut shifted = 0;
    for case in 0..1500 {
        let zone = Zone::parse("tz", ZONES[g.below(6) as usize]).unwrap();
        let start = date(2026, 1 + g.below(12) as i8, 1 + g.below(28) as i8);
        // Times near DST changes (00:00–03:59) are drawn often, to hit gaps and folds.
        let hour = if g.below(2) == 0 { g.below(4) as i8 } else { g.below(24) as i8 };
        let minute = [0, 15, 30, 45][g.below(4) as usize];
        let time = Time::new(hour, minute, 0, 0).unwrap();
        let rule = random_rule(&mut g);
        let draft = SeriesDraft {
            title: "t".into(),
            description: String::new(),
            format_key: "builtin:focus-50".into(),
            start_date: start,
            start_time: time,
            zone: zone.clone(),
            rule: rule.clone(),
            capacity: 0,
            online_capacity: 0,
            place: Place::Online { video_url: String::new() },
            language: "en".into(),
            kind: Default::default(),
        };
        let occ = draft.occurrences(50, date(2026, 1, 1), date(2028, 12, 31));
        if let Some(End::Count(n)) = rule.as_ref().map(|r| r.end) {
            assert!(occ.len() as u32 <= n, "case {case}: count");
        }
        let mut last = i64::MIN;
        for o in &occ {
            let d: Date = o.key.parse().unwrap();
            assert!(d >= start, "case {case}: before the start");
            assert!(o.starts_at > last, "case {case}: in order");
            last = o.starts_at;
            assert_eq!(o.starts_at, oracle(&zone, d, time), "case {case}: {} {d} {time} {rule:?}", zone.name());
            let local = zone.local(o.starts_at);
            if local.time == time && local.date == d {
                checked += 1;
            } else {
                // Only a gap may move a wall time, and only forward, to the same day.
                assert!(local.time > time && local.date == d, "case {case}: {} {d} {time} shows {:?}", zone.name(), local);
                shifted += 1;
            }
            if let Some(r) = &rule {
                match (r.frequency, r.by_day.first(), r.by_month_day.first()) {
                    (Frequency::Weekly, _, _) => {
                        assert!(r.by_day.iter().any(|(_, w)| *w == d.weekday()), "case {case}: weekday");
                        assert_eq!(weeks_apart(start, d, r.week_start) % i64::from(r.interval), 0, "case {case}: an off week {r:?}");
                    }
                    (Frequency::Monthly, Some((n, w)), _) => {
                        assert_eq!(d.weekday(), *w, "case {case}");
                        assert_eq!(d.nth_weekday_of_month(*n, *w).unwrap(), d, "case {case}: nth weekday");
                    }
                    (Frequency::Monthly, None, Some(-1)) => assert_eq!(d, d.last_of_month(), "case {case}"),
                    (Frequency::Monthly, None, Some(m)) => assert_eq!(d.day(), *m, "case {case}"),
                    _ => {}
                }
                if let End::Until(u) = r.end {
                    assert!(d <= u, "case {case}: past its end");
                }
            }
        }
    }
    assert!(checked > 10_000, "enough occurrences were checked ({checked})");
    assert!(shifted > 0, "some cases fell in a gap ({shifted})");
}

#[test]
fn the_documented_gap_and_fold_cases_in_each_zone() {
    let z = |n: &str| Zone::parse("tz", n).unwrap();
    let t = |h, m| Time::new(h, m, 0, 0).unwrap();
    // Gaps: the wall time moves forward by the gap.
    for (zone, d, wall, shown) in [
        ("Europe/London", date(2027, 3, 28), t(1, 30), "02:30"),
        ("America/New_York", date(2027, 3, 14), t(2, 15), "03:15"),
        ("Australia/Sydney", date(2026, 10, 4), t(2, 0), "03:00"),
        ("Pacific/Chatham", date(2026, 9, 27), t(2, 45), "03:45"),
    ] {
        let zone = z(zone);
        assert_eq!(zone.clock(zone.instant(d, wall)), shown, "{} {d}", zone.name());
    }
    // Folds: the first of the two instants, i.e. the offset before the change.
    for (zone, d, wall, offset) in [
        ("Europe/London", date(2026, 10, 25), t(1, 30), 3600),
        ("America/New_York", date(2026, 11, 1), t(1, 30), -4 * 3600),
        ("Australia/Sydney", date(2027, 4, 4), t(2, 30), 11 * 3600),
        ("Pacific/Chatham", date(2027, 4, 4), t(3, 15), 13 * 3600 + 2700),
    ] {
        let zone = z(zone);
        assert_eq!(zone.offset_at(zone.instant(d, wall)), offset, "{} {d}", zone.name());
    }
    // No DST at all: São Paulo (since 2019) and Kolkata keep their offset.
    for (zone, offset) in [("America/Sao_Paulo", -3 * 3600), ("Asia/Kolkata", 19_800)] {
        let zone = z(zone);
        for m in 1..=12 {
            assert_eq!(zone.offset_at(zone.instant(date(2027, m, 10), t(12, 0))), offset);
        }
    }
}

//! The dates a rule gives: expanded from the start, or resumed later on.

use super::{days_into_week, End, Frequency, Rule, MAX_OCCURRENCES, MAX_YEARS};
use jiff::civil::{Date, Weekday};
use jiff::ToSpan;

/// The same series restarted at its first date on or after `from`, so that
/// it gives exactly the same dates from then on: for a calendar imported
/// years after it began, whose caps (a count, at most ten years) count from
/// its start. None if it has no date left.
pub fn resume(start: Date, rule: &Rule, from: Date) -> Option<(Date, Rule)> {
    if from <= start {
        return Some((start, rule.clone()));
    }
    let mut r = rule.clone();
    // What came from the start becomes explicit, since the start moves.
    match r.frequency {
        Frequency::Weekly if r.by_day.is_empty() => r.by_day = vec![(0, start.weekday())],
        Frequency::Monthly if r.by_day.is_empty() && r.by_month_day.is_empty() => r.by_month_day = vec![start.day()],
        _ => {}
    }
    let n = i64::from(r.interval.max(1));
    let days_between = |a: Date, b: Date| a.until(b).map(|s| i64::from(s.get_days())).unwrap_or(0);
    // The first day, week or month on or after `from` that the interval keeps.
    let first = match r.frequency {
        Frequency::Daily => from.saturating_add(((n - days_between(start, from).rem_euclid(n)) % n).days()),
        Frequency::Weekly => {
            let week_of = |d: Date| d.saturating_sub(days_into_week(d.weekday(), r.week_start).days());
            let off = (days_between(week_of(start), week_of(from)) / 7).rem_euclid(n);
            if off == 0 {
                from
            } else {
                week_of(from).saturating_add((7 * (n - off)).days())
            }
        }
        Frequency::Monthly => {
            let months = |d: Date| i64::from(d.year()) * 12 + i64::from(d.month());
            let off = (months(from) - months(start)).rem_euclid(n);
            if off == 0 {
                from
            } else {
                from.first_of_month().saturating_add((n - off).months())
            }
        }
    };
    match r.end {
        End::Count(c) => {
            let before = occurrences(start, Some(rule), start, first.yesterday().ok()?).len() as u32;
            r.end = End::Count(c.checked_sub(before).filter(|left| *left > 0)?);
        }
        End::Until(u) if u < first => return None,
        _ => {}
    }
    let next = *occurrences(first, Some(&r), first, first.saturating_add(2.years())).first()?;
    Some((next, r))
}

/// The dates of a series in `[from, to]`: the start date alone without a
/// rule, else every date the rule produces from the start on. The count
/// (and the caps) apply from the start, whatever the window.
pub fn occurrences(start: Date, rule: Option<&Rule>, from: Date, to: Date) -> Vec<Date> {
    let Some(rule) = rule else {
        return if start >= from && start <= to { vec![start] } else { vec![] };
    };
    let hard_stop = start.saturating_add(MAX_YEARS.years());
    let last = match rule.end {
        End::Until(u) => u.min(to).min(hard_stop),
        _ => to.min(hard_stop),
    };
    let limit = match rule.end {
        End::Count(n) => n.min(MAX_OCCURRENCES),
        _ => MAX_OCCURRENCES,
    };
    let mut out = Vec::new();
    let mut produced = 0u32;
    let mut emit = |d: Date, out: &mut Vec<Date>| -> bool {
        if d < start {
            return true;
        }
        if d > last || produced >= limit {
            return false;
        }
        produced += 1;
        if d >= from {
            out.push(d);
        }
        true
    };
    let interval = i64::from(rule.interval.max(1));
    match rule.frequency {
        Frequency::Daily => {
            let mut d = start;
            while emit(d, &mut out) {
                match d.checked_add(interval.days()) {
                    Ok(n) => d = n,
                    Err(_) => break,
                }
            }
        }
        Frequency::Weekly => {
            let mut days: Vec<Weekday> =
                if rule.by_day.is_empty() { vec![start.weekday()] } else { rule.by_day.iter().map(|(_, w)| *w).collect() };
            let wkst = rule.week_start;
            days.sort_by_key(|w| days_into_week(*w, wkst));
            days.dedup();
            // Weeks start on the rule's WKST, counted from the start's week.
            let mut first = start.saturating_sub(days_into_week(start.weekday(), wkst).days());
            'weeks: loop {
                for w in &days {
                    let d = first.saturating_add(days_into_week(*w, wkst).days());
                    if !emit(d, &mut out) {
                        break 'weeks;
                    }
                }
                match first.checked_add((7 * interval).days()) {
                    Ok(n) => first = n,
                    Err(_) => break,
                }
            }
        }
        Frequency::Monthly => {
            let mut month = start.first_of_month();
            'months: loop {
                let mut dates: Vec<Date> = if !rule.by_day.is_empty() {
                    rule.by_day
                        .iter()
                        .filter_map(|(n, w)| month.nth_weekday_of_month(*n, *w).ok())
                        .filter(|d| d.month() == month.month())
                        .collect()
                } else {
                    let days = if rule.by_month_day.is_empty() { vec![start.day()] } else { rule.by_month_day.clone() };
                    // A day the month does not have (the 31st of April) is skipped, as RFC 5545 says.
                    days.iter()
                        .filter_map(
                            |d| if *d == -1 { Some(month.last_of_month()) } else { Date::new(month.year(), month.month(), *d).ok() },
                        )
                        .collect()
                };
                dates.sort();
                dates.dedup();
                for d in dates {
                    if !emit(d, &mut out) {
                        break 'months;
                    }
                }
                match month.checked_add(interval.months()) {
                    Ok(n) if n <= last => month = n,
                    _ => break,
                }
            }
        }
    }
    out
}

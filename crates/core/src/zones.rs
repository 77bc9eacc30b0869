//! Finding a time zone the way people think of it: by city, country,
//! abbreviation or UTC offset ("New York", "India", "CET", "+05:30"), and the
//! canonical name of a legacy one (Asia/Calcutta is stored as Asia/Kolkata).
//! The data is generated from the IANA database by `scripts/zone-data` and
//! compiled in; offsets and abbreviations come from jiff at the given instant.

use crate::input::FieldError;
use crate::time::Zone;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("zones.txt");

/// At most this many matches are listed; the total says how many there were.
pub const LIMIT: usize = 12;

/// Longer text is no zone and no place name; it is not searched.
const MAX_QUERY: usize = 64;

/// A zone people may choose, with what helps them recognise it.
struct Entry {
    name: &'static str,
    tz: TimeZone,
    /// The city of its name and of its legacy names, lowercase, spaces for `_`.
    cities: Vec<String>,
    /// Its full name and legacy names, lowercase, spaces for `_` and `/`.
    names: Vec<String>,
    /// Country names, the main one first, and whether it is the main one.
    countries: Vec<(&'static str, bool)>,
    /// The same, lowercase, and the comment's words, for matching.
    country_words: Vec<String>,
    comment_words: String,
    /// The main zone of its region: it has legacy names (US/Eastern,
    /// Brazil/East) or serves "most areas" of its country. Listed first among
    /// equals, since the database has no populations.
    prominent: bool,
}

struct Data {
    /// Legacy name, lowercase → canonical name.
    links: HashMap<String, &'static str>,
    /// ISO 3166 code → country name.
    countries: HashMap<&'static str, &'static str>,
    entries: Vec<Entry>,
}

fn data() -> &'static Data {
    static DATA_CELL: OnceLock<Data> = OnceLock::new();
    DATA_CELL.get_or_init(|| {
        let mut links = HashMap::new();
        let mut aliases: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut countries = HashMap::new();
        let mut zones = Vec::new();
        for line in DATA.lines().filter(|l| !l.starts_with('#')) {
            let Some((kind, rest)) = line.split_once(' ') else { continue };
            match kind {
                "L" => {
                    if let Some((target, link)) = rest.split_once(' ') {
                        links.insert(link.to_ascii_lowercase(), target);
                        aliases.entry(target).or_default().push(link);
                    }
                }
                "Z" => {
                    let mut f = rest.splitn(3, ' ');
                    if let (Some(zone), Some(codes)) = (f.next(), f.next()) {
                        zones.push((zone, codes, f.next().unwrap_or("")));
                    }
                }
                "C" => {
                    if let Some((code, name)) = rest.split_once(' ') {
                        countries.insert(code, name);
                    }
                }
                _ => {}
            }
        }
        zones.push(("UTC", "", "Coordinated Universal Time"));
        let entries = zones
            .into_iter()
            .filter_map(|(name, codes, comment)| {
                let tz = jiff::tz::db().get(name).ok()?;
                let all: Vec<&str> = std::iter::once(name).chain(aliases.get(name).into_iter().flatten().copied()).collect();
                let cities = all.iter().map(|n| words(n.rsplit('/').next().unwrap_or(n))).collect();
                let names = all.iter().map(|n| words(n)).collect();
                let countries: Vec<(&str, bool)> = codes
                    .split(',')
                    .filter(|c| !c.is_empty())
                    .enumerate()
                    .filter_map(|(i, c)| countries.get(c).map(|n| (*n, i == 0)))
                    .collect();
                let prominent = all.len() > 1 || comment.contains("most");
                let country_words = countries.iter().map(|(c, _)| words(c)).collect();
                Some(Entry { name, tz, cities, names, countries, country_words, comment_words: words(comment), prominent })
            })
            .collect();
        Data { links, countries, entries }
    })
}

/// Lowercase, with `_`, `/`, `-` and runs of spaces made single spaces.
fn words(s: &str) -> String {
    s.to_lowercase().replace(['_', '/', '-'], " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// True when some word of `text` starts with `q` (itself one or more words).
fn word_prefix(text: &str, q: &str) -> bool {
    text.starts_with(q) || text.match_indices(' ').any(|(i, _)| text[i + 1..].starts_with(q))
}

/// The country of an ISO 3166 code ("NZ", any case), as the zone database names it.
pub fn country(code: &str) -> Option<(&'static str, &'static str)> {
    let upper = code.trim().to_ascii_uppercase();
    data().countries.get_key_value(upper.as_str()).map(|(c, n)| (*c, *n))
}

/// The canonical name of a legacy zone name ("Asia/Calcutta" → "Asia/Kolkata"), any case.
pub fn canonical(name: &str) -> Option<&'static str> {
    data().links.get(&name.to_ascii_lowercase()).copied()
}

/// Every zone people may choose, sorted: no legacy names.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = data().entries.iter().map(|e| e.name).collect();
    v.sort_unstable();
    v
}

/// One zone found, as a picker shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ZoneMatch {
    /// The canonical name, to store: "Asia/Kolkata".
    pub name: String,
    /// Where it is: "Kolkata, India".
    pub place: String,
    /// Its offset and abbreviation at the instant searched: "UTC+05:30, IST".
    pub now: String,
}

/// What a search found: the best matches first, and how many there were.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Found {
    pub matches: Vec<ZoneMatch>,
    pub total: usize,
    /// Whether the best match is clearly the one meant: a zone's exact name or
    /// city, its country's main zone, or the only match, so a form may take
    /// it without asking.
    pub certain: bool,
}

/// How well an entry matches: lower is better.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    Name,
    City,
    Country,
    /// An abbreviation typed in capitals ("EST") before words that start with it (Estonia).
    Shouted,
    CityWord,
    OtherCountry,
    Region,
    Abbreviation,
    Offset,
}

/// "+05:30", "UTC+5:30", "gmt-3", "+0530", "−03" → seconds east of UTC.
fn offset_query(q: &str) -> Option<i32> {
    let q = q.trim_start_matches("utc").trim_start_matches("gmt").trim().replace('−', "-");
    let (sign, rest) = match q.as_bytes().first()? {
        b'+' => (1, &q[1..]),
        b'-' => (-1, &q[1..]),
        _ => return None,
    };
    let rest = rest.trim();
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h, m),
        None if rest.len() == 4 && rest.bytes().all(|b| b.is_ascii_digit()) => rest.split_at(2),
        None => (rest, "0"),
    };
    let ok = |s: &str, n: usize| !s.is_empty() && s.len() <= n && s.bytes().all(|b| b.is_ascii_digit());
    if !ok(h, 2) || !ok(m, 2) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// "UTC+05:30".
fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '−' } else { '+' };
    let a = seconds.abs();
    if a == 0 {
        return "UTC".into();
    }
    format!("UTC{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
}

/// Finds zones for what someone typed, as of the instant `now` (which decides
/// offsets and abbreviations). Odd text finds nothing, quickly.
pub fn search(query: &str, now: i64) -> Found {
    let raw = query.trim();
    if raw.is_empty() || raw.len() > MAX_QUERY {
        return Found::default();
    }
    let q = words(raw);
    let at = Timestamp::from_second(now).unwrap_or(Timestamp::UNIX_EPOCH);
    // The other half of the year, for the abbreviation not in use today (CET/CEST).
    let later = Timestamp::from_second(now + 182 * 86_400).unwrap_or(at);
    let offset = offset_query(&raw.to_lowercase());
    let abbreviation = (2..=6).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphabetic());
    let shouted = abbreviation && raw.bytes().all(|b| b.is_ascii_uppercase());
    let raw_name = raw.to_ascii_lowercase();
    let legacy_of = canonical(&raw_name);
    let mut ranked: Vec<(Rank, usize)> = Vec::new();
    for (i, e) in data().entries.iter().enumerate() {
        let abbreviated = || abbreviation && [at, later].iter().any(|t| e.tz.to_offset_info(*t).abbreviation().eq_ignore_ascii_case(raw));
        let rank = if e.name.eq_ignore_ascii_case(&raw_name) || legacy_of == Some(e.name) {
            Some(Rank::Name)
        } else if q.is_empty() {
            None
        } else if e.cities.contains(&q) {
            Some(Rank::City)
        } else if e.countries.iter().any(|(c, main)| *main && c.eq_ignore_ascii_case(raw)) {
            Some(Rank::Country)
        } else if shouted && abbreviated() {
            Some(Rank::Shouted)
        } else if e.cities.iter().any(|c| word_prefix(c, &q)) {
            Some(Rank::CityWord)
        } else if e.country_words.iter().any(|c| word_prefix(c, &q)) {
            Some(Rank::OtherCountry)
        } else if e.names.iter().any(|n| word_prefix(n, &q)) || word_prefix(&e.comment_words, &q) {
            Some(Rank::Region)
        } else if abbreviated() {
            Some(Rank::Abbreviation)
        } else if offset.is_some_and(|o| e.tz.to_offset(at).seconds() == o) {
            Some(Rank::Offset)
        } else {
            None
        };
        if let Some(r) = rank {
            ranked.push((r, i));
        }
    }
    // Among equals: the main zones of their regions, then the database's order (by country).
    let entries = &data().entries;
    ranked.sort_by_key(|&(r, i)| (r, !entries[i].prominent, i));
    let certain = match ranked.as_slice() {
        [_] => true,
        [(best, _), (next, _), ..] => *best <= Rank::Country && next > best,
        [] => false,
    };
    let total = ranked.len();
    let matches = ranked.iter().take(LIMIT).map(|&(_, i)| describe(&data().entries[i], at)).collect();
    Found { matches, total, certain }
}

fn describe(e: &Entry, at: Timestamp) -> ZoneMatch {
    let city = e.name.rsplit('/').next().unwrap_or(e.name).replace('_', " ");
    let place = match e.countries.first() {
        Some((country, _)) if e.name != "UTC" => format!("{city}, {country}"),
        _ => city,
    };
    let info = e.tz.to_offset_info(at);
    let abbreviation = info.abbreviation();
    let mut now = offset_text(info.offset().seconds());
    if abbreviation.bytes().all(|b| b.is_ascii_alphabetic()) && abbreviation != "UTC" {
        now = format!("{now}, {abbreviation}");
    }
    ZoneMatch { name: e.name.to_string(), place, now }
}

/// What a zone field holds once read: the canonical name of the zone typed
/// ("Asia/Calcutta" → "Asia/Kolkata"), or of the one zone that text clearly
/// means ("New York", "India"). Text that finds several zones ("CET",
/// "+05:30", "Brazil") is refused, for the person to choose among them, even
/// where the database has a zone of that name: "EST" is not what people in
/// New York mean.
pub fn settle(field: &'static str, typed: &str, now: i64) -> Result<String, FieldError> {
    if typed.contains('/') {
        if let Ok(z) = Zone::parse(field, typed) {
            return Ok(z.name().to_string());
        }
    }
    let found = search(typed, now);
    match found.matches.first() {
        Some(m) if found.certain => Ok(m.name.clone()),
        Some(_) => Err(FieldError::new(field, format!("“{}” matches {} time zones; choose one.", typed.trim(), found.total))),
        None => Zone::parse(field, typed).map(|z| z.name().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-02 12:00 UTC: northern winter.
    const DEC: i64 = 1_796_212_800;

    fn names_of(q: &str) -> Vec<String> {
        search(q, DEC).matches.into_iter().map(|m| m.name).collect()
    }

    #[test]
    fn every_legacy_name_leads_to_a_zone_jiff_knows() {
        let d = data();
        assert!(d.links.len() > 100, "the backward links are all there");
        for (link, target) in &d.links {
            let z = Zone::parse("tz", link).unwrap_or_else(|e| panic!("{link}: {e:?}"));
            assert_eq!(z.name(), *target, "{link}");
            assert!(jiff::tz::db().get(target).is_ok(), "{target}");
        }
        for (legacy, now) in [("Asia/Calcutta", "Asia/Kolkata"), ("Europe/Kiev", "Europe/Kyiv"), ("US/Eastern", "America/New_York")] {
            assert_eq!(Zone::parse("tz", legacy).unwrap().name(), now);
            assert_eq!(Zone::parse("tz", &legacy.to_lowercase()).unwrap().name(), now, "any case");
        }
        assert_eq!(Zone::parse("tz", "Etc/UTC").unwrap().name(), "UTC");
        assert_eq!(Zone::parse("tz", "Europe/Amsterdam").unwrap().name(), "Europe/Amsterdam", "a zone of its own");
    }

    #[test]
    fn every_zone_people_may_choose_is_known_and_not_legacy() {
        let all = names();
        assert!(all.len() > 300);
        assert!(all.contains(&"UTC") && all.contains(&"Asia/Kolkata"));
        for n in all {
            assert!(canonical(n).is_none(), "{n} is a legacy name");
            assert_eq!(Zone::parse("tz", n).unwrap().name(), n);
        }
    }

    #[test]
    fn zones_are_found_by_city_country_abbreviation_and_offset() {
        assert_eq!(names_of("New York")[0], "America/New_York");
        assert_eq!(names_of("new_york")[0], "America/New_York");
        assert_eq!(names_of("India")[0], "Asia/Kolkata");
        assert_eq!(names_of("Calcutta"), ["Asia/Kolkata"], "by a legacy city name");
        assert_eq!(names_of("Kiev")[0], "Europe/Kyiv");
        let cet = names_of("CET");
        assert!(cet.contains(&"Europe/Vienna".to_string()) && cet.contains(&"Europe/Berlin".to_string()), "{cet:?}");
        assert!(search("CET", DEC).total > 20, "Central Europe and North Africa");
        assert!(!cet.contains(&"Europe/London".to_string()));
        assert!(names_of("CEST").contains(&"Europe/Berlin".to_string()), "a summer name, in winter");
        let ist = names_of("+05:30");
        assert!(ist.contains(&"Asia/Kolkata".to_string()) && ist.contains(&"Asia/Colombo".to_string()), "{ist:?}");
        assert_eq!(names_of("UTC+5:30"), ist);
        assert_eq!(names_of("+0530"), ist);
        let est = names_of("EST");
        assert!(est.contains(&"America/New_York".to_string()) && est.contains(&"America/Toronto".to_string()), "{est:?}");
        assert!(!est.contains(&"Europe/Tallinn".to_string()), "EST is not Estonia: {est:?}");
        let minus_five = search("-05:00", DEC);
        assert!(minus_five.total > LIMIT && minus_five.matches.iter().all(|m| m.now.starts_with("UTC−05:00")), "{minus_five:?}");
        let us = search("United States", DEC);
        assert_eq!((us.matches[0].name.as_str(), us.matches.len()), ("America/New_York", LIMIT));
        assert!(us.total > LIMIT && !us.certain);
    }

    #[test]
    fn matches_say_where_and_what_time_it_is() {
        let m = &search("Kolkata", DEC).matches[0];
        assert_eq!((m.place.as_str(), m.now.as_str()), ("Kolkata, India", "UTC+05:30, IST"));
        let m = &search("Colombo", DEC).matches[0];
        assert_eq!(m.now, "UTC+05:30", "no made-up abbreviation");
        assert_eq!(search("Sao Paulo", DEC).matches[0].now, "UTC−03:00");
    }

    #[test]
    fn clear_text_is_taken_and_unclear_text_is_refused() {
        let settle = |t: &str| super::settle("tz", t, DEC);
        assert_eq!(settle("Asia/Calcutta").unwrap(), "Asia/Kolkata");
        assert_eq!(settle("New York").unwrap(), "America/New_York");
        assert_eq!(settle("india").unwrap(), "Asia/Kolkata");
        assert_eq!(settle("London").unwrap(), "Europe/London");
        assert_eq!(settle("UTC").unwrap(), "UTC");
        assert_eq!(settle("PRC").unwrap(), "Asia/Shanghai", "a legacy name nothing else matches");
        for several in ["+05:30", "CET", "EST", "Brazil"] {
            assert!(settle(several).unwrap_err().message.contains("time zones; choose one"), "{several}");
        }
        assert!(settle("Mars/Olympus").unwrap_err().message.contains("not one time zone we know"));
    }

    #[test]
    fn odd_text_finds_nothing() {
        let long = "a".repeat(10_000);
        for q in ["", "   ", long.as_str(), "😀", "'; DROP TABLE accounts; --", "%", "+99:00", "/", "Mars/Olympus", "\0", "+a€", "+€"]
        {
            assert_eq!(search(q, DEC).total, 0, "{q:?}");
        }
        // Random text, multi-byte characters included, never panics.
        const PIECES: [&str; 16] = ["+", "-", "−", ":", "0", "5", "3", "utc", "€", "é", "😀", " ", "/", "_", "a", "Z"];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..1_500 {
            let mut text = String::new();
            for _ in 0..(seed % 9) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(PIECES[(seed % 16) as usize]);
            }
            seed = seed.wrapping_add(1);
            let _ = search(&text, DEC);
            let _ = settle("tz", &text, DEC);
        }
    }
}

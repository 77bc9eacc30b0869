//! Coworking formats: an agenda of phases that the room's timer follows.
//! The built-in ones follow the seeds (The Turing Way's Collaboration Cafe
//! and Weekly Coworking, Shut Up & Write, Focusmate-style pairs, drop-ins and
//! Jelly-style coworking days).

use crate::input::{self, FieldError, Invalid};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseKind {
    Welcome,
    Intros,
    Focus,
    Break,
    Discussion,
    WrapUp,
    Close,
    OpenWork,
    CheckIn,
}

impl PhaseKind {
    pub const ALL: [PhaseKind; 9] = [
        PhaseKind::Welcome,
        PhaseKind::Intros,
        PhaseKind::Focus,
        PhaseKind::Break,
        PhaseKind::Discussion,
        PhaseKind::WrapUp,
        PhaseKind::Close,
        PhaseKind::OpenWork,
        PhaseKind::CheckIn,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseKind::Welcome => "welcome",
            PhaseKind::Intros => "intros",
            PhaseKind::Focus => "focus",
            PhaseKind::Break => "break",
            PhaseKind::Discussion => "discussion",
            PhaseKind::WrapUp => "wrap_up",
            PhaseKind::Close => "close",
            PhaseKind::OpenWork => "open_work",
            PhaseKind::CheckIn => "check_in",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            PhaseKind::Welcome => "Welcome",
            PhaseKind::Intros => "Introductions",
            PhaseKind::Focus => "Focus",
            PhaseKind::Break => "Break",
            PhaseKind::Discussion => "Discussion",
            PhaseKind::WrapUp => "Wrap-up",
            PhaseKind::Close => "Close",
            PhaseKind::OpenWork => "Open work",
            PhaseKind::CheckIn => "Check-in",
        }
    }
    pub fn parse(s: &str) -> Option<PhaseKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phase {
    pub kind: PhaseKind,
    pub label: String,
    pub minutes: u32,
    /// Everyone takes it (the Collaboration Cafe's middle break); otherwise optional.
    pub enforced: bool,
}

fn phase(kind: PhaseKind, label: &str, minutes: u32, enforced: bool) -> Phase {
    Phase { kind, label: label.into(), minutes, enforced }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Format {
    /// `builtin:collaboration-cafe` for ours, the stored id for a community's own.
    pub key: String,
    pub name: String,
    pub description: String,
    pub phases: Vec<Phase>,
}

impl Format {
    pub fn total_minutes(&self) -> u32 {
        total_minutes(&self.phases)
    }
}

pub fn total_minutes(phases: &[Phase]) -> u32 {
    phases.iter().map(|p| p.minutes).sum()
}

/// "2 h 5 min", "65 min" reads worse than "1 h 5 min".
pub fn duration_words(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// The formats every community has.
pub fn builtins() -> Vec<Format> {
    use PhaseKind::*;
    let mut drop_in = vec![phase(Welcome, "Welcome", 5, true)];
    for n in 1..=4 {
        drop_in.push(phase(OpenWork, &format!("Drop-in slot {n}"), 30, false));
    }
    drop_in.push(phase(Close, "Close", 5, true));
    let mut day = vec![phase(Welcome, "Welcome and plans for the day", 15, true)];
    for n in 1..=5 {
        day.push(phase(OpenWork, &format!("Open work {n}"), 75, false));
        day.push(phase(CheckIn, "Check-in", 15, false));
    }
    day.push(phase(Close, "Close and show-and-tell", 15, true));
    vec![
        Format {
            key: "builtin:collaboration-cafe".into(),
            name: "Collaboration Cafe".into(),
            description: "Two hours: introductions and needs for rooms, four 20-minute Pomodoros, an enforced break at the hour, wrap-up."
                .into(),
            phases: vec![
                phase(Intros, "Introductions and needs for rooms", 10, true),
                phase(Focus, "Pomodoro 1", 20, true),
                phase(Break, "Short break", 5, false),
                phase(Focus, "Pomodoro 2", 20, true),
                phase(Break, "Break (everyone)", 10, true),
                phase(Focus, "Pomodoro 3", 20, true),
                phase(Break, "Short break", 5, false),
                phase(Focus, "Pomodoro 4", 20, true),
                phase(WrapUp, "Wrap-up", 5, true),
                phase(Close, "Close", 5, true),
            ],
        },
        Format {
            key: "builtin:weekly-coworking".into(),
            name: "Weekly Coworking".into(),
            description: "One hour: goals, two 25-minute Pomodoros with a break and report-out, discussion and close.".into(),
            phases: vec![
                phase(Welcome, "Welcome and goals", 5, true),
                phase(Focus, "Pomodoro 1", 25, true),
                phase(Break, "Break and report-out", 5, true),
                phase(Focus, "Pomodoro 2", 25, true),
                phase(Discussion, "Discussion and close", 5, true),
            ],
        },
        Format {
            key: "builtin:shut-up-and-write".into(),
            name: "Shut Up & Write".into(),
            description: "One hour: say what you'll write, write for 45 minutes in silence, share how it went.".into(),
            phases: vec![
                phase(Intros, "Share your writing goal", 10, true),
                phase(Focus, "Write", 45, true),
                phase(WrapUp, "How did it go?", 5, true),
            ],
        },
        Format {
            key: "builtin:focus-50".into(),
            name: "Focus 50".into(),
            description: "Fifty minutes for two: goals, 44 minutes of focus, check-out.".into(),
            phases: vec![phase(Intros, "Goals", 3, true), phase(Focus, "Focus", 44, true), phase(WrapUp, "Check-out", 3, true)],
        },
        Format {
            key: "builtin:drop-in-slots".into(),
            name: "Drop-in slots".into(),
            description: "Welcome, four 30-minute slots to drop in and out of, close.".into(),
            phases: drop_in,
        },
        Format {
            key: "builtin:coworking-day".into(),
            name: "Coworking day".into(),
            description: "A whole day of open work at a shared place, with a check-in every 90 minutes.".into(),
            phases: day,
        },
    ]
}

pub fn builtin(key: &str) -> Option<Format> {
    builtins().into_iter().find(|f| f.key == key)
}

/// One row of the phase editor, as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PhaseInput {
    pub kind: String,
    pub label: String,
    pub minutes: String,
    pub enforced: bool,
}

pub const MAX_PHASES: usize = 40;
/// A session lasts at most a day.
pub const MAX_TOTAL_MINUTES: u32 = 24 * 60;

/// Checks a format's name and phases; rows left wholly empty are ignored.
pub fn parse_format(name: &str, description: &str, rows: &[PhaseInput]) -> Result<(String, String, Vec<Phase>), Invalid> {
    let mut inv = Invalid::default();
    let name = inv.take(input::line("name", name, 2, 60));
    let description = inv.take(input::text("description", description, 500));
    let phases = inv.take(parse_phases(rows));
    match (name, description, phases) {
        (Some(n), Some(d), Some(p)) if inv.is_empty() => Ok((n, d, p)),
        _ => Err(inv),
    }
}

pub fn parse_phases(rows: &[PhaseInput]) -> Result<Vec<Phase>, FieldError> {
    let rows: Vec<&PhaseInput> = rows.iter().filter(|r| !(r.label.trim().is_empty() && r.minutes.trim().is_empty())).collect();
    if rows.is_empty() {
        return Err(FieldError::new("phases", "Add at least one phase."));
    }
    if rows.len() > MAX_PHASES {
        return Err(FieldError::new("phases", format!("Use at most {MAX_PHASES} phases.")));
    }
    let mut out = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let n = i + 1;
        let kind =
            PhaseKind::parse(&r.kind).ok_or_else(|| FieldError::new("phases", format!("Phase {n}: choose what kind of phase it is.")))?;
        let label = if r.label.trim().is_empty() {
            kind.label().to_string()
        } else {
            input::line("phases", &r.label, 1, 60).map_err(|e| FieldError::new("phases", format!("Phase {n}: {}", e.message)))?
        };
        let minutes: u32 = r.minutes.trim().parse().ok().filter(|m| (1..=MAX_TOTAL_MINUTES).contains(m)).ok_or_else(|| {
            FieldError::new("phases", format!("Phase {n}: minutes must be a whole number from 1 to {MAX_TOTAL_MINUTES}."))
        })?;
        out.push(Phase { kind, label, minutes, enforced: r.enforced });
    }
    let total = total_minutes(&out);
    if total > MAX_TOTAL_MINUTES {
        return Err(FieldError::new("phases", format!("The phases add up to {}; a session lasts at most 24 h.", duration_words(total))));
    }
    Ok(out)
}

/// Each phase with the instant it starts, for an agenda with clock times.
pub fn agenda(start: i64, phases: &[Phase]) -> Vec<(i64, &Phase)> {
    let mut t = start;
    phases
        .iter()
        .map(|p| {
            let at = t;
            t += i64::from(p.minutes) * 60;
            (at, p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_have_the_lengths_of_the_seeds() {
        let total = |k: &str| builtin(k).unwrap().total_minutes();
        assert_eq!(total("builtin:collaboration-cafe"), 120);
        assert_eq!(total("builtin:weekly-coworking"), 65);
        assert_eq!(total("builtin:shut-up-and-write"), 60);
        assert_eq!(total("builtin:focus-50"), 50);
        assert_eq!(total("builtin:drop-in-slots"), 130);
        assert_eq!(total("builtin:coworking-day"), 480);
        let cafe = builtin("builtin:collaboration-cafe").unwrap();
        assert!(cafe.phases[4].enforced && cafe.phases[4].minutes == 10, "the break at the hour is enforced");
        assert!(!cafe.phases[2].enforced);
        let day = builtin("builtin:coworking-day").unwrap();
        let check_ins: Vec<i64> =
            agenda(0, &day.phases).iter().filter(|(_, p)| p.kind == PhaseKind::CheckIn).map(|(t, _)| *t / 60).collect();
        assert_eq!(check_ins, [90, 180, 270, 360, 450], "a check-in every 90 minutes");
    }

    #[test]
    fn phases_are_checked_row_by_row() {
        let row = |k: &str, l: &str, m: &str| PhaseInput { kind: k.into(), label: l.into(), minutes: m.into(), enforced: false };
        let ok = parse_phases(&[row("focus", "", "25"), row("break", "Stretch", "5"), row("", "", "")]).unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].label, "Focus", "an empty label takes the kind's name");
        assert!(parse_phases(&[]).is_err());
        assert!(parse_phases(&[row("focus", "", "0")]).unwrap_err().message.contains("Phase 1"));
        assert!(parse_phases(&[row("nap", "", "5")]).is_err());
        assert!(parse_phases(&[row("focus", "", "1000"), row("focus", "", "1000")]).unwrap_err().message.contains("24 h"));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_words(65), "1 h 5 min");
        assert_eq!(duration_words(120), "2 h");
        assert_eq!(duration_words(50), "50 min");
    }
}

//! The shared timer of a room, driven by the session's format.
//!
//! The timer is a phase, how far into it, and the wall-clock moment that was
//! true (the anchor). Phases flow into each other on their own while it runs;
//! host controls (pause, resume, skip, extend, restart) re-anchor it at the
//! moment they act. Everything is in milliseconds of wall time, so any moment
//! can be computed afresh — a late joiner, or a tab woken from the background,
//! gets the same answer as everyone else. The timer also remembers when each
//! step really began, so the agenda shows what happened, not what was planned.

use crate::format::{Phase, PhaseKind};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timer {
    /// Length of each phase, extensions included.
    pub durations_ms: Vec<i64>,
    /// The phase at the anchor (== len when the session is over).
    pub phase: usize,
    /// How far into that phase at the anchor (negative: before the start).
    pub elapsed_ms: i64,
    pub anchor_ms: i64,
    pub running: bool,
    /// When each step really began, by index, for the steps begun before the
    /// anchor (later ones follow from the anchor). Absent in timers saved
    /// before it was kept; the agenda then counts back from the current step.
    #[serde(default)]
    pub started_ms: Vec<i64>,
}

/// What the room shows at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Moment {
    /// None before the first phase and after the last.
    pub phase: Option<usize>,
    pub elapsed_ms: i64,
    /// Left in the current phase (or until the start, before it).
    pub remaining_ms: i64,
    pub running: bool,
    pub finished: bool,
    /// When the current phase ends (or the session starts), if the timer runs.
    pub ends_at_ms: Option<i64>,
}

/// What a host can do to the timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Start,
    Pause,
    Resume,
    Skip,
    /// Add minutes to the current phase.
    Extend(u32),
    Restart,
}

/// A phase can be extended to at most this long, in all.
pub const MAX_PHASE_MS: i64 = 8 * 3600 * 1000;

/// How long a host has to take back a skip (a misclick, or one too many).
pub const UNDO_SKIP_MS: i64 = 10_000;

/// A skip that can be taken back: the timer as it was before it, and when it was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkipUndo {
    pub before: Timer,
    pub at_ms: i64,
}

impl SkipUndo {
    /// The timer to go back to, if the skip is recent enough. Anything else done to
    /// the timer since forgets the undo, so it never restores over a later change.
    pub fn restore(self, now_ms: i64) -> Option<Timer> {
        (now_ms >= self.at_ms && now_ms - self.at_ms <= UNDO_SKIP_MS).then_some(self.before)
    }
}

impl Timer {
    /// A timer that starts by itself at the session's start.
    pub fn scheduled(phases: &[Phase], starts_at_ms: i64) -> Timer {
        Timer {
            durations_ms: phases.iter().map(|p| i64::from(p.minutes) * 60_000).collect(),
            phase: 0,
            elapsed_ms: 0,
            anchor_ms: starts_at_ms,
            running: true,
            started_ms: Vec::new(),
        }
    }

    fn len(&self) -> usize {
        self.durations_ms.len()
    }

    /// The phase and how far into it at `now`, letting finished phases flow into the next.
    fn position(&self, now_ms: i64) -> (usize, i64) {
        let mut phase = self.phase;
        let mut e = self.elapsed_ms + if self.running { now_ms - self.anchor_ms } else { 0 };
        if e < 0 {
            return (phase, e);
        }
        while phase < self.len() && e >= self.durations_ms[phase] {
            e -= self.durations_ms[phase];
            phase += 1;
        }
        (phase, e)
    }

    pub fn at(&self, now_ms: i64) -> Moment {
        let (phase, e) = self.position(now_ms);
        if phase >= self.len() {
            return Moment { phase: None, elapsed_ms: 0, remaining_ms: 0, running: false, finished: true, ends_at_ms: None };
        }
        if e < 0 {
            return Moment {
                phase: None,
                elapsed_ms: e,
                remaining_ms: -e,
                running: self.running,
                finished: false,
                ends_at_ms: self.running.then_some(now_ms - e),
            };
        }
        let remaining = self.durations_ms[phase] - e;
        Moment {
            phase: Some(phase),
            elapsed_ms: e,
            remaining_ms: remaining,
            running: self.running,
            finished: false,
            ends_at_ms: self.running.then_some(now_ms + remaining),
        }
    }

    /// Notes that step `phase` began at `at_ms` (and forgets later steps' starts,
    /// which a restart or an undo made untrue).
    fn began(&mut self, phase: usize, at_ms: i64) {
        self.started_ms.truncate(phase);
        let known = self.started_ms.len();
        self.started_ms.resize(phase + 1, at_ms);
        // Steps of a timer saved before starts were kept: as if nothing had moved them.
        for i in (known..phase).rev() {
            self.started_ms[i] = self.started_ms[i + 1] - self.durations_ms[i];
        }
    }

    /// Notes the starts of the steps that began on their own between the anchor and `now`.
    fn note_starts(&mut self, now_ms: i64) {
        if !self.running || self.phase >= self.len() {
            return;
        }
        let mut phase = self.phase;
        // When the anchored step began, had it run without a pause (exact at its very start).
        let mut begin = self.anchor_ms - self.elapsed_ms;
        if begin > now_ms {
            return;
        }
        if self.elapsed_ms <= 0 {
            self.began(phase, begin);
        }
        while phase + 1 < self.len() {
            let end = begin + self.durations_ms[phase];
            if end > now_ms {
                break;
            }
            phase += 1;
            self.began(phase, end);
            begin = end;
        }
    }

    /// Re-anchors at `now` where the timer has got to.
    fn settle(&mut self, now_ms: i64) {
        self.note_starts(now_ms);
        let (phase, e) = self.position(now_ms);
        self.phase = phase;
        self.elapsed_ms = if phase >= self.len() { 0 } else { e };
        self.anchor_ms = now_ms;
    }

    /// Applies a host's control at `now`. Returns false when it changes nothing
    /// (pausing a paused timer, skipping past the end), so no event is sent.
    pub fn apply(&mut self, control: Control, original: &[Phase], now_ms: i64) -> bool {
        if self.at(now_ms).finished && control != Control::Restart {
            return false;
        }
        let before = self.clone();
        match control {
            Control::Start => {
                // Starting early (or late) begins the first phase now.
                if self.phase == 0 && self.position(now_ms).1 < 0 {
                    self.phase = 0;
                    self.elapsed_ms = 0;
                    self.anchor_ms = now_ms;
                    self.running = true;
                    self.began(0, now_ms);
                } else if !self.running {
                    self.settle(now_ms);
                    self.running = true;
                }
            }
            Control::Pause => {
                if self.running {
                    self.settle(now_ms);
                    self.running = false;
                }
            }
            Control::Resume => {
                if !self.running {
                    self.anchor_ms = now_ms;
                    self.running = true;
                }
            }
            // Before the start, the next step is the first: skipping starts it.
            Control::Skip if self.phase == 0 && self.position(now_ms).1 < 0 => {
                return self.apply(Control::Start, original, now_ms);
            }
            Control::Skip => {
                self.settle(now_ms);
                if self.phase < self.len() {
                    self.phase += 1;
                    self.elapsed_ms = 0;
                    // A paused timer's next step begins when it is resumed (noted then).
                    if self.running && self.phase < self.len() {
                        self.began(self.phase, now_ms);
                    }
                }
            }
            Control::Extend(minutes) => {
                self.settle(now_ms);
                if self.phase < self.len() {
                    let d = &mut self.durations_ms[self.phase];
                    *d = (*d + i64::from(minutes) * 60_000).min(MAX_PHASE_MS.max(*d));
                }
            }
            Control::Restart => {
                *self = Timer::scheduled(original, now_ms);
            }
        }
        *self != before
    }

    /// When the last phase ends (or ended), if nobody touches the timer from `now` on.
    pub fn ends_at(&self, now_ms: i64) -> i64 {
        if self.phase >= self.len() {
            // Skipped past the end: it ended when it was anchored there.
            return self.anchor_ms;
        }
        let rest = self.durations_ms.get(self.phase..).map_or(0, |d| d.iter().sum::<i64>()) - self.elapsed_ms;
        if self.running {
            self.anchor_ms + rest
        } else {
            now_ms + rest
        }
    }

    /// Every step with the wall-clock moment it starts, as things stand at `now`:
    /// the steps begun at when they really began (after any start, skip, pause or
    /// extension), the others when they will begin if nobody touches the timer.
    pub fn agenda(&self, now_ms: i64) -> Vec<i64> {
        let mut t = self.clone();
        t.settle(now_ms);
        let (len, phase, e) = (t.len(), t.phase, t.elapsed_ms);
        // The first step not begun yet, and when it begins (or when the last one ended).
        let (ahead, first) = if phase >= len {
            (len, self.ends_at(now_ms))
        } else if e < 0 {
            (phase, now_ms - e)
        } else {
            (phase + 1, now_ms + t.durations_ms[phase] - e)
        };
        let mut starts = vec![0; len];
        let mut at = first;
        for (i, s) in starts.iter_mut().enumerate().skip(ahead) {
            *s = at;
            at += t.durations_ms[i];
        }
        // Begun steps as noted; a step not noted (a timer saved before starts were
        // kept, or a paused one not resumed yet) counts back from the one after it.
        let mut next = first;
        for i in (0..ahead).rev() {
            starts[i] = t.started_ms.get(i).copied().unwrap_or(next - t.durations_ms[i]);
            next = starts[i];
        }
        starts
    }
}

/// What a screen reader is told, politely: the phase that began, or "one minute left".
pub fn announcement(phases: &[Phase], before: &Moment, after: &Moment) -> Option<String> {
    match (before.phase, after.phase, after.finished) {
        (_, _, true) if !before.finished => Some("The session is over. Thank you for coworking!".into()),
        (b, Some(a), _) if b != Some(a) => {
            let p = &phases[a];
            let kind = match p.kind {
                PhaseKind::Break if !p.enforced => "Break (optional)",
                PhaseKind::Break => "Break",
                PhaseKind::Focus => "Focus",
                _ => p.kind.label(),
            };
            Some(format!(
                "{kind}: {} for {} minutes.",
                p.label,
                after.remaining_ms.div_euclid(60_000) + i64::from(after.remaining_ms % 60_000 != 0)
            ))
        }
        (Some(b), Some(a), _) if a == b && before.remaining_ms > 60_000 && after.remaining_ms <= 60_000 => Some("One minute left.".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::builtin;

    const MIN: i64 = 60_000;

    fn weekly() -> Vec<Phase> {
        builtin("builtin:weekly-coworking").unwrap().phases
    }

    #[test]
    fn phases_flow_on_their_own_and_a_late_joiner_lands_in_the_current_one() {
        let t = Timer::scheduled(&weekly(), 0);
        // Before the start: counting down to it.
        let m = t.at(-3 * MIN);
        assert_eq!((m.phase, m.remaining_ms, m.ends_at_ms), (None, 3 * MIN, Some(0)));
        // 5 min welcome, then 25 min focus: at minute 17 we are 12 minutes into focus.
        let m = t.at(17 * MIN);
        assert_eq!((m.phase, m.elapsed_ms, m.remaining_ms), (Some(1), 12 * MIN, 13 * MIN));
        assert_eq!(m.ends_at_ms, Some(30 * MIN));
        assert!(t.at(65 * MIN).finished);
    }

    #[test]
    fn a_phase_boundary_belongs_to_the_next_phase() {
        let t = Timer::scheduled(&weekly(), 0);
        assert_eq!(t.at(5 * MIN - 1).phase, Some(0));
        assert_eq!(t.at(5 * MIN).phase, Some(1));
        assert_eq!(t.at(5 * MIN).remaining_ms, 25 * MIN);
        assert!(!t.at(65 * MIN - 1).finished);
        assert!(t.at(65 * MIN).finished);
    }

    #[test]
    fn pause_holds_the_time_left_and_resume_carries_on() {
        let mut t = Timer::scheduled(&weekly(), 0);
        assert!(t.apply(Control::Pause, &weekly(), 10 * MIN));
        assert!(!t.apply(Control::Pause, &weekly(), 11 * MIN), "pausing twice changes nothing");
        let m = t.at(40 * MIN);
        assert_eq!((m.phase, m.remaining_ms, m.running, m.ends_at_ms), (Some(1), 20 * MIN, false, None));
        t.apply(Control::Resume, &weekly(), 40 * MIN);
        assert_eq!(t.at(50 * MIN).remaining_ms, 10 * MIN);
        assert_eq!(t.at(60 * MIN).phase, Some(2), "the break follows once focus is over");
    }

    #[test]
    fn skip_and_extend_act_on_the_current_phase() {
        let mut t = Timer::scheduled(&weekly(), 0);
        t.apply(Control::Skip, &weekly(), 2 * MIN);
        let m = t.at(2 * MIN);
        assert_eq!((m.phase, m.remaining_ms), (Some(1), 25 * MIN), "skipping starts the next phase now");
        t.apply(Control::Extend(5), &weekly(), 10 * MIN);
        assert_eq!(t.at(10 * MIN).remaining_ms, 22 * MIN, "17 left plus 5");
        assert_eq!(t.at(32 * MIN).phase, Some(2));
        // Extending while paused keeps it paused.
        t.apply(Control::Pause, &weekly(), 33 * MIN);
        t.apply(Control::Extend(1), &weekly(), 34 * MIN);
        assert!(!t.at(40 * MIN).running);
        // Skipping past the last phase ends the session; skipping again changes nothing.
        for _ in 0..5 {
            t.apply(Control::Skip, &weekly(), 35 * MIN);
        }
        assert!(t.at(35 * MIN).finished);
        assert!(!t.apply(Control::Skip, &weekly(), 36 * MIN));
    }

    #[test]
    fn restart_and_an_early_start() {
        let mut t = Timer::scheduled(&weekly(), 10 * MIN);
        assert!(t.apply(Control::Start, &weekly(), 7 * MIN), "starting three minutes early");
        assert_eq!(t.at(7 * MIN).phase, Some(0));
        assert_eq!(t.at(12 * MIN).phase, Some(1));
        t.apply(Control::Extend(10), &weekly(), 20 * MIN);
        t.apply(Control::Restart, &weekly(), 30 * MIN);
        assert_eq!(t, Timer::scheduled(&weekly(), 30 * MIN), "restart forgets extensions");
    }

    #[test]
    fn everyone_computing_from_the_same_timer_agrees() {
        // Two clients whose clocks differ are told the same end instant; each counts down
        // to it with its own offset to the server, so they agree as closely as the offsets do.
        let t = Timer::scheduled(&weekly(), 0);
        let server_now = 17 * MIN + 123;
        assert_eq!(t.at(server_now).ends_at_ms, t.at(server_now + 40_000).ends_at_ms);
    }

    #[test]
    fn skipping_before_the_start_starts_the_first_step() {
        let p = weekly();
        let mut t = Timer::scheduled(&p, 10 * MIN);
        assert!(t.apply(Control::Skip, &p, 2 * MIN));
        let m = t.at(2 * MIN);
        assert_eq!((m.phase, m.remaining_ms), (Some(0), 5 * MIN));
    }

    #[test]
    fn a_paused_timer_skipped_to_the_end_has_ended() {
        let p = weekly();
        let mut t = Timer::scheduled(&p, 0);
        t.apply(Control::Pause, &p, MIN);
        for _ in 0..5 {
            t.apply(Control::Skip, &p, 2 * MIN);
        }
        assert!(t.at(3 * MIN).finished);
        assert_eq!(t.ends_at(3 * MIN), 2 * MIN);
        assert_eq!(t.ends_at(60 * MIN), 2 * MIN, "the end no longer moves");
    }

    #[test]
    fn the_end_moves_with_pauses_and_extensions() {
        let p = weekly();
        let mut t = Timer::scheduled(&p, 0);
        assert_eq!(t.ends_at(-10 * MIN), 65 * MIN);
        t.apply(Control::Pause, &p, 10 * MIN);
        // Paused: the end keeps moving away as time passes.
        assert_eq!(t.ends_at(20 * MIN), 75 * MIN);
        t.apply(Control::Resume, &p, 20 * MIN);
        t.apply(Control::Extend(5), &p, 20 * MIN);
        assert_eq!(t.ends_at(30 * MIN), 80 * MIN);
        assert!(t.at(80 * MIN).finished && !t.at(80 * MIN - 1).finished);
    }

    #[test]
    fn the_agenda_moves_with_the_timer() {
        let mut t = Timer::scheduled(&weekly(), 0);
        assert_eq!(t.agenda(0), [0, 5 * MIN, 30 * MIN, 35 * MIN, 60 * MIN]);
        t.apply(Control::Extend(5), &weekly(), 10 * MIN);
        assert_eq!(t.agenda(10 * MIN), [0, 5 * MIN, 35 * MIN, 40 * MIN, 65 * MIN]);
    }

    #[test]
    fn the_agenda_shows_past_steps_when_they_really_began_and_future_ones_from_now() {
        let p = weekly();
        // Scheduled at 10, started three minutes early.
        let mut t = Timer::scheduled(&p, 10 * MIN);
        t.apply(Control::Start, &p, 7 * MIN);
        assert_eq!(t.agenda(9 * MIN), [7 * MIN, 12 * MIN, 37 * MIN, 42 * MIN, 67 * MIN]);
        // The welcome skipped at 9: focus began then, not 5 minutes after the welcome.
        t.apply(Control::Skip, &p, 9 * MIN);
        assert_eq!(t.agenda(20 * MIN), [7 * MIN, 9 * MIN, 34 * MIN, 39 * MIN, 64 * MIN]);
        // Paused for ten minutes: begun steps stay put, the rest move on.
        t.apply(Control::Pause, &p, 20 * MIN);
        assert_eq!(t.agenda(25 * MIN), [7 * MIN, 9 * MIN, 39 * MIN, 44 * MIN, 69 * MIN], "projected from now while paused");
        t.apply(Control::Resume, &p, 30 * MIN);
        t.apply(Control::Extend(5), &p, 31 * MIN);
        assert_eq!(t.agenda(31 * MIN), [7 * MIN, 9 * MIN, 49 * MIN, 54 * MIN, 79 * MIN]);
        // Steps that began on their own while nobody touched the timer.
        assert_eq!(t.agenda(60 * MIN), [7 * MIN, 9 * MIN, 49 * MIN, 54 * MIN, 79 * MIN]);
        // Over: every step at when it began, the timer saved and read back.
        let t: Timer = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert!(t.at(90 * MIN).finished);
        assert_eq!(t.agenda(90 * MIN), [7 * MIN, 9 * MIN, 49 * MIN, 54 * MIN, 79 * MIN]);
    }

    #[test]
    fn a_step_skipped_to_while_paused_begins_when_resumed() {
        let p = weekly();
        let mut t = Timer::scheduled(&p, 0);
        t.apply(Control::Pause, &p, 2 * MIN);
        t.apply(Control::Skip, &p, 3 * MIN);
        assert_eq!(t.agenda(4 * MIN)[..2], [0, 4 * MIN], "not begun yet: it would begin now");
        t.apply(Control::Resume, &p, 6 * MIN);
        assert_eq!(t.agenda(8 * MIN)[..3], [0, 6 * MIN, 31 * MIN]);
        // Skipping through to the end: the session ended at the last skip.
        for _ in 0..4 {
            t.apply(Control::Skip, &p, 10 * MIN);
        }
        assert_eq!(t.agenda(50 * MIN), [0, 6 * MIN, 10 * MIN, 10 * MIN, 10 * MIN]);
    }

    #[test]
    fn a_timer_saved_before_starts_were_kept_counts_back_from_the_current_step() {
        let old =
            r#"{"durations_ms":[300000,1500000,300000,1500000,300000],"phase":1,"elapsed_ms":60000,"anchor_ms":600000,"running":true}"#;
        let t: Timer = serde_json::from_str(old).unwrap();
        assert!(t.started_ms.is_empty());
        assert_eq!(t.agenda(10 * MIN), [4 * MIN, 9 * MIN, 34 * MIN, 39 * MIN, 64 * MIN]);
        // Restarting forgets the steps of the first run.
        let mut t = Timer::scheduled(&weekly(), 0);
        t.apply(Control::Skip, &weekly(), MIN);
        t.apply(Control::Restart, &weekly(), 20 * MIN);
        assert_eq!(t.agenda(21 * MIN), [20 * MIN, 25 * MIN, 50 * MIN, 55 * MIN, 80 * MIN]);
    }

    #[test]
    fn a_skip_can_be_taken_back_for_a_few_seconds() {
        let p = weekly();
        let mut t = Timer::scheduled(&p, 0);
        let before = t.clone();
        t.apply(Control::Skip, &p, 2 * MIN);
        let undo = SkipUndo { before: before.clone(), at_ms: 2 * MIN };
        let back = undo.clone().restore(2 * MIN + UNDO_SKIP_MS).expect("in time");
        assert_eq!(back.at(2 * MIN + UNDO_SKIP_MS).phase, Some(0), "back in the welcome, as if never skipped");
        assert_eq!(back.at(2 * MIN + UNDO_SKIP_MS).remaining_ms, 3 * MIN - UNDO_SKIP_MS);
        assert_eq!(undo.restore(2 * MIN + UNDO_SKIP_MS + 1), None, "too late");
    }

    #[test]
    fn screen_readers_hear_phase_changes_and_the_last_minute_only() {
        let p = weekly();
        let t = Timer::scheduled(&p, 0);
        let say = |a: i64, b: i64| announcement(&p, &t.at(a), &t.at(b));
        assert_eq!(say(4 * MIN, 5 * MIN).as_deref(), Some("Focus: Pomodoro 1 for 25 minutes."));
        assert_eq!(say(28 * MIN, 29 * MIN + 1).as_deref(), Some("One minute left."));
        assert_eq!(say(10 * MIN, 10 * MIN + 1000), None, "not every second");
        assert_eq!(say(64 * MIN, 66 * MIN).as_deref(), Some("The session is over. Thank you for coworking!"));
    }
}

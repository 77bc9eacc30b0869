//! Breakout tables: small groups on one topic inside a room. A table stays
//! open across two focus blocks unless a host closes it (The Turing Way's
//! rule since 2023), so a conversation survives the break between them.

use crate::format::{Phase, PhaseKind};
use crate::input::{self, FieldError};

pub fn topic(raw: &str) -> Result<String, FieldError> {
    input::line("topic", raw, 1, 80)
}

/// The last phase a table proposed (or reopened) during phase `current` stays
/// open through: the end of the second focus block from now, counting the
/// current one if it is a focus block. Before the start, `current` is 0.
pub fn open_until(phases: &[Phase], current: usize) -> usize {
    let last = phases.len().saturating_sub(1);
    phases.iter().enumerate().skip(current).filter(|(_, p)| p.kind == PhaseKind::Focus).nth(1).map_or(last, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::builtin;

    #[test]
    fn a_table_stays_open_across_two_focus_blocks() {
        // Collaboration Cafe: welcome, intros, then focus/break pairs.
        let p = builtin("builtin:collaboration-cafe").unwrap().phases;
        let focus: Vec<usize> = p.iter().enumerate().filter(|(_, x)| x.kind == PhaseKind::Focus).map(|(i, _)| i).collect();
        assert!(focus.len() >= 4);
        // Proposed during intros: open through the second focus block.
        assert_eq!(open_until(&p, 1), focus[1]);
        // Proposed during the first focus block: that one and the next.
        assert_eq!(open_until(&p, focus[0]), focus[1]);
        // Proposed in the break after it: the next two.
        assert_eq!(open_until(&p, focus[0] + 1), focus[2]);
        // Near the end, fewer than two blocks left: until the end.
        assert_eq!(open_until(&p, focus[3]), p.len() - 1);
        assert!(topic("Writing a grant").is_ok() && topic("").is_err());
    }
}

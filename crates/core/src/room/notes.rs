//! Shared notes: two people editing at once never silently lose text.
//! An edit names the version it was made from; if the notes moved on since,
//! both changes are merged line by line (a three-way merge). Where both
//! changed the same lines differently, both versions are kept, theirs first.

use crate::input::FieldError;

pub const MAX_NOTES_BYTES: usize = 100 * 1024;
const MAX_LINES: usize = 4000;

pub fn check(text: &str) -> Result<String, FieldError> {
    let t = text.replace("\r\n", "\n");
    if t.len() > MAX_NOTES_BYTES || t.lines().count() > MAX_LINES {
        return Err(FieldError::new("notes", "The notes are too long (at most 100 KB and 4,000 lines)."));
    }
    Ok(t)
}

/// The notes as a page shows them after the session: the template's empty
/// bullets (`- ` waiting for someone to write) left out, everything else kept.
pub fn for_reading(text: &str) -> String {
    let empty = |l: &str| matches!(l.trim(), "-" | "*" | "+");
    text.lines().filter(|l| !empty(l)).collect::<Vec<_>>().join("\n")
}

/// A change to the base: lines `start..end` of it become `lines`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Hunk<'a> {
    start: usize,
    end: usize,
    lines: Vec<&'a str>,
}

/// Past this many cells the line table is not built: the changed middle is
/// taken as one change (merging then keeps both sides; nothing is lost). It
/// bounds the time and memory one edit can cost the room.
const MAX_CELLS: usize = 1_000_000;

/// The changes that turn `base` into `other`, from a longest common subsequence
/// of the lines between their common start and end.
fn diff<'a>(base: &[&'a str], other: &[&'a str]) -> Vec<Hunk<'a>> {
    let prefix = base.iter().zip(other).take_while(|(a, b)| a == b).count();
    let suffix = base[prefix..].iter().rev().zip(other[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let (b, o) = (&base[prefix..base.len() - suffix], &other[prefix..other.len() - suffix]);
    if b.is_empty() && o.is_empty() {
        return Vec::new();
    }
    if (b.len() + 1) * (o.len() + 1) > MAX_CELLS {
        return vec![Hunk { start: prefix, end: prefix + b.len(), lines: o.to_vec() }];
    }
    let mut hunks = lcs_diff(b, o);
    for h in &mut hunks {
        h.start += prefix;
        h.end += prefix;
    }
    hunks
}

fn lcs_diff<'a>(base: &[&'a str], other: &[&'a str]) -> Vec<Hunk<'a>> {
    let (n, m) = (base.len(), other.len());
    // lcs[i][j]: length of the LCS of base[i..] and other[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if base[i] == other[j] { lcs[i + 1][j + 1] + 1 } else { lcs[i + 1][j].max(lcs[i][j + 1]) };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut hunks = Vec::new();
    let mut open: Option<Hunk> = None;
    while i < n || j < m {
        if i < n && j < m && base[i] == other[j] {
            if let Some(h) = open.take() {
                hunks.push(h);
            }
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            open.get_or_insert(Hunk { start: i, end: i, lines: Vec::new() }).lines.push(other[j]);
            j += 1;
        } else {
            open.get_or_insert(Hunk { start: i, end: i, lines: Vec::new() }).end = i + 1;
            i += 1;
        }
    }
    hunks.extend(open);
    hunks
}

/// Base lines `from..to` with the hunks (all inside that range) applied.
fn apply<'a>(base: &[&'a str], from: usize, to: usize, hunks: &[&Hunk<'a>]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut i = from;
    for h in hunks {
        out.extend_from_slice(&base[i..h.start]);
        out.extend_from_slice(&h.lines);
        i = h.end;
    }
    out.extend_from_slice(&base[i..to]);
    out
}

/// Merges `ours` (made from `base`) with `theirs` (what the notes are now).
pub fn merge(base: &str, ours: &str, theirs: &str) -> String {
    if ours == base {
        return theirs.to_string();
    }
    if theirs == base || ours == theirs {
        return ours.to_string();
    }
    let b: Vec<&str> = base.split('\n').collect();
    let o: Vec<&str> = ours.split('\n').collect();
    let t: Vec<&str> = theirs.split('\n').collect();
    let mut all: Vec<(bool, Hunk)> =
        diff(&b, &o).into_iter().map(|h| (true, h)).chain(diff(&b, &t).into_iter().map(|h| (false, h))).collect();
    all.sort_by_key(|(is_ours, h)| (h.start, h.end, *is_ours));
    let mut out: Vec<&str> = Vec::new();
    let mut i = 0;
    let mut k = 0;
    while k < all.len() {
        // A group: hunks that overlap or touch the same place.
        let (gs, mut ge) = (all[k].1.start, all[k].1.end);
        let mut g = k + 1;
        // Overlapping, or both at the same point (two insertions there, or an insertion and a change).
        while g < all.len() && (all[g].1.start < ge || all[g].1.start == gs) {
            ge = ge.max(all[g].1.end);
            g += 1;
        }
        out.extend_from_slice(&b[i..gs]);
        let mine: Vec<&Hunk> = all[k..g].iter().filter(|(o, _)| *o).map(|(_, h)| h).collect();
        let theirs: Vec<&Hunk> = all[k..g].iter().filter(|(o, _)| !*o).map(|(_, h)| h).collect();
        let mine_text = apply(&b, gs, ge, &mine);
        let their_text = apply(&b, gs, ge, &theirs);
        match (mine.is_empty(), theirs.is_empty()) {
            (false, true) => out.extend(mine_text),
            (true, false) => out.extend(their_text),
            _ if mine_text == their_text => out.extend(mine_text),
            // Both changed the same place differently: keep both, nothing is lost.
            _ => {
                out.extend(their_text);
                out.extend(mine_text);
            }
        }
        i = ge;
        k = g;
    }
    out.extend_from_slice(&b[i..]);
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::{for_reading, merge};

    #[test]
    fn empty_bullets_are_left_out_for_reading() {
        let notes = "## Sign-up\n\n- \n- Ada (she/her)\n  -\n* \n2 - 1 = 1\n- [x] done";
        assert_eq!(for_reading(notes), "## Sign-up\n\n- Ada (she/her)\n2 - 1 = 1\n- [x] done");
    }

    #[test]
    fn edits_in_different_places_both_land() {
        let base = "# Notes\n## Sign-up\n## Topics\n## Questions";
        let ours = "# Notes\n## Sign-up\n- Ada (she/her): favourite tea?\n## Topics\n## Questions";
        let theirs = "# Notes\n## Sign-up\n## Topics\n- Reproducible research\n## Questions";
        assert_eq!(
            merge(base, ours, theirs),
            "# Notes\n## Sign-up\n- Ada (she/her): favourite tea?\n## Topics\n- Reproducible research\n## Questions"
        );
    }

    #[test]
    fn the_same_line_changed_twice_keeps_both() {
        let merged = merge("a\nb\nc", "a\nB (ours)\nc", "a\nB (theirs)\nc");
        assert_eq!(merged, "a\nB (theirs)\nB (ours)\nc");
    }

    #[test]
    fn two_additions_at_the_same_place_keep_both() {
        assert_eq!(merge("a\nz", "a\nours\nz", "a\ntheirs\nz"), "a\ntheirs\nours\nz");
    }

    #[test]
    fn no_text_is_lost_whatever_the_edits() {
        // Every line either side wrote is in the merge.
        let base = "one\ntwo\nthree\nfour\nfive";
        let cases = [
            ("one\nTWO\nthree\nfour\nfive\nsix", "zero\none\ntwo\nthree\nFOUR\nfive"),
            ("five", "one\ntwo"),
            ("", "one\ntwo\nthree\nfour\nfive\nsix"),
            ("x\ny", "p\nq"),
        ];
        for (ours, theirs) in cases {
            let m = merge(base, ours, theirs);
            for line in ours.split('\n').chain(theirs.split('\n')).filter(|l| !l.is_empty() && !base.split('\n').any(|b| b == *l)) {
                assert!(m.split('\n').any(|x| x == line), "{line:?} lost merging {ours:?} and {theirs:?}: {m:?}");
            }
        }
        assert_eq!(merge(base, base, "new"), "new");
        assert_eq!(merge(base, "new", base), "new");
    }

    #[test]
    fn huge_rewrites_are_cheap_and_keep_both() {
        // 4,000 different lines on each side: no 16-million-cell table, and nothing lost.
        let base = (0..4000).map(|i| format!("b{i}")).collect::<Vec<_>>().join("\n");
        let ours = (0..4000).map(|i| format!("o{i}")).collect::<Vec<_>>().join("\n");
        let theirs = (0..4000).map(|i| format!("t{i}")).collect::<Vec<_>>().join("\n");
        let m = merge(&base, &ours, &theirs);
        assert!(m.contains("o3999") && m.contains("t0") && !m.contains("b17"));
        // A small edit inside long notes still merges line by line.
        let long: Vec<String> = (0..4000).map(|i| format!("line {i}")).collect();
        let mut o = long.clone();
        o[10] = "ours".into();
        let mut t = long.clone();
        t[3990] = "theirs".into();
        let m = merge(&long.join("\n"), &o.join("\n"), &t.join("\n"));
        let lines: Vec<&str> = m.split('\n').collect();
        assert_eq!((lines.len(), lines[10], lines[3990]), (4000, "ours", "theirs"));
    }

    #[test]
    fn a_deletion_and_an_untouched_rest() {
        assert_eq!(merge("a\nb\nc\nd", "a\nc\nd", "a\nb\nc\nd\ne"), "a\nc\nd\ne");
    }
}

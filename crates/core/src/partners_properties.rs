//! Property tests of the partner matcher over random bookings: no one
//! matched twice, avoided pairs never, favourites preferred, as many pairs
//! as the blocks allow, and the same input giving the same pairs.

use crate::partners::*;
use std::collections::BTreeSet;

use crate::test_gen::Gen;

fn person(i: usize) -> String {
    format!("p{i:03}")
}

/// Up to 40 people in one slot, with random preferences, favourites, blocks and history.
fn random_slot(g: &mut Gen) -> Vec<Candidate> {
    let n = g.below(41) as usize;
    let mut people: Vec<Candidate> = (0..n)
        .map(|i| Candidate {
            booking: format!("b{:03}", g.below(1000)) + &i.to_string(),
            person: person(i),
            booked_at: 1_000 + g.below(20) as i64,
            prefs: Preferences {
                availability: if g.chance(15) { Availability::Favourites } else { Availability::Everyone },
                talk: Talk::ALL[g.below(2) as usize],
                work: WorkKind::ALL[g.below(3) as usize],
                camera: Camera::ALL[g.below(2) as usize],
                odd_one_out: OddOneOut::ALL[g.below(2) as usize],
            },
            ..Candidate::default()
        })
        .collect();
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            if g.chance(8) {
                people[i].favourites.insert(person(j));
            }
            if g.chance(6) {
                people[i].avoid.insert(person(j));
            }
            if g.chance(5) {
                people[i].recent.push(person(j));
            }
        }
    }
    people
}

fn check(people: &[Candidate], groups: &[Vec<Candidate>], threes: bool, m: &Matching) {
    // Everyone exactly once: in a pair, in a three, or waiting.
    let mut seen = vec![0; people.len()];
    for &(a, b) in &m.pairs {
        seen[a] += 1;
        seen[b] += 1;
        assert!(allowed(&people[a], &people[b]), "{} with {} is not allowed", people[a].person, people[b].person);
        assert!(!people[a].avoid.contains(&people[b].person) && !people[b].avoid.contains(&people[a].person));
    }
    let new_pairs: Vec<Vec<&Candidate>> = m.pairs.iter().map(|&(a, b)| vec![&people[a], &people[b]]).collect();
    let mut joined = BTreeSet::new();
    for &(u, g) in &m.threes {
        seen[u] += 1;
        assert!(threes, "threes only when asked for");
        assert!(joined.insert(g), "one third per pair");
        let group: Vec<&Candidate> = if g < groups.len() { groups[g].iter().collect() } else { new_pairs[g - groups.len()].clone() };
        for member in group {
            assert!(allowed(&people[u], member), "a third must be allowed with both");
        }
    }
    for &w in &m.waiting {
        seen[w] += 1;
    }
    assert!(seen.iter().all(|&s| s == 1), "someone matched twice or lost: {seen:?}");

    // As many pairs as it can: no two left waiting could have been paired.
    let waiting: Vec<usize> = m.waiting.clone();
    for (x, &a) in waiting.iter().enumerate() {
        for &b in &waiting[x + 1..] {
            assert!(!allowed(&people[a], &people[b]), "{} and {} both wait but may pair", people[a].person, people[b].person);
        }
    }

    // Favourites first: of two mutual favourites allowed together, at least
    // one ends up with a mutual favourite (both, unless one of them was
    // taken by another mutual favourite), and no favourite pair is broken up
    // to make more pairs.
    let partner_of = |i: usize| {
        m.pairs.iter().find_map(|&(a, b)| {
            if a == i {
                Some(b)
            } else if b == i {
                Some(a)
            } else {
                None
            }
        })
    };
    let mutual = |a: &Candidate, b: &Candidate| a.favourites.contains(&b.person) && b.favourites.contains(&a.person);
    let with_favourite = |i: usize| partner_of(i).is_some_and(|p| mutual(&people[i], &people[p]));
    for a in 0..people.len() {
        for b in a + 1..people.len() {
            if mutual(&people[a], &people[b]) && allowed(&people[a], &people[b]) {
                assert!(
                    with_favourite(a) || with_favourite(b),
                    "{} and {} are mutual favourites, and neither has one",
                    people[a].person,
                    people[b].person
                );
            }
        }
    }
}

#[test]
fn random_slots_keep_every_rule() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    for round in 0..400 {
        let people = random_slot(&mut g);
        let threes = round % 2 == 1;
        let m = match_slot(&people, &[], threes);
        check(&people, &[], threes, &m);
    }
}

#[test]
fn the_same_bookings_in_any_order_give_the_same_pairs() {
    let mut g = Gen(0x1234_5678_9ABC_DEF1);
    for round in 0..200 {
        let people = random_slot(&mut g);
        let threes = round % 2 == 0;
        let by_person = |people: &[Candidate], m: &Matching| {
            let mut pairs: Vec<(String, String)> =
                m.pairs.iter().map(|&(a, b)| (people[a].person.clone(), people[b].person.clone())).collect();
            pairs.sort();
            let mut waiting: Vec<String> = m.waiting.iter().map(|&w| people[w].person.clone()).collect();
            waiting.sort();
            (pairs, waiting)
        };
        let first = by_person(&people, &match_slot(&people, &[], threes));
        let again = by_person(&people, &match_slot(&people, &[], threes));
        assert_eq!(first, again, "the same input twice");
        let mut shuffled = people.clone();
        for i in (1..shuffled.len()).rev() {
            let j = g.below(i as u64 + 1) as usize;
            shuffled.swap(i, j);
        }
        assert_eq!(first, by_person(&shuffled, &match_slot(&shuffled, &[], threes)), "the same bookings in another order");
    }
}

#[test]
fn a_person_blocked_by_both_sides_is_never_paired_even_if_both_wait() {
    let mut a = Candidate { booking: "b1".into(), person: "ann".into(), booked_at: 1, ..Candidate::default() };
    let mut b = Candidate { booking: "b2".into(), person: "bo".into(), booked_at: 2, ..Candidate::default() };
    a.avoid.insert("bo".into());
    b.avoid.insert("ann".into());
    let m = match_slot(&[a.clone(), b.clone()], &[], true);
    assert!(m.pairs.is_empty());
    assert_eq!(m.waiting, vec![0, 1]);
    // One-sided is enough to keep them apart, either way round.
    b.avoid.clear();
    assert!(match_slot(&[a.clone(), b.clone()], &[], false).pairs.is_empty());
    a.avoid.clear();
    assert_eq!(match_slot(&[a, b], &[], false).pairs, vec![(0, 1)]);
}

#[test]
fn favourites_only_waits_for_a_favourite() {
    let mut a = Candidate { booking: "b1".into(), person: "ann".into(), booked_at: 1, ..Candidate::default() };
    a.prefs.availability = Availability::Favourites;
    let b = Candidate { booking: "b2".into(), person: "bo".into(), booked_at: 2, ..Candidate::default() };
    assert!(match_slot(&[a.clone(), b.clone()], &[], false).pairs.is_empty());
    a.favourites.insert("bo".into());
    assert_eq!(match_slot(&[a, b], &[], false).pairs, vec![(0, 1)]);
}

#[test]
fn recent_partners_are_varied_and_preferences_break_ties() {
    let mk = |p: &str, t: i64| Candidate { booking: format!("b-{p}"), person: p.into(), booked_at: t, ..Candidate::default() };
    // Ann met Bo last time; with Cy and Di also waiting, she gets someone new.
    let mut ann = mk("ann", 1);
    ann.recent = vec!["bo".into()];
    let people = [ann, mk("bo", 2), mk("cy", 3), mk("di", 4)];
    let m = match_slot(&people, &[], false);
    assert_eq!(m.pairs.len(), 2);
    assert!(!m.pairs.contains(&(0, 1)), "{:?}", m.pairs);
    // Quiet goes with quiet.
    let mut q1 = mk("q1", 1);
    q1.prefs.talk = Talk::Quiet;
    let mut c1 = mk("c1", 2);
    c1.prefs.talk = Talk::Chatty;
    let mut q2 = mk("q2", 3);
    q2.prefs.talk = Talk::Quiet;
    let mut c2 = mk("c2", 4);
    c2.prefs.talk = Talk::Chatty;
    let m = match_slot(&[q1, c1, q2, c2], &[], false);
    assert!(m.pairs.contains(&(0, 2)) && m.pairs.contains(&(1, 3)), "{:?}", m.pairs);
}

#[test]
fn an_odd_one_out_joins_a_pair_only_as_chosen_and_only_close_to_the_start() {
    let mk = |p: &str, t: i64, odd: OddOneOut| {
        let mut c = Candidate { booking: format!("b-{p}"), person: p.into(), booked_at: t, ..Candidate::default() };
        c.prefs.odd_one_out = odd;
        c
    };
    let three = [mk("a", 1, OddOneOut::Three), mk("b", 2, OddOneOut::Three), mk("c", 3, OddOneOut::Three)];
    // Early on, the third waits for a late booker.
    let early = match_slot(&three, &[], false);
    assert_eq!((early.pairs.len(), early.waiting.clone()), (1, vec![2]));
    // Close to the start, they join the new pair.
    let late = match_slot(&three, &[], true);
    assert_eq!(late.threes, vec![(2, 0)]);
    assert!(late.waiting.is_empty());
    // Someone who chose to wait keeps waiting.
    let waits = [mk("a", 1, OddOneOut::Three), mk("b", 2, OddOneOut::Three), mk("c", 3, OddOneOut::Wait)];
    assert_eq!(match_slot(&waits, &[], true).waiting, vec![2]);
    // A pair whose member would rather stay two is not joined.
    let pair_of_two = [mk("a", 1, OddOneOut::Wait), mk("b", 2, OddOneOut::Three), mk("c", 3, OddOneOut::Three)];
    assert_eq!(match_slot(&pair_of_two, &[], true).waiting, vec![2]);
    // An existing pair (matched earlier) takes the third.
    let group = vec![mk("x", 0, OddOneOut::Three), mk("y", 0, OddOneOut::Three)];
    let alone = [mk("c", 3, OddOneOut::Three)];
    assert_eq!(match_slot(&alone, &[group.clone()], true).threes, vec![(0, 0)]);
    // Not when the third avoids one of them.
    let mut shy = mk("c", 3, OddOneOut::Three);
    shy.avoid.insert("y".into());
    assert_eq!(match_slot(&[shy], &[group], true).waiting, vec![0]);
}

#[test]
fn a_swap_is_the_same_matcher_over_those_left_alone() {
    // After two minutes, Ann (whose partner is absent) and Cy (whose partner is
    // absent too) are matched again among those waiting alone.
    let mk = |p: &str, t: i64| Candidate { booking: format!("b-{p}"), person: p.into(), booked_at: t, ..Candidate::default() };
    let alone = [mk("ann", 1), mk("cy", 3)];
    let (start, end) = (1_000, 1_000 + Length::Short.seconds());
    assert!(!may_swap(start + SWAP_AFTER_SECONDS - 1, start, end));
    assert!(may_swap(start + SWAP_AFTER_SECONDS, start, end));
    assert!(may_swap(start + 12 * 60, start, end));
    assert!(!may_swap(start + 13 * 60, start, end), "not once half the session is gone");
    assert_eq!(match_slot(&alone, &[], false).pairs, vec![(0, 1)]);
}

#[test]
fn booking_rules() {
    let now = 1_800_000_000 - 100; // 100 s before a quarter hour
    let next = next_quarter(now);
    assert_eq!(next % QUARTER, 0);
    assert!(next > now && next - now <= QUARTER);
    assert!(check_booking(now, next, Length::Short, &[], None).is_ok());
    let err = |r: Result<(), crate::FieldError>| r.unwrap_err().message;
    assert!(err(check_booking(now, next + 60, Length::Short, &[], None)).contains("quarter hour"));
    assert!(err(check_booking(now, next - QUARTER, Length::Short, &[], None)).contains("already started"));
    assert!(err(check_booking(now, next + 15 * 86_400, Length::Short, &[], None)).contains("14 days"));
    let held = [Held { starts_at: next + 1800, ends_at: next + 1800 + 50 * 60 }];
    // 75 minutes from `next` runs into the held slot; 25 does not.
    assert!(err(check_booking(now, next, Length::Long, &held, None)).contains("already hold"));
    assert!(check_booking(now, next, Length::Short, &held, None).is_ok());
    assert!(err(check_booking(now, next, Length::Short, &held, Some(1))).contains("1 slot at a time"));
    assert!(is_late_cancellation(next - 299, next) && !is_late_cancellation(next - 300, next));
}

#[test]
fn the_score_is_over_the_last_twenty_and_a_poor_one_limits_slots() {
    assert_eq!(attendance_score(&[]), None);
    let mut outcomes = vec![Outcome::NoShow; 5];
    outcomes.extend(vec![Outcome::Came; 15]);
    assert_eq!(attendance_score(&outcomes), Some(75));
    // Older than the last 20 do not count.
    outcomes.extend(vec![Outcome::NoShow; 30]);
    assert_eq!(attendance_score(&outcomes), Some(75));
    assert_eq!(attendance_score(&[Outcome::Came, Outcome::LateCancel]), Some(50));
    let limit = ScoreLimit { below: 80, slots: 2 };
    assert_eq!(limit.slots_for(Some(75)), Some(2));
    assert_eq!(limit.slots_for(Some(80)), None);
    assert_eq!(limit.slots_for(None), None, "newcomers are not limited");
    assert_eq!(ScoreLimit { below: 80, slots: 0 }.slots_for(Some(10)), None);
    assert!(is_no_show(1_000 + NO_SHOW_AFTER_SECONDS, 1_000, false));
    assert!(!is_no_show(1_000 + NO_SHOW_AFTER_SECONDS - 1, 1_000, false));
    assert!(!is_no_show(1_000 + NO_SHOW_AFTER_SECONDS, 1_000, true));
}

#[test]
fn lengths_and_preferences_parse() {
    assert_eq!(Length::parse("50").unwrap(), Length::Medium);
    assert!(Length::parse("30").is_err());
    assert_eq!(Length::Long.phases().iter().map(|p| p.minutes).sum::<u32>(), 75);
    let p = Preferences::parse("favourites", "quiet", "moving", "off", "wait").unwrap();
    assert_eq!(
        (p.availability, p.talk, p.work, p.camera, p.odd_one_out),
        (Availability::Favourites, Talk::Quiet, WorkKind::Moving, Camera::Off, OddOneOut::Wait)
    );
    let e = Preferences::parse("some", "loud", "", "", "").unwrap_err();
    assert_eq!(e.0.iter().map(|f| f.field).collect::<Vec<_>>(), vec!["availability", "talk"]);
}

#[test]
fn a_pair_is_rearranged_when_that_lets_two_more_people_work_together() {
    // Ann and Bo suit each other best, but Cy and Di avoid each other: Ann–Cy
    // and Bo–Di lets all four work.
    let mk = |p: &str, t: i64| Candidate { booking: format!("b-{p}"), person: p.into(), booked_at: t, ..Candidate::default() };
    let (ann, bo, mut cy, di) = (mk("ann", 1), mk("bo", 2), mk("cy", 3), mk("di", 4));
    cy.avoid.insert("di".into());
    cy.prefs.talk = Talk::Quiet;
    let m = match_slot(&[ann, bo, cy, di], &[], false);
    assert_eq!(m.pairs.len(), 2, "{m:?}");
    assert!(m.waiting.is_empty());
}

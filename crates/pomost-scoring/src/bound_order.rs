//! Which of two bounds a scan tries first for people whose skills sit beside their
//! records: the skills bound, which reads their skills, or the record's own bound, which
//! reads only the record (see [`crate::evaluate::record_bound`]).
//!
//! No bound turns away anyone who could make the list, so the list never depends on the
//! order; only the time does. Where people hold many skills across trades, nearly all pass
//! the skills bound, and the record's turns most away once the list's threshold has risen:
//! testing it first spares fetching and reading their skills. Where people hold a few
//! skills of their trade, the skills bound turns away as many for less work, and their
//! skills are best fetched ahead for everyone. A worker tests both for one person in
//! [`SAMPLE_EVERY`] (by slot, so the scan knows whom ahead) and settles the order again
//! after each [`WINDOW`] of them, as the threshold rises.

/// One person in this many (by slot) is tested with both bounds.
const SAMPLE_EVERY: u32 = 16;

/// How many people tested with both bounds settle the order.
const WINDOW: u32 = 64;

/// The order a worker tests the two bounds in, and its count of the people tested with
/// both since the order was last settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BoundOrder {
    /// The record's bound first, and skills fetched only for those it lets through; else
    /// the skills bound first, with everyone's skills fetched ahead.
    record_first: bool,
    tested: u32,
    skills_passed: u32,
    record_passed: u32,
}

impl Default for BoundOrder {
    /// The skills bound first (a test may start a scan on its own thread the other way).
    fn default() -> Self {
        #[cfg(test)]
        let record_first = tests::START_RECORD_FIRST.get();
        #[cfg(not(test))]
        let record_first = false;
        Self { record_first, tested: 0, skills_passed: 0, record_passed: 0 }
    }
}

impl BoundOrder {
    /// Whether the record's bound goes first.
    #[inline]
    pub(crate) fn record_first(&self) -> bool {
        self.record_first
    }

    /// Whether the person in `slot` is tested with both bounds (and so has their skills
    /// fetched ahead whatever the order).
    #[inline]
    pub(crate) fn samples(slot: u32) -> bool {
        slot.is_multiple_of(SAMPLE_EVERY)
    }

    /// Counts a person tested with both bounds (whether each let them through), and
    /// settles the order after each window: the record's bound first where the skills
    /// bound let through more than one in eight and the record's fewer than half as many
    /// (where the skills bound turns away nearly everyone, it costs less than the record's,
    /// and a window's few passes say little about which turns away more).
    #[inline]
    pub(crate) fn count(&mut self, skills_passed: bool, record_passed: bool) {
        self.tested += 1;
        self.skills_passed += u32::from(skills_passed);
        self.record_passed += u32::from(record_passed);
        if self.tested >= WINDOW {
            let (skills, record) = (self.skills_passed, self.record_passed);
            *self = Self {
                record_first: skills * 8 > WINDOW && record * 2 < skills,
                tested: 0,
                skills_passed: 0,
                record_passed: 0,
            };
            #[cfg(test)]
            if self.record_first {
                tests::RECORD_FIRST_WINDOWS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}

/// Whether a scan tests the record's own bound as well for the people who pass the skills
/// bound, settled again after each [`WINDOW`] of people tested with the skills bound.
///
/// Where the skills bound sorts out most people, scoring the few it lets through costs
/// less than the record's bound for each of them. Where it lets through more than half (an
/// offer that asks for no skills, or only for skills most people have, so that the skills
/// bound is near 1 for everyone), the record's bound, which for such an offer is nearly the
/// exact score, turns away those who cannot reach the list before they are scored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SkillsSieve {
    record_too: bool,
    tested: u32,
    passed: u32,
}

impl SkillsSieve {
    /// Whether the record's bound is tested as well.
    #[inline]
    pub(crate) fn record_too(&self) -> bool {
        self.record_too
    }

    /// Counts `tested` people tested with the skills bound, `passed` of whom it let
    /// through, and settles once a window is full: the record's bound as well where more
    /// than half passed.
    #[inline]
    pub(crate) fn count(&mut self, tested: u32, passed: u32) {
        self.tested += tested;
        self.passed += passed;
        if self.tested >= WINDOW {
            *self = Self { record_too: self.passed * 2 > self.tested, tested: 0, passed: 0 };
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use pomost_domain::{Participant, SkillClaim};
    use pomost_synth::{SKILL_GROUPS, Synth, skill_id};

    use super::*;
    use crate::control::ScanControl;
    use crate::pool::ParticipantPool;
    use crate::{ScoringPolicy, ShortlistRequest};

    /// How many windows of any scan in this process settled on the record's bound first.
    pub(super) static RECORD_FIRST_WINDOWS: AtomicU64 = AtomicU64::new(0);

    thread_local! {
        /// Scans started on this thread put the record's bound first from their first
        /// person (until their first window settles it), so that a list on one core takes
        /// that path for everyone with skills beside their records.
        pub(super) static START_RECORD_FIRST: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }

    /// The order after a window where one in `skills_pass_every` passed the skills bound
    /// and one in `record_pass_every` the record's.
    fn settled(mut order: BoundOrder, skills_pass_every: u32, record_pass_every: u32) -> BoundOrder {
        let start = order.record_first();
        for person in 0..WINDOW {
            assert_eq!(order.record_first(), start, "settled before the window was full");
            order.count(person % skills_pass_every == 0, person % record_pass_every == 0);
        }
        order
    }

    #[test]
    fn the_record_bound_goes_first_only_where_it_turns_away_far_more() {
        let start = BoundOrder::default();
        assert!(!start.record_first(), "the skills bound goes first until a window says otherwise");
        // Many skills across trades: nearly everyone passes the skills bound.
        assert!(settled(start, 1, 20).record_first());
        assert!(settled(start, 2, 5).record_first());
        // A few skills of one trade: the skills bound turns away about as many.
        assert!(!settled(start, 20, 20).record_first());
        assert!(!settled(start, 20, 30).record_first());
        assert!(!settled(start, 2, 3).record_first());
        // Both turn away nearly everyone: the skills bound stays first.
        assert!(!settled(start, 10, 64).record_first());
    }

    #[test]
    fn each_window_settles_the_order_again() {
        let record_first = settled(BoundOrder::default(), 1, 20);
        assert!(!settled(record_first, 20, 20).record_first());
        assert!(settled(settled(record_first, 20, 20), 1, 20).record_first());
    }

    #[test]
    fn the_sieve_tests_the_record_bound_only_after_a_window_where_most_passed_the_skills_bound() {
        let mut sieve = SkillsSieve::default();
        assert!(!sieve.record_too(), "the skills bound alone until a window says otherwise");
        // Blocks of 40 people: the first window settles after two of them.
        sieve.count(40, 39);
        assert!(!sieve.record_too(), "settled before the window was full");
        sieve.count(40, 38);
        assert!(sieve.record_too(), "77 of 80 passed: the skills bound barely sorts anyone out");
        sieve.count(64, 32);
        assert!(!sieve.record_too(), "half is not more than half");
        sieve.count(64, 33);
        assert!(sieve.record_too());
        sieve.count(64, 3);
        assert!(!sieve.record_too(), "the skills bound sorts out most people again");
    }

    #[test]
    fn one_person_in_sixteen_is_sampled() {
        assert_eq!((0..1600).filter(|&slot| BoundOrder::samples(slot)).count(), 100);
    }

    /// People with thirty skills each across every trade: nearly all pass the skills bound,
    /// so the scan settles on the record's bound first for most of the list. The lists (on
    /// every core and on one) still equal the reference: everyone scored one by one, no
    /// bound at all, sorted by score then id.
    #[test]
    fn lists_over_people_bounded_by_their_records_first_equal_the_reference() {
        let today = time::macros::date!(2026 - 11 - 24);
        let synth = Synth::new(21, today);
        let every_skill: Vec<&str> = SKILL_GROUPS.iter().flat_map(|group| group.skills.iter().copied()).collect();
        let people: Vec<Participant> = synth
            .participants(12_000)
            .enumerate()
            .map(|(index, mut person)| {
                for step in 0..every_skill.len() {
                    let skill = skill_id(every_skill[(index + step * 13) % every_skill.len()]);
                    if person.skills.len() < 30 && !person.skills.iter().any(|claim| claim.skill == skill) {
                        person.skills.push(SkillClaim { skill, level: None });
                    }
                }
                person
            })
            .collect();
        let pool =
            ParticipantPool::build(&pomost_synth::relatedness(), people.clone(), synth.coaches(40)).expect("valid");
        let policy = ScoringPolicy::default();
        let before = RECORD_FIRST_WINDOWS.load(Ordering::Relaxed);
        for (offer, k) in [(synth.remote_offer(), 50), (synth.remote_offer(), 3), (synth.regional_offer(), 20)] {
            let request = ShortlistRequest { offer: &offer, k, today };
            let list = pool.shortlist(&policy, &request).expect("valid offer");
            let one_core = pool.shortlist_until(&policy, &request, &ScanControl::on_one_core()).expect("valid offer");
            assert_eq!(one_core, list, "one core and every core agree");
            assert_eq!(
                ranked(&list),
                reference(&pool, &people, &offer, k, today),
                "offer {}, k {k}",
                offer.key.external_id
            );
        }
        assert!(RECORD_FIRST_WINDOWS.load(Ordering::Relaxed) > before, "some windows put the record's bound first");
    }

    /// Small pools of people with 9 to 30 skills, listed on one core with the record's bound
    /// first from the start (every one of them is then ranked a block after their own, the
    /// last after the scan's last block): the lists equal the reference, whatever `k`.
    #[test]
    fn lists_with_the_record_bound_first_from_the_start_equal_the_reference() {
        let today = time::macros::date!(2026 - 11 - 24);
        let every_skill: Vec<&str> = SKILL_GROUPS.iter().flat_map(|group| group.skills.iter().copied()).collect();
        for seed in [3, 8] {
            let synth = Synth::new(seed, today);
            let people: Vec<Participant> = synth
                .participants(400)
                .enumerate()
                .map(|(index, mut person)| {
                    let wanted = 9 + index % 22;
                    for step in 0..every_skill.len() {
                        let skill = skill_id(every_skill[(index * 7 + step * 5) % every_skill.len()]);
                        if person.skills.len() < wanted && !person.skills.iter().any(|claim| claim.skill == skill) {
                            person.skills.push(SkillClaim { skill, level: None });
                        }
                    }
                    person
                })
                .collect();
            let pool =
                ParticipantPool::build(&pomost_synth::relatedness(), people.clone(), synth.coaches(20)).expect("valid");
            let offers = [synth.remote_offer(), synth.regional_offer()];
            for (offer, k) in offers.iter().flat_map(|offer| [1, 7, 50, 400].map(|k| (offer, k))) {
                let request = ShortlistRequest { offer, k, today };
                START_RECORD_FIRST.set(true);
                let list = pool.shortlist_until(&ScoringPolicy::default(), &request, &ScanControl::on_one_core());
                START_RECORD_FIRST.set(false);
                let list = list.expect("valid offer");
                assert_eq!(ranked(&list), reference(&pool, &people, offer, k, today), "seed {seed}, k {k}");
            }
        }
    }

    /// The list's ids and score bits.
    fn ranked(list: &crate::Shortlist) -> Vec<(String, u32)> {
        list.candidates
            .iter()
            .map(|candidate| (candidate.participant_id.to_string(), candidate.score.to_bits()))
            .collect()
    }

    /// Everyone scored one by one, no bound at all, sorted by score then id: the best `k`.
    fn reference(
        pool: &ParticipantPool,
        people: &[Participant],
        offer: &pomost_domain::Offer,
        k: usize,
        today: time::Date,
    ) -> Vec<(String, u32)> {
        let policy = ScoringPolicy::default();
        let mut scored: Vec<(String, f32)> = people
            .iter()
            .filter_map(|person| {
                let score = pool.score(&policy, &person.id, offer, today).expect("known person, valid offer");
                score.map(|score| (person.id.to_string(), score))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        scored.into_iter().take(k).map(|(id, score)| (id, score.to_bits())).collect()
    }
}

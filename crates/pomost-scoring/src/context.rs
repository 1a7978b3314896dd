//! Everything about one offer that the scan needs, computed once per request.

use std::sync::OnceLock;

use pomost_domain::{DisabilityDegree, Offer, Workplace};
use time::Date;

use crate::coaches::{CoachBook, coach_quality};
use crate::factors::Factor;
use crate::grid::Origin;
use crate::policy::ScoringPolicy;
use crate::reasons::{ExclusionReason, ReasonSet};
use crate::record::{FLAG_CONSENT, FLAG_EXEMPT, FLAG_NIGHT_OK, occupation_codes, pack_teryt};
use crate::skills::{Requirement, SkillBook, SkillCredits};

/// The on-site workplace in the scan's units.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    pub(crate) origin: Origin,
    pub(crate) teryt: u32,
}

impl Place {
    /// Whether the record's home is farther from the workplace than its longest commute
    /// (the same test as [`crate::evaluate`]'s, so a scan and an explanation agree).
    #[inline]
    pub(crate) fn beyond_commute(&self, record: &crate::record::ParticipantRecord) -> bool {
        self.beyond_reach(&crate::arena::Keyed::reach(record))
    }

    /// [`Place::beyond_commute`] from the copy of the home kept beside the record.
    #[inline]
    pub(crate) fn beyond_reach(&self, reach: &crate::record::HomeReach) -> bool {
        self.origin.distance_km(reach.lat, reach.lon) > reach.max_commute_km
    }
}

/// A coach whose area covers the workplace.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SiteCoach {
    pub(crate) index: u32,
    pub(crate) distance: Option<f32>,
    /// The best quality this coach can reach for anyone.
    pub(crate) quality_bound: f32,
}

/// An offer compiled for scanning.
pub(crate) struct OfferContext<'a> {
    pub(crate) offer: &'a Offer,
    pub(crate) policy: &'a ScoringPolicy,
    pub(crate) weights: [f32; Factor::ALL.len()],
    pub(crate) place: Option<Place>,
    /// The offer's side of the constraints that read only a few bits of the record (closed
    /// offer, consent, working-time norms, night work, stage).
    pub(crate) simple: SimpleConstraints,
    /// Their failures by [`simple_index`], for a scan: one load per person instead of a
    /// test per constraint. All 0 in a context for one person, who is tested directly
    /// (read through [`OfferContext::simple_bits`]).
    simple_bits: [u8; 256],
    /// What each of [`OfferContext::simple_bits`] adds to a scan's count of first failures
    /// ([`crate::shortlist::first_failed_step`]): one load and one add per person. Made
    /// when first asked ([`OfferContext::simple_steps`]): a person's scoring never asks.
    simple_steps: OnceLock<[u64; 256]>,
    pub(crate) provided: u16,
    pub(crate) min_stage: u8,
    pub(crate) contract_bit: u8,
    pub(crate) credits: SkillCredits,
    /// The Polish label of each of `credits.requirements`' skills, looked up once for the
    /// whole list (every explained candidate names them), when first asked
    /// ([`OfferContext::requirement_labels`]): only explanations read them.
    requirement_labels: OnceLock<Vec<Option<&'static str>>>,
    /// The job coaches who could come.
    coaches: &'a CoachBook,
    /// What [`OfferContext::site_coaches`] and [`OfferContext::coach_coverable`] read,
    /// found when first asked: a scan finds it at once; a person's scoring or explanation
    /// asks only for remote work (the coverable accommodations), when the person needs a
    /// coach and has passed every constraint before that one. Finding and sorting the
    /// coaches of a city workplace was about half of a recommendation's scoring.
    site: OnceLock<SiteCoaches>,
    /// Made by [`OfferContext::for_person`]: the coaches near the workplace are met in one
    /// pass per question, never sorted for a scan.
    pub(crate) for_one_person: bool,
    pub(crate) today: i32,
    /// The calendar year of `today` (for the 50+ group of exposure counts).
    pub(crate) year: i32,
    /// The 50+ and long-term tests of the exposure groups as bounds for this list.
    pub(crate) group_cutoffs: crate::groups::GroupCutoffs,
    /// The offer's KZiS code as a number (0 without one).
    pub(crate) occupation: u32,
    /// Credit towards the offer's occupation of each KZiS occupation (by the index a record
    /// packs); all 0 when the offer has no code, or in a context for one person (read
    /// through [`OfferContext::occupation_credit`]).
    occupation_credits: OccupationCredits,
}

impl<'a> OfferContext<'a> {
    pub(crate) fn new(
        offer: &'a Offer,
        policy: &'a ScoringPolicy,
        skills: &SkillBook,
        coaches: &'a CoachBook,
        today: Date,
    ) -> Self {
        let context = Self::with_coaches(offer, policy, skills, coaches, today, None);
        context.site();
        context.simple_steps();
        context
    }

    /// The context for scoring one person who claims the skills numbered `person_skills`:
    /// skill credits are compiled for those
    /// skills only, which is all that person's scoring reads. Compiling them for every
    /// related skill was a tenth of a recommendation, which scores dozens of offers for one
    /// person. Not for scans: [`OfferContext::new`].
    pub(crate) fn for_person(
        offer: &'a Offer,
        policy: &'a ScoringPolicy,
        skills: &SkillBook,
        coaches: &'a CoachBook,
        today: Date,
        person_skills: &[u16],
    ) -> Self {
        Self::with_coaches(offer, policy, skills, coaches, today, Some(person_skills))
    }

    fn with_coaches(
        offer: &'a Offer,
        policy: &'a ScoringPolicy,
        skills: &SkillBook,
        coaches: &'a CoachBook,
        today: Date,
        person_skills: Option<&[u16]>,
    ) -> Self {
        let place = match &offer.workplace {
            Workplace::OnSite(location) => Some(Place {
                origin: Origin::new(location.point.lat() as f32, location.point.lon() as f32),
                teryt: pack_teryt(location.teryt),
            }),
            Workplace::Remote => None,
        };
        let requirements = compile_requirements(offer, policy);
        let closed = !offer.is_open_on(today);
        // Whether any norm is broken, not its wording: the words are for explanations only.
        let legal_forbids = DisabilityDegree::ALL
            .map(|degree| !pomost_domain::rules::working_time_violations(degree, false, offer).is_empty());
        let lowest_stage = pomost_domain::rules::lowest_stage_accepted(
            offer.min_stage,
            offer.adaptation_weeks,
            policy.adaptation_weeks_per_stage,
        );
        let simple = SimpleConstraints { closed, legal_forbids, night_work: offer.night_work, lowest_stage };
        let for_one_person = person_skills.is_some();
        let occupation = offer.occupation_code.parse().unwrap_or(0);
        let (today_julian, year) = (today.to_julian_day(), today.year());
        Self {
            offer,
            policy,
            weights: Factor::ALL.map(|factor| policy.weights.get(factor)),
            place,
            simple,
            simple_bits: if for_one_person { [0; 256] } else { simple.table() },
            simple_steps: OnceLock::new(),
            provided: offer.accommodations_provided.as_u16(),
            min_stage: offer.min_stage.rank(),
            contract_bit: 1 << (offer.contract_type as u8),
            requirement_labels: OnceLock::new(),
            credits: SkillCredits::new(skills, requirements, policy.unassessed_level_credit, person_skills),
            coaches,
            site: OnceLock::new(),
            for_one_person,
            today: today_julian,
            year,
            group_cutoffs: crate::groups::GroupCutoffs::new(today_julian, year),
            occupation,
            occupation_credits: if for_one_person {
                OccupationCredits::default()
            } else {
                occupation_credits(occupation, policy)
            },
        }
    }
}

impl OfferContext<'_> {
    /// See the field: what each [`simple_index`] adds to a scan's count of first failures.
    #[inline]
    pub(crate) fn simple_steps(&self) -> &[u64; 256] {
        self.simple_steps.get_or_init(|| {
            std::array::from_fn(|index| crate::shortlist::first_failed_step(ReasonSet(self.simple_bits(index))))
        })
    }

    /// The failures of the constraints that read only a few bits of the record, for one
    /// whose bits fall at `index` ([`simple_index`]).
    #[inline]
    pub(crate) fn simple_bits(&self, index: usize) -> u8 {
        if self.for_one_person { self.simple.bits(index) } else { self.simple_bits[index] }
    }

    /// The credit towards the offer's occupation of the KZiS occupation at `index` of
    /// [`occupation_codes`]: from the table a scan compiles, or for one person computed
    /// for the code asked (a recommendation compiles dozens of offers for one person).
    #[inline]
    pub(crate) fn occupation_credit(&self, index: usize) -> f32 {
        if self.for_one_person {
            occupation_codes().get(index).map_or(0.0, |&code| occupation_credit(code, self.occupation, self.policy))
        } else {
            self.occupation_credits.get(index)
        }
    }

    /// The Polish label of each of the requirements' skills, in their order.
    pub(crate) fn requirement_labels(&self) -> &[Option<&'static str>] {
        self.requirement_labels.get_or_init(|| {
            self.credits
                .requirements
                .iter()
                .map(|requirement| pomost_taxonomy::shipped_skill_label(requirement.skill.as_str()))
                .collect()
        })
    }

    /// The coaches whose area covers the workplace, by the best quality each could reach
    /// (ties to the smaller coach id); none for remote work or a person needing no coach.
    pub(crate) fn site_coaches(&self) -> &[SiteCoach] {
        &self.site().by_quality
    }

    /// Accommodations that some coach who could come can provide.
    pub(crate) fn coach_coverable(&self) -> u16 {
        self.site().coverable
    }

    fn site(&self) -> &SiteCoaches {
        self.site.get_or_init(|| SiteCoaches::find(self.offer, self.place, self.coaches))
    }
}

/// See [`OfferContext::site_coaches`] and [`OfferContext::coach_coverable`].
struct SiteCoaches {
    by_quality: Vec<SiteCoach>,
    coverable: u16,
}

impl SiteCoaches {
    fn find(offer: &Offer, place: Option<Place>, coaches: &CoachBook) -> Self {
        let mut site_coaches = Vec::new();
        if let (Some(place), true) = (place, offer.accepts_external_coach) {
            let mut found: Vec<(u32, Option<f32>)> = Vec::new();
            coaches.for_each_covering(place.origin.lat, place.origin.lon, place.teryt, |index, distance| {
                found.push((index, distance));
            });
            // A coach met twice (by TERYT and by radius) counts once: both meetings measured
            // the same distance, so which one stays does not matter (no stable sort needed).
            found.sort_unstable_by_key(|&(index, _)| index);
            found.dedup_by_key(|&mut (index, _)| index);
            site_coaches.extend(found.into_iter().map(|(index, distance)| SiteCoach {
                index,
                distance,
                quality_bound: coach_quality(coaches.get(index), 0.0, 0, distance),
            }));
            // Coach ids are unique, so the order is total and an unstable sort gives it.
            site_coaches.sort_unstable_by(|a, b| {
                b.quality_bound
                    .total_cmp(&a.quality_bound)
                    .then_with(|| coaches.get(a.index).coach.id.cmp(&coaches.get(b.index).coach.id))
            });
        }
        let coach_coverable = match place {
            _ if !offer.accepts_external_coach => 0,
            Some(_) => site_coaches
                .iter()
                .map(|site| coaches.get(site.index))
                .filter(|entry| entry.free_hours() > 0.0)
                .fold(0, |set, entry| set | entry.supported),
            None => coaches.coverable(),
        };
        Self { by_quality: site_coaches, coverable: coach_coverable }
    }
}

/// The credit every KZiS occupation earns towards one offer's (see [`occupation_credit`]),
/// by the index a record packs. Only codes of the offer's sub-major group (its first two
/// digits) earn any, and the codes are sorted, so they form one run: only the run is kept
/// (a recommendation compiles dozens of offers, and a table of every code per offer was a
/// seventh of its scoring time).
#[derive(Debug, Default)]
pub(crate) struct OccupationCredits {
    /// The index of the run's first code.
    start: usize,
    run: Vec<f32>,
}

impl OccupationCredits {
    /// The credit of the code at `index` of [`occupation_codes`] (0 outside the run).
    #[inline]
    pub(crate) fn get(&self, index: usize) -> f32 {
        index.checked_sub(self.start).and_then(|offset| self.run.get(offset)).copied().unwrap_or(0.0)
    }
}

fn occupation_credits(offer: u32, policy: &ScoringPolicy) -> OccupationCredits {
    if offer == 0 {
        return OccupationCredits::default();
    }
    let codes = occupation_codes();
    let group = offer / 10_000;
    let start = codes.partition_point(|&code| code / 10_000 < group);
    let end = start + codes[start..].partition_point(|&code| code / 10_000 == group);
    let run = codes[start..end].iter().map(|&code| occupation_credit(code, offer, policy)).collect();
    OccupationCredits { start, run }
}

/// Credit of a person's occupation towards an offer's, by the KZiS level they share.
pub(crate) fn occupation_credit(code: u32, offer: u32, policy: &ScoringPolicy) -> f32 {
    match shared_digits(code, offer) {
        6 => 1.0,
        4 | 5 => policy.occupation_unit_group_credit,
        3 => policy.occupation_minor_group_credit,
        2 => policy.occupation_sub_major_group_credit,
        _ => 0.0,
    }
}

/// How many leading digits two 6-digit KZiS codes share. Each test divides by a constant
/// (a multiply and a shift): a recommendation compiles the credit of every code of an
/// offer's sub-major group for dozens of offers, and dividing by computed powers of ten
/// was an eighth of its scoring.
pub(crate) fn shared_digits(a: u32, b: u32) -> u32 {
    if a == b {
        6
    } else if a / 10 == b / 10 {
        5
    } else if a / 100 == b / 100 {
        4
    } else if a / 1_000 == b / 1_000 {
        3
    } else if a / 10_000 == b / 10_000 {
        2
    } else if a / 100_000 == b / 100_000 {
        1
    } else {
        0
    }
}

fn compile_requirements(offer: &Offer, policy: &ScoringPolicy) -> Vec<Requirement> {
    let must = offer.required_skills.iter().map(|requirement| (requirement, true));
    let nice = offer.nice_to_have_skills.iter().map(|requirement| (requirement, false));
    must.chain(nice)
        .map(|(requirement, must)| Requirement {
            skill: requirement.skill.clone(),
            must,
            weight: requirement.weight * if must { policy.must_have_multiplier } else { 1.0 },
            min_level: requirement.min_level.map_or(0, |level| level.get()),
        })
        .collect()
}

/// Every way the offer breaks the legal working-time norms for a person with this degree
/// and no physician's exemption, in words for the person (the rule itself lives in
/// `pomost_domain::rules`). Empty when none apply.
pub(crate) fn working_time_violations(degree: DisabilityDegree, offer: &Offer) -> Vec<String> {
    pomost_domain::rules::working_time_violations(degree, false, offer).iter().map(ToString::to_string).collect()
}

/// Where a record's flag bits (consent, night shifts, exemption), certificate degree and
/// stage fall in [`OfferContext::simple_bits`]. Stages from 7 up share the place of 7: no
/// offer accepts only stages above it (the path has five), so they fail alike.
#[inline]
pub(crate) fn simple_index(flags: u8, degree: u8, stage: u8) -> usize {
    usize::from(flags & 7) | usize::from(degree & 3) << 3 | usize::from(stage.min(7)) << 5
}

/// The flag bits, certificate degree and stage a [`simple_index`] stands for.
#[inline]
pub(crate) fn simple_fields(index: usize) -> (u8, u8, u8) {
    (index as u8 & 7, (index >> 3) as u8 & 3, (index >> 5) as u8 & 7)
}

/// The offer's side of the constraints that read only a few bits of the record:
/// [`SimpleConstraints::bits`] tests them for a [`simple_index`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct SimpleConstraints {
    /// Whether the offer is closed on the day ranked for (a closed offer's list is made
    /// without a scan).
    pub(crate) closed: bool,
    /// Per certificate degree, whether the legal working-time rule forbids the offer to a
    /// person without a physician's exemption.
    pub(crate) legal_forbids: [bool; 4],
    pub(crate) night_work: bool,
    /// The lowest stage the offer accepts, its adaptation period counted.
    pub(crate) lowest_stage: u8,
}

impl SimpleConstraints {
    /// The failures of a record whose bits fall at `index`, tested as the constraints say.
    #[inline]
    pub(crate) fn bits(&self, index: usize) -> u8 {
        let (flags, degree, stage) = simple_fields(index);
        let has = |flag: u8| flags & flag != 0;
        let working_time = !has(FLAG_EXEMPT) & self.legal_forbids[usize::from(degree)];
        u8::from(self.closed) << ExclusionReason::OfferClosed as u8
            | u8::from(!has(FLAG_CONSENT)) << ExclusionReason::NoConsent as u8
            | u8::from(working_time) << ExclusionReason::WorkingTimeLimit as u8
            | u8::from(self.night_work & !has(FLAG_NIGHT_OK)) << ExclusionReason::NightWorkNotAccepted as u8
            | u8::from(stage < self.lowest_stage) << ExclusionReason::StageTooLow as u8
    }

    /// [`SimpleConstraints::bits`] of every index, for a scan.
    fn table(&self) -> [u8; 256] {
        std::array::from_fn(|index| self.bits(index))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table gives what testing each constraint on the record's fields gives, for every
    /// flag byte, degree up to 7 and stage up to 12, and every offer setting it depends on.
    #[test]
    fn simple_bits_are_the_constraints_tested_one_by_one() {
        for setting in 0..2 * 16 * 2 * 5 {
            let closed = setting & 1 == 1;
            let legal_forbids = std::array::from_fn(|degree| (setting >> 1) & (1 << degree) != 0);
            let night_work = (setting >> 5) & 1 == 1;
            let lowest_stage = (setting >> 6) as u8;
            let table = SimpleConstraints { closed, legal_forbids, night_work, lowest_stage }.table();
            for flags in 0..=255u8 {
                for degree in 0..8u8 {
                    for stage in 0..13u8 {
                        let has = |flag: u8| flags & flag != 0;
                        let working_time = !has(FLAG_EXEMPT) & legal_forbids[usize::from(degree & 3)];
                        let expected = u8::from(closed) << ExclusionReason::OfferClosed as u8
                            | u8::from(!has(FLAG_CONSENT)) << ExclusionReason::NoConsent as u8
                            | u8::from(working_time) << ExclusionReason::WorkingTimeLimit as u8
                            | u8::from(night_work & !has(FLAG_NIGHT_OK)) << ExclusionReason::NightWorkNotAccepted as u8
                            | u8::from(stage < lowest_stage) << ExclusionReason::StageTooLow as u8;
                        assert_eq!(
                            table[simple_index(flags, degree, stage)],
                            expected,
                            "setting {setting}, flags {flags}, degree {degree}, stage {stage}"
                        );
                    }
                }
            }
        }
    }

    /// The definition: the most leading digits (of six) whose prefixes are equal.
    fn shared_digits_by_definition(a: u32, b: u32) -> u32 {
        (0..=6).rev().find(|&digits| a / 10u32.pow(6 - digits) == b / 10u32.pow(6 - digits)).unwrap_or(0)
    }

    #[test]
    fn shared_digits_follow_the_definition() {
        let codes = occupation_codes();
        for &a in codes.iter().step_by(5) {
            for &b in codes {
                assert_eq!(shared_digits(a, b), shared_digits_by_definition(a, b), "{a} {b}");
            }
        }
        let odd = [0, 1, 9, 10, 99_999, 100_000, 999_999, 1_000_000, 1_234_567, u32::MAX - 1, u32::MAX];
        for a in odd {
            for b in odd.into_iter().chain(codes.iter().copied().step_by(97)) {
                assert_eq!(shared_digits(a, b), shared_digits_by_definition(a, b), "{a} {b}");
                assert_eq!(shared_digits(b, a), shared_digits_by_definition(b, a), "{b} {a}");
            }
        }
    }

    #[test]
    fn occupation_credits_equal_the_credit_of_every_code() {
        let policy = ScoringPolicy::default();
        let codes = occupation_codes();
        for offer in codes.iter().copied().step_by(7).chain([codes[0], codes[codes.len() - 1], 999_999, 100_000]) {
            let credits = occupation_credits(offer, &policy);
            for (index, &code) in codes.iter().enumerate() {
                assert_eq!(credits.get(index), occupation_credit(code, offer, &policy), "offer {offer}, code {code}");
            }
            assert_eq!(credits.get(codes.len()), 0.0, "offer {offer}: past the last code");
        }
        let none = occupation_credits(0, &policy);
        assert!((0..=codes.len()).all(|index| none.get(index) == 0.0));
    }
}

//! Explanations: every factor in words, and every hard constraint a pair fails, in words a
//! caseworker can show the person.

use enumset::EnumSet;
use pomost_domain::{Accommodation, CoachId, DisabilityDegree, Offer, OfferKey, ParticipantId, Stage};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::context::{OfferContext, shared_digits, working_time_violations};
use crate::decimal::{Fixed, Shortest, push_integer};
use crate::error::ScoringError;
use crate::evaluate::{Evaluation, Mode, Support, best_credits, best_occupation, evaluate, factor_values, total};
use crate::factors::{Factor, FactorScore};
use crate::policy::ScoringPolicy;
use crate::pool::ParticipantPool;
use crate::reasons::ExclusionReason;
use crate::record::{ClaimKind, FLAG_EXEMPT, ParticipantRecord};

/// A hard constraint a pair fails, with the words to show the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedConstraint {
    /// Which constraint.
    pub reason: ExclusionReason,
    /// What exactly fails, with the numbers.
    pub message: String,
}

/// The full account of one participant against one offer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Explanation {
    /// The participant.
    pub participant_id: ParticipantId,
    /// The offer.
    pub offer: OfferKey,
    /// Version of the scoring policy used.
    pub policy_version: String,
    /// Every hard constraint that fails; empty when the person is eligible.
    pub failed: Vec<FailedConstraint>,
    /// The total a shortlist would show; `None` when a constraint fails.
    pub score: Option<f32>,
    /// Every factor, computed even when a constraint fails so the person sees the whole picture.
    pub factors: Vec<FactorScore>,
    /// The job coach who would be suggested.
    pub suggested_coach: Option<CoachId>,
    /// The employer's mentor would stand in for job-coach hours.
    pub employer_mentor: bool,
    /// Each accommodation the person requires or prefers, and who covers it.
    pub accommodations: Vec<AccommodationCover>,
}

/// Who covers one accommodation a person needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoveredBy {
    /// The workplace provides it (the offer lists it).
    Offer,
    /// The named job coach provides it in person.
    Coach(CoachId),
    /// Nobody: a required one excludes the pair, a preferred one only goes unmet.
    Nobody,
}

/// One accommodation of the person's, with who covers it on this offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccommodationCover {
    /// The accommodation.
    pub accommodation: Accommodation,
    /// Required (hard) or only preferred (soft).
    pub required: bool,
    /// Who covers it.
    pub covered_by: CoveredBy,
}

impl ParticipantPool {
    /// One participant's score for one offer, `None` when a hard constraint excludes them:
    /// the score [`ParticipantPool::explain`] gives, bit for bit, without building the
    /// explanation, so a caller ranking many offers for one person explains only those it
    /// returns.
    pub fn score(
        &self,
        policy: &ScoringPolicy,
        participant_id: &ParticipantId,
        offer: &Offer,
        today: Date,
    ) -> Result<Option<f32>, ScoringError> {
        offer.check()?;
        let record = self
            .record_of(participant_id)
            .ok_or_else(|| ScoringError::UnknownParticipant(participant_id.to_string()))?;
        // The coaches near the workplace are looked up only if the person needs one there
        // (the context finds them when first asked).
        let context =
            OfferContext::for_person(offer, policy, &self.skills, &self.coaches, today, &self.skill_numbers(record));
        let evaluation = evaluate(record, &context, self, Mode::Scan);
        Ok(evaluation
            .is_eligible()
            .then(|| total(&factor_values(record, &context, self, &evaluation), &context.weights)))
    }

    /// Explains one participant against one offer: the factor breakdown, and every hard
    /// constraint that fails (all of them, not only the first).
    pub fn explain(
        &self,
        policy: &ScoringPolicy,
        participant_id: &ParticipantId,
        offer: &Offer,
        today: Date,
    ) -> Result<Explanation, ScoringError> {
        offer.check()?;
        let record = self
            .record_of(participant_id)
            .ok_or_else(|| ScoringError::UnknownParticipant(participant_id.to_string()))?;
        let context =
            OfferContext::for_person(offer, policy, &self.skills, &self.coaches, today, &self.skill_numbers(record));
        let evaluation = evaluate(record, &context, self, Mode::Full);
        let values = factor_values(record, &context, self, &evaluation);
        let coach = match evaluation.support {
            Support::Coach { index, .. } => Some(self.coaches.get(index)),
            _ => None,
        };
        let cover = |bit: Accommodation, required: bool| AccommodationCover {
            accommodation: bit,
            required,
            covered_by: if context.provided & EnumSet::from(bit).as_u16() != 0 {
                CoveredBy::Offer
            } else if let Some(entry) = coach.filter(|entry| entry.supported & EnumSet::from(bit).as_u16() != 0) {
                CoveredBy::Coach(entry.coach.id.clone())
            } else {
                CoveredBy::Nobody
            },
        };
        let required: EnumSet<Accommodation> = EnumSet::from_u16_truncated(record.accommodations_required);
        let preferred: EnumSet<Accommodation> = EnumSet::from_u16_truncated(record.accommodations_preferred);
        let accommodations = required
            .iter()
            .map(|bit| cover(bit, true))
            .chain((preferred - required).iter().map(|bit| cover(bit, false)))
            .collect();
        Ok(Explanation {
            accommodations,
            participant_id: participant_id.clone(),
            offer: offer.key.clone(),
            policy_version: policy.version.clone(),
            failed: failed_constraints(record, &context, self, &evaluation, today),
            score: evaluation.is_eligible().then(|| total(&values, &context.weights)),
            factors: describe_factors(record, &context, self, &evaluation, &values),
            suggested_coach: match evaluation.support {
                Support::Coach { index, .. } => Some(self.coaches.get(index).coach.id.clone()),
                _ => None,
            },
            employer_mentor: evaluation.support == Support::Mentor,
        })
    }
}

fn failed_constraints(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    evaluation: &Evaluation,
    today: Date,
) -> Vec<FailedConstraint> {
    let offer = context.offer;
    let mut failed = Vec::new();
    for reason in ExclusionReason::ALL {
        if !evaluation.reasons.contains(reason) {
            continue;
        }
        let messages = match reason {
            ExclusionReason::OfferClosed => vec![closed_message(offer, today)],
            ExclusionReason::CommuteTooFar => vec![format!(
                "the workplace is {} km from home; the person's commute limit is {} km",
                Fixed(evaluation.distance_km, 1),
                record.max_commute_km
            )],
            ExclusionReason::NoConsent => vec!["the person has not consented to being matched to offers".to_owned()],
            ExclusionReason::WorkingTimeLimit => {
                let degree = DisabilityDegree::from_code(record.degree).unwrap_or_default();
                debug_assert!(record.flags & FLAG_EXEMPT == 0);
                working_time_violations(degree, offer)
            }
            ExclusionReason::NightWorkNotAccepted => {
                vec!["the offer includes night work; the person does not accept night shifts".to_owned()]
            }
            ExclusionReason::StageTooLow => vec![stage_message(record, context)],
            ExclusionReason::AccommodationNotCovered => vec![accommodation_message(record, context)],
            ExclusionReason::NoJobCoach => vec![coach_message(record, context, pool)],
        };
        failed.extend(messages.into_iter().map(|message| FailedConstraint { reason, message }));
    }
    failed
}

fn closed_message(offer: &Offer, today: Date) -> String {
    if offer.positions == 0 {
        "the offer has no open positions".to_owned()
    } else if today > offer.valid_until {
        format!("the offer expired on {}", offer.valid_until)
    } else {
        format!("the offer opens on {}", offer.valid_from)
    }
}

pub(crate) fn stage_name(rank: u8) -> &'static str {
    Stage::from_rank(rank).map_or("unknown", Stage::label)
}

fn stage_message(record: &ParticipantRecord, context: &OfferContext) -> String {
    let offer = context.offer;
    let bridged = context.min_stage - context.simple.lowest_stage;
    let bridge = if offer.adaptation_weeks == 0 {
        "the offer has no adaptation period".to_owned()
    } else {
        format!("its adaptation period of {} weeks bridges {bridged} stage(s) below that", offer.adaptation_weeks)
    };
    format!(
        "the offer accepts people from the stage \"{}\" on ({bridge}); the person is at the stage \"{}\"",
        stage_name(context.min_stage),
        stage_name(record.stage)
    )
}

fn accommodation_names(bits: u16) -> String {
    let set: EnumSet<Accommodation> = EnumSet::from_u16_truncated(bits);
    set.iter()
        .map(|accommodation| format!("{} ({})", accommodation.label(), accommodation.label_pl()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn accommodation_message(record: &ParticipantRecord, context: &OfferContext) -> String {
    let missing = accommodation_names(record.accommodations_required & !context.provided);
    if context.offer.accepts_external_coach {
        format!(
            "the person needs {missing}, which the offer does not provide and no job coach with free capacity \
             covering the workplace can provide"
        )
    } else {
        format!(
            "the person needs {missing}, which the offer does not provide, and the employer does not accept an external job coach"
        )
    }
}

fn coach_message(record: &ParticipantRecord, context: &OfferContext, pool: &ParticipantPool) -> String {
    let offer = context.offer;
    if offer.accepts_external_coach {
        // Coaches who would have had the hours but for what referrals reserved.
        let taken: Vec<String> = context
            .site_coaches()
            .iter()
            .map(|site| pool.coaches.get(site.index))
            .filter(|entry| entry.reserved > 0.0 && entry.coach.free_hours() >= record.coach_hours)
            .map(|entry| {
                let held = pool.coaches.reservations_of(&entry.coach.id);
                let list = held.iter().map(|(id, hours)| format!("{id} ({hours} h)")).collect::<Vec<_>>().join(", ");
                format!(
                    "job coach {} has {} h/week free after {} h reserved by referral(s) {list}",
                    entry.coach.id,
                    Shortest(entry.free_hours()),
                    entry.reserved
                )
            })
            .collect();
        let reserved = if taken.is_empty() {
            String::new()
        } else {
            format!(" (reservations used the capacity: {})", taken.join("; "))
        };
        format!(
            "the person needs {} h/week of job-coach support; no coach covering the workplace has that much free \
             capacity{reserved}, and the employer names no mentor",
            record.coach_hours
        )
    } else {
        format!(
            "the person needs {} h/week of job-coach support; the employer does not accept an external job coach \
             and names no mentor",
            record.coach_hours
        )
    }
}

/// Every factor with value, weight, contribution and a sentence on what produced it.
pub(crate) fn describe_factors(
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    evaluation: &Evaluation,
    values: &[f32; Factor::ALL.len()],
) -> Vec<FactorScore> {
    Factor::ALL
        .iter()
        .zip(values)
        .zip(&context.weights)
        .map(|((factor, value), weight)| FactorScore {
            factor: *factor,
            value: *value,
            weight: *weight,
            contribution: value * weight,
            detail: factor_detail(*factor, record, context, pool, evaluation),
        })
        .collect()
}

pub(crate) fn factor_detail(
    factor: Factor,
    record: &ParticipantRecord,
    context: &OfferContext,
    pool: &ParticipantPool,
    evaluation: &Evaluation,
) -> String {
    let offer = context.offer;
    match factor {
        Factor::Skills => skills_detail(record, context, pool),
        Factor::Occupation => occupation_detail(record, context, pool),
        Factor::Stage if record.stage >= context.min_stage => Text::new()
            .str("at or above the offer's minimum stage \"")
            .str(stage_name(context.min_stage))
            .str("\"")
            .done(),
        Factor::Stage => Text::new()
            .int(u64::from(context.min_stage - record.stage))
            .str(" stage(s) below the offer's minimum \"")
            .str(stage_name(context.min_stage))
            .str(if offer.prefers_readiness {
                "\", bridged by its adaptation period; the employer prefers people nearer the open market, so each \
                 bridged stage lowers this factor"
            } else {
                "\", bridged by its adaptation period; the offer states no preference for readiness, so every \
                 accepted stage ranks alike"
            })
            .done(),
        Factor::Coach if evaluation.reasons.contains(ExclusionReason::NoJobCoach) => {
            "the job-coach need is not met here (see the failed constraint)".to_owned()
        }
        Factor::Coach => match evaluation.support {
            Support::NotNeeded => "no job coach needed for this offer".to_owned(),
            Support::Mentor => Text::new()
                .str("the need for ")
                .shortest(record.coach_hours)
                .str(" h/week of job-coach support is met by the employer's mentor; a met need scores as no need")
                .done(),
            Support::Available => "the need for job-coach support is met by a coach with free capacity; a met need \
                                   scores as no need"
                .to_owned(),
            Support::Coach { index, quality } => {
                let entry = pool.coaches.get(index);
                let held = pool.coaches.reservations_of(&entry.coach.id);
                let reserved = if held.is_empty() {
                    String::new()
                } else {
                    format!(", after {} h reserved by {} referral(s)", entry.reserved, held.len())
                };
                format!(
                    "the need for job-coach support is met by job coach {} ({} h/week free{reserved}, match quality \
                     {}, which chose the coach, not the person's place); a met need scores as no need",
                    entry.coach.id,
                    Shortest(entry.free_hours()),
                    Fixed(quality, 2)
                )
            }
        },
        Factor::Accommodations if record.accommodations_preferred == 0 => "no preferred accommodations".to_owned(),
        Factor::Accommodations => {
            let coach_supported = match evaluation.support {
                Support::Coach { index, .. } => pool.coaches.get(index).supported,
                _ => 0,
            };
            let met = record.accommodations_preferred & (context.provided | coach_supported);
            let unmet = record.accommodations_preferred & !met;
            let said = match (met, unmet) {
                (_, 0) => format!("all preferred accommodations met: {}", accommodation_names(met)),
                (0, _) => format!("preferred accommodations not met: {}", accommodation_names(unmet)),
                _ => format!("met: {}; not met: {}", accommodation_names(met), accommodation_names(unmet)),
            };
            format!("{said}; stating a need never changes a score (it may order offers for the person)")
        }
        Factor::Commute => match context.place {
            Some(_) => Text::new()
                .fixed(evaluation.distance_km, 1)
                .str(" km from home (limit ")
                .shortest(record.max_commute_km)
                .str(" km)")
                .done(),
            None => "remote work, no commute".to_owned(),
        },
        Factor::Preferences => {
            let text = Text::new()
                .str("available ")
                .shortest(record.available_hours)
                .str(" h/week for ")
                .shortest(offer.weekly_hours)
                .str(" h/week offered; ");
            if record.preferred_contracts == 0 {
                text.str("no contract preference").done()
            } else if record.preferred_contracts & context.contract_bit != 0 {
                text.str(offer.contract_type.label()).str(" is a preferred contract type").done()
            } else {
                text.str(offer.contract_type.label()).str(" is not a preferred contract type").done()
            }
        }
        Factor::Waiting => {
            let months = (context.today - record.registered_day) as f32 / 30.44;
            Text::new()
                .str("registered ")
                .fixed(months, 0)
                .str(" months ago (full boost at ")
                .shortest(context.policy.waiting_full_months)
                .str(" months)")
                .done()
        }
    }
}

/// An explanation built from its pieces with `push_str` and integer digits: through
/// `format!` each piece cost about a thousand instructions of formatting machinery, several
/// pieces a factor, eight factors a candidate, fifty candidates a list.
struct Text(String);

impl Text {
    fn new() -> Self {
        Self(String::with_capacity(128))
    }

    fn str(mut self, part: &str) -> Self {
        self.0.push_str(part);
        self
    }

    /// `value` as `{:.places$}` writes it.
    fn fixed(mut self, value: f32, places: usize) -> Self {
        Fixed(value, places).push_to(&mut self.0);
        self
    }

    /// `value` as `{}` writes it.
    fn shortest(mut self, value: f32) -> Self {
        Shortest(value).push_to(&mut self.0);
        self
    }

    fn int(mut self, value: u64) -> Self {
        push_integer(&mut self.0, value);
        self
    }

    /// A KZiS code with its Polish name when KZiS has one.
    fn occupation(self, code: &str) -> Self {
        match pomost_taxonomy::kzis().name(code) {
            Some(name) => self.str(code).str(" ").str(name),
            None => self.str(code),
        }
    }

    fn done(self) -> String {
        self.0
    }
}

/// The six digits of a KZiS code, zero-padded, without an allocation.
fn six_digits(code: u32) -> [u8; 6] {
    let mut digits = [b'0'; 6];
    let mut rest = code;
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    digits
}

fn occupation_detail(record: &ParticipantRecord, context: &OfferContext, pool: &ParticipantPool) -> String {
    let offer = &context.offer.occupation_code;
    if context.occupation == 0 {
        return "the offer has no occupation code".to_owned();
    }
    if record.occupations == 0 {
        return Text::new()
            .str("no wanted or past occupation stated; the offer's occupation is ")
            .occupation(offer)
            .done();
    }
    let (best, credit) = best_occupation(record, context, pool);
    let Some(claim) = best else {
        return Text::new()
            .str("no wanted or past occupation shares even a sub-major group with the offer's ")
            .occupation(offer)
            .done();
    };
    let digits = six_digits(claim.code());
    let code = std::str::from_utf8(&digits).unwrap_or_default();
    let which = match claim.kind {
        ClaimKind::Wanted => "wanted occupation",
        ClaimKind::Experienced => "past occupation (a year or more)",
        ClaimKind::Short => "past occupation (under a year)",
    };
    let shared = shared_digits(claim.code(), context.occupation);
    let text = Text::new().str(which).str(" ").occupation(code);
    if shared == 6 {
        return text.str(": is the offer's occupation (credit ").fixed(credit, 2).str(")").done();
    }
    let group = &offer[..(shared.min(4) as usize)];
    let level = match group.len() {
        4 => "unit group",
        3 => "minor group",
        _ => "sub-major group",
    };
    text.str(": shares the ")
        .str(level)
        .str(" ")
        .occupation(group)
        .str(" with the offer's ")
        .occupation(offer)
        .str(" (credit ")
        .fixed(credit, 2)
        .str(")")
        .done()
}

fn skills_detail(record: &ParticipantRecord, context: &OfferContext, pool: &ParticipantPool) -> String {
    let credits = &context.credits;
    if credits.requirements.is_empty() {
        return "the offer asks for no particular skills".to_owned();
    }
    let best = best_credits(record, context, pool);
    let mut detail = String::with_capacity(80 * credits.requirements.len());
    for (index, ((requirement, credit), label)) in
        credits.requirements.iter().zip(best).zip(context.requirement_labels()).enumerate()
    {
        if index > 0 {
            detail.push_str("; ");
        }
        match label {
            Some(label) => {
                detail.push_str(label);
                detail.push_str(" [");
                detail.push_str(requirement.skill.as_str());
                detail.push(']');
            }
            None => detail.push_str(requirement.skill.as_str()),
        }
        detail.push_str(if requirement.must { " (must) " } else { " (nice) " });
        Fixed(credit, 2).push_to(&mut detail);
    }
    detail
}

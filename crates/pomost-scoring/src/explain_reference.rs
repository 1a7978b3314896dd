//! The explanation texts as they were first written, with the standard library's
//! formatting: the oracle the faster text building in `explain.rs` must match byte for
//! byte (see its tests).

use std::fmt::Write as _;

use crate::context::{OfferContext, shared_digits};
use crate::evaluate::{Evaluation, Support, best_credits, best_occupation};
use crate::explain::stage_name;
use crate::factors::Factor;
use crate::pool::ParticipantPool;
use crate::reasons::ExclusionReason;
use crate::record::{ClaimKind, ParticipantRecord};

/// `{:.N}` of an f32.
struct Fixed(f32, usize);

impl std::fmt::Display for Fixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.*}", self.1, self.0)
    }
}

/// `{}` of an f32.
struct Shortest(f32);

impl std::fmt::Display for Shortest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
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
        Factor::Stage if record.stage >= context.min_stage => {
            format!("at or above the offer's minimum stage \"{}\"", stage_name(context.min_stage))
        }
        Factor::Stage if offer.prefers_readiness => format!(
            "{} stage(s) below the offer's minimum \"{}\", bridged by its adaptation period; the employer prefers \
             people nearer the open market, so each bridged stage lowers this factor",
            context.min_stage - record.stage,
            stage_name(context.min_stage)
        ),
        Factor::Stage => format!(
            "{} stage(s) below the offer's minimum \"{}\", bridged by its adaptation period; the offer states no \
             preference for readiness, so every accepted stage ranks alike",
            context.min_stage - record.stage,
            stage_name(context.min_stage)
        ),
        Factor::Coach
            if matches!(evaluation.support, Support::Mentor)
                && !evaluation.reasons.contains(ExclusionReason::NoJobCoach) =>
        {
            format!(
                "the need for {} h/week of job-coach support is met by the employer's mentor; a met need scores as \
                 no need",
                record.coach_hours
            )
        }
        Factor::Commute if context.place.is_some() => {
            format!("{} km from home (limit {} km)", Fixed(evaluation.distance_km, 1), Shortest(record.max_commute_km))
        }
        // Worded in `explain.rs` as first written (constant texts and the rare coach and
        // accommodation details): nothing to compare against.
        Factor::Coach | Factor::Accommodations | Factor::Commute => {
            crate::explain::factor_detail(factor, record, context, pool, evaluation)
        }
        Factor::Preferences => {
            let contract = if record.preferred_contracts == 0 {
                "no contract preference".to_owned()
            } else if record.preferred_contracts & context.contract_bit != 0 {
                format!("{} is a preferred contract type", offer.contract_type.label())
            } else {
                format!("{} is not a preferred contract type", offer.contract_type.label())
            };
            format!(
                "available {} h/week for {} h/week offered; {contract}",
                Shortest(record.available_hours),
                Shortest(offer.weekly_hours)
            )
        }
        Factor::Waiting => {
            let months = (context.today - record.registered_day) as f32 / 30.44;
            format!(
                "registered {} months ago (full boost at {} months)",
                Fixed(months, 0),
                Shortest(context.policy.waiting_full_months)
            )
        }
    }
}

/// A KZiS code with its Polish name, written straight into the text it is part of (a
/// list's explanations are built for every request, so no string of its own).
struct Occupation<'a>(&'a str);

impl std::fmt::Display for Occupation<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match pomost_taxonomy::kzis().name(self.0) {
            Some(name) => write!(f, "{} {name}", self.0),
            None => f.write_str(self.0),
        }
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
    let offer_named = Occupation(offer);
    if record.occupations == 0 {
        return format!("no wanted or past occupation stated; the offer's occupation is {offer_named}");
    }
    let (best, credit) = best_occupation(record, context, pool);
    let Some(claim) = best else {
        return format!("no wanted or past occupation shares even a sub-major group with the offer's {offer_named}");
    };
    let digits = six_digits(claim.code());
    let code = std::str::from_utf8(&digits).unwrap_or_default();
    let which = match claim.kind {
        ClaimKind::Wanted => "wanted occupation",
        ClaimKind::Experienced => "past occupation (a year or more)",
        ClaimKind::Short => "past occupation (under a year)",
    };
    let shared = shared_digits(claim.code(), context.occupation);
    if shared == 6 {
        return format!("{which} {}: is the offer's occupation (credit {})", Occupation(code), Fixed(credit, 2));
    }
    let group = &offer[..(shared.min(4) as usize)];
    let level = match group.len() {
        4 => "unit group",
        3 => "minor group",
        _ => "sub-major group",
    };
    format!(
        "{which} {}: shares the {level} {} with the offer's {offer_named} (credit {})",
        Occupation(code),
        Occupation(group),
        Fixed(credit, 2)
    )
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
        let kind = if requirement.must { "must" } else { "nice" };
        // Writing into a String cannot fail.
        let _ = match label {
            Some(label) => write!(detail, "{label} [{}] ({kind}) {}", requirement.skill, Fixed(credit, 2)),
            None => write!(detail, "{} ({kind}) {}", requirement.skill, Fixed(credit, 2)),
        };
    }
    detail
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use time::macros::date;

    use crate::context::OfferContext;
    use crate::evaluate::{Mode, evaluate};
    use crate::factors::Factor;
    use crate::{ParticipantPool, ScoringPolicy};

    /// The wordings the test data must produce, each at least once.
    const REQUIRED: [&str; 14] = [
        "at or above the offer's minimum stage",
        "the employer prefers people nearer",
        "the offer states no preference for readiness",
        "by the employer's mentor",
        "km from home (limit",
        "remote work, no commute",
        "no contract preference",
        " is a preferred contract type",
        " is not a preferred contract type",
        "months ago (full boost at",
        "no wanted or past occupation stated",
        ": is the offer's occupation (credit",
        ": shares the",
        "] (must) ",
    ];

    /// Wordings counted when they come, but not required of the test data.
    const OPTIONAL: [&str; 2] = ["no wanted or past occupation shares", " (nice) "];

    /// Which way of wording a factor a text took, for the coverage check.
    fn wording(text: &str) -> &'static str {
        REQUIRED.into_iter().chain(OPTIONAL).find(|wording| text.contains(wording)).unwrap_or("other")
    }

    #[test]
    fn every_factor_is_worded_as_the_reference_words_it() {
        let today = date!(2026 - 11 - 24);
        let synth = pomost_synth::Synth::new(11, today);
        let pool = ParticipantPool::build(
            &pomost_synth::relatedness(),
            synth.participants(3_000).collect::<Vec<_>>(),
            synth.coaches(300).collect::<Vec<_>>(),
        )
        .expect("synthetic data is valid");
        let policy = ScoringPolicy::default();
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        let mut offers: Vec<_> = synth.offers(120).collect();
        offers.push(synth.remote_offer());
        for (number, offer) in offers.iter_mut().enumerate() {
            // Both stage wordings and the mentor's, whatever the generator chose.
            offer.prefers_readiness = number % 2 == 0;
            offer.employer_mentor |= number % 3 == 0;
            let context = OfferContext::new(offer, &policy, &pool.skills, &pool.coaches, today);
            for bucket in 0..pool.records.bucket_count() {
                for record in pool.records.bucket(bucket).iter().step_by(11) {
                    let evaluation = evaluate(record, &context, &pool, Mode::Full);
                    for factor in Factor::ALL {
                        let text = super::super::explain::factor_detail(factor, record, &context, &pool, &evaluation);
                        let reference = super::factor_detail(factor, record, &context, &pool, &evaluation);
                        assert_eq!(text, reference, "{factor:?}");
                        *seen.entry(wording(&text)).or_default() += 1;
                    }
                }
            }
        }
        for wording in REQUIRED {
            assert!(seen.contains_key(wording), "no text worded with {wording:?}: {seen:?}");
        }
    }
}

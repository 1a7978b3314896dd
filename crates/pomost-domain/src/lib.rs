//! Domain types of Pomost: participants in reintegration, job offers, job coaches and the
//! closed vocabularies they share (stages, accommodations, contract types, disability
//! degrees). Pure data with validation; no I/O, no async, no wire types.
//!
//! Atomic values (TERYT codes, coordinates, skill levels) are newtypes that cannot hold an
//! invalid value; whole records are checked by their `validated` constructors, which report
//! the first problem as a [`ValidationError`] naming the field path and the reason.

mod coach;
mod error;
mod geo;
mod offer;
mod participant;
mod referral;
pub mod rules;
mod skills;
mod vocab;

pub use coach::{CoachArea, CoachId, JobCoach, MAX_COACH_CAPACITY_HOURS, MAX_COACH_RADIUS_KM};
pub use error::{MAX_QUOTE_CHARS, MAX_WEEKLY_HOURS, ValidationError, quote};
pub use geo::{GeoPoint, Location, TerytCode};
pub use offer::{Employer, MAX_ADAPTATION_WEEKS, MAX_OFFER_SKILLS, Offer, OfferKey, Workplace};
pub use participant::{
    BIRTH_YEARS, Disability, MAX_COACH_HOURS, MAX_COMMUTE_KM, MAX_OCCUPATION_YEARS, MAX_PARTICIPANT_OCCUPATIONS,
    MAX_PARTICIPANT_SKILLS, Participant, ParticipantId, PastOccupation,
};
pub use referral::{
    Actor, CHECK_MONTHS, DeclinedBy, EMPLOYER_DECLINE_REASONS, LEAVE_REASONS, OutcomeCheck, PERSON_DECLINE_REASONS,
    Referral, ReferralEvent, ReferralGroup, ReferralState, Retention, Transition, TransitionError, WITHDRAW_REASONS,
    check_outcome,
};
pub use skills::{SkillClaim, SkillCluster, SkillId, SkillLevel, SkillRelatedness, SkillRequirement};
pub use vocab::{
    Accommodation, AccommodationKind, AccommodationSet, ContractSet, ContractType, DisabilityCause, DisabilityDegree,
    Gender, PERSONAL_ACCOMMODATIONS, Stage, UnitKind,
};

use pomost_domain::ValidationError;

/// Everything the scoring crate can refuse. Exists so callers (the gRPC edge) map each kind
/// to one status code: invalid input, unknown ids, or exhausted capacity.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoringError {
    /// A participant, coach or offer failed validation.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A scoring policy could not be parsed or has unusable values.
    #[error("scoring policy: {0}")]
    Policy(String),
    /// No participant with this id is in the pool.
    #[error("participant {0} is not in the pool")]
    UnknownParticipant(String),
    /// No coach with this id is in the pool.
    #[error("job coach {0} is not in the pool")]
    UnknownCoach(String),
    /// The pool cannot hold more distinct skills (the compact records use 16-bit skill ids).
    #[error("the pool already knows {0} distinct skills, the most it can hold")]
    SkillCapacity(usize),
    /// The caller cancelled the request (deadline passed or client gone) before it finished.
    #[error("the request was cancelled before the shortlist was complete")]
    Cancelled,
    /// A pool snapshot cannot be used (damaged, of another format, or written with another
    /// skill relatedness or occupation list); the pool is then built from the store.
    #[error("pool snapshot unusable: {0}")]
    Snapshot(String),
    /// The pool cannot hold more participants.
    #[error("the pool already holds {0} participants, the most it can hold")]
    ParticipantCapacity(usize),
}

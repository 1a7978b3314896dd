//! One error type for the service and its single mapping to gRPC status codes.

use pomost_domain::ValidationError;
use pomost_index::IndexError;
use pomost_scoring::ScoringError;
use pomost_store::StoreError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The engine's error, as the service names it.
pub use pomost_engine::EngineError as ServiceError;

/// INVALID_ARGUMENT with the message `field: reason`, and the same as a
/// google.rpc.BadRequest field violation for clients that read error details.
pub fn invalid_argument(error: &ValidationError) -> Status {
    Status::with_error_details(
        Code::InvalidArgument,
        error.to_string(),
        ErrorDetails::with_bad_request_violation(error.field.clone(), error.reason.clone()),
    )
}

/// The one mapping of an engine error to a gRPC status.
pub fn status(error: ServiceError) -> Status {
    {
        match error {
            ServiceError::Invalid(error) => invalid_argument(&error),
            ServiceError::NotFound(message) => Status::not_found(message),
            ServiceError::Denied(message) => Status::permission_denied(message),
            ServiceError::Store(StoreError::NotFound(message)) => Status::not_found(message),
            ServiceError::Store(StoreError::Precondition(message)) => Status::failed_precondition(message),
            ServiceError::Limit(message) => Status::resource_exhausted(message),
            error @ ServiceError::Backlog(_) => {
                let mut status = Status::resource_exhausted(error.to_string());
                status
                    .metadata_mut()
                    .insert("retry-after-ms", tonic::metadata::MetadataValue::from(pomost_engine::BACKLOG_RETRY_MS));
                status
            }
            ServiceError::Store(StoreError::Invalid(error)) => invalid_argument(&error),
            ServiceError::Scoring(ScoringError::Invalid(error)) => invalid_argument(&error),
            ServiceError::Scoring(ScoringError::UnknownParticipant(id)) => {
                Status::not_found(format!("participant {id} is not registered"))
            }
            ServiceError::Scoring(ScoringError::UnknownCoach(id)) => {
                Status::not_found(format!("job coach {id} is not registered"))
            }
            ServiceError::Index(IndexError::Invalid(message)) => Status::invalid_argument(message),
            ServiceError::Scoring(ScoringError::Cancelled) => {
                Status::deadline_exceeded("the deadline passed (or the client left) before the request finished")
            }
            ServiceError::Store(error @ StoreError::DeadlinePassed) => Status::deadline_exceeded(error.to_string()),
            ServiceError::Store(error @ StoreError::DiskFull { .. }) => Status::resource_exhausted(error.to_string()),
            ServiceError::Store(error @ StoreError::Busy { .. }) => Status::unavailable(error.to_string()),
            ServiceError::Store(error @ StoreError::Unavailable(_)) => Status::unavailable(error.to_string()),
            ServiceError::Store(error @ StoreError::LogSync { .. }) => {
                tracing::error!(error = %error, "write refused");
                Status::unavailable(error.to_string())
            }
            ServiceError::Store(error @ StoreError::ServerFull(_)) => Status::resource_exhausted(error.to_string()),
            ServiceError::Store(error @ StoreError::Damaged { .. }) => {
                tracing::error!(error = %error, "damaged record");
                Status::data_loss(error.to_string())
            }
            other => {
                tracing::error!(error = %other, "request failed");
                Status::new(Code::Internal, other.to_string())
            }
        }
    }
}

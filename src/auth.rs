//! Bearer API keys with roles, checked per method in one tower layer before any handler
//! runs. Health and reflection need no key, so probes and stock tools work.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use sha2::{Digest, Sha256};
use tonic::Status;

use crate::config::AuthSettings;
pub use crate::role::Role;

/// The authenticated caller, put into each request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Key name.
    pub name: String,
    /// Key role.
    pub role: Role,
}

/// Who may call what: every method by its full gRPC path. A method not listed here is
/// refused to every role, admin included, until someone decides who may call it.
pub const ROLE_TABLE: &[(&str, &[Role])] = {
    use Role::{Admin, LabourOffice, Partner, Unit};
    const WRITE_OFFERS: &[Role] = &[Partner, Admin];
    const READ_OFFERS: &[Role] = &[Partner, Unit, LabourOffice, Admin];
    const WRITE_PEOPLE: &[Role] = &[Unit, Admin];
    const READ_PEOPLE: &[Role] = &[Unit, LabourOffice, Admin];
    const MATCH: &[Role] = &[LabourOffice, Admin];
    const ANY_KEY: &[Role] = &[Partner, Unit, LabourOffice, Admin];
    const ADMIN: &[Role] = &[Admin];
    const REFER: &[Role] = &[Unit, LabourOffice, Admin];
    // Employers' systems report their own decisions; the engine checks which moves.
    const MOVE_REFERRAL: &[Role] = &[Partner, Unit, LabourOffice, Admin];
    &[
        ("/pomost.v1.OfferService/UpsertOffer", WRITE_OFFERS),
        ("/pomost.v1.OfferService/UpsertOffers", WRITE_OFFERS),
        ("/pomost.v1.OfferService/DeleteOffer", WRITE_OFFERS),
        ("/pomost.v1.OfferService/GetOffer", READ_OFFERS),
        ("/pomost.v1.OfferService/SearchOffers", READ_OFFERS),
        ("/pomost.v1.ParticipantService/UpsertParticipant", WRITE_PEOPLE),
        ("/pomost.v1.ParticipantService/UpsertParticipants", WRITE_PEOPLE),
        ("/pomost.v1.ParticipantService/GetParticipant", READ_PEOPLE),
        ("/pomost.v1.ParticipantService/DeleteParticipant", WRITE_PEOPLE),
        ("/pomost.v1.ParticipantService/UpsertJobCoach", WRITE_PEOPLE),
        ("/pomost.v1.ParticipantService/UpsertJobCoaches", WRITE_PEOPLE),
        ("/pomost.v1.ParticipantService/GetJobCoach", READ_PEOPLE),
        ("/pomost.v1.ParticipantService/DeleteJobCoach", WRITE_PEOPLE),
        ("/pomost.v1.MatchingService/Shortlist", MATCH),
        ("/pomost.v1.MatchingService/RecommendOffers", MATCH),
        ("/pomost.v1.MatchingService/ExplainMatch", MATCH),
        ("/pomost.v1.MatchingService/GetScoringPolicy", ANY_KEY),
        ("/pomost.v1.MatchingService/AssignBatch", REFER),
        ("/pomost.v1.MatchingService/GetExposureReport", MATCH),
        ("/pomost.v1.PlacementService/CreateReferral", REFER),
        ("/pomost.v1.PlacementService/MoveReferral", MOVE_REFERRAL),
        ("/pomost.v1.PlacementService/GetReferral", REFER),
        ("/pomost.v1.PlacementService/ListReferrals", REFER),
        ("/pomost.v1.PlacementService/RecordOutcome", REFER),
        ("/pomost.v1.PlacementService/GetOutcomeStats", REFER),
        ("/pomost.v1.PlacementService/WatchMatches", REFER),
        ("/pomost.v1.AuditService/ListAudit", ADMIN),
        ("/pomost.v1.AuditService/GetAuditStats", ADMIN),
        ("/pomost.v1.VocabularyService/SuggestOccupations", ANY_KEY),
        ("/pomost.v1.VocabularyService/ExtractSkills", ANY_KEY),
        ("/pomost.v1.VocabularyService/SuggestTerms", ANY_KEY),
        ("/pomost.v1.VocabularyService/GetVocabulary", ANY_KEY),
    ]
};

/// Roles allowed to call a method (by its gRPC path): `None` for the open health and
/// reflection services, an empty list for a method nobody may call.
fn allowed_roles(path: &str) -> Option<&'static [Role]> {
    let service = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if service.starts_with("grpc.health.") || service.starts_with("grpc.reflection.") {
        return None;
    }
    Some(ROLE_TABLE.iter().find(|(method, _)| *method == path).map_or(&[], |(_, roles)| *roles))
}

/// SHA-256 of a bearer token, hex: what configuration stores.
pub fn hash_key(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The key table.
#[derive(Debug)]
pub struct Auth {
    dev_mode: bool,
    keys: HashMap<String, Caller>,
}

impl Auth {
    /// The key table from configuration.
    pub fn new(settings: &AuthSettings) -> Self {
        let keys = settings
            .keys
            .iter()
            .map(|key| (key.sha256.to_ascii_lowercase(), Caller { name: key.name.clone(), role: key.role }))
            .collect();
        Self { dev_mode: settings.dev_mode, keys }
    }

    /// Who is calling `path` with these headers, or why not: UNAUTHENTICATED for a missing
    /// or unknown key, PERMISSION_DENIED for a role that may not call the method.
    pub fn check(&self, path: &str, headers: &http::HeaderMap) -> Result<Option<Caller>, Status> {
        let Some(roles) = allowed_roles(path) else { return Ok(None) };
        if roles.is_empty() {
            return Err(Status::permission_denied(format!(
                "{} is not in the role table; no role may call it",
                pomost_domain::quote(path)
            )));
        }
        if self.dev_mode {
            return Ok(Some(Caller { name: "dev".into(), role: Role::Admin }));
        }
        let token = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .ok_or_else(|| Status::unauthenticated("missing API key: send \"authorization: Bearer <key>\""))?;
        let caller =
            self.keys.get(&hash_key(token.trim())).ok_or_else(|| Status::unauthenticated("unknown API key"))?;
        if !roles.contains(&caller.role) {
            return Err(Status::permission_denied(format!(
                "role {} may not call {}",
                caller.role.name(),
                pomost_domain::quote(path)
            )));
        }
        Ok(Some(caller.clone()))
    }
}

/// The tower layer that runs [`Auth::check`] on every request.
#[derive(Debug, Clone)]
pub struct AuthLayer {
    auth: Arc<Auth>,
}

impl AuthLayer {
    /// A layer over the key table.
    pub fn new(auth: Arc<Auth>) -> Self {
        Self { auth }
    }
}

impl<S> tower::Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService { auth: self.auth.clone(), inner }
    }
}

/// The service [`AuthLayer`] wraps around the routes.
#[derive(Debug, Clone)]
pub struct AuthService<S> {
    auth: Arc<Auth>,
    inner: S,
}

type BoxFuture<T> = Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B> tower::Service<http::Request<B>> for AuthService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(context)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        match self.auth.check(request.uri().path(), request.headers()) {
            Ok(caller) => {
                if let Some(caller) = caller {
                    tracing::Span::current().record("role", caller.role.name());
                    request.extensions_mut().insert(caller);
                }
                Box::pin(self.inner.call(request))
            }
            Err(status) => Box::pin(async move { Ok(status.into_http()) }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ApiKey;

    fn auth() -> Auth {
        Auth::new(&AuthSettings {
            dev_mode: false,
            keys: vec![ApiKey { name: "pup".into(), role: Role::LabourOffice, sha256: hash_key("secret-1") }],
        })
    }

    fn headers(value: &str) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn keys_and_roles() {
        let auth = auth();
        let shortlist = "/pomost.v1.MatchingService/Shortlist";
        assert_eq!(auth.check(shortlist, &http::HeaderMap::new()).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert_eq!(auth.check(shortlist, &headers("Bearer wrong")).unwrap_err().code(), tonic::Code::Unauthenticated);
        assert_eq!(auth.check(shortlist, &headers("Bearer secret-1")).unwrap().unwrap().name, "pup");
        let upsert = "/pomost.v1.OfferService/UpsertOffer";
        assert_eq!(auth.check(upsert, &headers("Bearer secret-1")).unwrap_err().code(), tonic::Code::PermissionDenied);
        assert_eq!(auth.check("/grpc.health.v1.Health/Check", &http::HeaderMap::new()).unwrap(), None);
        assert_eq!(
            auth.check("/pomost.v1.AuditService/ListAudit", &headers("Bearer secret-1")).unwrap_err().code(),
            tonic::Code::PermissionDenied
        );
    }
}

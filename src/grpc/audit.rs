use pomost_store::AuditQuery;
use tonic::{Request, Response, Status};

use super::support::{Shared, blocking, invalid};
use crate::convert;
use crate::proto::audit_service_server::AuditService;
use crate::proto::{AuditEntry, AuditResult, AuditStats, GetAuditStatsRequest, ListAuditRequest, ListAuditResponse};

/// AuditService over the engine.
pub struct AuditApi(pub Shared);

#[tonic::async_trait]
impl AuditService for AuditApi {
    async fn get_audit_stats(&self, _request: Request<GetAuditStatsRequest>) -> Result<Response<AuditStats>, Status> {
        let engine = self.0.engine()?;
        let stats = blocking(move || engine.audit_stats()).await?;
        Ok(Response::new(AuditStats {
            entries: stats.entries,
            bytes_on_disk: stats.bytes_on_disk,
            free_bytes: stats.free_bytes,
            oldest_ms: stats.oldest_ms,
            newest_ms: stats.newest_ms,
            archive_files: stats.archive_files,
            archive_bytes: stats.archive_bytes,
            retention_days: self.0.retention_days,
        }))
    }

    async fn list_audit(&self, request: Request<ListAuditRequest>) -> Result<Response<ListAuditResponse>, Status> {
        let ListAuditRequest { from_ms, until_ms, caller, offer_key, after_entry, limit } = request.into_inner();
        let query = AuditQuery {
            from_ms: (from_ms != 0).then_some(from_ms),
            until_ms: (until_ms != 0).then_some(until_ms),
            caller: (!caller.is_empty()).then_some(caller),
            offer: offer_key.map(|key| convert::offer_key("offer_key", Some(key))).transpose().map_err(invalid)?,
            after_entry: (after_entry != 0).then_some(after_entry),
            limit: if limit == 0 { 100 } else { (limit as usize).min(10_000) },
        };
        let engine = self.0.engine()?;
        let entries = blocking(move || engine.list_audit(&query)).await?;
        Ok(Response::new(ListAuditResponse {
            entries: entries
                .into_iter()
                .map(|(entry, record)| AuditEntry {
                    entry,
                    request_id: record.request_id,
                    at_ms: record.at_ms,
                    caller_name: record.caller.name,
                    caller_role: record.caller.role,
                    action: serde_json::to_value(record.action)
                        .ok()
                        .and_then(|value| value.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    offer_key: record.offer.as_ref().map(convert::offer_key_to_wire),
                    participant_id: record.participant.map(|id| id.to_string()).unwrap_or_default(),
                    request_json: record.request.to_string(),
                    results: record
                        .results
                        .into_iter()
                        .map(|result| AuditResult { id: result.id, score: result.score })
                        .collect(),
                    policy_version: record.policy_version,
                    vocabulary_version: record.vocabulary_version,
                })
                .collect(),
        }))
    }
}

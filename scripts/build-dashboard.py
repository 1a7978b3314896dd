#!/usr/bin/env python3
"""Writes deploy/grafana/pomost-dashboard.json, the Grafana dashboard for Pomost's metrics
(what each panel means is in the README, "Operations"). Run from the repository root."""
import json
import os

PANELS = [
    # (title, unit, [(expr, legend)], description)
    ("Requests per second by method", "reqps",
     [('sum by (method) (rate(pomost_grpc_requests_total{service=~"pomost.*"}[5m]))', "{{method}}")],
     "Answered gRPC requests of the Pomost services."),
    ("Errors per second by code", "reqps",
     [('sum by (code) (rate(pomost_grpc_requests_total{code!="Ok"}[5m]))', "{{code}}")],
     "Client errors (InvalidArgument, NotFound, PermissionDenied) are the callers' to fix; Internal, DataLoss, Unavailable, ResourceExhausted and DeadlineExceeded are the operator's."),
    ("Ranking latency p50 / p99", "s",
     [('histogram_quantile(0.5, sum by (le, method) (rate(pomost_grpc_request_duration_seconds_bucket{method=~"Shortlist|RecommendOffers|ExplainMatch"}[5m])))', "p50 {{method}}"),
      ('histogram_quantile(0.99, sum by (le, method) (rate(pomost_grpc_request_duration_seconds_bucket{method=~"Shortlist|RecommendOffers|ExplainMatch"}[5m])))', "p99 {{method}}")],
     "Time to answer a ranking, audit entry included."),
    ("Write latency p99", "s",
     [('histogram_quantile(0.99, sum by (le, method) (rate(pomost_grpc_request_duration_seconds_bucket{method=~"Upsert.*|Delete.*"}[5m])))', "{{method}}")],
     "Acknowledged writes (committed and synced)."),
    ("Requests in flight", "short", [("pomost_grpc_requests_in_flight", "in flight")],
     "Requests being worked on; a climb with flat throughput means queueing."),
    ("Read-model lag (changes)", "short",
     [('pomost_state{what="read_model_lag_changes"}', "{{model}}")],
     "Changes committed in the store and not yet durable in the pool or the search index."),
    ("Read-model failures", "short", [("pomost_read_model_failures", "{{model}}")],
     "Failed applies or index commits since start; they are retried with backoff."),
    ("Participants and offers", "short",
     [('pomost_state{what="participants"}', "participants"), ('pomost_state{what="offers_indexed"}', "offers indexed"),
      ('pomost_state{what="job_coaches"}', "job coaches")],
     "What the pool and the search index hold."),
    ("Job-coach hours", "short",
     [('pomost_state{what="coach_capacity_hours"}', "capacity"), ('pomost_state{what="coach_committed_hours"}', "committed")],
     "Weekly hours of all coaches and how many are committed to people."),
    ("Audit log size", "bytes",
     [('pomost_state{what="audit_bytes"}', "log"), ('pomost_state{what="audit_archive_bytes"}', "archives")],
     "The audit log on disk and its archives (audit.retention_days moves old entries out)."),
    ("Audit growth per day", "bytes",
     [('deriv(pomost_state{what="audit_bytes"}[1h]) * 86400', "per day")],
     "How fast the audit log grows at the current rate."),
    ("Disk free", "bytes", [('pomost_state{what="disk_free_bytes"}', "free")],
     "Free space on the data directory's file system; writes stop (RESOURCE_EXHAUSTED) when it runs out."),
]


def panel(index, title, unit, targets, description):
    return {
        "id": index + 1,
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index // 2) * 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": chr(65 + i), "expr": expr, "legendFormat": legend} for i, (expr, legend) in enumerate(targets)],
    }


dashboard = {
    "title": "Pomost",
    "uid": "pomost",
    "tags": ["pomost"],
    "timezone": "browser",
    "schemaVersion": 39,
    "refresh": "30s",
    "time": {"from": "now-6h", "to": "now"},
    "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus"}]},
    "panels": [panel(i, *spec) for i, spec in enumerate(PANELS)],
}
path = os.path.join(os.path.dirname(__file__), "..", "deploy", "grafana", "pomost-dashboard.json")
with open(path, "w", encoding="utf-8") as out:
    json.dump(dashboard, out, indent=2, ensure_ascii=False)
    out.write("\n")
print(f"{len(PANELS)} panels -> {path}")

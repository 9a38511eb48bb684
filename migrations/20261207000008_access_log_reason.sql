-- Why the gateway answered a request itself (THROTTLED_STAGE, QUOTA,
-- KEY_MISSING, BACKEND_TIMEOUT, …; see server/src/metrics/reason.rs): NULL
-- for answers that came from the integration. Rollups count them as
-- `CODE=n;` pairs, which concatenate to their sum like the histograms do.

ALTER TABLE request_log ADD COLUMN reason TEXT;
ALTER TABLE metric_rollups ADD COLUMN reasons TEXT;

DROP VIEW access_log;
CREATE VIEW access_log AS
SELECT l.id, l.at_us, s.api_id, s.stage, r.resource, r.method, l.path, l.status, l.latency_us, l.integration_us,
       l.key_id, l.bytes_in, l.bytes_out, l.request_id, l.reason
FROM request_log l
JOIN log_stages s ON s.id = l.stage_ref
JOIN log_routes r ON r.id = l.route_ref;

-- What exactly went wrong when the gateway answered a request itself and a
-- reason code is not enough: which parameters were missing or which rule
-- the body broke (BAD_REQUEST_*), the template error (MAPPING_FAILED), the
-- backend's error (BACKEND_*). NULL otherwise.

ALTER TABLE request_log ADD COLUMN detail TEXT;

DROP VIEW access_log;
CREATE VIEW access_log AS
SELECT l.id, l.at_us, s.api_id, s.stage, r.resource, r.method, l.path, l.status, l.latency_us, l.integration_us,
       l.key_id, l.bytes_in, l.bytes_out, l.request_id, l.reason, l.detail
FROM request_log l
JOIN log_stages s ON s.id = l.stage_ref
JOIN log_routes r ON r.id = l.route_ref;

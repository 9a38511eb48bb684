-- The access log names its stage and its route by number instead of
-- repeating four strings in every row: `log_stages` and `log_routes` hold
-- each (API, stage) and (resource, method) once, and `request_log` keeps
-- their ids. Rows are ~15 bytes smaller and the stage index compares
-- integers (its key was two strings per row), which makes the metrics
-- writer's insert cheaper. The view `access_log` shows rows as before, with
-- the names joined back in; read through it.

CREATE TABLE log_stages (
    id      INTEGER PRIMARY KEY,
    api_id  TEXT NOT NULL,
    stage   TEXT NOT NULL,
    UNIQUE (api_id, stage)
);

CREATE TABLE log_routes (
    id        INTEGER PRIMARY KEY,
    resource  TEXT NOT NULL,                       -- '(no route)' when nothing matched
    method    TEXT NOT NULL,
    UNIQUE (resource, method)
);

INSERT INTO log_stages (api_id, stage) SELECT DISTINCT api_id, stage FROM request_log ORDER BY 1, 2;
INSERT INTO log_routes (resource, method) SELECT DISTINCT resource, method FROM request_log ORDER BY 1, 2;

CREATE TABLE request_log_refs (
    id              INTEGER PRIMARY KEY,           -- grows with time
    at_us           INTEGER NOT NULL,              -- request start, µs since the epoch
    stage_ref       INTEGER NOT NULL,              -- log_stages.id
    route_ref       INTEGER NOT NULL,              -- log_routes.id
    path            TEXT NOT NULL,                 -- the path after the stage, as sent
    status          INTEGER NOT NULL,
    latency_us      INTEGER NOT NULL,
    integration_us  INTEGER,                       -- NULL when no backend was called
    key_id          TEXT,
    bytes_in        INTEGER NOT NULL,
    bytes_out       INTEGER NOT NULL,
    request_id      TEXT NOT NULL
);

INSERT INTO request_log_refs
SELECT l.id, l.at_us, s.id, r.id, l.path, l.status, l.latency_us, l.integration_us, l.key_id, l.bytes_in, l.bytes_out, l.request_id
FROM request_log l
JOIN log_stages s ON s.api_id = l.api_id AND s.stage = l.stage
JOIN log_routes r ON r.resource = l.resource AND r.method = l.method
ORDER BY l.id;

DROP TABLE request_log;
ALTER TABLE request_log_refs RENAME TO request_log;
CREATE INDEX request_log_stage ON request_log(stage_ref, id);

CREATE VIEW access_log AS
SELECT l.id, l.at_us, s.api_id, s.stage, r.resource, r.method, l.path, l.status, l.latency_us, l.integration_us,
       l.key_id, l.bytes_in, l.bytes_out, l.request_id
FROM request_log l
JOIN log_stages s ON s.id = l.stage_ref
JOIN log_routes r ON r.id = l.route_ref;

-- Per-request metrics: an access log of recent requests, and rollups per
-- (API, stage, resource, method) over 1-minute, 5-minute and 1-hour periods
-- with latency histograms in fixed buckets (see server/src/metrics/hist.rs).

CREATE TABLE request_log (
    id              INTEGER PRIMARY KEY,           -- grows with time
    at_us           INTEGER NOT NULL,              -- request start, µs since the epoch
    api_id          TEXT NOT NULL,
    stage           TEXT NOT NULL,
    resource        TEXT NOT NULL,                 -- '(no route)' when nothing matched
    method          TEXT NOT NULL,
    path            TEXT NOT NULL,                 -- the path after the stage, as sent
    status          INTEGER NOT NULL,
    latency_us      INTEGER NOT NULL,
    integration_us  INTEGER,                       -- NULL when no backend was called
    key_id          TEXT,
    bytes_in        INTEGER NOT NULL,
    bytes_out       INTEGER NOT NULL,
    request_id      TEXT NOT NULL
);
CREATE INDEX request_log_stage ON request_log(api_id, stage, id);

CREATE TABLE metric_rollups (
    api_id             TEXT NOT NULL,
    stage              TEXT NOT NULL,
    period             INTEGER NOT NULL,           -- 60, 300 or 3600 seconds
    start              INTEGER NOT NULL,           -- seconds since the epoch, a multiple of period
    resource           TEXT NOT NULL,
    method             TEXT NOT NULL,
    count              INTEGER NOT NULL,
    error4xx           INTEGER NOT NULL,
    error5xx           INTEGER NOT NULL,
    latency_sum_us     INTEGER NOT NULL,
    integration_count  INTEGER NOT NULL,
    integration_sum_us INTEGER NOT NULL,
    bytes_in           INTEGER NOT NULL,
    bytes_out          INTEGER NOT NULL,
    latency_hist       BLOB NOT NULL,
    integration_hist   BLOB NOT NULL,
    PRIMARY KEY (api_id, stage, period, start, resource, method)
) WITHOUT ROWID;

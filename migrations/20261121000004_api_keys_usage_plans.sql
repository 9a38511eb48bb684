-- API keys (stored as SHA-256 of the value, never the value), usage plans,
-- the API stages each plan covers, the keys attached to each plan, and the
-- per-day request counts behind quotas and GetUsage.

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,                  -- 10 lowercase alphanumerics
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    customer_id  TEXT,
    enabled      INTEGER NOT NULL,
    key_hash     BLOB NOT NULL UNIQUE,               -- SHA-256 of the value
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE usage_plans (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    description  TEXT NOT NULL DEFAULT '',
    throttle     TEXT,                               -- JSON {rateLimit, burstLimit} or NULL
    quota        TEXT,                               -- JSON {limit, period, offset} or NULL
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE usage_plan_stages (
    plan_id      TEXT NOT NULL REFERENCES usage_plans(id) ON DELETE CASCADE,
    api_id       TEXT NOT NULL,
    stage        TEXT NOT NULL,
    position     INTEGER NOT NULL,
    throttle     TEXT NOT NULL DEFAULT '{}',         -- JSON "/path/METHOD" -> {rateLimit, burstLimit}
    PRIMARY KEY (plan_id, api_id, stage)
);
CREATE INDEX usage_plan_stages_stage ON usage_plan_stages(api_id, stage);

CREATE TABLE usage_plan_keys (
    plan_id      TEXT NOT NULL REFERENCES usage_plans(id) ON DELETE CASCADE,
    key_id       TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (plan_id, key_id)
);
CREATE INDEX usage_plan_keys_key ON usage_plan_keys(key_id);

-- Requests admitted per (plan, key, UTC day). Written in batches about once
-- a second by the gateway's usage flusher.
CREATE TABLE usage_days (
    plan_id      TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    day          TEXT NOT NULL,                      -- YYYY-MM-DD (UTC)
    used         INTEGER NOT NULL,
    PRIMARY KEY (plan_id, key_id, day),
    FOREIGN KEY (plan_id, key_id) REFERENCES usage_plan_keys(plan_id, key_id) ON DELETE CASCADE
);

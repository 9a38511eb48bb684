-- UpdateUsage's extensions of a key's remaining quota: requests granted
-- (or, negative, taken back) for one quota period of one key in one plan.
-- Remaining = limit - used + granted, for the period that starts at
-- `period_start` (seconds since the epoch).
CREATE TABLE usage_grants (
    plan_id      TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    period_start INTEGER NOT NULL,
    amount       INTEGER NOT NULL,
    PRIMARY KEY (plan_id, key_id, period_start),
    FOREIGN KEY (plan_id, key_id) REFERENCES usage_plan_keys(plan_id, key_id) ON DELETE CASCADE
);

-- Users get a role and can be disabled; sessions remember where they came
-- from; every change is written to an audit log.

-- Users that existed before roles could do everything: they stay admins.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'admin' CHECK (role IN ('admin', 'editor', 'viewer'));
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;

ALTER TABLE sessions ADD COLUMN source TEXT NOT NULL DEFAULT '';

-- Who changed what, when and from where. `username` is copied, so the
-- entry stays readable after the user is removed.
CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL,              -- unix milliseconds
    user_id   INTEGER,                       -- NULL for the command line
    username  TEXT NOT NULL,
    source    TEXT NOT NULL DEFAULT '',      -- client address, or 'cli'
    via       TEXT NOT NULL,                 -- console | control-api | cli
    action    TEXT NOT NULL,                 -- server function or 'METHOD /path'
    target    TEXT NOT NULL DEFAULT '',      -- what it acted on, in words
    status    INTEGER NOT NULL               -- HTTP status of the answer
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_user ON audit_log(username, at);

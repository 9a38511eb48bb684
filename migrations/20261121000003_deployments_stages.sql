-- Deployments (immutable snapshots of an API's configuration) and stages
-- (named pointers to one deployment, with variables and method settings).

CREATE TABLE deployments (
    id            TEXT PRIMARY KEY,                 -- 10 lowercase alphanumerics
    api_id        TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    description   TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    api_revision  INTEGER NOT NULL,                 -- rest_apis.revision when taken
    snapshot      TEXT NOT NULL                     -- JSON: the resource tree with methods
);
CREATE INDEX deployments_api ON deployments(api_id, created_at);

CREATE TABLE stages (
    api_id          TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    deployment_id   TEXT NOT NULL REFERENCES deployments(id),
    description     TEXT NOT NULL DEFAULT '',
    variables       TEXT NOT NULL DEFAULT '{}',     -- JSON object name -> value
    method_settings TEXT NOT NULL DEFAULT '{}',     -- JSON object "path/METHOD" -> settings
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (api_id, name)
);

-- REST APIs and their configuration: resources, methods, integrations and
-- the responses MOCK integrations answer with. Names follow AWS API Gateway.

CREATE TABLE rest_apis (
    id               TEXT PRIMARY KEY,          -- 10 lowercase alphanumerics
    name             TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,          -- unix seconds
    root_resource_id TEXT NOT NULL,
    -- bumped on every configuration change, so "changes since last deploy" is a comparison
    revision         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE resources (
    id         TEXT PRIMARY KEY,                -- 10 lowercase alphanumerics
    api_id     TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    parent_id  TEXT REFERENCES resources(id) ON DELETE CASCADE,  -- NULL for the root
    path_part  TEXT NOT NULL,                   -- '' for the root
    path       TEXT NOT NULL,                   -- full path, e.g. /pets/{id}
    UNIQUE (api_id, path)
);
CREATE INDEX resources_parent ON resources(parent_id);

CREATE TABLE methods (
    resource_id        TEXT NOT NULL REFERENCES resources(id) ON DELETE CASCADE,
    http_method        TEXT NOT NULL,           -- GET … or ANY
    authorization_type TEXT NOT NULL DEFAULT 'NONE',
    api_key_required   INTEGER NOT NULL DEFAULT 0,
    operation_name     TEXT,
    PRIMARY KEY (resource_id, http_method)
);

CREATE TABLE integrations (
    resource_id         TEXT NOT NULL,
    http_method         TEXT NOT NULL,
    type                TEXT NOT NULL,          -- HTTP_PROXY | HTTP | MOCK
    integration_method  TEXT,                   -- the backend's verb
    uri                 TEXT,
    timeout_ms          INTEGER NOT NULL DEFAULT 29000,
    passthrough         TEXT NOT NULL DEFAULT 'WHEN_NO_MATCH',
    request_templates   TEXT NOT NULL DEFAULT '{}',   -- JSON object
    request_parameters  TEXT NOT NULL DEFAULT '{}',   -- JSON object
    PRIMARY KEY (resource_id, http_method),
    FOREIGN KEY (resource_id, http_method) REFERENCES methods(resource_id, http_method) ON DELETE CASCADE
);

CREATE TABLE method_responses (
    resource_id         TEXT NOT NULL,
    http_method         TEXT NOT NULL,
    status_code         TEXT NOT NULL,
    response_parameters TEXT NOT NULL DEFAULT '{}',   -- JSON: name -> required
    response_models     TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (resource_id, http_method, status_code),
    FOREIGN KEY (resource_id, http_method) REFERENCES methods(resource_id, http_method) ON DELETE CASCADE
);

CREATE TABLE integration_responses (
    resource_id         TEXT NOT NULL,
    http_method         TEXT NOT NULL,
    status_code         TEXT NOT NULL,
    selection_pattern   TEXT,
    response_parameters TEXT NOT NULL DEFAULT '{}',   -- JSON: method.response.header.X -> 'value'
    response_templates  TEXT NOT NULL DEFAULT '{}',   -- JSON: content type -> body
    PRIMARY KEY (resource_id, http_method, status_code),
    FOREIGN KEY (resource_id, http_method) REFERENCES integrations(resource_id, http_method) ON DELETE CASCADE
);

-- Access keys for the control API (AWS Signature V4). The secret is kept
-- encrypted with the server key in data/…key file, never in plain text.
CREATE TABLE access_keys (
    access_key_id    TEXT PRIMARY KEY,         -- AKIA… style, 20 characters
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret_sealed    TEXT NOT NULL,            -- nonce||ciphertext, hex
    description      TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    last_used_at     INTEGER
);

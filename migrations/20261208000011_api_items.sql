-- An API's configuration objects beyond its resource tree, each stored as
-- the JSON document AWS's control API reads and writes: models, request
-- validators, gateway responses, documentation parts and versions, and
-- authorizers. `name` is what must be unique within an API and kind (a
-- model's name, a gateway response's type, a documentation part's
-- location); kinds without such a rule store the id there. And the
-- account-wide settings AWS's GetAccount/UpdateAccount serve.

CREATE TABLE api_items (
    api_id TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    name   TEXT NOT NULL,
    body   TEXT NOT NULL,
    PRIMARY KEY (api_id, kind, id),
    UNIQUE (api_id, kind, name)
);

-- Every API has AWS's two default models, Empty and Error; APIs made before
-- models were stored get them here (new ones when they are created).
INSERT INTO api_items (api_id, kind, id, name, body)
SELECT id, 'model', lower(hex(randomblob(5))), 'Empty',
       json_object('name', 'Empty', 'description', 'This is a default empty schema model', 'contentType', 'application/json',
                   'schema', '{' || char(10) || '  "$schema": "http://json-schema.org/draft-04/schema#",' || char(10) || '  "title" : "Empty Schema",' || char(10) || '  "type" : "object"' || char(10) || '}')
FROM rest_apis;
INSERT INTO api_items (api_id, kind, id, name, body)
SELECT id, 'model', lower(hex(randomblob(5))), 'Error',
       json_object('name', 'Error', 'description', 'This is a default error schema model', 'contentType', 'application/json',
                   'schema', '{' || char(10) || '  "$schema" : "http://json-schema.org/draft-04/schema#",' || char(10) || '  "title" : "Error Schema",' || char(10) || '  "type" : "object",' || char(10) || '  "properties" : {' || char(10) || '    "message" : { "type" : "string" }' || char(10) || '  }' || char(10) || '}')
FROM rest_apis;

CREATE TABLE account_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A method's request validator (by id) and its OAuth scopes, as AWS's Method has them.
ALTER TABLE methods ADD COLUMN request_validator_id TEXT;
ALTER TABLE methods ADD COLUMN authorization_scopes TEXT NOT NULL DEFAULT '[]';

-- AWS's RestApi attributes beyond its name and description (endpoint type,
-- binary media types, API key source, policy, …) as one JSON object, read
-- with defaults for what it lacks; and the tags of every taggable resource,
-- by the resource path of its ARN (`/restapis/{id}`,
-- `/restapis/{id}/stages/{name}`, `/apikeys/{id}`, `/usageplans/{id}`),
-- removed with the resource.

ALTER TABLE rest_apis ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';

CREATE TABLE tags (
    resource TEXT NOT NULL,
    key      TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (resource, key)
);

-- A deleted resource takes its tags with it, however it was deleted (a
-- stage also goes when its API does).
CREATE TRIGGER rest_apis_tags AFTER DELETE ON rest_apis BEGIN
    DELETE FROM tags WHERE resource = '/restapis/' || old.id OR resource LIKE '/restapis/' || old.id || '/%';
END;
CREATE TRIGGER stages_tags AFTER DELETE ON stages BEGIN
    DELETE FROM tags WHERE resource = '/restapis/' || old.api_id || '/stages/' || old.name;
END;
CREATE TRIGGER api_keys_tags AFTER DELETE ON api_keys BEGIN
    DELETE FROM tags WHERE resource = '/apikeys/' || old.id;
END;
CREATE TRIGGER usage_plans_tags AFTER DELETE ON usage_plans BEGIN
    DELETE FROM tags WHERE resource = '/usageplans/' || old.id;
END;

-- An integration's AWS fields beyond the backend call (connectionType,
-- credentials, cacheNamespace, cacheKeyParameters), as one JSON object
-- read with defaults.
ALTER TABLE integrations ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';

-- A stage's attributes beyond its deployment, variables and method
-- settings, as AWS's Stage has them (accessLogSettings,
-- documentationVersion): one JSON object, read with defaults.
ALTER TABLE stages ADD COLUMN settings TEXT NOT NULL DEFAULT '{}';

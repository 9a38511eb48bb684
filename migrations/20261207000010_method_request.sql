-- What a method declares about its request, as AWS's Method does:
-- requestParameters (`method.request.querystring.q` → required) and
-- requestModels (content type → model name), JSON objects.

ALTER TABLE methods ADD COLUMN request_parameters TEXT NOT NULL DEFAULT '{}';
ALTER TABLE methods ADD COLUMN request_models TEXT NOT NULL DEFAULT '{}';

//! REST APIs and their configuration tree: resources, methods, integrations,
//! method responses and integration responses. Every change bumps the API's
//! revision, which is how "changed since the last deploy" is known.

use std::collections::BTreeMap;

use apigw_app::model::{Integration, IntegrationResponse, Method, MethodResponse, Resource, RestApi, RestApiSettings};
use sqlx::{Sqlite, Transaction};

use super::{is_unique_violation, now_secs, to_json, touched, Store, StoreError};

/// A fresh id: 10 lowercase alphanumerics, as AWS's are.
pub fn new_id() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..10).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

type ApiRow = (String, String, String, i64, String, String);

/// Settings a row cannot read (written by a later version) fall back to
/// AWS's defaults rather than failing every read of the API.
fn api_from_row((id, name, description, created, root, settings): ApiRow) -> RestApi {
    RestApi {
        id,
        name,
        description: (!description.is_empty()).then_some(description),
        created_date: created,
        root_resource_id: root,
        settings: serde_json::from_str::<RestApiSettings>(&settings).unwrap_or_default(),
        tags: BTreeMap::new(),
    }
}

const API_COLUMNS: &str = "id, name, description, created_at, root_resource_id, settings";

fn json_map<V: serde::de::DeserializeOwned>(text: &str) -> BTreeMap<String, V> {
    serde_json::from_str(text).unwrap_or_default()
}

/// The fields PutIntegration stores.
#[derive(Debug, Clone)]
pub struct IntegrationRow {
    pub kind: String,
    pub integration_method: Option<String>,
    pub uri: Option<String>,
    pub timeout_ms: i64,
    pub passthrough: String,
    pub request_parameters: BTreeMap<String, String>,
    pub request_templates: BTreeMap<String, String>,
    pub extra: IntegrationExtra,
}

/// An integration's fields the gateway does not act on, kept as AWS keeps them.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationExtra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cache_key_parameters: Vec<String>,
}

pub(super) async fn bump(tx: &mut Transaction<'_, Sqlite>, api_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE rest_apis SET revision = revision + 1 WHERE id = ?1").bind(api_id).execute(&mut **tx).await?;
    Ok(())
}

type Statement<'q> = sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// What a configuration change must not do.
pub(super) enum Guard<'a> {
    /// Nothing extra.
    None,
    /// Touching no row means the thing does not exist.
    MustTouch,
    /// A uniqueness violation is a conflict with this message.
    Unique(&'a str),
}

impl Store {
    /// Runs one statement that changes an API's configuration, together with
    /// the revision bump, in one transaction.
    pub(super) async fn change(&self, api_id: &str, statement: Statement<'_>, guard: Guard<'_>) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let done = statement.execute(&mut *tx).await.map_err(|e| match guard {
            Guard::Unique(msg) if is_unique_violation(&e) => StoreError::Conflict(msg.to_string()),
            _ => e.into(),
        })?;
        if matches!(guard, Guard::MustTouch) {
            touched(done)?;
        }
        bump(&mut tx, api_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates an API with its root resource `/`, its tags and the objects
    /// every API starts with (AWS's default models).
    #[tracing::instrument(skip_all)]
    pub async fn create_api(
        &self,
        name: &str,
        description: &str,
        settings: &RestApiSettings,
        tags: &BTreeMap<String, String>,
        starting: &[(super::items::ItemKind, super::items::Item)],
    ) -> Result<RestApi, StoreError> {
        let (id, root) = (new_id(), new_id());
        let created = now_secs();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO rest_apis (id, name, description, created_at, root_resource_id, settings) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&id)
        .bind(name)
        .bind(description)
        .bind(created)
        .bind(&root)
        .bind(to_json(settings))
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO resources (id, api_id, parent_id, path_part, path) VALUES (?1, ?2, NULL, '', '/')")
            .bind(&root)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        super::tags::insert_tags(&mut tx, &format!("/restapis/{id}"), tags).await?;
        for (kind, it) in starting {
            super::items::insert_item(&mut tx, &id, *kind, it).await?;
        }
        tx.commit().await?;
        let mut api = api_from_row((id, name.into(), description.into(), created, root, to_json(settings)));
        api.tags = tags.clone();
        Ok(api)
    }

    /// APIs ordered by id, `limit` at a time after `position` (an id).
    #[tracing::instrument(skip_all)]
    pub async fn list_apis(&self, after: Option<&str>, limit: i64) -> Result<Vec<RestApi>, StoreError> {
        let rows: Vec<ApiRow> = sqlx::query_as(&format!("SELECT {API_COLUMNS} FROM rest_apis WHERE id > ?1 ORDER BY id LIMIT ?2"))
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
        let mut apis: Vec<RestApi> = rows.into_iter().map(api_from_row).collect();
        for api in &mut apis {
            api.tags = self.tags(&format!("/restapis/{}", api.id)).await?;
        }
        Ok(apis)
    }

    #[tracing::instrument(skip_all)]
    pub async fn get_api(&self, id: &str) -> Result<RestApi, StoreError> {
        let row: Option<ApiRow> =
            sqlx::query_as(&format!("SELECT {API_COLUMNS} FROM rest_apis WHERE id = ?1")).bind(id).fetch_optional(self.pool()).await?;
        let mut api = row.map(api_from_row).ok_or(StoreError::NotFound)?;
        api.tags = self.tags(&format!("/restapis/{id}")).await?;
        Ok(api)
    }

    /// The API's configuration revision: bumped by every change.
    pub async fn api_revision(&self, id: &str) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT revision FROM rest_apis WHERE id = ?1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    pub async fn update_api(&self, id: &str, name: &str, description: &str, settings: &RestApiSettings) -> Result<(), StoreError> {
        let q = sqlx::query("UPDATE rest_apis SET name = ?2, description = ?3, settings = ?4 WHERE id = ?1")
            .bind(id)
            .bind(name)
            .bind(description)
            .bind(to_json(settings));
        self.change(id, q, Guard::MustTouch).await
    }

    /// Deletes an API and everything in it (its tags go by a trigger).
    #[tracing::instrument(skip_all)]
    pub async fn delete_api(&self, id: &str) -> Result<(), StoreError> {
        let n = sqlx::query("DELETE FROM rest_apis WHERE id = ?1").bind(id).execute(self.pool()).await?;
        touched(n)
    }

    /// Every resource of an API with its methods, integrations and responses:
    /// the whole configuration tree, ordered by path.
    #[tracing::instrument(skip_all)]
    pub async fn api_tree(&self, api_id: &str) -> Result<Vec<Resource>, StoreError> {
        let resources: Vec<(String, Option<String>, String, String)> =
            sqlx::query_as("SELECT id, parent_id, path_part, path FROM resources WHERE api_id = ?1 ORDER BY path")
                .bind(api_id)
                .fetch_all(self.pool())
                .await?;
        if resources.is_empty() {
            return Err(StoreError::NotFound);
        }
        type MethodRow = (String, String, String, bool, Option<String>, String, String, Option<String>, String);
        let methods: Vec<MethodRow> = sqlx::query_as(
            "SELECT m.resource_id, m.http_method, m.authorization_type, m.api_key_required, m.operation_name,
                    m.request_parameters, m.request_models, m.request_validator_id, m.authorization_scopes
             FROM methods m JOIN resources r ON r.id = m.resource_id WHERE r.api_id = ?1",
        )
        .bind(api_id)
        .fetch_all(self.pool())
        .await?;
        type IntRow = (String, String, String, Option<String>, Option<String>, i64, String, String, String, String);
        let integrations: Vec<IntRow> = sqlx::query_as(
            "SELECT i.resource_id, i.http_method, i.type, i.integration_method, i.uri, i.timeout_ms,
                    i.passthrough, i.request_parameters, i.request_templates, i.extra
             FROM integrations i JOIN resources r ON r.id = i.resource_id WHERE r.api_id = ?1",
        )
        .bind(api_id)
        .fetch_all(self.pool())
        .await?;
        let method_responses: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT x.resource_id, x.http_method, x.status_code, x.response_parameters, x.response_models
             FROM method_responses x JOIN resources r ON r.id = x.resource_id WHERE r.api_id = ?1",
        )
        .bind(api_id)
        .fetch_all(self.pool())
        .await?;
        let integration_responses: Vec<(String, String, String, Option<String>, String, String)> = sqlx::query_as(
            "SELECT x.resource_id, x.http_method, x.status_code, x.selection_pattern, x.response_parameters,
                    x.response_templates
             FROM integration_responses x JOIN resources r ON r.id = x.resource_id WHERE r.api_id = ?1",
        )
        .bind(api_id)
        .fetch_all(self.pool())
        .await?;

        let mut by_key: BTreeMap<(String, String), Method> = methods
            .into_iter()
            .map(|(rid, verb, auth, key, op, params, models, validator, scopes)| {
                let m = Method {
                    http_method: verb.clone(),
                    authorization_type: auth,
                    api_key_required: key,
                    operation_name: op,
                    request_parameters: json_map(&params),
                    request_models: json_map(&models),
                    request_validator_id: validator,
                    authorization_scopes: serde_json::from_str(&scopes).unwrap_or_default(),
                    method_responses: None,
                    method_integration: None,
                };
                ((rid, verb), m)
            })
            .collect();
        for (rid, verb, kind, imethod, uri, timeout, pass, params, templates, extra) in integrations {
            if let Some(m) = by_key.get_mut(&(rid.clone(), verb)) {
                let extra: IntegrationExtra = serde_json::from_str(&extra).unwrap_or_default();
                m.method_integration = Some(Integration {
                    connection_type: (kind != "MOCK").then(|| "INTERNET".to_string()),
                    credentials: extra.credentials,
                    kind,
                    http_method: imethod,
                    uri,
                    timeout_in_millis: timeout,
                    passthrough_behavior: pass,
                    // AWS's default namespace is the resource's id.
                    cache_namespace: extra.cache_namespace.unwrap_or(rid),
                    cache_key_parameters: extra.cache_key_parameters,
                    request_parameters: json_map(&params),
                    request_templates: json_map(&templates),
                    integration_responses: None,
                });
            }
        }
        for (rid, verb, code, params, models) in method_responses {
            if let Some(m) = by_key.get_mut(&(rid, verb)) {
                m.method_responses.get_or_insert_with(BTreeMap::new).insert(
                    code.clone(),
                    MethodResponse { status_code: code, response_parameters: json_map(&params), response_models: json_map(&models) },
                );
            }
        }
        for (rid, verb, code, pattern, params, templates) in integration_responses {
            if let Some(i) = by_key.get_mut(&(rid, verb)).and_then(|m| m.method_integration.as_mut()) {
                i.integration_responses.get_or_insert_with(BTreeMap::new).insert(
                    code.clone(),
                    IntegrationResponse {
                        status_code: code,
                        selection_pattern: pattern,
                        response_parameters: json_map(&params),
                        response_templates: json_map(&templates),
                    },
                );
            }
        }
        let mut tree: Vec<Resource> = resources
            .into_iter()
            .map(|(id, parent_id, part, path)| Resource {
                id,
                parent_id,
                path_part: (!part.is_empty()).then_some(part),
                path,
                resource_methods: None,
            })
            .collect();
        for ((rid, verb), m) in by_key {
            if let Some(r) = tree.iter_mut().find(|r| r.id == rid) {
                r.resource_methods.get_or_insert_with(BTreeMap::new).insert(verb, m);
            }
        }
        Ok(tree)
    }

    /// Adds a resource under `parent` with the already-computed full `path`.
    #[tracing::instrument(skip_all)]
    pub async fn create_resource(&self, api_id: &str, parent_id: &str, path_part: &str, path: &str) -> Result<Resource, StoreError> {
        let id = new_id();
        let q = sqlx::query("INSERT INTO resources (id, api_id, parent_id, path_part, path) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(&id)
            .bind(api_id)
            .bind(parent_id)
            .bind(path_part)
            .bind(path);
        let conflict = format!("Another resource with the same parent already has this name: {path_part}");
        self.change(api_id, q, Guard::Unique(&conflict)).await?;
        Ok(Resource { id, parent_id: Some(parent_id.into()), path_part: Some(path_part.into()), path: path.into(), resource_methods: None })
    }

    /// Deletes a resource and, through the foreign keys, everything under it.
    #[tracing::instrument(skip_all)]
    pub async fn delete_resource(&self, api_id: &str, id: &str) -> Result<(), StoreError> {
        let q = sqlx::query("DELETE FROM resources WHERE api_id = ?1 AND id = ?2").bind(api_id).bind(id);
        self.change(api_id, q, Guard::MustTouch).await
    }

    /// Adds a method; an existing one is a conflict, as in AWS.
    #[tracing::instrument(skip_all)]
    pub async fn insert_method(&self, api_id: &str, resource_id: &str, m: &Method) -> Result<(), StoreError> {
        let q = sqlx::query(
            "INSERT INTO methods (resource_id, http_method, authorization_type, api_key_required, operation_name,
                                  request_parameters, request_models, request_validator_id, authorization_scopes)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .bind(resource_id)
        .bind(&m.http_method)
        .bind(&m.authorization_type)
        .bind(m.api_key_required)
        .bind(&m.operation_name)
        .bind(to_json(&m.request_parameters))
        .bind(to_json(&m.request_models))
        .bind(&m.request_validator_id)
        .bind(to_json(&m.authorization_scopes));
        let conflict = "Method already exists for this resource".to_string();
        self.change(api_id, q, Guard::Unique(&conflict)).await
    }

    /// Changes a method's own fields (not its integration or responses).
    #[tracing::instrument(skip_all)]
    pub async fn update_method(&self, api_id: &str, resource_id: &str, m: &Method) -> Result<(), StoreError> {
        let q = sqlx::query(
            "UPDATE methods SET api_key_required = ?3, operation_name = ?4, request_parameters = ?5, request_models = ?6,
                                request_validator_id = ?7, authorization_scopes = ?8
             WHERE resource_id = ?1 AND http_method = ?2",
        )
        .bind(resource_id)
        .bind(&m.http_method)
        .bind(m.api_key_required)
        .bind(&m.operation_name)
        .bind(to_json(&m.request_parameters))
        .bind(to_json(&m.request_models))
        .bind(&m.request_validator_id)
        .bind(to_json(&m.authorization_scopes));
        self.change(api_id, q, Guard::MustTouch).await
    }

    /// Deletes a row of a method-level table (the method itself, or its
    /// integration) by resource and verb.
    async fn delete_method_row(&self, table: MethodTable, api_id: &str, resource_id: &str, verb: &str) -> Result<(), StoreError> {
        let sql = match table {
            MethodTable::Method => "DELETE FROM methods WHERE resource_id = ?1 AND http_method = ?2",
            MethodTable::Integration => "DELETE FROM integrations WHERE resource_id = ?1 AND http_method = ?2",
        };
        self.change(api_id, sqlx::query(sql).bind(resource_id).bind(verb), Guard::MustTouch).await
    }

    pub async fn delete_method(&self, api_id: &str, resource_id: &str, verb: &str) -> Result<(), StoreError> {
        self.delete_method_row(MethodTable::Method, api_id, resource_id, verb).await
    }

    pub async fn delete_integration(&self, api_id: &str, resource_id: &str, verb: &str) -> Result<(), StoreError> {
        self.delete_method_row(MethodTable::Integration, api_id, resource_id, verb).await
    }

    /// Sets a method's integration, replacing any earlier one (and its responses).
    #[tracing::instrument(skip_all)]
    pub async fn put_integration(&self, api_id: &str, resource_id: &str, verb: &str, row: &IntegrationRow) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM integrations WHERE resource_id = ?1 AND http_method = ?2")
            .bind(resource_id)
            .bind(verb)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO integrations (resource_id, http_method, type, integration_method, uri, timeout_ms,
                                       passthrough, request_parameters, request_templates, extra)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .bind(resource_id)
        .bind(verb)
        .bind(&row.kind)
        .bind(&row.integration_method)
        .bind(&row.uri)
        .bind(row.timeout_ms)
        .bind(&row.passthrough)
        .bind(to_json(&row.request_parameters))
        .bind(to_json(&row.request_templates))
        .bind(to_json(&row.extra))
        .execute(&mut *tx)
        .await?;
        bump(&mut tx, api_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a method response for a status code (replacing one that exists).
    #[tracing::instrument(skip_all)]
    pub async fn put_method_response(&self, api_id: &str, resource_id: &str, verb: &str, r: &MethodResponse) -> Result<(), StoreError> {
        let q = sqlx::query(
            "INSERT OR REPLACE INTO method_responses (resource_id, http_method, status_code, response_parameters, response_models)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(resource_id)
        .bind(verb)
        .bind(&r.status_code)
        .bind(to_json(&r.response_parameters))
        .bind(to_json(&r.response_models));
        self.change(api_id, q, Guard::None).await
    }

    /// Sets an integration response for a status code (replacing one that exists).
    #[tracing::instrument(skip_all)]
    pub async fn put_integration_response(
        &self,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        r: &IntegrationResponse,
    ) -> Result<(), StoreError> {
        let q = sqlx::query(
            "INSERT OR REPLACE INTO integration_responses
                (resource_id, http_method, status_code, selection_pattern, response_parameters, response_templates)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(resource_id)
        .bind(verb)
        .bind(&r.status_code)
        .bind(&r.selection_pattern)
        .bind(to_json(&r.response_parameters))
        .bind(to_json(&r.response_templates));
        self.change(api_id, q, Guard::None).await
    }
}

#[derive(Clone, Copy)]
enum MethodTable {
    Method,
    Integration,
}

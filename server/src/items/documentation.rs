//! Documentation parts and versions, as AWS's documentation operations have
//! them: a part is a JSON `properties` text attached to a location in the
//! API (the API, a resource, a method, a parameter, a response…); a version
//! is a named snapshot of all parts. Stored now; exports include them with
//! the OpenAPI work.

use apigw_app::error::AppError;
use apigw_app::model::PatchOperation;
use serde::{Deserialize, Serialize};

use super::{new_id, replaced};
use crate::apis::Apis;
use crate::store::items::{Item, ItemKind};

/// Where a documentation part applies.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DocumentationPart {
    #[serde(default)]
    pub id: String,
    pub location: Location,
    pub properties: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct CreateDocumentationPartInput {
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub properties: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct DocumentationVersion {
    pub version: String,
    pub created_date: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The parts as they were when the version was made (not on the wire).
    #[serde(default, skip_serializing)]
    pub parts: Vec<DocumentationPart>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateDocumentationVersionInput {
    #[serde(default)]
    pub documentation_version: Option<String>,
    #[serde(default)]
    pub stage_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Filters of GetDocumentationParts.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartsQuery {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
}

const TYPES: &[&str] = &[
    "API",
    "AUTHORIZER",
    "MODEL",
    "RESOURCE",
    "METHOD",
    "PATH_PARAMETER",
    "QUERY_PARAMETER",
    "REQUEST_HEADER",
    "REQUEST_BODY",
    "RESPONSE",
    "RESPONSE_HEADER",
    "RESPONSE_BODY",
];
const PART_MISSING: &str = "Invalid Documentation part identifier specified";
const VERSION_MISSING: &str = "Invalid Documentation version identifier specified";

/// A location as AWS normalises it: its type's fields with their defaults
/// (`path` `/`, `method` and `statusCode` `*`), fields the type does not
/// take refused, names required where the type needs one.
pub(crate) fn normalise(mut l: Location) -> Result<Location, AppError> {
    let t = l.kind.as_str();
    if !TYPES.contains(&t) {
        return Err(AppError::constraint(
            "location.type",
            format!(
                "1 validation error detected: Value '{t}' at 'createDocumentationPartInput.location.type' failed to satisfy constraint: \
                 Member must satisfy enum value set: [{}]",
                TYPES.join(", ")
            ),
        ));
    }
    let (path, method, status, name) = match t {
        "API" => (false, false, false, false),
        "RESOURCE" => (true, false, false, false),
        "METHOD" | "REQUEST_BODY" => (true, true, false, false),
        "PATH_PARAMETER" | "QUERY_PARAMETER" | "REQUEST_HEADER" => (true, true, false, true),
        "RESPONSE" | "RESPONSE_BODY" => (true, true, true, false),
        "RESPONSE_HEADER" => (true, true, true, true),
        _ => (false, false, false, true), // AUTHORIZER, MODEL
    };
    let refuse =
        |field: &str| AppError::invalid(format!("location.{field}"), format!("Invalid location: {field} is not valid for type {t}."));
    if !path && l.path.is_some() {
        return Err(refuse("path"));
    }
    if !method && l.method.is_some() {
        return Err(refuse("method"));
    }
    if !status && l.status_code.is_some() {
        return Err(refuse("statusCode"));
    }
    if !name && l.name.is_some() {
        return Err(refuse("name"));
    }
    if name && t != "QUERY_PARAMETER" && l.name.as_deref().unwrap_or("").is_empty() {
        return Err(AppError::invalid("location.name", format!("Invalid location: name is required for type {t}.")));
    }
    if path {
        let p = l.path.get_or_insert_with(|| "/".into());
        if !p.starts_with('/') {
            return Err(AppError::invalid("location.path", format!("Invalid location: path '{p}' must start with '/'.")));
        }
    }
    if method {
        l.method.get_or_insert_with(|| "*".into());
    }
    if status {
        l.status_code.get_or_insert_with(|| "*".into());
    }
    Ok(l)
}

/// The location as one string: documentation parts are unique per location.
fn location_key(l: &Location) -> String {
    format!(
        "{}|{}|{}|{}|{}",
        l.kind,
        l.path.as_deref().unwrap_or(""),
        l.method.as_deref().unwrap_or(""),
        l.status_code.as_deref().unwrap_or(""),
        l.name.as_deref().unwrap_or("")
    )
}

/// Whether a location as a document gives it is one already stored (normalised).
pub fn same_location(stored: &Location, given: &Location) -> bool {
    normalise(given.clone()).is_ok_and(|g| location_key(&g) == location_key(stored))
}

pub(crate) fn check_properties(p: &str) -> Result<(), AppError> {
    match serde_json::from_str::<serde_json::Value>(p) {
        Ok(serde_json::Value::Object(_)) if p.len() <= 32 * 1024 => Ok(()),
        Ok(serde_json::Value::Object(_)) => Err(AppError::invalid("properties", "properties is at most 32 KB.")),
        _ => Err(AppError::invalid("properties", "properties must be a JSON object, e.g. {\"description\": \"…\"}.")),
    }
}

fn part_item(p: &DocumentationPart) -> Item {
    Item { id: p.id.clone(), name: location_key(&p.location), body: serde_json::to_value(p).unwrap_or_default() }
}

fn part(it: Item) -> Option<DocumentationPart> {
    let mut p: DocumentationPart = serde_json::from_value(it.body).ok()?;
    p.id = it.id;
    Some(p)
}

const TAKEN: &str = "Documentation part already exists for the specified location";

impl Apis {
    pub async fn create_documentation_part(&self, api: &str, input: CreateDocumentationPartInput) -> Result<DocumentationPart, AppError> {
        self.api_exists(api).await?;
        let location = normalise(input.location.ok_or_else(|| AppError::invalid("location", "location is required."))?)?;
        let properties = input.properties.ok_or_else(|| AppError::invalid("properties", "properties is required."))?;
        check_properties(&properties)?;
        let p = DocumentationPart { id: new_id(), location, properties };
        self.insert_item(api, ItemKind::DocumentationPart, &part_item(&p), TAKEN).await?;
        Ok(p)
    }

    pub async fn documentation_parts(&self, api: &str, q: &PartsQuery) -> Result<Vec<DocumentationPart>, AppError> {
        self.api_exists(api).await?;
        let all = self.store.items(api, ItemKind::DocumentationPart).await.map_err(crate::auth::internal)?;
        Ok(all
            .into_iter()
            .filter_map(part)
            .filter(|p| q.kind.as_deref().is_none_or(|k| p.location.kind == k))
            .filter(|p| q.path.as_deref().is_none_or(|x| p.location.path.as_deref() == Some(x)))
            .filter(|p| q.name.as_deref().is_none_or(|x| p.location.name.as_deref().is_some_and(|n| n.contains(x))))
            .collect())
    }

    pub async fn documentation_part(&self, api: &str, id: &str) -> Result<DocumentationPart, AppError> {
        let it = self.item(api, ItemKind::DocumentationPart, id, false, PART_MISSING).await?;
        part(it).ok_or_else(|| AppError::NotFound(PART_MISSING.into()))
    }

    /// UpdateDocumentationPart: `replace` on `/properties`.
    pub async fn update_documentation_part(&self, api: &str, id: &str, ops: &[PatchOperation]) -> Result<DocumentationPart, AppError> {
        let mut p = self.documentation_part(api, id).await?;
        for op in ops {
            match op.path.as_str() {
                "/properties" => {
                    let v = replaced(op)?;
                    check_properties(v)?;
                    p.properties = v.to_string();
                }
                _ => return Err(super::bad_path(op, "/properties")),
            }
        }
        self.update_item(api, ItemKind::DocumentationPart, &part_item(&p), TAKEN).await?;
        Ok(p)
    }

    pub async fn delete_documentation_part(&self, api: &str, id: &str) -> Result<(), AppError> {
        self.api_exists(api).await?;
        self.delete_item(api, ItemKind::DocumentationPart, id, PART_MISSING).await
    }

    /// CreateDocumentationVersion: a snapshot of the parts; with `stageName`,
    /// that stage's `documentationVersion` becomes this version.
    pub async fn create_documentation_version(
        &self,
        api: &str,
        input: CreateDocumentationVersionInput,
    ) -> Result<DocumentationVersion, AppError> {
        self.api_exists(api).await?;
        let version = input
            .documentation_version
            .filter(|v| !v.is_empty())
            .ok_or_else(|| AppError::invalid("documentationVersion", "documentationVersion is required: the version's name, e.g. 1.0."))?;
        if version.len() > 64 {
            return Err(AppError::invalid("documentationVersion", "documentationVersion is at most 64 characters."));
        }
        let stage = match input.stage_name.as_deref().filter(|s| !s.is_empty()) {
            Some(name) => Some(
                self.store.get_stage(api, name).await.map_err(|_| AppError::invalid("stageName", "Invalid Stage identifier specified"))?,
            ),
            None => None,
        };
        let parts = self.documentation_parts(api, &PartsQuery::default()).await?;
        let v = DocumentationVersion {
            version: version.clone(),
            created_date: crate::store::now_secs(),
            description: input.description.filter(|d| !d.is_empty()),
            parts,
        };
        let it = Item { id: version.clone(), name: version, body: serde_json::to_value(Stored(&v)).unwrap_or_default() };
        self.insert_item(api, ItemKind::DocumentationVersion, &it, "Documentation version already exists").await?;
        // With a stage, the version is published to it (the stage's documentationVersion).
        if let Some(mut stage) = stage {
            stage.documentation_version = Some(v.version.clone());
            self.store.save_stage(api, &stage).await.map_err(crate::auth::internal)?;
        }
        Ok(v)
    }

    pub async fn documentation_versions(&self, api: &str) -> Result<Vec<DocumentationVersion>, AppError> {
        self.api_exists(api).await?;
        let all = self.store.items(api, ItemKind::DocumentationVersion).await.map_err(crate::auth::internal)?;
        Ok(all.into_iter().filter_map(|it| serde_json::from_value(it.body).ok()).collect())
    }

    pub async fn documentation_version(&self, api: &str, version: &str) -> Result<DocumentationVersion, AppError> {
        let it = self.item(api, ItemKind::DocumentationVersion, version, false, VERSION_MISSING).await?;
        serde_json::from_value(it.body).map_err(crate::auth::internal)
    }

    /// UpdateDocumentationVersion: `replace` on `/description`.
    pub async fn update_documentation_version(
        &self,
        api: &str,
        version: &str,
        ops: &[PatchOperation],
    ) -> Result<DocumentationVersion, AppError> {
        let mut v = self.documentation_version(api, version).await?;
        for op in ops {
            match op.path.as_str() {
                "/description" => v.description = Some(replaced(op)?.to_string()).filter(|d| !d.is_empty()),
                _ => return Err(super::bad_path(op, "/description")),
            }
        }
        let it = Item { id: v.version.clone(), name: v.version.clone(), body: serde_json::to_value(Stored(&v)).unwrap_or_default() };
        self.update_item(api, ItemKind::DocumentationVersion, &it, "Documentation version already exists").await?;
        Ok(v)
    }

    pub async fn delete_documentation_version(&self, api: &str, version: &str) -> Result<(), AppError> {
        self.api_exists(api).await?;
        self.delete_item(api, ItemKind::DocumentationVersion, version, VERSION_MISSING).await
    }
}

/// A version as stored: with its parts, which the wire shape leaves out.
struct Stored<'a>(&'a DocumentationVersion);

impl Serialize for Stored<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let v = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("version", &v.version)?;
        m.serialize_entry("createdDate", &v.created_date)?;
        if let Some(d) = &v.description {
            m.serialize_entry("description", d)?;
        }
        m.serialize_entry("parts", &v.parts)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_take_their_types_fields_and_defaults() {
        let l = normalise(Location { kind: "METHOD".into(), ..Default::default() }).unwrap();
        assert_eq!((l.path.as_deref(), l.method.as_deref()), (Some("/"), Some("*")));
        assert!(normalise(Location { kind: "API".into(), path: Some("/".into()), ..Default::default() }).is_err());
        assert!(normalise(Location { kind: "REQUEST_HEADER".into(), ..Default::default() }).is_err());
        let e = normalise(Location { kind: "INVALID".into(), ..Default::default() }).unwrap_err();
        assert!(matches!(e, AppError::Constraint { .. }), "{e:?}");
    }
}

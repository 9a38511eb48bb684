//! Models: named JSON Schemas (draft 4) of an API's request and response
//! bodies, as AWS's CreateModel, GetModel(s), UpdateModel, DeleteModel and
//! GetModelTemplate have them. Every API starts with AWS's `Empty` and
//! `Error` models. Methods name models in `requestModels` and method
//! responses in `responseModels`; a model in use cannot be deleted.

use apigw_app::error::AppError;
pub use apigw_app::model::Model;
use apigw_app::model::PatchOperation;
use serde::Deserialize;
use serde_json::Value;

use super::{new_id, replaced};
use crate::apis::Apis;
use crate::store::items::{Item, ItemKind};

/// AWS's default models' schemas, as AWS writes them.
pub const EMPTY_SCHEMA: &str =
    "{\n  \"$schema\": \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Empty Schema\",\n  \"type\" : \"object\"\n}";
pub const ERROR_SCHEMA: &str = "{\n  \"$schema\" : \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Error Schema\",\n  \"type\" : \"object\",\n  \"properties\" : {\n    \"message\" : { \"type\" : \"string\" }\n  }\n}";

/// CreateModel's input.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateModelInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub schema: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
}

/// The two models every API starts with.
pub fn defaults() -> Vec<(ItemKind, Item)> {
    [("Empty", "This is a default empty schema model", EMPTY_SCHEMA), ("Error", "This is a default error schema model", ERROR_SCHEMA)]
        .into_iter()
        .map(|(name, description, schema)| {
            let m = Model {
                id: String::new(),
                name: name.into(),
                description: Some(description.into()),
                schema: Some(schema.into()),
                content_type: Some("application/json".into()),
            };
            (ItemKind::Model, Item { id: new_id(), name: name.into(), body: serde_json::to_value(&m).unwrap_or_default() })
        })
        .collect()
}

/// The rules live with the console's, which checks them as the user types.
pub(crate) use apigw_app::rules::{model_name as check_name, model_schema as check_schema};

fn model(it: Item) -> Model {
    let mut m: Model = serde_json::from_value(it.body).unwrap_or(Model {
        id: String::new(),
        name: it.name.clone(),
        description: None,
        schema: None,
        content_type: None,
    });
    m.id = it.id;
    m.name = it.name;
    m
}

fn missing(name: &str) -> String {
    format!("Invalid model name specified: {name}")
}

const TAKEN: &str = "Model name already exists for this REST API";

impl Apis {
    pub async fn create_model(&self, api: &str, input: CreateModelInput) -> Result<Model, AppError> {
        self.api_exists(api).await?;
        let name = input.name.unwrap_or_default();
        check_name(&name)?;
        let content_type = input
            .content_type
            .filter(|c| !c.is_empty())
            .ok_or_else(|| AppError::invalid("contentType", "contentType is required, e.g. application/json."))?;
        apigw_app::rules::content_type("contentType", &content_type)?;
        if let Some(s) = &input.schema {
            check_schema(s)?;
        }
        let description = input.description.filter(|d| !d.is_empty());
        let m = Model { id: new_id(), name: name.clone(), description, schema: input.schema, content_type: Some(content_type) };
        self.insert_item(api, ItemKind::Model, &Item { id: m.id.clone(), name, body: serde_json::to_value(&m).unwrap_or_default() }, TAKEN)
            .await?;
        Ok(m)
    }

    pub async fn models(&self, api: &str) -> Result<Vec<Model>, AppError> {
        self.api_exists(api).await?;
        Ok(self.store.items(api, ItemKind::Model).await.map_err(crate::auth::internal)?.into_iter().map(model).collect())
    }

    pub async fn model(&self, api: &str, name: &str) -> Result<Model, AppError> {
        Ok(model(self.item(api, ItemKind::Model, name, true, &missing(name)).await?))
    }

    /// UpdateModel: `replace` on `/schema` and `/description`.
    pub async fn update_model(&self, api: &str, name: &str, ops: &[PatchOperation]) -> Result<Model, AppError> {
        let mut m = self.model(api, name).await?;
        for op in ops {
            match op.path.as_str() {
                "/schema" => {
                    let s = replaced(op)?;
                    check_schema(s)?;
                    m.schema = Some(s.to_string());
                }
                "/description" => m.description = Some(replaced(op)?.to_string()).filter(|d| !d.is_empty()),
                _ => return Err(super::bad_path(op, "/schema, /description")),
            }
        }
        let it = Item { id: m.id.clone(), name: m.name.clone(), body: serde_json::to_value(&m).unwrap_or_default() };
        self.update_item(api, ItemKind::Model, &it, TAKEN).await?;
        Ok(m)
    }

    /// DeleteModel: refused while a method's request or a method response names it.
    pub async fn delete_model(&self, api: &str, name: &str) -> Result<(), AppError> {
        let m = self.model(api, name).await?;
        for r in self.resources(api).await? {
            for (verb, method) in r.resource_methods.iter().flatten() {
                if method.request_models.values().any(|n| n == name) {
                    return Err(AppError::Conflict(format!(
                        "Cannot delete model '{name}', is referenced in method request: {}/{verb}",
                        r.path
                    )));
                }
                for (code, resp) in method.method_responses.iter().flatten() {
                    if resp.response_models.values().any(|n| n == name) {
                        return Err(AppError::Conflict(format!(
                            "Cannot delete model '{name}', is referenced in method response: {}/{verb}/{code}",
                            r.path
                        )));
                    }
                }
            }
        }
        self.delete_item(api, ItemKind::Model, &m.id, &missing(name)).await
    }

    /// Models named by a method's request or a method response must exist in the API.
    /// `models`: content type → model name, as requestModels and responseModels hold them.
    pub(crate) async fn check_models_exist(&self, api: &str, models: &std::collections::BTreeMap<String, String>) -> Result<(), AppError> {
        if models.is_empty() {
            return Ok(());
        }
        let have = self.store.items(api, ItemKind::Model).await.map_err(crate::auth::internal)?;
        for n in models.values() {
            if !have.iter().any(|it| &it.name == n) {
                return Err(AppError::NotFound(missing(n)));
            }
        }
        Ok(())
    }

    /// GetModelTemplate: a mapping template that copies the model's shape
    /// from the request body (`$input.path('$')`), as AWS generates one.
    pub async fn model_template(&self, api: &str, name: &str) -> Result<String, AppError> {
        let m = self.model(api, name).await?;
        let schema: Value = m.schema.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or(Value::Null);
        let mut out = String::from("#set($inputRoot = $input.path('$'))\n");
        template(&schema, "$inputRoot", 0, &mut out);
        out.push('\n');
        Ok(out)
    }
}

/// Writes the template for one schema node, reading from `at`.
fn template(schema: &Value, at: &str, depth: usize, out: &mut String) {
    let pad = |d: usize| "  ".repeat(d);
    match schema.get("type").and_then(Value::as_str) {
        Some("object") | None if depth < 8 => {
            let props = schema.get("properties").and_then(Value::as_object);
            out.push('{');
            let mut first = true;
            for (k, v) in props.into_iter().flatten() {
                out.push_str(if first { "\n" } else { ",\n" });
                first = false;
                out.push_str(&format!("{}\"{k}\" : ", pad(depth + 1)));
                template(v, &format!("{at}.{k}"), depth + 1, out);
            }
            out.push_str(&format!("{}{}}}", if first { "" } else { "\n" }, if first { String::new() } else { pad(depth) }));
        }
        Some("array") if depth < 8 => {
            let var = format!("$elem{depth}");
            out.push_str(&format!("[\n{}#foreach({var} in {at})\n{}", pad(depth + 1), pad(depth + 1)));
            template(schema.get("items").unwrap_or(&Value::Null), &var, depth + 1, out);
            out.push_str(&format!("#if($foreach.hasNext),#end\n{}#end\n{}]", pad(depth + 1), pad(depth)));
        }
        Some("string") => out.push_str(&format!("\"{at}\"")),
        _ => out.push_str(at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_follows_the_schema() {
        let schema = serde_json::json!({"type": "object", "properties": {"message": {"type": "string"}, "n": {"type": "integer"}}});
        let mut out = String::new();
        template(&schema, "$inputRoot", 0, &mut out);
        assert_eq!(out, "{\n  \"message\" : \"$inputRoot.message\",\n  \"n\" : $inputRoot.n\n}");
    }

    #[test]
    fn names_and_schemas_are_checked() {
        assert!(check_name("Pet").is_ok());
        assert_eq!(check_name("").unwrap_err().to_string(), "No Model Name specified");
        assert!(check_name("pet-store").is_err());
        assert!(check_schema("{\"type\":\"object\"}").is_ok());
        assert!(check_schema("[1]").is_err());
        assert!(check_schema("{").unwrap_err().to_string().starts_with("Invalid model specified"));
    }
}

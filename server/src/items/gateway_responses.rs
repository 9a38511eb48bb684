//! Gateway responses: what the gateway answers when it refuses or fails a
//! request itself (a missing key, a throttle, a timeout…), per response type,
//! as AWS's Put/Get/Update/DeleteGatewayResponse(s) have them. A type never
//! put answers AWS's default; GetGatewayResponses lists every type, the
//! defaults marked `defaultResponse: true`. A deployment captures them; the
//! gateway answers with them (`gateway::responses`).

use std::collections::BTreeMap;

use apigw_app::error::AppError;
pub use apigw_app::model::GatewayResponse;
use apigw_app::model::PatchOperation;
use serde::Deserialize;

use crate::apis::Apis;
use crate::store::items::{Item, ItemKind};

/// Every response type AWS has, with its default status code (shared with the console's page).
pub use apigw_app::model::GATEWAY_RESPONSE_TYPES as TYPES;

/// The body AWS's default responses send.
pub use crate::gateway::responses::DEFAULT_TEMPLATE;

/// PutGatewayResponse's input.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PutGatewayResponseInput {
    #[serde(default)]
    pub status_code: Option<String>,
    #[serde(default)]
    pub response_parameters: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub response_templates: Option<BTreeMap<String, String>>,
}

/// A response type AWS knows, or AWS's enum error naming them all.
fn check_type(t: &str) -> Result<Option<&'static str>, AppError> {
    TYPES.iter().find(|(n, _)| *n == t).map(|(_, code)| *code).ok_or_else(|| {
        let all: Vec<&str> = TYPES.iter().map(|(n, _)| *n).collect();
        AppError::constraint(
            "responseType",
            format!(
                "1 validation error detected: Value '{t}' at 'responseType' failed to satisfy constraint: \
                 Member must satisfy enum value set: [{}]",
                all.join(", ")
            ),
        )
    })
}

/// The default response of a type.
fn default_for(t: &str, code: Option<&str>) -> GatewayResponse {
    GatewayResponse {
        response_type: t.to_string(),
        status_code: code.map(str::to_string),
        response_parameters: BTreeMap::new(),
        response_templates: BTreeMap::from([("application/json".to_string(), DEFAULT_TEMPLATE.to_string())]),
        default_response: true,
    }
}

fn check(r: &GatewayResponse) -> Result<(), AppError> {
    if let Some(code) = &r.status_code {
        apigw_app::rules::status_code(code)?;
    }
    for (k, v) in &r.response_parameters {
        let ok = ["gatewayresponse.header.", "gatewayresponse.querystring.", "gatewayresponse.path."]
            .iter()
            .any(|p| k.strip_prefix(p).is_some_and(|n| !n.is_empty()));
        if !ok {
            return Err(AppError::invalid(
                "responseParameters",
                format!("Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: {k}]"),
            ));
        }
        if v.is_empty() {
            return Err(AppError::invalid("responseParameters", format!("The value of response parameter {k} is empty.")));
        }
        crate::gateway::responses::check_source(v).map_err(|e| {
            AppError::invalid(
                "responseParameters",
                format!("Invalid mapping expression specified: Validation Result: warnings : [], errors : [{e}]"),
            )
        })?;
    }
    for ct in r.response_templates.keys() {
        apigw_app::rules::content_type("responseTemplates", ct)?;
    }
    Ok(())
}

/// A PutGatewayResponse input for type `t`, as it will be stored, checked whole.
pub(crate) fn checked(t: &str, input: PutGatewayResponseInput) -> Result<GatewayResponse, AppError> {
    check_type(t)?;
    let r = GatewayResponse {
        response_type: t.to_string(),
        status_code: input.status_code.filter(|c| !c.is_empty()),
        response_parameters: input.response_parameters.unwrap_or_default(),
        response_templates: input.response_templates.unwrap_or_default(),
        default_response: false,
    };
    check(&r)?;
    Ok(r)
}

fn item(r: &GatewayResponse) -> Item {
    Item { id: r.response_type.clone(), name: r.response_type.clone(), body: serde_json::to_value(r).unwrap_or_default() }
}

impl Apis {
    /// Every type: the one put, or AWS's default.
    pub async fn gateway_responses(&self, api: &str) -> Result<Vec<GatewayResponse>, AppError> {
        self.api_exists(api).await?;
        let set = self.store.items(api, ItemKind::GatewayResponse).await.map_err(crate::auth::internal)?;
        Ok(TYPES
            .iter()
            .map(|(t, code)| {
                set.iter()
                    .find(|it| it.id == *t)
                    .and_then(|it| serde_json::from_value(it.body.clone()).ok())
                    .unwrap_or_else(|| default_for(t, *code))
            })
            .collect())
    }

    pub async fn gateway_response(&self, api: &str, t: &str) -> Result<GatewayResponse, AppError> {
        let code = check_type(t)?;
        self.api_exists(api).await?;
        match self.store.item(api, ItemKind::GatewayResponse, t, false).await {
            Ok(it) => serde_json::from_value(it.body).map_err(crate::auth::internal),
            Err(crate::store::StoreError::NotFound) => Ok(default_for(t, code)),
            Err(e) => Err(crate::auth::internal(e)),
        }
    }

    /// PutGatewayResponse: replaces the type's response as a whole.
    pub async fn put_gateway_response(&self, api: &str, t: &str, input: PutGatewayResponseInput) -> Result<GatewayResponse, AppError> {
        check_type(t)?;
        self.api_exists(api).await?;
        let r = checked(t, input)?;
        self.store.upsert_item(api, ItemKind::GatewayResponse, &item(&r)).await.map_err(crate::auth::internal)?;
        Ok(r)
    }

    /// UpdateGatewayResponse: `replace` on `/statusCode`; add/replace/remove
    /// on `/responseParameters/{name}` and `/responseTemplates/{type}`. A
    /// default response becomes a response of the API's own.
    pub async fn update_gateway_response(&self, api: &str, t: &str, ops: &[PatchOperation]) -> Result<GatewayResponse, AppError> {
        let mut r = self.gateway_response(api, t).await?;
        for op in ops {
            let value = || op.value.clone().unwrap_or_default();
            let entry =
                |prefix: &str| op.path.strip_prefix(prefix).filter(|k| !k.is_empty()).map(|k| k.replace("~1", "/").replace("~0", "~"));
            if op.path == "/statusCode" {
                r.status_code = Some(super::replaced(op)?.to_string()).filter(|c| !c.is_empty());
            } else if let Some(k) = entry("/responseParameters/") {
                patch_entry(&mut r.response_parameters, k, op, value())?;
            } else if let Some(k) = entry("/responseTemplates/") {
                patch_entry(&mut r.response_templates, k, op, value())?;
            } else {
                return Err(super::bad_path(op, "/statusCode, /responseParameters/{name}, /responseTemplates/{contentType}"));
            }
        }
        r.default_response = false;
        check(&r)?;
        self.store.upsert_item(api, ItemKind::GatewayResponse, &item(&r)).await.map_err(crate::auth::internal)?;
        Ok(r)
    }

    /// DeleteGatewayResponse: the type answers its default again.
    pub async fn delete_gateway_response(&self, api: &str, t: &str) -> Result<(), AppError> {
        check_type(t)?;
        self.api_exists(api).await?;
        self.delete_item(api, ItemKind::GatewayResponse, t, "Gateway response type not defined on api").await
    }
}

fn patch_entry(map: &mut BTreeMap<String, String>, key: String, op: &PatchOperation, value: String) -> Result<(), AppError> {
    match op.op.as_str() {
        "add" | "replace" => {
            map.insert(key, value);
        }
        "remove" => {
            map.remove(&key);
        }
        _ => return Err(super::bad_path(op, "add, replace, remove")),
    }
    Ok(())
}

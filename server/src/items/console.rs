//! The console's forms for models, request validators and gateway
//! responses, turned into the control API's own operations (CreateModel,
//! UpdateModel, PutGatewayResponse…), so both check by the same rules and
//! answer the same errors.

use std::collections::BTreeMap;

use apigw_app::error::AppError;
use apigw_app::model::{ApiItems, GatewayResponse, GatewayResponseForm, Model, ModelForm, PatchOperation, RequestValidator, ValidatorForm};

use super::gateway_responses::PutGatewayResponseInput;
use super::models::CreateModelInput;
use super::validators::CreateRequestValidatorInput;
use crate::apis::Apis;

const HEADER: &str = "gatewayresponse.header.";

fn replace(path: &str, value: impl Into<String>) -> PatchOperation {
    PatchOperation { op: "replace".into(), path: path.into(), value: Some(value.into()) }
}

impl Apis {
    /// Everything the console's models and responses page shows.
    pub async fn console_items(&self, api: &str) -> Result<ApiItems, AppError> {
        let rest = self.get_api(api).await?;
        Ok(ApiItems {
            api_id: rest.id,
            api_name: rest.name,
            models: self.models(api).await?,
            validators: self.request_validators(api).await?,
            gateway_responses: self.gateway_responses(api).await?,
        })
    }

    pub async fn save_model_form(&self, api: &str, original: &str, form: ModelForm) -> Result<Model, AppError> {
        if original.is_empty() {
            let input = CreateModelInput {
                name: Some(form.name),
                description: Some(form.description),
                schema: Some(form.schema),
                content_type: Some(form.content_type),
            };
            return self.create_model(api, input).await;
        }
        self.update_model(api, original, &[replace("/schema", form.schema), replace("/description", form.description)]).await
    }

    pub async fn save_validator_form(&self, api: &str, id: &str, form: ValidatorForm) -> Result<RequestValidator, AppError> {
        if id.is_empty() {
            let input = CreateRequestValidatorInput {
                name: Some(form.name),
                validate_request_body: Some(form.validate_request_body),
                validate_request_parameters: Some(form.validate_request_parameters),
            };
            return self.create_request_validator(api, input).await;
        }
        let ops = [
            replace("/name", form.name),
            replace("/validateRequestBody", form.validate_request_body.to_string()),
            replace("/validateRequestParameters", form.validate_request_parameters.to_string()),
        ];
        self.update_request_validator(api, id, &ops).await
    }

    /// PutGatewayResponse with the form's status, headers and JSON
    /// template; query and path targets and other content types' templates
    /// stay as they are.
    pub async fn save_gateway_response_form(&self, api: &str, t: &str, form: GatewayResponseForm) -> Result<GatewayResponse, AppError> {
        let now = self.gateway_response(api, t).await?;
        let mut params: BTreeMap<String, String> = if now.default_response {
            BTreeMap::new()
        } else {
            now.response_parameters.into_iter().filter(|(k, _)| !k.starts_with(HEADER)).collect()
        };
        for (name, value) in form.headers {
            let name = name.trim();
            if name.is_empty() && value.trim().is_empty() {
                continue;
            }
            if name.is_empty() {
                return Err(AppError::invalid("headers", format!("The header whose value is {value} has no name.")));
            }
            let key = format!("{HEADER}{name}");
            if params.contains_key(&key) {
                return Err(AppError::invalid("headers", format!("The header {name} is listed twice.")));
            }
            params.insert(key, value.trim().to_string());
        }
        let mut templates = now.response_templates;
        if form.template.is_empty() {
            templates.remove("application/json");
        } else {
            templates.insert("application/json".into(), form.template);
        }
        let input = PutGatewayResponseInput {
            status_code: Some(form.status_code.trim().to_string()),
            response_parameters: Some(params),
            response_templates: Some(templates),
        };
        self.put_gateway_response(api, t, input).await
    }

    /// DeleteGatewayResponse; a type already answering its default is fine.
    pub async fn reset_gateway_response(&self, api: &str, t: &str) -> Result<(), AppError> {
        match self.delete_gateway_response(api, t).await {
            Err(AppError::NotFound(_)) if self.gateway_response(api, t).await?.default_response => Ok(()),
            other => other,
        }
    }
}

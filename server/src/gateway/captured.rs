//! What a deployment captures, as stored in `deployments.snapshot`: the
//! resource tree and, since items arrived, the API's models, request
//! validators and gateway responses, frozen at CreateDeployment so a stage
//! (and its export) keeps what was deployed however the API changes after.
//!
//! Deployments made before items were captured stored the bare resource
//! array; they read back with no items (`None`), and readers then use the
//! API's current ones, as they did when those deployments were made.

use apigw_app::model::{GatewayResponse, Model, RequestValidator, Resource};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Captured {
    pub resources: Vec<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub models: Option<Vec<Model>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_validators: Option<Vec<RequestValidator>>,
    /// Every response type, the defaults included (as GetGatewayResponses lists them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_responses: Option<Vec<GatewayResponse>>,
}

impl Captured {
    /// Reads a stored snapshot in either form (object, or the older bare array).
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        match text.trim_start().starts_with('[') {
            true => Ok(Captured { resources: serde_json::from_str(text)?, ..Captured::default() }),
            false => serde_json::from_str(text),
        }
    }

    pub fn to_text(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Whether this deployment serves the configuration `now` (as
    /// `Deploys::current` reads it). Items it did not capture (made before
    /// apigw captured items) do not count against it.
    pub fn serves_same(&self, now: &Captured) -> bool {
        fn same<T: PartialEq>(then: &Option<Vec<T>>, now: &Option<Vec<T>>) -> bool {
            then.is_none() || then == now
        }
        self.resources == now.resources
            && same(&self.models, &now.models)
            && same(&self.request_validators, &now.request_validators)
            && same(&self.gateway_responses, &now.gateway_responses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_read_back_and_the_new_one_round_trips() {
        let old = Captured::parse(r#"[{"id":"r1","path":"/"}]"#).unwrap();
        assert_eq!(old.resources.len(), 1);
        assert_eq!(old.resources[0].path, "/");
        assert!(old.models.is_none() && old.request_validators.is_none() && old.gateway_responses.is_none());

        let new = Captured {
            resources: old.resources.clone(),
            models: Some(vec![Model {
                id: "m1".into(),
                name: "Pet".into(),
                description: None,
                schema: Some("{}".into()),
                content_type: Some("application/json".into()),
            }]),
            request_validators: Some(vec![]),
            gateway_responses: None,
        };
        let text = new.to_text().unwrap();
        assert!(text.starts_with('{'), "{text}");
        assert_eq!(Captured::parse(&text).unwrap(), new);
        assert!(Captured::parse("{").is_err());
    }
}

//! TagResource, UntagResource and GetTags: tags on REST APIs, stages, API
//! keys and usage plans, named by their ARN
//! (`arn:aws:apigateway:{region}::/restapis/{id}/stages/{name}`), which the
//! SDKs send percent-encoded as one path segment.

use std::collections::BTreeMap;

use apigw_app::error::AppError;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use super::wire::{body, ok, status, Res};
use super::S;
use crate::console::Console;

/// The resource path of a taggable resource's ARN, once it is known to exist.
async fn resource(c: &Console, arn: &str) -> Result<String, AppError> {
    let bad = || {
        AppError::invalid(
            "resourceArn",
            format!(
                "Invalid ARN '{arn}': expected arn:aws:apigateway:{{region}}::/restapis/{{id}}, \
                 …/restapis/{{id}}/stages/{{name}}, …/apikeys/{{id}} or …/usageplans/{{id}}."
            ),
        )
    };
    let rest = arn.strip_prefix("arn:").ok_or_else(bad)?;
    let mut parts = rest.splitn(5, ':');
    let (partition, service, _region, account, path) = (
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
        parts.next().ok_or_else(bad)?,
    );
    if !partition.starts_with("aws") || service != "apigateway" || !account.is_empty() {
        return Err(bad());
    }
    let segments: Vec<&str> = path.strip_prefix('/').ok_or_else(bad)?.split('/').collect();
    match segments.as_slice() {
        ["restapis", api] => {
            c.apis.get_api(api).await?;
        }
        ["restapis", api, "stages", stage] => {
            c.deploys.stage(api, stage).await?;
        }
        ["apikeys", id] => {
            c.plans.key(id).await?;
        }
        ["usageplans", id] => {
            c.plans.plan(id).await?;
        }
        _ => return Err(bad()),
    }
    Ok(path.to_string())
}

#[derive(Deserialize, Default)]
struct TagInput {
    #[serde(default)]
    tags: Option<BTreeMap<String, String>>,
}

pub(super) async fn tag_resource(State(c): S, Path(arn): Path<String>, b: Bytes) -> Res {
    let tags = body::<TagInput>(&b)?.tags.ok_or_else(|| AppError::invalid("tags", "tags is required: a map of keys to values."))?;
    crate::api_settings::tags(&tags)?;
    let r = resource(&c, &arn).await?;
    c.store.tag(&r, &tags).await.map_err(|e| match e {
        crate::store::StoreError::Conflict(m) => AppError::invalid("tags", m),
        other => crate::auth::internal(other),
    })?;
    status(StatusCode::NO_CONTENT)
}

/// `tagKeys` repeats (`?tagKeys=a&tagKeys=b`), which a map extractor would collapse.
pub(super) async fn untag_resource(State(c): S, Path(arn): Path<String>, RawQuery(q): RawQuery) -> Res {
    let keys: Vec<String> =
        form_urlencoded::parse(q.unwrap_or_default().as_bytes()).filter(|(k, _)| k == "tagKeys").map(|(_, v)| v.into_owned()).collect();
    if keys.is_empty() {
        return Err(AppError::invalid("tagKeys", "tagKeys is required: the keys of the tags to remove.").into());
    }
    let r = resource(&c, &arn).await?;
    c.store.untag(&r, &keys).await.map_err(crate::auth::internal)?;
    status(StatusCode::NO_CONTENT)
}

pub(super) async fn get_tags(State(c): S, Path(arn): Path<String>) -> Res {
    let r = resource(&c, &arn).await?;
    ok(json!({ "tags": c.store.tags(&r).await.map_err(crate::auth::internal)? }))
}

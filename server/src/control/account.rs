//! GetAccount and UpdateAccount: the account-wide settings AWS keeps (the
//! CloudWatch role, enabled features) and the account's throttle limits.

use apigw_app::error::AppError;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::{json, Value};

use super::wire::{ok, patch_ops, Res};
use super::S;
use crate::console::Console;

/// The account's default throttle (AWS's account quota).
const RATE_LIMIT: f64 = 10000.0;
const BURST_LIMIT: i64 = 5000;

async fn account(c: &Console) -> Result<Value, AppError> {
    let role = c.store.account_setting("cloudwatchRoleArn").await.map_err(crate::auth::internal)?;
    let features: Vec<String> = c
        .store
        .account_setting("features")
        .await
        .map_err(crate::auth::internal)?
        .and_then(|f| serde_json::from_str(&f).ok())
        .unwrap_or_else(|| vec!["UsagePlans".to_string()]);
    let mut v = json!({
        "throttleSettings": { "burstLimit": BURST_LIMIT, "rateLimit": RATE_LIMIT },
        "features": features,
        "apiKeyVersion": "4",
    });
    if let Some(r) = role {
        v["cloudwatchRoleArn"] = json!(r);
    }
    Ok(v)
}

pub(super) async fn get_account(State(c): S) -> Res {
    ok(account(&c).await?)
}

/// UpdateAccount: `replace` on `/cloudwatchRoleArn`; `add` and `remove` on
/// `/features` (UsagePlans cannot be removed, as in AWS).
pub(super) async fn update_account(State(c): S, b: Bytes) -> Res {
    let ops = patch_ops(&b)?;
    let current = account(&c).await?;
    let mut role = current.get("cloudwatchRoleArn").and_then(Value::as_str).map(str::to_string);
    let mut features: Vec<String> = serde_json::from_value(current["features"].clone()).unwrap_or_default();
    for op in &ops {
        let value = op.value.clone().unwrap_or_default();
        match (op.op.as_str(), op.path.as_str()) {
            ("replace", "/cloudwatchRoleArn") => {
                let well_formed = value.starts_with("arn:") && value.contains(":iam::") && value.contains(":role/");
                if !value.is_empty() && !well_formed {
                    return Err(AppError::invalid(
                        "cloudwatchRoleArn",
                        format!("The role ARN is not well formed: {value}. Expected arn:aws:iam::{{account}}:role/{{name}}."),
                    )
                    .into());
                }
                role = Some(value).filter(|v| !v.is_empty());
            }
            ("add", "/features") => {
                if !features.contains(&value) {
                    features.push(value);
                }
            }
            ("remove", "/features") if value == "UsagePlans" => {
                return Err(AppError::invalid("features", "Usage Plans cannot be disabled once enabled").into())
            }
            ("remove", "/features") => features.retain(|f| f != &value),
            (_, "/cloudwatchRoleArn" | "/features") => {
                return Err(AppError::invalid(
                    "patchOperations",
                    format!(
                        "Invalid patch path  '{}' specified for op '{}'. Use replace on /cloudwatchRoleArn, add or remove on /features.",
                        op.path, op.op
                    ),
                )
                .into())
            }
            _ => return Err(crate::items::bad_path(op, "/cloudwatchRoleArn, /features").into()),
        }
    }
    c.store
        .set_account_settings(&[("cloudwatchRoleArn", role), ("features", Some(crate::store::to_json(&features)))])
        .await
        .map_err(crate::auth::internal)?;
    ok(account(&c).await?)
}

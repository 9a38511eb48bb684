//! The server functions of a stage's pages (its settings, throttling,
//! dashboard and access log), in one module the pages share.

use crate::diff::DeploymentChange;
use crate::error::AppError;
use crate::model::{PatchOperation, Stage, StageDetail};
use leptos::prelude::*;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "stage_detail")]
pub async fn get_stage_detail(api: String, stage: String) -> Result<StageDetail, AppError> {
    crate::service::authed("stage_detail", move |s, _| async move { s.stage_detail(&api, &stage).await }).await
}

#[server(prefix = "/api", endpoint = "deployment_changes")]
pub async fn get_deployment_changes(api: String, stage: String, to: String) -> Result<Vec<DeploymentChange>, AppError> {
    crate::service::authed("deployment_changes", move |s, _| async move { s.deployment_changes(&api, &stage, &to).await }).await
}

#[server(prefix = "/api", endpoint = "stage_update", input = Json)]
pub async fn update_stage(api: String, stage: String, ops: Vec<PatchOperation>) -> Result<Stage, AppError> {
    crate::service::authed("stage_update", move |s, _| async move { s.update_stage(&api, &stage, ops).await }).await
}

#[server(prefix = "/api", endpoint = "stage_delete")]
pub async fn delete_stage(api: String, stage: String) -> Result<(), AppError> {
    crate::service::authed("stage_delete", move |s, _| async move { s.delete_stage(&api, &stage).await }).await
}

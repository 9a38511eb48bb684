//! The usage plans' server functions and the small formatting the plan
//! pages share (the list, a plan's form, its keys and usage).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{QuotaSettings, ThrottleSettings, UsagePlan, UsagePlanDetail, UsagePlanInput, UsagePlanKey};
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

/// Deployed stages: (API id, API name, stage names).
pub type DeployedStages = Vec<(String, String, Vec<String>)>;

/// Per deployed stage, the methods it serves: (API id, stage, plan
/// throttle keys such as `/pets/{id}/GET`).
pub type StageMethods = Vec<(String, String, Vec<String>)>;

/// What the plan editor offers: the deployed stages and the methods each
/// serves. Loaded by the page, next to the plan, so the editor renders from
/// data it already has (a resource made inside a resolved `Transition`
/// left the server-side render waiting forever).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PlanChoices {
    pub stages: DeployedStages,
    pub methods: StageMethods,
}

/// Both lists the plan editor needs, in one load.
pub async fn plan_choices() -> Result<PlanChoices, AppError> {
    let stages = stage_choices().await?;
    let methods = served_methods().await?;
    Ok(PlanChoices { stages, methods })
}

#[server(prefix = "/api", endpoint = "usage_plans_list")]
pub async fn list_usage_plans() -> Result<Vec<UsagePlan>, AppError> {
    crate::service::authed("usage_plans_list", move |s, _| async move { s.list_usage_plans().await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_detail")]
pub async fn get_usage_plan_detail(id: String) -> Result<UsagePlanDetail, AppError> {
    crate::service::authed("usage_plan_detail", move |s, _| async move { s.usage_plan_detail(&id).await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_create", input = Json)]
pub async fn create_usage_plan(input: UsagePlanInput) -> Result<UsagePlan, AppError> {
    crate::service::authed("usage_plan_create", move |s, _| async move { s.create_usage_plan(input).await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_save", input = Json)]
pub async fn save_usage_plan(id: String, input: UsagePlanInput) -> Result<UsagePlan, AppError> {
    crate::service::authed("usage_plan_save", move |s, _| async move { s.save_usage_plan(&id, input).await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_delete")]
pub async fn delete_usage_plan(id: String) -> Result<(), AppError> {
    crate::service::authed("usage_plan_delete", move |s, _| async move { s.delete_usage_plan(&id).await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_key_add")]
pub async fn add_usage_plan_key(plan: String, key: String) -> Result<UsagePlanKey, AppError> {
    crate::service::authed("usage_plan_key_add", move |s, _| async move { s.add_usage_plan_key(&plan, &key).await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_key_remove")]
pub async fn remove_usage_plan_key(plan: String, key: String) -> Result<(), AppError> {
    crate::service::authed("usage_plan_key_remove", move |s, _| async move { s.remove_usage_plan_key(&plan, &key).await }).await
}

#[server(prefix = "/api", endpoint = "served_methods")]
pub async fn served_methods() -> Result<StageMethods, AppError> {
    crate::service::authed("served_methods", move |s, _| async move { s.served_methods().await }).await
}

#[server(prefix = "/api", endpoint = "stage_choices")]
pub async fn stage_choices() -> Result<DeployedStages, AppError> {
    crate::service::authed("stage_choices", move |s, _| async move { s.stage_choices().await }).await
}

/// `12345` as `12,345`.
pub fn fmt_count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

pub fn throttle_text(t: Option<&ThrottleSettings>) -> String {
    match t {
        Some(t) => format!("rate {} r/s · burst {}", t.rate_limit, fmt_count(t.burst_limit)),
        None => "no throttle".into(),
    }
}

pub fn quota_text(q: Option<&QuotaSettings>) -> String {
    match q {
        Some(q) => format!("{} per {}", fmt_count(q.limit), q.period),
        None => "no quota".into(),
    }
}

pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The API's name for a stage, from the deployed choices.
pub fn api_name(choices: &DeployedStages, api_id: &str) -> Option<String> {
    choices.iter().find(|(id, _, _)| id == api_id).map(|(_, name, _)| name.clone())
}

pub fn blank_plan() -> UsagePlan {
    UsagePlan {
        id: String::new(),
        name: String::new(),
        description: None,
        api_stages: Vec::new(),
        throttle: None,
        quota: None,
        product_code: None,
        tags: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_limits_read_well() {
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(1_000), "1,000");
        assert_eq!(fmt_count(1_234_567), "1,234,567");
        assert_eq!(throttle_text(Some(&ThrottleSettings { rate_limit: 0.5, burst_limit: 2 })), "rate 0.5 r/s · burst 2");
    }
}

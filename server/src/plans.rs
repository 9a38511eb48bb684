//! API keys and usage plans: the rules for creating and changing them, one
//! implementation for the console and the control API. Every change rebuilds
//! the gateway's key table, so it is live at once without a deploy.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use apigw_app::error::AppError;
use apigw_app::model::{
    ApiKey, ApiKeyRow, ApiStage, CreateApiKeyInput, CreateUsagePlanKeyInput, PatchOperation, QuotaSettings, ThrottleSettings, UsagePlan,
    UsagePlanInput, UsagePlanKey,
};
use apigw_app::rules;

use crate::apis::{not_found, only_replace, patch_bool};
use crate::auth::internal;
use crate::gateway::access::{key_hash, Access};
use crate::gateway::limits::{civil_from_days, days_from_civil};
use crate::store::apis::new_id;
use crate::store::{now_secs, Store, StoreError};

/// AWS's limits: API keys per gateway, usage plans per gateway.
pub const MAX_API_KEYS: i64 = 10_000;
pub const MAX_USAGE_PLANS: i64 = 300;
/// Longest GetUsage range, in days.
pub const MAX_USAGE_DAYS: i64 = 366;
/// Days of history the console shows per key.
pub const CONSOLE_DAYS: i64 = 14;

/// "Gold (abc123), Silver (def456)".
pub fn name_list(plans: &[(String, String)]) -> String {
    plans.iter().map(|(id, name)| format!("{name} ({id})")).collect::<Vec<_>>().join(", ")
}

/// A fresh key value: 40 letters and digits from the OS's random source.
fn generate_value() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rngs::OsRng;
    (0..40).map(|_| CHARS[rng.gen_range(0..CHARS.len())] as char).collect()
}

/// One page of `items` from `position` (an index, as text).
pub fn page<T>(items: Vec<T>, position: Option<&str>, limit: Option<i64>) -> Result<(Vec<T>, Option<String>), AppError> {
    let limit = match limit {
        None => 500,
        Some(n) if (1..=500).contains(&n) => n as usize,
        Some(n) => return Err(AppError::invalid("limit", format!("limit must be between 1 and 500; {n} is not."))),
    };
    let start = match position.filter(|p| !p.is_empty()) {
        None => 0,
        Some(p) => {
            p.parse::<usize>().map_err(|_| AppError::invalid("position", format!("position '{p}' is not one this server gave out.")))?
        }
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let next = (start + page.len() < total).then(|| (start + page.len()).to_string());
    Ok((page, next))
}

/// A `YYYY-MM-DD` date as a day number.
pub(crate) fn parse_day(s: &str, field: &str) -> Result<i64, AppError> {
    let bad = || AppError::invalid(field, format!("{field} must be a date like 2026-11-21; '{s}' is not."));
    let mut it = s.splitn(3, '-');
    let (y, m, d) = (it.next().ok_or_else(bad)?, it.next().ok_or_else(bad)?, it.next().ok_or_else(bad)?);
    let (y, m, d): (i64, i64, i64) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?, d.parse().map_err(|_| bad())?);
    let day = days_from_civil(y, m, d);
    if !(1..=12).contains(&m) || civil_from_days(day) != (y, m, d) || s.len() != 10 {
        return Err(bad());
    }
    Ok(day)
}

pub struct Plans {
    pub(crate) store: Store,
    pub(crate) access: Arc<Access>,
}

fn key_not_found(e: StoreError) -> AppError {
    not_found("API Key")(e)
}

fn plan_not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound("Invalid Usage Plan ID specified".into()),
        other => not_found("Usage Plan")(other),
    }
}

impl Plans {
    pub fn new(store: Store, access: Arc<Access>) -> Self {
        Self { store, access }
    }

    pub(crate) async fn reload(&self) -> Result<(), AppError> {
        self.access.reload().await.map_err(internal)
    }

    // ---- API keys ----

    /// CreateApiKey. The answer carries the value; nothing else ever will.
    pub async fn create_key(&self, input: CreateApiKeyInput) -> Result<ApiKey, AppError> {
        let id = new_id();
        let name = match input.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => rules::api_key_name(n)?,
            None => id.clone(),
        };
        let description = rules::api_description(input.description.as_deref().unwrap_or(""))?;
        let value = match input.value.filter(|v| !v.is_empty()) {
            Some(v) => {
                rules::api_key_value(&v)?;
                v
            }
            None => generate_value(),
        };
        if self.store.count_api_keys().await.map_err(internal)? >= MAX_API_KEYS {
            return Err(AppError::invalid(
                "apiKeys",
                format!("A gateway may hold at most {MAX_API_KEYS} API keys. Delete unused keys first."),
            ));
        }
        let now = now_secs();
        let mut key = ApiKey {
            id,
            value: None,
            name,
            description: (!description.is_empty()).then_some(description),
            customer_id: input.customer_id.filter(|c| !c.is_empty()),
            enabled: input.enabled.unwrap_or(false),
            created_date: now,
            last_updated_date: now,
            stage_keys: Vec::new(),
            tags: input.tags.unwrap_or_default(),
        };
        crate::api_settings::tags(&key.tags)?;
        self.store.insert_api_key(&key, &key_hash(&value)).await.map_err(key_not_found)?;
        if !key.tags.is_empty() {
            self.store.tag(&format!("/apikeys/{}", key.id), &key.tags).await.map_err(internal)?;
        }
        self.reload().await?;
        tracing::info!(key = %key.id, "API key created");
        key.value = Some(value);
        Ok(key)
    }

    /// GetApiKeys, optionally only names starting with `name`.
    pub async fn keys(&self, name: Option<&str>) -> Result<Vec<ApiKey>, AppError> {
        let all = self.store.list_api_keys().await.map_err(internal)?;
        let mut tags = self.store.tags_under("/apikeys/").await.map_err(internal)?;
        Ok(all
            .into_iter()
            .filter(|k| name.filter(|n| !n.is_empty()).is_none_or(|n| k.name.starts_with(n)))
            .map(|mut k| {
                k.tags = tags.remove(&format!("/apikeys/{}", k.id)).unwrap_or_default();
                k
            })
            .collect())
    }

    pub async fn key(&self, id: &str) -> Result<ApiKey, AppError> {
        let mut key = self.store.get_api_key(id).await.map_err(key_not_found)?;
        key.tags = self.store.tags(&format!("/apikeys/{id}")).await.map_err(internal)?;
        Ok(key)
    }

    /// UpdateApiKey: `replace` on `/name`, `/description`, `/enabled`, `/customerId`.
    pub async fn update_key(&self, id: &str, ops: &[PatchOperation]) -> Result<ApiKey, AppError> {
        let mut key = self.key(id).await?;
        for op in ops {
            only_replace(op)?;
            let value = op.value.clone().unwrap_or_default();
            match op.path.as_str() {
                "/name" => key.name = rules::api_key_name(&value)?,
                "/description" => {
                    let d = rules::api_description(&value)?;
                    key.description = (!d.is_empty()).then_some(d);
                }
                "/enabled" => key.enabled = patch_bool(op)?,
                "/customerId" => key.customer_id = (!value.is_empty()).then_some(value),
                other => {
                    return Err(AppError::invalid(
                        "patchOperations",
                        format!("path '{other}' cannot be changed; UpdateApiKey supports /name, /description, /enabled and /customerId."),
                    ))
                }
            }
        }
        self.store.save_api_key(&key).await.map_err(key_not_found)?;
        self.reload().await?;
        self.key(id).await
    }

    pub async fn delete_key(&self, id: &str) -> Result<(), AppError> {
        self.store.delete_api_key(id).await.map_err(key_not_found)?;
        self.reload().await
    }

    /// Every key with the plans it is in, for the console.
    pub async fn key_rows(&self) -> Result<Vec<ApiKeyRow>, AppError> {
        let keys = self.keys(None).await?;
        let rows = self.store.access_rows().await.map_err(internal)?;
        let names: HashMap<&str, &str> = rows.plans.iter().map(|p| (p.id.as_str(), p.name.as_str())).collect();
        Ok(keys
            .into_iter()
            .map(|key| {
                let plans = rows
                    .plan_keys
                    .iter()
                    .filter(|(_, k)| k == &key.id)
                    .map(|(p, _)| (p.clone(), names.get(p.as_str()).copied().unwrap_or_default().to_string()))
                    .collect();
                ApiKeyRow { key, plans }
            })
            .collect())
    }

    // ---- Usage plans ----

    /// Checks every rule of a plan; returns it tidied (names trimmed, method keys upper-cased).
    async fn checked(&self, id: &str, input: UsagePlanInput) -> Result<UsagePlan, AppError> {
        let name = rules::plan_name(input.name.as_deref().unwrap_or(""))?;
        let description = rules::api_description(input.description.as_deref().unwrap_or(""))?;
        if let Some(t) = &input.throttle {
            rules::throttle(t, "throttle")?;
        }
        if let Some(q) = &input.quota {
            rules::quota(q)?;
        }
        let mut stages: Vec<ApiStage> = Vec::new();
        for (i, st) in input.api_stages.into_iter().enumerate() {
            let field = format!("apiStages[{i}]");
            if st.api_id.is_empty() || st.stage.is_empty() {
                return Err(AppError::invalid(field, "Each API stage needs an apiId and a stage."));
            }
            if stages.iter().any(|s| s.api_id == st.api_id && s.stage == st.stage) {
                return Err(AppError::invalid(field, format!("API stage {}:{} is listed twice.", st.api_id, st.stage)));
            }
            self.store.get_stage(&st.api_id, &st.stage).await.map_err(|e| match e {
                StoreError::NotFound => AppError::invalid(
                    field.clone(),
                    format!("API {} has no stage named '{}'. Deploy the API to that stage first.", st.api_id, st.stage),
                ),
                other => internal(other),
            })?;
            let mut throttle = BTreeMap::new();
            for (k, t) in st.throttle.into_iter().flatten() {
                let tfield = format!("{field}.throttle[{k}]");
                let (path, verb) = k.rsplit_once('/').filter(|(p, _)| p.is_empty() || p.starts_with('/')).ok_or_else(|| {
                    AppError::invalid(tfield.clone(), format!("'{k}' must name a method as /resource/path/METHOD, e.g. /pets/GET."))
                })?;
                let verb = rules::http_method(verb, &tfield)?;
                rules::throttle(&t, &tfield)?;
                throttle.insert(format!("{}/{verb}", if path.is_empty() { "/" } else { path }), t);
            }
            stages.push(ApiStage { api_id: st.api_id, stage: st.stage, throttle: (!throttle.is_empty()).then_some(throttle) });
        }
        // A key may reach a stage through one plan only.
        let keys: Vec<String> = self.store.plan_keys(id).await.map_err(internal)?.into_iter().map(|k| k.id).collect();
        let wanted: Vec<(String, String)> = stages.iter().map(|s| (s.api_id.clone(), s.stage.clone())).collect();
        if let Some((pid, pname, key, api, stage)) =
            self.store.stage_key_clashes(id, &keys, &wanted).await.map_err(internal)?.into_iter().next()
        {
            return Err(AppError::Conflict(format!(
                "API key {key} is in this plan and in usage plan {pname} ({pid}), which already covers {api}:{stage}. \
                 A key may reach an API stage through one plan only."
            )));
        }
        Ok(UsagePlan {
            id: id.to_string(),
            name,
            description: (!description.is_empty()).then_some(description),
            api_stages: stages,
            throttle: input.throttle,
            quota: input.quota,
            product_code: input.product_code.filter(|c| !c.is_empty()),
            tags: input.tags.unwrap_or_default(),
        })
    }

    pub async fn create_plan(&self, input: UsagePlanInput) -> Result<UsagePlan, AppError> {
        let plan = self.checked(&new_id(), input).await?;
        if self.store.count_plans().await.map_err(internal)? >= MAX_USAGE_PLANS {
            return Err(AppError::invalid("usagePlans", format!("A gateway may hold at most {MAX_USAGE_PLANS} usage plans.")));
        }
        crate::api_settings::tags(&plan.tags)?;
        self.store.put_plan(&plan).await.map_err(plan_not_found)?;
        if !plan.tags.is_empty() {
            self.store.tag(&format!("/usageplans/{}", plan.id), &plan.tags).await.map_err(internal)?;
        }
        self.reload().await?;
        tracing::info!(plan = %plan.id, "usage plan created");
        Ok(plan)
    }

    /// GetUsagePlans, optionally only the plans holding `key_id`.
    pub async fn plans(&self, key_id: Option<&str>) -> Result<Vec<UsagePlan>, AppError> {
        let mut all = self.store.list_plans().await.map_err(internal)?;
        let mut tags = self.store.tags_under("/usageplans/").await.map_err(internal)?;
        for p in &mut all {
            p.tags = tags.remove(&format!("/usageplans/{}", p.id)).unwrap_or_default();
        }
        match key_id.filter(|k| !k.is_empty()) {
            None => Ok(all),
            Some(k) => {
                let ids: Vec<String> = self.store.plans_of_key(k).await.map_err(internal)?.into_iter().map(|(id, _)| id).collect();
                Ok(all.into_iter().filter(|p| ids.contains(&p.id)).collect())
            }
        }
    }

    pub async fn plan(&self, id: &str) -> Result<UsagePlan, AppError> {
        let mut plan = self.store.get_plan(id).await.map_err(plan_not_found)?;
        plan.tags = self.store.tags(&format!("/usageplans/{id}")).await.map_err(internal)?;
        Ok(plan)
    }

    /// Replaces a whole plan (the console's Save).
    pub async fn replace_plan(&self, id: &str, input: UsagePlanInput) -> Result<UsagePlan, AppError> {
        self.plan(id).await?;
        let plan = self.checked(id, input).await?;
        self.store.put_plan(&plan).await.map_err(plan_not_found)?;
        self.reload().await?;
        self.plan(id).await
    }

    /// UpdateUsagePlan. Supported paths: `/name`, `/description`,
    /// `/throttle/rateLimit|burstLimit`, `/throttle` (remove),
    /// `/quota/limit|period|offset`, `/quota` (remove), `/apiStages`
    /// (add/remove `apiId:stage`), and
    /// `/apiStages/{apiId}:{stage}/throttle/{~1path}/{METHOD}/rateLimit|burstLimit`
    /// (replace) or `…/{METHOD}` (remove). All are checked before any is applied.
    pub async fn update_plan(&self, id: &str, ops: &[PatchOperation]) -> Result<UsagePlan, AppError> {
        let plan = self.plan(id).await?;
        let mut input = UsagePlanInput {
            name: Some(plan.name),
            description: plan.description,
            api_stages: plan.api_stages,
            throttle: plan.throttle,
            quota: plan.quota,
            product_code: plan.product_code,
            tags: None,
        };
        for op in ops {
            apply_plan_op(&mut input, op)?;
        }
        self.replace_plan(id, input).await
    }

    pub async fn delete_plan(&self, id: &str) -> Result<(), AppError> {
        self.access.flush().await.map_err(internal)?;
        self.store.delete_plan(id).await.map_err(plan_not_found)?;
        self.reload().await
    }

    // ---- Keys in plans ----

    pub async fn add_plan_key(&self, plan_id: &str, input: CreateUsagePlanKeyInput) -> Result<UsagePlanKey, AppError> {
        let key_id = input.key_id.filter(|k| !k.is_empty()).ok_or_else(|| AppError::invalid("keyId", "keyId is required."))?;
        match input.key_type.as_deref() {
            Some("API_KEY") | None => {}
            Some(other) => return Err(AppError::invalid("keyType", format!("keyType must be API_KEY; '{other}' is not."))),
        }
        let plan = self.plan(plan_id).await?;
        let key = self.store.get_api_key(&key_id).await.map_err(|e| match e {
            StoreError::NotFound => AppError::NotFound(format!("Invalid API Key identifier specified: {key_id}")),
            other => internal(other),
        })?;
        let wanted: Vec<(String, String)> = plan.api_stages.iter().map(|s| (s.api_id.clone(), s.stage.clone())).collect();
        if let Some((pid, pname, _, api, stage)) =
            self.store.stage_key_clashes(plan_id, std::slice::from_ref(&key.id), &wanted).await.map_err(internal)?.into_iter().next()
        {
            return Err(AppError::Conflict(format!(
                "API key {} is already in usage plan {pname} ({pid}), which also covers {api}:{stage}. A key may reach an API stage through one plan only.",
                key.id
            )));
        }
        self.store.add_plan_key(plan_id, &key.id).await.map_err(plan_not_found)?;
        self.reload().await?;
        Ok(UsagePlanKey { id: key.id, key_type: "API_KEY".into(), name: key.name })
    }

    pub async fn plan_keys(&self, plan_id: &str, name: Option<&str>) -> Result<Vec<UsagePlanKey>, AppError> {
        self.plan(plan_id).await?;
        let keys = self.store.plan_keys(plan_id).await.map_err(internal)?;
        Ok(match name.filter(|n| !n.is_empty()) {
            Some(n) => keys.into_iter().filter(|k| k.name.starts_with(n)).collect(),
            None => keys,
        })
    }

    pub async fn plan_key(&self, plan_id: &str, key_id: &str) -> Result<UsagePlanKey, AppError> {
        self.plan_keys(plan_id, None)
            .await?
            .into_iter()
            .find(|k| k.id == key_id)
            .ok_or_else(|| AppError::NotFound(format!("Invalid Usage Plan Key identifier specified: {key_id} is not in plan {plan_id}")))
    }

    pub async fn remove_plan_key(&self, plan_id: &str, key_id: &str) -> Result<(), AppError> {
        self.plan_key(plan_id, key_id).await?;
        self.access.flush().await.map_err(internal)?;
        self.store.remove_plan_key(plan_id, key_id).await.map_err(plan_not_found)?;
        self.reload().await
    }
}

/// Applies one UpdateUsagePlan operation to a plan being edited.
fn apply_plan_op(p: &mut UsagePlanInput, op: &PatchOperation) -> Result<(), AppError> {
    let value = op.value.clone().unwrap_or_default();
    let path = op.path.as_str();
    let bad_path = || {
        AppError::invalid(
            "patchOperations",
            format!(
                "path '{path}' with op '{}' is not supported. UpdateUsagePlan supports /name, /description, /throttle/rateLimit, \
             /throttle/burstLimit, /quota/limit, /quota/period, /quota/offset (replace), /productCode (add, replace, remove), /throttle and /quota (remove), \
             /apiStages (add/remove apiId:stage) and /apiStages/{{apiId}}:{{stage}}/throttle/{{~1path}}/{{METHOD}}/rateLimit|burstLimit.",
                op.op
            ),
        )
    };
    let whole = |field: &str| -> Result<i64, AppError> {
        value.parse::<i64>().map_err(|_| AppError::invalid(field, format!("{field} must be a whole number; '{value}' is not.")))
    };
    match (op.op.as_str(), path) {
        ("replace", "/name") => p.name = Some(value),
        ("replace", "/description") => p.description = Some(value),
        // Terraform adds a throttle or quota a plan had none of with `add`.
        ("replace" | "add", "/throttle/rateLimit") => {
            let rate = rules::rate_limit_text(&value, "throttle.rateLimit")?;
            let t = p.throttle.get_or_insert(ThrottleSettings { rate_limit: rate, burst_limit: (rate.ceil() as i64).max(1) });
            t.rate_limit = rate;
        }
        ("replace" | "add", "/throttle/burstLimit") => {
            let burst = rules::burst_limit_text(&value, "throttle.burstLimit")?;
            let t = p.throttle.get_or_insert(ThrottleSettings { rate_limit: burst as f64, burst_limit: burst });
            t.burst_limit = burst;
        }
        ("remove", "/throttle") => p.throttle = None,
        ("replace" | "add", "/quota/limit") => {
            let limit = whole("quota.limit")?;
            p.quota.get_or_insert(QuotaSettings { limit, offset: 0, period: "DAY".into() }).limit = limit;
        }
        ("replace" | "add", "/quota/period") => {
            p.quota.get_or_insert(QuotaSettings { limit: 0, offset: 0, period: String::new() }).period = value.to_ascii_uppercase();
        }
        ("replace" | "add", "/quota/offset") => {
            let offset = whole("quota.offset")?;
            p.quota.get_or_insert(QuotaSettings { limit: 0, offset: 0, period: "DAY".into() }).offset = offset;
        }
        ("remove", "/quota") => p.quota = None,
        ("add" | "replace", "/productCode") => {
            if value.len() > 1024 || value.chars().any(char::is_control) {
                return Err(AppError::invalid("productCode", "productCode must be at most 1024 characters, without control characters."));
            }
            p.product_code = Some(value).filter(|v| !v.is_empty());
        }
        ("remove", "/productCode") => p.product_code = None,
        ("add", "/apiStages") | ("remove", "/apiStages") => {
            let (api_id, stage) = value.split_once(':').filter(|(a, s)| !a.is_empty() && !s.is_empty()).ok_or_else(|| {
                AppError::invalid("apiStages", format!("value must be apiId:stage, e.g. a1b2c3d4e5:prod; '{value}' is not."))
            })?;
            let pos = p.api_stages.iter().position(|s| s.api_id == api_id && s.stage == stage);
            match (op.op.as_str(), pos) {
                ("add", None) => p.api_stages.push(ApiStage { api_id: api_id.into(), stage: stage.into(), throttle: None }),
                ("add", Some(_)) => return Err(AppError::Conflict(format!("API stage {value} is already in this plan."))),
                (_, Some(i)) => {
                    p.api_stages.remove(i);
                }
                (_, None) => return Err(AppError::NotFound(format!("API stage {value} is not in this plan."))),
            }
        }
        (kind, _) if path.starts_with("/apiStages/") => {
            let rest = &path["/apiStages/".len()..];
            let (api_stage, rest) = rest.split_once("/throttle/").ok_or_else(bad_path)?;
            let (api_id, stage) = api_stage.split_once(':').ok_or_else(bad_path)?;
            let st = p
                .api_stages
                .iter_mut()
                .find(|s| s.api_id == api_id && s.stage == stage)
                .ok_or_else(|| AppError::NotFound(format!("API stage {api_stage} is not in this plan; add it to /apiStages first.")))?;
            let (method, field) = match kind {
                "replace" => rest.rsplit_once('/').map(|(m, f)| (m, Some(f))).ok_or_else(bad_path)?,
                "remove" => (rest, None),
                _ => return Err(bad_path()),
            };
            let (res, verb) = method.rsplit_once('/').ok_or_else(bad_path)?;
            let key = format!("{}/{verb}", res.replace("~1", "/"));
            let map = st.throttle.get_or_insert_with(BTreeMap::new);
            match field {
                None => {
                    map.remove(&key).ok_or_else(|| AppError::NotFound(format!("No throttle is set for {key} in {api_stage}.")))?;
                }
                Some("rateLimit") => {
                    let rate = rules::rate_limit_text(&value, path)?;
                    map.entry(key).or_insert(ThrottleSettings { rate_limit: rate, burst_limit: (rate.ceil() as i64).max(1) }).rate_limit =
                        rate;
                }
                Some("burstLimit") => {
                    let burst = rules::burst_limit_text(&value, path)?;
                    map.entry(key).or_insert(ThrottleSettings { rate_limit: burst as f64, burst_limit: burst }).burst_limit = burst;
                }
                Some(_) => return Err(bad_path()),
            }
            if map.is_empty() {
                st.throttle = None;
            }
        }
        _ => return Err(bad_path()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(op: &str, path: &str, value: &str) -> PatchOperation {
        PatchOperation { op: op.into(), path: path.into(), value: Some(value.into()) }
    }

    #[test]
    fn plan_patches() {
        let mut p = UsagePlanInput { name: Some("a".into()), ..Default::default() };
        apply_plan_op(&mut p, &op("replace", "/throttle/rateLimit", "10")).unwrap();
        assert_eq!(p.throttle, Some(ThrottleSettings { rate_limit: 10.0, burst_limit: 10 }));
        apply_plan_op(&mut p, &op("replace", "/throttle/burstLimit", "3")).unwrap();
        assert_eq!(p.throttle.unwrap().burst_limit, 3);
        apply_plan_op(&mut p, &op("replace", "/quota/limit", "100")).unwrap();
        apply_plan_op(&mut p, &op("replace", "/quota/period", "week")).unwrap();
        assert_eq!(p.quota, Some(QuotaSettings { limit: 100, offset: 0, period: "WEEK".into() }));
        apply_plan_op(&mut p, &op("add", "/apiStages", "abc:dev")).unwrap();
        assert!(apply_plan_op(&mut p, &op("add", "/apiStages", "abc:dev")).is_err());
        apply_plan_op(&mut p, &op("replace", "/apiStages/abc:dev/throttle/~1pets/GET/rateLimit", "5")).unwrap();
        assert_eq!(p.api_stages[0].throttle.as_ref().unwrap()["/pets/GET"].rate_limit, 5.0);
        apply_plan_op(&mut p, &op("remove", "/apiStages/abc:dev/throttle/~1pets/GET", "")).unwrap();
        assert_eq!(p.api_stages[0].throttle, None);
        assert_eq!(apply_plan_op(&mut p, &op("replace", "/quota/limit", "x")).unwrap_err().field(), Some("quota.limit"));
        assert_eq!(apply_plan_op(&mut p, &op("add", "/apiStages", "nocolon")).unwrap_err().field(), Some("apiStages"));
        assert_eq!(apply_plan_op(&mut p, &op("replace", "/nope", "1")).unwrap_err().field(), Some("patchOperations"));
        // Throttle values are checked by the same rules as a whole plan's, and echoed as sent.
        let e = apply_plan_op(&mut p, &op("replace", "/throttle/rateLimit", "1e-10")).unwrap_err();
        assert_eq!(e.field(), Some("throttle.rateLimit"));
        assert!(e.to_string().starts_with("throttle.rateLimit: must be 0") && e.to_string().ends_with("'1e-10' is not."), "{e}");
        let e = apply_plan_op(&mut p, &op("replace", "/throttle/burstLimit", "1000001")).unwrap_err();
        assert_eq!(e.field(), Some("throttle.burstLimit"));
        let path = "/apiStages/abc:dev/throttle/~1pets/GET/rateLimit";
        assert_eq!(apply_plan_op(&mut p, &op("replace", path, "-3")).unwrap_err().field(), Some(path));
        assert_eq!(p.throttle.unwrap().burst_limit, 3, "refused values change nothing");
        apply_plan_op(&mut p, &op("remove", "/apiStages", "abc:dev")).unwrap();
        apply_plan_op(&mut p, &op("remove", "/quota", "")).unwrap();
        assert!(p.api_stages.is_empty() && p.quota.is_none());
    }

    #[test]
    fn days_and_pages() {
        assert_eq!(parse_day("2026-11-21", "startDate").unwrap(), 20_778);
        for bad in ["2026-02-30", "2026-13-01", "26-11-21x", "yesterday", "2026-1-1"] {
            assert_eq!(parse_day(bad, "startDate").unwrap_err().field(), Some("startDate"), "{bad}");
        }
        let (p, next) = page((0..5).collect::<Vec<_>>(), None, Some(2)).unwrap();
        assert_eq!((p, next.as_deref()), (vec![0, 1], Some("2")));
        let (p, next) = page((0..5).collect::<Vec<_>>(), Some("4"), Some(2)).unwrap();
        assert_eq!((p, next), (vec![4], None));
        assert!(page(vec![1], None, Some(0)).is_err() && page(vec![1], Some("x"), None).is_err());
    }
}

//! Usage of keys under plans: GetUsage's per-day counts and remaining
//! quota, UpdateUsage's grants, and the console's plan page, read from the
//! database after the gateway's live counters are flushed.

use std::collections::{BTreeMap, HashMap};

use apigw_app::error::AppError;
use apigw_app::model::{KeyUsage, PatchOperation, Usage, UsagePlan, UsagePlanDetail};

use crate::apis::only_replace;
use crate::auth::internal;
use crate::gateway::access::quota_rule;
use crate::gateway::limits::day_string;
use crate::plans::{parse_day, Plans, CONSOLE_DAYS, MAX_USAGE_DAYS};
use crate::store::now_secs;

impl Plans {
    /// GetUsage: for each key of the plan (or just `key_id`), one
    /// `[used, remaining]` per day from `start` to `end`.
    pub async fn usage(&self, plan_id: &str, key_id: Option<&str>, start: &str, end: &str) -> Result<Usage, AppError> {
        let from = parse_day(start, "startDate")?;
        let to = parse_day(end, "endDate")?;
        if to < from {
            return Err(AppError::invalid("endDate", "endDate must not be before startDate."));
        }
        if to - from + 1 > MAX_USAGE_DAYS {
            return Err(AppError::invalid(
                "endDate",
                format!("endDate is too far after startDate: at most {MAX_USAGE_DAYS} days of usage can be read at once."),
            ));
        }
        let plan = self.plan(plan_id).await?;
        let mut keys: Vec<String> = self.store.plan_keys(plan_id).await.map_err(internal)?.into_iter().map(|k| k.id).collect();
        if let Some(k) = key_id.filter(|k| !k.is_empty()) {
            if !keys.iter().any(|x| x == k) {
                return Err(AppError::NotFound(format!("Invalid API Key identifier specified: {k} is not in plan {plan_id}")));
            }
            keys = vec![k.to_string()];
        }
        let items = self.daily(&plan, &keys, from, to).await?;
        Ok(Usage { usage_plan_id: plan.id, start_date: start.to_string(), end_date: end.to_string(), items })
    }

    /// UpdateUsage: `replace` on `/remaining` sets how many requests the
    /// key has left in the plan's current quota period (a grant on top of
    /// the quota, or a cut). Answers the key's usage for the period so far.
    pub async fn update_usage(&self, plan_id: &str, key_id: &str, ops: &[PatchOperation]) -> Result<Usage, AppError> {
        let plan = self.plan(plan_id).await?;
        let keys = self.store.plan_keys(plan_id).await.map_err(internal)?;
        if !keys.iter().any(|k| k.id == key_id) {
            return Err(AppError::NotFound(format!("Invalid API Key identifier specified: {key_id} is not in plan {plan_id}")));
        }
        let Some(rule) = plan.quota.as_ref().and_then(quota_rule) else {
            return Err(AppError::invalid(
                "remaining",
                format!("Usage plan {plan_id} has no quota, so there is no remaining quota to change. Give the plan a quota first."),
            ));
        };
        let mut wanted = None;
        for op in ops {
            match op.path.as_str() {
                "/remaining" => {
                    only_replace(op)?;
                    let v = op.value.as_deref().unwrap_or("");
                    let n: i64 = v.parse().ok().filter(|n| *n >= 0).ok_or_else(|| {
                        AppError::invalid("remaining", format!("remaining must be a whole number of requests, 0 or more; '{v}' is not."))
                    })?;
                    wanted = Some(n);
                }
                other => {
                    return Err(AppError::invalid(
                        "patchOperations",
                        format!("Invalid patch path  '{other}' specified for op '{}'. Must be one of: [/remaining]", op.op),
                    ))
                }
            }
        }
        let now = now_secs();
        let (period, _) = rule.period_at(now);
        if let Some(n) = wanted {
            self.access.flush().await.map_err(internal)?;
            let used = self.access.live_used(plan_id, key_id).unwrap_or(0);
            let delta = n - (rule.limit - used);
            if delta != 0 {
                self.store.add_usage_grant(plan_id, key_id, period, delta).await.map_err(internal)?;
                self.access.grant(plan_id, key_id, delta);
            }
        }
        let (from, to) = (period / 86_400, now / 86_400);
        let items = self.daily(&plan, &[key_id.to_string()], from, to).await?;
        Ok(Usage { usage_plan_id: plan.id, start_date: day_string(from * 86_400), end_date: day_string(to * 86_400), items })
    }

    /// Per key, `[used, remaining]` for each day from `from` to `to` (day numbers).
    async fn daily(&self, plan: &UsagePlan, keys: &[String], from: i64, to: i64) -> Result<BTreeMap<String, Vec<[i64; 2]>>, AppError> {
        self.access.flush().await.map_err(internal)?;
        let rule = plan.quota.as_ref().and_then(quota_rule);
        // Remaining needs the period's earlier days too.
        let read_from = rule.map(|r| r.period_at(from * 86_400).0 / 86_400).unwrap_or(from).min(from);
        let rows = self.store.usage_days(&plan.id, &day_string(read_from * 86_400), &day_string(to * 86_400)).await.map_err(internal)?;
        let grants: HashMap<(String, i64), i64> =
            self.store.usage_grants(&plan.id).await.map_err(internal)?.into_iter().map(|(k, p, n)| ((k, p), n)).collect();
        let mut per_key: HashMap<&str, HashMap<String, i64>> = HashMap::new();
        for (k, day, n) in &rows {
            per_key.entry(k.as_str()).or_default().insert(day.clone(), *n);
        }
        let mut out = BTreeMap::new();
        for key in keys {
            let days = per_key.get(key.as_str());
            let used_on = |d: i64| days.and_then(|m| m.get(&day_string(d * 86_400))).copied().unwrap_or(0);
            let mut list = Vec::new();
            for d in from..=to {
                let used = used_on(d);
                let remaining = match rule {
                    None => -1,
                    Some(r) => {
                        let period = r.period_at(d * 86_400).0;
                        let start = period / 86_400;
                        let so_far: i64 = (start..=d).map(used_on).sum();
                        let granted = grants.get(&(key.clone(), period)).copied().unwrap_or(0);
                        (r.limit - so_far + granted).max(0)
                    }
                };
                list.push([used, remaining]);
            }
            out.insert(key.clone(), list);
        }
        Ok(out)
    }

    /// The console's plan page: the plan, its keys, and their usage.
    pub async fn detail(&self, plan_id: &str) -> Result<UsagePlanDetail, AppError> {
        let plan = self.plan(plan_id).await?;
        let now = now_secs();
        let today = now.div_euclid(86_400);
        let from = today - CONSOLE_DAYS + 1;
        let plan_keys = self.store.plan_keys(plan_id).await.map_err(internal)?;
        let ids: Vec<String> = plan_keys.iter().map(|k| k.id.clone()).collect();
        let daily = self.daily(&plan, &ids, from, today).await?;
        let rule = plan.quota.as_ref().and_then(quota_rule);
        let period = rule.map(|r| r.period_at(now));
        let mut keys = Vec::new();
        for k in plan_keys {
            let key = self.store.get_api_key(&k.id).await.map_err(internal)?;
            let days = daily.get(&k.id).cloned().unwrap_or_default();
            let (used, remaining) = match (rule, days.last()) {
                (Some(r), Some(last)) => (r.limit - last[1], Some(last[1])),
                (_, last) => (last.map(|l| l[0]).unwrap_or(0), None),
            };
            keys.push(KeyUsage { key, used, remaining, daily: days.iter().map(|d| d[0]).collect() });
        }
        let days = (from..=today).map(|d| day_string(d * 86_400)).collect();
        Ok(UsagePlanDetail { plan, keys, days, period })
    }
}

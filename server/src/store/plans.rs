//! API keys, usage plans, the keys attached to plans, and per-day usage.

use std::collections::BTreeMap;

use apigw_app::model::{ApiKey, ApiStage, QuotaSettings, ThrottleSettings, UsagePlan, UsagePlanKey};

use super::{is_unique_violation, now_secs, to_json, touched, Store, StoreError};

type KeyRow = (String, String, String, Option<String>, bool, i64, i64);
/// (id, name, description, throttle JSON, quota JSON)
type PlanRow = (String, String, String, Option<String>, Option<String>, Option<String>);

const KEY_COLUMNS: &str = "id, name, description, customer_id, enabled, created_at, updated_at";

fn key_from_row((id, name, description, customer_id, enabled, created, updated): KeyRow) -> ApiKey {
    ApiKey {
        id,
        value: None,
        name,
        description: (!description.is_empty()).then_some(description),
        customer_id,
        enabled,
        created_date: created,
        last_updated_date: updated,
        stage_keys: Vec::new(),
        // Kept in the tags table; the service adds them.
        tags: Default::default(),
    }
}

/// What the gateway needs to know about every key, plan and attachment.
#[derive(Debug, Default)]
pub struct AccessRows {
    /// (key id, SHA-256 of the value, enabled)
    pub keys: Vec<(String, Vec<u8>, bool)>,
    pub plans: Vec<UsagePlan>,
    /// (plan id, key id)
    pub plan_keys: Vec<(String, String)>,
}

impl Store {
    pub async fn insert_api_key(&self, key: &ApiKey, hash: &[u8]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO api_keys (id, name, description, customer_id, enabled, key_hash, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        )
        .bind(&key.id)
        .bind(&key.name)
        .bind(key.description.as_deref().unwrap_or(""))
        .bind(&key.customer_id)
        .bind(key.enabled)
        .bind(hash)
        .bind(key.created_date)
        .execute(self.pool())
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict("API Key already exists".into()) } else { e.into() })?;
        Ok(())
    }

    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let rows: Vec<KeyRow> =
            sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at DESC, id")).fetch_all(self.pool()).await?;
        Ok(rows.into_iter().map(key_from_row).collect())
    }

    pub async fn get_api_key(&self, id: &str) -> Result<ApiKey, StoreError> {
        let row: Option<KeyRow> =
            sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1")).bind(id).fetch_optional(self.pool()).await?;
        row.map(key_from_row).ok_or(StoreError::NotFound)
    }

    pub async fn count_api_keys(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM api_keys").fetch_one(self.pool()).await?)
    }

    /// Writes a key's name, description, customer id and enabled flag.
    pub async fn save_api_key(&self, key: &ApiKey) -> Result<(), StoreError> {
        let done =
            sqlx::query("UPDATE api_keys SET name = ?2, description = ?3, customer_id = ?4, enabled = ?5, updated_at = ?6 WHERE id = ?1")
                .bind(&key.id)
                .bind(&key.name)
                .bind(key.description.as_deref().unwrap_or(""))
                .bind(&key.customer_id)
                .bind(key.enabled)
                .bind(now_secs())
                .execute(self.pool())
                .await?;
        touched(done)
    }

    pub async fn delete_api_key(&self, id: &str) -> Result<(), StoreError> {
        touched(sqlx::query("DELETE FROM api_keys WHERE id = ?1").bind(id).execute(self.pool()).await?)
    }

    /// The plans a key is attached to, as (id, name).
    pub async fn plans_of_key(&self, key_id: &str) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT p.id, p.name FROM usage_plan_keys k JOIN usage_plans p ON p.id = k.plan_id WHERE k.key_id = ?1 ORDER BY p.name, p.id",
        )
        .bind(key_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Inserts a plan, or replaces every field and stage of an existing one.
    pub async fn put_plan(&self, plan: &UsagePlan) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO usage_plans (id, name, description, throttle, quota, created_at, updated_at, product_code)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description,
                 throttle = excluded.throttle, quota = excluded.quota, updated_at = excluded.updated_at,
                 product_code = excluded.product_code",
        )
        .bind(&plan.id)
        .bind(&plan.name)
        .bind(plan.description.as_deref().unwrap_or(""))
        .bind(plan.throttle.as_ref().map(to_json))
        .bind(plan.quota.as_ref().map(to_json))
        .bind(now_secs())
        .bind(plan.product_code.as_deref())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM usage_plan_stages WHERE plan_id = ?1").bind(&plan.id).execute(&mut *tx).await?;
        for (i, s) in plan.api_stages.iter().enumerate() {
            sqlx::query("INSERT INTO usage_plan_stages (plan_id, api_id, stage, position, throttle) VALUES (?1, ?2, ?3, ?4, ?5)")
                .bind(&plan.id)
                .bind(&s.api_id)
                .bind(&s.stage)
                .bind(i as i64)
                .bind(to_json(&s.throttle.clone().unwrap_or_default()))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn list_plans(&self) -> Result<Vec<UsagePlan>, StoreError> {
        let rows: Vec<PlanRow> =
            sqlx::query_as("SELECT id, name, description, throttle, quota, product_code FROM usage_plans ORDER BY name, id")
                .fetch_all(self.pool())
                .await?;
        let stages: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT plan_id, api_id, stage, throttle FROM usage_plan_stages ORDER BY plan_id, position")
                .fetch_all(self.pool())
                .await?;
        let mut by_plan: BTreeMap<String, Vec<ApiStage>> = BTreeMap::new();
        for (plan, api_id, stage, throttle) in stages {
            let throttle: BTreeMap<String, ThrottleSettings> = serde_json::from_str(&throttle).unwrap_or_default();
            by_plan.entry(plan).or_default().push(ApiStage { api_id, stage, throttle: (!throttle.is_empty()).then_some(throttle) });
        }
        Ok(rows
            .into_iter()
            .map(|(id, name, description, throttle, quota, product_code)| UsagePlan {
                api_stages: by_plan.remove(&id).unwrap_or_default(),
                id,
                name,
                description: (!description.is_empty()).then_some(description),
                throttle: throttle.and_then(|t| serde_json::from_str::<ThrottleSettings>(&t).ok()),
                quota: quota.and_then(|q| serde_json::from_str::<QuotaSettings>(&q).ok()),
                product_code,
                tags: Default::default(),
            })
            .collect())
    }

    pub async fn get_plan(&self, id: &str) -> Result<UsagePlan, StoreError> {
        self.list_plans().await?.into_iter().find(|p| p.id == id).ok_or(StoreError::NotFound)
    }

    pub async fn count_plans(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM usage_plans").fetch_one(self.pool()).await?)
    }

    pub async fn delete_plan(&self, id: &str) -> Result<(), StoreError> {
        touched(sqlx::query("DELETE FROM usage_plans WHERE id = ?1").bind(id).execute(self.pool()).await?)
    }

    pub async fn plan_keys(&self, plan_id: &str) -> Result<Vec<UsagePlanKey>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT k.id, k.name FROM usage_plan_keys pk JOIN api_keys k ON k.id = pk.key_id WHERE pk.plan_id = ?1 ORDER BY k.name, k.id",
        )
        .bind(plan_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(|(id, name)| UsagePlanKey { id, key_type: "API_KEY".into(), name }).collect())
    }

    pub async fn add_plan_key(&self, plan_id: &str, key_id: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO usage_plan_keys (plan_id, key_id, created_at) VALUES (?1, ?2, ?3)")
            .bind(plan_id)
            .bind(key_id)
            .bind(now_secs())
            .execute(self.pool())
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict(format!("API key {key_id} is already in usage plan {plan_id}."))
                } else {
                    e.into()
                }
            })?;
        Ok(())
    }

    pub async fn remove_plan_key(&self, plan_id: &str, key_id: &str) -> Result<(), StoreError> {
        touched(
            sqlx::query("DELETE FROM usage_plan_keys WHERE plan_id = ?1 AND key_id = ?2")
                .bind(plan_id)
                .bind(key_id)
                .execute(self.pool())
                .await?,
        )
    }

    /// Plans other than `plan_id` that hold one of `keys` and cover one of
    /// `stages`: (plan id, plan name, key id, api id, stage). A key may reach
    /// an API stage through one plan only, as in AWS.
    pub async fn stage_key_clashes(
        &self,
        plan_id: &str,
        keys: &[String],
        stages: &[(String, String)],
    ) -> Result<Vec<(String, String, String, String, String)>, StoreError> {
        let rows: Vec<(String, String, String, String, String)> = sqlx::query_as(
            "SELECT p.id, p.name, pk.key_id, s.api_id, s.stage
             FROM usage_plan_keys pk JOIN usage_plans p ON p.id = pk.plan_id JOIN usage_plan_stages s ON s.plan_id = p.id
             WHERE p.id <> ?1",
        )
        .bind(plan_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .filter(|(_, _, key, api, stage)| keys.contains(key) && stages.iter().any(|(a, s)| a == api && s == stage))
            .collect())
    }

    /// Plans that cover a stage of `api_id` (`stage` None: any stage), as (id, name).
    pub async fn plans_using(&self, api_id: &str, stage: Option<&str>) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT DISTINCT p.id, p.name FROM usage_plan_stages s JOIN usage_plans p ON p.id = s.plan_id
             WHERE s.api_id = ?1 AND (?2 IS NULL OR s.stage = ?2) ORDER BY p.name, p.id",
        )
        .bind(api_id)
        .bind(stage)
        .fetch_all(self.pool())
        .await?)
    }

    /// Everything the gateway's key table is built from.
    pub async fn access_rows(&self) -> Result<AccessRows, StoreError> {
        let keys = sqlx::query_as("SELECT id, key_hash, enabled FROM api_keys").fetch_all(self.pool()).await?;
        let plan_keys = sqlx::query_as("SELECT plan_id, key_id FROM usage_plan_keys").fetch_all(self.pool()).await?;
        Ok(AccessRows { keys, plans: self.list_plans().await?, plan_keys })
    }

    /// Adds counted requests: (plan, key, day `YYYY-MM-DD`, requests). Rows
    /// for a key no longer in the plan are dropped. One transaction.
    pub async fn add_usage(&self, batch: &[(String, String, String, i64)]) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        for (plan, key, day, n) in batch {
            sqlx::query(
                "INSERT INTO usage_days (plan_id, key_id, day, used)
                 SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM usage_plan_keys WHERE plan_id = ?1 AND key_id = ?2)
                 ON CONFLICT (plan_id, key_id, day) DO UPDATE SET used = used + excluded.used",
            )
            .bind(plan)
            .bind(key)
            .bind(day)
            .bind(n)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Per-day counts of one plan from `from` to `to` (inclusive, `YYYY-MM-DD`):
    /// (key id, day, used).
    pub async fn usage_days(&self, plan_id: &str, from: &str, to: &str) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as("SELECT key_id, day, used FROM usage_days WHERE plan_id = ?1 AND day >= ?2 AND day <= ?3 ORDER BY day")
            .bind(plan_id)
            .bind(from)
            .bind(to)
            .fetch_all(self.pool())
            .await?)
    }

    /// Requests of every (plan, key) since `from[plan]` (a day, inclusive):
    /// what quota counters start from after a restart.
    pub async fn usage_totals_since(&self, plan_id: &str, from: &str) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(sqlx::query_as("SELECT key_id, SUM(used) FROM usage_days WHERE plan_id = ?1 AND day >= ?2 GROUP BY key_id")
            .bind(plan_id)
            .bind(from)
            .fetch_all(self.pool())
            .await?)
    }

    /// UpdateUsage's grants of one plan, per (key, period start).
    pub async fn usage_grants(&self, plan_id: &str) -> Result<Vec<(String, i64, i64)>, StoreError> {
        Ok(sqlx::query_as("SELECT key_id, period_start, amount FROM usage_grants WHERE plan_id = ?1")
            .bind(plan_id)
            .fetch_all(self.pool())
            .await?)
    }

    /// Adds `delta` requests to a key's grant for one quota period.
    pub async fn add_usage_grant(&self, plan_id: &str, key_id: &str, period_start: i64, delta: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO usage_grants (plan_id, key_id, period_start, amount) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (plan_id, key_id, period_start) DO UPDATE SET amount = amount + excluded.amount",
        )
        .bind(plan_id)
        .bind(key_id)
        .bind(period_start)
        .bind(delta)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}

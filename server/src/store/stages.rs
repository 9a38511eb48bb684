//! Deployments (immutable snapshots) and stages (named pointers to one).

use std::collections::BTreeMap;

use apigw_app::model::{Deployment, MethodSetting, Stage};

use super::apis::new_id;
use super::{is_unique_violation, now_secs, to_json, touched, Store, StoreError};

type StageRow = (String, String, String, String, String, i64, i64, String);

/// The stage attributes kept in its `settings` column.
#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Extra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    access_log_settings: Option<apigw_app::model::AccessLogSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    documentation_version: Option<String>,
}

fn stage_from_row((name, deployment_id, description, variables, settings, created, updated, extra): StageRow) -> Stage {
    let extra: Extra = serde_json::from_str(&extra).unwrap_or_default();
    Stage {
        deployment_id,
        stage_name: name,
        description: (!description.is_empty()).then_some(description),
        created_date: created,
        last_updated_date: updated,
        variables: serde_json::from_str(&variables).unwrap_or_default(),
        method_settings: serde_json::from_str::<BTreeMap<String, MethodSetting>>(&settings).unwrap_or_default(),
        cache_cluster_enabled: false,
        cache_cluster_status: "NOT_AVAILABLE".into(),
        tracing_enabled: false,
        access_log_settings: extra.access_log_settings,
        documentation_version: extra.documentation_version,
        tags: BTreeMap::new(),
    }
}

const STAGE_COLUMNS: &str = "name, deployment_id, description, variables, method_settings, created_at, updated_at, settings";

/// What CreateDeployment does to a stage, if it names one.
pub struct StageTarget<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub variables: Option<&'a BTreeMap<String, String>>,
}

impl Store {
    /// Records a deployment and, if asked, creates or repoints a stage to it,
    /// in one transaction.
    #[tracing::instrument(skip_all)]
    pub async fn create_deployment(
        &self,
        api_id: &str,
        description: &str,
        revision: i64,
        snapshot: &str,
        stage: Option<StageTarget<'_>>,
    ) -> Result<Deployment, StoreError> {
        let id = new_id();
        let now = now_secs();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO deployments (id, api_id, description, created_at, api_revision, snapshot) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&id)
        .bind(api_id)
        .bind(description)
        .bind(now)
        .bind(revision)
        .bind(snapshot)
        .execute(&mut *tx)
        .await?;
        if let Some(st) = stage {
            let vars = st.variables.map(to_json);
            sqlx::query(
                "INSERT INTO stages (api_id, name, deployment_id, description, variables, created_at, updated_at)
                 VALUES (?1, ?2, ?3, COALESCE(?4, ''), COALESCE(?5, '{}'), ?6, ?6)
                 ON CONFLICT (api_id, name) DO UPDATE SET
                    deployment_id = excluded.deployment_id,
                    description = COALESCE(?4, stages.description),
                    variables = COALESCE(?5, stages.variables),
                    updated_at = excluded.updated_at",
            )
            .bind(api_id)
            .bind(st.name)
            .bind(&id)
            .bind(st.description)
            .bind(vars)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Deployment { id, description: (!description.is_empty()).then(|| description.to_string()), created_date: now })
    }

    /// Deployments of an API, newest first, with the revision each captured.
    #[tracing::instrument(skip_all)]
    pub async fn list_deployments(&self, api_id: &str) -> Result<Vec<(Deployment, i64)>, StoreError> {
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT id, description, created_at, api_revision FROM deployments WHERE api_id = ?1
             ORDER BY created_at DESC, rowid DESC",
        )
        .bind(api_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, d, c, r)| (Deployment { id, description: (!d.is_empty()).then_some(d), created_date: c }, r))
            .collect())
    }

    /// The configuration snapshot a deployment captured.
    #[tracing::instrument(skip_all)]
    pub async fn deployment_snapshot(&self, api_id: &str, id: &str) -> Result<String, StoreError> {
        sqlx::query_scalar("SELECT snapshot FROM deployments WHERE api_id = ?1 AND id = ?2")
            .bind(api_id)
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    pub async fn create_stage(
        &self,
        api_id: &str,
        name: &str,
        deployment_id: &str,
        description: &str,
        variables: &BTreeMap<String, String>,
        tags: &BTreeMap<String, String>,
    ) -> Result<Stage, StoreError> {
        let now = now_secs();
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO stages (api_id, name, deployment_id, description, variables, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        )
        .bind(api_id)
        .bind(name)
        .bind(deployment_id)
        .bind(description)
        .bind(to_json(variables))
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { StoreError::Conflict(format!("Stage already exists: {name}")) } else { e.into() })?;
        super::tags::insert_tags(&mut tx, &format!("/restapis/{api_id}/stages/{name}"), tags).await?;
        tx.commit().await?;
        self.get_stage(api_id, name).await
    }

    #[tracing::instrument(skip_all)]
    pub async fn get_stage(&self, api_id: &str, name: &str) -> Result<Stage, StoreError> {
        let row: Option<StageRow> = sqlx::query_as(&format!("SELECT {STAGE_COLUMNS} FROM stages WHERE api_id = ?1 AND name = ?2"))
            .bind(api_id)
            .bind(name)
            .fetch_optional(self.pool())
            .await?;
        let mut stage = row.map(stage_from_row).ok_or(StoreError::NotFound)?;
        stage.tags = self.tags(&format!("/restapis/{api_id}/stages/{name}")).await?;
        Ok(stage)
    }

    #[tracing::instrument(skip_all)]
    pub async fn list_stages(&self, api_id: &str) -> Result<Vec<Stage>, StoreError> {
        let rows: Vec<StageRow> = sqlx::query_as(&format!("SELECT {STAGE_COLUMNS} FROM stages WHERE api_id = ?1 ORDER BY name"))
            .bind(api_id)
            .fetch_all(self.pool())
            .await?;
        let mut stages: Vec<Stage> = rows.into_iter().map(stage_from_row).collect();
        for st in &mut stages {
            st.tags = self.tags(&format!("/restapis/{api_id}/stages/{}", st.stage_name)).await?;
        }
        Ok(stages)
    }

    /// Every stage of every API: what the gateway loads at start-up.
    #[tracing::instrument(skip_all)]
    pub async fn all_stage_keys(&self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(sqlx::query_as("SELECT api_id, name FROM stages ORDER BY api_id, name").fetch_all(self.pool()).await?)
    }

    /// Writes a stage's changeable fields.
    #[tracing::instrument(skip_all)]
    pub async fn save_stage(&self, api_id: &str, stage: &Stage) -> Result<(), StoreError> {
        let n = sqlx::query(
            "UPDATE stages SET deployment_id = ?3, description = ?4, variables = ?5, method_settings = ?6, updated_at = ?7, settings = ?8
             WHERE api_id = ?1 AND name = ?2",
        )
        .bind(api_id)
        .bind(&stage.stage_name)
        .bind(&stage.deployment_id)
        .bind(stage.description.as_deref().unwrap_or(""))
        .bind(to_json(&stage.variables))
        .bind(to_json(&stage.method_settings))
        .bind(now_secs())
        .bind(to_json(&Extra {
            access_log_settings: stage.access_log_settings.clone(),
            documentation_version: stage.documentation_version.clone(),
        }))
        .execute(self.pool())
        .await?;
        touched(n)
    }

    #[tracing::instrument(skip_all)]
    pub async fn delete_stage(&self, api_id: &str, name: &str) -> Result<(), StoreError> {
        let n = sqlx::query("DELETE FROM stages WHERE api_id = ?1 AND name = ?2").bind(api_id).bind(name).execute(self.pool()).await?;
        touched(n)
    }
}

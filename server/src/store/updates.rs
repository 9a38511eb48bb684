//! Changes in place behind the control API's Update and Delete operations on
//! resources, integrations, responses and deployments. The Put operations
//! replace whole rows; these change one part and keep the rest (an
//! integration keeps its responses, a moved resource keeps its methods).

use apigw_app::model::Deployment;

use super::apis::{Guard, IntegrationRow};
use super::{is_unique_violation, touched, Store, StoreError};

/// Which of a method's two response tables.
#[derive(Clone, Copy)]
pub enum ResponseKind {
    Method,
    Integration,
}

impl Store {
    /// Moves or renames a resource: its own path and every descendant's path
    /// change in one transaction; a sibling with the same path is a conflict.
    #[tracing::instrument(skip_all)]
    pub async fn move_resource(
        &self,
        api_id: &str,
        id: &str,
        parent_id: &str,
        path_part: &str,
        old_path: &str,
        new_path: &str,
    ) -> Result<(), StoreError> {
        let conflict = || StoreError::Conflict(format!("Another resource with the same parent already has this name: {path_part}"));
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("UPDATE resources SET parent_id = ?3, path_part = ?4, path = ?5 WHERE api_id = ?1 AND id = ?2")
            .bind(api_id)
            .bind(id)
            .bind(parent_id)
            .bind(path_part)
            .bind(new_path)
            .execute(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { conflict() } else { e.into() })?;
        touched(done)?;
        // Descendants: compared by prefix with substr, not LIKE, whose `_`
        // and `%` are wildcards that paths may contain.
        sqlx::query(
            "UPDATE resources SET path = ?3 || substr(path, length(?2) + 1)
             WHERE api_id = ?1 AND substr(path, 1, length(?2) + 1) = ?2 || '/'",
        )
        .bind(api_id)
        .bind(old_path)
        .bind(new_path)
        .execute(&mut *tx)
        .await
        .map_err(|e| if is_unique_violation(&e) { conflict() } else { e.into() })?;
        super::apis::bump(&mut tx, api_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes an integration's own fields, keeping its responses.
    #[tracing::instrument(skip_all)]
    pub async fn update_integration(&self, api_id: &str, resource_id: &str, verb: &str, row: &IntegrationRow) -> Result<(), StoreError> {
        let q = sqlx::query(
            "UPDATE integrations SET type = ?3, integration_method = ?4, uri = ?5, timeout_ms = ?6, passthrough = ?7,
                                     request_parameters = ?8, request_templates = ?9, extra = ?10
             WHERE resource_id = ?1 AND http_method = ?2",
        )
        .bind(resource_id)
        .bind(verb)
        .bind(&row.kind)
        .bind(&row.integration_method)
        .bind(&row.uri)
        .bind(row.timeout_ms)
        .bind(&row.passthrough)
        .bind(super::to_json(&row.request_parameters))
        .bind(super::to_json(&row.request_templates))
        .bind(super::to_json(&row.extra));
        self.change(api_id, q, Guard::MustTouch).await
    }

    /// Deletes one method response or integration response.
    #[tracing::instrument(skip_all)]
    pub async fn delete_response(
        &self,
        kind: ResponseKind,
        api_id: &str,
        resource_id: &str,
        verb: &str,
        status: &str,
    ) -> Result<(), StoreError> {
        let sql = match kind {
            ResponseKind::Method => "DELETE FROM method_responses WHERE resource_id = ?1 AND http_method = ?2 AND status_code = ?3",
            ResponseKind::Integration => {
                "DELETE FROM integration_responses WHERE resource_id = ?1 AND http_method = ?2 AND status_code = ?3"
            }
        };
        self.change(api_id, sqlx::query(sql).bind(resource_id).bind(verb).bind(status), Guard::MustTouch).await
    }

    /// Changes a deployment's description (all a deployment lets change).
    #[tracing::instrument(skip_all)]
    pub async fn describe_deployment(&self, api_id: &str, id: &str, description: &str) -> Result<Deployment, StoreError> {
        let row: Option<(String, i64)> =
            sqlx::query_as("UPDATE deployments SET description = ?3 WHERE api_id = ?1 AND id = ?2 RETURNING description, created_at")
                .bind(api_id)
                .bind(id)
                .bind(description)
                .fetch_optional(self.pool())
                .await?;
        let (d, created_date) = row.ok_or(StoreError::NotFound)?;
        Ok(Deployment { id: id.to_string(), description: (!d.is_empty()).then_some(d), created_date })
    }

    /// Deletes a deployment no stage serves; one that a stage serves is a
    /// conflict naming the stages (checked in the deleting transaction).
    #[tracing::instrument(skip_all)]
    pub async fn delete_deployment(&self, api_id: &str, id: &str) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        let serving: Vec<String> = sqlx::query_scalar("SELECT name FROM stages WHERE api_id = ?1 AND deployment_id = ?2 ORDER BY name")
            .bind(api_id)
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
        if !serving.is_empty() {
            return Err(StoreError::Conflict(serving.join(", ")));
        }
        let done = sqlx::query("DELETE FROM deployments WHERE api_id = ?1 AND id = ?2").bind(api_id).bind(id).execute(&mut *tx).await?;
        touched(done)?;
        tx.commit().await?;
        Ok(())
    }
}

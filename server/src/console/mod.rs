//! The console listener: the Leptos console, its server functions (the
//! `ConsoleService` the pages call), the gate in front of them, `/metrics`
//! and `/healthz`; the control API is merged onto the same router.

mod gate;
mod metrics_endpoint;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use apigw_app::diff::DeploymentChange;
use apigw_app::error::AppError;
use apigw_app::identity::{AuditFilter, AuditPage, SessionInfo, UserInfo};
use apigw_app::identity::{Role, SessionUser};
use apigw_app::model::ServerInfo;
use apigw_app::model::{
    AccessKeyInfo, ApiKey, ApiKeyRow, ApiTree, CreateApiKeyInput, CreateDeploymentInput, CreateRestApiInput, CreateUsagePlanKeyInput,
    Deployment, DryRunInput, LogFilter, LogPage, Method, MethodSettings, NewAccessKeyInfo, PatchOperation, PutMethodInput, Resource,
    RestApi, Stage, StageDashboard, StageDetail, StageOverview, StageTrace, TemplateTryInput, TemplateTryOutput, TestInvokeInput,
    TestInvokeOutput, UsagePlan, UsagePlanDetail, UsagePlanInput, UsagePlanKey,
};
pub use apigw_app::service::cookie_value;
use apigw_app::service::{ConsoleService, NewSession};
use apigw_app::{shell, App};
use axum::extract::Request;
use axum::middleware;
use axum::routing::get;
use axum::Router;
pub use gate::{is_cross_site, peer_ip};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::access_keys::AccessKeys;
use crate::apis::Apis;
use crate::auth::{internal, Auth};
use crate::deploy::Deploys;
use crate::gateway::access::Access;
use crate::gateway::registry::Registry;
use crate::plans::Plans;
use crate::secrets::ServerKey;
use crate::store::Store;

/// What the console needs at hand for every request.
pub struct Console {
    pub store: Store,
    pub auth: Auth,
    pub apis: Apis,
    pub deploys: Deploys,
    pub access_keys: AccessKeys,
    pub plans: Plans,
    pub metrics: Arc<crate::metrics::Hub>,
    /// The gateway, for test invokes (its integration code) and dry runs.
    pub gateway: Arc<crate::gateway::Gateway>,
    /// Becomes true once a user exists and never goes back, so the gate
    /// asks the database only while none does (a user may be added by
    /// `apigw admin create-user` while the server runs).
    has_admin: AtomicBool,
    info: ServerInfo,
    /// The regions a control-API signature's scope may name (`--region`).
    pub regions: crate::sigv4::Regions,
}

impl Console {
    /// The gateway's base URL (`http://host:port`), as stage URLs start.
    pub fn gateway_url(&self) -> &str {
        &self.info.gateway_url
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn new(
        store: Store,
        key: ServerKey,
        registry: Arc<Registry>,
        access: Arc<Access>,
        metrics: Arc<crate::metrics::Hub>,
        gateway: Arc<crate::gateway::Gateway>,
        info: ServerInfo,
        regions: crate::sigv4::Regions,
    ) -> Result<Arc<Self>, crate::store::StoreError> {
        let has_admin = store.user_count().await? > 0;
        let apis = Apis::new(store.clone(), registry.clone());
        Ok(Arc::new(Self {
            auth: Auth::new(store.clone()),
            deploys: Deploys::new(store.clone(), apis.clone(), registry),
            apis,
            access_keys: AccessKeys::new(store.clone(), key),
            plans: Plans::new(store.clone(), access),
            metrics,
            gateway,
            store,
            has_admin: AtomicBool::new(has_admin),
            info,
            regions,
        }))
    }

    async fn has_admin(&self) -> Result<bool, AppError> {
        if self.has_admin.load(Ordering::Acquire) {
            return Ok(true);
        }
        let exists = self.store.user_count().await.map_err(internal)? > 0;
        if exists {
            self.has_admin.store(true, Ordering::Release);
        }
        Ok(exists)
    }
}

#[async_trait::async_trait]
impl ConsoleService for Console {
    async fn needs_setup(&self) -> Result<bool, AppError> {
        Ok(!self.has_admin().await?)
    }

    async fn setup_admin(&self, username: &str, password: &str) -> Result<NewSession, AppError> {
        if self.has_admin().await? {
            return Err(AppError::Forbidden("An administrator already exists. Setup can only be done once; sign in instead.".into()));
        }
        let id = self.auth.create_user(username, password, Role::Admin, true).await?;
        self.has_admin.store(true, Ordering::Release);
        tracing::info!(username, "first administrator created");
        self.auth.open_session(id, None).await
    }

    async fn login(&self, username: &str, password: &str, source: Option<std::net::IpAddr>) -> Result<NewSession, AppError> {
        self.auth.login(username, password, source).await
    }

    async fn logout(&self, token: &str) -> Result<(), AppError> {
        self.auth.logout(token).await
    }

    async fn server_info(&self) -> Result<ServerInfo, AppError> {
        Ok(self.info.clone())
    }

    async fn list_apis(&self) -> Result<Vec<RestApi>, AppError> {
        let mut all = Vec::new();
        let mut position: Option<String> = None;
        loop {
            let (page, next) = self.apis.list_apis(position.as_deref(), None).await?;
            all.extend(page);
            match next {
                Some(p) => position = Some(p),
                None => break,
            }
        }
        all.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then(a.id.cmp(&b.id)));
        Ok(all)
    }

    async fn create_api(&self, name: &str, description: &str) -> Result<RestApi, AppError> {
        self.apis
            .create_api(CreateRestApiInput { name: Some(name.into()), description: Some(description.into()), ..Default::default() })
            .await
    }

    async fn delete_api(&self, id: &str) -> Result<(), AppError> {
        self.apis.delete_api(id).await
    }

    async fn import_preview(&self, document: &str, basepath: &str) -> Result<apigw_app::model::ImportPreview, AppError> {
        let opts = crate::openapi::ImportOptions { basepath: crate::openapi::BasePath::parse(basepath)?, ..Default::default() };
        let d = crate::openapi::import::definition(&crate::openapi::parse(document.as_bytes())?, &opts)?;
        Ok(apigw_app::model::ImportPreview {
            name: d.name.clone(),
            version: d.version.clone(),
            paths: d.paths.iter().map(|(p, ms)| (p.clone(), ms.iter().map(|m| m.verb.clone()).collect())).collect(),
            models: d.models.keys().cloned().collect(),
            validators: d.validators.keys().cloned().collect(),
            gateway_responses: d.gateway_responses.keys().cloned().collect(),
            documentation_parts: d.documentation.len(),
            warnings: d.warnings,
        })
    }

    async fn import_api(
        &self,
        document: &str,
        basepath: &str,
        fail_on_warnings: bool,
    ) -> Result<apigw_app::model::ImportOutcome, AppError> {
        let opts =
            crate::openapi::ImportOptions { basepath: crate::openapi::BasePath::parse(basepath)?, fail_on_warnings, ..Default::default() };
        let d = crate::openapi::import::definition(&crate::openapi::parse(document.as_bytes())?, &opts)?;
        let done = self.apis.import_api(d, &opts).await?;
        tracing::info!(api = %done.api.id, warnings = done.warnings.len(), "API imported from the console");
        Ok(apigw_app::model::ImportOutcome { id: done.api.id, name: done.api.name, warnings: done.warnings })
    }

    async fn api_tree(&self, id: &str) -> Result<ApiTree, AppError> {
        let api = self.apis.get_api(id).await?;
        let resources = self.apis.resources(id).await?;
        let fresh = self.deploys.freshness(id, &resources).await?;
        Ok(ApiTree {
            api,
            resources,
            stages: self.deploys.stages(id).await?,
            undeployed_changes: fresh.undeployed,
            stale_stages: fresh.stale_stages,
            validators: self
                .apis
                .request_validators(id)
                .await?
                .into_iter()
                .map(|v| {
                    let label = v.name.clone().unwrap_or_else(|| v.id.clone());
                    (v.id, label)
                })
                .collect(),
            models: self.apis.models(id).await?.into_iter().map(|m| m.name).collect(),
        })
    }

    async fn deploy(&self, api: &str, stage: &str, description: &str) -> Result<Deployment, AppError> {
        if stage.trim().is_empty() {
            return Err(AppError::invalid("stageName", "Choose a stage or name a new one, e.g. dev or prod."));
        }
        self.deploys
            .create_deployment(
                api,
                CreateDeploymentInput {
                    stage_name: Some(stage.trim().to_string()),
                    description: Some(description.to_string()),
                    ..Default::default()
                },
            )
            .await
    }

    async fn stage_detail(&self, api: &str, stage: &str) -> Result<StageDetail, AppError> {
        let stage_row = self.deploys.stage(api, stage).await?;
        // Only this stage's snapshot is compared: what its callers get.
        let captured = self.deploys.captured(api, &stage_row.deployment_id).await?;
        let serves_latest = captured.serves_same(&self.deploys.current(api, self.apis.resources(api).await?).await?);
        let served = captured.resources;
        let served_methods =
            served.iter().flat_map(|r| r.resource_methods.iter().flatten().map(|(verb, _)| (r.path.clone(), verb.clone()))).collect();
        Ok(StageDetail {
            api: self.apis.get_api(api).await?,
            stage: stage_row,
            deployments: self.deploys.deployments(api).await?,
            invoke_url: format!("{}/{api}/{stage}/", self.info.gateway_url),
            serves_latest,
            served_methods,
        })
    }

    async fn deployment_changes(&self, api: &str, stage: &str, to: &str) -> Result<Vec<DeploymentChange>, AppError> {
        self.deploys.changes(api, stage, to).await
    }

    async fn update_stage(&self, api: &str, stage: &str, ops: Vec<PatchOperation>) -> Result<Stage, AppError> {
        self.deploys.update_stage(api, stage, &ops).await
    }

    async fn delete_stage(&self, api: &str, stage: &str) -> Result<(), AppError> {
        self.deploys.delete_stage(api, stage).await
    }

    async fn create_resource(&self, api: &str, parent: &str, path_part: &str) -> Result<Resource, AppError> {
        self.apis.create_resource(api, parent, path_part).await
    }

    async fn delete_resource(&self, api: &str, resource: &str) -> Result<(), AppError> {
        self.apis.delete_resource(api, resource).await
    }

    async fn create_method(&self, api: &str, resource: &str, verb: &str) -> Result<Method, AppError> {
        self.apis.put_method(api, resource, verb, PutMethodInput::default()).await
    }

    async fn delete_method(&self, api: &str, resource: &str, verb: &str) -> Result<(), AppError> {
        self.apis.delete_method(api, resource, verb).await
    }

    async fn save_method(&self, api: &str, resource: &str, verb: &str, settings: MethodSettings) -> Result<Method, AppError> {
        self.apis.save_method(api, resource, verb, settings).await
    }

    async fn api_items(&self, api: &str) -> Result<apigw_app::model::ApiItems, AppError> {
        self.apis.console_items(api).await
    }

    async fn save_model(&self, api: &str, original: &str, form: apigw_app::model::ModelForm) -> Result<apigw_app::model::Model, AppError> {
        self.apis.save_model_form(api, original, form).await
    }

    async fn delete_model(&self, api: &str, name: &str) -> Result<(), AppError> {
        self.apis.delete_model(api, name).await
    }

    async fn save_validator(
        &self,
        api: &str,
        id: &str,
        form: apigw_app::model::ValidatorForm,
    ) -> Result<apigw_app::model::RequestValidator, AppError> {
        self.apis.save_validator_form(api, id, form).await
    }

    async fn delete_validator(&self, api: &str, id: &str) -> Result<(), AppError> {
        self.apis.delete_request_validator(api, id).await
    }

    async fn save_gateway_response(
        &self,
        api: &str,
        response_type: &str,
        form: apigw_app::model::GatewayResponseForm,
    ) -> Result<apigw_app::model::GatewayResponse, AppError> {
        self.apis.save_gateway_response_form(api, response_type, form).await
    }

    async fn reset_gateway_response(&self, api: &str, response_type: &str) -> Result<(), AppError> {
        self.apis.reset_gateway_response(api, response_type).await
    }

    async fn list_access_keys(&self, user: &SessionUser) -> Result<Vec<AccessKeyInfo>, AppError> {
        Ok(self
            .access_keys
            .list()
            .await?
            .into_iter()
            .filter(|k| user.role == Role::Admin || k.username.eq_ignore_ascii_case(&user.username))
            .map(|k| AccessKeyInfo {
                access_key_id: k.access_key_id,
                username: k.username,
                description: k.description,
                created_at: k.created_at,
                last_used_at: k.last_used_at,
            })
            .collect())
    }

    async fn create_access_key(&self, user_id: i64, description: &str) -> Result<NewAccessKeyInfo, AppError> {
        let k = self.access_keys.create(user_id, description).await?;
        Ok(NewAccessKeyInfo { access_key_id: k.access_key_id, secret_access_key: k.secret_access_key })
    }

    async fn delete_access_key(&self, user: &SessionUser, id: &str) -> Result<(), AppError> {
        if user.role != Role::Admin {
            let own = self
                .access_keys
                .list()
                .await?
                .into_iter()
                .any(|k| k.access_key_id == id && k.username.eq_ignore_ascii_case(&user.username));
            if !own {
                return Err(AppError::NotFound(format!("You have no access key {id}; only admins manage other users' keys.")));
            }
        }
        self.access_keys.delete(id).await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRow>, AppError> {
        self.plans.key_rows().await
    }

    async fn create_api_key(&self, name: &str, description: &str, value: &str) -> Result<ApiKey, AppError> {
        // The console always names its keys and creates them enabled.
        let name = apigw_app::rules::api_key_name(name)?;
        self.plans
            .create_key(CreateApiKeyInput {
                name: Some(name),
                description: Some(description.into()),
                enabled: Some(true),
                value: Some(value.into()),
                ..Default::default()
            })
            .await
    }

    async fn set_api_key_enabled(&self, id: &str, enabled: bool) -> Result<ApiKey, AppError> {
        let op = PatchOperation { op: "replace".into(), path: "/enabled".into(), value: Some(enabled.to_string()) };
        self.plans.update_key(id, &[op]).await
    }

    async fn delete_api_key(&self, id: &str) -> Result<(), AppError> {
        self.plans.delete_key(id).await
    }

    async fn list_usage_plans(&self) -> Result<Vec<UsagePlan>, AppError> {
        self.plans.plans(None).await
    }

    async fn usage_plan_detail(&self, id: &str) -> Result<UsagePlanDetail, AppError> {
        self.plans.detail(id).await
    }

    async fn create_usage_plan(&self, input: UsagePlanInput) -> Result<UsagePlan, AppError> {
        self.plans.create_plan(input).await
    }

    async fn save_usage_plan(&self, id: &str, input: UsagePlanInput) -> Result<UsagePlan, AppError> {
        self.plans.replace_plan(id, input).await
    }

    async fn delete_usage_plan(&self, id: &str) -> Result<(), AppError> {
        self.plans.delete_plan(id).await
    }

    async fn add_usage_plan_key(&self, plan: &str, key: &str) -> Result<UsagePlanKey, AppError> {
        self.plans.add_plan_key(plan, CreateUsagePlanKeyInput { key_id: Some(key.into()), key_type: None }).await
    }

    async fn remove_usage_plan_key(&self, plan: &str, key: &str) -> Result<(), AppError> {
        self.plans.remove_plan_key(plan, key).await
    }

    async fn stage_dashboard(
        &self,
        api: &str,
        stage: &str,
        range: &str,
        only: Option<(String, String)>,
        tz_offset_min: i32,
        dark: bool,
    ) -> Result<StageDashboard, AppError> {
        self.deploys.stage(api, stage).await?;
        if !(-14 * 60..=14 * 60).contains(&tz_offset_min) {
            return Err(AppError::invalid("tzOffsetMin", "tzOffsetMin must be between -840 and 840 minutes."));
        }
        let pick = only.as_ref().map(|(r, m)| (r.as_str(), m.as_str()));
        let metrics = crate::metrics::query::stage_metrics(&self.store, api, stage, range, pick, crate::store::now_secs()).await?;
        let charts = crate::metrics::charts::stage_charts(&metrics, tz_offset_min, dark);
        Ok(StageDashboard { metrics, charts, only })
    }

    async fn dashboards_overview(&self, range: &str, dark: bool) -> Result<Vec<StageOverview>, AppError> {
        let (_, period_seconds) = crate::metrics::query::range_spec(range)?;
        let now = crate::store::now_secs();
        let mut out = Vec::new();
        for api in self.list_apis().await? {
            for st in self.deploys.stages(&api.id).await? {
                let (series, values) = crate::metrics::query::stage_range(&self.store, &api.id, &st.stage_name, range, now).await?;
                let sparkline = crate::metrics::charts::sparkline(&series, dark);
                out.push(StageOverview {
                    api_id: api.id.clone(),
                    api_name: api.name.clone(),
                    stage: st.stage_name,
                    range: range.to_string(),
                    period_seconds,
                    series,
                    values,
                    sparkline,
                });
            }
        }
        Ok(out)
    }

    async fn access_log(&self, api: &str, stage: &str, filter: LogFilter) -> Result<LogPage, AppError> {
        self.deploys.stage(api, stage).await?;
        crate::metrics::query::logs(&self.store, api, stage, &filter).await
    }

    async fn test_invoke(&self, api: &str, resource: &str, verb: &str, input: TestInvokeInput) -> Result<TestInvokeOutput, AppError> {
        crate::testinvoke::test_invoke(&self.apis, &self.gateway, api, resource, verb, input).await
    }

    async fn try_template(&self, api: &str, resource: &str, input: TemplateTryInput) -> Result<TemplateTryOutput, AppError> {
        crate::template_try::try_template(&self.apis, api, resource, input).await
    }

    async fn stage_dry_run(&self, api: &str, stage: &str, input: DryRunInput) -> Result<StageTrace, AppError> {
        crate::testinvoke::dry_run(&self.deploys, &self.gateway, api, stage, input).await
    }

    async fn list_users(&self) -> Result<Vec<UserInfo>, AppError> {
        self.store.list_users().await.map_err(internal)
    }

    async fn create_user(&self, username: &str, password: &str, role: Role) -> Result<UserInfo, AppError> {
        let id = self.auth.create_user(username, password, role, false).await?;
        self.has_admin.store(true, Ordering::Release);
        let users = self.store.list_users().await.map_err(internal)?;
        users.into_iter().find(|u| u.id == id).ok_or_else(|| AppError::Internal("the new user vanished".into()))
    }

    async fn update_user(&self, id: i64, role: Role, disabled: bool) -> Result<(), AppError> {
        self.store.update_user(id, role, disabled).await.map_err(user_error)
    }

    async fn delete_user(&self, id: i64) -> Result<(), AppError> {
        self.store.delete_user(id).await.map_err(user_error)
    }

    async fn reset_password(&self, id: i64, password: &str) -> Result<(), AppError> {
        self.auth.set_password(id, password, None).await
    }

    async fn change_password(&self, user: &SessionUser, current: &str, password: &str, token: &str) -> Result<(), AppError> {
        self.auth.check_current_password(user.id, current, apigw_app::service::client_addr()).await?;
        if current == password {
            return Err(AppError::invalid("password", "The new password must differ from the current one."));
        }
        self.auth.set_password(user.id, password, Some(token)).await
    }

    async fn my_sessions(&self, user: &SessionUser, token: &str) -> Result<Vec<SessionInfo>, AppError> {
        let current = crate::auth::token_hash(token);
        Ok(self
            .store
            .sessions_of(user.id)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|s| SessionInfo {
                id: s.token_hash[..12].to_string(),
                current: s.token_hash == current,
                created_at: s.created_at,
                expires_at: s.expires_at,
                source: s.source,
            })
            .collect())
    }

    async fn end_other_sessions(&self, user: &SessionUser, token: &str) -> Result<u64, AppError> {
        self.store.end_sessions(user.id, Some(&crate::auth::token_hash(token))).await.map_err(internal)
    }

    async fn audit_log(&self, filter: AuditFilter) -> Result<AuditPage, AppError> {
        if let Some(l) = filter.limit {
            if !(1..=500).contains(&l) {
                return Err(AppError::invalid("limit", "limit must be from 1 to 500."));
            }
        }
        self.store.list_audit(&filter).await.map_err(internal)
    }

    async fn stage_choices(&self) -> Result<Vec<(String, String, Vec<String>)>, AppError> {
        let mut out = Vec::new();
        for api in self.list_apis().await? {
            let stages: Vec<String> = self.deploys.stages(&api.id).await?.into_iter().map(|s| s.stage_name).collect();
            if !stages.is_empty() {
                out.push((api.id, api.name, stages));
            }
        }
        Ok(out)
    }

    async fn served_methods(&self) -> Result<Vec<(String, String, Vec<String>)>, AppError> {
        let mut out = Vec::new();
        for api in self.list_apis().await? {
            for st in self.deploys.stages(&api.id).await? {
                let served = self.deploys.snapshot(&api.id, &st.deployment_id).await?;
                let keys =
                    served.iter().flat_map(|r| r.resource_methods.iter().flatten().map(|(verb, _)| format!("{}/{verb}", r.path))).collect();
                out.push((api.id.clone(), st.stage_name, keys));
            }
        }
        Ok(out)
    }
}

fn user_error(e: crate::store::StoreError) -> AppError {
    match e {
        crate::store::StoreError::NotFound => AppError::NotFound("No such user.".into()),
        crate::store::StoreError::Conflict(m) => AppError::Conflict(m),
        other => internal(other),
    }
}

/// The console's router: Leptos pages and server functions behind the session gate.
pub fn router(console: Arc<Console>, leptos_options: LeptosOptions) -> Router {
    // Generating the route list renders the app with resource loading
    // suppressed by a process-wide flag (leptos_server's
    // IS_SUPPRESSING_RESOURCE_LOAD, leptos-rs/leptos#4773): a resource first
    // polled by another server's page meanwhile would hang that page
    // forever. So it is generated once per process, before any router
    // exists to serve a page (several servers share a process in tests).
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let service: Arc<dyn ConsoleService> = console.clone();
    let context = move || provide_context(service.clone());
    let shell_options = leptos_options.clone();
    let pages = Router::new()
        .leptos_routes_with_context(&leptos_options, routes, context.clone(), move || shell(shell_options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<LeptosOptions, _>(context, shell))
        .with_state(leptos_options)
        .layer(middleware::from_fn(gate::server_fn_status))
        .layer(middleware::from_fn_with_state(console.clone(), gate::session_gate))
        // Server functions read their whole body; this bounds it (413 past it, as the control API).
        .layer(tower_http::limit::RequestBodyLimitLayer::new(gate::MAX_FN_BODY));
    let prom = console.metrics.clone();
    let signed = crate::control::router(console.clone(), true);
    let unsigned = Router::new()
        .merge(crate::control::router(console, false))
        .merge(pages)
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(move |req: Request| async move { metrics_endpoint::prometheus(&prom, &req) }));
    // A SigV4-signed request is for the control API, whatever its path. The
    // choice is made before any routing (a router with only a fallback), so
    // the chosen router sees the request as it came.
    Router::new()
        .fallback_service(unsigned)
        .layer(middleware::from_fn(move |req: Request, next: middleware::Next| {
            let signed = signed.clone();
            async move {
                if crate::control::is_signed(&req) {
                    tower::ServiceExt::oneshot(signed, req).await.unwrap_or_else(|never| match never {})
                } else {
                    next.run(req).await
                }
            }
        }))
        // The wasm (a 0.9 MB shell and a chunk per page) compresses to about a third.
        .layer(tower_http::compression::CompressionLayer::new())
}

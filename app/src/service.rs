//! The seam between the console's server functions and the real work, which
//! lives in the `server` crate. Server functions stay thin: find the service,
//! check the session, call it.

use std::sync::Arc;

use crate::error::AppError;
use crate::identity::{AuditFilter, AuditPage, SessionInfo, UserInfo};
use crate::identity::{Role, SessionUser};
use crate::model::{
    AccessKeyInfo, ApiKey, ApiKeyRow, ApiTree, Deployment, DryRunInput, LogFilter, LogPage, Method, MethodSettings, NewAccessKeyInfo,
    PatchOperation, Resource, RestApi, Stage, StageDashboard, StageDetail, StageOverview, StageTrace, TemplateTryInput, TemplateTryOutput,
    TestInvokeInput, TestInvokeOutput, UsagePlan, UsagePlanDetail, UsagePlanInput, UsagePlanKey,
};

/// A session cookie value the server just issued, with how long it lives.
#[derive(Clone)]
pub struct NewSession {
    pub token: String,
    pub max_age_secs: u64,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession").field("token", &"<redacted>").finish()
    }
}

/// Everything the console needs from the server. Implemented in `server`,
/// handed to Leptos with `provide_context`.
#[async_trait::async_trait]
pub trait ConsoleService: Send + Sync + 'static {
    /// True until the first admin exists.
    async fn needs_setup(&self) -> Result<bool, AppError>;
    /// Creates the first admin and signs them in. Refused once any admin exists.
    async fn setup_admin(&self, username: &str, password: &str) -> Result<NewSession, AppError>;
    /// Checks a password (throttled per source address and per user) and
    /// opens a session. `source` is the caller's address, when known.
    async fn login(&self, username: &str, password: &str, source: Option<std::net::IpAddr>) -> Result<NewSession, AppError>;
    /// Ends the session whose cookie value is `token`.
    async fn logout(&self, token: &str) -> Result<(), AppError>;
    /// Addresses and storage of this server, for the settings page.
    async fn server_info(&self) -> Result<crate::model::ServerInfo, AppError>;

    async fn list_apis(&self) -> Result<Vec<RestApi>, AppError>;
    async fn create_api(&self, name: &str, description: &str) -> Result<RestApi, AppError>;
    async fn delete_api(&self, id: &str) -> Result<(), AppError>;
    /// What importing an OpenAPI document (JSON or YAML) would create
    /// (`basepath`: ignore, prepend or split, as ImportRestApi takes it).
    async fn import_preview(&self, document: &str, basepath: &str) -> Result<crate::model::ImportPreview, AppError>;
    /// ImportRestApi from the console; `fail_on_warnings` refuses a document with warnings.
    async fn import_api(&self, document: &str, basepath: &str, fail_on_warnings: bool) -> Result<crate::model::ImportOutcome, AppError>;
    async fn api_tree(&self, id: &str) -> Result<ApiTree, AppError>;
    async fn create_resource(&self, api: &str, parent: &str, path_part: &str) -> Result<Resource, AppError>;
    async fn delete_resource(&self, api: &str, resource: &str) -> Result<(), AppError>;
    async fn create_method(&self, api: &str, resource: &str, verb: &str) -> Result<Method, AppError>;
    async fn delete_method(&self, api: &str, resource: &str, verb: &str) -> Result<(), AppError>;
    /// Saves the method editor's form: every rule is checked before anything is written.
    async fn save_method(&self, api: &str, resource: &str, verb: &str, settings: MethodSettings) -> Result<Method, AppError>;

    /// An API's models, request validators and gateway responses.
    async fn api_items(&self, api: &str) -> Result<crate::model::ApiItems, AppError>;
    /// Creates a model (`original` empty) or replaces the description and
    /// schema of the model named `original`, by CreateModel's and UpdateModel's rules.
    async fn save_model(&self, api: &str, original: &str, form: crate::model::ModelForm) -> Result<crate::model::Model, AppError>;
    /// DeleteModel: refused while a method uses the model.
    async fn delete_model(&self, api: &str, name: &str) -> Result<(), AppError>;
    /// Creates a request validator (`id` empty) or updates one.
    async fn save_validator(
        &self,
        api: &str,
        id: &str,
        form: crate::model::ValidatorForm,
    ) -> Result<crate::model::RequestValidator, AppError>;
    /// DeleteRequestValidator: refused while a method uses it.
    async fn delete_validator(&self, api: &str, id: &str) -> Result<(), AppError>;
    /// PutGatewayResponse from the console's form, keeping what the form does not show.
    async fn save_gateway_response(
        &self,
        api: &str,
        response_type: &str,
        form: crate::model::GatewayResponseForm,
    ) -> Result<crate::model::GatewayResponse, AppError>;
    /// DeleteGatewayResponse: the type answers AWS's default again.
    async fn reset_gateway_response(&self, api: &str, response_type: &str) -> Result<(), AppError>;
    /// Snapshots the API and points `stage` (created if new) at it.
    async fn deploy(&self, api: &str, stage: &str, description: &str) -> Result<Deployment, AppError>;
    async fn stage_detail(&self, api: &str, stage: &str) -> Result<StageDetail, AppError>;
    /// What a stage's callers would notice if it served deployment `to`.
    async fn deployment_changes(&self, api: &str, stage: &str, to: &str) -> Result<Vec<crate::diff::DeploymentChange>, AppError>;
    /// UpdateStage: rollback, variables and settings, one implementation for console and control API.
    async fn update_stage(&self, api: &str, stage: &str, ops: Vec<PatchOperation>) -> Result<Stage, AppError>;
    async fn delete_stage(&self, api: &str, stage: &str) -> Result<(), AppError>;

    /// Admins see every access key; other users their own.
    async fn list_access_keys(&self, user: &SessionUser) -> Result<Vec<AccessKeyInfo>, AppError>;
    async fn create_access_key(&self, user_id: i64, description: &str) -> Result<NewAccessKeyInfo, AppError>;
    /// Admins may delete any access key; other users their own.
    async fn delete_access_key(&self, user: &SessionUser, id: &str) -> Result<(), AppError>;

    /// Every API key with the plans it belongs to, newest first.
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyRow>, AppError>;
    /// Creates an enabled key; the answer is the only time its value is shown.
    /// `value` empty means "generate one".
    async fn create_api_key(&self, name: &str, description: &str, value: &str) -> Result<ApiKey, AppError>;
    async fn set_api_key_enabled(&self, id: &str, enabled: bool) -> Result<ApiKey, AppError>;
    async fn delete_api_key(&self, id: &str) -> Result<(), AppError>;

    async fn list_usage_plans(&self) -> Result<Vec<UsagePlan>, AppError>;
    /// A plan with its keys and their usage (current period and the last 14 days).
    async fn usage_plan_detail(&self, id: &str) -> Result<UsagePlanDetail, AppError>;
    async fn create_usage_plan(&self, input: UsagePlanInput) -> Result<UsagePlan, AppError>;
    /// Replaces a plan's name, description, throttle, quota and API stages;
    /// every rule is checked before anything is written.
    async fn save_usage_plan(&self, id: &str, input: UsagePlanInput) -> Result<UsagePlan, AppError>;
    async fn delete_usage_plan(&self, id: &str) -> Result<(), AppError>;
    async fn add_usage_plan_key(&self, plan: &str, key: &str) -> Result<UsagePlanKey, AppError>;
    async fn remove_usage_plan_key(&self, plan: &str, key: &str) -> Result<(), AppError>;
    /// Every deployed stage, as (API id, API name, stage names), for the plan editor.
    async fn stage_choices(&self) -> Result<Vec<(String, String, Vec<String>)>, AppError>;
    /// The methods each deployed stage serves, as plan throttle keys
    /// (`/pets/{id}/GET`): (API id, stage, keys).
    async fn served_methods(&self) -> Result<Vec<(String, String, Vec<String>)>, AppError>;

    /// A stage's metrics and charts over `range` (15m, 1h, 6h, 24h, 7d); with
    /// `only` = (resource, method), one method's. Charts use the viewer's UTC
    /// offset (minutes east of UTC) and page theme.
    async fn stage_dashboard(
        &self,
        api: &str,
        stage: &str,
        range: &str,
        only: Option<(String, String)>,
        tz_offset_min: i32,
        dark: bool,
    ) -> Result<StageDashboard, AppError>;
    /// Every stage of every API: the last hour at a glance.
    async fn dashboards_overview(&self, range: &str, dark: bool) -> Result<Vec<StageOverview>, AppError>;
    /// One page of a stage's access log, newest first.
    async fn access_log(&self, api: &str, stage: &str, filter: LogFilter) -> Result<LogPage, AppError>;

    /// TestInvokeMethod: runs the current configuration of one method for real.
    async fn test_invoke(&self, api: &str, resource: &str, verb: &str, input: TestInvokeInput) -> Result<TestInvokeOutput, AppError>;
    /// Renders a mapping template as typed against a sample request (no backend call).
    async fn try_template(&self, api: &str, resource: &str, input: TemplateTryInput) -> Result<TemplateTryOutput, AppError>;
    /// What a deployed stage would do with a request, without sending it.
    async fn stage_dry_run(&self, api: &str, stage: &str, input: DryRunInput) -> Result<StageTrace, AppError>;

    async fn list_users(&self) -> Result<Vec<UserInfo>, AppError>;
    async fn create_user(&self, username: &str, password: &str, role: Role) -> Result<UserInfo, AppError>;
    async fn update_user(&self, id: i64, role: Role, disabled: bool) -> Result<(), AppError>;
    async fn delete_user(&self, id: i64) -> Result<(), AppError>;
    async fn reset_password(&self, id: i64, password: &str) -> Result<(), AppError>;
    /// `token` is the caller's session cookie: that session stays, the others end.
    async fn change_password(&self, user: &SessionUser, current: &str, password: &str, token: &str) -> Result<(), AppError>;
    async fn my_sessions(&self, user: &SessionUser, token: &str) -> Result<Vec<SessionInfo>, AppError>;
    async fn end_other_sessions(&self, user: &SessionUser, token: &str) -> Result<u64, AppError>;
    async fn audit_log(&self, filter: AuditFilter) -> Result<AuditPage, AppError>;
}

/// The service, as provided by the server for this request.
pub fn service() -> Result<Arc<dyn ConsoleService>, AppError> {
    leptos::prelude::use_context::<Arc<dyn ConsoleService>>()
        .ok_or_else(|| AppError::Internal("console service missing from context".into()))
}

/// The signed-in user of this request, put there by the server's session middleware.
pub fn current_user() -> Option<SessionUser> {
    leptos::prelude::use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<SessionUser>().cloned())
}

/// The address a console request came from, put in the request's extensions
/// by the server's session middleware: sign-in throttling is keyed on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// The address this request came from, if the server recorded it.
pub fn client_addr() -> Option<std::net::IpAddr> {
    leptos::prelude::use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<ClientAddr>().map(|a| a.0))
}

/// The signed-in user, or `Unauthorized`. Every protected server function starts here.
pub fn require_user() -> Result<SessionUser, AppError> {
    current_user().ok_or(AppError::Unauthorized)
}

/// The raw value of cookie `name` in a request's headers.
pub fn cookie_value<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The raw value of a cookie on this request.
pub fn request_cookie(name: &str) -> Option<String> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    cookie_value(&parts.headers, name).map(str::to_string)
}

/// Finishes a server function: on failure, sets the HTTP status that matches
/// the error (400, 401, 403, 404, 409, 429, 500) so scripts see a meaningful
/// code. Plain HTML form posts keep Leptos' redirect-back behaviour.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    use http::StatusCode;
    if let Err(e) = &result {
        let accepts_html = leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|p| p.headers.get(http::header::ACCEPT)?.to_str().ok().map(|a| a.contains("text/html")))
            .unwrap_or(false);
        if let (false, Some(res)) = (accepts_html, leptos::prelude::use_context::<leptos_axum::ResponseOptions>()) {
            res.set_status(StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        }
    }
    result
}

/// Runs a console action for the signed-in user: checks the session and
/// that the user's role allows `endpoint` (the one table in `roles`), finds
/// the service, and gives a failure its HTTP status. Every protected server
/// function is one call to this, whether the browser calls it or a page
/// rendered on the server does.
pub async fn authed<T, F, Fut>(endpoint: &'static str, f: F) -> Result<T, AppError>
where
    F: FnOnce(Arc<dyn ConsoleService>, SessionUser) -> Fut,
    Fut: std::future::Future<Output = Result<T, AppError>>,
{
    let result = async {
        let user = require_user()?;
        crate::roles::check(&user, endpoint)?;
        f(service()?, user).await
    }
    .await;
    respond(result)
}

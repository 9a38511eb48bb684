//! Each console page as a lazily loaded route: its code is a separate wasm
//! chunk, fetched when the page is first shown (and preloaded by the server's
//! HTML for the page it renders), so a first visit downloads the shell and one
//! page instead of the whole console.
//!
//! Written out one by one rather than by a `macro_rules!`: `#[lazy]` names a
//! chunk after the place it is written, so routes stamped out by one macro
//! could share a name.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

use crate::auth::{LoginPage, SetupPage};
use crate::pages::{
    api_detail::ApiDetailPage,
    api_models::ApiModelsPage,
    api_responses::GatewayResponsesPage,
    apis::ApisPage,
    dashboards::DashboardsPage,
    keys::KeysPage,
    settings::SettingsPage,
    stage::StagePage,
    stage_dashboard::StageDashboardPage,
    stage_logs::StageLogsPage,
    usage_plans::{UsagePlanPage, UsagePlansPage},
    users::{AccountPage, AuditPage, UsersPage},
};

/// Route for setup.
pub struct SetupRoute;

#[lazy_route]
impl LazyRoute for SetupRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <SetupPage /> }.into_any()
    }
}

/// Route for login.
pub struct LoginRoute;

#[lazy_route]
impl LazyRoute for LoginRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <LoginPage /> }.into_any()
    }
}

/// Route for the API list.
pub struct ApisRoute;

#[lazy_route]
impl LazyRoute for ApisRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ApisPage /> }.into_any()
    }
}

/// Route for an API's models and request validators.
pub struct ApiModelsRoute;

#[lazy_route]
impl LazyRoute for ApiModelsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ApiModelsPage /> }.into_any()
    }
}

/// Route for an API's gateway responses.
pub struct GatewayResponsesRoute;

#[lazy_route]
impl LazyRoute for GatewayResponsesRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <GatewayResponsesPage /> }.into_any()
    }
}

/// Route for an API's resources, methods and Test panel.
pub struct ApiDetailRoute;

#[lazy_route]
impl LazyRoute for ApiDetailRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <ApiDetailPage /> }.into_any()
    }
}

/// Route for a stage.
pub struct StageRoute;

#[lazy_route]
impl LazyRoute for StageRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <StagePage /> }.into_any()
    }
}

/// Route for a stage's dashboard.
pub struct StageDashboardRoute;

#[lazy_route]
impl LazyRoute for StageDashboardRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <StageDashboardPage /> }.into_any()
    }
}

/// Route for a stage's access log.
pub struct StageLogsRoute;

#[lazy_route]
impl LazyRoute for StageLogsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <StageLogsPage /> }.into_any()
    }
}

/// Route for API keys.
pub struct KeysRoute;

#[lazy_route]
impl LazyRoute for KeysRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <KeysPage /> }.into_any()
    }
}

/// Route for usage plans.
pub struct UsagePlansRoute;

#[lazy_route]
impl LazyRoute for UsagePlansRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <UsagePlansPage /> }.into_any()
    }
}

/// Route for one usage plan.
pub struct UsagePlanRoute;

#[lazy_route]
impl LazyRoute for UsagePlanRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <UsagePlanPage /> }.into_any()
    }
}

/// Route for all stages' dashboards.
pub struct DashboardsRoute;

#[lazy_route]
impl LazyRoute for DashboardsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <DashboardsPage /> }.into_any()
    }
}

/// Route for settings.
pub struct SettingsRoute;

#[lazy_route]
impl LazyRoute for SettingsRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <SettingsPage /> }.into_any()
    }
}

/// Route for the user's account.
pub struct AccountRoute;

#[lazy_route]
impl LazyRoute for AccountRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <AccountPage /> }.into_any()
    }
}

/// Route for users.
pub struct UsersRoute;

#[lazy_route]
impl LazyRoute for UsersRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <UsersPage /> }.into_any()
    }
}

/// Route for the audit log.
pub struct AuditRoute;

#[lazy_route]
impl LazyRoute for AuditRoute {
    fn data() -> Self {
        Self
    }

    fn view(_this: Self) -> AnyView {
        view! { <AuditPage /> }.into_any()
    }
}

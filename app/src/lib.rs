//! The apigw console: Leptos pages rendered on the server and hydrated in the
//! browser, the server functions behind them, and the types both sides share.

pub mod auth;
pub mod calendar;
pub mod components;
pub mod diff;
pub mod error;
pub mod identity;
pub mod layout;
pub mod model;
#[cfg(test)]
mod no_swallowed_errors;
pub mod pages;
pub mod roles;
pub mod routes;
pub mod rules;
/// The contract between server functions and the `server` crate.
#[cfg(feature = "ssr")]
pub mod service;
pub mod users;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::{path, Lazy};

use crate::layout::ConsoleLayout;
use crate::pages::not_found::NotFoundPage;
use crate::routes::*;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Cpath d='M8 1l7 7-7 7-7-7z' fill='%232563eb'/%3E%3C/svg%3E" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The console's routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/apigw.css" />
        <Title text="Console" formatter=|t: String| if t.is_empty() { "apigw".to_string() } else { format!("{t} · apigw") } />
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/setup") view={Lazy::<SetupRoute>::new()} />
                <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} />
                <ParentRoute path=path!("") view=ConsoleLayout>
                    <Route path=path!("") view=|| view! { <Redirect path="/apis" /> } />
                    <Route path=path!("apis") view={Lazy::<ApisRoute>::new()} />
                    <Route path=path!("apis/:id") view={Lazy::<ApiDetailRoute>::new()} />
                    <Route path=path!("apis/:id/models") view={Lazy::<ApiModelsRoute>::new()} />
                    <Route path=path!("apis/:id/responses") view={Lazy::<GatewayResponsesRoute>::new()} />
                    <Route path=path!("apis/:id/stages/:stage") view={Lazy::<StageRoute>::new()} />
                    <Route path=path!("apis/:id/stages/:stage/dashboard") view={Lazy::<StageDashboardRoute>::new()} />
                    <Route path=path!("apis/:id/stages/:stage/logs") view={Lazy::<StageLogsRoute>::new()} />
                    <Route path=path!("keys") view={Lazy::<KeysRoute>::new()} />
                    <Route path=path!("usage-plans") view={Lazy::<UsagePlansRoute>::new()} />
                    <Route path=path!("usage-plans/:id") view={Lazy::<UsagePlanRoute>::new()} />
                    <Route path=path!("dashboards") view={Lazy::<DashboardsRoute>::new()} />
                    <Route path=path!("settings") view={Lazy::<SettingsRoute>::new()} />
                    <Route path=path!("account") view={Lazy::<AccountRoute>::new()} />
                    <Route path=path!("users") view={Lazy::<UsersRoute>::new()} />
                    <Route path=path!("audit") view={Lazy::<AuditRoute>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// Browser entry point: attach to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Pages are lazily loaded chunks (see `routes`): hydration waits for the
    // current page's chunk, so it runs as a task rather than synchronously
    // (on wasm-bindgen's executor: Leptos's is set up by the call inside).
    wasm_bindgen_futures::spawn_local(async {
        leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), App).await.forget();
        // Lets browser tests (and curious operators) tell the live client
        // from the server-rendered HTML.
        if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

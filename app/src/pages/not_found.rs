//! The page for a console address that does not exist.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <h1>"Page not found"</h1>
                <p class="muted">"There is no console page at this address."</p>
                <A href="/apis" attr:class="btn btn-primary">"Go to APIs"</A>
            </section>
        </main>
    }
}

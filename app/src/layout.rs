//! The signed-in console frame: sidebar navigation, the header with the user
//! and Log out, and the outlet where each section renders.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use crate::auth::{whoami, Logout};
use crate::error::AppError;

const NAV: &[(&str, &str, &str)] = &[
    ("/apis", "APIs", "⇄"),
    ("/keys", "API keys", "⚿"),
    ("/usage-plans", "Usage plans", "▤"),
    ("/dashboards", "Dashboards", "◔"),
    ("/settings", "Settings", "⚙"),
];

#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| whoami());
    let logout = ServerAction::<Logout>::new();
    view! {
        <div class="console">
            <aside class="sidebar">
                <A href="/apis" attr:class="brand">
                    <span class="brand-mark">"◆"</span>
                    " apigw"
                </A>
                <nav aria-label="Sections">
                    <ul>
                        {NAV
                            .iter()
                            .map(|(href, label, icon)| {
                                view! {
                                    <li>
                                        <A href=*href attr:class="nav-link">
                                            <span class="nav-icon" aria-hidden="true">{*icon}</span>
                                            {*label}
                                        </A>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
                <div class="sidebar-foot muted">"apigw " {env!("CARGO_PKG_VERSION")}</div>
            </aside>
            <div class="main">
                <header class="topbar">
                    <span class="topbar-title">"Console"</span>
                    <div class="topbar-user">
                        <Transition fallback=|| view! { <span class="muted">"…"</span> }>
                            {move || user.get().map(|u| match u {
                                Ok(u) => view! {
                                    <span class="user-chip" id="current-user">
                                        <span class="avatar" aria-hidden="true">
                                            {u.username.chars().next().unwrap_or('?').to_uppercase().to_string()}
                                        </span>
                                        {u.username}
                                    </span>
                                }.into_any(),
                                Err(AppError::Unauthorized) => view! {
                                    <a href="/login" class="btn btn-small">"Sign in again"</a>
                                }.into_any(),
                                Err(e) => view! { <span class="field-error">{e.to_string()}</span> }.into_any(),
                            })}
                        </Transition>
                        <ActionForm action=logout attr:class="inline-form">
                            <button type="submit" class="btn btn-small btn-ghost" id="logout">"Log out"</button>
                        </ActionForm>
                    </div>
                </header>
                <main class="content">
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

//! The signed-in console frame: sidebar navigation, the header with the user
//! and Log out, and the outlet where each section renders.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use crate::auth::{whoami, Logout, Role};
use crate::error::AppError;

/// Sections: address, label, and an SVG path (24×24, stroked) for the icon.
/// Drawn as SVG so no font has to carry the glyphs.
const NAV: &[(&str, &str, &str)] = &[
    ("/apis", "APIs", "M4 7h13l-3-3M20 17H7l3 3"),
    ("/keys", "API keys", "M14 10a4 4 0 1 0-3.5 3.97L10 14v3h3v3h3v-3.5l-2.2-2.2A4 4 0 0 0 14 10z"),
    ("/usage-plans", "Usage plans", "M5 4h14v16H5zM8 9h8M8 13h8M8 17h5"),
    ("/dashboards", "Dashboards", "M4 20V10M10 20V4M16 20v-7M22 20H2"),
    ("/settings", "Settings", "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM19 12l2-1-1-3-2 .3-1.3-1.3L17 5l-3-1-1 2h-2L10 4 7 5l.3 2L6 8.3 4 8l-1 3 2 1v0l-2 1 1 3 2-.3L7.3 17 7 19l3 1 1-2h2l1 2 3-1-.3-2 1.3-1.3 2 .3 1-3z"),
];

/// Sections about people: Account for everyone, Users and Audit log for admins.
const ACCOUNT_NAV: &[(&str, &str, &str)] = &[
    ("/account", "Account", "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0"),
    ("/users", "Users", "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21a7 7 0 0 1 14 0M17 11a3 3 0 1 0 0-6M22 21a6 6 0 0 0-5-6"),
    ("/audit", "Audit log", "M6 3h9l4 4v14H6zM9 9h6M9 13h6M9 17h4"),
];

/// The signed-in user's role, provided by the layout, so pages can leave
/// out what the role may not do (the server refuses it anyway).
#[derive(Clone, Copy)]
pub struct CurrentRole(pub Signal<Option<Role>>);

/// Whether the signed-in user's role allows what `needed` may do; false
/// until the role is known, so controls appear only once it is.
pub fn can(needed: Role) -> Signal<bool> {
    let role = use_context::<CurrentRole>().map(|r| r.0);
    Signal::derive(move || role.and_then(|r| r.get()).is_some_and(|r| r.allows(needed)))
}

/// Renders its children only for users whose role allows `role`: edit
/// controls are left out for viewers instead of failing when pressed.
#[component]
pub fn IfCan(role: Role, children: ChildrenFn) -> impl IntoView {
    let allowed = can(role);
    view! { <Show when=move || allowed.get()>{children()}</Show> }
}

/// A line saying the page is read-only for this role, shown where the edit
/// controls would be, so a viewer knows why there is nothing to press.
#[component]
pub fn ReadOnlyNote(#[prop(default = Role::Editor)] role: Role) -> impl IntoView {
    let current = use_context::<CurrentRole>().map(|r| r.0);
    let shown = move || current.and_then(|r| r.get()).filter(|r| !r.allows(role));
    view! {
        {move || shown().map(|r| view! {
            <p class="read-only-note" role="note">
                "Read-only: your role (" {r.as_str()} ") can look but not change. Changes need the "
                {role.as_str()} " role; an admin can grant it."
            </p>
        })}
    }
}

/// A page only `role` may use: its children for such users, a line saying
/// who may use it for others (the server refuses them anyway).
#[component]
pub fn RoleGate(role: Role, what: &'static str, children: ChildrenFn) -> impl IntoView {
    let current = use_context::<CurrentRole>().map(|r| r.0);
    let children = StoredValue::new(children);
    move || match current.and_then(|r| r.get()) {
        None => view! { <div class="card loading">"Loading…"</div> }.into_any(),
        Some(r) if r.allows(role) => children.with_value(|c| c()).into_any(),
        Some(r) => view! {
            <div class="card" id="role-gate">
                <p>{format!("Only the {role} role can {what}; you are signed in as {r}. Ask an admin if you need it.")}</p>
            </div>
        }
        .into_any(),
    }
}

#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| whoami());
    provide_context(CurrentRole(Signal::derive(move || user.get().and_then(Result::ok).map(|u| u.role))));
    let logout = ServerAction::<Logout>::new();
    let main_ref = NodeRef::<leptos::html::Main>::new();
    view! {
        // The router would take the click as a navigation: focus the content here.
        <a href="#main" class="skip-link" on:click=move |ev| {
            ev.prevent_default();
            if let Some(m) = main_ref.get() {
                let _ = m.focus();
            }
        }>"Skip to content"</a>
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
                                            <svg class="nav-icon" viewBox="0 0 24 24" aria-hidden="true">
                                                <path d=*icon />
                                            </svg>
                                            {*label}
                                        </A>
                                    </li>
                                }
                            })
                            .collect_view()}
                        <Transition fallback=|| ()>
                            {move || user.get().and_then(Result::ok).map(|u| {
                                let items: Vec<(&str, &str, &str)> = ACCOUNT_NAV
                                    .iter()
                                    .filter(|(href, _, _)| u.role == Role::Admin || *href == "/account")
                                    .copied()
                                    .collect();
                                items
                                    .into_iter()
                                    .map(|(href, label, icon)| view! {
                                        <li>
                                            <A href=href attr:class="nav-link">
                                                <svg class="nav-icon" viewBox="0 0 24 24" aria-hidden="true"><path d=icon /></svg>
                                                {label}
                                            </A>
                                        </li>
                                    })
                                    .collect_view()
                            })}
                        </Transition>
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
                                        <span class="badge badge-off" id="current-role">{u.role.as_str()}</span>
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
                <main class="content" id="main" tabindex="-1" node_ref=main_ref>
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

//! The signed-in console frame: sidebar navigation, the header with the user
//! and Log out, and the outlet where each section renders.

use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

use crate::auth::{whoami, Logout};
use crate::error::AppError;
use crate::identity::Role;

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

/// Edits somewhere on the page that are not saved yet: the question to ask
/// before they are left behind. Provided by the layout, set by a form
/// through [`guard_unsaved`].
#[derive(Clone, Copy)]
pub struct Unsaved(pub RwSignal<Option<String>>);

/// While `dirty`, leaving the page asks `question` first: a click on any
/// link of the console (links marked `data-keeps-edits`, such as the tabs
/// of the same editor, excepted) and closing or reloading the tab.
pub fn guard_unsaved(dirty: Signal<bool>, question: String) {
    let Some(Unsaved(slot)) = use_context::<Unsaved>() else { return };
    Effect::new(move |_| slot.set(dirty.get().then(|| question.clone())));
    on_cleanup(move || {
        let _ = slot.try_set(None);
    });
}

/// The layout's side of [`guard_unsaved`], for a click anywhere in the
/// console. It runs before the router's own listener (on the window), so a
/// "Cancel" leaves the router nothing to follow.
fn confirm_leaving(unsaved: RwSignal<Option<String>>, ev: leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let Some(question) = unsaved.get_untracked() else { return };
        if ev.default_prevented() || ev.button() != 0 || ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key() {
            return;
        }
        let link = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("a[href]").ok().flatten())
            .and_then(|e| e.dyn_into::<web_sys::HtmlAnchorElement>().ok());
        let Some(link) = link else { return };
        let here = window().location().href().unwrap_or_default();
        if link.has_attribute("data-keeps-edits") || link.href() == here || link.target() == "_blank" {
            return;
        }
        if !window().confirm_with_message(&question).unwrap_or(true) {
            ev.prevent_default();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (unsaved, ev);
}

#[component]
pub fn ConsoleLayout() -> impl IntoView {
    let user = Resource::new(|| (), |_| whoami());
    provide_context(CurrentRole(Signal::derive(move || user.get().and_then(Result::ok).map(|u| u.role))));
    let unsaved = RwSignal::new(None::<String>);
    provide_context(Unsaved(unsaved));
    // Closing or reloading the tab: the browser asks with its own words.
    let unload = window_event_listener(leptos::ev::beforeunload, move |ev| {
        if unsaved.get_untracked().is_some() {
            ev.prevent_default();
            ev.set_return_value("unsaved");
        }
    });
    on_cleanup(move || unload.remove());
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
        <div class="console" on:click=move |ev| confirm_leaving(unsaved, ev)>
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
                        // A sign-out that did not go through (the server unreachable) says so.
                        {move || crate::components::error_other(&logout.value().get(), &[]).map(|m| view! {
                            <span class="field-error" role="alert" id="logout-error">{format!("Not signed out: {m}")}</span>
                        })}
                    </div>
                </header>
                <main class="content" id="main" tabindex="-1" node_ref=main_ref>
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

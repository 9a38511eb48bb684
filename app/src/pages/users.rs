//! Users (admins: add, change role, disable, reset password, remove), the
//! signed-in user's account (own password, sessions), and the audit log.

use leptos::prelude::*;

use crate::components::{error_for, error_other, fmt_time, ConfirmDelete, ErrorLine, PageHeader};
use crate::identity::{AuditFilter, Role, UserInfo};
use crate::layout::RoleGate;
use crate::users::{
    audit_log, change_password, create_user, delete_user, end_other_sessions, list_users, my_sessions, reset_password, update_user,
};

const ROLE_HELP: &str = "admin: everything, including users · editor: APIs, stages, keys and plans · viewer: read-only";

/// `/users`: every user, for admins.
#[component]
pub fn UsersPage() -> impl IntoView {
    view! { <RoleGate role=Role::Admin what="manage users"><UsersAdmin /></RoleGate> }
}

#[component]
fn UsersAdmin() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let users = Resource::new(move || version.get(), |_| list_users());
    let bump = move || version.update(|v| *v += 1);

    let (name, password, role) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new("editor".to_string()));
    let create = Action::new(|(n, p, r): &(String, String, String)| create_user(n.clone(), p.clone(), r.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            password.set(String::new());
            bump();
        }
    });
    let update = Action::new(|(id, r, d): &(i64, String, bool)| update_user(*id, r.clone(), *d));
    Effect::new(move |_| {
        if update.value().get().is_some() {
            bump();
        }
    });
    let to_delete = RwSignal::new(None::<UserInfo>);
    let delete = Action::new(|id: &i64| delete_user(*id));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            to_delete.set(None);
            bump();
        }
    });
    let to_reset = RwSignal::new(None::<UserInfo>);

    view! {
        <PageHeader title="Users" subtitle="Who may sign in to this console, and what each may do." />
        <section class="card">
            <h2>"Add a user"</h2>
            <p class="muted">{ROLE_HELP}</p>
            <form class="inline-row wrap" id="create-user" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                create.dispatch((name.get(), password.get(), role.get()));
            }>
                <label for="new-username" class="sr-only">"Username"</label>
                <input id="new-username" type="text" placeholder="Username" autocomplete="off" required
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <label for="new-password" class="sr-only">"Password"</label>
                <input id="new-password" type="password" placeholder="Password (12+ characters)" autocomplete="new-password" required
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                <label for="new-role" class="sr-only">"Role"</label>
                <select id="new-role" on:change=move |ev| role.set(event_target_value(&ev)) prop:value=move || role.get()>
                    {Role::ALL.iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
                </select>
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Add user"</button>
            </form>
            <ErrorLine message=Signal::derive(move || {
                let v = create.value().get();
                error_for(&v, "username").or_else(|| error_for(&v, "password")).or_else(|| error_for(&v, "role"))
                    .or_else(|| error_other(&v, &["username", "password", "role"]))
            }) />
        </section>
        <section class="card">
            <h2>"Users"</h2>
            <ErrorLine message=Signal::derive(move || error_other(&update.value().get(), &[])) />
            <Transition fallback=|| view! { <p class="muted">"Loading users…"</p> }>
                {move || users.get().map(|r| match r {
                    Err(e) => view! { <p class="field-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                        <table class="table" id="users">
                            <thead><tr><th>"User"</th><th>"Role"</th><th>"Status"</th><th>"Sessions"</th><th>"Access keys"</th><th>"Created"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|u| {
                                    let (id, disabled, current_role) = (u.id, u.disabled, u.role.as_str().to_string());
                                    let (u_del, u_reset) = (u.clone(), u.clone());
                                    let role_for_toggle = current_role.clone();
                                    view! {
                                        <tr data-user=u.username.clone()>
                                            <td class="strong">{u.username.clone()}</td>
                                            <td>
                                                <label class="sr-only" for=format!("role-{id}")>"Role of " {u.username.clone()}</label>
                                                <select id=format!("role-{id}") prop:value=current_role.clone()
                                                    on:change=move |ev| { update.dispatch((id, event_target_value(&ev), disabled)); }>
                                                    {Role::ALL.iter().map(|r| view! { <option value=r.as_str() selected=r.as_str() == current_role>{r.as_str()}</option> }).collect_view()}
                                                </select>
                                            </td>
                                            <td>{if disabled { view! { <span class="badge badge-off">"disabled"</span> }.into_any() } else { view! { <span class="badge badge-ok">"active"</span> }.into_any() }}</td>
                                            <td>{u.sessions}</td>
                                            <td>{u.access_keys}</td>
                                            <td class="muted nowrap">{fmt_time(u.created_at)}</td>
                                            <td class="right nowrap">
                                                <button type="button" class="btn btn-small btn-ghost"
                                                    on:click=move |_| { update.dispatch((id, role_for_toggle.clone(), !disabled)); }>
                                                    {if disabled { "Enable" } else { "Disable" }}
                                                </button>
                                                <button type="button" class="btn btn-small btn-ghost" on:click=move |_| to_reset.set(Some(u_reset.clone()))>"Reset password"</button>
                                                <button type="button" class="btn btn-small btn-danger-ghost" on:click=move |_| to_delete.set(Some(u_del.clone()))>"Remove"</button>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }.into_any(),
                })}
            </Transition>
        </section>
        {move || to_delete.get().map(|u| {
            let id = u.id;
            view! {
                <ConfirmDelete
                    title=format!("Remove user {}?", u.username)
                    detail=format!("They are signed out at once and their {} access key(s) stop working. Their entries in the audit log stay.", u.access_keys)
                    confirm_label="Remove user"
                    pending=delete.pending()
                    error=Signal::derive(move || crate::components::error_other(&delete.value().get(), &[]))
                    on_confirm=Callback::new(move |_| { delete.dispatch(id); })
                    on_cancel=Callback::new(move |_| to_delete.set(None))
                />
                <ErrorLine message=Signal::derive(move || error_other(&delete.value().get(), &[])) />
            }
        })}
        {move || to_reset.get().map(|u| view! { <ResetPassword user=u on_close=Callback::new(move |_| to_reset.set(None)) /> })}
    }
}

/// The dialog that sets another user's password.
#[component]
fn ResetPassword(user: UserInfo, on_close: Callback<()>) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let id = user.id;
    let reset = Action::new(move |p: &String| reset_password(id, p.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = reset.value().get() {
            on_close.run(());
        }
    });
    let dialog = NodeRef::<leptos::html::Div>::new();
    crate::components::modal_keys(dialog, on_close);
    view! {
        <div class="modal-backdrop" node_ref=dialog>
            <form class="modal" role="dialog" aria-modal="true" aria-labelledby="reset-title" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                reset.dispatch(password.get());
            }>
                <h2 id="reset-title">"New password for " {user.username.clone()}</h2>
                <p class="muted">"They are signed out everywhere and sign in with this password."</p>
                <label for="reset-password">"New password"</label>
                <input id="reset-password" type="password" autocomplete="new-password" required autofocus
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                <ErrorLine message=Signal::derive(move || error_for(&reset.value().get(), "password").or_else(|| error_other(&reset.value().get(), &["password"]))) />
                <div class="modal-actions">
                    <button type="button" class="btn" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" disabled=move || reset.pending().get()>"Set password"</button>
                </div>
            </form>
        </div>
    }
}

/// `/account`: the signed-in user's password and sessions.
#[component]
pub fn AccountPage() -> impl IntoView {
    let (current, password, confirm) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let change = Action::new(|(c, p, k): &(String, String, String)| change_password(c.clone(), p.clone(), k.clone()));
    let version = RwSignal::new(0u32);
    let sessions = Resource::new(move || version.get(), |_| my_sessions());
    let end_others = Action::new(|_: &()| end_other_sessions());
    Effect::new(move |_| {
        if let Some(Ok(())) = change.value().get() {
            current.set(String::new());
            password.set(String::new());
            confirm.set(String::new());
            version.update(|v| *v += 1);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = end_others.value().get() {
            version.update(|v| *v += 1);
        }
    });
    let field = move |f: &'static str| Signal::derive(move || error_for(&change.value().get(), f));
    view! {
        <PageHeader title="Account" subtitle="Your password and where you are signed in." />
        <section class="card">
            <h2>"Change password"</h2>
            <form class="form" id="change-password" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                change.dispatch((current.get(), password.get(), confirm.get()));
            }>
                <label for="current-password">"Current password"</label>
                <input id="current-password" type="password" autocomplete="current-password" required
                    prop:value=move || current.get() on:input=move |ev| current.set(event_target_value(&ev)) />
                <ErrorLine message=field("current") />
                <label for="account-new-password">"New password"</label>
                <input id="account-new-password" type="password" autocomplete="new-password" required
                    prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev)) />
                <p class="hint">"At least 12 characters. Your other sessions end."</p>
                <ErrorLine message=field("password") />
                <label for="account-confirm">"Confirm new password"</label>
                <input id="account-confirm" type="password" autocomplete="new-password" required
                    prop:value=move || confirm.get() on:input=move |ev| confirm.set(event_target_value(&ev)) />
                <ErrorLine message=field("confirm") />
                <ErrorLine message=Signal::derive(move || error_other(&change.value().get(), &["current", "password", "confirm"])) />
                <Show when=move || matches!(change.value().get(), Some(Ok(())))>
                    <p class="ok-line" role="status">"Password changed."</p>
                </Show>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || change.pending().get()>"Change password"</button>
                </div>
            </form>
        </section>
        <section class="card">
            <h2>"Sessions"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading sessions…"</p> }>
                {move || sessions.get().map(|r| match r {
                    Err(e) => view! { <p class="field-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(list) => {
                        let others = list.iter().filter(|s| !s.current).count();
                        view! {
                            <table class="table" id="sessions">
                                <thead><tr><th>"Session"</th><th>"From"</th><th>"Signed in"</th><th>"Expires"</th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|s| view! {
                                        <tr>
                                            <td><code>{s.id}</code>{s.current.then(|| view! { " " <span class="badge badge-ok">"this one"</span> })}</td>
                                            <td>{if s.source.is_empty() { "—".to_string() } else { s.source }}</td>
                                            <td class="muted nowrap">{fmt_time(s.created_at)}</td>
                                            <td class="muted nowrap">{fmt_time(s.expires_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <div class="form-actions">
                                <button type="button" class="btn" id="sign-out-others" disabled=move || others == 0 || end_others.pending().get()
                                    on:click=move |_| { end_others.dispatch(()); }>
                                    {format!("Sign out everywhere else ({others})")}
                                </button>
                            </div>
                        }.into_any()
                    }
                })}
            </Transition>
            <ErrorLine message=Signal::derive(move || error_other(&end_others.value().get(), &[])) />
        </section>
    }
}

/// `/audit`: every change, newest first, filterable, for admins.
#[component]
pub fn AuditPage() -> impl IntoView {
    view! { <RoleGate role=Role::Admin what="read the audit log"><AuditLog /></RoleGate> }
}

#[component]
fn AuditLog() -> impl IntoView {
    let (user, action, via) = (RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new(String::new()));
    let before = RwSignal::new(Vec::<i64>::new());
    let filter = Memo::new(move |_| AuditFilter {
        user: Some(user.get()).filter(|s| !s.is_empty()),
        action: Some(action.get()).filter(|s| !s.is_empty()),
        via: Some(via.get()).filter(|s| !s.is_empty()),
        before: before.get().last().copied(),
        limit: Some(100),
    });
    let page = Resource::new(move || filter.get(), audit_log);
    let reset_paging = move || before.set(Vec::new());
    view! {
        <PageHeader title="Audit log" subtitle="Every change: who, when, what, and from where." />
        <section class="card">
            <div class="inline-row wrap" id="audit-filters">
                <label for="audit-user">"User"</label>
                <input id="audit-user" type="text" placeholder="any" on:change=move |ev| { reset_paging(); user.set(event_target_value(&ev)); } />
                <label for="audit-action">"Action"</label>
                <input id="audit-action" type="text" placeholder="e.g. apis_create or /restapis" on:change=move |ev| { reset_paging(); action.set(event_target_value(&ev)); } />
                <label for="audit-via">"Via"</label>
                <select id="audit-via" on:change=move |ev| { reset_paging(); via.set(event_target_value(&ev)); }>
                    <option value="">"any"</option>
                    <option value="console">"console"</option>
                    <option value="control-api">"control API"</option>
                    <option value="cli">"command line"</option>
                </select>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || page.get().map(|r| match r {
                    Err(e) => view! { <p class="field-error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(p) if p.entries.is_empty() => view! { <p class="muted empty-line">"No changes match."</p> }.into_any(),
                    Ok(p) => {
                        let next = p.next;
                        view! {
                            <div class="table-wrap">
                            <table class="table" id="audit">
                                <thead><tr><th>"When"</th><th>"Who"</th><th>"From"</th><th>"Via"</th><th>"What"</th><th>"Details"</th><th>"Result"</th></tr></thead>
                                <tbody>
                                    {p.entries.into_iter().map(|e| view! {
                                        <tr>
                                            <td class="muted nowrap">{fmt_time(e.at / 1000)}</td>
                                            <td>{e.username}</td>
                                            <td class="muted">{e.source}</td>
                                            <td class="muted">{e.via}</td>
                                            <td><code>{e.action}</code></td>
                                            <td class="muted wrap-anywhere">{e.target}</td>
                                            <td>{if (200..300).contains(&e.status) { view! { <span class="badge badge-ok">{e.status}</span> }.into_any() } else { view! { <span class="badge badge-bad">{e.status}</span> }.into_any() }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            </div>
                            <div class="form-actions">
                                <button type="button" class="btn" disabled=move || before.get().is_empty() on:click=move |_| before.update(|b| { b.pop(); })>"Newer"</button>
                                <button type="button" class="btn" disabled=next.is_none() on:click=move |_| if let Some(n) = next { before.update(|b| b.push(n)) }>"Older"</button>
                            </div>
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

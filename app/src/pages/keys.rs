//! The API keys section: keys callers send in `x-api-key`. Create (the value
//! is shown once), enable or disable, delete, and see which plans hold a key.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{error_for, error_other, fmt_time, ConfirmDelete, CopyValue, EmptyState, ErrorLine};
use crate::error::AppError;
use crate::identity::Role;
use crate::layout::{can, IfCan, ReadOnlyNote};
use crate::model::{ApiKey, ApiKeyRow};
use crate::rules;

#[server(prefix = "/api", endpoint = "api_keys_list")]
pub async fn list_api_keys() -> Result<Vec<ApiKeyRow>, AppError> {
    crate::service::authed("api_keys_list", move |s, _| async move { s.list_api_keys().await }).await
}

#[server(prefix = "/api", endpoint = "api_keys_create")]
pub async fn create_api_key(name: String, description: String, value: String) -> Result<ApiKey, AppError> {
    crate::service::authed("api_keys_create", move |s, _| async move { s.create_api_key(&name, &description, &value).await }).await
}

#[server(prefix = "/api", endpoint = "api_key_enable")]
pub async fn set_api_key_enabled(id: String, enabled: bool) -> Result<ApiKey, AppError> {
    crate::service::authed("api_key_enable", move |s, _| async move { s.set_api_key_enabled(&id, enabled).await }).await
}

#[server(prefix = "/api", endpoint = "api_key_delete")]
pub async fn delete_api_key(id: String) -> Result<(), AppError> {
    crate::service::authed("api_key_delete", move |s, _| async move { s.delete_api_key(&id).await }).await
}

#[component]
pub fn KeysPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let keys = Resource::new(move || version.get(), |_| list_api_keys());
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let show_form = RwSignal::new(false);
    let can_edit = can(Role::Editor);
    // The value of a key just created. It lives here, above the list, so a
    // reload of the list cannot take it away before the user has copied it.
    let fresh = RwSignal::new(None::<ApiKey>);

    let toggle = Action::new(|(id, enabled): &(String, bool)| set_api_key_enabled(id.clone(), *enabled));
    let toggling = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if toggle.value().get().is_some() {
            reload.run(());
        }
    });
    // The row says "Disabling…" until the list that shows the new state is in.
    Effect::new(move |_| {
        if keys.get().is_some() {
            toggling.set(None);
        }
    });

    let to_delete = RwSignal::new(None::<ApiKeyRow>);
    let delete = Action::new(|id: &String| delete_api_key(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            to_delete.set(None);
            reload.run(());
        }
    });

    view! {
        <div class="page-header row">
            <div>
                <h1>"API keys"</h1>
                <p class="muted">"Keys that callers send in the " <code>"x-api-key"</code> " header."</p>
            </div>
            <IfCan role=Role::Editor>
                <button type="button" class="btn btn-primary" id="new-key" on:click=move |_| show_form.update(|s| *s = !*s)>
                    "Create API key"
                </button>
            </IfCan>
        </div>
        <ReadOnlyNote />
        {move || fresh.get().map(|k| view! { <CreatedKey key=k on_done=Callback::new(move |_| fresh.set(None)) /> })}
        <Show when=move || show_form.get()>
            <CreateKeyForm
                on_cancel=Callback::new(move |_| show_form.set(false))
                on_created=Callback::new(move |k: ApiKey| {
                    fresh.set(Some(k));
                    show_form.set(false);
                    reload.run(());
                })
            />
        </Show>
        <Transition fallback=|| view! { <div class="card loading">"Loading API keys…"</div> }>
            {move || keys.get().map(|r| (r, can_edit.get())).map(|(r, edit)| match r {
                Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <EmptyState icon="⚷" title="No API keys yet">
                        <p>"A key identifies a caller. Methods marked “API key required” accept only requests carrying an enabled key that belongs to a usage plan for that stage."</p>
                        <p>"A key's value is shown once, when it is created; apigw stores only its hash."</p>
                        <Show when=move || !show_form.get() && can_edit.get()>
                            <button type="button" class="btn btn-primary" on:click=move |_| show_form.set(true)>"Create your first key"</button>
                        </Show>
                    </EmptyState>
                }.into_any(),
                Ok(list) => view! {
                    <table class="table" id="key-table">
                        <thead><tr><th>"Name"</th><th>"ID"</th><th>"Status"</th><th>"Usage plans"</th><th>"Created"</th><th></th></tr></thead>
                        <tbody>
                            {list.into_iter().map(|row| {
                                let k = row.key.clone();
                                let id = k.id.clone();
                                let id_busy = k.id.clone();
                                let enabled = k.enabled;
                                let for_delete = row.clone();
                                let busy = move || toggling.get().as_deref() == Some(id_busy.as_str());
                                let busy_label = busy.clone();
                                view! {
                                    <tr data-key-id=k.id.clone()>
                                        <td>
                                            <span class="strong">{k.name.clone()}</span>
                                            {k.description.clone().map(|d| view! { <div class="muted small">{d}</div> })}
                                        </td>
                                        <td><code>{k.id.clone()}</code></td>
                                        <td>
                                            {if enabled {
                                                view! { <span class="badge badge-ok key-status">"Enabled"</span> }.into_any()
                                            } else {
                                                view! { <span class="badge badge-off key-status">"Disabled"</span> }.into_any()
                                            }}
                                        </td>
                                        <td>
                                            {if row.plans.is_empty() {
                                                view! {
                                                    <span class="muted small" title="A key opens nothing until it is in a usage plan">
                                                        "none yet · " <A href="/usage-plans">"add it to a plan"</A>
                                                    </span>
                                                }.into_any()
                                            } else {
                                                view! {
                                                    <span class="chip-list">
                                                        {row.plans.clone().into_iter().map(|(pid, pname)| view! {
                                                            <A href=format!("/usage-plans/{pid}") attr:class="stage-chip plan-chip">{pname}</A>
                                                        }).collect_view()}
                                                    </span>
                                                }.into_any()
                                            }}
                                        </td>
                                        <td class="muted nowrap">{fmt_time(k.created_date)}</td>
                                        <td class="right nowrap">
                                            {edit.then(|| view! {
                                            <button type="button" class="btn btn-small key-toggle" disabled=busy
                                                on:click={
                                                    let id = id.clone();
                                                    move |_| {
                                                        toggling.set(Some(id.clone()));
                                                        toggle.dispatch((id.clone(), !enabled));
                                                    }
                                                }>
                                                {move || match (busy_label(), enabled) {
                                                    (true, true) => "Disabling…",
                                                    (true, false) => "Enabling…",
                                                    (false, true) => "Disable",
                                                    (false, false) => "Enable",
                                                }}
                                            </button>
                                            <button type="button" class="btn btn-small btn-danger-ghost"
                                                on:click=move |_| to_delete.set(Some(for_delete.clone()))>"Delete"</button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <ErrorLine message=Signal::derive(move || error_other(&toggle.value().get(), &[])) />
                }.into_any(),
            })}
        </Transition>
        {move || to_delete.get().map(|row| {
            let id = row.key.id.clone();
            let plans = match row.plans.len() {
                0 => String::new(),
                1 => format!(" It is removed from usage plan {}.", row.plans[0].1),
                n => format!(" It is removed from its {n} usage plans."),
            };
            view! {
                <ConfirmDelete
                    title=format!("Delete API key “{}”?", row.key.name)
                    detail=format!("Callers sending this key ({}) are refused from now on.{plans} This cannot be undone.", row.key.id)
                    confirm_label="Delete key"
                    pending=delete.pending()
                    error=Signal::derive(move || crate::components::error_other(&delete.value().get(), &[]))
                    on_confirm=Callback::new(move |_| { delete.dispatch(id.clone()); })
                    on_cancel=Callback::new(move |_| to_delete.set(None))
                />
            }
        })}
        <ErrorLine message=Signal::derive(move || error_other(&delete.value().get(), &[])) />
    }
}

/// The one time a key's value is visible.
#[component]
fn CreatedKey(key: ApiKey, on_done: Callback<()>) -> impl IntoView {
    let value = key.value.clone().unwrap_or_default();
    view! {
        <div class="secret-once key-created" role="status">
            <p class="strong">{format!("API key “{}” created.", key.name)}</p>
            <p class="warn-text">"Copy it now: apigw stores only a hash and cannot show it again."</p>
            <dl class="facts">
                <dt>"Key ID"</dt><dd><code>{key.id.clone()}</code></dd>
                <dt>"Value"</dt><dd id="key-value-created"><CopyValue value=value.clone() /></dd>
            </dl>
            <p class="hint">"Callers send it as a header: " <code>{format!("x-api-key: {value}")}</code>
                ". It works once the key is in a usage plan that covers the stage."</p>
            <div class="form-actions">
                <button type="button" class="btn" id="key-saved-it" on:click=move |_| on_done.run(())>"I have saved it"</button>
            </div>
        </div>
    }
}

#[component]
fn CreateKeyForm(on_cancel: Callback<()>, on_created: Callback<ApiKey>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let value = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let create = Action::new(|(n, d, v): &(String, String, String)| create_api_key(n.clone(), d.clone(), v.clone()));
    Effect::new(move |_| {
        if let Some(Ok(k)) = create.value().get() {
            on_created.run(k);
        }
    });
    let result = move || create.value().get();
    let name_local = move || touched.get().then(|| rules::api_key_name(&name.get()).err().map(|e| e.to_string())).flatten();
    let desc_local = move || rules::api_description(&description.get()).err().map(|e| e.to_string());
    let value_local = move || {
        let v = value.get();
        (!v.is_empty()).then(|| rules::api_key_value(&v).err().map(|e| e.to_string())).flatten()
    };
    // Values are unique; the server says so as a conflict, which is about this field.
    let value_taken = move || match result() {
        Some(Err(AppError::Conflict(m))) => Some(m),
        _ => None,
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if rules::api_key_name(&name.get()).is_ok() && desc_local().is_none() && value_local().is_none() {
            create.dispatch((name.get(), description.get(), value.get()));
        }
    };
    view! {
        <form class="card form" id="create-key-form" on:submit=submit>
            <h2>"Create API key"</h2>
            <label for="key-name">"Name"</label>
            <input id="key-name" type="text" placeholder="mobile-app" autocomplete="off" prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev)) on:blur=move |_| touched.set(true) />
            <p class="hint">"Who or what will use it, e.g. a customer or an app."</p>
            <ErrorLine message=Signal::derive(move || name_local().or_else(|| error_for(&result(), "name"))) />
            <label for="key-description">"Description " <span class="muted">"(optional)"</span></label>
            <input id="key-description" type="text" placeholder="What this key is for"
                prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
            <ErrorLine message=Signal::derive(move || desc_local().or_else(|| error_for(&result(), "description"))) />
            <label for="key-value">"Value " <span class="muted">"(optional)"</span></label>
            <input id="key-value" type="text" class="mono" placeholder="Leave empty to generate a random key" autocomplete="off"
                spellcheck="false" prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
            <p class="hint">"Only if callers already have a key to keep: 20 to 128 visible ASCII characters, no spaces."
                {move || {
                    let n = value.get().len();
                    (n > 0).then(|| format!(" {n} so far."))
                }}</p>
            <ErrorLine message=Signal::derive(move || value_local().or_else(|| error_for(&result(), "value")).or_else(value_taken)) />
            <ErrorLine message=Signal::derive(move || error_other(&result(), &["name", "description", "value"]).filter(|_| value_taken().is_none())) />
            <div class="form-actions">
                <button type="button" class="btn" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button type="submit" class="btn btn-primary" id="create-key" disabled=move || create.pending().get() || value_local().is_some() || desc_local().is_some()>
                    {move || if create.pending().get() { "Creating…" } else { "Create key" }}
                </button>
            </div>
        </form>
    }
}

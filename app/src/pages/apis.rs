//! The APIs section: list with search, create, and delete with confirmation.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::components::{error_for, error_other, fmt_time, ConfirmDelete, CopyValue, EmptyState, ErrorLine};
use crate::error::AppError;
use crate::model::RestApi;
use crate::rules;

#[server(prefix = "/api", endpoint = "apis_list")]
pub async fn list_apis() -> Result<Vec<RestApi>, AppError> {
    crate::service::authed("apis_list", move |s, _| async move { s.list_apis().await }).await
}

#[server(prefix = "/api", endpoint = "apis_create")]
pub async fn create_api(name: String, description: String) -> Result<RestApi, AppError> {
    crate::service::authed("apis_create", move |s, _| async move { s.create_api(&name, &description).await }).await
}

#[server(prefix = "/api", endpoint = "apis_delete")]
pub async fn delete_api(id: String) -> Result<(), AppError> {
    crate::service::authed("apis_delete", move |s, _| async move { s.delete_api(&id).await }).await
}

#[component]
pub fn ApisPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let apis = Resource::new(move || version.get(), |_| list_apis());
    let search = RwSignal::new(String::new());
    let show_form = RwSignal::new(false);
    let show_import = RwSignal::new(false);
    let to_delete = RwSignal::new(None::<RestApi>);
    let delete = Action::new(|id: &String| delete_api(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            to_delete.set(None);
            version.update(|v| *v += 1);
        }
    });

    let can_edit = crate::layout::can(crate::identity::Role::Editor);
    // Built in type-erased parts: as one view, the page's type is too deep for
    // the compiler's layout query (the recursion limit) in release builds.
    let header = view! {
        <div class="page-header row">
            <div>
                <h1>"APIs"</h1>
                <p class="muted">"REST APIs: resources, methods and the backends they call."</p>
            </div>
            <Show when=move || can_edit.get()>
                <div class="row-actions">
                    <button type="button" class="btn" id="import-api" on:click=move |_| { show_form.set(false); show_import.update(|s| *s = !*s) }>
                        "Import API"
                    </button>
                    <button type="button" class="btn btn-primary" id="new-api" on:click=move |_| { show_import.set(false); show_form.update(|s| *s = !*s) }>
                        "Create API"
                    </button>
                </div>
            </Show>
        </div>
    }
    .into_any();
    let forms = view! {
        <Show when=move || show_form.get()>
            {view! { <CreateApiForm on_cancel=Callback::new(move |_| show_form.set(false)) /> }.into_any()}
        </Show>
        <Show when=move || show_import.get()>
            {view! { <crate::pages::api_import::ImportApiForm on_cancel=Callback::new(move |_| show_import.set(false)) /> }.into_any()}
        </Show>
    }
    .into_any();
    view! {
        {header}
        {forms}
        <Transition fallback=|| view! { <div class="card loading">"Loading APIs…"</div> }>
            {move || apis.get().map(|r| match r {
                Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
                Ok(list) if list.is_empty() => view! {
                    <EmptyState icon="⇄" title="No APIs yet">
                        <p>"An API is a tree of resources such as " <code>"/pets/{id}"</code>
                            ", each with methods (GET, POST, ANY…) that call an HTTP backend or answer from a mock."</p>
                        <p>"Create one here, import an OpenAPI document, or from a script: " <code>"aws apigateway create-rest-api --name pets --endpoint-url …"</code></p>
                        <Show when=move || can_edit.get()>
                            <button type="button" class="btn btn-primary" on:click=move |_| show_form.set(true)>"Create your first API"</button>
                        </Show>
                    </EmptyState>
                }.into_any(),
                Ok(list) => {
                    let list = StoredValue::new(list);
                    let shown = move || {
                        let q = search.get().to_lowercase();
                        list.get_value().into_iter().filter(|a| {
                            q.is_empty() || a.name.to_lowercase().contains(&q) || a.id.contains(&q)
                                || a.description.as_deref().unwrap_or("").to_lowercase().contains(&q)
                        }).collect::<Vec<_>>()
                    };
                    view! {
                        <div class="toolbar">
                            <input type="search" class="search" placeholder="Search by name, id or description"
                                aria-label="Search APIs" prop:value=move || search.get()
                                on:input=move |ev| search.set(event_target_value(&ev)) />
                            <span class="muted">{move || format!("{} of {}", shown().len(), list.get_value().len())}</span>
                        </div>
                        <table class="table" id="api-table">
                            <thead><tr><th>"Name"</th><th>"ID"</th><th>"Description"</th><th>"Created"</th><th></th></tr></thead>
                            <tbody>
                                <For each=shown key=|a| a.id.clone() let:api>
                                    {
                                        let for_delete = api.clone();
                                        view! {
                                            <tr>
                                                <td><A href=format!("/apis/{}", api.id) attr:class="strong-link">{api.name.clone()}</A></td>
                                                <td><CopyValue value=api.id.clone() /></td>
                                                <td class="muted">{api.description.clone().unwrap_or_default()}</td>
                                                <td class="muted nowrap">{fmt_time(api.created_date)}</td>
                                                <td class="right">
                                                    <Show when=move || can_edit.get()>
                                                        <button type="button" class="btn btn-small btn-danger-ghost"
                                                            on:click={let for_delete = for_delete.clone(); move |_| to_delete.set(Some(for_delete.clone()))}>"Delete"</button>
                                                    </Show>
                                                </td>
                                            </tr>
                                        }
                                    }
                                </For>
                            </tbody>
                        </table>
                        <Show when=move || shown().is_empty()>
                            <p class="muted center">{move || format!("No API matches “{}”.", search.get())}</p>
                        </Show>
                    }.into_any()
                }
            })}
        </Transition>
        {move || to_delete.get().map(|api| {
            let id = api.id.clone();
            view! {
                <ConfirmDelete
                    title=format!("Delete API “{}”?", api.name)
                    detail=format!("This deletes {} ({}) with all its resources, methods and integrations. It cannot be undone.", api.name, api.id)
                    confirm_label=format!("Delete {}", api.name)
                    pending=delete.pending()
                    error=Signal::derive(move || crate::components::error_other(&delete.value().get(), &[]))
                    on_confirm=Callback::new(move |_| { delete.dispatch(id.clone()); })
                    on_cancel=Callback::new(move |_| to_delete.set(None))
                />
                {move || error_other(&delete.value().get(), &[]).map(|e| view! { <p class="field-error">{e}</p> })}
            }
        })}
    }
}

#[component]
fn CreateApiForm(on_cancel: Callback<()>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let touched = RwSignal::new(false);
    let create = Action::new(|(n, d): &(String, String)| create_api(n.clone(), d.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(api)) = create.value().get() {
            navigate(&format!("/apis/{}", api.id), Default::default());
        }
    });
    let name_error = Signal::derive(move || {
        let local = touched.get().then(|| rules::api_name(&name.get()).err().map(|e| e.to_string())).flatten();
        local.or_else(|| error_for(&create.value().get(), "name"))
    });
    let desc_error = Signal::derive(move || {
        rules::api_description(&description.get()).err().map(|e| e.to_string()).or_else(|| error_for(&create.value().get(), "description"))
    });
    let other_error = Signal::derive(move || error_other(&create.value().get(), &["name", "description"]));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        if rules::api_name(&name.get()).is_ok() && rules::api_description(&description.get()).is_ok() {
            create.dispatch((name.get(), description.get()));
        }
    };
    view! {
        <form class="card form" id="create-api-form" on:submit=submit>
            <h2>"Create API"</h2>
            <label for="api-name">"Name"</label>
            <input id="api-name" type="text" placeholder="pets" prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev)) on:blur=move |_| touched.set(true) />
            <ErrorLine message=name_error />
            <label for="api-description">"Description " <span class="muted">"(optional)"</span></label>
            <input id="api-description" type="text" placeholder="What this API is for"
                prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
            <ErrorLine message=desc_error />
            <ErrorLine message=other_error />
            <div class="form-actions">
                <button type="button" class="btn" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create API" }}
                </button>
            </div>
        </form>
    }
}

//! An API's models (JSON Schemas of request and response bodies) and
//! request validators (what a method checks before it integrates), as
//! AWS's console has them. The server checks every rule (the control API's
//! own CreateModel, UpdateModel… run underneath); the page checks the same
//! rules from `rules` as the user types.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::{error_for, error_other, ConfirmDelete, CopyValue, EmptyState, ErrorLine};
use crate::error::AppError;
use crate::identity::Role;
use crate::layout::{can, IfCan, ReadOnlyNote};
use crate::model::{ApiItems, Model, ModelForm, RequestValidator, ValidatorForm};
use crate::pages::api_nav::ApiNav;
use crate::rules;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "api_items")]
pub async fn get_api_items(api: String) -> Result<ApiItems, AppError> {
    crate::service::authed("api_items", move |s, _| async move { s.api_items(&api).await }).await
}

#[server(prefix = "/api", endpoint = "model_save", input = Json)]
pub async fn save_model(api: String, original: String, form: ModelForm) -> Result<Model, AppError> {
    crate::service::authed("model_save", move |s, _| async move { s.save_model(&api, &original, form).await }).await
}

#[server(prefix = "/api", endpoint = "model_delete")]
pub async fn delete_model(api: String, name: String) -> Result<(), AppError> {
    crate::service::authed("model_delete", move |s, _| async move { s.delete_model(&api, &name).await }).await
}

#[server(prefix = "/api", endpoint = "validator_save", input = Json)]
pub async fn save_validator(api: String, id: String, form: ValidatorForm) -> Result<RequestValidator, AppError> {
    crate::service::authed("validator_save", move |s, _| async move { s.save_validator(&api, &id, form).await }).await
}

#[server(prefix = "/api", endpoint = "validator_delete")]
pub async fn delete_validator(api: String, id: String) -> Result<(), AppError> {
    crate::service::authed("validator_delete", move |s, _| async move { s.delete_validator(&api, &id).await }).await
}

/// What a new model's schema starts as: a draft 4 object, as AWS's console proposes.
const NEW_SCHEMA: &str = "{\n  \"$schema\": \"http://json-schema.org/draft-04/schema#\",\n  \"title\": \"\",\n  \"type\": \"object\",\n  \"properties\": {\n  }\n}";

/// Which editor is open: none, a new item's, or an existing item's (by model name or validator id).
#[derive(Clone, PartialEq)]
enum Editing {
    None,
    New,
    Existing(String),
}

#[component]
pub fn ApiModelsPage() -> impl IntoView {
    let params = use_params_map();
    let api_id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let version = RwSignal::new(0u32);
    let items = Resource::new(move || (api_id.get(), version.get()), |(id, _)| get_api_items(id));
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    // Page-level, so a reload of the lists keeps what is open and what was just said.
    let model_editing = RwSignal::new(Editing::None);
    let validator_editing = RwSignal::new(Editing::None);
    let flash = RwSignal::new(None::<String>);

    view! {
        <Transition fallback=|| view! { <div class="card loading">"Loading models and validators…"</div> }>
            {move || items.get().map(|r| match r {
                Err(AppError::NotFound(_)) => view! {
                    <div class="card error-card">"This API does not exist (it may have been deleted). " <A href="/apis">"Back to APIs"</A></div>
                }.into_any(),
                Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
                Ok(items) => {
                    let api = items.api_id.clone();
                    view! {
                        <nav class="breadcrumb">
                            <A href="/apis">"APIs"</A>" / "<A href=format!("/apis/{api}")>{items.api_name.clone()}</A>" / "<span>"Models & validators"</span>
                        </nav>
                        <div class="page-header">
                            <h1>"Models & validators"</h1>
                            <p class="muted">"Models are JSON Schemas (draft 4) of request and response bodies. A method names a model for its request body and a validator that decides what is checked before the backend is called: invalid requests are answered "
                                <code>"400"</code>" by the gateway. Stages check what they were deployed with."</p>
                        </div>
                        <ApiNav api=api.clone() current="models" />
                        <ReadOnlyNote />
                        {move || flash.get().map(|m| view! { <p class="ok-line" role="status" id="items-flash">{m}</p> })}
                        <ModelsCard api=api.clone() models=items.models.clone() editing=model_editing flash=flash reload=reload />
                        <ValidatorsCard api=api validators=items.validators.clone() editing=validator_editing flash=flash reload=reload />
                    }.into_any()
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn ModelsCard(
    api: String,
    models: Vec<Model>,
    editing: RwSignal<Editing>,
    flash: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let can_edit = can(Role::Editor);
    let to_delete = RwSignal::new(None::<String>);
    let delete = Action::new(|(api, name): &(String, String)| delete_model(api.clone(), name.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            if let Some(name) = to_delete.get_untracked() {
                flash.set(Some(format!("Model {name} deleted.")));
            }
            to_delete.set(None);
            reload.run(());
        }
    });
    let api_delete = api.clone();
    let open = models.clone();
    let api_form = api.clone();
    view! {
        <section class="card items-card" id="models">
            <div class="card-head">
                <h2>"Models"</h2>
                <IfCan role=Role::Editor>
                    <button type="button" class="btn btn-small" id="new-model" on:click=move |_| {
                        flash.set(None);
                        editing.set(Editing::New);
                    }>"Create model"</button>
                </IfCan>
            </div>
            {if models.is_empty() {
                view! {
                    <EmptyState icon="{}" title="No models">
                        <p>"A model describes a JSON body. Create one, then name it in a method's request to have the body checked."</p>
                    </EmptyState>
                }.into_any()
            } else {
                view! {
                    <table class="table" id="model-table">
                        <thead><tr><th>"Name"</th><th>"Content type"</th><th>"Description"</th><th></th></tr></thead>
                        <tbody>
                            {models.into_iter().map(|m| {
                                let name = m.name.clone();
                                let name_del = m.name.clone();
                                view! {
                                    <tr data-model=m.name.clone()>
                                        <td class="mono strong">{m.name.clone()}</td>
                                        <td class="mono">{m.content_type.clone().unwrap_or_default()}</td>
                                        <td class="muted">{m.description.clone().unwrap_or_default()}</td>
                                        <td class="right nowrap">
                                            <button type="button" class="btn btn-small model-edit" on:click=move |_| {
                                                flash.set(None);
                                                editing.set(Editing::Existing(name.clone()));
                                            }>{move || if can_edit.get() { "Edit" } else { "View" }}</button>
                                            {move || can_edit.get().then(|| {
                                                let name_del = name_del.clone();
                                                view! {
                                                    <button type="button" class="btn btn-small btn-danger-ghost model-delete"
                                                        on:click=move |_| to_delete.set(Some(name_del.clone()))>"Delete"</button>
                                                }
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {move || {
                let model = match editing.get() {
                    Editing::None => return None,
                    Editing::New => None,
                    Editing::Existing(name) => Some(open.iter().find(|m| m.name == name).cloned()?),
                };
                Some(view! { <ModelEditor api=api_form.clone() model=model editing=editing flash=flash reload=reload /> })
            }}
        </section>
        {move || to_delete.get().map(|name| {
            let api = api_delete.clone();
            let pair = (api, name.clone());
            view! {
                <ConfirmDelete
                    title=format!("Delete model “{name}”?")
                    detail="Methods cannot name it any more; a stage keeps the copy it was deployed with until the next deploy. This cannot be undone."
                    confirm_label="Delete model"
                    pending=delete.pending()
                    error=Signal::derive(move || error_other(&delete.value().get(), &[]))
                    on_confirm=Callback::new(move |_| { delete.dispatch(pair.clone()); })
                    on_cancel=Callback::new(move |_| to_delete.set(None))
                />
            }
        })}
    }
    .into_any()
}

/// The form for a new model (`model` None) or an existing one, whose name
/// and content type AWS does not let change.
#[component]
fn ModelEditor(
    api: String,
    model: Option<Model>,
    editing: RwSignal<Editing>,
    flash: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let can_edit = can(Role::Editor);
    let is_new = model.is_none();
    let original = model.as_ref().map(|m| m.name.clone()).unwrap_or_default();
    let m = model.unwrap_or(Model {
        id: String::new(),
        name: String::new(),
        description: None,
        schema: Some(NEW_SCHEMA.into()),
        content_type: Some("application/json".into()),
    });
    let name = RwSignal::new(m.name.clone());
    let content_type = RwSignal::new(m.content_type.clone().unwrap_or_default());
    let description = RwSignal::new(m.description.clone().unwrap_or_default());
    let schema = RwSignal::new(m.schema.clone().unwrap_or_default());
    let touched = RwSignal::new(false);
    let api_hint = api.clone();
    let save = Action::new(|(api, original, form): &(String, String, ModelForm)| save_model(api.clone(), original.clone(), form.clone()));
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            flash.set(Some(format!("Model {} saved. Deploy the API for stages to check requests against it.", saved.name)));
            editing.set(Editing::None);
            reload.run(());
        }
    });
    let result = move || save.value().get();
    let name_local = move || (is_new && touched.get()).then(|| rules::model_name(&name.get()).err().map(|e| e.to_string())).flatten();
    let ct_local = move || {
        (is_new && touched.get()).then(|| rules::content_type("contentType", &content_type.get()).err().map(|e| e.to_string())).flatten()
    };
    let schema_local = move || rules::model_schema(&schema.get()).err().map(|e| e.to_string());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        let ok = schema_local().is_none()
            && (!is_new || (rules::model_name(&name.get()).is_ok() && rules::content_type("contentType", &content_type.get()).is_ok()));
        if ok {
            let form =
                ModelForm { name: name.get(), description: description.get(), content_type: content_type.get(), schema: schema.get() };
            save.dispatch((api.clone(), original.clone(), form));
        }
    };
    let read_only = move || !can_edit.get();
    view! {
        <form class="item-editor form" id="model-form" on:submit=submit>
            <h3>{if is_new { "New model".to_string() } else { format!("Model {}", m.name) }}</h3>
            <div class="two-col">
                <div>
                    <label for="model-name">"Name"</label>
                    <input id="model-name" type="text" class="mono" placeholder="Pet" autocomplete="off" disabled=!is_new
                        prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) on:blur=move |_| touched.set(true) />
                    <p class="hint">"Letters and digits only. "{(!is_new).then_some("A model's name cannot change.")}</p>
                    <ErrorLine message=Signal::derive(move || name_local().or_else(|| error_for(&result(), "name"))) />
                </div>
                <div>
                    <label for="model-content-type">"Content type"</label>
                    <input id="model-content-type" type="text" class="mono" autocomplete="off" disabled=!is_new
                        prop:value=move || content_type.get() on:input=move |ev| content_type.set(event_target_value(&ev)) />
                    <p class="hint">"The request Content-Type the model describes, usually application/json."</p>
                    <ErrorLine message=Signal::derive(move || ct_local().or_else(|| error_for(&result(), "contentType"))) />
                </div>
            </div>
            <label for="model-description">"Description " <span class="muted">"(optional)"</span></label>
            <input id="model-description" type="text" disabled=read_only prop:value=move || description.get()
                on:input=move |ev| description.set(event_target_value(&ev)) />
            <ErrorLine message=Signal::derive(move || error_for(&result(), "description")) />
            <label for="model-schema">"Schema " <span class="muted">"(JSON Schema draft 4)"</span></label>
            <textarea id="model-schema" rows="14" class="mono code" spellcheck="false" disabled=read_only
                prop:value=move || schema.get() on:input=move |ev| schema.set(event_target_value(&ev))></textarea>
            <p class="hint">"Another model of this API is referenced as "
                <code>{format!("{{\"$ref\": \"https://apigateway.amazonaws.com/restapis/{}/models/NAME\"}}", api_hint)}</code>"."</p>
            <ErrorLine message=Signal::derive(move || schema_local().or_else(|| error_for(&result(), "schema"))) />
            <ErrorLine message=Signal::derive(move || error_other(&result(), &["name", "contentType", "description", "schema"])) />
            <div class="form-actions">
                <button type="button" class="btn" id="model-cancel" on:click=move |_| editing.set(Editing::None)>
                    {move || if can_edit.get() { "Cancel" } else { "Close" }}
                </button>
                <IfCan role=Role::Editor>
                    <button type="submit" class="btn btn-primary" id="model-save" disabled=move || save.pending().get() || schema_local().is_some()>
                        {move || if save.pending().get() { "Saving…" } else if is_new { "Create model" } else { "Save model" }}
                    </button>
                </IfCan>
            </div>
        </form>
    }
    .into_any()
}

#[component]
fn ValidatorsCard(
    api: String,
    validators: Vec<RequestValidator>,
    editing: RwSignal<Editing>,
    flash: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let can_edit = can(Role::Editor);
    let to_delete = RwSignal::new(None::<RequestValidator>);
    let delete = Action::new(|(api, id): &(String, String)| delete_validator(api.clone(), id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            flash.set(Some("Request validator deleted.".into()));
            to_delete.set(None);
            reload.run(());
        }
    });
    let yes_no = |b: bool| {
        if b {
            view! { <span class="badge badge-ok">"Yes"</span> }.into_any()
        } else {
            view! { <span class="muted">"No"</span> }.into_any()
        }
    };
    let open = validators.clone();
    let api_form = api.clone();
    let api_delete = api.clone();
    view! {
        <section class="card items-card" id="validators">
            <div class="card-head">
                <h2>"Request validators"</h2>
                <IfCan role=Role::Editor>
                    <button type="button" class="btn btn-small" id="new-validator" on:click=move |_| {
                        flash.set(None);
                        editing.set(Editing::New);
                    }>"Create validator"</button>
                </IfCan>
            </div>
            {if validators.is_empty() {
                view! {
                    <EmptyState icon="✓" title="No request validators">
                        <p>"A validator says what a method checks: its body against the method's model, its required parameters, or both. Create one, then choose it in a method's settings."</p>
                    </EmptyState>
                }.into_any()
            } else {
                view! {
                    <table class="table" id="validator-table">
                        <thead><tr><th>"Name"</th><th>"ID"</th><th>"Checks the body"</th><th>"Checks parameters"</th><th></th></tr></thead>
                        <tbody>
                            {validators.into_iter().map(|v| {
                                let id = v.id.clone();
                                let for_delete = v.clone();
                                view! {
                                    <tr data-validator=v.id.clone()>
                                        <td class="strong">{v.name.clone().unwrap_or_else(|| "(no name)".into())}</td>
                                        <td><CopyValue value=v.id.clone() /></td>
                                        <td>{yes_no(v.validate_request_body)}</td>
                                        <td>{yes_no(v.validate_request_parameters)}</td>
                                        <td class="right nowrap">
                                            {move || can_edit.get().then(|| {
                                                let id = id.clone();
                                                let for_delete = for_delete.clone();
                                                view! {
                                                    <button type="button" class="btn btn-small validator-edit" on:click=move |_| {
                                                        flash.set(None);
                                                        editing.set(Editing::Existing(id.clone()));
                                                    }>"Edit"</button>
                                                    <button type="button" class="btn btn-small btn-danger-ghost validator-delete"
                                                        on:click=move |_| to_delete.set(Some(for_delete.clone()))>"Delete"</button>
                                                }
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {move || {
                let v = match editing.get() {
                    Editing::None => return None,
                    Editing::New => None,
                    Editing::Existing(id) => Some(open.iter().find(|v| v.id == id).cloned()?),
                };
                Some(view! { <ValidatorEditor api=api_form.clone() validator=v editing=editing flash=flash reload=reload /> })
            }}
        </section>
        {move || to_delete.get().map(|v| {
            let pair = (api_delete.clone(), v.id.clone());
            view! {
                <ConfirmDelete
                    title=format!("Delete request validator “{}”?", v.name.clone().unwrap_or_else(|| v.id.clone()))
                    detail="A validator that a method uses cannot be deleted: change the method first. This cannot be undone."
                    confirm_label="Delete validator"
                    pending=delete.pending()
                    error=Signal::derive(move || error_other(&delete.value().get(), &[]))
                    on_confirm=Callback::new(move |_| { delete.dispatch(pair.clone()); })
                    on_cancel=Callback::new(move |_| to_delete.set(None))
                />
            }
        })}
    }
    .into_any()
}

#[component]
fn ValidatorEditor(
    api: String,
    validator: Option<RequestValidator>,
    editing: RwSignal<Editing>,
    flash: RwSignal<Option<String>>,
    reload: Callback<()>,
) -> impl IntoView {
    let id = validator.as_ref().map(|v| v.id.clone()).unwrap_or_default();
    let is_new = validator.is_none();
    let name = RwSignal::new(validator.as_ref().and_then(|v| v.name.clone()).unwrap_or_default());
    let body = RwSignal::new(validator.as_ref().is_none_or(|v| v.validate_request_body));
    let params = RwSignal::new(validator.as_ref().is_none_or(|v| v.validate_request_parameters));
    let save = Action::new(|(api, id, form): &(String, String, ValidatorForm)| save_validator(api.clone(), id.clone(), form.clone()));
    Effect::new(move |_| {
        if let Some(Ok(v)) = save.value().get() {
            flash.set(Some(format!("Request validator {} saved. Deploy the API for stages to use it.", v.name.unwrap_or(v.id))));
            editing.set(Editing::None);
            reload.run(());
        }
    });
    let result = move || save.value().get();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let form = ValidatorForm { name: name.get(), validate_request_body: body.get(), validate_request_parameters: params.get() };
        save.dispatch((api.clone(), id.clone(), form));
    };
    view! {
        <form class="item-editor form" id="validator-form" on:submit=submit>
            <h3>{if is_new { "New request validator" } else { "Edit request validator" }}</h3>
            <label for="validator-name">"Name"</label>
            <input id="validator-name" type="text" placeholder="body and parameters" autocomplete="off"
                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
            <ErrorLine message=Signal::derive(move || error_for(&result(), "name")) />
            <label class="check">
                <input type="checkbox" id="validator-body" prop:checked=move || body.get() on:change=move |ev| body.set(event_target_checked(&ev)) />
                " Check the request body against the method's model"
            </label>
            <label class="check">
                <input type="checkbox" id="validator-params" prop:checked=move || params.get() on:change=move |ev| params.set(event_target_checked(&ev)) />
                " Check that the method's required query strings, headers and path parameters are present"
            </label>
            <ErrorLine message=Signal::derive(move || error_other(&result(), &["name"])) />
            <div class="form-actions">
                <button type="button" class="btn" id="validator-cancel" on:click=move |_| editing.set(Editing::None)>"Cancel"</button>
                <button type="submit" class="btn btn-primary" id="validator-save" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else if is_new { "Create validator" } else { "Save validator" }}
                </button>
            </div>
        </form>
    }
    .into_any()
}

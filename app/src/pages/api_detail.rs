//! One API: its resource tree (like the AWS console), adding resources and
//! methods, and the method editor with its integration.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::components::{error_for, error_other, on_screen, ConfirmDelete, CopyValue, ErrorLine, KeyValueEditor, KeyValueRows};
use crate::error::AppError;
use crate::identity::Role;
use crate::layout::{can, guard_unsaved, IfCan, ReadOnlyNote};
use crate::model::{ApiTree, Method, MethodSettings, Resource as ApiResource, Stage, HTTP_METHODS, TIMEOUT_MAX_MS, TIMEOUT_MIN_MS};
use crate::pages::test_panel::{TestDrafts, TestPanel};
use crate::rules;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "api_tree")]
pub async fn get_api_tree(id: String) -> Result<ApiTree, AppError> {
    crate::service::authed("api_tree", move |s, _| async move { s.api_tree(&id).await }).await
}

#[server(prefix = "/api", endpoint = "resource_create")]
pub async fn create_resource(api: String, parent: String, path_part: String) -> Result<ApiResource, AppError> {
    crate::service::authed("resource_create", move |s, _| async move { s.create_resource(&api, &parent, &path_part).await }).await
}

#[server(prefix = "/api", endpoint = "resource_delete")]
pub async fn delete_resource(api: String, resource: String) -> Result<(), AppError> {
    crate::service::authed("resource_delete", move |s, _| async move { s.delete_resource(&api, &resource).await }).await
}

#[server(prefix = "/api", endpoint = "method_create")]
pub async fn create_method(api: String, resource: String, verb: String) -> Result<Method, AppError> {
    crate::service::authed("method_create", move |s, _| async move { s.create_method(&api, &resource, &verb).await }).await
}

#[server(prefix = "/api", endpoint = "method_delete")]
pub async fn delete_method(api: String, resource: String, verb: String) -> Result<(), AppError> {
    crate::service::authed("method_delete", move |s, _| async move { s.delete_method(&api, &resource, &verb).await }).await
}

#[server(prefix = "/api", endpoint = "deploy")]
pub async fn deploy_api(api: String, stage: String, description: String) -> Result<crate::model::Deployment, AppError> {
    crate::service::authed("deploy", move |s, _| async move { s.deploy(&api, &stage, &description).await }).await
}

#[server(prefix = "/api", endpoint = "method_save", input = Json)]
pub async fn save_method(api: String, resource: String, verb: String, settings: MethodSettings) -> Result<Method, AppError> {
    crate::service::authed("method_save", move |s, _| async move { s.save_method(&api, &resource, &verb, settings).await }).await
}

/// What the page is looking at, from the query string.
#[derive(Clone, PartialEq)]
struct Selection {
    resource: Option<String>,
    method: Option<String>,
}

fn depth(path: &str) -> usize {
    path.split('/').filter(|s| !s.is_empty()).count()
}

/// A mock body is answered as `application/json`: say so when it is not
/// JSON (it is still saved and sent as written).
fn json_warning(body: &str) -> Option<String> {
    if body.trim().is_empty() {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(body).err().map(|e| {
        format!("This body is not valid JSON ({e}), but it is answered with Content-Type: application/json. Fix it, or callers' JSON parsers will fail.")
    })
}

#[component]
pub fn ApiDetailPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let api_id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let selection = Memo::new(move |_| {
        let q = query.read();
        Selection { resource: q.get("resource"), method: q.get("method") }
    });
    let version = RwSignal::new(0u32);
    let tree = Resource::new(move || (api_id.get(), version.get()), |(id, _)| get_api_tree(id));
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    // "Saved" outlives the editor, which is rebuilt when the tree reloads.
    let saved_flash = RwSignal::new(None::<String>);
    let show_deploy = RwSignal::new(false);
    // The Test tab's inputs outlive the editor too.
    provide_context(TestDrafts::new());

    view! {
        <Transition fallback=|| view! { <div class="card loading">"Loading API…"</div> }>
            {move || tree.get().map(|r| match r {
                Err(AppError::NotFound(_)) => view! {
                    <div class="card error-card">"This API does not exist (it may have been deleted). "
                        <A href="/apis">"Back to APIs"</A></div>
                }.into_any(),
                Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
                Ok(t) => {
                    let t = StoredValue::new(t);
                    let tree_now = t.get_value();
                    let api = tree_now.api.clone();
                    let undeployed = tree_now.undeployed_changes;
                    let stale = tree_now.stale_stages.clone();
                    let stale_names = tree_now.stale_stages.clone();
                    let stage_names: Vec<String> = tree_now.stages.iter().map(|s| s.stage_name.clone()).collect();
                    view! {
                        <nav class="breadcrumb"><A href="/apis">"APIs"</A>" / "<span>{api.name.clone()}</span></nav>
                        <div class="page-header row">
                            <div>
                                <h1>{api.name.clone()}</h1>
                                <p class="muted">
                                    {api.description.clone().unwrap_or_default()}
                                    " "<span class="id-line">"ID " <CopyValue value=api.id.clone() /></span>
                                </p>
                            </div>
                            <div class="deploy-box">
                                {undeployed.then(|| view! {
                                    <span class="badge badge-warn" id="undeployed" title="The API changed since its newest deployment">
                                        "Changes not deployed"
                                    </span>
                                })}
                                {match (undeployed, stale.len(), stage_names.len()) {
                                    (true, _, _) => None,
                                    (false, _, 0) => Some(view! { <span class="badge badge-off" id="not-deployed">"Not on any stage"</span> }.into_any()),
                                    (false, 0, _) => Some(view! { <span class="badge badge-ok" id="deployed">"Deployed"</span> }.into_any()),
                                    (false, n, _) => Some(view! {
                                        <span class="badge badge-warn" id="stages-behind"
                                            title=format!("Serving an older deployment: {}", stale.join(", "))>
                                            {if n == 1 { "1 stage serves an older deployment".to_string() } else { format!("{n} stages serve an older deployment") }}
                                        </span>
                                    }.into_any()),
                                }}
                                <IfCan role=Role::Editor>
                                    <button type="button" class="btn btn-primary" id="deploy-button"
                                        on:click=move |_| show_deploy.set(true)>"Deploy"</button>
                                </IfCan>
                            </div>
                        </div>
                        <div class="stage-strip">
                            <span class="muted">"Stages:"</span>
                            {if tree_now.stages.is_empty() {
                                view! { <span class="muted">" none yet. Deploy to create one."</span> }.into_any()
                            } else {
                                let api_id = api.id.clone();
                                stage_names.clone().into_iter().map(|name| {
                                    let behind = stale_names.contains(&name);
                                    let (class, title) = if behind {
                                        ("stage-chip stale", "Serves something other than the configuration shown here")
                                    } else {
                                        ("stage-chip", "Serves the configuration shown here")
                                    };
                                    view! {
                                        <A href=format!("/apis/{api_id}/stages/{name}") attr:class=class attr:title=title attr:data-stale=behind.to_string()>
                                            {name.clone()}{behind.then(|| view! { <span class="stale-mark" aria-label="behind">"●"</span> })}
                                        </A>
                                    }
                                }).collect_view().into_any()
                            }}
                        </div>
                        <Show when=move || show_deploy.get()>
                            <DeployDialog api=api.id.clone() stages=stage_names.clone()
                                on_close=Callback::new(move |_| show_deploy.set(false)) reload=reload />
                        </Show>
                        <div class="split">
                            <section class="card tree-card">
                                <h2>"Resources"</h2>
                                <ResourceTree tree=t selection=selection />
                            </section>
                            <section class="detail">
                                {move || {
                                    let sel = selection.get();
                                    let tree = t.get_value();
                                    let rid = sel.resource.clone().unwrap_or(tree.api.root_resource_id.clone());
                                    match tree.resources.iter().find(|r| r.id == rid).cloned() {
                                        None => view! { <div class="card muted">"That resource no longer exists. Pick one on the left."</div> }.into_any(),
                                        Some(res) => match sel.method.clone() {
                                            Some(verb) => match res.resource_methods.as_ref().and_then(|m| m.get(&verb)).cloned() {
                                                Some(m) => view! {
                                                    <MethodEditor api=tree.api.id.clone() resource=res method=m reload=reload saved_flash=saved_flash
                                                        stages=tree.stages.clone() undeployed=tree.undeployed_changes />
                                                }.into_any(),
                                                None => view! { <div class="card muted">"That method no longer exists."</div> }.into_any(),
                                            },
                                            None => view! {
                                                <ResourcePanel api=tree.api.id.clone() root=tree.api.root_resource_id.clone() resource=res reload=reload />
                                            }.into_any(),
                                        },
                                    }
                                }}
                            </section>
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
}

/// Deploy: pick a stage (or name a new one) and describe the deployment.
#[component]
fn DeployDialog(api: String, stages: Vec<String>, on_close: Callback<()>, reload: Callback<()>) -> impl IntoView {
    let api = StoredValue::new(api);
    let has_stages = !stages.is_empty();
    let choice = RwSignal::new(stages.first().cloned().unwrap_or_else(|| "__new".into()));
    let new_name = RwSignal::new(if has_stages { String::new() } else { "dev".to_string() });
    let description = RwSignal::new(String::new());
    let deploy = Action::new(|(a, s, d): &(String, String, String)| deploy_api(a.clone(), s.clone(), d.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = deploy.value().get() {
            reload.run(());
            let stage = if choice.get_untracked() == "__new" { new_name.get_untracked() } else { choice.get_untracked() };
            navigate(&format!("/apis/{}/stages/{}", api.get_value(), stage.trim()), Default::default());
        }
    });
    let stage_value = move || if choice.get() == "__new" { new_name.get() } else { choice.get() };
    let local_error = move || {
        (choice.get() == "__new" && !new_name.get().is_empty())
            .then(|| rules::stage_name(new_name.get().trim()).err().map(|e| e.to_string()))
            .flatten()
    };
    let dialog = NodeRef::<leptos::html::Div>::new();
    crate::components::modal_keys(dialog, on_close);
    view! {
        <div class="modal-backdrop" node_ref=dialog>
            <form class="modal form" role="dialog" aria-modal="true" aria-labelledby="deploy-title" id="deploy-form"
                on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    deploy.dispatch((api.get_value(), stage_value(), description.get()));
                }>
                <h2 id="deploy-title">"Deploy API"</h2>
                <p class="muted">"Takes a snapshot of the API as it is now and serves it on the stage. Later edits change nothing live until the next deploy."</p>
                <label for="deploy-stage">"Stage"</label>
                <select id="deploy-stage" prop:value=move || choice.get() on:change=move |ev| choice.set(event_target_value(&ev))>
                    {stages.iter().map(|s| view! { <option value=s.clone()>{s.clone()}</option> }).collect_view()}
                    <option value="__new">"New stage…"</option>
                </select>
                <Show when=move || choice.get() == "__new">
                    <label for="deploy-new-stage">"New stage name"</label>
                    <input id="deploy-new-stage" type="text" placeholder="dev" prop:value=move || new_name.get()
                        on:input=move |ev| new_name.set(event_target_value(&ev)) />
                </Show>
                <ErrorLine message=Signal::derive(move || local_error().or_else(|| error_for(&deploy.value().get(), "stageName"))) />
                <label for="deploy-description">"Description " <span class="muted">"(optional)"</span></label>
                <input id="deploy-description" type="text" placeholder="What changed"
                    prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
                <ErrorLine message=Signal::derive(move || error_other(&deploy.value().get(), &["stageName"])) />
                <div class="modal-actions">
                    <button type="button" class="btn" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="btn btn-primary" id="deploy-submit"
                        disabled=move || deploy.pending().get() || stage_value().trim().is_empty() || local_error().is_some()>
                        {move || if deploy.pending().get() { "Deploying…" } else { "Deploy" }}
                    </button>
                </div>
            </form>
        </div>
    }
}

#[component]
fn ResourceTree(tree: StoredValue<ApiTree>, selection: Memo<Selection>) -> impl IntoView {
    let t = tree.get_value();
    let root = t.api.root_resource_id.clone();
    t.resources
        .into_iter()
        .map(|r| {
            let rid = r.id.clone();
            let rid_sel = rid.clone();
            let root = root.clone();
            let is_selected = move || {
                let s = selection.get();
                s.method.is_none() && s.resource.clone().unwrap_or(root.clone()) == rid_sel
            };
            let label = r.path_part.clone().unwrap_or_else(|| "/".into());
            let indent = format!("padding-left: {}rem", 0.5 + depth(&r.path) as f32 * 1.1);
            let methods = r.resource_methods.clone().unwrap_or_default();
            view! {
                <div class="tree-row" style=indent>
                    <A href=format!("?resource={rid}") attr:class=move || if is_selected() { "tree-node selected" } else { "tree-node" }
                        attr:title=r.path.clone()>
                        {label}
                    </A>
                    <span class="tree-methods">
                        {methods.into_keys().map(|verb| {
                            let v = verb.clone();
                            let rid2 = rid.clone();
                            let selected = move || {
                                let s = selection.get();
                                s.resource.as_deref() == Some(rid2.as_str()) && s.method.as_deref() == Some(v.as_str())
                            };
                            view! {
                                <A href=format!("?resource={}&method={}", rid, verb)
                                    attr:class=move || if selected() { "verb verb-selected" } else { "verb" }>
                                    {verb}
                                </A>
                            }
                        }).collect_view()}
                    </span>
                </div>
            }
        })
        .collect_view()
}

#[component]
fn ResourcePanel(api: String, root: String, resource: ApiResource, reload: Callback<()>) -> impl IntoView {
    let api = StoredValue::new(api);
    let res = StoredValue::new(resource.clone());
    let part = RwSignal::new(String::new());
    let add_child = Action::new(|(a, p, pp): &(String, String, String)| create_resource(a.clone(), p.clone(), pp.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(r)) = add_child.value().get() {
            part.set(String::new());
            reload.run(());
            navigate(&format!("?resource={}", r.id), Default::default());
        }
    });
    let local_part_error = move || {
        let p = part.get();
        (!p.is_empty()).then(|| rules::path_part(&p).err().map(|e| on_screen(&e.to_string()))).flatten()
    };
    let part_error = Signal::derive(move || local_part_error().or_else(|| error_for(&add_child.value().get(), "pathPart")));
    let child_other = Signal::derive(move || error_other(&add_child.value().get(), &["pathPart"]));
    let preview = move || {
        let base = res.with_value(|r| r.path.clone());
        let p = part.get();
        if base == "/" {
            format!("/{p}")
        } else {
            format!("{base}/{p}")
        }
    };

    let used: Vec<String> = resource.resource_methods.clone().unwrap_or_default().keys().cloned().collect();
    let free: Vec<&'static str> = HTTP_METHODS.iter().copied().filter(|m| !used.iter().any(|u| u == m)).collect();
    let verb = RwSignal::new(free.first().map(|s| s.to_string()).unwrap_or_default());
    let add_method = Action::new(|(a, r, v): &(String, String, String)| create_method(a.clone(), r.clone(), v.clone()));
    let can_edit = can(Role::Editor);
    let navigate2 = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(m)) = add_method.value().get() {
            reload.run(());
            navigate2(&format!("?resource={}&method={}", res.with_value(|r| r.id.clone()), m.http_method), Default::default());
        }
    });

    let confirm = RwSignal::new(false);
    let remove = Action::new(|(a, r): &(String, String)| delete_resource(a.clone(), r.clone()));
    let navigate3 = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            confirm.set(false);
            reload.run(());
            navigate3("?", Default::default());
        }
    });
    let is_root = resource.id == root;
    let greedy = resource.path_part.as_deref().is_some_and(|p| rules::path_part(p) == Ok(rules::PathPartKind::Greedy));

    view! {
        <div class="card">
            <div class="row">
                <div>
                    <h2 class="mono">{resource.path.clone()}</h2>
                    <p class="muted small">"Resource ID " <code>{resource.id.clone()}</code></p>
                </div>
                {(!is_root).then(|| view! {
                    <IfCan role=Role::Editor>
                        <button type="button" class="btn btn-small btn-danger-ghost" on:click=move |_| confirm.set(true)>"Delete resource"</button>
                    </IfCan>
                })}
            </div>
            <h3>"Methods"</h3>
            {if used.is_empty() {
                view! { <p class="muted">"No methods yet. Add one below; requests to this path are refused until it has one."</p> }.into_any()
            } else {
                view! {
                    <div class="verb-list">
                        {used.clone().into_iter().map(|v| view! {
                            <A href=format!("?resource={}&method={}", resource.id, v) attr:class="verb">{v}</A>
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
            <ReadOnlyNote />
            {move || (!free.is_empty() && can_edit.get()).then(|| view! {
                <form class="inline-row" id="add-method-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                    ev.prevent_default();
                    add_method.dispatch((api.get_value(), res.with_value(|r| r.id.clone()), verb.get()));
                }>
                    <label for="new-verb" class="sr-only">"Method"</label>
                    <select id="new-verb" on:change=move |ev| verb.set(event_target_value(&ev)) prop:value=move || verb.get()>
                        {free.iter().map(|m| view! { <option value=*m>{*m}</option> }).collect_view()}
                    </select>
                    <button type="submit" class="btn" disabled=move || add_method.pending().get()>"Add method"</button>
                </form>
                <ErrorLine message=Signal::derive(move || error_other(&add_method.value().get(), &[])) />
            })}
        </div>
        <IfCan role=Role::Editor>
        <div class="card">
            <h3>"Add a child resource"</h3>
            {if greedy {
                view! { <p class="muted">"A greedy " <code>"{name+}"</code> " resource matches the rest of the path; it cannot have children."</p> }.into_any()
            } else {
                view! {
                    <form class="form" id="add-resource-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        if rules::path_part(&part.get()).is_ok() {
                            add_child.dispatch((api.get_value(), res.with_value(|r| r.id.clone()), part.get()));
                        }
                    }>
                        <label for="path-part">"Path part"</label>
                        <input id="path-part" type="text" placeholder="pets, {id} or {proxy+}" autocomplete="off"
                            prop:value=move || part.get() on:input=move |ev| part.set(event_target_value(&ev)) />
                        <p class="hint">"Literal, " <code>"{param}"</code> " for one segment, or " <code>"{param+}"</code>
                            " for the rest of the path. New path: " <code>{preview}</code></p>
                        <ErrorLine message=part_error />
                        <ErrorLine message=child_other />
                        <div class="form-actions">
                            <button type="submit" class="btn btn-primary"
                                disabled=move || add_child.pending().get() || part.get().is_empty() || local_part_error().is_some()>
                                "Create resource"
                            </button>
                        </div>
                    </form>
                }.into_any()
            }}
        </div>
        </IfCan>
        <Show when=move || confirm.get()>
            <ConfirmDelete
                title=format!("Delete resource {}?", res.with_value(|r| r.path.clone()))
                detail="This deletes the resource, every resource under it, and their methods and integrations."
                confirm_label="Delete resource"
                pending=remove.pending()
                error=Signal::derive(move || crate::components::error_other(&remove.value().get(), &[]))
                on_confirm=Callback::new(move |_| { remove.dispatch((api.get_value(), res.with_value(|r| r.id.clone()))); })
                on_cancel=Callback::new(move |_| confirm.set(false))
            />
        </Show>
    }
}

#[component]
fn MethodEditor(
    api: String,
    resource: ApiResource,
    method: Method,
    reload: Callback<()>,
    saved_flash: RwSignal<Option<String>>,
    /// The API's stages, for the Test tab.
    stages: Vec<Stage>,
    undeployed: bool,
) -> impl IntoView {
    let query = use_query_map();
    let on_test = Memo::new(move |_| query.read().get("tab").as_deref() == Some("test"));
    // The Test tab is built the first time it is opened, then kept (hidden)
    // so its inputs and last result survive a look at the settings.
    let test_opened = RwSignal::new(on_test.get_untracked());
    Effect::new(move |_| {
        if on_test.get() {
            test_opened.set(true);
        }
    });
    let tab_base = format!("?resource={}&method={}", resource.id, method.http_method);
    let test_panel_props = (api.clone(), resource.id.clone(), resource.path.clone(), method.http_method.clone(), method.api_key_required);
    let api = StoredValue::new(api);
    let rid = StoredValue::new(resource.id.clone());
    let verb = StoredValue::new(method.http_method.clone());
    let initial = MethodSettings::from_method(&method);
    let configured = method.method_integration.is_some();
    let kind = RwSignal::new(initial.integration_type.clone());
    let uri = RwSignal::new(initial.uri.clone());
    let imethod = RwSignal::new(initial.integration_method.clone());
    let timeout = RwSignal::new(initial.timeout_ms.to_string());
    let key_required = RwSignal::new(initial.api_key_required);
    let mock_status = RwSignal::new(initial.mock_status.clone());
    let mock_body = RwSignal::new(initial.mock_body.clone());
    let headers = KeyValueRows::new(initial.mock_headers.clone());
    let params = rules::path_params(&resource.path);
    let params_for_check = StoredValue::new(params.clone());

    let save = Action::new(move |s: &MethodSettings| save_method(api.get_value(), rid.get_value(), verb.get_value(), s.clone()));
    let flash_key = format!("{}/{}", resource.id, method.http_method);
    let flash_key_check = flash_key.clone();
    let saved = Signal::derive(move || saved_flash.get().as_deref() == Some(flash_key_check.as_str()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved_flash.set(Some(flash_key.clone()));
            reload.run(());
        }
    });
    let result = move || save.value().get();
    let is_mock = move || kind.get() == "MOCK";

    let uri_local = move || {
        if is_mock() || uri.get().is_empty() {
            return None;
        }
        rules::endpoint_uri(uri.get().trim()).err().map(|e| on_screen(&e.to_string()))
    };
    let uri_warning = move || {
        let u = uri.get();
        let unknown: Vec<String> = u
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(n, _)| n.trim_end_matches('+').to_string()))
            .filter(|n| !n.starts_with("stageVariables") && !params_for_check.with_value(|p| p.contains(n)))
            .collect();
        (!unknown.is_empty() && !is_mock()).then(|| {
            format!(
                "{} is not a path parameter of this resource; it will be sent literally.",
                unknown.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", ")
            )
        })
    };
    let timeout_local = move || match timeout.get().trim().parse::<i64>() {
        Ok(n) => rules::timeout_ms(n).err().map(|e| on_screen(&e.to_string())),
        Err(_) => Some(format!("Timeout (ms) must be a whole number of milliseconds between {TIMEOUT_MIN_MS} and {TIMEOUT_MAX_MS}.")),
    };
    let status_local =
        move || is_mock().then(|| rules::status_code(mock_status.get().trim()).err().map(|e| on_screen(&e.to_string()))).flatten();
    let has_local_error = move || uri_local().is_some() || timeout_local().is_some() || status_local().is_some();

    // The form as it stands (a timeout that is not a number reads as -1:
    // never equal to a saved one, refused by the local check).
    let current = move || MethodSettings {
        api_key_required: key_required.get(),
        integration_type: kind.get(),
        uri: uri.get().trim().to_string(),
        integration_method: imethod.get(),
        timeout_ms: timeout.get().trim().parse().unwrap_or(-1),
        mock_status: mock_status.get().trim().to_string(),
        mock_headers: headers.pairs(),
        mock_body: mock_body.get(),
    };
    let save_now = move || {
        saved_flash.set(None);
        if !has_local_error() {
            save.dispatch(current());
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save_now();
    };
    let confirm = RwSignal::new(false);
    let remove = Action::new(|(a, r, v): &(String, String, String)| delete_method(a.clone(), r.clone(), v.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            confirm.set(false);
            reload.run(());
            navigate(&format!("?resource={}", rid.get_value()), Default::default());
        }
    });
    let known_fields = ["uri", "timeoutInMillis", "integrationHttpMethod", "type", "statusCode", "responseParameters", "responseTemplates"];
    let initial_settings = StoredValue::new(initial.clone());
    let unsaved = Signal::derive(move || {
        let now = current();
        initial_settings.with_value(|i| {
            let mock = now.integration_type == "MOCK";
            // Fields of the integration type not chosen are not saved, so they do not count.
            now.api_key_required != i.api_key_required
                || now.integration_type != i.integration_type
                || (!mock && (now.uri != i.uri || now.integration_method != i.integration_method || now.timeout_ms != i.timeout_ms))
                || (mock && (now.mock_status != i.mock_status || now.mock_headers != i.mock_headers || now.mock_body != i.mock_body))
        })
    });
    let tab_class = |on: bool| if on { "method-tab method-tab-on" } else { "method-tab" };
    let can_edit = can(Role::Editor);
    guard_unsaved(unsaved, format!("{} {} has changes that are not saved. Leave and lose them?", method.http_method, resource.path));
    let save_error =
        Signal::derive(move || result().and_then(Result::err).map(|e| format!("Saving failed: {}", on_screen(&e.to_string()))));

    view! {
        <nav class="method-tabs" role="tablist" aria-label="Method views">
            <A href=tab_base.clone() attr:id="tab-settings" attr:role="tab" attr:class=move || tab_class(!on_test.get()) attr:data-keeps-edits="true"
                attr:aria-selected=move || (!on_test.get()).to_string()>"Settings"</A>
            <Show when=move || can_edit.get()>
            <A href=format!("{tab_base}&tab=test") attr:id="tab-test" attr:role="tab" attr:class=move || tab_class(on_test.get()) attr:data-keeps-edits="true"
                attr:aria-selected=move || on_test.get().to_string()>"▶ Test"</A>
            </Show>
        </nav>
        <div hidden=move || on_test.get()>
            {view! {
                <form class="card form method-editor" id="method-editor" on:submit=submit>
                    <div class="row">
                        <div>
                            <h2><span class="verb verb-static">{method.http_method.clone()}</span>" "<span class="mono">{resource.path.clone()}</span></h2>
                            {(!configured).then(|| view! { <p class="notice">"This method has no integration yet: choose one and save."</p> })}
                        </div>
                        <IfCan role=Role::Editor>
                            <button type="button" class="btn btn-small btn-danger-ghost" on:click=move |_| confirm.set(true)>"Delete method"</button>
                        </IfCan>
                    </div>
                    <ReadOnlyNote />
                    // A viewer sees the settings but cannot change them.
                    <fieldset class="plain" disabled=move || !can_edit.get()>
                        // Erased to one type: the form is too deep a type for the compiler otherwise.
                        {view! {
                    <fieldset class="segmented" id="integration-type">
                        <legend>"Integration type"</legend>
                        {[("HTTP_PROXY", "HTTP proxy"), ("HTTP", "HTTP"), ("MOCK", "Mock")].into_iter().map(|(value, label)| view! {
                            <label class=move || if kind.get() == value { "seg seg-on" } else { "seg" }>
                                <input type="radio" name="integration-type" value=value
                                    prop:checked=move || kind.get() == value on:change=move |_| kind.set(value.to_string()) />
                                {label}
                            </label>
                        }).collect_view()}
                    </fieldset>

                    <Show when=move || !is_mock() fallback=move || view! {
                        <label for="mock-status">"Status code"</label>
                        <input id="mock-status" type="text" inputmode="numeric" class="narrow" prop:value=move || mock_status.get()
                            on:input=move |ev| mock_status.set(event_target_value(&ev)) />
                        <ErrorLine message=Signal::derive(move || status_local().or_else(|| error_for(&result(), "statusCode"))) />
                        <label>"Response headers"</label>
                        <KeyValueEditor rows=headers noun="header" add_id="add-header" />
                        <ErrorLine message=Signal::derive(move || error_for(&result(), "responseParameters")) />
                        <label for="mock-body">"Body"</label>
                        <textarea id="mock-body" rows="6" class="mono" placeholder="{\"message\": \"hello\"}"
                            prop:value=move || mock_body.get() on:input=move |ev| mock_body.set(event_target_value(&ev))></textarea>
                        {move || json_warning(&mock_body.get()).map(|w| view! { <p class="warning-line" id="mock-body-warning">{w}</p> })}
                        <ErrorLine message=Signal::derive(move || error_for(&result(), "responseTemplates")) />
                    }>
                        <label for="endpoint-uri">"Endpoint URL"</label>
                        <input id="endpoint-uri" type="text" class="mono" placeholder="http://backend.internal/pets/{id}"
                            prop:value=move || uri.get() on:input=move |ev| uri.set(event_target_value(&ev)) />
                        <p class="hint">
                            {if params.is_empty() {
                                "This resource has no path parameters. ".to_string()
                            } else {
                                format!("Path parameters you can use: {}. ", params.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(", "))
                            }}
                            "Stage variables: " <code>"${stageVariables.name}"</code>
                        </p>
                        <ErrorLine message=Signal::derive(move || uri_local().or_else(|| error_for(&result(), "uri"))) />
                        {move || uri_warning().map(|w| view! { <p class="warning-line">{w}</p> })}
                        <div class="two-col">
                            <div>
                                <label for="integration-method">"Backend HTTP method"</label>
                                <select id="integration-method" prop:value=move || imethod.get() on:change=move |ev| imethod.set(event_target_value(&ev))>
                                    {HTTP_METHODS.iter().map(|m| view! { <option value=*m>{*m}</option> }).collect_view()}
                                </select>
                                <ErrorLine message=Signal::derive(move || error_for(&result(), "integrationHttpMethod")) />
                            </div>
                            <div>
                                <label for="timeout">"Timeout (ms)"</label>
                                <input id="timeout" type="text" inputmode="numeric" prop:value=move || timeout.get()
                                    on:input=move |ev| timeout.set(event_target_value(&ev)) />
                                <p class="hint">{format!("{TIMEOUT_MIN_MS} to {TIMEOUT_MAX_MS}")}</p>
                                <ErrorLine message=Signal::derive(move || timeout_local().or_else(|| error_for(&result(), "timeoutInMillis"))) />
                            </div>
                        </div>
                    </Show>

                    <label class="switch">
                        <input type="checkbox" id="api-key-required" prop:checked=move || key_required.get()
                            on:change=move |ev| key_required.set(event_target_checked(&ev)) />
                        <span>"API key required"</span>
                        <span class="hint">" Callers must send an enabled key in " <code>"x-api-key"</code></span>
                    </label>
                        }.into_any()}
                    </fieldset>
                    <ErrorLine message=Signal::derive(move || error_other(&result(), &known_fields)) />
                    <IfCan role=Role::Editor>
                        <div class="form-actions">
                            {move || saved.get().then(|| view! { <span class="ok-line" id="saved">"Saved ✓"</span> })}
                            <button type="submit" class="btn btn-primary" id="save-method" disabled=move || save.pending().get() || has_local_error()>
                                {move || if save.pending().get() { "Saving…" } else { "Save" }}
                            </button>
                        </div>
                    </IfCan>
                </form>
            }.into_any()}
        </div>
        <Show when=move || test_opened.get() && !can_edit.get() && on_test.get()>
            <div class="card"><ReadOnlyNote /></div>
        </Show>
        <Show when=move || test_opened.get() && can_edit.get()>
            <div hidden=move || !on_test.get()>
                <TestPanel api=test_panel_props.0.clone() resource_id=test_panel_props.1.clone()
                    resource_path=test_panel_props.2.clone() verb=test_panel_props.3.clone()
                    api_key_required=test_panel_props.4 configured=configured stages=stages.clone()
                    undeployed=undeployed unsaved=unsaved save_and_test=Callback::new(move |_| save_now())
                    save_error=save_error settings_invalid=Signal::derive(has_local_error) />
            </div>
        </Show>
        <Show when=move || confirm.get()>
            <ConfirmDelete
                title=format!("Delete method {}?", verb.get_value())
                detail="This deletes the method and its integration."
                confirm_label="Delete method"
                pending=remove.pending()
                error=Signal::derive(move || crate::components::error_other(&remove.value().get(), &[]))
                on_confirm=Callback::new(move |_| { remove.dispatch((api.get_value(), rid.get_value(), verb.get_value())); })
                on_cancel=Callback::new(move |_| confirm.set(false))
            />
        </Show>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_bodies_that_are_not_json_are_flagged() {
        assert_eq!(json_warning(""), None);
        assert_eq!(json_warning(r#"{"ok": true}"#), None);
        let w = json_warning(r#"{"ok": tru"#).unwrap();
        assert!(w.contains("not valid JSON") && w.contains("line 1"), "{w}");
    }
}

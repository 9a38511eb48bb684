//! One API: its resource tree (like the AWS console), deploying it, adding
//! resources and methods; the selected method opens in `method_editor`.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

use crate::components::{error_for, error_other, on_screen, ConfirmDelete, CopyValue, ErrorLine};
use crate::error::AppError;
use crate::identity::Role;
use crate::layout::{can, IfCan, ReadOnlyNote};
use crate::model::{ApiTree, Method, Resource as ApiResource, HTTP_METHODS};
use crate::pages::method_editor::MethodEditor;
use crate::pages::test_panel::TestDrafts;
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

#[server(prefix = "/api", endpoint = "deploy")]
pub async fn deploy_api(api: String, stage: String, description: String) -> Result<crate::model::Deployment, AppError> {
    crate::service::authed("deploy", move |s, _| async move { s.deploy(&api, &stage, &description).await }).await
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
                        <crate::pages::api_nav::ApiNav api=api.id.clone() current="resources" />
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
                                                        stages=tree.stages.clone() undeployed=tree.undeployed_changes
                                                        validators=tree.validators.clone() models=tree.models.clone() />
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

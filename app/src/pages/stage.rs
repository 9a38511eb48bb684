//! One stage of an API: where to call it, which deployment it serves, the
//! deployment history with one-click rollback and roll-forward, its
//! throttling and its stage variables.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::{error_other, fmt_time_secs, ConfirmDelete, CopyValue, ErrorLine, KeyValueEditor, KeyValueRows};
use crate::error::AppError;
use crate::identity::Role;
use crate::layout::{can, guard_unsaved, IfCan, ReadOnlyNote};
use crate::model::{PatchOperation, Stage, StageDetail};
use crate::pages::stage_api::{delete_stage, get_deployment_changes, get_stage_detail, update_stage};
use crate::pages::stage_throttling::StageThrottling;
use crate::rules;

fn replace(path: String, value: String) -> PatchOperation {
    PatchOperation { op: "replace".into(), path, value: Some(value) }
}

#[component]
pub fn StagePage() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        let p = params.read();
        (p.get("id").unwrap_or_default(), p.get("stage").unwrap_or_default())
    });
    let version = RwSignal::new(0u32);
    let detail = Resource::new(move || (key.get(), version.get()), |((api, stage), _)| get_stage_detail(api, stage));
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    // Outlive the forms, which are rebuilt when the stage reloads.
    let vars_saved = RwSignal::new(false);
    let throttle_saved = RwSignal::new(false);

    view! {
        <Transition fallback=|| view! { <div class="card loading">"Loading stage…"</div> }>
            {move || detail.get().map(|r| match r {
                Err(AppError::NotFound(m)) => view! {
                    <div class="card error-card">{m}" "<A href=format!("/apis/{}", key.get().0)>"Back to the API"</A></div>
                }.into_any(),
                Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
                Ok(d) => view! { <StageView detail=d reload=reload vars_saved=vars_saved throttle_saved=throttle_saved /> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn StageView(detail: StageDetail, reload: Callback<()>, vars_saved: RwSignal<bool>, throttle_saved: RwSignal<bool>) -> impl IntoView {
    let api_id = StoredValue::new(detail.api.id.clone());
    let stage_name = StoredValue::new(detail.stage.stage_name.clone());
    let current = detail.stage.deployment_id.clone();
    let current_index = detail.deployments.iter().position(|d| d.id == current);
    let current_dep = current_index.and_then(|i| detail.deployments.get(i)).cloned();

    let switch = Action::new(move |dep: &String| {
        update_stage(api_id.get_value(), stage_name.get_value(), vec![replace("/deploymentId".into(), dep.clone())])
    });
    // The deployment a switch waits to be confirmed for, and its button's words.
    let asking = RwSignal::new(None::<(String, &'static str)>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = switch.value().get() {
            asking.set(None);
            reload.run(());
        }
    });
    let serves_latest = detail.serves_latest;
    // The export links: kind, format, label, and where each goes.
    let exports: Vec<(String, String, &str)> = [
        ("oas30", "json", "OpenAPI 3 (JSON)"),
        ("oas30", "yaml", "OpenAPI 3 (YAML)"),
        ("swagger", "json", "Swagger 2 (JSON)"),
        ("swagger", "yaml", "Swagger 2 (YAML)"),
    ]
    .into_iter()
    .map(|(kind, format, label)| {
        let href =
            format!("/restapis/{}/stages/{}/exports/{kind}?extensions=apigateway&accept={format}", detail.api.id, detail.stage.stage_name);
        (href, format!("{}-{}-{kind}.{format}", detail.api.name, detail.stage.stage_name), label)
    })
    .collect();
    // Type-erased, so the page's view type stays within the compiler's layout depth.
    let export = view! {
        <section class="card" id="stage-export">
            <h2>"Export"</h2>
            <p class="muted">"What this stage serves, as an OpenAPI document with AWS's extensions (integrations, validators, gateway responses): "
                "import it into another apigw or into AWS. The same as "<code>"aws apigateway get-export"</code>"."</p>
            <p class="row-actions">
                {exports.into_iter()
                    .map(|(href, file, label)| view! { <a class="btn btn-small" href=href download=file rel="external">{label}</a> })
                    .collect_view()}
            </p>
        </section>
    }
    .into_any();

    let edit = can(Role::Editor);
    let confirm = RwSignal::new(false);
    let remove = Action::new(move |_: &()| delete_stage(api_id.get_value(), stage_name.get_value()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            navigate(&format!("/apis/{}", api_id.get_value()), Default::default());
        }
    });

    view! {
        <nav class="breadcrumb">
            <A href="/apis">"APIs"</A>" / "
            <A href=format!("/apis/{}", detail.api.id)>{detail.api.name.clone()}</A>" / "
            <span>{detail.stage.stage_name.clone()}</span>
        </nav>
        <div class="page-header row">
            <div>
                <h1>"Stage " <span class="mono">{detail.stage.stage_name.clone()}</span></h1>
                <p class="muted">{detail.stage.description.clone().unwrap_or_default()}</p>
            </div>
            <div class="header-actions">
                <A href=format!("/apis/{}/stages/{}/dashboard", detail.api.id, detail.stage.stage_name) attr:class="btn btn-small" attr:id="stage-dashboard">"Dashboard"</A>
                <A href=format!("/apis/{}/stages/{}/logs", detail.api.id, detail.stage.stage_name) attr:class="btn btn-small" attr:id="stage-logs">"Logs"</A>
                <IfCan role=Role::Editor>
                    <button type="button" class="btn btn-small btn-danger-ghost" on:click=move |_| confirm.set(true)>"Delete stage"</button>
                </IfCan>
            </div>
        </div>
        <ReadOnlyNote />
        <section class="card">
            <h2>"Invoke URL"</h2>
            <p class="invoke" id="invoke-url"><CopyValue value=detail.invoke_url.clone() /></p>
            <p class="hint">"Append a resource path, e.g. " <code>{format!("{}pets/1", detail.invoke_url)}</code>
                ". Host-based form: " <code>{format!("http://{}.execute-api.localhost:<gateway port>/{}/…", detail.api.id, detail.stage.stage_name)}</code></p>
        </section>
        {export}
        <section class="card">
            <h2>"Deployment"</h2>
            {if serves_latest {
                view! { <p><span class="badge badge-ok" id="stage-fresh">"Serves the API's current configuration"</span></p> }.into_any()
            } else {
                view! {
                    <p><span class="badge badge-warn" id="stage-stale"
                        title="The API's resources and methods now differ from what this stage serves. Deploy to this stage to serve them.">
                        "Serves an older configuration than the API's current one"
                    </span></p>
                }.into_any()
            }}
            {match current_dep.clone() {
                Some(d) => view! {
                    <p id="current-deployment">"Serving " <code>{d.id.clone()}</code> " — "
                        {d.description.clone().unwrap_or_else(|| "no description".into())}
                        <span class="muted">" · deployed " {fmt_time_secs(d.created_date)}</span></p>
                }.into_any(),
                None => view! { <p class="muted">{format!("Serving deployment {current}.")}</p> }.into_any(),
            }}
            <h3>"History"</h3>
            <table class="table" id="deployment-history">
                <thead><tr><th>"Deployment"</th><th>"Description"</th><th>"Deployed"</th><th></th></tr></thead>
                <tbody>
                    {detail.deployments.iter().enumerate().map(|(i, d)| {
                        let id = d.id.clone();
                        let is_current = d.id == current;
                        // The list is newest first: a higher index is older.
                        let (label, verb) = match current_index {
                            Some(c) if i > c => ("Roll back to this", "Roll back"),
                            Some(_) => ("Roll forward to this", "Roll forward"),
                            None => ("Serve this", "Serve it"),
                        };
                        view! {
                            <tr class:current-row=is_current>
                                <td><code>{d.id.clone()}</code>{is_current.then(|| view! { <span class="badge badge-ok">"live"</span> })}</td>
                                <td>{d.description.clone().unwrap_or_default()}</td>
                                <td class="muted nowrap">{fmt_time_secs(d.created_date)}</td>
                                <td class="right">
                                    {move || (!is_current && edit.get()).then(|| view! {
                                        <button type="button" class="btn btn-small switch-deployment" data-deployment=id.clone()
                                            disabled=move || switch.pending().get()
                                            on:click={ let id = id.clone(); move |_| asking.set(Some((id.clone(), verb))) }>{label}</button>
                                    })}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        {move || asking.get().map(|(to, verb)| view! {
            <SwitchDialog api=api_id.get_value() stage=stage_name.get_value() to=to.clone() verb=verb
                pending=switch.pending()
                error=Signal::derive(move || error_other(&switch.value().get(), &[]))
                on_confirm=Callback::new(move |_| { switch.dispatch(to.clone()); })
                on_cancel=Callback::new(move |_| asking.set(None)) />
        })}
        <StageThrottling api=detail.api.id.clone() stage=detail.stage.clone() methods=detail.served_methods.clone()
            reload=reload saved=throttle_saved />
        <StageVariables api=detail.api.id.clone() stage=detail.stage.clone() reload=reload saved=vars_saved />
        <Show when=move || confirm.get()>
            <ConfirmDelete
                title=format!("Delete stage {}?", stage_name.get_value())
                detail="Its invoke URL stops answering at once. The deployments stay and can be served by another stage."
                confirm_label="Delete stage"
                pending=remove.pending()
                error=Signal::derive(move || crate::components::error_other(&remove.value().get(), &[]))
                on_confirm=Callback::new(move |_| { remove.dispatch(()); })
                on_cancel=Callback::new(move |_| confirm.set(false))
            />
        </Show>
    }
}

/// Asks before a stage switches deployments, listing what its callers would
/// notice (routes added or removed, key requirements, integrations), the
/// changes that open or close access first.
#[component]
fn SwitchDialog(
    api: String,
    stage: String,
    to: String,
    verb: &'static str,
    #[prop(into)] pending: Signal<bool>,
    error: Signal<Option<String>>,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let changes = {
        let (api, stage, to) = (api.clone(), stage.clone(), to.clone());
        LocalResource::new(move || get_deployment_changes(api.clone(), stage.clone(), to.clone()))
    };
    let tried = RwSignal::new(false);
    let cancel_ref = NodeRef::<leptos::html::Button>::new();
    let dialog = NodeRef::<leptos::html::Div>::new();
    crate::components::modal_keys(dialog, on_cancel);
    crate::components::keep_focus_on(cancel_ref, pending);
    view! {
        <div class="modal-backdrop" node_ref=dialog>
            <div class="modal modal-wide" role="dialog" aria-modal="true" aria-labelledby="switch-title" id="switch-dialog">
                <h2 id="switch-title">{format!("{verb} stage {stage} to deployment {to}?")}</h2>
                <p class="muted">"The stage serves it at once. What its callers will notice:"</p>
                <Suspense fallback=|| view! { <p class="muted">"Comparing the two deployments…"</p> }>
                    {move || changes.get().map(|r| match r {
                        Err(e) => view! { <p class="field-error" role="alert">{format!("Could not compare the deployments: {e}")}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p id="switch-no-changes">"Nothing: both deployments hold the same resources and methods."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="change-list" id="switch-changes">
                                {list.into_iter().map(|c| view! {
                                    <li class=format!("change change-{}", c.kind) class:change-access=c.access>
                                        <code>{c.route}</code>" "<span>{c.what}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    })}
                </Suspense>
                {move || error.get().filter(|_| tried.get() && !pending.get()).map(|m| view! { <p class="field-error" role="alert" id="switch-error">{m}</p> })}
                <div class="modal-actions">
                    <button type="button" class="btn" node_ref=cancel_ref on:click=move |_| on_cancel.run(())>"Cancel"</button>
                    <button type="button" class="btn btn-primary" id="switch-confirm"
                        disabled=move || pending.get() on:click=move |_| { tried.set(true); on_confirm.run(()) }>
                        {move || if pending.get() { "Switching…".to_string() } else { verb.to_string() }}
                    </button>
                </div>
            </div>
        </div>
    }
}

/// Rows of name/value pairs, saved as one UpdateStage call.
#[component]
fn StageVariables(api: String, stage: Stage, reload: Callback<()>, saved: RwSignal<bool>) -> impl IntoView {
    let api = StoredValue::new(api);
    let name = StoredValue::new(stage.stage_name.clone());
    let original = StoredValue::new(stage.variables.clone());
    let rows = KeyValueRows::new(stage.variables.clone());
    let edit = can(Role::Editor);
    let save = Action::new(move |ops: &Vec<PatchOperation>| update_stage(api.get_value(), name.get_value(), ops.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved.set(true);
            reload.run(());
        }
    });
    let local_error = move || rows.pairs().iter().find_map(|(k, v)| rules::stage_variable(k, v).err().map(|e| e.to_string()));
    let dirty = Signal::derive(move || original.with_value(|o| rows.pairs() != o.clone().into_iter().collect::<Vec<_>>()));
    guard_unsaved(dirty, format!("The variables of stage {} have changes that are not saved. Leave and lose them?", stage.stage_name));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        let current = rows.pairs();
        let mut ops: Vec<PatchOperation> = original
            .get_value()
            .keys()
            .filter(|k| !current.iter().any(|(c, _)| c == *k))
            .map(|k| PatchOperation { op: "remove".into(), path: format!("/variables/{k}"), value: None })
            .collect();
        ops.extend(current.into_iter().map(|(k, v)| replace(format!("/variables/{k}"), v)));
        save.dispatch(ops);
    };
    view! {
        <form class="card form" id="stage-variables" on:submit=submit>
            <h2>"Stage variables"</h2>
            <p class="muted">"Used in integration URIs as " <code>"${stageVariables.name}"</code> ". Saving applies them at once, without a deploy."</p>
            <fieldset class="plain" disabled=move || !edit.get()>
                <KeyValueEditor rows=rows noun="variable" add_id="add-variable" />
            </fieldset>
            <ErrorLine message=Signal::derive(move || local_error().or_else(|| error_other(&save.value().get(), &[]))) />
            <IfCan role=Role::Editor>
                <div class="form-actions">
                    {move || saved.get().then(|| view! { <span class="ok-line" id="variables-saved">"Saved ✓"</span> })}
                    <button type="submit" class="btn btn-primary" disabled=move || save.pending().get() || local_error().is_some()>
                        "Save variables"
                    </button>
                </div>
            </IfCan>
        </form>
    }
}

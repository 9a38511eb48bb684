//! The usage plans section: throttling and quotas for groups of keys. The
//! list and one plan's page (its form, the keys in it, what each key has
//! used); the parts live in `plan_form`, `plan_keys` and `plan_limits`.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::components::{error_other, ConfirmDelete, CopyValue, EmptyState, ErrorLine};
use crate::error::AppError;
use crate::identity::Role;
use crate::layout::{can, IfCan, ReadOnlyNote};
use crate::model::UsagePlan;
use crate::pages::keys::list_api_keys;
use crate::pages::plan_api::{
    blank_plan, delete_usage_plan, get_usage_plan_detail, list_usage_plans, plan_choices, quota_text, throttle_text,
};
use crate::pages::plan_form::PlanForm;
use crate::pages::plan_keys::{PlanKeys, UsageChart};

#[component]
pub fn UsagePlansPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let plans = Resource::new(move || version.get(), |_| list_usage_plans());
    let keys = Resource::new(move || version.get(), |_| list_api_keys());
    let show_form = RwSignal::new(false);
    let can_edit = can(Role::Editor);
    let to_delete = RwSignal::new(None::<UsagePlan>);
    let delete = Action::new(|id: &String| delete_usage_plan(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            to_delete.set(None);
            version.update(|v| *v += 1);
        }
    });

    view! {
        <div class="page-header row">
            <div>
                <h1>"Usage plans"</h1>
                <p class="muted">"Rate limits and quotas for the keys attached to them."</p>
            </div>
            <IfCan role=Role::Editor>
                <button type="button" class="btn btn-primary" id="new-plan" on:click=move |_| show_form.update(|s| *s = !*s)>
                    "Create usage plan"
                </button>
            </IfCan>
        </div>
        <ReadOnlyNote />
        <Show when=move || show_form.get()>
            <CreatePlan on_cancel=Callback::new(move |_| show_form.set(false)) />
        </Show>
        <Transition fallback=|| view! { <div class="card loading">"Loading usage plans…"</div> }>
            {move || {
                let plans = plans.get()?;
                let edit = can_edit.get();
                // Key counts come from the keys list; without it the column says "—".
                let key_counts: Option<BTreeMap<String, usize>> = keys.get()?.ok().map(|rows| {
                    let mut m = BTreeMap::new();
                    for (pid, _) in rows.iter().flat_map(|r| r.plans.iter()) {
                        *m.entry(pid.clone()).or_insert(0) += 1;
                    }
                    m
                });
                Some(match plans {
                    Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState icon="▤" title="No usage plans yet">
                            <p>"A usage plan sets a request rate, a burst and a quota per day, week or month, and covers one or more API stages. Attach keys to it to give callers access."</p>
                            <Show when=move || !show_form.get() && edit>
                                <button type="button" class="btn btn-primary" on:click=move |_| show_form.set(true)>"Create your first plan"</button>
                            </Show>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) => view! {
                        <table class="table" id="plan-table">
                            <thead><tr><th>"Name"</th><th>"Throttle"</th><th>"Quota"</th><th>"Stages"</th><th>"Keys"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|p| {
                                    let keys = key_counts.as_ref().map_or("—".to_string(), |m| m.get(&p.id).copied().unwrap_or(0).to_string());
                                    let stages_title = p.api_stages.iter().map(|s| format!("{}/{}", s.api_id, s.stage)).collect::<Vec<_>>().join(", ");
                                    let for_delete = p.clone();
                                    view! {
                                        <tr>
                                            <td>
                                                <A href=format!("/usage-plans/{}", p.id) attr:class="strong-link">{p.name.clone()}</A>
                                                {p.description.clone().map(|d| view! { <div class="muted small">{d}</div> })}
                                            </td>
                                            <td class:muted=p.throttle.is_none()>{throttle_text(p.throttle.as_ref())}</td>
                                            <td class:muted=p.quota.is_none()>{quota_text(p.quota.as_ref())}</td>
                                            <td title=stages_title>
                                                {if p.api_stages.is_empty() {
                                                    view! { <span class="badge badge-warn" title="Keys in this plan can reach nothing">"none"</span> }.into_any()
                                                } else {
                                                    p.api_stages.len().to_string().into_any()
                                                }}
                                            </td>
                                            <td>{keys}</td>
                                            <td class="right nowrap">
                                                <A href=format!("/usage-plans/{}", p.id) attr:class="btn btn-small">"Open"</A>
                                                {edit.then(|| view! {
                                                    <button type="button" class="btn btn-small btn-danger-ghost"
                                                        on:click=move |_| to_delete.set(Some(for_delete.clone()))>"Delete"</button>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })
            }}
        </Transition>
        {move || to_delete.get().map(|p| {
            let id = p.id.clone();
            view! {
                <ConfirmDelete
                    title=format!("Delete usage plan “{}”?", p.name)
                    detail="Keys in this plan lose access to its stages at once, unless another plan covers them. Its usage history is deleted too."
                    confirm_label="Delete plan"
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

/// The create form: the same editor as a plan's page, then on to that page.
#[component]
fn CreatePlan(on_cancel: Callback<()>) -> impl IntoView {
    let choices = Resource::new(|| (), |_| plan_choices());
    let navigate = use_navigate();
    let on_saved = Callback::new(move |p: UsagePlan| navigate(&format!("/usage-plans/{}", p.id), Default::default()));
    let saved = RwSignal::new(false);
    view! {
        <Transition fallback=|| view! { <div class="card loading">"Loading deployed stages…"</div> }>
            {move || choices.get().map(|r| match r {
                Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
                Ok(c) => view! { <PlanForm plan=blank_plan() choices=c saved=saved on_saved=on_saved on_cancel=on_cancel /> }.into_any(),
            })}
        </Transition>
    }
}

/// One plan: its editor, its keys with their usage, and a chart of the last days.
#[component]
pub fn UsagePlanPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    // Two loads of the same detail: saving the plan reloads both, while
    // adding a key or refreshing usage reloads only the lower one, so the
    // editor above keeps whatever the user is typing.
    let plan_version = RwSignal::new(0u32);
    let usage_version = RwSignal::new(0u32);
    let plan = Resource::new(move || (id.get(), plan_version.get()), |(id, _)| get_usage_plan_detail(id));
    let usage = Resource::new(move || (id.get(), plan_version.get(), usage_version.get()), |(id, _, _)| get_usage_plan_detail(id));
    let all_keys = Resource::new(move || usage_version.get(), |_| list_api_keys());
    let choices = Resource::new(move || plan_version.get(), |_| plan_choices());
    // Outlives the editor, which is rebuilt when the plan reloads after a save.
    let saved = RwSignal::new(false);
    let on_saved = Callback::new(move |_: UsagePlan| plan_version.update(|v| *v += 1));
    let reload_usage = Callback::new(move |_| usage_version.update(|v| *v += 1));
    let refreshing = RwSignal::new(false);

    let confirm = RwSignal::new(false);
    let can_edit = can(Role::Editor);
    let remove = Action::new(|id: &String| delete_usage_plan(id.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            navigate("/usage-plans", Default::default());
        }
    });

    view! {
        <Transition fallback=|| view! { <div class="card loading">"Loading usage plan…"</div> }>
            {move || {
                let detail = plan.get()?;
                let choices = choices.get()?;
                let read_only = !can_edit.get();
                Some(match (detail, choices) {
                    (Err(AppError::NotFound(_)), _) => view! {
                        <div class="card error-card">"This usage plan does not exist (it may have been deleted). "
                            <A href="/usage-plans">"Back to usage plans"</A></div>
                    }.into_any(),
                    (Err(e), _) | (_, Err(e)) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
                    (Ok(d), Ok(c)) => {
                        let p = d.plan.clone();
                        view! {
                            <nav class="breadcrumb"><A href="/usage-plans">"Usage plans"</A>" / "<span>{p.name.clone()}</span></nav>
                            <div class="page-header row">
                                <div>
                                    <h1 id="plan-title">{p.name.clone()}</h1>
                                    <p class="muted">
                                        {p.description.clone().unwrap_or_default()}
                                        " "<span class="id-line">"ID " <CopyValue value=p.id.clone() /></span>
                                    </p>
                                </div>
                                {(!read_only).then(|| view! {
                                    <button type="button" class="btn btn-small btn-danger-ghost" id="delete-plan"
                                        on:click=move |_| confirm.set(true)>"Delete plan"</button>
                                })}
                            </div>
                            <ReadOnlyNote />
                            <PlanForm plan=p.clone() choices=c saved=saved on_saved=on_saved read_only=read_only />
                            <Show when=move || confirm.get()>
                                <ConfirmDelete
                                    title=format!("Delete usage plan “{}”?", p.name)
                                    detail="Keys in this plan lose access to its stages at once, unless another plan covers them. Its usage history is deleted too."
                                    confirm_label="Delete plan"
                                    pending=remove.pending()
                                    error=Signal::derive(move || error_other(&remove.value().get(), &[]))
                                    on_confirm={
                                        let id = p.id.clone();
                                        Callback::new(move |_| { remove.dispatch(id.clone()); })
                                    }
                                    on_cancel=Callback::new(move |_| confirm.set(false))
                                />
                            </Show>
                        }.into_any()
                    }
                })
            }}
        </Transition>
        <ErrorLine message=Signal::derive(move || error_other(&remove.value().get(), &[])) />
        <Transition fallback=|| view! { <div class="card loading">"Loading keys and usage…"</div> } set_pending=refreshing>
            {move || {
                let detail = usage.get()?;
                let keys = all_keys.get()?;
                let edit = can_edit.get();
                Some(match detail {
                    // The editor above already says what went wrong.
                    Err(_) => ().into_any(),
                    Ok(d) => {
                        let candidates: Vec<(String, String, bool)> = keys
                            .map(|rows| rows.into_iter()
                                .filter(|r| !d.keys.iter().any(|k| k.key.id == r.key.id))
                                .map(|r| (r.key.id, r.key.name, r.key.enabled))
                                .collect())
                            .unwrap_or_default();
                        view! {
                            <PlanKeys detail=d.clone() candidates=candidates reload=reload_usage edit=edit />
                            <section class="card" id="plan-usage">
                                <div class="row">
                                    <div>
                                        <h2>"Requests per day"</h2>
                                        <p class="hint">"The last 14 days (UTC), every key in this plan. New requests show up within a few seconds."</p>
                                    </div>
                                    <button type="button" class="btn btn-small" id="usage-refresh" disabled=move || refreshing.get()
                                        on:click=move |_| reload_usage.run(())>
                                        {move || if refreshing.get() { "Refreshing…" } else { "Refresh" }}
                                    </button>
                                </div>
                                <UsageChart days=d.days.clone() keys=d.keys.clone() />
                            </section>
                        }.into_any()
                    }
                })
            }}
        </Transition>
    }
}

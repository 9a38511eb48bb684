//! The usage plans section: throttling and quotas for groups of keys. The
//! list, one plan's editor (name, limits, API stages), the keys in it, and
//! what each key has used.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::auth::Role;
use crate::components::{error_for, error_other, fmt_time, ConfirmDelete, CopyValue, EmptyState, ErrorLine};
use crate::error::AppError;
use crate::layout::{can, IfCan, ReadOnlyNote};
use crate::model::{
    ApiStage, KeyUsage, QuotaSettings, ThrottleSettings, UsagePlan, UsagePlanDetail, UsagePlanInput, UsagePlanKey, QUOTA_PERIODS,
};
use crate::pages::keys::list_api_keys;
use crate::rules;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

/// Deployed stages: (API id, API name, stage names).
type DeployedStages = Vec<(String, String, Vec<String>)>;

#[server(prefix = "/api", endpoint = "usage_plans_list")]
pub async fn list_usage_plans() -> Result<Vec<UsagePlan>, AppError> {
    crate::service::authed("usage_plans_list", move |s, _| async move { s.list_usage_plans().await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_detail")]
pub async fn get_usage_plan_detail(id: String) -> Result<UsagePlanDetail, AppError> {
    crate::service::authed("usage_plan_detail", move |s, _| async move { s.usage_plan_detail(&id).await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_create", input = Json)]
pub async fn create_usage_plan(input: UsagePlanInput) -> Result<UsagePlan, AppError> {
    crate::service::authed("usage_plan_create", move |s, _| async move { s.create_usage_plan(input).await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_save", input = Json)]
pub async fn save_usage_plan(id: String, input: UsagePlanInput) -> Result<UsagePlan, AppError> {
    crate::service::authed("usage_plan_save", move |s, _| async move { s.save_usage_plan(&id, input).await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_delete")]
pub async fn delete_usage_plan(id: String) -> Result<(), AppError> {
    crate::service::authed("usage_plan_delete", move |s, _| async move { s.delete_usage_plan(&id).await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_key_add")]
pub async fn add_usage_plan_key(plan: String, key: String) -> Result<UsagePlanKey, AppError> {
    crate::service::authed("usage_plan_key_add", move |s, _| async move { s.add_usage_plan_key(&plan, &key).await }).await
}

#[server(prefix = "/api", endpoint = "usage_plan_key_remove")]
pub async fn remove_usage_plan_key(plan: String, key: String) -> Result<(), AppError> {
    crate::service::authed("usage_plan_key_remove", move |s, _| async move { s.remove_usage_plan_key(&plan, &key).await }).await
}

#[server(prefix = "/api", endpoint = "stage_choices")]
pub async fn stage_choices() -> Result<DeployedStages, AppError> {
    crate::service::authed("stage_choices", move |s, _| async move { s.stage_choices().await }).await
}

/// `12345` as `12,345`.
fn fmt_count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

fn throttle_text(t: Option<&ThrottleSettings>) -> String {
    match t {
        Some(t) => format!("rate {} r/s · burst {}", t.rate_limit, fmt_count(t.burst_limit)),
        None => "no throttle".into(),
    }
}

fn quota_text(q: Option<&QuotaSettings>) -> String {
    match q {
        Some(q) => format!("{} per {}", fmt_count(q.limit), q.period),
        None => "no quota".into(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The API's name for a stage, from the deployed choices.
fn api_name(choices: &DeployedStages, api_id: &str) -> Option<String> {
    choices.iter().find(|(id, _, _)| id == api_id).map(|(_, name, _)| name.clone())
}

/// The message of a failure about a field under `prefix`: the server names a
/// stage's problem `apiStages[2]` or `apiStages[2].throttle[/pets/GET]`.
fn error_under<T>(result: &Option<Result<T, AppError>>, prefix: &str) -> Option<String> {
    match result {
        Some(Err(e)) if e.field().is_some_and(|f| f.starts_with(prefix)) => Some(e.to_string()),
        _ => None,
    }
}

fn blank_plan() -> UsagePlan {
    UsagePlan { id: String::new(), name: String::new(), description: None, api_stages: Vec::new(), throttle: None, quota: None }
}

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
    let choices = Resource::new(|| (), |_| stage_choices());
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
    let choices = Resource::new(move || plan_version.get(), |_| stage_choices());
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

/// The plan editor, for a new plan (empty `id`) or an existing one.
#[component]
fn PlanForm(
    plan: UsagePlan,
    choices: DeployedStages,
    saved: RwSignal<bool>,
    on_saved: Callback<UsagePlan>,
    #[prop(optional)] on_cancel: Option<Callback<()>>,
    /// Shown to roles that may not change plans: fields disabled, no buttons.
    #[prop(optional)]
    read_only: bool,
) -> impl IntoView {
    let is_new = plan.id.is_empty();
    let plan_id = StoredValue::new(plan.id.clone());
    let choices = StoredValue::new(choices);

    let name = RwSignal::new(plan.name.clone());
    let description = RwSignal::new(plan.description.clone().unwrap_or_default());
    let throttle_on = RwSignal::new(plan.throttle.is_some());
    let t = plan.throttle.unwrap_or(ThrottleSettings { rate_limit: 10.0, burst_limit: 20 });
    let rate = RwSignal::new(t.rate_limit.to_string());
    let burst = RwSignal::new(t.burst_limit.to_string());
    let quota_on = RwSignal::new(plan.quota.is_some());
    let q = plan.quota.clone().unwrap_or(QuotaSettings { limit: 1000, offset: 0, period: "DAY".into() });
    let limit = RwSignal::new(q.limit.to_string());
    let period = RwSignal::new(q.period.clone());
    let offset = RwSignal::new(q.offset.to_string());
    let stages = RwSignal::new(plan.api_stages.clone());
    let touched = RwSignal::new(false);

    // Checks made here, before a round trip; the server checks the same rules.
    let name_local = move || touched.get().then(|| rules::plan_name(&name.get()).err().map(|e| e.to_string())).flatten();
    let desc_local = move || rules::api_description(description.get().trim()).err().map(|e| e.to_string());
    let rate_local = move || {
        if !throttle_on.get() {
            return None;
        }
        rules::rate_limit_text(&rate.get(), "throttle.rateLimit").err().map(|e| e.to_string())
    };
    let burst_local = move || {
        if !throttle_on.get() {
            return None;
        }
        rules::burst_limit_text(&burst.get(), "throttle.burstLimit").err().map(|e| e.to_string())
    };
    let limit_local = move || {
        if !quota_on.get() {
            return None;
        }
        match limit.get().trim().parse::<i64>() {
            Err(_) => Some("quota limit must be a whole number of requests, e.g. 1000.".to_string()),
            Ok(l) => rules::quota(&QuotaSettings { limit: l, offset: 0, period: "DAY".into() }).err().map(|e| e.to_string()),
        }
    };
    let offset_local = move || {
        if !quota_on.get() {
            return None;
        }
        match offset.get().trim().parse::<i64>() {
            Err(_) => Some("quota offset must be a whole number of days.".to_string()),
            Ok(o) => rules::quota(&QuotaSettings { limit: 1, offset: o, period: period.get() })
                .err()
                .filter(|e| e.field() == Some("quota.offset"))
                .map(|e| e.to_string()),
        }
    };
    let has_local_error = move || {
        rules::plan_name(&name.get()).is_err()
            || desc_local().is_some()
            || rate_local().is_some()
            || burst_local().is_some()
            || limit_local().is_some()
            || offset_local().is_some()
    };

    let input = move || UsagePlanInput {
        name: Some(name.get().trim().to_string()),
        description: Some(description.get().trim().to_string()),
        api_stages: stages.get(),
        throttle: throttle_on.get().then(|| ThrottleSettings {
            rate_limit: rate.get().trim().parse().unwrap_or(-1.0),
            burst_limit: burst.get().trim().parse().unwrap_or(-1),
        }),
        quota: quota_on.get().then(|| QuotaSettings {
            limit: limit.get().trim().parse().unwrap_or(0),
            offset: offset.get().trim().parse().unwrap_or(-1),
            period: period.get(),
        }),
    };
    let original = StoredValue::new(UsagePlanInput {
        name: Some(plan.name.clone()),
        description: Some(plan.description.clone().unwrap_or_default()),
        api_stages: plan.api_stages.clone(),
        throttle: plan.throttle,
        quota: plan.quota.clone(),
    });
    let dirty = move || original.with_value(|o| *o != input());

    let save = Action::new(move |inp: &UsagePlanInput| {
        let id = plan_id.get_value();
        let inp = inp.clone();
        async move {
            if id.is_empty() {
                create_usage_plan(inp).await
            } else {
                save_usage_plan(id, inp).await
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(p)) = save.value().get() {
            saved.set(true);
            on_saved.run(p);
        }
    });
    let result = move || save.value().get();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        touched.set(true);
        saved.set(false);
        if !has_local_error() {
            save.dispatch(input());
        }
    };
    let known = ["name", "description", "throttle.rateLimit", "throttle.burstLimit", "quota.limit", "quota.period", "quota.offset"];

    view! {
        <form class="card form plan-form" id="plan-form" on:submit=submit>
            <h2>{if is_new { "Create usage plan" } else { "Plan settings" }}</h2>
            <fieldset class="plain" disabled=read_only>
                // Erased to one type: the form is too deep a type for the compiler otherwise.
                {view! {
            <div class="two-col">
                <div>
                    <label for="plan-name">"Name"</label>
                    <input id="plan-name" type="text" placeholder="free-tier" autocomplete="off" prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev)) on:blur=move |_| touched.set(true) />
                    <ErrorLine message=Signal::derive(move || name_local().or_else(|| error_for(&result(), "name"))) />
                </div>
                <div>
                    <label for="plan-description">"Description " <span class="muted">"(optional)"</span></label>
                    <input id="plan-description" type="text" placeholder="Who this plan is for"
                        prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
                    <ErrorLine message=Signal::derive(move || desc_local().or_else(|| error_for(&result(), "description"))) />
                </div>
            </div>

            <div class="plan-section">
                <label class="switch">
                    <input type="checkbox" id="plan-throttle" prop:checked=move || throttle_on.get()
                        on:change=move |ev| throttle_on.set(event_target_checked(&ev)) />
                    <span>"Throttle"</span>
                    <span class="hint">" Each key gets its own bucket: a steady rate, and a burst it may spend at once."</span>
                </label>
                <Show when=move || throttle_on.get()
                    fallback=|| view! { <p class="muted small section-off">"No throttle: keys in this plan are not rate limited."</p> }>
                    <div class="two-col">
                        <div>
                            <label for="plan-rate">"Rate " <span class="muted">"(requests per second)"</span></label>
                            <input id="plan-rate" type="text" inputmode="decimal" prop:value=move || rate.get()
                                on:input=move |ev| rate.set(event_target_value(&ev)) />
                            <p class="hint">"0.5 means one request every two seconds."</p>
                            <ErrorLine message=Signal::derive(move || rate_local().or_else(|| error_for(&result(), "throttle.rateLimit"))) />
                        </div>
                        <div>
                            <label for="plan-burst">"Burst " <span class="muted">"(requests)"</span></label>
                            <input id="plan-burst" type="text" inputmode="numeric" prop:value=move || burst.get()
                                on:input=move |ev| burst.set(event_target_value(&ev)) />
                            <p class="hint">"How many requests may arrive at once before the rate applies."</p>
                            <ErrorLine message=Signal::derive(move || burst_local().or_else(|| error_for(&result(), "throttle.burstLimit"))) />
                        </div>
                    </div>
                </Show>
            </div>

            <div class="plan-section">
                <label class="switch">
                    <input type="checkbox" id="plan-quota" prop:checked=move || quota_on.get()
                        on:change=move |ev| quota_on.set(event_target_checked(&ev)) />
                    <span>"Quota"</span>
                    <span class="hint">" How many requests each key may make per day, week or month (UTC)."</span>
                </label>
                <Show when=move || quota_on.get()
                    fallback=|| view! { <p class="muted small section-off">"No quota: keys in this plan may make any number of requests."</p> }>
                    <div class="three-col">
                        <div>
                            <label for="plan-quota-limit">"Requests"</label>
                            <input id="plan-quota-limit" type="text" inputmode="numeric" prop:value=move || limit.get()
                                on:input=move |ev| limit.set(event_target_value(&ev)) />
                            <ErrorLine message=Signal::derive(move || limit_local().or_else(|| error_for(&result(), "quota.limit"))) />
                        </div>
                        <div>
                            <label for="plan-quota-period">"Per"</label>
                            <select id="plan-quota-period" prop:value=move || period.get() on:change=move |ev| {
                                let p = event_target_value(&ev);
                                if p == "DAY" {
                                    offset.set("0".into());
                                }
                                period.set(p);
                            }>
                                {QUOTA_PERIODS.iter().map(|p| view! {
                                    <option value=*p selected=move || period.get() == *p>{*p}</option>
                                }).collect_view()}
                            </select>
                            <ErrorLine message=Signal::derive(move || error_for(&result(), "quota.period")) />
                        </div>
                        <div>
                            <label for="plan-quota-offset">"Offset " <span class="muted">"(days)"</span></label>
                            <input id="plan-quota-offset" type="text" inputmode="numeric" prop:value=move || offset.get()
                                disabled=move || period.get() == "DAY"
                                on:input=move |ev| offset.set(event_target_value(&ev)) />
                            <p class="hint">"days after the period starts: WEEK 0–6 (0 = Sunday), MONTH 0–27"</p>
                            <ErrorLine message=Signal::derive(move || offset_local().or_else(|| error_for(&result(), "quota.offset"))) />
                        </div>
                    </div>
                </Show>
            </div>

            <div class="plan-section">
                <h3>"API stages"</h3>
                <p class="hint">"Keys in this plan may call these stages; the throttle and the quota count requests to all of them together."</p>
                <StageList stages=stages choices=choices read_only=read_only />
                {(!read_only).then(|| view! { <AddStage stages=stages choices=choices /> })}
                <ErrorLine message=Signal::derive(move || error_under(&result(), "apiStages")) />
            </div>

                }.into_any()}
            </fieldset>
            <ErrorLine message=Signal::derive(move || {
                error_other(&result(), &known).filter(|_| error_under(&result(), "apiStages").is_none())
            }) />
            {(!read_only).then(|| view! {
            <div class="form-actions">
                {move || (!is_new && dirty()).then(|| view! { <span class="muted" id="plan-dirty">"Unsaved changes"</span> })}
                {move || (!is_new && saved.get() && !dirty()).then(|| view! { <span class="ok-line" id="plan-saved">"Saved ✓"</span> })}
                {on_cancel.map(|c| view! { <button type="button" class="btn" on:click=move |_| c.run(())>"Cancel"</button> })}
                <button type="submit" class="btn btn-primary" id="plan-save" disabled=move || save.pending().get() || has_local_error()>
                    {move || match (is_new, save.pending().get()) {
                        (true, true) => "Creating…",
                        (true, false) => "Create usage plan",
                        (false, true) => "Saving…",
                        (false, false) => "Save",
                    }}
                </button>
            </div>
            })}
        </form>
    }
}

/// The stages a plan covers, each removable.
#[component]
fn StageList(stages: RwSignal<Vec<ApiStage>>, choices: StoredValue<DeployedStages>, read_only: bool) -> impl IntoView {
    move || {
        let list = stages.get();
        if list.is_empty() {
            return view! {
                <p class="empty-line notice" id="no-stages">
                    "No stages — callers of a key in this plan can reach nothing until you add an API stage."
                </p>
            }
            .into_any();
        }
        view! {
            <ul class="plan-stages" id="plan-stages">
                {list.into_iter().map(|s| {
                    let name = choices.with_value(|c| api_name(c, &s.api_id));
                    let deployed = choices.with_value(|c| c.iter().any(|(id, _, st)| *id == s.api_id && st.contains(&s.stage)));
                    let methods = s.throttle.as_ref().map_or(0, BTreeMap::len);
                    let ApiStage { api_id, stage, .. } = s;
                    let api_href = format!("/apis/{api_id}");
                    let stage_href = format!("/apis/{api_id}/stages/{stage}");
                    let remove_label = format!("Remove stage {stage}");
                    let shown_id = name.is_some().then(|| api_id.clone());
                    let label = name.unwrap_or_else(|| api_id.clone());
                    let stage_text = stage.clone();
                    view! {
                        <li class="plan-stage">
                            <A href=api_href attr:class="strong-link">{label}</A>
                            <span class="muted">" / "</span>
                            <A href=stage_href attr:class="stage-chip">{stage_text}</A>
                            {shown_id.map(|id| view! { <code class="muted small">{id}</code> })}
                            {(!deployed).then(|| view! {
                                <span class="badge badge-warn" title="No deployed stage by this name: requests to it are not served">"not deployed"</span>
                            })}
                            {(methods > 0).then(|| view! {
                                <span class="muted small">{format!("+ {} with their own limits", plural(methods, "method", "methods"))}</span>
                            })}
                            {(!read_only).then(|| view! {
                                <button type="button" class="btn btn-small btn-ghost stage-remove" aria-label=remove_label
                                    on:click=move |_| stages.update(|l| l.retain(|x| !(x.api_id == api_id && x.stage == stage)))>
                                    "Remove"
                                </button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    }
}

/// Two selects (API, then one of its deployed stages) and an Add button.
#[component]
fn AddStage(stages: RwSignal<Vec<ApiStage>>, choices: StoredValue<DeployedStages>) -> impl IntoView {
    let pick_api = RwSignal::new(String::new());
    let pick_stage = RwSignal::new(String::new());
    // Deployed stages not yet in the plan, per API.
    let open = move || -> Vec<(String, String, Vec<String>)> {
        let taken = stages.get();
        choices.with_value(|c| {
            c.iter()
                .map(|(id, name, st)| {
                    let free = st.iter().filter(|s| !taken.iter().any(|t| t.api_id == *id && t.stage == **s)).cloned().collect();
                    (id.clone(), name.clone(), free)
                })
                .filter(|(_, _, free): &(String, String, Vec<String>)| !free.is_empty())
                .collect()
        })
    };
    let chosen_api = move || {
        let o = open();
        let want = pick_api.get();
        if o.iter().any(|(id, _, _)| *id == want) {
            want
        } else {
            o.first().map(|(id, _, _)| id.clone()).unwrap_or_default()
        }
    };
    let stage_options = move || {
        let api = chosen_api();
        open().into_iter().find(|(id, _, _)| *id == api).map(|(_, _, s)| s).unwrap_or_default()
    };
    let chosen_stage = move || {
        let o = stage_options();
        let want = pick_stage.get();
        if o.contains(&want) {
            want
        } else {
            o.first().cloned().unwrap_or_default()
        }
    };
    let add = move |_| {
        let (api_id, stage) = (chosen_api(), chosen_stage());
        if !api_id.is_empty() && !stage.is_empty() {
            stages.update(|l| l.push(ApiStage { api_id, stage, throttle: None }));
        }
    };
    let nothing_deployed = choices.with_value(Vec::is_empty);
    move || {
        if nothing_deployed {
            return view! {
                <p class="hint">"Nothing is deployed yet. " <A href="/apis">"Deploy an API"</A> " to a stage, then add the stage here."</p>
            }
            .into_any();
        }
        if open().is_empty() {
            return view! { <p class="hint">"Every deployed stage is already in this plan."</p> }.into_any();
        }
        view! {
            <div class="inline-row add-stage">
                <label for="add-stage-api" class="sr-only">"API"</label>
                <select id="add-stage-api" prop:value=chosen_api on:change=move |ev| pick_api.set(event_target_value(&ev))>
                    {move || open().into_iter().map(|(id, name, _)| {
                        let selected = id == chosen_api();
                        view! { <option value=id.clone() selected=selected>{format!("{name} ({id})")}</option> }
                    }).collect_view()}
                </select>
                <label for="add-stage-stage" class="sr-only">"Stage"</label>
                <select id="add-stage-stage" prop:value=chosen_stage on:change=move |ev| pick_stage.set(event_target_value(&ev))>
                    {move || stage_options().into_iter().map(|s| {
                        let selected = s == chosen_stage();
                        view! { <option value=s.clone() selected=selected>{s.clone()}</option> }
                    }).collect_view()}
                </select>
                <button type="button" class="btn" id="add-stage" on:click=add>"Add stage"</button>
            </div>
        }
        .into_any()
    }
}

fn fmt_period(period: Option<(i64, i64)>) -> String {
    match period {
        Some((start, end)) => {
            let s = fmt_time(start);
            format!("{} → {}", s.trim_end_matches(" UTC"), fmt_time(end))
        }
        None => "today (UTC)".into(),
    }
}

/// The keys in a plan with their use of the current period; add and remove.
#[component]
fn PlanKeys(detail: UsagePlanDetail, candidates: Vec<(String, String, bool)>, reload: Callback<()>, edit: bool) -> impl IntoView {
    let plan_id = StoredValue::new(detail.plan.id.clone());
    let limit = detail.plan.quota.as_ref().map(|q| q.limit);
    let period = fmt_period(detail.period);
    let pick = RwSignal::new(candidates.first().map(|(id, _, _)| id.clone()).unwrap_or_default());
    let add = Action::new(move |key: &String| add_usage_plan_key(plan_id.get_value(), key.clone()));
    let remove = Action::new(move |key: &String| remove_usage_plan_key(plan_id.get_value(), key.clone()));
    let removing = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            reload.run(());
        }
    });
    Effect::new(move |_| match remove.value().get() {
        Some(Ok(())) => reload.run(()),
        Some(Err(_)) => removing.set(None),
        None => {}
    });
    let no_keys_at_all = candidates.is_empty() && detail.keys.is_empty();
    let candidates = StoredValue::new(candidates);

    view! {
        <section class="card" id="plan-keys">
            <div class="row">
                <h2>"Keys"</h2>
                <span class="muted small">{match detail.plan.quota.as_ref() {
                    Some(q) => format!("Quota: {} for each key", quota_text(Some(q))),
                    None => "No quota: “used” counts today's requests (UTC).".to_string(),
                }}</span>
            </div>
            {if detail.keys.is_empty() {
                view! { <p class="empty-line muted" id="no-plan-keys">"No keys in this plan yet — add one below."</p> }.into_any()
            } else {
                view! {
                    <table class="table" id="plan-key-table">
                        <thead><tr><th>"Key"</th><th>"Status"</th><th class="right">"Used"</th><th>"Remaining"</th><th>"Period"</th><th></th></tr></thead>
                        <tbody>
                            {detail.keys.iter().map(|k| {
                                let id = k.key.id.clone();
                                let id_busy = k.key.id.clone();
                                let busy = move || removing.get().as_deref() == Some(id_busy.as_str());
                                let busy_label = busy.clone();
                                let share = match (limit, k.remaining) {
                                    (Some(l), Some(_)) if l > 0 => Some(((k.used as f64 / l as f64) * 100.0).clamp(0.0, 100.0)),
                                    _ => None,
                                };
                                view! {
                                    <tr data-key-id=k.key.id.clone()>
                                        <td><span class="strong">{k.key.name.clone()}</span>" "<code class="small">{k.key.id.clone()}</code></td>
                                        <td>{if k.key.enabled {
                                            view! { <span class="badge badge-ok">"Enabled"</span> }.into_any()
                                        } else {
                                            view! { <span class="badge badge-off">"Disabled"</span> }.into_any()
                                        }}</td>
                                        <td class="right num key-used">{fmt_count(k.used)}</td>
                                        <td class="key-remaining">
                                            {match (k.remaining, limit) {
                                                (Some(r), Some(l)) => view! {
                                                    <span class="num">{format!("{} of {}", fmt_count(r), fmt_count(l))}</span>
                                                    <span class="meter" title=format!("{:.0}% of the quota used", share.unwrap_or(0.0))>
                                                        <span class="meter-fill" class:meter-full=r <= 0
                                                            style=format!("width: {:.1}%", share.unwrap_or(0.0))></span>
                                                    </span>
                                                }.into_any(),
                                                (Some(r), None) => view! { <span class="num">{fmt_count(r)}</span> }.into_any(),
                                                _ => view! { <span class="muted" title="This plan has no quota">"unlimited"</span> }.into_any(),
                                            }}
                                        </td>
                                        <td class="muted small nowrap">{period.clone()}</td>
                                        <td class="right">
                                            {edit.then(|| view! {
                                                <button type="button" class="btn btn-small btn-danger-ghost" disabled=busy
                                                    on:click=move |_| { removing.set(Some(id.clone())); remove.dispatch(id.clone()); }>
                                                    {move || if busy_label() { "Removing…" } else { "Remove" }}
                                                </button>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <ErrorLine message=Signal::derive(move || error_other(&remove.value().get(), &[])) />
            {if !edit {
                ().into_any()
            } else if no_keys_at_all {
                view! { <p class="hint add-key-hint">"There are no API keys yet. " <A href="/keys">"Create a key"</A> ", then add it here."</p> }.into_any()
            } else if candidates.with_value(Vec::is_empty) {
                view! { <p class="hint add-key-hint">"Every API key is already in this plan."</p> }.into_any()
            } else {
                view! {
                    <form class="inline-row add-key" id="add-key-form" on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        if !pick.get().is_empty() {
                            add.dispatch(pick.get());
                        }
                    }>
                        <label for="add-key-select" class="sr-only">"Key"</label>
                        <select id="add-key-select" prop:value=move || pick.get() on:change=move |ev| pick.set(event_target_value(&ev))>
                            {candidates.get_value().into_iter().map(|(id, name, enabled)| view! {
                                <option value=id.clone()>{format!("{name} ({id}){}", if enabled { "" } else { " — disabled" })}</option>
                            }).collect_view()}
                        </select>
                        <button type="submit" class="btn" id="add-key" disabled=move || add.pending().get()>
                            {move || if add.pending().get() { "Adding…" } else { "Add key" }}
                        </button>
                    </form>
                }.into_any()
            }}
            <ErrorLine message=Signal::derive(move || error_other(&add.value().get(), &[])) />
        </section>
    }
}

/// The smallest of 2, 4, 10, 20, 40, 100, … that is at least `n`; half of it
/// is a whole number, so the middle grid line has an integer label.
fn nice_ceiling(n: i64) -> i64 {
    let mut base = 1;
    loop {
        for m in [2, 4, 10] {
            if base * m >= n {
                return base * m;
            }
        }
        base *= 10;
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `2026-11-21` as `Nov 21`.
fn short_day(day: &str) -> String {
    let mut parts = day.split('-').skip(1);
    match (parts.next().and_then(|m| m.parse::<usize>().ok()), parts.next().and_then(|d| d.parse::<u32>().ok())) {
        (Some(m), Some(d)) if (1..=12).contains(&m) => format!("{} {d}", MONTHS[m - 1]),
        _ => day.to_string(),
    }
}

/// Requests per day for all keys of the plan, as an inline SVG bar chart.
#[component]
fn UsageChart(days: Vec<String>, keys: Vec<KeyUsage>) -> impl IntoView {
    const W: f64 = 900.0;
    const H: f64 = 200.0;
    const LEFT: f64 = 44.0;
    const RIGHT: f64 = 8.0;
    const TOP: f64 = 18.0;
    const BOTTOM: f64 = 30.0;
    let totals: Vec<i64> = (0..days.len()).map(|i| keys.iter().map(|k| k.daily.get(i).copied().unwrap_or(0)).sum()).collect();
    let top = nice_ceiling(totals.iter().copied().max().unwrap_or(0));
    let plot_h = H - TOP - BOTTOM;
    let slot = (W - LEFT - RIGHT) / days.len().max(1) as f64;
    let bar_w = (slot * 0.62).min(34.0);
    let y = move |v: i64| TOP + plot_h - plot_h * v as f64 / top as f64;
    let empty = totals.iter().all(|t| *t == 0);
    let last = days.len().saturating_sub(1);

    let grid = [0, top / 2, top]
        .into_iter()
        .map(|v| {
            let yy = y(v);
            view! {
                <g class="chart-grid">
                    <line x1=LEFT x2=W - RIGHT y1=yy y2=yy class:chart-base=v == 0 />
                    <text x=LEFT - 8.0 y=yy + 4.0 text-anchor="end" class="chart-label">{fmt_count(v)}</text>
                </g>
            }
        })
        .collect_view();

    let bars = days
        .iter()
        .enumerate()
        .map(|(i, day)| {
            let total = totals[i];
            let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
            let yy = y(total);
            let breakdown = keys
                .iter()
                .filter_map(|k| k.daily.get(i).copied().filter(|n| *n > 0).map(|n| format!("{} {}", k.key.name, fmt_count(n))))
                .collect::<Vec<_>>();
            let tip = format!(
                "{day}: {}{}",
                plural(total as usize, "request", "requests"),
                if breakdown.is_empty() { String::new() } else { format!(" ({})", breakdown.join(", ")) }
            );
            // Every other day is labelled, and always today.
            let label = (i == last || (last - i).is_multiple_of(2)).then(|| short_day(day));
            view! {
                <g class="chart-day" data-day=day.clone() data-total=total>
                    <title>{tip}</title>
                    <rect class="chart-hit" x=LEFT + slot * i as f64 y=TOP width=slot height=plot_h />
                    <rect class="chart-bar" class:chart-today=i == last x=x y=yy width=bar_w height=(TOP + plot_h - yy).max(0.0) rx="2" />
                    {(total > 0).then(|| view! {
                        <text class="chart-value" x=x + bar_w / 2.0 y=yy - 5.0 text-anchor="middle">{fmt_count(total)}</text>
                    })}
                    {label.map(|l| view! {
                        <text class="chart-label" class:chart-label-today=i == last x=x + bar_w / 2.0 y=H - 10.0 text-anchor="middle">
                            {if i == last { "today".to_string() } else { l }}
                        </text>
                    })}
                </g>
            }
        })
        .collect_view();

    view! {
        <div class="chart-wrap">
            <svg class="usage-chart" id="usage-chart" viewBox=format!("0 0 {W} {H}") role="img"
                aria-label="Requests per day over the last 14 days">
                {grid}
                {bars}
                {empty.then(|| view! {
                    <text class="chart-empty" x=LEFT + (W - LEFT - RIGHT) / 2.0 y=TOP + plot_h * 0.75 + 4.0 text-anchor="middle">
                        "No requests in the last 14 days"
                    </text>
                })}
            </svg>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_scales() {
        assert_eq!(fmt_count(0), "0");
        assert_eq!(fmt_count(999), "999");
        assert_eq!(fmt_count(1_000), "1,000");
        assert_eq!(fmt_count(1_234_567), "1,234,567");
        assert_eq!([0, 1, 3, 5, 11, 25, 41, 400].map(nice_ceiling), [2, 2, 4, 10, 20, 40, 100, 400]);
        assert_eq!(short_day("2026-11-21"), "Nov 21");
        assert_eq!(throttle_text(Some(&ThrottleSettings { rate_limit: 0.5, burst_limit: 2 })), "rate 0.5 r/s · burst 2");
    }
}

//! A usage plan's form: name, description, throttle, quota, the API
//! stages it covers and its per-method limits, checked as typed and saved
//! in one call (create or update). Leaving it with changes not saved asks first.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{error_for, error_other, ErrorLine};
use crate::error::AppError;
use crate::layout::guard_unsaved;
use crate::model::{ApiStage, QuotaSettings, ThrottleSettings, UsagePlan, UsagePlanInput, QUOTA_PERIODS};
use crate::pages::plan_api::{api_name, create_usage_plan, save_usage_plan, DeployedStages, PlanChoices};
use crate::pages::plan_limits::{MethodLimitRows, MethodLimits};
use crate::rules;

/// The message of a failure about a field under `prefix`: the server names a
/// stage's problem `apiStages[2]` or `apiStages[2].throttle[/pets/GET]`.
fn error_under<T>(result: &Option<Result<T, AppError>>, prefix: &str) -> Option<String> {
    match result {
        Some(Err(e)) if e.field().is_some_and(|f| f.starts_with(prefix)) => Some(e.to_string()),
        _ => None,
    }
}

/// The plan editor, for a new plan (empty `id`) or an existing one.
#[component]
pub fn PlanForm(
    plan: UsagePlan,
    choices: PlanChoices,
    saved: RwSignal<bool>,
    on_saved: Callback<UsagePlan>,
    #[prop(optional)] on_cancel: Option<Callback<()>>,
    /// Shown to roles that may not change plans: fields disabled, no buttons.
    #[prop(optional)]
    read_only: bool,
) -> impl IntoView {
    let is_new = plan.id.is_empty();
    let plan_id = StoredValue::new(plan.id.clone());
    let served = StoredValue::new(choices.methods);
    let choices = StoredValue::new(choices.stages);

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
    let limits = MethodLimitRows::new(&plan.api_stages);
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
            || limits.problem(&stages.get()).is_some()
    };

    // Not edited here, but kept: a save replaces the whole plan.
    let product_code = StoredValue::new(plan.product_code.clone());
    let input = move || UsagePlanInput {
        name: Some(name.get().trim().to_string()),
        description: Some(description.get().trim().to_string()),
        api_stages: limits.apply(stages.get()),
        throttle: throttle_on.get().then(|| ThrottleSettings {
            rate_limit: rate.get().trim().parse().unwrap_or(-1.0),
            burst_limit: burst.get().trim().parse().unwrap_or(-1),
        }),
        quota: quota_on.get().then(|| QuotaSettings {
            limit: limit.get().trim().parse().unwrap_or(0),
            offset: offset.get().trim().parse().unwrap_or(-1),
            period: period.get(),
        }),
        product_code: product_code.get_value(),
        tags: None,
    };
    let original = StoredValue::new(UsagePlanInput {
        name: Some(plan.name.clone()),
        description: Some(plan.description.clone().unwrap_or_default()),
        api_stages: plan.api_stages.clone(),
        throttle: plan.throttle,
        quota: plan.quota.clone(),
        product_code: plan.product_code.clone(),
        tags: None,
    });
    let dirty = move || original.with_value(|o| *o != input());
    let what = if is_new {
        "The new usage plan is not created yet".to_string()
    } else {
        format!("Usage plan {} has changes that are not saved", plan.name)
    };
    guard_unsaved(Signal::derive(move || !read_only && dirty()), format!("{what}. Leave and lose them?"));

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
                <MethodLimits rows=limits stages=stages served=served read_only=read_only />
                <ErrorLine message=Signal::derive(move || limits.problem(&stages.get())) />
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

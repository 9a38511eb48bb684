//! A usage plan's per-method limits: for a stage the plan covers, a method
//! with its own rate and burst (AWS's `apiStages[].throttle`, keyed
//! `/pets/{id}/GET`), edited as rows and saved with the rest of the plan.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::model::{ApiStage, ThrottleSettings};
use crate::pages::plan_api::StageMethods;
use crate::rules;

/// A plan throttle key as people read it: `/pets/{id}/GET` → "GET /pets/{id}".
pub fn method_label(key: &str) -> String {
    match key.rsplit_once('/') {
        Some(("", verb)) | Some(("/", verb)) => format!("{verb} /"),
        Some((path, verb)) => format!("{verb} {path}"),
        None => key.to_string(),
    }
}

/// Which stage of the plan a row is for: `apiId:stage`, as AWS writes it.
fn stage_ref(s: &ApiStage) -> String {
    format!("{}:{}", s.api_id, s.stage)
}

type Row = (usize, RwSignal<String>, RwSignal<String>, RwSignal<String>, RwSignal<String>);

/// The rows being edited: (id, stage ref, method key, rate, burst).
#[derive(Clone, Copy)]
pub struct MethodLimitRows {
    rows: RwSignal<Vec<Row>>,
    next: StoredValue<usize>,
}

fn fmt_rate(r: f64) -> String {
    format!("{r}")
}

impl MethodLimitRows {
    pub fn new(stages: &[ApiStage]) -> Self {
        let rows: Vec<Row> = stages
            .iter()
            .flat_map(|s| s.throttle.iter().flatten().map(move |(k, t)| (stage_ref(s), k.clone(), *t)))
            .enumerate()
            .map(|(i, (st, k, t))| {
                (i, RwSignal::new(st), RwSignal::new(k), RwSignal::new(fmt_rate(t.rate_limit)), RwSignal::new(t.burst_limit.to_string()))
            })
            .collect();
        Self { next: StoredValue::new(rows.len()), rows: RwSignal::new(rows) }
    }

    /// The rows as text: (stage ref, method key, rate, burst).
    fn typed(&self) -> Vec<(String, String, String, String)> {
        self.rows.get().iter().map(|(_, s, k, r, b)| (s.get(), k.get(), r.get(), b.get())).collect()
    }

    /// `stages` with each one's `throttle` taken from the rows (rows of a
    /// stage no longer in the plan are left out). A value that is not a
    /// number is sent as -1, which the checks refuse.
    pub fn apply(&self, stages: Vec<ApiStage>) -> Vec<ApiStage> {
        let typed = self.typed();
        stages
            .into_iter()
            .map(|mut s| {
                let own: BTreeMap<String, ThrottleSettings> = typed
                    .iter()
                    .filter(|(st, ..)| *st == stage_ref(&s))
                    .map(|(_, k, r, b)| {
                        let t =
                            ThrottleSettings { rate_limit: r.trim().parse().unwrap_or(-1.0), burst_limit: b.trim().parse().unwrap_or(-1) };
                        (k.clone(), t)
                    })
                    .collect();
                s.throttle = (!own.is_empty()).then_some(own);
                s
            })
            .collect()
    }

    /// What is wrong with the rows of stages still in the plan, in the words on screen.
    pub fn problem(&self, stages: &[ApiStage]) -> Option<String> {
        let typed = self.typed();
        let live: Vec<&(String, String, String, String)> =
            typed.iter().filter(|(st, ..)| stages.iter().any(|s| stage_ref(s) == *st)).collect();
        for (i, (st, key, rate, burst)) in live.iter().enumerate() {
            let who = format!("{} on {}", method_label(key), st.split_once(':').map_or(st.as_str(), |(_, s)| s));
            if key.is_empty() {
                return Some("Pick a method for every row of method limits.".into());
            }
            if live[..i].iter().any(|(s, k, ..)| s == st && k == key) {
                return Some(format!("{who} has two rows; keep one."));
            }
            if let Err(e) = rules::rate_limit_text(rate, &format!("Rate of {who}")) {
                return Some(e.to_string());
            }
            if let Err(e) = rules::burst_limit_text(burst, &format!("Burst of {who}")) {
                return Some(e.to_string());
            }
        }
        None
    }

    fn add(&self, stage: String, key: String) {
        let i = self.next.get_value();
        self.next.set_value(i + 1);
        self.rows.update(|r| r.push((i, RwSignal::new(stage), RwSignal::new(key), RwSignal::new("10".into()), RwSignal::new("20".into()))));
    }
}

/// The method-limit rows of a plan, under its stages.
#[component]
pub fn MethodLimits(
    rows: MethodLimitRows,
    stages: RwSignal<Vec<ApiStage>>,
    /// Per deployed stage, the methods it serves (loaded with the page).
    served: StoredValue<StageMethods>,
    read_only: bool,
) -> impl IntoView {
    // The method keys a stage (`apiId:stage`) serves.
    let methods_of = move |st: &str| -> Vec<String> {
        served.with_value(|all| all.iter().find(|(a, s, _)| format!("{a}:{s}") == st).map(|(_, _, keys)| keys.clone()).unwrap_or_default())
    };
    let add = move |_| {
        let Some(first) = stages.get().first().map(stage_ref) else { return };
        let taken: Vec<String> = rows.rows.get().iter().filter(|r| r.1.get() == first).map(|r| r.2.get()).collect();
        let key = methods_of(&first).into_iter().find(|k| !taken.contains(k)).unwrap_or_default();
        rows.add(first, key);
    };
    let shown = move || {
        let live: Vec<String> = stages.get().iter().map(stage_ref).collect();
        rows.rows.get().into_iter().filter(|r| live.contains(&r.1.get())).collect::<Vec<_>>()
    };
    view! {
        <div class="method-limits" id="method-limits">
            <h4>"Method limits"</h4>
            <p class="hint">"A method with its own rate and burst for each key, instead of the plan's throttle."</p>
            {move || shown().is_empty().then(|| view! { <p class="muted small" id="no-method-limits">"None."</p> })}
            <For each=shown key=|r| r.0 let:row>
                <div class="throttle-row plan-limit-row">
                    <select class="limit-stage" aria-label="Stage" prop:value=move || row.1.get() disabled=read_only
                        on:change=move |ev| {
                            let st = event_target_value(&ev);
                            row.2.set(methods_of(&st).into_iter().next().unwrap_or_default());
                            row.1.set(st);
                        }>
                        {move || stages.get().iter().map(|s| {
                            let r = stage_ref(s);
                            let selected = r == row.1.get_untracked();
                            view! { <option value=r.clone() selected=selected>{format!("{} · {}", s.stage, s.api_id)}</option> }
                        }).collect_view()}
                    </select>
                    <select class="limit-method" aria-label="Method" prop:value=move || row.2.get() disabled=read_only
                        on:change=move |ev| row.2.set(event_target_value(&ev))>
                        {move || {
                            let mut keys = methods_of(&row.1.get());
                            let now = row.2.get();
                            if !now.is_empty() && !keys.contains(&now) {
                                keys.push(now.clone());
                            }
                            keys.into_iter().map(|k| {
                                let selected = k == now;
                                view! { <option value=k.clone() selected=selected>{method_label(&k)}</option> }
                            }).collect_view()
                        }}
                    </select>
                    <input type="text" class="limit-rate" inputmode="decimal" aria-label="Rate (requests per second)" placeholder="rate"
                        disabled=read_only prop:value=move || row.3.get() on:input=move |ev| row.3.set(event_target_value(&ev)) />
                    <input type="text" class="limit-burst" inputmode="numeric" aria-label="Burst (requests)" placeholder="burst"
                        disabled=read_only prop:value=move || row.4.get() on:input=move |ev| row.4.set(event_target_value(&ev)) />
                    {(!read_only).then(|| view! {
                        <button type="button" class="btn btn-small btn-ghost" aria-label="Remove this method limit"
                            on:click=move |_| rows.rows.update(|r| r.retain(|x| x.0 != row.0))>"✕"</button>
                    })}
                </div>
            </For>
            {(!read_only).then(|| view! {
                <button type="button" class="btn btn-small" id="add-method-limit" on:click=add
                    disabled=move || stages.with(Vec::is_empty)>"Limit a method"</button>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(method_label("/pets/{id}/GET"), "GET /pets/{id}");
        assert_eq!(method_label("//GET"), "GET /");
        assert_eq!(method_label("/GET"), "GET /");
    }
}

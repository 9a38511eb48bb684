//! A stage's throttling: the limit for every method (AWS's `*/*` method
//! setting) and limits for single methods, edited as a form and saved as one
//! UpdateStage call whose patch operations the control API takes as well.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::components::{error_other, ErrorLine};
use crate::identity::Role;
use crate::layout::{can, guard_unsaved, IfCan};
use crate::model::{MethodSetting, PatchOperation, Stage, DEFAULT_BURST_LIMIT, DEFAULT_RATE_LIMIT};
use crate::pages::stage_api::update_stage;
use crate::rules;

/// The method-setting key of every method.
const ALL: &str = "*/*";

/// The method-setting key of a method: `/pets/{id}` GET → `~1pets~1{id}/GET`.
pub fn setting_key(path: &str, verb: &str) -> String {
    format!("{}/{verb}", path.replace('/', "~1"))
}

/// A method-setting key as people read it: `~1pets/GET` → "GET /pets".
pub fn key_label(key: &str) -> String {
    match key.rsplit_once('/') {
        Some(("*", "*")) => "every method".into(),
        Some((path, verb)) => format!("{verb} {}", path.replace("~1", "/")),
        None => key.to_string(),
    }
}

/// One limit pair as typed: (method-setting key, rate, burst); empty text is
/// "not set here".
pub type Wanted = (String, String, String);

/// The patch operations that take a stage's method settings from `now` to
/// `wanted`, touching only what differs: a field emptied is removed, a
/// method left out loses its whole setting.
pub fn throttle_ops(now: &BTreeMap<String, MethodSetting>, wanted: &[Wanted]) -> Vec<PatchOperation> {
    let op = |op: &str, path: String, value: Option<String>| PatchOperation { op: op.into(), path, value };
    let mut ops = Vec::new();
    for key in now.keys() {
        let kept = wanted.iter().any(|(k, r, b)| k == key && !(r.trim().is_empty() && b.trim().is_empty()));
        if !kept {
            ops.push(op("remove", format!("/{key}"), None));
        }
    }
    for (key, rate, burst) in wanted {
        let (rate, burst) = (rate.trim(), burst.trim());
        if rate.is_empty() && burst.is_empty() {
            continue;
        }
        let old = now.get(key);
        let old_rate = old.and_then(|s| s.throttling_rate_limit).map(|r| format!("{r}")).unwrap_or_default();
        let old_burst = old.and_then(|s| s.throttling_burst_limit).map(|b| b.to_string()).unwrap_or_default();
        for (field, new, old) in [("rateLimit", rate, old_rate), ("burstLimit", burst, old_burst)] {
            let path = format!("/{key}/throttling/{field}");
            match (new.is_empty(), old.is_empty()) {
                (true, false) => ops.push(op("remove", path, None)),
                (false, _) if new != old => ops.push(op("replace", path, Some(new.to_string()))),
                _ => {}
            }
        }
    }
    ops
}

/// What is wrong with the form, in the words on screen, if anything.
pub fn throttle_problem(wanted: &[Wanted]) -> Option<String> {
    for (i, (key, rate, burst)) in wanted.iter().enumerate() {
        let who = if key == ALL { "every method".to_string() } else { key_label(key) };
        if key != ALL && rate.trim().is_empty() && burst.trim().is_empty() {
            return Some(format!("Give {who} a rate or a burst limit, or remove its row."));
        }
        if wanted[..i].iter().any(|(k, _, _)| k == key) {
            return Some(format!("{who} has two rows; keep one."));
        }
        if !rate.trim().is_empty() {
            if let Err(e) = rules::rate_limit_text(rate, &format!("Rate limit of {who}")) {
                return Some(e.to_string());
            }
        }
        if !burst.trim().is_empty() {
            if let Err(e) = rules::burst_limit_text(burst, &format!("Burst limit of {who}")) {
                return Some(e.to_string());
            }
        }
    }
    None
}

type Row = (usize, RwSignal<String>, RwSignal<String>, RwSignal<String>);

/// Throttling card of the stage page.
#[component]
pub fn StageThrottling(
    api: String,
    stage: Stage,
    /// The methods the stage serves, as (resource path, HTTP method).
    methods: Vec<(String, String)>,
    reload: Callback<()>,
    /// Outlives the form, which is rebuilt when the stage reloads.
    saved: RwSignal<bool>,
) -> impl IntoView {
    let api = StoredValue::new(api);
    let name = StoredValue::new(stage.stage_name.clone());
    let now = StoredValue::new(stage.method_settings.clone());
    let fmt_rate = |s: Option<&MethodSetting>| s.and_then(|s| s.throttling_rate_limit).map(|r| format!("{r}")).unwrap_or_default();
    let fmt_burst = |s: Option<&MethodSetting>| s.and_then(|s| s.throttling_burst_limit).map(|b| b.to_string()).unwrap_or_default();
    let all = stage.method_settings.get(ALL);
    let all_rate = RwSignal::new(fmt_rate(all));
    let all_burst = RwSignal::new(fmt_burst(all));
    let initial: Vec<Row> = stage
        .method_settings
        .iter()
        .filter(|(k, _)| k.as_str() != ALL)
        .enumerate()
        .map(|(i, (k, s))| (i, RwSignal::new(k.clone()), RwSignal::new(fmt_rate(Some(s))), RwSignal::new(fmt_burst(Some(s)))))
        .collect();
    let next = StoredValue::new(initial.len());
    let rows = RwSignal::new(initial);
    // Methods to choose from: those served, and any already limited that the
    // stage no longer serves (so the row still reads right).
    let mut choices: Vec<(String, String)> = methods.iter().map(|(p, v)| (setting_key(p, v), format!("{v} {p}"))).collect();
    for key in stage.method_settings.keys().filter(|k| k.as_str() != ALL) {
        if !choices.iter().any(|(k, _)| k == key) {
            choices.push((key.clone(), format!("{} (not served)", key_label(key))));
        }
    }
    let choices = StoredValue::new(choices);

    let wanted = move || {
        let mut w: Vec<Wanted> = vec![(ALL.to_string(), all_rate.get(), all_burst.get())];
        w.extend(rows.get().iter().map(|(_, k, r, b)| (k.get(), r.get(), b.get())));
        w
    };
    let problem = move || throttle_problem(&wanted());
    let ops = move || now.with_value(|n| throttle_ops(n, &wanted()));
    let dirty = Signal::derive(move || !ops().is_empty());
    guard_unsaved(dirty, format!("The throttling of stage {} has changes that are not saved. Leave and lose them?", stage.stage_name));

    let save = Action::new(move |ops: &Vec<PatchOperation>| update_stage(api.get_value(), name.get_value(), ops.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved.set(true);
            reload.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        saved.set(false);
        if problem().is_none() && dirty.get() {
            save.dispatch(ops());
        }
    };
    let add = move |_| {
        let i = next.get_value();
        next.set_value(i + 1);
        // The first method without a row yet.
        let taken: Vec<String> = rows.get().iter().map(|(_, k, _, _)| k.get()).collect();
        let key = choices.with_value(|c| c.iter().map(|(k, _)| k.clone()).find(|k| !taken.contains(k)).unwrap_or_default());
        rows.update(|r| r.push((i, RwSignal::new(key), RwSignal::new(String::new()), RwSignal::new(String::new()))));
    };
    let edit = can(Role::Editor);
    let no_methods = methods.is_empty();
    let defaults = format!("{} requests per second, burst {}", fmt_count_f(DEFAULT_RATE_LIMIT), fmt_count_f(DEFAULT_BURST_LIMIT as f64));

    view! {
        <form class="card form" id="stage-throttling" on:submit=submit>
            <h2>"Throttling"</h2>
            <p class="muted">
                "Requests per second the stage lets through, with bursts up to the burst limit; beyond them callers get "
                <code>"429 Too Many Requests"</code>". A usage plan's limits apply on top. Empty fields keep the default ("
                {defaults.clone()}"). Saving applies at once, without a deploy."
            </p>
            <fieldset class="plain" disabled=move || !edit.get()>
                <h3>"Every method"</h3>
                <div class="two-col">
                    <div>
                        <label for="throttle-rate">"Rate (requests per second)"</label>
                        <input id="throttle-rate" type="text" inputmode="decimal" placeholder=format!("{DEFAULT_RATE_LIMIT}")
                            prop:value=move || all_rate.get() on:input=move |ev| all_rate.set(event_target_value(&ev)) />
                    </div>
                    <div>
                        <label for="throttle-burst">"Burst (requests)"</label>
                        <input id="throttle-burst" type="text" inputmode="numeric" placeholder=DEFAULT_BURST_LIMIT.to_string()
                            prop:value=move || all_burst.get() on:input=move |ev| all_burst.set(event_target_value(&ev)) />
                    </div>
                </div>
                <h3>"Single methods"</h3>
                {move || (rows.with(Vec::is_empty)).then(|| view! {
                    <p class="muted small" id="no-method-throttles">"None: every method has the limits above."</p>
                })}
                <div class="throttle-rows">
                    <For each=move || rows.get() key=|row| row.0 let:row>
                        <div class="throttle-row">
                            <select class="throttle-method" aria-label="Method" prop:value=move || row.1.get()
                                on:change=move |ev| row.1.set(event_target_value(&ev))>
                                {choices.get_value().into_iter().map(|(k, label)| view! { <option value=k>{label}</option> }).collect_view()}
                            </select>
                            <input type="text" class="throttle-rate" inputmode="decimal" placeholder="rate" aria-label="Rate (requests per second)"
                                prop:value=move || row.2.get() on:input=move |ev| row.2.set(event_target_value(&ev)) />
                            <input type="text" class="throttle-burst" inputmode="numeric" placeholder="burst" aria-label="Burst (requests)"
                                prop:value=move || row.3.get() on:input=move |ev| row.3.set(event_target_value(&ev)) />
                            <button type="button" class="btn btn-small btn-ghost" aria-label="Remove this method's limits"
                                on:click=move |_| rows.update(|r| r.retain(|x| x.0 != row.0))>"✕"</button>
                        </div>
                    </For>
                </div>
                <button type="button" class="btn btn-small" id="add-method-throttle" disabled=no_methods on:click=add
                    title=if no_methods { "The stage serves no methods yet" } else { "" }>
                    "Limit a method"
                </button>
            </fieldset>
            <ErrorLine message=Signal::derive(move || problem().or_else(|| error_other(&save.value().get(), &[]))) />
            <IfCan role=Role::Editor>
                <div class="form-actions">
                    {move || saved.get().then(|| view! { <span class="ok-line" id="throttling-saved">"Saved ✓"</span> })}
                    <button type="submit" class="btn btn-primary" id="save-throttling"
                        disabled=move || save.pending().get() || problem().is_some() || !dirty.get()>
                        "Save throttling"
                    </button>
                </div>
            </IfCan>
        </form>
    }
}

/// 10000.0 as "10,000".
fn fmt_count_f(v: f64) -> String {
    crate::pages::metrics_ui::fmt_count(v as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(rate: Option<f64>, burst: Option<i64>) -> MethodSetting {
        MethodSetting { throttling_rate_limit: rate, throttling_burst_limit: burst, ..Default::default() }
    }

    fn w(k: &str, r: &str, b: &str) -> Wanted {
        (k.into(), r.into(), b.into())
    }

    fn show(ops: &[PatchOperation]) -> Vec<String> {
        ops.iter().map(|o| format!("{} {} {}", o.op, o.path, o.value.clone().unwrap_or_default()).trim_end().to_string()).collect()
    }

    #[test]
    fn keys_read_both_ways() {
        assert_eq!(setting_key("/pets/{id}", "GET"), "~1pets~1{id}/GET");
        assert_eq!(setting_key("/", "POST"), "~1/POST");
        assert_eq!(key_label("~1pets~1{id}/GET"), "GET /pets/{id}");
        assert_eq!(key_label("*/*"), "every method");
    }

    #[test]
    fn only_what_changed_is_sent() {
        let now = BTreeMap::from([
            ("*/*".to_string(), setting(Some(100.0), Some(50))),
            ("~1pets/GET".to_string(), setting(Some(2.5), None)),
            ("~1pets/POST".to_string(), setting(None, Some(3))),
        ]);
        // Untouched: nothing.
        let same = [w("*/*", "100", "50"), w("~1pets/GET", "2.5", ""), w("~1pets/POST", "", "3")];
        assert!(throttle_ops(&now, &same).is_empty());
        // A field emptied, a row removed, a value changed, a new method.
        let wanted = [w("*/*", "", "50"), w("~1pets/GET", "5", "10"), w("~1/GET", "1", "")];
        assert_eq!(
            show(&throttle_ops(&now, &wanted)),
            [
                "remove /~1pets/POST",
                "remove /*/*/throttling/rateLimit",
                "replace /~1pets/GET/throttling/rateLimit 5",
                "replace /~1pets/GET/throttling/burstLimit 10",
                "replace /~1/GET/throttling/rateLimit 1",
            ]
        );
        // Every method's limits emptied: its whole setting goes.
        assert_eq!(show(&throttle_ops(&now, &[w("*/*", " ", "")])), ["remove /*/*", "remove /~1pets/GET", "remove /~1pets/POST"]);
    }

    #[test]
    fn problems_name_the_row() {
        assert_eq!(throttle_problem(&[w("*/*", "", "")]), None);
        assert_eq!(throttle_problem(&[w("*/*", "100", "20"), w("~1pets/GET", "0", "")]), None);
        let e = throttle_problem(&[w("*/*", "fast", "")]).unwrap();
        assert!(e.contains("Rate limit of every method") && e.contains("'fast'"), "{e}");
        let e = throttle_problem(&[w("*/*", "", ""), w("~1pets/GET", "1", "-2")]).unwrap();
        assert!(e.contains("Burst limit of GET /pets"), "{e}");
        let e = throttle_problem(&[w("*/*", "", ""), w("~1pets/GET", "", "")]).unwrap();
        assert_eq!(e, "Give GET /pets a rate or a burst limit, or remove its row.");
        let e = throttle_problem(&[w("*/*", "", ""), w("~1pets/GET", "1", ""), w("~1pets/GET", "2", "")]).unwrap();
        assert_eq!(e, "GET /pets has two rows; keep one.");
    }
}

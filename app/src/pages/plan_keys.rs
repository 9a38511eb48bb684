//! The keys in a usage plan (add, remove, what each has used and has
//! left) and the chart of their use per day.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{error_other, fmt_time, ErrorLine};
use crate::model::{KeyUsage, UsagePlanDetail};
use crate::pages::plan_api::{add_usage_plan_key, fmt_count, plural, quota_text, remove_usage_plan_key};

/// A quota period as dates: "2026-11-01 00:00 → 2026-12-01 00:00 UTC".
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
pub fn PlanKeys(detail: UsagePlanDetail, candidates: Vec<(String, String, bool)>, reload: Callback<()>, edit: bool) -> impl IntoView {
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
pub fn UsageChart(days: Vec<String>, keys: Vec<KeyUsage>) -> impl IntoView {
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
    fn scales_and_days() {
        assert_eq!([0, 1, 3, 5, 11, 25, 41, 400].map(nice_ceiling), [2, 2, 4, 10, 20, 40, 100, 400]);
        assert_eq!(short_day("2026-11-21"), "Nov 21");
    }
}

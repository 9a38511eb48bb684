//! The dashboards section: every deployed stage at a glance (traffic,
//! requests, error rate and p99 latency, every figure of a row over the one
//! range picked, kept in the URL), each leading to its own dashboard for the
//! same range. Refreshes itself every 10 seconds.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use crate::components::EmptyState;
use crate::error::AppError;
use crate::model::{StageOverview, METRIC_RANGES};
use crate::pages::metrics_ui::{
    clock_now, fmt_count, fmt_ms, fmt_pct, range_label, range_words, rate_level, use_refresh, viewer, DEFAULT_RANGE, REFRESH,
};
use crate::pages::stage_dashboard::dashboard_href;

#[server(prefix = "/api", endpoint = "dashboards_overview")]
pub async fn get_dashboards_overview(range: String, dark: bool) -> Result<Vec<StageOverview>, AppError> {
    crate::service::authed("dashboards_overview", move |s, _| async move { s.dashboards_overview(&range, dark).await }).await
}

#[derive(Clone)]
struct Loaded {
    range: String,
    result: Result<Vec<StageOverview>, AppError>,
    at: String,
}

/// The overview's address for a range (the default range keeps it bare).
fn overview_href(range: &str) -> String {
    let mut query = ParamsMap::new();
    if range != DEFAULT_RANGE {
        query.insert("range", range.to_string());
    }
    format!("/dashboards{}", query.to_query_string())
}

/// "per minute", "per 5 minutes", "per hour": one sparkline point.
fn per_period(secs: i64) -> String {
    match secs {
        60 => "per minute".into(),
        3_600 => "per hour".into(),
        s if s % 60 == 0 => format!("per {} minutes", s / 60),
        s => format!("per {s} s"),
    }
}

#[component]
pub fn DashboardsPage() -> impl IntoView {
    let tick = use_refresh(REFRESH);
    let query = use_query_map();
    let range = Memo::new(move |_| {
        query.read().get("range").filter(|r| METRIC_RANGES.contains(&r.as_str())).unwrap_or_else(|| DEFAULT_RANGE.into())
    });
    // Fetched in the browser: the sparklines are drawn for the page's theme.
    let data = LocalResource::new(move || {
        tick.track();
        let range = range.get();
        async move {
            let result = get_dashboards_overview(range.clone(), viewer().dark).await;
            Loaded { range, result, at: clock_now() }
        }
    });
    // The previous range's rows stay on screen, dimmed, until the new ones come.
    let stale = move || data.get().is_some_and(|l| l.range != range.get());
    view! {
        <div class="page-header row">
            <div>
                <h1>"Dashboards"</h1>
                <p class="muted">"Requests, errors and latency for every deployed stage."</p>
            </div>
        </div>
        <div class="dash-toolbar">
            <div class="segmented range-picker" role="group" aria-label="Time range">
                {METRIC_RANGES.iter().map(|r| {
                    let r = *r;
                    view! {
                        <A href=overview_href(r)
                            attr:id=format!("range-{r}")
                            attr:class=move || if range.get() == r { "seg seg-on" } else { "seg" }>
                            {range_label(r)}
                            {move || (range.get() == r).then(|| view! { <span class="sr-only">" (shown)"</span> })}
                        </A>
                    }
                }).collect_view()}
            </div>
            <span class="muted small refresh-note">
                <span id="updated-at">{move || match data.get() {
                    Some(l) => format!("Updated {}", l.at),
                    None => "Loading…".into(),
                }}</span>
                " · refreshes every 10 s"
            </span>
        </div>
        <Transition fallback=|| view! { <div class="card loading">"Loading stages…"</div> }>
            {move || data.get().map(|l| match l.result {
                Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
                Ok(stages) if stages.is_empty() => view! {
                    <EmptyState icon="◔" title="No deployed stages yet">
                        <p>"Every request the gateway answers is recorded. Deploy an API to a stage and call it: its request count, errors and latency appear here."</p>
                        <A href="/apis" attr:class="btn btn-primary">"Go to APIs"</A>
                    </EmptyState>
                }.into_any(),
                Ok(stages) => view! {
                    <div class="dash-body" class:stale=stale><Overview stages=stages range=l.range /></div>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Overview(stages: Vec<StageOverview>, range: String) -> impl IntoView {
    let navigate = use_navigate();
    let words = range_words(&range);
    let per = per_period(stages.first().map_or(60, |s| s.period_seconds));
    view! {
        <table class="table" id="overview">
            <thead>
                <tr>
                    <th>"API"</th>
                    <th>"Stage"</th>
                    <th>"Traffic"<div class="th-sub">{format!("requests {per}")}</div></th>
                    <th class="num-col">"Requests"</th>
                    <th class="num-col" title="4XX and 5XX responses as a share of all requests">"Errors"</th>
                    <th class="num-col" title="99th percentile of the gateway's latency">"p99 latency"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {stages.into_iter().map(|s| {
                    let href = dashboard_href(&s.api_id, &s.stage, &range, None);
                    let logs = format!("/apis/{}/stages/{}/logs", s.api_id, s.stage);
                    let go = {
                        let (navigate, href) = (navigate.clone(), href.clone());
                        move |ev: leptos::ev::MouseEvent| {
                            use leptos::wasm_bindgen::JsCast;
                            let on_link = ev
                                .target()
                                .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
                                .and_then(|e| e.closest("a").ok().flatten())
                                .is_some();
                            if !on_link {
                                navigate(&href, Default::default());
                            }
                        }
                    };
                    let rate = s.values.error_rate();
                    let peak = s.series.iter().max().copied().unwrap_or(0);
                    view! {
                        <tr class="drill-row" data-api=s.api_id.clone() data-stage=s.stage.clone() on:click=go>
                            <td>
                                <A href=href.clone() attr:class="strong-link">{s.api_name.clone()}</A>
                                <div class="muted small mono">{s.api_id.clone()}</div>
                            </td>
                            <td><span class="stage-chip">{s.stage.clone()}</span></td>
                            <td>
                                <div class="spark-cell">
                                    <div class="sparkline" inner_html=s.sparkline.clone()></div>
                                    <span class="muted small nowrap" title=format!("The busiest period of {words}")>{format!("peak {} {per}", fmt_count(peak))}</span>
                                </div>
                            </td>
                            <td class="num-col strong">{fmt_count(s.values.count)}</td>
                            <td class="num-col">
                                {if s.values.count == 0 {
                                    view! { <span class="muted" title=format!("No requests in {words}")>"—"</span> }.into_any()
                                } else {
                                    view! {
                                        <span class=format!("rate rate-{}", rate_level(rate))
                                            title=format!("{} errors in {} requests", s.values.error4xx + s.values.error5xx, s.values.count)>
                                            {fmt_pct(rate)}
                                        </span>
                                    }.into_any()
                                }}
                            </td>
                            <td class="num-col">{fmt_ms(s.values.latency_p99_ms)}</td>
                            <td class="right nowrap">
                                <A href=href attr:class="btn btn-small">"Dashboard"</A>
                                <A href=logs attr:class="btn btn-small btn-ghost">"Logs"</A>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

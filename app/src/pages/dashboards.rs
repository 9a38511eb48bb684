//! The dashboards section: every deployed stage at a glance (requests per
//! minute over the last hour, the current error rate, p99 latency), each
//! leading to its own dashboard. Refreshes itself every 10 seconds.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::components::EmptyState;
use crate::error::AppError;
use crate::model::StageOverview;
use crate::pages::metrics_ui::{clock_now, fmt_count, fmt_ms, fmt_pct, rate_level, use_refresh, viewer, REFRESH};

#[server(prefix = "/api", endpoint = "dashboards_overview")]
pub async fn get_dashboards_overview(dark: bool) -> Result<Vec<StageOverview>, AppError> {
    crate::service::authed("dashboards_overview", move |s, _| async move { s.dashboards_overview(dark).await }).await
}

#[derive(Clone)]
struct Loaded {
    result: Result<Vec<StageOverview>, AppError>,
    at: String,
}

#[component]
pub fn DashboardsPage() -> impl IntoView {
    let tick = use_refresh(REFRESH);
    // Fetched in the browser: the sparklines are drawn for the page's theme.
    let data = LocalResource::new(move || {
        tick.track();
        async move {
            let result = get_dashboards_overview(viewer().dark).await;
            Loaded { result, at: clock_now() }
        }
    });
    view! {
        <div class="page-header row">
            <div>
                <h1>"Dashboards"</h1>
                <p class="muted">"Requests, errors and latency for every deployed stage."</p>
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
                Ok(stages) => view! { <Overview stages=stages /> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Overview(stages: Vec<StageOverview>) -> impl IntoView {
    let navigate = use_navigate();
    view! {
        <table class="table" id="overview">
            <thead>
                <tr>
                    <th>"API"</th>
                    <th>"Stage"</th>
                    <th>"Traffic"<div class="th-sub">"requests per minute, last hour"</div></th>
                    <th class="num-col">"Requests"<div class="th-sub">"last hour"</div></th>
                    <th class="num-col" title="4XX and 5XX responses in the last 5 minutes">"Errors"<div class="th-sub">"last 5 min"</div></th>
                    <th class="num-col">"p99"<div class="th-sub">"last hour"</div></th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {stages.into_iter().map(|s| {
                    let href = format!("/apis/{}/stages/{}/dashboard", s.api_id, s.stage);
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
                    let rate = s.recent.error_rate();
                    let peak = s.per_minute.iter().max().copied().unwrap_or(0);
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
                                    <span class="muted small nowrap" title="The busiest minute of the last hour">{format!("peak {}/min", fmt_count(peak))}</span>
                                </div>
                            </td>
                            <td class="num-col strong">{fmt_count(s.hour.count)}</td>
                            <td class="num-col">
                                {if s.recent.count == 0 {
                                    view! { <span class="muted" title="No requests in the last 5 minutes">"—"</span> }.into_any()
                                } else {
                                    view! {
                                        <span class=format!("rate rate-{}", rate_level(rate))
                                            title=format!("{} errors in {} requests", s.recent.error4xx + s.recent.error5xx, s.recent.count)>
                                            {fmt_pct(rate)}
                                        </span>
                                    }.into_any()
                                }}
                            </td>
                            <td class="num-col">{fmt_ms(s.hour.latency_p99_ms)}</td>
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

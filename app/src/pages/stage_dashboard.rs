//! One stage's dashboard: a range picker kept in the URL, tiles with the
//! range's totals and percentiles, the server-drawn charts, and a per-method
//! table that drills into one method. Refreshes itself every 10 seconds.
//!
//! The numbers are fetched in the browser only: charts are drawn for the
//! viewer's time zone and theme, which the server cannot know while it
//! renders the first paint.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::params::ParamsMap;

use crate::components::EmptyState;
use crate::error::AppError;
use crate::model::{reason_text, LogFilter, MethodMetrics, MetricValues, ReasonCount, StageDashboard, StageDetail, METRIC_RANGES};
use crate::pages::metrics_ui::{
    clock_now, fmt_count, fmt_ms, fmt_pct, range_label, range_words, rate_level, use_refresh, viewer, DEFAULT_RANGE, REFRESH,
};
use crate::pages::stage_api::get_stage_detail;
use crate::pages::stage_logs::get_access_log;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "stage_dashboard", input = Json)]
pub async fn get_stage_dashboard(
    api: String,
    stage: String,
    range: String,
    only: Option<(String, String)>,
    tz_offset_min: i32,
    dark: bool,
) -> Result<StageDashboard, AppError> {
    crate::service::authed("stage_dashboard", move |s, _| async move {
        s.stage_dashboard(&api, &stage, &range, only, tz_offset_min, dark).await
    })
    .await
}

/// A method: (resource path, HTTP method).
type Only = Option<(String, String)>;

/// The address of a stage's dashboard for a range and, optionally, one method.
pub fn dashboard_href(api: &str, stage: &str, range: &str, only: Option<&(String, String)>) -> String {
    let mut query: Vec<(&'static str, String)> = Vec::new();
    if range != DEFAULT_RANGE {
        query.push(("range", range.to_string()));
    }
    if let Some((resource, method)) = only {
        query.push(("resource", resource.clone()));
        query.push(("method", method.clone()));
    }
    format!("/apis/{api}/stages/{stage}/dashboard{}", query.into_iter().collect::<ParamsMap>().to_query_string())
}

/// One fetch: what was asked, what came back, and when.
#[derive(Clone)]
struct Loaded {
    range: String,
    only: Only,
    result: Result<StageDashboard, AppError>,
    /// The stage has answered requests at some time (its access log is not empty).
    ever_called: bool,
    at: String,
}

/// Columns the method table sorts by, largest first unless reversed.
/// Errors sort by rate, then by count among equal rates.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Calls,
    Errors,
    P99,
}

fn sort_methods(rows: &mut [MethodMetrics], by: SortBy, ascending: bool) {
    let errors = |v: &MetricValues| v.error4xx + v.error5xx;
    rows.sort_by(|a, b| {
        let (x, y) = (&a.values, &b.values);
        let order = match by {
            SortBy::Calls => x.count.cmp(&y.count),
            SortBy::Errors => x.error_rate().total_cmp(&y.error_rate()).then(errors(x).cmp(&errors(y))),
            SortBy::P99 => x.latency_p99_ms.unwrap_or(-1.0).total_cmp(&y.latency_p99_ms.unwrap_or(-1.0)),
        };
        let order = if ascending { order } else { order.reverse() };
        order.then_with(|| a.resource.cmp(&b.resource)).then_with(|| a.method.cmp(&b.method))
    });
}

#[component]
pub fn StageDashboardPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let key = Memo::new(move |_| {
        let p = params.read();
        (p.get("id").unwrap_or_default(), p.get("stage").unwrap_or_default())
    });
    let range = Memo::new(move |_| {
        query.read().get("range").filter(|r| METRIC_RANGES.contains(&r.as_str())).unwrap_or_else(|| DEFAULT_RANGE.into())
    });
    let only = Memo::new(move |_| {
        let q = query.read();
        match (q.get("resource"), q.get("method")) {
            (Some(r), Some(m)) if !r.is_empty() && !m.is_empty() => Some((r, m)),
            _ => None,
        }
    });
    let detail = Resource::new(move || key.get(), |(api, stage)| get_stage_detail(api, stage));
    let tick = use_refresh(REFRESH);
    let data = LocalResource::new(move || {
        let (api, stage) = key.get();
        let (range, only) = (range.get(), only.get());
        tick.track();
        async move {
            let v = viewer();
            let result = get_stage_dashboard(api.clone(), stage.clone(), range.clone(), only.clone(), v.tz_offset_min, v.dark).await;
            // An empty range may still be a stage that was called before:
            // only a stage that never answered gets the "call it" empty state.
            let ever_called = match &result {
                Ok(d) if d.metrics.totals.count == 0 && d.metrics.methods.is_empty() => {
                    get_access_log(api, stage, LogFilter::default()).await.map(|p| !p.entries.is_empty()).unwrap_or(true)
                }
                _ => true,
            };
            Loaded { range, only, result, ever_called, at: clock_now() }
        }
    });
    let sort = RwSignal::new((SortBy::Calls, false));
    // Old numbers stay on screen while new ones load; they are dimmed only
    // when they answer a different question (another range or method).
    let stale = move || data.get().is_some_and(|l| l.range != range.get() || l.only != only.get());

    let api_id = move || key.get().0;
    let stage_name = move || key.get().1;

    view! {
        <Transition fallback=move || view! { <Breadcrumb api_id=api_id() api_name=api_id() stage=stage_name() /> }>
            {move || detail.get().map(|d| {
                let name = d.as_ref().map(|d| d.api.name.clone()).unwrap_or_else(|_| api_id());
                view! { <Breadcrumb api_id=api_id() api_name=name stage=stage_name() /> }
            })}
        </Transition>
        <div class="page-header row">
            <div>
                <h1>"Dashboard " <span class="mono">{stage_name}</span></h1>
                <p class="muted">"Requests, errors and latency of this stage, as the gateway answered them."</p>
            </div>
            <div class="header-actions">
                <A href=move || format!("/apis/{}/stages/{}/logs", api_id(), stage_name()) attr:class="btn btn-small" attr:id="open-logs">"Access log"</A>
                <A href=move || format!("/apis/{}/stages/{}", api_id(), stage_name()) attr:class="btn btn-small">"Stage settings"</A>
            </div>
        </div>
        <div class="dash-toolbar">
            <div class="segmented range-picker" role="group" aria-label="Time range">
                {METRIC_RANGES.iter().map(|r| {
                    let r = *r;
                    view! {
                        <A href=move || dashboard_href(&api_id(), &stage_name(), r, only.get().as_ref())
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
        {move || only.get().map(|(resource, method)| view! {
            <div class="drill-bar" id="drill-bar" role="status">
                <span>"Showing "<span class="verb verb-static">{method}</span>" "<code>{resource}</code>" only"</span>
                <A href=move || dashboard_href(&api_id(), &stage_name(), &range.get(), None) attr:class="btn btn-small">"← Back to all methods"</A>
            </div>
        })}
        <Transition fallback=|| view! { <div class="card loading" id="dashboard-loading">"Loading metrics…"</div> }>
            {move || data.get().map(|l| match l.result {
                Err(AppError::NotFound(m)) => view! {
                    <div class="card error-card">{m}" "<A href=format!("/apis/{}", api_id())>"Back to the API"</A></div>
                }.into_any(),
                Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
                Ok(_) if !l.ever_called => view! { <NoTraffic detail=detail.get().and_then(Result::ok) /> }.into_any(),
                Ok(d) => view! {
                    <div class="dash-body" class:stale=stale>
                        <Tiles values=d.metrics.totals.clone() range=l.range.clone() />
                        <div class="chart-grid">
                            {d.charts.into_iter().map(|c| view! {
                                <section class="card chart-card" id=c.id.clone()>
                                    <h2>{c.title}</h2>
                                    <div class="chart" inner_html=c.svg></div>
                                </section>
                            }).collect_view()}
                        </div>
                        <Reasons reasons=d.metrics.reasons.clone() api=api_id() stage=stage_name() range=l.range.clone() />
                        <MethodTable methods=d.metrics.methods api=api_id() stage=stage_name() range=l.range only=l.only sort=sort />
                    </div>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Breadcrumb(api_id: String, api_name: String, stage: String) -> impl IntoView {
    view! {
        <nav class="breadcrumb">
            <A href="/apis">"APIs"</A>" / "
            <A href=format!("/apis/{api_id}")>{api_name}</A>" / "
            <A href=format!("/apis/{api_id}/stages/{stage}")>{stage.clone()}</A>" / "
            <span>"Dashboard"</span>
        </nav>
    }
}

/// The stage has never answered a request.
#[component]
fn NoTraffic(detail: Option<StageDetail>) -> impl IntoView {
    view! {
        <EmptyState icon="◔" title="No traffic yet">
            <p>"This stage has not answered any request. Every call through the gateway is counted here within a second, including refused ones."</p>
            {detail.map(|d| {
                let stage_href = format!("/apis/{}/stages/{}", d.api.id, d.stage.stage_name);
                view! {
                    <p>"Call its invoke URL, for example:"</p>
                    <p><code class="mono">{format!("curl {}", d.invoke_url)}</code></p>
                    <p><A href=stage_href>"The stage page"</A>" has the invoke URL with a copy button."</p>
                }
            })}
        </EmptyState>
    }
}

#[component]
fn Tiles(values: MetricValues, range: String) -> impl IntoView {
    let v = values;
    let rate = v.error_rate();
    let share = |n: u64| if v.count == 0 { String::new() } else { format!("{} of requests", fmt_pct(n as f64 / v.count as f64)) };
    let none = v.count == 0;
    view! {
        <div class="tiles tiles-traffic" aria-label="Requests and errors">
            <Tile id="tile-count" label="Count" value=fmt_count(v.count) note=format!("requests in {}", range_words(&range)) />
            <Tile id="tile-4xx" label="4XXError" value=fmt_count(v.error4xx) note=share(v.error4xx) level=(v.error4xx > 0).then_some("warn") />
            <Tile id="tile-5xx" label="5XXError" value=fmt_count(v.error5xx) note=share(v.error5xx) level=(v.error5xx > 0).then_some("bad") />
            <Tile id="tile-error-rate" label="Error rate" value=if none { "—".into() } else { fmt_pct(rate) }
                note="4XX and 5XX".to_string() level=(!none).then(|| rate_level(rate)) />
        </div>
        <div class="tiles tiles-latency" aria-label="Latency">
            <Tile id="tile-p50" label="Latency p50" value=fmt_ms(v.latency_p50_ms) note="half were faster".to_string() />
            <Tile id="tile-p90" label="Latency p90" value=fmt_ms(v.latency_p90_ms) />
            <Tile id="tile-p99" label="Latency p99" value=fmt_ms(v.latency_p99_ms) note="1 in 100 were slower".to_string() />
            <Tile id="tile-int-p50" label="Integration p50" value=fmt_ms(v.integration_latency_p50_ms) note="backend time".to_string() />
            <Tile id="tile-int-p99" label="Integration p99" value=fmt_ms(v.integration_latency_p99_ms) note="backend time".to_string() />
        </div>
    }
}

#[component]
fn Tile(
    id: &'static str,
    label: &'static str,
    value: String,
    #[prop(optional)] note: String,
    #[prop(default = None)] level: Option<&'static str>,
) -> impl IntoView {
    let class = match level {
        Some(l) => format!("tile tile-{l}"),
        None => "tile".to_string(),
    };
    view! {
        <div class=class id=id>
            <div class="tile-label">{label}</div>
            <div class="tile-value num">{value}</div>
            <div class="tile-note">{note}</div>
        </div>
    }
}

/// The gateway's own answers (throttles, quotas, key refusals, backend
/// failures) by reason code, each linking to the access log filtered to it.
#[component]
fn Reasons(reasons: Vec<ReasonCount>, api: String, stage: String, range: String) -> impl IntoView {
    let total: u64 = reasons.iter().map(|r| r.count).sum();
    view! {
        <section class="card table-card" id="reason-table">
            <h2>"Gateway answers by reason"</h2>
            {if reasons.is_empty() {
                view! {
                    <p class="muted" id="reason-none">
                        {format!("None in {}: every request reached its integration and the backend answered.", range_words(&range))}
                    </p>
                }.into_any()
            } else {
                view! {
                    <p class="muted small">"Requests the gateway answered itself, or whose backend call failed. Each links to those requests in the access log."</p>
                    <div class="table-scroll">
                        <table class="table">
                            <thead><tr><th>"Reason"</th><th class="num-col">"Requests"</th><th class="num-col">"Share"</th><th>"What it means"</th></tr></thead>
                            <tbody>
                                {reasons.into_iter().map(|r| {
                                    let href = format!("/apis/{api}/stages/{stage}/logs?reason={}", r.reason);
                                    let share = format!("{:.1}%", r.count as f64 * 100.0 / total.max(1) as f64);
                                    let text = reason_text(&r.reason);
                                    let (code, count) = (r.reason, r.count);
                                    let label = code.clone();
                                    view! {
                                        <tr data-reason=code>
                                            <td><A href=href attr:class="reason-code">{label.clone()}</A></td>
                                            <td class="num-col">{count}</td>
                                            <td class="num-col">{share}</td>
                                            <td class="muted">{text}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn MethodTable(
    methods: Vec<MethodMetrics>,
    api: String,
    stage: String,
    range: String,
    only: Only,
    sort: RwSignal<(SortBy, bool)>,
) -> impl IntoView {
    if methods.is_empty() {
        return view! {
            <section class="card" id="method-table-empty">
                <h2>"Methods"</h2>
                <p class="muted">{format!("No requests in {}.", range_words(&range))}</p>
            </section>
        }
        .into_any();
    }
    let navigate = use_navigate();
    let title = format!(" · {}, click a row for its own charts", range_words(&range));
    let header = move |by: SortBy, id: &'static str, label: &'static str| {
        let aria = move || match sort.get() {
            (s, asc) if s == by => {
                if asc {
                    "ascending"
                } else {
                    "descending"
                }
            }
            _ => "none",
        };
        let arrow = move || match sort.get() {
            (s, true) if s == by => " ▴",
            (s, false) if s == by => " ▾",
            _ => "",
        };
        view! {
            <th class="num-col" aria-sort=aria>
                <button type="button" class="sort-btn" id=id title="Sort"
                    on:click=move |_| sort.update(|(s, asc)| if *s == by { *asc = !*asc } else { *s = by; *asc = false })>
                    {label}{arrow}
                </button>
            </th>
        }
    };
    let rows = move || {
        let (by, asc) = sort.get();
        let mut rows = methods.clone();
        sort_methods(&mut rows, by, asc);
        rows.into_iter()
            .map(|m| {
                let pick = Some((m.resource.clone(), m.method.clone()));
                let href = dashboard_href(&api, &stage, &range, pick.as_ref());
                // The whole row drills down; a click on the link itself is the router's.
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
                let v = &m.values;
                let errors = v.error4xx + v.error5xx;
                let no_route = m.resource.starts_with('(');
                let label = m.resource.clone();
                view! {
                    <tr class="drill-row" class:current-row=pick == only data-resource=m.resource.clone() data-method=m.method.clone() on:click=go>
                        <td>
                            <A href=href attr:class=if no_route { "strong-link mono no-route" } else { "strong-link mono" }>{label}</A>
                        </td>
                        <td><span class="verb verb-static">{m.method.clone()}</span></td>
                        <td class="num-col">{fmt_count(v.count)}</td>
                        <td class="num-col" class:muted=v.error4xx == 0>{fmt_count(v.error4xx)}</td>
                        <td class="num-col" class:muted=v.error5xx == 0>{fmt_count(v.error5xx)}</td>
                        <td class="num-col">
                            <span class=format!("rate rate-{}", if errors == 0 { "none" } else { rate_level(v.error_rate()) })>{fmt_pct(v.error_rate())}</span>
                        </td>
                        <td class="num-col">{fmt_ms(v.latency_p50_ms)}</td>
                        <td class="num-col">{fmt_ms(v.latency_p99_ms)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="card table-card">
            <h2>"Methods" <span class="muted small">{title}</span></h2>
            <table class="table" id="method-table">
                <thead>
                    <tr>
                        <th>"Resource"</th>
                        <th>"Method"</th>
                        {header(SortBy::Calls, "sort-calls", "Calls")}
                        <th class="num-col">"4XX"</th>
                        <th class="num-col">"5XX"</th>
                        {header(SortBy::Errors, "sort-errors", "Error %")}
                        <th class="num-col">"p50"</th>
                        {header(SortBy::P99, "sort-p99", "p99")}
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(resource: &str, count: u64, e4: u64, e5: u64, p99: Option<f64>) -> MethodMetrics {
        MethodMetrics {
            resource: resource.into(),
            method: "GET".into(),
            values: MetricValues { count, error4xx: e4, error5xx: e5, latency_p99_ms: p99, ..Default::default() },
            reasons: Vec::new(),
        }
    }

    #[test]
    fn sorts_by_calls_errors_and_p99() {
        let mut rows = vec![m("/a", 20, 0, 0, Some(1.0)), m("/b", 6, 6, 0, Some(3.0)), m("/c", 3, 0, 3, None)];
        let names = |rows: &[MethodMetrics]| rows.iter().map(|r| r.resource.clone()).collect::<Vec<_>>();
        sort_methods(&mut rows, SortBy::Calls, false);
        assert_eq!(names(&rows), ["/a", "/b", "/c"]);
        sort_methods(&mut rows, SortBy::Errors, false);
        assert_eq!(names(&rows), ["/b", "/c", "/a"]);
        sort_methods(&mut rows, SortBy::P99, false);
        assert_eq!(names(&rows), ["/b", "/a", "/c"], "no data sorts last");
        sort_methods(&mut rows, SortBy::Calls, true);
        assert_eq!(names(&rows), ["/c", "/b", "/a"]);
    }

    #[test]
    fn links_keep_the_range_and_the_method() {
        assert_eq!(dashboard_href("abc", "dev", "1h", None), "/apis/abc/stages/dev/dashboard");
        let only = ("/pets".to_string(), "GET".to_string());
        let href = dashboard_href("abc", "dev", "7d", Some(&only));
        assert!(href.starts_with("/apis/abc/stages/dev/dashboard?range=7d&resource="), "{href}");
        assert!(href.ends_with("&method=GET") && href.contains("pets"), "{href}");
    }
}

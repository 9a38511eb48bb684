//! One stage's access log: every request the gateway answered, newest first,
//! with filters (status class, method, reason, path, API key) that apply as
//! you type and live in the page's URL (shared links and reloads keep
//! them), and paging to older entries. Times are shown in the viewer's zone,
//! so the log is fetched in the browser.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;

use crate::components::EmptyState;
use crate::error::AppError;
use crate::model::{percent_encode, reason_text, LogEntry, LogFilter, LogPage, HTTP_METHODS, REASONS};
use crate::pages::metrics_ui::{clock_now, fmt_bytes, fmt_ms, local_datetime, CopyButton};
use crate::pages::stage_api::get_stage_detail;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "stage_access_log", input = Json)]
pub async fn get_access_log(api: String, stage: String, filter: LogFilter) -> Result<LogPage, AppError> {
    crate::service::authed("stage_access_log", move |s, _| async move { s.access_log(&api, &stage, filter).await }).await
}

/// How long the text filters wait for typing to pause.
const TYPING_PAUSE: Duration = Duration::from_millis(350);

/// The status classes the filter offers ("" is all).
const STATUS_CLASSES: &[&str] = &["2xx", "3xx", "4xx", "5xx"];

/// One fetch: the page and when it arrived.
#[derive(Clone)]
struct Loaded {
    filtered: bool,
    first_page: bool,
    result: Result<LogPage, AppError>,
    at: String,
}

#[component]
pub fn StageLogsPage() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        let p = params.read();
        (p.get("id").unwrap_or_default(), p.get("stage").unwrap_or_default())
    });
    let api_id = move || key.get().0;
    let stage_name = move || key.get().1;
    let detail = Resource::new(move || key.get(), |(api, stage)| get_stage_detail(api, stage));

    // What is typed, and what the log is filtered by (typing settles first),
    // starting from the URL's query.
    let query = use_query_map();
    let from_url = |name: &str| query.with_untracked(|q| q.get(name).unwrap_or_default());
    let status = RwSignal::new(from_url("status"));
    let method = RwSignal::new(from_url("method"));
    let reason = RwSignal::new(from_url("reason"));
    let path_typed = RwSignal::new(from_url("path"));
    let key_typed = RwSignal::new(from_url("key"));
    let path = RwSignal::new(from_url("path"));
    let key_id = RwSignal::new(from_url("key"));
    // The `before` id of each page after the first, so "Newer" can step back.
    let pages = RwSignal::new(Vec::<i64>::new());
    let version = RwSignal::new(0u32);

    let filter = Memo::new(move |_| LogFilter {
        status_class: status.get(),
        method: method.get(),
        path_contains: path.get(),
        key_id: key_id.get(),
        reason: reason.get(),
        before: pages.with(|p| p.last().copied()),
    });
    // The filters go into the URL (replacing the history entry, so Back
    // leaves the page rather than stepping through every keystroke).
    let navigate = use_navigate();
    Effect::new(move |prev: Option<String>| {
        let f = filter.get();
        let q = filter_query(&f);
        if prev.as_ref().is_some_and(|p| *p != q) {
            let (api, stage) = key.get_untracked();
            let sep = if q.is_empty() { "" } else { "?" };
            navigate(
                &format!("/apis/{api}/stages/{stage}/logs{sep}{q}"),
                NavigateOptions { replace: true, scroll: false, ..Default::default() },
            );
        }
        q
    });
    let data = LocalResource::new(move || {
        let (api, stage) = key.get();
        let f = filter.get();
        version.track();
        async move {
            let filtered = !filter_query(&f).is_empty();
            let first_page = f.before.is_none();
            let result = get_access_log(api, stage, f).await;
            Loaded { filtered, first_page, result, at: clock_now() }
        }
    });

    let apply_path = move || {
        let v = path_typed.get_untracked().trim().to_string();
        if v != path.get_untracked() {
            pages.set(Vec::new());
            path.set(v);
        }
    };
    let apply_key = move || {
        let v = key_typed.get_untracked().trim().to_string();
        if v != key_id.get_untracked() {
            pages.set(Vec::new());
            key_id.set(v);
        }
    };
    let mut path_later = leptos::prelude::debounce(TYPING_PAUSE, move |_: ()| apply_path());
    let mut key_later = leptos::prelude::debounce(TYPING_PAUSE, move |_: ()| apply_key());
    let clear = move |_| {
        for s in [status, method, reason, path_typed, key_typed, path, key_id] {
            s.set(String::new());
        }
        pages.set(Vec::new());
    };
    let older = move |_| {
        if let Some(Loaded { result: Ok(LogPage { next: Some(n), .. }), .. }) = data.get_untracked() {
            pages.update(|p| p.push(n));
        }
    };

    view! {
        <Transition fallback=move || view! { <Breadcrumb api_id=api_id() api_name=api_id() stage=stage_name() /> }>
            {move || detail.get().map(|d| {
                let name = d.as_ref().map(|d| d.api.name.clone()).unwrap_or_else(|_| api_id());
                view! { <Breadcrumb api_id=api_id() api_name=name stage=stage_name() /> }
            })}
        </Transition>
        <div class="page-header row">
            <div>
                <h1>"Access log " <span class="mono">{stage_name}</span></h1>
                <p class="muted">"Every request this stage answered, newest first. Times are in your time zone."</p>
            </div>
            <div class="header-actions">
                <A href=move || format!("/apis/{}/stages/{}/dashboard", api_id(), stage_name()) attr:class="btn btn-small" attr:id="open-dashboard">"Dashboard"</A>
                <A href=move || format!("/apis/{}/stages/{}", api_id(), stage_name()) attr:class="btn btn-small">"Stage settings"</A>
            </div>
        </div>
        <form class="card log-filters" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); apply_path(); apply_key(); }>
            <div class="filter">
                <label for="log-status">"Status"</label>
                <select id="log-status" prop:value=move || status.get()
                    on:change=move |ev| { pages.set(Vec::new()); status.set(event_target_value(&ev)); }>
                    <option value="">"All"</option>
                    {STATUS_CLASSES.iter().map(|c| view! { <option value=*c>{*c}</option> }).collect_view()}
                </select>
            </div>
            <div class="filter">
                <label for="log-method">"Method"</label>
                <select id="log-method" prop:value=move || method.get()
                    on:change=move |ev| { pages.set(Vec::new()); method.set(event_target_value(&ev)); }>
                    <option value="">"All"</option>
                    {HTTP_METHODS.iter().filter(|m| **m != "ANY").map(|m| view! { <option value=*m>{*m}</option> }).collect_view()}
                </select>
            </div>
            <div class="filter">
                <label for="log-reason">"Reason"</label>
                <select id="log-reason" prop:value=move || reason.get()
                    title="Why the gateway answered a request itself, or why its backend call failed"
                    on:change=move |ev| { pages.set(Vec::new()); reason.set(event_target_value(&ev)); }>
                    <option value="">"All"</option>
                    <option value="any">"Any reason"</option>
                    {REASONS.iter().map(|(c, t)| view! { <option value=*c title=*t>{*c}</option> }).collect_view()}
                </select>
            </div>
            <div class="filter filter-wide">
                <label for="log-path">"Path contains"</label>
                <input id="log-path" type="search" placeholder="/pets" autocomplete="off" spellcheck="false"
                    prop:value=move || path_typed.get()
                    on:input=move |ev| { path_typed.set(event_target_value(&ev)); path_later(()); } />
            </div>
            <div class="filter">
                <label for="log-key">"API key ID"</label>
                <input id="log-key" type="search" placeholder="any" autocomplete="off" spellcheck="false"
                    prop:value=move || key_typed.get()
                    on:input=move |ev| { key_typed.set(event_target_value(&ev)); key_later(()); } />
            </div>
            <div class="filter filter-actions">
                // Enter in a text field submits the form: the filter applies at once.
                <button type="submit" class="sr-only">"Apply filters"</button>
                <button type="button" class="btn btn-small btn-ghost" id="log-clear" on:click=clear>"Clear"</button>
                <button type="button" class="btn btn-small" id="log-refresh" on:click=move |_| version.update(|v| *v += 1)>"Refresh"</button>
            </div>
        </form>
        <Transition fallback=|| view! { <div class="card loading">"Loading the access log…"</div> }>
            {move || data.get().map(|l| match l.result {
                Err(e) => view! { <div class="card error-card" id="log-error">{e.to_string()}</div> }.into_any(),
                Ok(page) if page.entries.is_empty() && (l.filtered || !l.first_page) => view! {
                    <EmptyState icon="∅" title="No requests match">
                        <p>"No request of this stage matches these filters. Loosen them, or clear them to see everything."</p>
                        <button type="button" class="btn" on:click=clear>"Clear filters"</button>
                    </EmptyState>
                }.into_any(),
                Ok(page) if page.entries.is_empty() => view! {
                    <EmptyState icon="☰" title="No requests yet">
                        <p>"Each request this stage answers appears here within a second: time, path, status, latency, key and request ID."</p>
                        <p>"Call the stage's invoke URL, shown on "
                            <A href=format!("/apis/{}/stages/{}", api_id(), stage_name())>"the stage page"</A>", then refresh."</p>
                    </EmptyState>
                }.into_any(),
                Ok(page) => {
                    let count = page.entries.len();
                    let has_older = page.next.is_some();
                    view! {
                        <div class="pager" id="log-pager">
                            <span class="muted small" id="log-page-info">
                                {move || {
                                    let n = pages.with(Vec::len) + 1;
                                    if n == 1 { format!("Newest {count}") } else { format!("Page {n} · {count} entries") }
                                }}
                                " · loaded " {l.at.clone()}
                            </span>
                            <span class="pager-buttons">
                                <button type="button" class="btn btn-small" id="log-newest" disabled=l.first_page
                                    on:click=move |_| pages.set(Vec::new())>"⇤ Newest"</button>
                                <button type="button" class="btn btn-small" id="log-newer" disabled=l.first_page
                                    on:click=move |_| pages.update(|p| { p.pop(); })>"← Newer"</button>
                                <button type="button" class="btn btn-small" id="log-older" disabled=!has_older on:click=older>"Older →"</button>
                            </span>
                        </div>
                        <div class="table-scroll">
                            <table class="table log-table" id="log-table">
                                <thead>
                                    <tr>
                                        <th>"Time"</th><th>"Method"</th><th>"Path"</th><th>"Resource"</th><th>"Status"</th>
                                        <th class="num-col">"Latency"</th><th class="num-col">"Integration"</th><th>"API key"</th>
                                        <th class="num-col">"Bytes in / out"</th><th>"Request ID"</th>
                                    </tr>
                                </thead>
                                <tbody>{page.entries.into_iter().map(|e| view! { <LogRow e=e /> }).collect_view()}</tbody>
                            </table>
                        </div>
                        // Long pages: the way on is at the bottom too.
                        {(count > 20).then(|| view! {
                            <div class="pager pager-bottom">
                                <span></span>
                                <span class="pager-buttons">
                                    <button type="button" class="btn btn-small" disabled=l.first_page
                                        on:click=move |_| pages.set(Vec::new())>"⇤ Newest"</button>
                                    <button type="button" class="btn btn-small" disabled=!has_older on:click=older>"Older →"</button>
                                </span>
                            </div>
                        })}
                    }.into_any()
                }
            })}
        </Transition>
    }
}

/// The filters as a URL query (`status=4xx&reason=QUOTA`), empty when none is set.
fn filter_query(f: &LogFilter) -> String {
    [("status", &f.status_class), ("method", &f.method), ("reason", &f.reason), ("path", &f.path_contains), ("key", &f.key_id)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[component]
fn Breadcrumb(api_id: String, api_name: String, stage: String) -> impl IntoView {
    view! {
        <nav class="breadcrumb">
            <A href="/apis">"APIs"</A>" / "
            <A href=format!("/apis/{api_id}")>{api_name}</A>" / "
            <A href=format!("/apis/{api_id}/stages/{stage}")>{stage.clone()}</A>" / "
            <span>"Access log"</span>
        </nav>
    }
}

#[component]
fn LogRow(e: LogEntry) -> impl IntoView {
    let class = e.status / 100;
    let utc = crate::components::fmt_time(e.at_us.div_euclid(1_000_000));
    view! {
        <tr data-status=e.status.to_string() data-id=e.id.to_string()>
            <td class="nowrap num" title=utc>{local_datetime(e.at_us)}</td>
            <td><span class="verb verb-static">{e.method.clone()}</span></td>
            <td class="mono path-cell" title=e.path.clone()>{e.path.clone()}</td>
            <td class="mono muted path-cell" title=e.resource.clone()>{e.resource.clone()}</td>
            <td class="nowrap">
                <span class=format!("status status-{class}xx")>{e.status}</span>
                {e.reason.clone().map(|r| {
                    let text = reason_text(&r);
                    view! { " " <span class="reason-code" title=text>{r}</span> }
                })}
                {e.detail.clone().map(|d| {
                    let title = d.clone();
                    view! { <div class="log-detail" title=title>{d}</div> }
                })}
            </td>
            <td class="num-col">{fmt_ms(Some(e.latency_ms))}</td>
            <td class="num-col" class:muted=e.integration_latency_ms.is_none()>{fmt_ms(e.integration_latency_ms)}</td>
            <td>{match e.key_id.clone() {
                Some(k) => view! { <code class="key-id">{k}</code> }.into_any(),
                None => view! { <span class="muted">"—"</span> }.into_any(),
            }}</td>
            <td class="num-col nowrap">{format!("{} / {}", fmt_bytes(e.bytes_in), fmt_bytes(e.bytes_out))}</td>
            <td class="nowrap">
                <code class="request-id" title=e.request_id.clone()>{e.request_id.clone()}</code>
                <CopyButton value=e.request_id.clone() label=format!("Copy request ID {}", e.request_id) />
            </td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_make_a_query_that_reads_back() {
        let f = LogFilter { status_class: "4xx".into(), reason: "QUOTA".into(), path_contains: "/a b&c".into(), ..Default::default() };
        assert_eq!(filter_query(&f), "status=4xx&reason=QUOTA&path=/a%20b%26c");
        assert_eq!(filter_query(&LogFilter::default()), "");
    }
}

//! The Test tab's result and side cards: the response of a test invoke,
//! "Copy as curl" for a deployed stage, and the dry run of a stage with
//! the checks it would make.

use leptos::prelude::*;

use crate::components::{error_other, CopyValue, ErrorLine, KeyValueRows};
use crate::error::AppError;
use crate::model::{DryRunInput, StageTrace, TestInvokeOutput};
use crate::pages::test_request::{curl_command, cut_at, human_size, invoke_url, pretty_json, reason, split_log_line, status_class, Built};
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "stage_dry_run", input = Json)]
pub async fn stage_dry_run(api: String, stage: String, input: DryRunInput) -> Result<StageTrace, AppError> {
    crate::service::authed("stage_dry_run", move |s, _| async move { s.stage_dry_run(&api, &stage, input).await }).await
}

/// How much of a response body the page shows; more would make the browser crawl.
const SHOWN_BODY: usize = 64 * 1024;

/// One test invoke's answer: status, latency, body, headers and the log.
#[component]
pub fn TestResult(out: TestInvokeOutput, #[prop(into)] stale: Signal<bool>) -> impl IntoView {
    let status = out.status;
    let shown = pretty_json(&out.body).unwrap_or_else(|| out.body.clone());
    let total = shown.len();
    let cut = cut_at(&shown, SHOWN_BODY).to_string();
    let cut_note = (total > SHOWN_BODY).then(|| format!("Showing the first 64 KB of {}.", human_size(total)));
    let server_cut = out.body_truncated.then(|| "The response was longer than 1 MB; a test returns only its first 1 MB.".to_string());
    let empty = out.body.is_empty();
    let headers: Vec<(String, String)> =
        out.multi_value_headers.iter().flat_map(|(k, vs)| vs.iter().map(move |v| (k.clone(), v.clone()))).collect();
    let headers = if headers.is_empty() { out.headers.clone().into_iter().collect() } else { headers };
    let log_lines: Vec<String> = out.log.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect();

    view! {
        <section class=move || if stale.get() { "card test-result stale" } else { "card test-result" } aria-live="polite">
            <div class="test-result-head">
                <h2>"Response"</h2>
                <span id="test-status" class=format!("test-status {}", status_class(status))>
                    {format!("{status} {}", reason(status)).trim_end().to_string()}
                </span>
                <span id="test-latency" class="test-latency">{format!("{} ms", out.latency)}</span>
            </div>

            <h3>"Body"</h3>
            {if empty {
                view! { <pre id="test-body-out" class="test-pre test-empty-body">"(empty body)"</pre> }.into_any()
            } else {
                view! { <pre id="test-body-out" class="test-pre">{cut}</pre> }.into_any()
            }}
            {cut_note.map(|n| view! { <p class="hint" id="test-body-cut">{n}</p> })}
            {server_cut.map(|n| view! { <p class="notice">{n}</p> })}

            <h3>"Headers"</h3>
            {if headers.is_empty() {
                view! { <p class="muted small" id="test-headers">"No headers."</p> }.into_any()
            } else {
                view! {
                    <table class="table test-headers" id="test-headers">
                        <tbody>
                            {headers.into_iter().map(|(k, v)| view! {
                                <tr><th scope="row" class="mono">{k}</th><td class="mono">{v}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}

            <h3>"Execution log"</h3>
            <div id="test-log" class="exec-log">
                {log_lines.into_iter().map(|line| {
                    let (date, text) = split_log_line(&line);
                    let failed = text.starts_with("Execution failed") || text.contains("failed with error");
                    view! {
                        <div class=if failed { "log-line log-bad" } else { "log-line" }>
                            {date.map(|d| view! { <span class="log-date">{format!("{d} :")}</span>" " })}
                            <span class="log-text">{text.to_string()}</span>
                        </div>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

/// "Copy as curl" for a deployed stage, from the same inputs as Test.
#[component]
pub fn CurlCard(
    api: String,
    verb: String,
    stages: Vec<String>,
    api_key_required: bool,
    built: Memo<Built>,
    headers: KeyValueRows,
    body: RwSignal<String>,
) -> impl IntoView {
    let stage = RwSignal::new(stages.first().cloned().unwrap_or_default());
    let none = stages.is_empty();
    let info = Resource::new(|| (), |_| crate::pages::settings::get_server_info());
    view! {
        <section class="card test-side" id="curl-card">
            <h2>"Copy as curl"</h2>
            {if none {
                view! { <p class="muted" id="curl-none">"Deploy the API to get an invoke URL."</p> }.into_any()
            } else {
                let api = api.clone();
                let verb = verb.clone();
                view! {
                    <p class="muted small">"The request above, sent to a deployed stage through the gateway."</p>
                    <div class="inline-row">
                        <label for="curl-stage">"Stage"</label>
                        <select id="curl-stage" class="test-select" prop:value=move || stage.get()
                            on:change=move |ev| stage.set(event_target_value(&ev))>
                            {stages.iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                        </select>
                    </div>
                    <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || info.get().map(|r| match r {
                            Err(e) => view! { <p class="field-error">{e.to_string()}</p> }.into_any(),
                            Ok(i) => {
                                let gateway = i.gateway_url.clone();
                                let api = api.clone();
                                let verb = verb.clone();
                                view! {
                                    <div id="curl-command" class="curl-box">
                                        {move || {
                                            let b = built.get();
                                            let url = invoke_url(&gateway, &api, &stage.get(), &b.path_with_query);
                                            let cmd = curl_command(&verb, &url, &headers.pairs(), &body.get(), api_key_required);
                                            view! { <CopyValue value=cmd /> }
                                        }}
                                    </div>
                                }.into_any()
                            }
                        })}
                    </Transition>
                    {move || {
                        let missing = built.get().missing;
                        (!missing.is_empty()).then(|| view! {
                            <p class="warning-line">{format!(
                                "Fill in {} above, or replace it in the command.",
                                missing.iter().map(|m| format!("{{{m}}}")).collect::<Vec<_>>().join(", ")
                            )}</p>
                        })
                    }}
                    {api_key_required.then(|| view! {
                        <p class="hint">"This method requires an API key: replace " <code>"<YOUR_API_KEY>"</code> " with one in a usage plan for the stage."</p>
                    })}
                }.into_any()
            }}
        </section>
    }
}

/// "What would the stage do?": the deployed stage's checks for this request, as a dry run.
#[component]
pub fn DryRunCard(api: String, verb: String, stages: Vec<String>, undeployed: bool, built: Memo<Built>) -> impl IntoView {
    let api = StoredValue::new(api);
    // A caller always sends a real verb; an ANY method is checked as GET.
    let call_verb = if verb == "ANY" { "GET".to_string() } else { verb.clone() };
    let call_verb = StoredValue::new(call_verb);
    let stage = RwSignal::new(stages.first().cloned().unwrap_or_default());
    let key = RwSignal::new(String::new());
    let missing_shown = RwSignal::new(false);
    let dry = Action::new(move |(stage, input): &(String, DryRunInput)| stage_dry_run(api.get_value(), stage.clone(), input.clone()));
    let none = stages.is_empty();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let b = built.get();
        if !b.missing.is_empty() {
            missing_shown.set(true);
            return;
        }
        missing_shown.set(false);
        let input = DryRunInput {
            http_method: call_verb.get_value(),
            path_with_query_string: b.path_with_query,
            api_key: Some(key.get().trim().to_string()).filter(|k| !k.is_empty()),
        };
        dry.dispatch((stage.get(), input));
    };

    view! {
        <section class="card test-side" id="dry-card">
            <h2>"What would the stage do?"</h2>
            {if none {
                view! { <p class="muted" id="dry-none">"Deploy the API to a stage, then check here what the stage would do with this request."</p> }.into_any()
            } else {
                view! {
                    <p class="muted small">
                        "A dry run: nothing is sent, and no tokens or quota are used. It checks the "
                        <strong>"deployed"</strong>
                        " configuration of the stage, which may differ from what the editor shows."
                        {undeployed.then_some(" This API has changes that are not deployed yet.")}
                    </p>
                    <form class="dry-form" on:submit=submit>
                        <div class="dry-fields">
                            <div>
                                <label for="dry-stage">"Stage"</label>
                                <select id="dry-stage" class="test-select" prop:value=move || stage.get()
                                    on:change=move |ev| stage.set(event_target_value(&ev))>
                                    {stages.iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                                </select>
                            </div>
                            <div class="dry-key">
                                <label for="dry-key">"API key " <span class="muted">"(optional)"</span></label>
                                <input id="dry-key" type="text" class="mono" placeholder="x-api-key value" autocomplete="off"
                                    prop:value=move || key.get() on:input=move |ev| key.set(event_target_value(&ev)) />
                            </div>
                            <button type="submit" class="btn" id="dry-run" disabled=move || dry.pending().get()>
                                {move || if dry.pending().get() { "Checking…" } else { "Check" }}
                            </button>
                        </div>
                        <p class="hint">"Checks " <code>{move || format!("{} {}", call_verb.get_value(), built.get().path_with_query)}</code></p>
                    </form>
                    <ErrorLine message=Signal::derive(move || {
                        (missing_shown.get() && !built.get().missing.is_empty()).then(|| "Fill in every path parameter in the request above first.".to_string())
                    }) />
                    <ErrorLine message=Signal::derive(move || dry.value().with(|r| error_other(r, &[]))) />
                    {move || dry.value().get().and_then(Result::ok).map(|t| view! { <TraceView trace=t stale=dry.pending() /> })}
                }.into_any()
            }}
        </section>
    }
}

/// The gateway's checks in its order, for the "not reached" tail of a failed trace.
const TRACE_ORDER: [&str; 9] = [
    "Stage",
    "Route",
    "Method",
    "API key",
    "Usage plan throttle for this method",
    "Usage plan throttle",
    "Stage throttle",
    "Quota",
    "Integration",
];
/// Checks that apply only with a usage plan; a trace that stopped early cannot tell whether they would run.
const TRACE_OPTIONAL: [&str; 3] = ["Usage plan throttle for this method", "Usage plan throttle", "Quota"];

#[component]
fn TraceView(trace: StageTrace, #[prop(into)] stale: Signal<bool>) -> impl IntoView {
    let first_fail = trace.steps.iter().position(|s| !s.ok);
    let last_at = trace.steps.iter().filter_map(|s| TRACE_ORDER.iter().position(|n| *n == s.name)).max();
    let not_reached: Vec<&'static str> = match (first_fail, last_at) {
        (Some(_), Some(at)) => TRACE_ORDER[at + 1..].iter().copied().filter(|n| !TRACE_OPTIONAL.contains(n)).collect(),
        _ => Vec::new(),
    };
    let ok = trace.status.is_none();
    view! {
        <div class=move || if stale.get() { "trace stale" } else { "trace" }>
            <ol id="dry-steps" class="trace-steps">
                {trace.steps.iter().enumerate().map(|(i, s)| {
                    let class = if s.ok { "trace-step trace-ok" } else if Some(i) == first_fail { "trace-step trace-fail trace-first-fail" } else { "trace-step trace-fail" };
                    view! {
                        <li class=class>
                            <span class="trace-icon" aria-label=if s.ok { "passed" } else { "failed" }>{if s.ok { "✓" } else { "✗" }}</span>
                            <span class="trace-name">{s.name.clone()}</span>
                            <span class="trace-detail">{s.detail.clone()}</span>
                        </li>
                    }
                }).collect_view()}
                {not_reached.into_iter().map(|n| view! {
                    <li class="trace-step trace-skipped">
                        <span class="trace-icon" aria-label="not reached">"–"</span>
                        <span class="trace-name">{n}</span>
                        <span class="trace-detail">"not reached"</span>
                    </li>
                }).collect_view()}
            </ol>
            <p id="dry-outcome" class=if ok { "trace-outcome trace-outcome-ok" } else { "trace-outcome trace-outcome-fail" }>
                {trace.status.map(|s| view! { <span class=format!("test-status {}", status_class(s))>{s}</span>" " })}
                {trace.outcome.clone()}
            </p>
            {trace.deployment_id.clone().map(|d| view! {
                <p class="hint">{format!("Stage {} serves deployment {d}.", trace.stage)}</p>
            })}
        </div>
    }
}

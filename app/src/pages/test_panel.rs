//! The Test tab of a method: run its saved configuration for real (the
//! backend or the mock) and read the response with AWS's execution log; copy
//! the same request as curl for a deployed stage; and ask what a deployed
//! stage would do with it, as a dry run that uses no tokens or quota.

use std::collections::{BTreeMap, HashMap};

use leptos::prelude::*;

use crate::components::{error_for, error_other, CopyValue, ErrorLine, KeyValueEditor, KeyValueRows};
use crate::error::AppError;
use crate::model::{DryRunInput, Stage, StageTrace, TestInvokeInput, TestInvokeOutput};
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "test_invoke", input = Json)]
pub async fn test_invoke(api: String, resource: String, verb: String, input: TestInvokeInput) -> Result<TestInvokeOutput, AppError> {
    crate::service::authed("test_invoke", move |s, _| async move { s.test_invoke(&api, &resource, &verb, input).await }).await
}

#[server(prefix = "/api", endpoint = "stage_dry_run", input = Json)]
pub async fn stage_dry_run(api: String, stage: String, input: DryRunInput) -> Result<StageTrace, AppError> {
    crate::service::authed("stage_dry_run", move |s, _| async move { s.stage_dry_run(&api, &stage, input).await }).await
}

/// How much of a response body the page shows; more would make the browser crawl.
const SHOWN_BODY: usize = 64 * 1024;

/// What the Test tab of one method holds.
#[derive(Clone, Default)]
struct TestDraft {
    params: BTreeMap<String, String>,
    query: String,
    headers: Vec<(String, String)>,
    body: String,
    /// `None` until the stage is picked: the default then applies.
    vars_from: Option<String>,
    last: Option<TestInvokeOutput>,
}

/// The Test tabs of an API page, by method: a save rebuilds the method
/// editor, and a look at another method replaces it, yet neither loses
/// what was typed or the last response. Also carries "Save and test"
/// across the rebuild: the method whose test runs once it is saved.
#[derive(Clone, Copy)]
pub struct TestDrafts {
    drafts: StoredValue<HashMap<String, TestDraft>>,
    run_after_save: StoredValue<Option<String>>,
}

impl TestDrafts {
    pub fn new() -> Self {
        Self { drafts: StoredValue::new(HashMap::new()), run_after_save: StoredValue::new(None) }
    }

    fn get(&self, key: &str) -> Option<TestDraft> {
        self.drafts.with_value(|d| d.get(key).cloned())
    }

    fn update(&self, key: &str, f: impl FnOnce(&mut TestDraft)) {
        self.drafts.update_value(|d| f(d.entry(key.to_string()).or_default()));
    }

    /// Whether `key`'s test is to run now (and forget it was asked).
    fn take_run(&self, key: &str) -> bool {
        let due = self.run_after_save.with_value(|r| r.as_deref() == Some(key));
        if due {
            self.run_after_save.set_value(None);
        }
        due
    }
}

impl Default for TestDrafts {
    fn default() -> Self {
        Self::new()
    }
}

/// One `{name}` (or greedy `{name+}`) segment of a resource path.
#[derive(Clone)]
struct PathParam {
    name: String,
    greedy: bool,
    value: RwSignal<String>,
}

/// The request the inputs describe, shared by Test, curl and the dry run.
#[derive(Clone, PartialEq)]
struct Built {
    /// Path and query, e.g. `/pets/7?color=red`; missing parameters stay `{name}`.
    path_with_query: String,
    missing: Vec<String>,
}

#[component]
pub fn TestPanel(
    api: String,
    resource_id: String,
    resource_path: String,
    verb: String,
    /// As saved: the curl command then carries an `x-api-key` placeholder.
    api_key_required: bool,
    /// The method has an integration (a test invoke needs one).
    configured: bool,
    stages: Vec<Stage>,
    /// The API changed since its newest deployment.
    undeployed: bool,
    /// The method editor holds edits that are not saved yet.
    #[prop(into)]
    unsaved: Signal<bool>,
    /// Saves the method editor's edits (the editor is rebuilt once saved).
    save_and_test: Callback<()>,
    /// Why the last save failed, if it did.
    #[prop(into)]
    save_error: Signal<Option<String>>,
    /// The edits cannot be saved as they stand.
    #[prop(into)]
    settings_invalid: Signal<bool>,
) -> impl IntoView {
    let key = format!("{resource_id}/{verb}");
    let drafts = use_context::<TestDrafts>().unwrap_or_default();
    let draft = drafts.get(&key).unwrap_or_default();
    let api = StoredValue::new(api);
    let rid = StoredValue::new(resource_id);
    let verb = StoredValue::new(verb);
    let stages = StoredValue::new(stages);
    let template = StoredValue::new(resource_path.clone());

    let params: Vec<PathParam> = template_params(&resource_path)
        .into_iter()
        .map(|(name, greedy)| {
            let value = RwSignal::new(draft.params.get(&name).cloned().unwrap_or_default());
            PathParam { name, greedy, value }
        })
        .collect();
    let params = StoredValue::new(params);
    let query = RwSignal::new(draft.query.clone());
    let headers = KeyValueRows::new(draft.headers.clone());
    let body = RwSignal::new(draft.body.clone());
    // Stage variables come from a stage by default (the one with variables,
    // else the first): with none, a URI using ${stageVariables.x} is called
    // with an empty value, which is rarely what is being tested.
    let vars_from = RwSignal::new(draft.vars_from.clone().unwrap_or_else(|| {
        stages
            .with_value(|s| s.iter().find(|st| !st.variables.is_empty()).or(s.first()).map(|st| st.stage_name.clone()).unwrap_or_default())
    }));
    {
        let key = key.clone();
        Effect::new(move |_| {
            let typed: BTreeMap<String, String> = params.with_value(|ps| ps.iter().map(|p| (p.name.clone(), p.value.get())).collect());
            let (query, headers, body, from) = (query.get(), headers.pairs(), body.get(), vars_from.get());
            drafts.update(&key, |d| {
                d.params = typed;
                d.query = query;
                d.headers = headers;
                d.body = body;
                d.vars_from = Some(from);
            });
        });
    }
    let show_missing = RwSignal::new(false);

    let built = Memo::new(move |_| {
        let values: BTreeMap<String, String> = params.with_value(|ps| ps.iter().map(|p| (p.name.clone(), p.value.get())).collect());
        let (path, missing) = fill_path(&template.get_value(), &values);
        Built { path_with_query: with_query(&path, &query.get()), missing }
    });

    let run = Action::new(move |input: &TestInvokeInput| test_invoke(api.get_value(), rid.get_value(), verb.get_value(), input.clone()));
    // The last response stays on screen while inputs change or a failed
    // attempt is fixed, and across a save.
    let last = RwSignal::new(draft.last);
    {
        let key = key.clone();
        Effect::new(move |_| {
            if let Some(Ok(out)) = run.value().get() {
                drafts.update(&key, |d| d.last = Some(out.clone()));
                last.set(Some(out));
            }
        });
    }
    let run_error = move |field: &'static str| Signal::derive(move || run.value().with(|r| error_for(r, field)));
    let path_fields = ["pathWithQueryString", "headers", "stageVariables", "variables"];

    let start = move || {
        let b = built.get_untracked();
        if !b.missing.is_empty() {
            show_missing.set(true);
            return;
        }
        show_missing.set(false);
        let (single, multi) = header_maps(headers.pairs_untracked());
        let from = vars_from.get_untracked();
        let input = TestInvokeInput {
            path_with_query_string: Some(b.path_with_query),
            body: Some(body.get_untracked()).filter(|b| !b.is_empty()),
            headers: single,
            multi_value_headers: multi,
            stage_variables: stages.with_value(|s| s.iter().find(|st| st.stage_name == from).map(|st| st.variables.clone())),
            client_certificate_id: None,
        };
        run.dispatch(input);
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        start();
    };
    // "Save and test" was pressed and the save went through: this panel is
    // the rebuilt one, on the saved method; run the test it was asked for.
    if drafts.take_run(&key) && configured {
        start();
    }
    // A refused save runs nothing later.
    Effect::new(move |_| {
        if save_error.get().is_some() {
            drafts.run_after_save.set_value(None);
        }
    });
    let save_then_run = {
        let key = key.clone();
        move |_| {
            drafts.run_after_save.set_value(Some(key.clone()));
            save_and_test.run(());
        }
    };

    let body_hint = move || {
        body.with(|b| json_check(b)).map(|check| match check {
            Ok(()) => view! { <p class="hint test-json-ok" id="test-body-hint">"✓ Valid JSON"</p> }.into_any(),
            Err(why) => view! {
                <p class="hint test-json-bad" id="test-body-hint">{format!("Not JSON — sent as text ({why}).")}</p>
            }
            .into_any(),
        })
    };
    let vars_line = move || {
        let from = vars_from.get();
        stages.with_value(|s| s.iter().find(|st| st.stage_name == from).map(|st| st.variables.clone())).map(|vars| {
            if vars.is_empty() {
                format!("Stage {from} has no stage variables.")
            } else {
                format!("Uses {}", vars.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", "))
            }
        })
    };

    let stage_names: Vec<String> = stages.with_value(|s| s.iter().map(|st| st.stage_name.clone()).collect());
    let stage_names = StoredValue::new(stage_names);

    view! {
        <div id="test-panel">
            <form class="card form test-request" id="test-form" on:submit=submit>
                <div class="row">
                    <div>
                        <h2><span class="verb verb-static">{verb.get_value()}</span>" "<span class="mono">{resource_path.clone()}</span></h2>
                        <p class="muted small test-intro">
                            "Runs the saved configuration of this method, deployed or not: calls the real backend (or the mock), "
                            "skips API keys and throttling, and counts in no metrics."
                        </p>
                    </div>
                </div>
                {(!configured).then(|| view! {
                    <p class="notice">"This method has no integration yet: choose one on the Settings tab and save, then test it."</p>
                })}
                <Show when=move || unsaved.get()>
                    <div class="notice test-unsaved" id="test-unsaved" role="status">
                        <p>"The Settings tab has changes that are not saved. Test runs the saved configuration."</p>
                        <div class="row-actions">
                            <button type="button" class="btn btn-small btn-primary" id="test-save-run"
                                disabled=move || settings_invalid.get()
                                title=move || if settings_invalid.get() { "Fix the errors on the Settings tab first" } else { "" }
                                on:click=save_then_run.clone()>"Save and test"</button>
                            {move || settings_invalid.get().then(|| view! {
                                <span class="small">"Fix the errors on the Settings tab first."</span>
                            })}
                        </div>
                        <ErrorLine message=save_error />
                    </div>
                </Show>

                {move || (!params.with_value(Vec::is_empty)).then(|| view! {
                    <h3>"Path parameters"</h3>
                    <div class="test-params">
                        {params.get_value().into_iter().map(|p| {
                            let id = format!("test-param-{}", p.name);
                            let label = if p.greedy { format!("{{{}+}}", p.name) } else { format!("{{{}}}", p.name) };
                            let placeholder = if p.greedy { "a/b/c" } else { "value" };
                            let value = p.value;
                            let missing_msg = if p.greedy {
                                format!("Give a value for {label}: one or more path segments.")
                            } else {
                                format!("Give a value for {label}; the path needs it.")
                            };
                            view! {
                                <div class="test-param">
                                    <label for=id.clone()><code>{label}</code></label>
                                    <input id=id type="text" class="mono" placeholder=placeholder autocomplete="off"
                                        prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
                                    <ErrorLine message=Signal::derive(move || {
                                        (show_missing.get() && value.with(|v| v.trim_matches('/').trim().is_empty())).then(|| missing_msg.clone())
                                    }) />
                                </div>
                            }
                        }).collect_view()}
                    </div>
                })}

                <label for="test-query">"Query string"</label>
                <input id="test-query" type="text" class="mono" placeholder="color=red&size=2" autocomplete="off"
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev)) />
                <p class="hint">"Request: " <code id="test-request-line">{move || format!("{} {}", verb.get_value(), built.get().path_with_query)}</code></p>
                <ErrorLine message=run_error("pathWithQueryString") />

                <label>"Headers"</label>
                <KeyValueEditor rows=headers noun="header" add_id="test-add-header" />
                <ErrorLine message=run_error("headers") />

                <label for="test-body">"Body"</label>
                <textarea id="test-body" rows="5" class="mono" placeholder="{\"name\": \"Rex\"}"
                    prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                {body_hint}

                <label for="test-stage-vars">"Stage variables from:"</label>
                <select id="test-stage-vars" class="test-select" prop:value=move || vars_from.get()
                    on:change=move |ev| vars_from.set(event_target_value(&ev))>
                    <option value="">"none"</option>
                    {stage_names.get_value().into_iter().map(|n| view! { <option value=n.clone()>{n.clone()}</option> }).collect_view()}
                </select>
                {move || vars_line().map(|l| view! { <p class="hint mono">{l}</p> })}
                <ErrorLine message=Signal::derive(move || run_error("stageVariables").get().or_else(|| run_error("variables").get())) />

                <ErrorLine message=Signal::derive(move || {
                    (show_missing.get() && !built.get().missing.is_empty()).then(|| "Fill in every path parameter first.".to_string())
                }) />
                <ErrorLine message=Signal::derive(move || run.value().with(|r| error_other(r, &path_fields))) />
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="test-run" disabled=move || run.pending().get() || !configured>
                        {move || if run.pending().get() { "Testing…" } else { "Test" }}
                    </button>
                </div>
            </form>

            {move || match last.get() {
                Some(out) => view! { <TestResult out=out stale=run.pending() /> }.into_any(),
                None => view! {
                    <div class="card test-empty muted">"Press Test to send the request. The status, the response body and headers, and the execution log appear here."</div>
                }.into_any(),
            }}

            <CurlCard api=api.get_value() verb=verb.get_value() stages=stage_names.get_value()
                api_key_required=api_key_required built=built headers=headers body=body />
            <DryRunCard api=api.get_value() verb=verb.get_value() stages=stage_names.get_value() undeployed=undeployed built=built />
        </div>
    }
    // A deep view type; erasing it keeps the page's type within the compiler's limits.
    .into_any()
}

/// One test invoke's answer: status, latency, body, headers and the log.
#[component]
fn TestResult(out: TestInvokeOutput, #[prop(into)] stale: Signal<bool>) -> impl IntoView {
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
fn CurlCard(
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
fn DryRunCard(api: String, verb: String, stages: Vec<String>, undeployed: bool, built: Memo<Built>) -> impl IntoView {
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

/// The `{name}` segments of a resource path, with whether each is greedy (`{name+}`).
fn template_params(template: &str) -> Vec<(String, bool)> {
    template
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|n| match n.strip_suffix('+') {
            Some(n) => (n.to_string(), true),
            None => (n.to_string(), false),
        })
        .collect()
}

/// The resource path with each parameter's value put in (percent-encoded; a
/// greedy one keeps its slashes), and the names of those with no value, which
/// stay `{name}` in the path.
fn fill_path(template: &str, values: &BTreeMap<String, String>) -> (String, Vec<String>) {
    let mut missing = Vec::new();
    let segments: Vec<String> = template
        .split('/')
        .map(|seg| {
            let Some(inner) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
                return seg.to_string();
            };
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            let value = values.get(name).map(|v| v.trim()).unwrap_or("");
            let value = if greedy { value.trim_matches('/') } else { value };
            if value.is_empty() {
                missing.push(name.to_string());
                return seg.to_string();
            }
            if greedy {
                value.split('/').map(encode_segment).collect::<Vec<_>>().join("/")
            } else {
                encode_segment(value)
            }
        })
        .collect();
    (segments.join("/"), missing)
}

/// Percent-encodes what may not stand in a path segment as is.
fn encode_segment(s: &str) -> String {
    encode(s, |c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@".contains(c))
}

/// `path?query`, the query with a leading `?` dropped and characters a URL
/// cannot hold (spaces, `#`, non-ASCII) percent-encoded; `%` is left alone so
/// an already encoded query passes unchanged.
fn with_query(path: &str, query: &str) -> String {
    let q = query.trim().trim_start_matches('?');
    if q.is_empty() {
        return path.to_string();
    }
    let q = encode(q, |c| c.is_ascii_alphanumeric() || "-._~!$&'()*+,;=:@/?%".contains(c));
    format!("{path}?{q}")
}

fn encode(s: &str, keep: impl Fn(char) -> bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if keep(c) {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Header rows as TestInvokeInput wants them: a name given once goes in
/// `headers`, a name given more than once in `multi_value_headers`.
#[allow(clippy::type_complexity)]
fn header_maps(pairs: Vec<(String, String)>) -> (Option<BTreeMap<String, String>>, Option<BTreeMap<String, Vec<String>>>) {
    let mut grouped: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        grouped.entry(k).or_default().push(v);
    }
    let mut single = BTreeMap::new();
    let mut multi = BTreeMap::new();
    for (k, mut vs) in grouped {
        if vs.len() == 1 {
            single.insert(k, vs.remove(0));
        } else {
            multi.insert(k, vs);
        }
    }
    ((!single.is_empty()).then_some(single), (!multi.is_empty()).then_some(multi))
}

/// `{gateway}/{api}/{stage}{path}`: where a deployed stage answers.
fn invoke_url(gateway: &str, api: &str, stage: &str, path_with_query: &str) -> String {
    format!("{}/{api}/{stage}{path_with_query}", gateway.trim_end_matches('/'))
}

/// A word for a POSIX shell: single-quoted, with `'` written as `'\''`.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The request as a curl command, one option per line.
fn curl_command(verb: &str, url: &str, headers: &[(String, String)], body: &str, api_key_required: bool) -> String {
    let mut parts = vec![match verb {
        // -X HEAD would wait for a body that never comes; -I asks properly.
        "HEAD" => format!("curl -I {}", shell_quote(url)),
        "ANY" => format!("curl -i -X GET {}", shell_quote(url)),
        v => format!("curl -i -X {v} {}", shell_quote(url)),
    }];
    for (k, v) in headers {
        parts.push(format!("-H {}", shell_quote(&format!("{k}: {v}"))));
    }
    if api_key_required && !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("x-api-key")) {
        parts.push(format!("-H {}", shell_quote("x-api-key: <YOUR_API_KEY>")));
    }
    if !body.is_empty() {
        // --data reads a file when the text starts with '@'; --data-raw never does.
        let flag = if body.starts_with('@') { "--data-raw" } else { "--data" };
        parts.push(format!("{flag} {}", shell_quote(body)));
    }
    parts.join(" \\\n  ")
}

/// None when the text does not look like JSON (it does when it starts with
/// `{` or `[`); otherwise whether it parses, with serde_json's reason if not.
fn json_check(s: &str) -> Option<Result<(), String>> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    Some(serde_json::from_str::<serde::de::IgnoredAny>(s).map(|_| ()).map_err(|e| e.to_string()))
}

/// The JSON text indented two spaces a level, keys in their original order;
/// None when it is not JSON (or is a bare scalar, which has nothing to indent).
fn pretty_json(s: &str) -> Option<String> {
    json_check(s)?.ok()?;
    let mut out = String::with_capacity(s.len() * 5 / 4);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    let mut chars = s.trim().chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                let close = if c == '{' { '}' } else { ']' };
                if chars.peek() == Some(&close) {
                    chars.next();
                    out.push(c);
                    out.push(close);
                } else {
                    out.push(c);
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn cut_at(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// `812 B`, `64 KB`, `1.5 MB`.
fn human_size(n: usize) -> String {
    if n < 1024 {
        format!("{n} B")
    } else if n < 1024 * 1024 {
        format!("{} KB", n.div_ceil(1024))
    } else {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    }
}

/// A log line `Sat Nov 21 14:05:03 UTC 2026 : text` as (date, text); lines
/// without a date (the first) come back whole.
fn split_log_line(line: &str) -> (Option<&str>, &str) {
    match line.split_once(" : ") {
        Some((date, text)) if date.contains(" UTC ") && date.len() <= 32 => (Some(date), text),
        _ => (None, line),
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "test-status-2xx",
        300..=399 => "test-status-3xx",
        400..=499 => "test-status-4xx",
        500..=599 => "test-status-5xx",
        _ => "test-status-other",
    }
}

/// The reason phrase of the statuses a gateway commonly answers.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Request Too Long",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn fills_paths_and_names_what_is_missing() {
        assert_eq!(fill_path("/pets/{id}", &values(&[("id", "7")])), ("/pets/7".into(), vec![]));
        assert_eq!(fill_path("/pets/{id}", &values(&[("id", " ")])), ("/pets/{id}".into(), vec!["id".to_string()]));
        assert_eq!(fill_path("/", &values(&[])), ("/".into(), vec![]));
        assert_eq!(fill_path("/files/{path+}", &values(&[("path", "/a b/c/")])), ("/files/a%20b/c".into(), vec![]));
        assert_eq!(fill_path("/u/{name}", &values(&[("name", "a/b?é")])).0, "/u/a%2Fb%3F%C3%A9");
        assert_eq!(template_params("/a/{id}/{rest+}"), vec![("id".to_string(), false), ("rest".to_string(), true)]);
    }

    #[test]
    fn queries_are_made_safe() {
        assert_eq!(with_query("/p", "?color=red"), "/p?color=red");
        assert_eq!(with_query("/p", "q=a b#c&x=%20"), "/p?q=a%20b%23c&x=%20");
        assert_eq!(with_query("/p", "  "), "/p");
    }

    #[test]
    fn curl_is_quoted_for_a_shell() {
        let cmd = curl_command("POST", "http://gw/abc/dev/pets?x=1", &[("x-note".into(), "it's".into())], "{\"a\":1}", true);
        assert_eq!(
            cmd,
            "curl -i -X POST 'http://gw/abc/dev/pets?x=1' \\\n  -H 'x-note: it'\\''s' \\\n  -H 'x-api-key: <YOUR_API_KEY>' \\\n  --data '{\"a\":1}'"
        );
        assert!(curl_command("GET", "u", &[], "@file", false).ends_with("--data-raw '@file'"));
        assert_eq!(curl_command("HEAD", "u", &[], "", false), "curl -I 'u'");
        assert_eq!(invoke_url("http://gw:8080/", "abc", "dev", "/"), "http://gw:8080/abc/dev/");
    }

    #[test]
    fn pretty_json_keeps_order_and_strings() {
        assert_eq!(
            pretty_json(r#"{"b":1,"a":[1,2],"s":"x,{y}:\"z\"","e":{},"l":[ ]}"#).unwrap(),
            "{\n  \"b\": 1,\n  \"a\": [\n    1,\n    2\n  ],\n  \"s\": \"x,{y}:\\\"z\\\"\",\n  \"e\": {},\n  \"l\": []\n}"
        );
        assert_eq!(pretty_json("not json"), None);
        assert_eq!(pretty_json("{\"a\":"), None);
        assert!(json_check("{\"a\":}").unwrap().is_err());
        assert_eq!(json_check("plain"), None);
    }

    #[test]
    fn headers_group_repeated_names() {
        let (s, m) = header_maps(vec![("a".into(), "1".into()), ("b".into(), "2".into()), ("b".into(), "3".into())]);
        assert_eq!(s.unwrap(), values(&[("a", "1")]));
        assert_eq!(m.unwrap().get("b").unwrap(), &vec!["2".to_string(), "3".to_string()]);
        assert_eq!(header_maps(vec![]), (None, None));
    }

    #[test]
    fn small_helpers() {
        assert_eq!(cut_at("héllo", 2), "h");
        assert_eq!(human_size(65_536), "64 KB");
        assert_eq!(human_size(1_572_864), "1.5 MB");
        assert_eq!(
            split_log_line("Sat Nov 21 14:05:03 UTC 2026 : Sending request to http://x : y"),
            (Some("Sat Nov 21 14:05:03 UTC 2026"), "Sending request to http://x : y")
        );
        assert_eq!(split_log_line("Execution log for request abc"), (None, "Execution log for request abc"));
        assert_eq!(status_class(404), "test-status-4xx");
    }
}

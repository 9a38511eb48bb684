//! The Test tab of a method: run its saved configuration for real (the
//! backend or the mock) and read the response with AWS's execution log; copy
//! the same request as curl for a deployed stage; and ask what a deployed
//! stage would do with it, as a dry run that uses no tokens or quota.

use std::collections::{BTreeMap, HashMap};

use leptos::prelude::*;

use crate::components::{error_for, error_other, ErrorLine, KeyValueEditor, KeyValueRows};
use crate::error::AppError;
use crate::model::{Stage, TestInvokeInput, TestInvokeOutput};
use crate::pages::test_cards::{CurlCard, DryRunCard, TestResult};
use crate::pages::test_request::{fill_path, header_maps, json_check, template_params, with_query, Built};
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "test_invoke", input = Json)]
pub async fn test_invoke(api: String, resource: String, verb: String, input: TestInvokeInput) -> Result<TestInvokeOutput, AppError> {
    crate::service::authed("test_invoke", move |s, _| async move { s.test_invoke(&api, &resource, &verb, input).await }).await
}

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

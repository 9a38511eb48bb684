//! One method of an API: its settings (the integration, or the mock's
//! response, and the API key switch), checked as typed and saved in one
//! call, next to its Test tab. Edits not saved are guarded.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::components::{error_for, error_other, on_screen, ConfirmDelete, ErrorLine, KeyValueEditor, KeyValueRows};
use crate::error::AppError;
use crate::identity::Role;
use crate::layout::{can, guard_unsaved, IfCan, ReadOnlyNote};
use crate::model::{Method, MethodSettings, Resource as ApiResource, Stage, HTTP_METHODS, TIMEOUT_MAX_MS, TIMEOUT_MIN_MS};
use crate::pages::method_request::{params_error, MappingRows, MethodRequest, ParamRows};
use crate::pages::template_editor::TemplateEditor;
use crate::pages::test_panel::TestPanel;
use crate::rules;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "method_delete")]
pub async fn delete_method(api: String, resource: String, verb: String) -> Result<(), AppError> {
    crate::service::authed("method_delete", move |s, _| async move { s.delete_method(&api, &resource, &verb).await }).await
}

#[server(prefix = "/api", endpoint = "method_save", input = Json)]
pub async fn save_method(api: String, resource: String, verb: String, settings: MethodSettings) -> Result<Method, AppError> {
    crate::service::authed("method_save", move |s, _| async move { s.save_method(&api, &resource, &verb, settings).await }).await
}

/// A mock body is answered as `application/json`: say so when it is not
/// JSON (it is still saved and sent as written).
fn json_warning(body: &str) -> Option<String> {
    if body.trim().is_empty() {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(body).err().map(|e| {
        format!("This body is not valid JSON ({e}), but it is answered with Content-Type: application/json. Fix it, or callers' JSON parsers will fail.")
    })
}

/// One method's settings (integration, mock response, API key switch) and
/// its Test tab.
#[component]
pub fn MethodEditor(
    api: String,
    resource: ApiResource,
    method: Method,
    reload: Callback<()>,
    saved_flash: RwSignal<Option<String>>,
    /// The API's stages, for the Test tab.
    stages: Vec<Stage>,
    undeployed: bool,
    /// The API's request validators (id, name) and models, for the method request.
    validators: Vec<(String, String)>,
    models: Vec<String>,
) -> impl IntoView {
    let query = use_query_map();
    let on_test = Memo::new(move |_| query.read().get("tab").as_deref() == Some("test"));
    // The Test tab is built the first time it is opened, then kept (hidden)
    // so its inputs and last result survive a look at the settings.
    let test_opened = RwSignal::new(on_test.get_untracked());
    Effect::new(move |_| {
        if on_test.get() {
            test_opened.set(true);
        }
    });
    let tab_base = format!("?resource={}&method={}", resource.id, method.http_method);
    let test_panel_props = (api.clone(), resource.id.clone(), resource.path.clone(), method.http_method.clone(), method.api_key_required);
    let api = StoredValue::new(api);
    let rid = StoredValue::new(resource.id.clone());
    let verb = StoredValue::new(method.http_method.clone());
    let initial = MethodSettings::from_method(&method);
    let configured = method.method_integration.is_some();
    let kind = RwSignal::new(initial.integration_type.clone());
    let uri = RwSignal::new(initial.uri.clone());
    let imethod = RwSignal::new(initial.integration_method.clone());
    let timeout = RwSignal::new(initial.timeout_ms.to_string());
    let key_required = RwSignal::new(initial.api_key_required);
    let mock_status = RwSignal::new(initial.mock_status.clone());
    let mock_body = RwSignal::new(initial.mock_body.clone());
    let headers = KeyValueRows::new(initial.mock_headers.clone());
    let responses = ResponseRows::new(&initial.http_responses);
    let request_template = RwSignal::new(initial.request_template.clone().unwrap_or_default());
    let response_template = RwSignal::new(initial.response_template.clone().unwrap_or_default());
    let passthrough = RwSignal::new(if initial.passthrough.is_empty() { "WHEN_NO_MATCH".to_string() } else { initial.passthrough.clone() });
    let params = rules::path_params(&resource.path);
    let validator = RwSignal::new(initial.request_validator.clone().unwrap_or_default());
    let model = RwSignal::new(initial.request_model.clone().unwrap_or_default());
    let request_params = ParamRows::new(initial.request_parameters.as_deref().unwrap_or_default());
    let mappings = MappingRows::new(initial.parameter_mappings.as_deref().unwrap_or_default());
    let params_for_check = StoredValue::new(params.clone());

    let save = Action::new(move |s: &MethodSettings| save_method(api.get_value(), rid.get_value(), verb.get_value(), s.clone()));
    let flash_key = format!("{}/{}", resource.id, method.http_method);
    let flash_key_check = flash_key.clone();
    let saved = Signal::derive(move || saved_flash.get().as_deref() == Some(flash_key_check.as_str()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            saved_flash.set(Some(flash_key.clone()));
            reload.run(());
        }
    });
    let result = move || save.value().get();
    let is_mock = move || kind.get() == "MOCK";

    let uri_local = move || {
        if is_mock() || uri.get().is_empty() {
            return None;
        }
        rules::endpoint_uri(uri.get().trim()).err().map(|e| on_screen(&e.to_string()))
    };
    let uri_warning = move || {
        let u = uri.get();
        let unknown: Vec<String> = u
            .split('{')
            .skip(1)
            .filter_map(|s| s.split_once('}').map(|(n, _)| n.trim_end_matches('+').to_string()))
            .filter(|n| !n.starts_with("stageVariables") && !params_for_check.with_value(|p| p.contains(n)))
            .collect();
        (!unknown.is_empty() && !is_mock()).then(|| {
            format!(
                "{} is not a path parameter of this resource; it will be sent literally.",
                unknown.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", ")
            )
        })
    };
    let timeout_local = move || match timeout.get().trim().parse::<i64>() {
        Ok(n) => rules::timeout_ms(n).err().map(|e| on_screen(&e.to_string())),
        Err(_) => Some(format!("Timeout (ms) must be a whole number of milliseconds between {TIMEOUT_MIN_MS} and {TIMEOUT_MAX_MS}.")),
    };
    let status_local =
        move || is_mock().then(|| rules::status_code(mock_status.get().trim()).err().map(|e| on_screen(&e.to_string()))).flatten();
    let responses_local =
        move || (kind.get() == "HTTP").then(|| rules::http_responses(&responses.pairs()).err().map(|e| e.to_string())).flatten();
    let has_local_error = move || {
        uri_local().is_some()
            || timeout_local().is_some()
            || status_local().is_some()
            || responses_local().is_some()
            || params_error(&request_params.pairs()).is_some()
    };

    // The form as it stands (a timeout that is not a number reads as -1:
    // never equal to a saved one, refused by the local check).
    let current = move || MethodSettings {
        api_key_required: key_required.get(),
        integration_type: kind.get(),
        uri: uri.get().trim().to_string(),
        integration_method: imethod.get(),
        timeout_ms: timeout.get().trim().parse().unwrap_or(-1),
        mock_status: mock_status.get().trim().to_string(),
        mock_headers: headers.pairs(),
        mock_body: mock_body.get(),
        http_responses: responses.pairs(),
        request_template: Some(request_template.get()),
        passthrough: passthrough.get(),
        response_template: Some(response_template.get()),
        request_validator: Some(validator.get()),
        request_model: Some(model.get()),
        request_parameters: Some(request_params.pairs()),
        parameter_mappings: Some(mappings.pairs()),
    };
    let save_now = move || {
        saved_flash.set(None);
        if !has_local_error() {
            save.dispatch(current());
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save_now();
    };
    let confirm = RwSignal::new(false);
    let remove = Action::new(|(a, r, v): &(String, String, String)| delete_method(a.clone(), r.clone(), v.clone()));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(())) = remove.value().get() {
            confirm.set(false);
            reload.run(());
            navigate(&format!("?resource={}", rid.get_value()), Default::default());
        }
    });
    let known_fields = [
        "uri",
        "timeoutInMillis",
        "integrationHttpMethod",
        "type",
        "statusCode",
        "responseParameters",
        "responseTemplates",
        "integrationResponses",
        "requestTemplates",
        "passthroughBehavior",
        "requestValidatorId",
        "requestModels",
        "requestParameters",
        "parameterMappings",
    ];
    let initial_settings = StoredValue::new(initial.clone());
    let unsaved = Signal::derive(move || {
        let now = current();
        initial_settings.with_value(|i| {
            let mock = now.integration_type == "MOCK";
            // Fields of the integration type not chosen are not saved, so they do not count.
            now.api_key_required != i.api_key_required
                || now.request_validator != i.request_validator
                || now.request_model != i.request_model
                || now.request_parameters != i.request_parameters
                || (!mock && now.parameter_mappings != i.parameter_mappings)
                || now.integration_type != i.integration_type
                || (!mock && (now.uri != i.uri || now.integration_method != i.integration_method || now.timeout_ms != i.timeout_ms))
                || (mock && (now.mock_status != i.mock_status || now.mock_headers != i.mock_headers || now.mock_body != i.mock_body))
                || (now.integration_type == "HTTP"
                    && (now.http_responses != i.http_responses
                        || now.request_template.as_deref().unwrap_or_default() != i.request_template.as_deref().unwrap_or_default()
                        || now.response_template.as_deref().unwrap_or_default() != i.response_template.as_deref().unwrap_or_default()
                        || (now.passthrough != i.passthrough && !i.passthrough.is_empty())))
        })
    });
    let tab_class = |on: bool| if on { "method-tab method-tab-on" } else { "method-tab" };
    let can_edit = can(Role::Editor);
    guard_unsaved(unsaved, format!("{} {} has changes that are not saved. Leave and lose them?", method.http_method, resource.path));
    let save_error =
        Signal::derive(move || result().and_then(Result::err).map(|e| format!("Saving failed: {}", on_screen(&e.to_string()))));

    view! {
        <nav class="method-tabs" role="tablist" aria-label="Method views">
            <A href=tab_base.clone() attr:id="tab-settings" attr:role="tab" attr:class=move || tab_class(!on_test.get()) attr:data-keeps-edits="true"
                attr:aria-selected=move || (!on_test.get()).to_string()>"Settings"</A>
            <Show when=move || can_edit.get()>
            <A href=format!("{tab_base}&tab=test") attr:id="tab-test" attr:role="tab" attr:class=move || tab_class(on_test.get()) attr:data-keeps-edits="true"
                attr:aria-selected=move || on_test.get().to_string()>"▶ Test"</A>
            </Show>
        </nav>
        <div hidden=move || on_test.get()>
            {view! {
                <form class="card form method-editor" id="method-editor" on:submit=submit>
                    <div class="row">
                        <div>
                            <h2><span class="verb verb-static">{method.http_method.clone()}</span>" "<span class="mono">{resource.path.clone()}</span></h2>
                            {(!configured).then(|| view! { <p class="notice">"This method has no integration yet: choose one and save."</p> })}
                        </div>
                        <IfCan role=Role::Editor>
                            <button type="button" class="btn btn-small btn-danger-ghost" on:click=move |_| confirm.set(true)>"Delete method"</button>
                        </IfCan>
                    </div>
                    <ReadOnlyNote />
                    // A viewer sees the settings but cannot change them.
                    <fieldset class="plain" disabled=move || !can_edit.get()>
                        // Erased to one type: the form is too deep a type for the compiler otherwise.
                        {view! {
                    <fieldset class="segmented" id="integration-type">
                        <legend>"Integration type"</legend>
                        {[("HTTP_PROXY", "HTTP proxy"), ("HTTP", "HTTP"), ("MOCK", "Mock")].into_iter().map(|(value, label)| view! {
                            <label class=move || if kind.get() == value { "seg seg-on" } else { "seg" }>
                                <input type="radio" name="integration-type" value=value
                                    prop:checked=move || kind.get() == value on:change=move |_| kind.set(value.to_string()) />
                                {label}
                            </label>
                        }).collect_view()}
                    </fieldset>
                    <p class="hint" id="integration-type-hint">{move || match kind.get().as_str() {
                        "HTTP_PROXY" => "Passes the request and the backend's whole answer (status, headers, body) through.",
                        "HTTP" => "Calls the backend and answers with the method's own status, picked by the backend's status below; mapping templates can reshape both bodies.",
                        _ => "Answers from the gateway itself, without a backend.",
                    }}</p>

                    <Show when=move || !is_mock() fallback=move || view! {
                        <label for="mock-status">"Status code"</label>
                        <input id="mock-status" type="text" inputmode="numeric" class="narrow" prop:value=move || mock_status.get()
                            on:input=move |ev| mock_status.set(event_target_value(&ev)) />
                        <ErrorLine message=Signal::derive(move || status_local().or_else(|| error_for(&result(), "statusCode"))) />
                        <label>"Response headers"</label>
                        <KeyValueEditor rows=headers noun="header" add_id="add-header" />
                        <ErrorLine message=Signal::derive(move || error_for(&result(), "responseParameters")) />
                        <label for="mock-body">"Body"</label>
                        <textarea id="mock-body" rows="6" class="mono" placeholder="{\"message\": \"hello\"}"
                            prop:value=move || mock_body.get() on:input=move |ev| mock_body.set(event_target_value(&ev))></textarea>
                        {move || json_warning(&mock_body.get()).map(|w| view! { <p class="warning-line" id="mock-body-warning">{w}</p> })}
                        <ErrorLine message=Signal::derive(move || error_for(&result(), "responseTemplates")) />
                    }>
                        // Erased to one type, like the form around it: the compiler's depth limit.
                        {view! {
                        <label for="endpoint-uri">"Endpoint URL"</label>
                        <input id="endpoint-uri" type="text" class="mono" placeholder="http://backend.internal/pets/{id}"
                            prop:value=move || uri.get() on:input=move |ev| uri.set(event_target_value(&ev)) />
                        <p class="hint">
                            {if params.is_empty() {
                                "This resource has no path parameters. ".to_string()
                            } else {
                                format!("Path parameters you can use: {}. ", params.iter().map(|p| format!("{{{p}}}")).collect::<Vec<_>>().join(", "))
                            }}
                            "Stage variables: " <code>"${stageVariables.name}"</code>
                        </p>
                        <ErrorLine message=Signal::derive(move || uri_local().or_else(|| error_for(&result(), "uri"))) />
                        {move || uri_warning().map(|w| view! { <p class="warning-line">{w}</p> })}
                        <div class="two-col">
                            <div>
                                <label for="integration-method">"Backend HTTP method"</label>
                                <select id="integration-method" prop:value=move || imethod.get() on:change=move |ev| imethod.set(event_target_value(&ev))>
                                    {HTTP_METHODS.iter().map(|m| view! { <option value=*m>{*m}</option> }).collect_view()}
                                </select>
                                <ErrorLine message=Signal::derive(move || error_for(&result(), "integrationHttpMethod")) />
                            </div>
                            <div>
                                <label for="timeout">"Timeout (ms)"</label>
                                <input id="timeout" type="text" inputmode="numeric" prop:value=move || timeout.get()
                                    on:input=move |ev| timeout.set(event_target_value(&ev)) />
                                <p class="hint">{format!("{TIMEOUT_MIN_MS} to {TIMEOUT_MAX_MS}")}</p>
                                <ErrorLine message=Signal::derive(move || timeout_local().or_else(|| error_for(&result(), "timeoutInMillis"))) />
                            </div>
                        </div>
                        {move || (kind.get() == "HTTP").then(|| view! {
                            <HttpResponses rows=responses
                                message=Signal::derive(move || responses_local().or_else(|| error_for(&result(), "integrationResponses"))) />
                            <section class="mapping" id="mapping-templates" aria-labelledby="mapping-templates-title">
                                <h3 id="mapping-templates-title">"Mapping templates (application/json)"</h3>
                                <TemplateEditor api=api resource=rid id="request-template" label="Request template"
                                    hint="Makes the body sent to the backend from the caller's request. Empty: the body passes as it is."
                                    text=request_template sample="{\"name\": \"rex\"}"
                                    message=Signal::derive(move || error_for(&result(), "requestTemplates")) />
                                <label for="passthrough">"Request body passthrough"</label>
                                <select id="passthrough" prop:value=move || passthrough.get() on:change=move |ev| passthrough.set(event_target_value(&ev))>
                                    <option value="WHEN_NO_MATCH">"When no template matches the Content-Type"</option>
                                    <option value="WHEN_NO_TEMPLATES">"When there are no templates (else 415)"</option>
                                    <option value="NEVER">"Never (415 for an unmapped Content-Type)"</option>
                                </select>
                                <ErrorLine message=Signal::derive(move || error_for(&result(), "passthroughBehavior")) />
                                <TemplateEditor api=api resource=rid id="response-template" label="Response template (default response)"
                                    hint="Makes the method's body from the backend's answer ($input.body). Empty: the backend's body passes."
                                    text=response_template sample="{\"items\": []}"
                                    message=Signal::derive(move || error_for(&result(), "responseTemplates")) />
                            </section>
                        }.into_any())}
                        }.into_any()}
                    </Show>

                    <label class="switch">
                        <input type="checkbox" id="api-key-required" prop:checked=move || key_required.get()
                            on:change=move |ev| key_required.set(event_target_checked(&ev)) />
                        <span>"API key required"</span>
                        <span class="hint">" Callers must send an enabled key in " <code>"x-api-key"</code></span>
                    </label>
                    <MethodRequest validator=validator model=model params=request_params mappings=mappings
                        validators=validators.clone() models=models.clone() show_mappings=Signal::derive(move || !is_mock())
                        api=api.get_value()
                        errors=Signal::derive(move || {
                            let r = result();
                            [
                                error_for(&r, "requestValidatorId"),
                                error_for(&r, "requestModels"),
                                error_for(&r, "requestParameters"),
                                error_for(&r, "parameterMappings"),
                            ]
                        }) />
                        }.into_any()}
                    </fieldset>
                    <ErrorLine message=Signal::derive(move || error_other(&result(), &known_fields)) />
                    <IfCan role=Role::Editor>
                        <div class="form-actions">
                            {move || saved.get().then(|| view! { <span class="ok-line" id="saved">"Saved ✓"</span> })}
                            <button type="submit" class="btn btn-primary" id="save-method" disabled=move || save.pending().get() || has_local_error()>
                                {move || if save.pending().get() { "Saving…" } else { "Save" }}
                            </button>
                        </div>
                    </IfCan>
                </form>
            }.into_any()}
        </div>
        <Show when=move || test_opened.get() && !can_edit.get() && on_test.get()>
            <div class="card"><ReadOnlyNote /></div>
        </Show>
        <Show when=move || test_opened.get() && can_edit.get()>
            <div hidden=move || !on_test.get()>
                <TestPanel api=test_panel_props.0.clone() resource_id=test_panel_props.1.clone()
                    resource_path=test_panel_props.2.clone() verb=test_panel_props.3.clone()
                    api_key_required=test_panel_props.4 configured=configured stages=stages.clone()
                    undeployed=undeployed unsaved=unsaved save_and_test=Callback::new(move |_| save_now())
                    save_error=save_error settings_invalid=Signal::derive(has_local_error) />
            </div>
        </Show>
        <Show when=move || confirm.get()>
            <ConfirmDelete
                title=format!("Delete method {}?", verb.get_value())
                detail="This deletes the method and its integration."
                confirm_label="Delete method"
                pending=remove.pending()
                error=Signal::derive(move || crate::components::error_other(&remove.value().get(), &[]))
                on_confirm=Callback::new(move |_| { remove.dispatch((api.get_value(), rid.get_value(), verb.get_value())); })
                on_cancel=Callback::new(move |_| confirm.set(false))
            />
        </Show>
    }
}

type ResponseRow = (usize, RwSignal<String>, RwSignal<String>);

/// An HTTP integration's responses being edited: (backend status pattern,
/// method status) rows.
#[derive(Clone, Copy)]
struct ResponseRows {
    rows: RwSignal<Vec<ResponseRow>>,
    next: StoredValue<usize>,
}

impl ResponseRows {
    fn new(initial: &[(String, String)]) -> Self {
        let rows: Vec<ResponseRow> =
            initial.iter().enumerate().map(|(i, (p, s))| (i, RwSignal::new(p.clone()), RwSignal::new(s.clone()))).collect();
        Self { next: StoredValue::new(rows.len()), rows: RwSignal::new(rows) }
    }

    /// The rows as (pattern, status), trimmed, in order.
    fn pairs(&self) -> Vec<(String, String)> {
        self.rows.get().iter().map(|(_, p, s)| (p.get().trim().to_string(), s.get().trim().to_string())).collect()
    }

    fn add(&self) {
        let i = self.next.get_value();
        self.next.set_value(i + 1);
        self.rows.update(|r| r.push((i, RwSignal::new(String::new()), RwSignal::new(String::new()))));
    }
}

/// The Responses of an HTTP integration: which status the method answers
/// for which backend status.
#[component]
fn HttpResponses(rows: ResponseRows, message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div class="http-responses" id="http-responses">
            <label>"Responses"</label>
            <p class="hint">
                "For each backend answer, the status the method gives: the first row whose pattern (a regular expression) "
                "matches the backend's status code, e.g. " <code>"4\\d{2}"</code> "; the row without a pattern takes every other answer."
            </p>
            <div class="throttle-rows">
                <For each=move || rows.rows.get() key=|r| r.0 let:row>
                    <div class="response-row">
                        <input type="text" class="response-pattern mono" aria-label="Backend status pattern" placeholder="every other status"
                            prop:value=move || row.1.get() on:input=move |ev| row.1.set(event_target_value(&ev)) />
                        <span class="muted" aria-hidden="true">"→"</span>
                        <input type="text" class="response-status" inputmode="numeric" aria-label="Method status" placeholder="200"
                            prop:value=move || row.2.get() on:input=move |ev| row.2.set(event_target_value(&ev)) />
                        <button type="button" class="btn btn-small btn-ghost" aria-label="Remove this response"
                            on:click=move |_| rows.rows.update(|r| r.retain(|x| x.0 != row.0))>"✕"</button>
                    </div>
                </For>
            </div>
            <button type="button" class="btn btn-small" id="add-response" on:click=move |_| rows.add()>"Add response"</button>
            <ErrorLine message=message />
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_bodies_that_are_not_json_are_flagged() {
        assert_eq!(json_warning(""), None);
        assert_eq!(json_warning(r#"{"ok": true}"#), None);
        let w = json_warning(r#"{"ok": tru"#).unwrap();
        assert!(w.contains("not valid JSON") && w.contains("line 1"), "{w}");
    }
}

//! An API's gateway responses: what the gateway answers when it refuses or
//! fails a request itself (DEFAULT_4XX, THROTTLED, INVALID_API_KEY…), a list
//! of every type and an editor for one, like AWS's "Gateway responses" page.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::{error_for, error_other, on_screen, ConfirmDelete, ErrorLine, KeyValueEditor, KeyValueRows};
use crate::error::AppError;
use crate::identity::Role;
use crate::layout::{can, IfCan, ReadOnlyNote};
use crate::model::{GatewayResponse, GatewayResponseForm};
use crate::pages::api_models::get_api_items;
use crate::pages::api_nav::ApiNav;
use crate::rules;
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

// Json, as `save_method` does: the form holds a list of pairs, which the
// URL-encoded codec does not carry well.
#[server(prefix = "/api", endpoint = "gateway_response_save", input = Json)]
pub async fn save_gateway_response(api: String, response_type: String, form: GatewayResponseForm) -> Result<GatewayResponse, AppError> {
    crate::service::authed("gateway_response_save", move |s, _| async move { s.save_gateway_response(&api, &response_type, form).await })
        .await
}

#[server(prefix = "/api", endpoint = "gateway_response_reset")]
pub async fn reset_gateway_response(api: String, response_type: String) -> Result<(), AppError> {
    crate::service::authed("gateway_response_reset", move |s, _| async move { s.reset_gateway_response(&api, &response_type).await }).await
}

use crate::model::{GATEWAY_RESPONSE_TEMPLATE as DEFAULT_TEMPLATE, GATEWAY_RESPONSE_TYPES};

/// The prefix the server stores header mappings under; the form shows bare names.
const HEADER: &str = "gatewayresponse.header.";

/// The fields the server names in its refusals, each shown under its field.
const KNOWN_FIELDS: [&str; 4] = ["statusCode", "headers", "responseParameters", "responseTemplates"];

fn default_status(t: &str) -> Option<&'static str> {
    GATEWAY_RESPONSE_TYPES.iter().find(|(n, _)| *n == t).and_then(|(_, c)| *c)
}

/// The status the list shows: the one set, else AWS's, else "—" (the status of the error).
fn shown_status(r: &GatewayResponse) -> String {
    r.status_code
        .clone()
        .filter(|c| !c.is_empty())
        .or_else(|| default_status(&r.response_type).map(str::to_string))
        .unwrap_or_else(|| "—".into())
}

/// The header mappings as (name, value expression), without the prefix.
fn headers_of(r: &GatewayResponse) -> Vec<(String, String)> {
    r.response_parameters.iter().filter_map(|(k, v)| k.strip_prefix(HEADER).map(|n| (n.to_string(), v.clone()))).collect()
}

/// Mappings and templates the form does not show (set through the control
/// API); the server keeps them on save, so the form says they exist.
fn hidden_count(r: &GatewayResponse) -> usize {
    r.response_parameters.keys().filter(|k| !k.starts_with(HEADER)).count()
        + r.response_templates.keys().filter(|k| *k != "application/json").count()
}

#[component]
pub fn GatewayResponsesPage() -> impl IntoView {
    let params = use_params_map();
    let api_id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let version = RwSignal::new(0u32);
    let items = Resource::new(move || (api_id.get(), version.get()), |(id, _)| get_api_items(id));
    let reload = Callback::new(move |_| version.update(|v| *v += 1));
    let selected = RwSignal::new("DEFAULT_4XX".to_string());
    // (type, message) after a save or reset. It lives here because the
    // editor is rebuilt when the list reloads.
    let flash = RwSignal::new(None::<(String, &'static str)>);

    view! {
        <Transition fallback=|| view! { <div class="card loading">"Loading gateway responses…"</div> }>
            {move || items.get().map(|r| match r {
                Err(AppError::NotFound(_)) => view! {
                    <div class="card error-card">"This API does not exist (it may have been deleted). " <A href="/apis">"Back to APIs"</A></div>
                }.into_any(),
                Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
                Ok(data) => {
                    let api = data.api_id.clone();
                    let editor_api = api.clone();
                    let list = StoredValue::new(data.gateway_responses.clone());
                    view! {
                        <nav class="breadcrumb">
                            <A href="/apis">"APIs"</A>" / "<A href=format!("/apis/{api}")>{data.api_name.clone()}</A>" / "<span>"Gateway responses"</span>
                        </nav>
                        <div class="page-header">
                            <h1>"Gateway responses"</h1>
                            <p class="muted">"What the gateway answers when it refuses or fails a request itself: a missing API key, a throttle, a backend that timed out. "
                                "Changes take effect on a stage after the next deploy."</p>
                        </div>
                        <ApiNav api=api.clone() current="responses" />
                        <div class="split">
                            <section class="card tree-card" aria-labelledby="gr-list-title">
                                <h2 id="gr-list-title">"Response types"</h2>
                                <ul class="gr-list" id="gr-list">
                                    {list.get_value().into_iter().map(|r| {
                                        let t = r.response_type.clone();
                                        let (t_sel, t_click) = (t.clone(), t.clone());
                                        let status = shown_status(&r);
                                        let status_title = (status == "—").then_some("Answers with the status of the error");
                                        view! {
                                            <li>
                                                <button type="button" class="gr-item" data-type=t.clone()
                                                    aria-current=move || (selected.get() == t_sel).then_some("true")
                                                    on:click=move |_| { flash.set(None); selected.set(t_click.clone()); }>
                                                    <span class="gr-name mono">{t.clone()}</span>
                                                    <span class="gr-meta">
                                                        <span class="gr-code mono" title=status_title>{status}</span>
                                                        {if r.default_response {
                                                            view! { <span class="badge badge-off">"Default"</span> }.into_any()
                                                        } else {
                                                            view! { <span class="badge badge-ok">"Customised"</span> }.into_any()
                                                        }}
                                                    </span>
                                                </button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            </section>
                            <section class="detail">
                                // Re-run (and so rebuilt, its form state fresh) when the selection or the data changes.
                                {move || {
                                    let t = selected.get();
                                    match list.with_value(|l| l.iter().find(|r| r.response_type == t).cloned()) {
                                        Some(r) => view! { <ResponseEditor api=editor_api.clone() response=r reload=reload flash=flash /> }.into_any(),
                                        None => view! { <div class="card muted">"Pick a response type on the left."</div> }.into_any(),
                                    }
                                }}
                            </section>
                        </div>
                    }.into_any()
                }
            })}
        </Transition>
    }
    .into_any()
}

/// One response type's status, headers and JSON template; Save puts it,
/// Reset deletes it (AWS's default again).
#[component]
fn ResponseEditor(
    api: String,
    response: GatewayResponse,
    reload: Callback<()>,
    flash: RwSignal<Option<(String, &'static str)>>,
) -> impl IntoView {
    let api = StoredValue::new(api);
    let kind = StoredValue::new(response.response_type.clone());
    let is_default = response.default_response;
    let hidden = hidden_count(&response);
    let placeholder = default_status(&response.response_type).unwrap_or("status of the error");
    let status = RwSignal::new(response.status_code.clone().unwrap_or_default());
    let headers = KeyValueRows::new(headers_of(&response));
    let template = RwSignal::new(response.response_templates.get("application/json").cloned().unwrap_or_default());
    let can_edit = can(Role::Editor);

    let save = Action::new(move |f: &GatewayResponseForm| save_gateway_response(api.get_value(), kind.get_value(), f.clone()));
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            flash.set(Some((kind.get_value(), "Saved. Deploy the API for stages to answer with it.")));
            reload.run(());
        }
    });
    let result = move || save.value().get();
    let confirm = RwSignal::new(false);
    let reset = Action::new(|(a, t): &(String, String)| reset_gateway_response(a.clone(), t.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = reset.value().get() {
            confirm.set(false);
            flash.set(Some((kind.get_value(), "Reset to AWS's default. Deploy the API for stages to answer with it.")));
            reload.run(());
        }
    });
    let flash_line = move || flash.get().filter(|(t, _)| kind.with_value(|k| k == t)).map(|(_, m)| m);

    // Checked as typed, by the rule the server applies; empty is fine (the type's default).
    let status_local = move || {
        let s = status.get();
        (!s.trim().is_empty()).then(|| rules::status_code(s.trim()).err().map(|e| on_screen(&e.to_string()))).flatten()
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        flash.set(None);
        if status_local().is_none() {
            save.dispatch(GatewayResponseForm {
                status_code: status.get_untracked().trim().to_string(),
                headers: headers.pairs_untracked(),
                template: template.get_untracked(),
            });
        }
    };

    view! {
        <form class="card form" id="gr-editor" on:submit=submit>
            <div class="row">
                <h2 class="mono gr-title">{response.response_type.clone()}</h2>
                {if is_default {
                    view! { <span class="badge badge-off">"AWS's default"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-ok">"Customised"</span> }.into_any()
                }}
            </div>
            <ReadOnlyNote />
            // A viewer sees the values but cannot change them.
            <fieldset class="plain" disabled=move || !can_edit.get()>
                <label for="gr-status">"Status code"</label>
                <input id="gr-status" type="text" inputmode="numeric" class="gr-status" placeholder=placeholder
                    prop:value=move || status.get() on:input=move |ev| status.set(event_target_value(&ev)) />
                <p class="hint">"Empty: the type's default."</p>
                <ErrorLine message=Signal::derive(move || status_local().or_else(|| error_for(&result(), "statusCode"))) />
                <label>"Response headers"</label>
                <KeyValueEditor rows=headers noun="header" add_id="gr-add-header" />
                <p class="hint">"Values are mapping expressions: " <code>"'static text'"</code> " in single quotes, "
                    <code>"context.requestId"</code> ", " <code>"stageVariables.name"</code> ", " <code>"method.request.header.Origin"</code> "."</p>
                <ErrorLine message=Signal::derive(move || error_for(&result(), "headers").or_else(|| error_for(&result(), "responseParameters"))) />
                <label for="gr-template">"Body template " <span class="muted">"(application/json)"</span></label>
                <textarea id="gr-template" rows="6" class="mono" spellcheck="false" placeholder=DEFAULT_TEMPLATE
                    prop:value=move || template.get() on:input=move |ev| template.set(event_target_value(&ev))></textarea>
                <p class="hint">"Empty: AWS's default body. You can use " <code>"$context.error.messageString"</code> " (already JSON-quoted), "
                    <code>"$context.error.responseType"</code> ", " <code>"$context.requestId"</code> " and " <code>"$stageVariables.x"</code> "."</p>
                <ErrorLine message=Signal::derive(move || error_for(&result(), "responseTemplates")) />
                {(hidden > 0).then(|| view! {
                    <p class="hint" id="gr-hidden">{format!("{hidden} more mapping(s) or template(s), set through the control API, are not shown here; saving keeps them.")}</p>
                })}
            </fieldset>
            <ErrorLine message=Signal::derive(move || error_other(&result(), &KNOWN_FIELDS)) />
            <ErrorLine message=Signal::derive(move || error_other(&reset.value().get(), &[])) />
            <IfCan role=Role::Editor>
                <div class="form-actions">
                    {move || flash_line().map(|m| view! { <span class="ok-line" role="status" id="gr-saved">{m}</span> })}
                    {(!is_default).then(|| view! {
                        <button type="button" class="btn btn-danger-ghost" id="gr-reset" on:click=move |_| confirm.set(true)>"Reset to default"</button>
                    })}
                    <button type="submit" class="btn btn-primary" id="gr-save" disabled=move || save.pending().get() || status_local().is_some()>
                        {move || if save.pending().get() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            </IfCan>
        </form>
        <Show when=move || confirm.get()>
            <ConfirmDelete
                title=format!("Reset {} to AWS's default?", kind.get_value())
                detail="Its status code, headers and templates are deleted; stages answer AWS's default for it after the next deploy. Saving it again customises it anew."
                confirm_label="Reset"
                pending=reset.pending()
                error=Signal::derive(move || crate::components::error_other(&reset.value().get(), &[]))
                on_confirm=Callback::new(move |_| { reset.dispatch((api.get_value(), kind.get_value())); })
                on_cancel=Callback::new(move |_| confirm.set(false))
            />
        </Show>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn response(t: &str, status: Option<&str>, params: &[(&str, &str)]) -> GatewayResponse {
        GatewayResponse {
            response_type: t.into(),
            status_code: status.map(str::to_string),
            response_parameters: params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            response_templates: BTreeMap::from([("application/json".to_string(), DEFAULT_TEMPLATE.to_string())]),
            default_response: false,
        }
    }

    #[test]
    fn the_list_shows_the_status_set_else_aws_default_else_a_dash() {
        assert_eq!(shown_status(&response("THROTTLED", Some("503"), &[])), "503");
        assert_eq!(shown_status(&response("THROTTLED", None, &[])), "429");
        assert_eq!(shown_status(&response("DEFAULT_4XX", Some(""), &[])), "—");
    }

    #[test]
    fn the_form_shows_header_mappings_by_name_and_counts_the_rest() {
        let r = response(
            "DEFAULT_4XX",
            None,
            &[("gatewayresponse.header.Access-Control-Allow-Origin", "'*'"), ("gatewayresponse.querystring.x", "'1'")],
        );
        assert_eq!(headers_of(&r), vec![("Access-Control-Allow-Origin".to_string(), "'*'".to_string())]);
        assert_eq!(hidden_count(&r), 1);
    }
}

//! Importing an API from an OpenAPI document (Swagger 2.0 or OpenAPI 3.0,
//! JSON or YAML), pasted or read from a file: a preview of what will be
//! created and what apigw will not honour, then the import itself, which is
//! the control API's ImportRestApi.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::components::{error_for, error_other, ErrorLine};
use crate::error::AppError;
use crate::model::{ImportOutcome, ImportPreview};

#[server(prefix = "/api", endpoint = "api_import_preview")]
pub async fn preview_import(document: String, basepath: String) -> Result<ImportPreview, AppError> {
    crate::service::authed("api_import_preview", move |s, _| async move { s.import_preview(&document, &basepath).await }).await
}

#[server(prefix = "/api", endpoint = "api_import")]
pub async fn import_api(document: String, basepath: String, fail_on_warnings: bool) -> Result<ImportOutcome, AppError> {
    crate::service::authed("api_import", move |s, _| async move { s.import_api(&document, &basepath, fail_on_warnings).await }).await
}

/// Reads the file an `<input type=file>` holds into `into` (in the browser).
#[cfg(feature = "hydrate")]
fn read_file(ev: leptos::ev::Event, into: RwSignal<String>, error: RwSignal<Option<String>>) {
    use wasm_bindgen::JsCast;
    let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
    let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
    if file.size() > 6.0 * 1024.0 * 1024.0 {
        error.set(Some(format!("{} is larger than 6 MB, AWS's limit for an imported document.", file.name())));
        return;
    }
    wasm_bindgen_futures::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(file.text()).await {
            Ok(text) => {
                error.set(None);
                into.set(text.as_string().unwrap_or_default());
            }
            Err(_) => error.set(Some(format!("{} could not be read.", file.name()))),
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn read_file(_: leptos::ev::Event, _: RwSignal<String>, _: RwSignal<Option<String>>) {}

#[component]
pub fn ImportApiForm(on_cancel: Callback<()>) -> impl IntoView {
    let document = RwSignal::new(String::new());
    let basepath = RwSignal::new("ignore".to_string());
    let strict = RwSignal::new(false);
    let file_error = RwSignal::new(None::<String>);
    let preview = Action::new(|(d, b): &(String, String)| preview_import(d.clone(), b.clone()));
    let import = Action::new(|(d, b, s): &(String, String, bool)| import_api(d.clone(), b.clone(), *s));
    // The preview stands for the text and base path it was made from; an edit makes it stale.
    let previewed = RwSignal::new(None::<(String, String)>);
    let fresh =
        move || previewed.get().is_some_and(|p| p == (document.get(), basepath.get())) && matches!(preview.value().get(), Some(Ok(_)));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(done)) = import.value().get() {
            navigate(&format!("/apis/{}", done.id), Default::default());
        }
    });
    let run_preview = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        previewed.set(Some((document.get(), basepath.get())));
        preview.dispatch((document.get(), basepath.get()));
    };
    let doc_error = Signal::derive(move || error_for(&preview.value().get(), "body").or_else(|| error_for(&import.value().get(), "body")));
    let other_error =
        Signal::derive(move || error_other(&preview.value().get(), &["body"]).or_else(|| error_other(&import.value().get(), &["body"])));
    view! {
        <form class="card form" id="import-api-form" on:submit=run_preview>
            <h2>"Import API"</h2>
            <p class="muted">"An OpenAPI 3.0 or Swagger 2.0 document, JSON or YAML, with AWS's "
                <code>"x-amazon-apigateway-*"</code>" extensions — what "<code>"aws apigateway import-rest-api"</code>" takes."</p>
            <label for="import-file">"From a file"</label>
            <input id="import-file" type="file" accept=".json,.yaml,.yml,application/json,application/yaml"
                on:change=move |ev| read_file(ev, document, file_error) />
            <ErrorLine message=Signal::derive(move || file_error.get()) />
            <label for="import-document">"Or paste it"</label>
            <textarea id="import-document" rows="12" class="mono" spellcheck="false"
                placeholder="openapi: 3.0.1\ninfo:\n  title: pets\n  version: \"1\"\npaths: {}"
                prop:value=move || document.get() on:input=move |ev| document.set(event_target_value(&ev))></textarea>
            <ErrorLine message=doc_error />
            <label for="import-basepath">"Base path"</label>
            <select id="import-basepath" prop:value=move || basepath.get() on:change=move |ev| basepath.set(event_target_value(&ev))>
                <option value="ignore">"Ignore the document's base path"</option>
                <option value="prepend">"Prepend it to every path"</option>
                <option value="split">"Prepend it without its first segment"</option>
            </select>
            <label class="check">
                <input type="checkbox" id="import-strict" prop:checked=move || strict.get()
                    on:change=move |ev| strict.set(event_target_checked(&ev)) />
                " Refuse the document if it has warnings"
            </label>
            <ErrorLine message=other_error />
            <div class="form-actions">
                <button type="button" class="btn" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button type="submit" class="btn" id="import-preview-button"
                    disabled=move || document.get().trim().is_empty() || preview.pending().get()>
                    {move || if preview.pending().get() { "Reading…" } else { "Preview" }}
                </button>
                <button type="button" class="btn btn-primary" id="import-button"
                    disabled=move || !fresh() || import.pending().get()
                    title=move || if fresh() { "" } else { "Preview the document first" }
                    on:click=move |_| { import.dispatch((document.get(), basepath.get(), strict.get())); }>
                    {move || if import.pending().get() { "Importing…" } else { "Import" }}
                </button>
            </div>
            {move || match (fresh(), preview.value().get()) {
                (true, Some(Ok(p))) => Some(view! { <PreviewCard preview=p /> }),
                _ => None,
            }}
        </form>
    }
}

#[component]
fn PreviewCard(preview: ImportPreview) -> impl IntoView {
    let methods: usize = preview.paths.iter().map(|(_, m)| m.len()).sum();
    let summary = format!(
        "“{}”{}: {} resources, {} methods, {} models, {} request validators, {} gateway responses, {} documentation parts.",
        preview.name,
        preview.version.as_deref().map(|v| format!(" version {v}")).unwrap_or_default(),
        preview.paths.len(),
        methods,
        preview.models.len(),
        preview.validators.len(),
        preview.gateway_responses.len(),
        preview.documentation_parts,
    );
    let warnings = preview.warnings.clone();
    view! {
        <section id="import-preview" class="preview" aria-live="polite">
            <h3>"This import creates"</h3>
            <p>{summary}</p>
            <ul class="path-list">
                {preview.paths.into_iter().map(|(path, verbs)| view! {
                    <li><code>{path}</code>" "<span class="muted">{if verbs.is_empty() { "(no methods)".to_string() } else { verbs.join(", ") }}</span></li>
                }).collect_view()}
            </ul>
            <Show when={let w = warnings.clone(); move || !w.is_empty()}>
                <h3 class="warning-title">{format!("{} warning(s)", warnings.len())}</h3>
                <ul id="import-warnings" class="warnings">
                    {warnings.clone().into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}
                </ul>
            </Show>
        </section>
    }
}

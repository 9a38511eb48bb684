//! A mapping template's editor in the method form: the template as a code
//! field, and "Try it", which renders the text as typed against a sample
//! body on the server (the gateway's own evaluator, no backend call) and
//! shows the output, or marks the line and column of a syntax error.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::{TemplateTryInput, TemplateTryOutput};
#[allow(unused_imports)]
use leptos::server_fn::codec::Json;

#[server(prefix = "/api", endpoint = "template_try", input = Json)]
pub async fn try_template(api: String, resource: String, input: TemplateTryInput) -> Result<TemplateTryOutput, AppError> {
    crate::service::authed("template_try", move |s, _| async move { s.try_template(&api, &resource, input).await }).await
}

/// The line of `text` at 1-based `line`, and a caret under `column`.
fn excerpt(text: &str, line: u32, column: u32) -> (String, String) {
    let at = text.lines().nth(line.saturating_sub(1) as usize).unwrap_or("").to_string();
    let caret = format!("{}^", " ".repeat(column.saturating_sub(1) as usize));
    (at, caret)
}

/// A template field with "Try it". `id` names the field (`request-template`);
/// `sample` is the sample body's placeholder.
#[component]
pub fn TemplateEditor(
    api: StoredValue<String>,
    resource: StoredValue<String>,
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    text: RwSignal<String>,
    sample: &'static str,
    /// The save error for this field, if any.
    message: Signal<Option<String>>,
) -> impl IntoView {
    let sample_body = RwSignal::new(String::new());
    let run = Action::new(move |(template, body): &(String, String)| {
        let input = TemplateTryInput { template: template.clone(), body: body.clone(), ..Default::default() };
        try_template(api.get_value(), resource.get_value(), input)
    });
    // A result is for the text it was made from: an edit clears it.
    let tried_for = RwSignal::new(None::<String>);
    let result = move || run.value().get().filter(|_| tried_for.get().as_deref() == Some(text.get().as_str()));
    let try_it = move |_| {
        tried_for.set(Some(text.get_untracked()));
        run.dispatch((text.get_untracked(), sample_body.get_untracked()));
    };
    let sample_id = format!("{id}-sample");
    let output_id = format!("{id}-output");
    view! {
        <div class="template-editor">
            <label for=id>{label}</label>
            <textarea id=id rows="7" class="mono code" spellcheck="false" placeholder="{\"name\": \"$input.path('$.name')\"}"
                aria-describedby=format!("{id}-hint")
                prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <p class="hint" id=format!("{id}-hint")>{hint}</p>
            <crate::components::ErrorLine message=message />
            <details class="try-it">
                <summary>"Try it with a sample body"</summary>
                <label for=sample_id.clone()>"Sample body ("<code>"$input.body"</code>")"</label>
                <textarea id=sample_id rows="3" class="mono" placeholder=sample
                    prop:value=move || sample_body.get() on:input=move |ev| sample_body.set(event_target_value(&ev))></textarea>
                <button type="button" class="btn btn-small" id=format!("{id}-try") on:click=try_it disabled=move || run.pending().get()>
                    {move || if run.pending().get() { "Rendering…" } else { "Try it" }}
                </button>
                <crate::components::ErrorLine message=Signal::derive(move || crate::components::error_other(&run.value().get(), &[])) />
                <div id=output_id aria-live="polite">
                    {move || result().map(|r| match r {
                        // Shown by the error line below.
                        Err(_) => ().into_any(),
                        Ok(TemplateTryOutput { parse_error: Some(e), .. }) => {
                            let (line, caret) = excerpt(&text.get_untracked(), e.line, e.column);
                            view! {
                                <div class="error-line" role="alert">
                                    <p>{format!("Line {}, column {}: {}", e.line, e.column, e.message)}</p>
                                    <pre class="mono excerpt">{line}"\n"{caret}</pre>
                                </div>
                            }.into_any()
                        }
                        Ok(TemplateTryOutput { render_error: Some(e), .. }) => {
                            view! { <p class="error-line" role="alert">{format!("The template failed while rendering: {e}")}</p> }.into_any()
                        }
                        Ok(out) => {
                            let overrides = out.status_override.map(|s| format!("Status override: {s}")).into_iter()
                                .chain(out.header_overrides.iter().map(|(k, v)| format!("Header override: {k}: {v}")))
                                .collect::<Vec<_>>();
                            view! {
                                <p class="ok-line">"Output"</p>
                                <pre class="mono output">{out.output.unwrap_or_default()}</pre>
                                {overrides.into_iter().map(|o| view! { <p class="hint">{o}</p> }).collect_view()}
                            }.into_any()
                        }
                    })}
                </div>
            </details>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_excerpt_points_at_the_column() {
        assert_eq!(excerpt("a\n  #if(\nc", 2, 3), ("  #if(".to_string(), "  ^".to_string()));
        assert_eq!(excerpt("x", 5, 1), (String::new(), "^".to_string()));
    }
}

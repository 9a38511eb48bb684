//! Small building blocks shared by the console pages.

use leptos::prelude::*;

use crate::error::AppError;

/// A designed "nothing here yet" panel: what the section is for and how it fills up.
#[component]
pub fn EmptyState(icon: &'static str, title: &'static str, children: Children) -> impl IntoView {
    view! {
        <div class="empty-state">
            <div class="empty-icon" aria-hidden="true">{icon}</div>
            <h2>{title}</h2>
            <div class="empty-body">{children()}</div>
        </div>
    }
}

/// A page heading with an optional line under it.
#[component]
pub fn PageHeader(title: &'static str, #[prop(optional)] subtitle: &'static str) -> impl IntoView {
    view! {
        <div class="page-header">
            <h1>{title}</h1>
            {(!subtitle.is_empty()).then(|| view! { <p class="muted">{subtitle}</p> })}
        </div>
    }
}

/// A value in monospace with a button that copies it to the clipboard.
#[component]
pub fn CopyValue(#[prop(into)] value: String) -> impl IntoView {
    let state = RwSignal::new(CopyState::Idle);
    let to_copy = value.clone();
    let on_click = move |_| {
        let text = to_copy.clone();
        state.set(CopyState::Working);
        copy_to_clipboard(text, state);
    };
    view! {
        <span class="copy-value">
            <code>{value}</code>
            <button type="button" class="btn btn-small copy-btn" on:click=on_click
                title="Copy to clipboard">
                {move || match state.get() {
                    CopyState::Idle | CopyState::Working => "Copy",
                    CopyState::Done => "Copied",
                    CopyState::Failed => "Copy failed: select and copy by hand",
                }}
            </button>
        </span>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum CopyState {
    Idle,
    Working,
    Done,
    Failed,
}

#[cfg(feature = "hydrate")]
fn copy_to_clipboard(text: String, state: RwSignal<CopyState>) {
    leptos::task::spawn_local(async move {
        let done = match web_sys::window() {
            Some(w) => {
                let promise = w.navigator().clipboard().write_text(&text);
                wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
            }
            None => false,
        };
        state.set(if done { CopyState::Done } else { CopyState::Failed });
    });
}

#[cfg(not(feature = "hydrate"))]
fn copy_to_clipboard(_text: String, state: RwSignal<CopyState>) {
    // Only the browser has a clipboard; on the server the button is inert.
    state.set(CopyState::Idle);
}

/// The message for `field` if the last result failed on it.
pub fn error_for<T>(result: &Option<Result<T, AppError>>, field: &str) -> Option<String> {
    match result {
        Some(Err(e)) if e.field() == Some(field) => Some(on_screen(&e.to_string())),
        _ => None,
    }
}

/// The console's labels for the wire names AWS's messages start with: the
/// control API answers `timeoutInMillis must be …` as AWS does, the form
/// says `Timeout (ms) must be …` under the field of that label.
const LABELS: &[(&str, &str)] = &[
    ("pathPart", "Path part"),
    ("timeoutInMillis", "Timeout (ms)"),
    ("uri", "Endpoint URL"),
    ("statusCode", "Status code"),
    ("stageName", "Stage name"),
    ("integrationHttpMethod", "Backend HTTP method"),
    ("responseTemplates", "Body"),
    ("responseParameters", "Response headers"),
    ("rateLimit", "Rate limit"),
    ("burstLimit", "Burst limit"),
];

/// A field's message with its leading wire name replaced by the label on screen.
pub fn on_screen(message: &str) -> String {
    for (wire, label) in LABELS {
        if let Some(rest) = message.strip_prefix(wire) {
            if rest.starts_with([' ', ':', '.']) {
                return format!("{label}{rest}");
            }
        }
    }
    message.to_string()
}

/// The message of a failure that is not about one known field.
pub fn error_other<T>(result: &Option<Result<T, AppError>>, known: &[&str]) -> Option<String> {
    match result {
        Some(Err(e)) if e.field().is_none_or(|f| !known.contains(&f)) => Some(e.to_string()),
        _ => None,
    }
}

/// A red line under a field, shown only when there is something to say.
#[component]
pub fn ErrorLine(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="field-error" role="alert">{move || message.get()}</p>
        </Show>
    }
}

/// A UTC timestamp as `2026-11-21 10:53 UTC`; the same text on server and
/// browser, so hydration matches.
pub fn fmt_time(secs: i64) -> String {
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::calendar::civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// Makes an open dialog modal for the keyboard (WAI-ARIA's dialog pattern):
/// focus moves into it when it opens (unless the dialog put it somewhere
/// itself), Tab and Shift+Tab wrap around inside it, and when it closes
/// focus goes back to the control that opened it. `dialog` is the element
/// around the dialog (its backdrop).
pub fn trap_focus(dialog: NodeRef<leptos::html::Div>) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let opener = document().active_element();
        Effect::new(move |_| {
            let Some(root) = dialog.get() else { return };
            let active: Option<web_sys::Node> = document().active_element().map(Into::into);
            if active.as_ref().is_some_and(|a| root.contains(Some(a))) {
                return;
            }
            if let Some(el) = root.query_selector(FOCUSABLE).ok().flatten().and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = el.focus();
            }
        });
        on_cleanup(move || {
            if let Some(el) = opener.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                let _ = el.focus();
            }
        });
        const FOCUSABLE: &str = "button:not([disabled]), a[href], input:not([disabled]):not([type=hidden]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() != "Tab" {
                return;
            }
            let Some(root) = dialog.get_untracked() else { return };
            let Ok(list) = root.query_selector_all(FOCUSABLE) else { return };
            let n = list.length();
            if n == 0 {
                return;
            }
            let (first, last) = (list.item(0), list.item(n - 1));
            let active: Option<web_sys::Node> = document().active_element().map(Into::into);
            let inside = active.as_ref().is_some_and(|a| root.contains(Some(a)));
            let at = |node: &Option<web_sys::Node>| active.as_ref().is_some_and(|a| a.is_same_node(node.as_ref()));
            let target = match (ev.shift_key(), inside) {
                (_, false) => first,
                (true, true) if at(&first) => last,
                (false, true) if at(&last) => first,
                _ => return,
            };
            if let Some(el) = target.and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()) {
                ev.prevent_default();
                let _ = el.focus();
            }
        });
        on_cleanup(move || handle.remove());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = dialog;
}

/// A dialog's keyboard behaviour: [`trap_focus`], and Esc closes it
/// wherever the focus is.
pub fn modal_keys(dialog: NodeRef<leptos::html::Div>, on_close: Callback<()>) {
    trap_focus(dialog);
    let esc = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" {
            on_close.run(());
        }
    });
    on_cleanup(move || esc.remove());
}

/// Puts focus on `target` when it appears and again whenever `pending`
/// changes: an attempt that ends leaves focus on the disabled confirm
/// button otherwise.
pub fn keep_focus_on(target: NodeRef<leptos::html::Button>, pending: Signal<bool>) {
    Effect::new(move |_| {
        let _ = pending.get();
        if let Some(b) = target.get() {
            let _ = b.focus();
        }
    });
}

/// Like [`fmt_time`], to the second (deployments a few seconds apart must
/// be told apart).
pub fn fmt_time_secs(secs: i64) -> String {
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = crate::calendar::civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// A small "are you sure?" panel that names what will be deleted. Focus
/// moves to Cancel when it opens and Esc cancels. The server's refusal
/// (`error`, e.g. a stage a usage plan still covers) is shown inside it,
/// where the user is looking, once Delete has been pressed.
#[component]
pub fn ConfirmDelete(
    #[prop(into)] title: String,
    #[prop(into)] detail: String,
    #[prop(into)] confirm_label: String,
    #[prop(into)] pending: Signal<bool>,
    on_confirm: Callback<()>,
    on_cancel: Callback<()>,
    /// Why the last attempt failed, if it did.
    #[prop(optional, into)]
    error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let tried = RwSignal::new(false);
    let shown_error = move || error.and_then(|e| e.get()).filter(|_| tried.get() && !pending.get());
    let cancel_ref = NodeRef::<leptos::html::Button>::new();
    let dialog = NodeRef::<leptos::html::Div>::new();
    modal_keys(dialog, on_cancel);
    keep_focus_on(cancel_ref, pending);
    view! {
        <div class="modal-backdrop" node_ref=dialog>
            <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
                <h2 id="confirm-title">{title}</h2>
                <p class="muted">{detail}</p>
                {move || shown_error().map(|m| view! { <p class="field-error" role="alert" id="confirm-error">{m}</p> })}
                <div class="modal-actions">
                    <button type="button" class="btn" node_ref=cancel_ref on:click=move |_| on_cancel.run(())>"Cancel"</button>
                    <button type="button" class="btn btn-danger" id="confirm-delete"
                        disabled=move || pending.get() on:click=move |_| { tried.set(true); on_confirm.run(()) }>
                        {move || if pending.get() { "Deleting…".to_string() } else { confirm_label.clone() }}
                    </button>
                </div>
            </div>
        </div>
    }
}

type Row = (usize, RwSignal<String>, RwSignal<String>);

/// Editable name/value rows (mock response headers, stage variables).
#[derive(Clone, Copy)]
pub struct KeyValueRows {
    rows: RwSignal<Vec<Row>>,
    next: StoredValue<usize>,
}

impl KeyValueRows {
    pub fn new(initial: impl IntoIterator<Item = (String, String)>) -> Self {
        let rows: Vec<Row> = initial.into_iter().enumerate().map(|(i, (k, v))| (i, RwSignal::new(k), RwSignal::new(v))).collect();
        Self { next: StoredValue::new(rows.len()), rows: RwSignal::new(rows) }
    }

    /// The rows with a name (trimmed), in order, with their values.
    pub fn pairs(&self) -> Vec<(String, String)> {
        self.rows.get().iter().map(|(_, k, v)| (k.get().trim().to_string(), v.get())).filter(|(k, _)| !k.is_empty()).collect()
    }

    /// [`Self::pairs`] without subscribing (for event handlers).
    pub fn pairs_untracked(&self) -> Vec<(String, String)> {
        self.rows
            .get_untracked()
            .iter()
            .map(|(_, k, v)| (k.get_untracked().trim().to_string(), v.get_untracked()))
            .filter(|(k, _)| !k.is_empty())
            .collect()
    }

    fn add(&self) {
        let i = self.next.get_value();
        self.next.set_value(i + 1);
        self.rows.update(|r| r.push((i, RwSignal::new(String::new()), RwSignal::new(String::new()))));
    }

    fn remove(&self, id: usize) {
        self.rows.update(|r| r.retain(|(i, _, _)| *i != id));
    }
}

/// The editor for `KeyValueRows`: one line per pair, a remove button each,
/// and an add button. `noun` names a row ("header", "variable").
#[component]
pub fn KeyValueEditor(rows: KeyValueRows, noun: &'static str, add_id: &'static str) -> impl IntoView {
    let title = |s: &str| s.chars().next().map(|c| c.to_uppercase().collect::<String>() + &s[1..]).unwrap_or_default();
    let name_label = format!("{} name", title(noun));
    let value_label = format!("{} value", title(noun));
    view! {
        <div class="header-rows">
            <For each=move || rows.rows.get() key=|(i, _, _)| *i let:row>
                <div class="header-row">
                    <input type="text" placeholder=name_label.clone() aria-label=name_label.clone()
                        prop:value=move || row.1.get() on:input=move |ev| row.1.set(event_target_value(&ev)) />
                    <input type="text" placeholder=value_label.clone() aria-label=value_label.clone()
                        prop:value=move || row.2.get() on:input=move |ev| row.2.set(event_target_value(&ev)) />
                    <button type="button" class="btn btn-small btn-ghost" aria-label=format!("Remove {noun}")
                        on:click=move |_| rows.remove(row.0)>"✕"</button>
                </div>
            </For>
            <button type="button" class="btn btn-small" id=add_id on:click=move |_| rows.add()>
                {format!("Add {noun}")}
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_utc() {
        assert_eq!(super::fmt_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::fmt_time(1_795_000_000), "2026-11-18 11:06 UTC");
        assert_eq!(super::fmt_time(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(super::fmt_time_secs(1_795_000_007), "2026-11-18 11:06:47 UTC");
    }

    #[test]
    fn messages_use_the_labels_on_screen() {
        use super::on_screen;
        assert_eq!(
            on_screen("timeoutInMillis must be between 50 and 29000 milliseconds; 5 is not."),
            "Timeout (ms) must be between 50 and 29000 milliseconds; 5 is not."
        );
        assert_eq!(on_screen("uri 'ftp://x' must be an absolute URL"), "Endpoint URL 'ftp://x' must be an absolute URL");
        assert_eq!(on_screen("urine is not a field"), "urine is not a field", "whole words only");
        assert_eq!(on_screen("Name is taken."), "Name is taken.");
    }
}

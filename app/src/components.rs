//! Small building blocks shared by the console pages.

use leptos::prelude::*;

/// A designed "nothing here yet" panel: what the section is for and how it fills up.
#[component]
pub fn EmptyState(
    icon: &'static str,
    title: &'static str,
    children: Children,
) -> impl IntoView {
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

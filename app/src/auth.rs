//! Signing in: the one-time setup page, the login page, logout, and the
//! server functions behind them.

use leptos::prelude::*;

use crate::error::AppError;
use crate::identity::SessionUser;
#[cfg(feature = "ssr")]
use crate::identity::SESSION_COOKIE;

#[cfg(feature = "ssr")]
fn set_session_cookie(value: &str, max_age_secs: u64) {
    use http::header::{HeaderValue, SET_COOKIE};
    let cookie = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}");
    if let (Some(res), Ok(v)) = (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie)) {
        res.append_header(SET_COOKIE, v);
    }
}

/// Creates the first admin. Works only while no admin exists.
#[server(prefix = "/api", endpoint = "setup")]
pub async fn setup_admin(username: String, password: String, confirm: String) -> Result<(), AppError> {
    crate::service::respond(
        async move {
            if password != confirm {
                return Err(AppError::invalid("confirm", "The two passwords do not match."));
            }
            let session = crate::service::service()?.setup_admin(&username, &password).await?;
            set_session_cookie(&session.token, session.max_age_secs);
            leptos_axum::redirect("/apis");
            Ok(())
        }
        .await,
    )
}

/// Where to go after signing in: `next` when it is a path on this console
/// (never another site: `//host`, `/\host` or a scheme), else the API list.
pub fn after_sign_in(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/login")
                && !n.bytes().any(|b| b.is_ascii_control()) =>
        {
            n
        }
        _ => "/apis",
    }
}

/// Signs in with a username and password, then goes to `next` (the page
/// that sent the user here) or the API list.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(username: String, password: String, #[server(default)] next: Option<String>) -> Result<(), AppError> {
    crate::service::respond(
        async move {
            let session = crate::service::service()?.login(&username, &password, crate::service::client_addr()).await?;
            set_session_cookie(&session.token, session.max_age_secs);
            leptos_axum::redirect(after_sign_in(next.as_deref()));
            Ok(())
        }
        .await,
    )
}

/// Ends the current session.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    crate::service::respond(
        async move {
            if let Some(token) = crate::service::request_cookie(SESSION_COOKIE) {
                crate::service::service()?.logout(&token).await?;
            }
            set_session_cookie("", 0);
            leptos_axum::redirect("/login");
            Ok(())
        }
        .await,
    )
}

/// Who is signed in.
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<SessionUser, AppError> {
    crate::service::respond(crate::service::require_user())
}

/// The message for `field`, if the last result failed on that field.
pub fn field_error(result: Option<Result<(), AppError>>, field: &str) -> Option<String> {
    match result {
        Some(Err(e)) if e.field() == Some(field) => Some(e.to_string()),
        _ => None,
    }
}

/// The message for a failure that is not about one field.
pub fn form_error(result: Option<Result<(), AppError>>) -> Option<String> {
    match result {
        Some(Err(e)) if e.field().is_none_or(str::is_empty) => Some(e.to_string()),
        _ => None,
    }
}

#[component]
fn FieldError(message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <Show when=move || message.get().is_some()>
            <p class="field-error" role="alert">{move || message.get()}</p>
        </Show>
    }
}

#[component]
fn AuthCard(title: &'static str, subtitle: &'static str, children: Children) -> impl IntoView {
    view! {
        <main class="auth-page">
            <section class="auth-card">
                <div class="brand brand-large">
                    <span class="brand-mark">"◆"</span>
                    " apigw"
                </div>
                <h1>{title}</h1>
                <p class="muted">{subtitle}</p>
                {children()}
            </section>
        </main>
    }
}

/// First start: create the one admin account.
#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<SetupAdmin>::new();
    let result = action.value();
    let err = move |f: &'static str| Signal::derive(move || field_error(result.get(), f));
    let general = Signal::derive(move || form_error(result.get()));
    view! {
        <AuthCard
            title="Set up apigw"
            subtitle="Create the administrator account. This page is shown only once: after this, sign in with the account you create here."
        >
            <ActionForm action=action attr:class="form" attr:id="setup-form">
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" autocomplete="username" required />
                <FieldError message=err("username") />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="new-password"
                    required minlength=crate::identity::MIN_PASSWORD_LEN />
                <p class="hint">"At least 12 characters."</p>
                <FieldError message=err("password") />
                <label for="confirm">"Confirm password"</label>
                <input id="confirm" name="confirm" type="password" autocomplete="new-password" required />
                <FieldError message=err("confirm") />
                <FieldError message=general />
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Creating…" } else { "Create admin and sign in" }}
                </button>
            </ActionForm>
        </AuthCard>
    }
}

/// Sign in.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let next = leptos_router::hooks::use_query_map().with_untracked(|q| q.get("next")).filter(|n| after_sign_in(Some(n)) == n.as_str());
    let result = action.value();
    let general = Signal::derive(move || {
        field_error(result.get(), "username").or_else(|| field_error(result.get(), "password")).or_else(|| form_error(result.get()))
    });
    view! {
        <AuthCard title="Sign in" subtitle="Sign in to the apigw console.">
            <ActionForm action=action attr:class="form" attr:id="login-form">
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" autocomplete="username" required />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required />
                {next.map(|n| view! { <input type="hidden" name="next" value=n /> })}
                <FieldError message=general />
                <button type="submit" class="btn btn-primary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
        </AuthCard>
    }
}

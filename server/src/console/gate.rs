//! The console's gate: who may load a page or call a server function
//! (session, role, same-site), sending a first visit to setup, and the
//! audit log entry for every change made from the console.

use std::net::IpAddr;
use std::sync::Arc;

use apigw_app::error::AppError;
use apigw_app::identity::{SessionUser, SESSION_COOKIE};
use apigw_app::service::{cookie_value, ClientAddr};
use axum::extract::{Request, State};
use axum::http::{header, Extensions, Method as HttpMethod, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::Console;
use crate::auth::internal;

/// The address of the peer that sent a request on the console listener
/// (served with `ConnectInfo`); None only for requests made in-process.
pub fn peer_ip(extensions: &Extensions) -> Option<IpAddr> {
    extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip())
}

/// Paths anyone may load: the sign-in pages, their server functions, static files, health.
fn is_public(path: &str) -> bool {
    matches!(path, "/healthz" | "/login" | "/setup" | "/api/login" | "/api/setup" | "/favicon.ico") || path.starts_with("/pkg/")
}

/// A state-changing request whose Origin names another site. SameSite=Strict
/// already keeps the cookie off such requests; this refuses them outright.
pub fn is_cross_site(req: &Request) -> bool {
    if req.method() == HttpMethod::GET || req.method() == HttpMethod::HEAD {
        return false;
    }
    let (Some(origin), Some(host)) = (req.headers().get(header::ORIGIN), req.headers().get(header::HOST)) else {
        return false;
    };
    let origin = origin.to_str().unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    origin_host != host.to_str().unwrap_or("")
}

fn unauthorized_fn() -> Response {
    // The body is `AppError::Unauthorized` in the server-function encoding,
    // so the page shows "sign in again" rather than a decoding error.
    let body = serde_json::to_string(&AppError::Unauthorized).unwrap_or_default();
    (StatusCode::UNAUTHORIZED, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// The session gate: resolves the cookie to a user, sends a first visit to
/// setup, keeps setup closed once an admin exists, and refuses every page and
/// server function except the public ones without a session.
pub(super) async fn session_gate(State(console): State<Arc<Console>>, mut req: Request, next: Next) -> Response {
    if is_cross_site(&req) {
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    let path = req.uri().path().to_owned();
    let user = match cookie_value(req.headers(), SESSION_COOKIE) {
        Some(token) if !token.is_empty() => match console.auth.session_user(token).await {
            Ok(u) => u,
            Err(e) => return internal_response(e),
        },
        _ => None,
    };
    if let Some(ip) = peer_ip(req.extensions()) {
        req.extensions_mut().insert(ClientAddr(ip));
    }
    let is_fn = path.starts_with("/api/");
    let is_page = !is_fn && !path.starts_with("/pkg/") && path != "/healthz" && path != "/favicon.ico";

    let has_admin = match console.has_admin().await {
        Ok(b) => b,
        Err(e) => return internal_response(e),
    };
    if !has_admin {
        if is_page && path != "/setup" {
            return Redirect::to("/setup").into_response();
        }
    } else if path == "/setup" || (path == "/login" && user.is_some()) {
        return Redirect::to(if user.is_some() { "/apis" } else { "/login" }).into_response();
    }

    let endpoint = path.strip_prefix("/api/").unwrap_or("");
    // Every server function checks the caller's role itself (`service::authed`),
    // which also covers pages rendered here, which call them directly. A call
    // from outside is checked here first too, with the same rule, so a refused
    // caller's arguments are never even decoded.
    match &user {
        Some(u) => {
            if is_fn && !crate::roles::PUBLIC_FNS.contains(&endpoint) {
                if let Err(e) = crate::roles::check(u, endpoint) {
                    if crate::roles::server_fn_changes(endpoint) {
                        // A refused attempt at a change is worth knowing about (its arguments are not read).
                        let source = peer_ip(req.extensions()).map(|ip| ip.to_string()).unwrap_or_default();
                        crate::audit::record(&console.store, crate::audit::Actor::User(u), &source, "console", endpoint, "", 403).await;
                    }
                    let body = serde_json::to_string(&e).unwrap_or_default();
                    return (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/json")], body).into_response();
                }
            }
            req.extensions_mut().insert::<SessionUser>(u.clone());
        }
        None if is_public(&path) => {}
        None if is_fn => return unauthorized_fn(),
        // Back to the page that was asked for once signed in.
        None => {
            let wanted = req.uri().path_and_query().map_or("/", |p| p.as_str());
            let to = match wanted {
                "/" | "" => "/login".to_string(),
                w => format!("/login?next={}", apigw_app::model::percent_encode(w)),
            };
            return Redirect::to(&to).into_response();
        }
    }
    let audited = is_fn && (endpoint == "setup" || (user.is_some() && crate::roles::server_fn_changes(endpoint)));
    if !audited {
        return next.run(req).await;
    }
    // A change: run it, then write who did what (the arguments in words) to the audit log.
    let source = peer_ip(req.extensions()).map(|ip| ip.to_string()).unwrap_or_default();
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FN_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body larger than 10 MB").into_response();
    };
    let target = crate::audit::summarize_body(&bytes);
    // Setup has no session yet: it acts as the user it creates, named in its form.
    let setup_name = form_urlencoded::parse(&bytes).find(|(k, _)| k == "username").map(|(_, v)| v.into_owned()).unwrap_or_default();
    let res = next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await;
    let actor = match &user {
        Some(u) => crate::audit::Actor::User(u),
        None => crate::audit::Actor::Named(&setup_name),
    };
    if endpoint != "setup" || res.status().is_success() {
        crate::audit::record(&console.store, actor, &source, "console", endpoint, &target, res.status().as_u16()).await;
    }
    res
}

fn internal_response(e: impl std::fmt::Display) -> Response {
    let _ = internal(e);
    (StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the server log").into_response()
}

/// Largest server-function request body: the control API's limit.
pub(super) const MAX_FN_BODY: usize = 10 * 1024 * 1024;

/// Gives a server function's error the status its kind means. Leptos
/// answers 500 for every error it raises before the function runs (a body
/// that does not decode, JSON nested too deep); those are the caller's
/// fault, so the `AppError` they carry decides the status, as it does for
/// errors the functions return.
pub(super) async fn server_fn_status(req: Request, next: Next) -> Response {
    let is_fn = req.uri().path().starts_with("/api/");
    let res = next.run(req).await;
    if !is_fn || res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the server log").into_response();
    };
    if let Ok(e) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = StatusCode::from_u16(e.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    #[test]
    fn cookie_parsing_finds_the_session() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; apigw_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie_value(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie_value(&h, "missing"), None);
    }
}

//! Who is calling the control API: a SigV4 signature made with an access
//! key, or a console session; then whether their role allows the operation,
//! and the audit log entry for a change.

use apigw_app::identity::{SessionUser, SESSION_COOKIE};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::wire::{aws_error, ControlError};
use super::S;
use crate::access_keys::KeyLookup;
use crate::console::{cookie_value, is_cross_site, peer_ip};
use crate::sigv4::{self, SignedRequest};

/// Largest control-API request body.
pub(super) const MAX_BODY: usize = 10 * 1024 * 1024;

/// Reads a request body up to [`MAX_BODY`]; a larger one is AWS's 413.
async fn bounded_body(body: Body) -> Result<Bytes, Response> {
    axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        aws_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BadRequestException",
            "Request Too Long: the request body is larger than 10 MB (10485760 bytes).",
        )
    })
}

/// Authenticates a control-API request (a valid SigV4 signature, or a
/// console session), checks that the user's role allows it, runs it, and
/// writes a change to the audit log. Anything refused is answered in AWS's words.
pub(super) async fn control_auth(State(c): S, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let via_key = parts.headers.contains_key(header::AUTHORIZATION);
    let (user, bytes) = if via_key {
        let authz = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let cred = match sigv4::parse_authorization(&authz) {
            Ok(cred) => cred,
            Err(e) => return aws_error(StatusCode::FORBIDDEN, e.aws_type(), &e.message()),
        };
        let (secret, user) = match c.access_keys.secret(&cred.access_key_id).await {
            Ok(KeyLookup::Found(secret, user)) => (secret, user),
            Ok(KeyLookup::OwnerDisabled(name)) => {
                return aws_error(
                    StatusCode::FORBIDDEN,
                    "UnrecognizedClientException",
                    &format!("The security token included in the request is invalid: its user '{name}' is disabled."),
                )
            }
            Ok(KeyLookup::Unknown) => {
                return aws_error(
                    StatusCode::FORBIDDEN,
                    "UnrecognizedClientException",
                    "The security token included in the request is invalid. No access key with this id exists; create one in the console under Settings → Access keys.",
                )
            }
            Err(e) => return ControlError::App(crate::auth::internal(e)).into_response(),
        };
        let bytes = match bounded_body(body).await {
            Ok(b) => b,
            Err(res) => return res,
        };
        let signed = SignedRequest {
            method: parts.method.as_str(),
            raw_path: parts.uri.path(),
            raw_query: parts.uri.query().unwrap_or(""),
            headers: &parts.headers,
            body: &bytes,
        };
        if let Err(e) = sigv4::verify(&signed, &cred, &secret, crate::store::now_secs(), &c.regions) {
            return aws_error(StatusCode::FORBIDDEN, e.aws_type(), &e.message());
        }
        c.access_keys.touch(&cred.access_key_id).await;
        (user, bytes)
    } else {
        let token = cookie_value(&parts.headers, SESSION_COOKIE).map(str::to_string).filter(|t| !t.is_empty());
        let Some(token) = token else {
            return aws_error(StatusCode::FORBIDDEN, "MissingAuthenticationTokenException", "Missing Authentication Token");
        };
        let bytes = match bounded_body(body).await {
            Ok(b) => b,
            Err(res) => return res,
        };
        let req = Request::from_parts(parts, Body::empty());
        if is_cross_site(&req) {
            return aws_error(StatusCode::FORBIDDEN, "AccessDeniedException", "Cross-site request refused.");
        }
        parts = req.into_parts().0;
        match c.auth.session_user(&token).await {
            Ok(Some(user)) => (user, bytes),
            Ok(None) => return aws_error(StatusCode::FORBIDDEN, "MissingAuthenticationTokenException", "Missing Authentication Token"),
            Err(e) => return ControlError::App(crate::auth::internal(e)).into_response(),
        }
    };

    let need = crate::roles::control_api(&parts.method);
    // The path as the client sent it: the router has not stripped the nest prefix yet at this layer.
    let op = format!("{} {}", parts.method, parts.uri.path());
    if !user.role.allows(need) {
        return aws_error(
            StatusCode::FORBIDDEN,
            "AccessDeniedException",
            &format!(
                "User: {} (role {}) is not authorized to perform: {op}. It needs the {need} role; ask an admin.",
                user.username, user.role
            ),
        );
    }
    let audited = crate::roles::control_api_changes(&parts.method, parts.uri.path());
    let source = peer_ip(&parts.extensions).map(|ip| ip.to_string()).unwrap_or_default();
    let target = if audited { crate::audit::summarize_body(&bytes) } else { String::new() };
    parts.extensions.insert::<SessionUser>(user.clone());
    let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if audited {
        crate::audit::record(&c.store, crate::audit::Actor::User(&user), &source, "control-api", &op, &target, res.status().as_u16()).await;
    }
    res
}

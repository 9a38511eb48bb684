//! The settings section: this server's addresses and storage, and the account.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{CopyValue, PageHeader};
use crate::error::AppError;

/// Facts about the running server that an operator needs at hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub version: String,
    pub console_url: String,
    pub gateway_url: String,
    pub database_path: String,
    pub username: String,
}

#[server(prefix = "/api", endpoint = "server_info")]
pub async fn get_server_info() -> Result<ServerInfo, AppError> {
    crate::service::respond(async move {
        let user = crate::service::require_user()?;
        let mut info = crate::service::service()?.server_info().await?;
        info.username = user.username;
        Ok(info)
    }.await)
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let info = Resource::new(|| (), |_| get_server_info());
    view! {
        <PageHeader title="Settings" subtitle="This server and your account." />
        <Transition fallback=|| view! { <div class="card loading">"Loading…"</div> }>
            {move || info.get().map(|r| match r {
                Ok(i) => view! {
                    <section class="card">
                        <h2>"Server"</h2>
                        <dl class="facts">
                            <dt>"Console"</dt><dd><CopyValue value=i.console_url /></dd>
                            <dt>"Gateway"</dt><dd><CopyValue value=i.gateway_url /></dd>
                            <dt>"Database"</dt><dd><CopyValue value=i.database_path /></dd>
                            <dt>"Version"</dt><dd>{i.version}</dd>
                        </dl>
                    </section>
                    <section class="card">
                        <h2>"Account"</h2>
                        <dl class="facts">
                            <dt>"Signed in as"</dt><dd id="settings-username">{i.username}</dd>
                        </dl>
                    </section>
                }.into_any(),
                Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
            })}
        </Transition>
    }
}

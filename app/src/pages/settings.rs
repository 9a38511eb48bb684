//! The settings section: this server's addresses and storage, and the account.

use leptos::prelude::*;

use crate::components::{error_for, error_other, fmt_time, ConfirmDelete, CopyValue, ErrorLine, PageHeader};
use crate::error::AppError;
use crate::model::{AccessKeyInfo, NewAccessKeyInfo, ServerInfo};

#[server(prefix = "/api", endpoint = "server_info")]
pub async fn get_server_info() -> Result<ServerInfo, AppError> {
    crate::service::authed("server_info", move |s, user| async move {
        let mut info = s.server_info().await?;
        info.username = user.username;
        Ok(info)
    })
    .await
}

#[server(prefix = "/api", endpoint = "access_keys_list")]
pub async fn list_access_keys() -> Result<Vec<AccessKeyInfo>, AppError> {
    crate::service::authed("access_keys_list", move |s, user| async move { s.list_access_keys(&user).await }).await
}

#[server(prefix = "/api", endpoint = "access_keys_create")]
pub async fn create_access_key(description: String) -> Result<NewAccessKeyInfo, AppError> {
    crate::service::authed("access_keys_create", move |s, user| async move { s.create_access_key(user.id, &description).await }).await
}

#[server(prefix = "/api", endpoint = "access_keys_delete")]
pub async fn delete_access_key(id: String) -> Result<(), AppError> {
    crate::service::authed("access_keys_delete", move |s, user| async move { s.delete_access_key(&user, &id).await }).await
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
                            <dt>"Console"</dt><dd><CopyValue value=i.console_url.clone() /></dd>
                            <dt>"Gateway"</dt><dd><CopyValue value=i.gateway_url /></dd>
                            <dt>"Database"</dt><dd><CopyValue value=i.database_path /></dd>
                            <dt>"Version"</dt><dd>{i.version}</dd>
                        </dl>
                    </section>
                    <AccessKeys console_url=i.console_url.clone() />
                    <section class="card">
                        <h2>"Account"</h2>
                        <dl class="facts">
                            <dt>"Signed in as"</dt><dd id="settings-username">{i.username}</dd>
                        </dl>
                        <p><a href="/account">"Change your password or sign out other sessions →"</a></p>
                    </section>
                }.into_any(),
                Err(e) => view! { <div class="card error-card">{e.to_string()}</div> }.into_any(),
            })}
        </Transition>
    }
}

/// Control-API access keys: create (secret shown once), list, delete.
#[component]
fn AccessKeys(console_url: String) -> impl IntoView {
    let version = RwSignal::new(0u32);
    let keys = Resource::new(move || version.get(), |_| list_access_keys());
    let description = RwSignal::new(String::new());
    let create = Action::new(|d: &String| create_access_key(d.clone()));
    let fresh = RwSignal::new(None::<NewAccessKeyInfo>);
    Effect::new(move |_| {
        if let Some(Ok(k)) = create.value().get() {
            fresh.set(Some(k));
            description.set(String::new());
            version.update(|v| *v += 1);
        }
    });
    let to_delete = RwSignal::new(None::<String>);
    let delete = Action::new(|id: &String| delete_access_key(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            to_delete.set(None);
            version.update(|v| *v += 1);
        }
    });
    let console_url = StoredValue::new(console_url);
    view! {
        <section class="card" id="access-keys">
            <h2>"Access keys"</h2>
            <p class="muted">"For the AWS CLI and SDKs: they sign control-API requests with an access key (AWS Signature V4). Each key acts as the user who made it, with that user's role: a viewer's key can only read."</p>
            {move || fresh.get().map(|k| view! {
                <div class="secret-once" role="status">
                    <p class="strong">"Copy the secret now: it is shown only this once. apigw keeps it encrypted and cannot show it again."</p>
                    <dl class="facts">
                        <dt>"Access key ID"</dt><dd><CopyValue value=k.access_key_id.clone() /></dd>
                        <dt>"Secret access key"</dt><dd id="new-secret"><CopyValue value=k.secret_access_key.clone() /></dd>
                    </dl>
                    <p class="hint">"Try it:"</p>
                    <CopyValue value=format!(
                        "AWS_ACCESS_KEY_ID={} AWS_SECRET_ACCESS_KEY={} aws apigateway get-rest-apis --endpoint-url {} --region us-east-1",
                        k.access_key_id, k.secret_access_key, console_url.get_value()) />
                    <div class="form-actions"><button type="button" class="btn" on:click=move |_| fresh.set(None)>"I have saved it"</button></div>
                </div>
            })}
            <form class="inline-row" id="create-access-key" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                create.dispatch(description.get());
            }>
                <label for="key-description" class="sr-only">"Description"</label>
                <input id="key-description" type="text" placeholder="What is this key for? (optional)"
                    prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev)) />
                <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>"Create access key"</button>
            </form>
            <ErrorLine message=Signal::derive(move || error_for(&create.value().get(), "description").or_else(|| error_other(&create.value().get(), &["description"]))) />
            <Transition fallback=|| view! { <p class="muted">"Loading keys…"</p> }>
                {move || keys.get().map(|r| match r {
                    Err(e) => view! { <p class="field-error">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="muted empty-line">"No access keys yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <table class="table">
                            <thead><tr><th>"Access key ID"</th><th>"User"</th><th>"Description"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|k| {
                                    let id = k.access_key_id.clone();
                                    view! {
                                        <tr>
                                            <td><code>{k.access_key_id.clone()}</code></td>
                                            <td>{k.username}</td>
                                            <td class="muted">{k.description}</td>
                                            <td class="muted nowrap">{fmt_time(k.created_at)}</td>
                                            <td class="muted nowrap">{k.last_used_at.map(fmt_time).unwrap_or_else(|| "never".into())}</td>
                                            <td class="right"><button type="button" class="btn btn-small btn-danger-ghost"
                                                on:click=move |_| to_delete.set(Some(id.clone()))>"Delete"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </section>
        {move || to_delete.get().map(|id| {
            let id2 = id.clone();
            view! {
                <ConfirmDelete
                    title=format!("Delete access key {id}?")
                    detail="Scripts and SDKs signing with this key stop working at once."
                    confirm_label="Delete key"
                    pending=delete.pending()
                    error=Signal::derive(move || crate::components::error_other(&delete.value().get(), &[]))
                    on_confirm=Callback::new(move |_| { delete.dispatch(id2.clone()); })
                    on_cancel=Callback::new(move |_| to_delete.set(None))
                />
            }
        })}
    }
}

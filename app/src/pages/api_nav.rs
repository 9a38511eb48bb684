//! The tab strip under an API's header: its resources, its models and
//! validators, its gateway responses. Plain links, so each is a page of its
//! own that can be bookmarked and opened in a new tab.

use leptos::prelude::*;
use leptos_router::components::A;

/// `current`: "resources", "models" or "responses".
#[component]
pub fn ApiNav(#[prop(into)] api: String, current: &'static str) -> impl IntoView {
    let tabs =
        [("resources", "Resources", ""), ("models", "Models & validators", "/models"), ("responses", "Gateway responses", "/responses")];
    view! {
        <nav class="method-tabs api-nav" aria-label="API sections">
            {tabs.into_iter().map(|(key, label, suffix)| {
                let href = format!("/apis/{api}{suffix}");
                let here = key == current;
                view! {
                    <A href=href attr:class=if here { "method-tab method-tab-on" } else { "method-tab" }
                        attr:aria-current=here.then_some("page") attr:id=format!("api-tab-{key}")>{label}</A>
                }
            }).collect_view()}
        </nav>
    }
    .into_any()
}

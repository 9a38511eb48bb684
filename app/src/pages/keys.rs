//! The API keys section: keys callers send in `x-api-key`.

use leptos::prelude::*;

use crate::components::{EmptyState, PageHeader};

#[component]
pub fn KeysPage() -> impl IntoView {
    view! {
        <PageHeader title="API keys" subtitle="Keys that callers send in the x-api-key header." />
        <EmptyState icon="⚿" title="No API keys yet">
            <p>"A key identifies a caller. Methods marked “API key required” accept only requests carrying an enabled key that belongs to a usage plan for that stage."</p>
            <p>"A key's value is shown once, when it is created; apigw stores only its hash."</p>
        </EmptyState>
    }
}

//! The APIs section: the REST APIs this gateway serves.

use leptos::prelude::*;

use crate::components::{EmptyState, PageHeader};

#[component]
pub fn ApisPage() -> impl IntoView {
    view! {
        <PageHeader title="APIs" subtitle="REST APIs: resources, methods and the backends they call." />
        <EmptyState icon="⇄" title="No APIs yet">
            <p>
                "An API is a tree of resources such as " <code>"/pets/{id}"</code>
                ", each with methods (GET, POST, ANY…) that call an HTTP backend or answer from a mock."
            </p>
            <p>"Once an API exists, deploy it to a stage such as " <code>"dev"</code>
                " or " <code>"prod"</code> " and the gateway starts serving it."</p>
        </EmptyState>
    }
}

//! The usage plans section: throttling and quotas for groups of keys.

use leptos::prelude::*;

use crate::components::{EmptyState, PageHeader};

#[component]
pub fn UsagePlansPage() -> impl IntoView {
    view! {
        <PageHeader title="Usage plans" subtitle="Rate limits and quotas for the keys attached to them." />
        <EmptyState icon="▤" title="No usage plans yet">
            <p>"A usage plan sets a request rate, a burst and a quota per day, week or month, and covers one or more API stages. Attach keys to it to give callers access."</p>
        </EmptyState>
    }
}

//! The dashboards section: traffic, latency and errors per stage.

use leptos::prelude::*;

use crate::components::{EmptyState, PageHeader};

#[component]
pub fn DashboardsPage() -> impl IntoView {
    view! {
        <PageHeader title="Dashboards" subtitle="Requests, errors and latency for every deployed stage." />
        <EmptyState icon="◔" title="No traffic yet">
            <p>"Every request the gateway answers is recorded. Once a stage is deployed and called, its request count, 4XX and 5XX errors and latency percentiles appear here."</p>
        </EmptyState>
    }
}

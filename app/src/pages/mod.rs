//! One module per console section.

pub mod api_detail;
pub mod apis;
pub mod dashboards;
pub mod keys;
pub mod not_found;
pub mod settings;
pub mod stage;
pub mod usage_plans;

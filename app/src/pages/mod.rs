//! One module per console section.

pub mod api_detail;
pub mod api_import;
pub mod apis;
pub mod dashboards;
pub mod keys;
pub mod method_editor;
pub mod metrics_ui;
pub mod not_found;
pub mod plan_api;
pub mod plan_form;
pub mod plan_keys;
pub mod plan_limits;
pub mod settings;
pub mod stage;
pub mod stage_api;
pub mod stage_dashboard;
pub mod stage_logs;
pub mod stage_throttling;
pub mod template_editor;
pub mod test_cards;
pub mod test_panel;
pub mod test_request;
pub mod usage_plans;
pub mod users;

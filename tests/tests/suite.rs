//! Every integration suite but `security` in one test binary: one release
//! link instead of one per file (the link was most of `make test`'s Rust
//! time). Each file stays a module named as before, so
//! `cargo test -p apigw-tests --test suite control_api::` runs one of them.
//! `security` keeps its own binary: it installs a process-wide log capture
//! and measures the process's peak memory, which other suites would disturb.

mod aws_cli;
mod boto3;
mod config_rules;
mod console_apis;
mod console_auth;
mod console_items;
mod control_api;
mod control_attributes;
mod control_coverage;
mod control_items;
mod control_openapi;
mod control_updates;
mod control_usage;
mod deploy;
mod findings;
mod gateway;
mod http1_differential;
mod keys;
mod mapping;
mod metrics;
mod readme;
mod roles;
mod sigv4_suite;
mod test_invoke;
mod wire;

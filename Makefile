# apigw: the two commands in the README are `make run` and `make test`.
# Both install what is missing first (scripts/setup), so they work on a fresh machine.

APIGW_DB ?= data/apigw.db
export APIGW_DB

.PHONY: run test setup setup-test build lint test-rust test-e2e

## Install what is missing, build in release mode, and start apigw.
run: build
	@echo "[run] starting apigw (console and gateway URLs below; Ctrl-C stops it)"
	./target/release/apigw serve

## Install what is missing and run every test: Rust (unit + integration) and Playwright in Chromium.
test: setup-test lint build test-rust test-e2e
	@echo "[test] all suites passed"

setup:
	@scripts/setup

setup-test:
	@scripts/setup --test

## The release server binary plus the hydrated console (wasm, JS, CSS) in target/site.
build: setup
	@echo "[build] cargo leptos build --release --split (server binary and the wasm bundle, split per page)"
	scripts/cargo leptos build --release --split
	@scripts/bundle-size target/site/pkg

## Formatting and lints: rustfmt's check and clippy with warnings as errors.
## (`app` is linted through the server, with its `ssr` feature: its two features never build together.)
lint: setup
	@echo "[test] cargo fmt --check and cargo clippy -D warnings"
	cargo fmt --all --check
	scripts/cargo clippy -p apigw-server -p apigw-tests -p bench-upstream --tests -- -D warnings

test-rust:
	@echo "[test] Rust unit and integration tests (release profile, sharing the build above)"
	scripts/cargo test --release --workspace

test-e2e:
	@echo "[test] Playwright end-to-end tests in Debian's Chromium"
	cd end2end && npx playwright test

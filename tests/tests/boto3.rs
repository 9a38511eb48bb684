//! boto3 (the Python SDK, on its own botocore) drives the control API as
//! Terraform's provider does, one check group per `aws_api_gateway_*`
//! resource: `tests/boto3/terraform_resources.py`, run against a real
//! server on port 0 with a real access key. Installed by `scripts/setup --test`.

use std::path::PathBuf;
use std::process::Command;

use apigw_tests::TestServer;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the script's check groups (all when `groups` is empty) and returns
/// (success, its output).
async fn run(s: &TestServer, groups: &[&str]) -> (bool, String) {
    let python = root().join(".venv/bin/python");
    assert!(python.exists(), "{} not found; run scripts/setup --test", python.display());
    s.setup_admin("admin").await;
    let key = apigw_server::admin_create_access_key(&s.db, "admin", "boto3 test").await.unwrap();
    let mut cmd = Command::new(python);
    cmd.arg(root().join("tests/boto3/terraform_resources.py"))
        .args(groups)
        .env("APIGW_ENDPOINT", &s.console)
        .env("APIGW_GATEWAY", &s.gateway)
        .env("AWS_ACCESS_KEY_ID", &key.access_key_id)
        .env("AWS_SECRET_ACCESS_KEY", &key.secret_access_key)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("python runs")).await.unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test]
async fn boto3_drives_every_terraform_resource_as_aws_answers() {
    let s = TestServer::start().await;
    let (ok, out) = run(&s, &[]).await;
    println!("{out}");
    assert!(ok, "boto3 checks failed:\n{out}");
}

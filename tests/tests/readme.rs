//! The README's five-minute walkthrough, run as written: its `sh` blocks in
//! order, in bash, against a fresh server on a fresh database, with the
//! release binary and the AWS CLI the setup script installs. Only what a
//! reader substitutes by hand is substituted: the ports (the test server's
//! are free ones) and the `…` placeholders, filled from the output of the
//! command just before them, as the README tells the reader to.

use std::path::PathBuf;
use std::process::Command;

use apigw_tests::TestServer;
use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `sh` blocks of the README's walkthrough section, in order.
fn walkthrough_blocks(readme: &str) -> Vec<String> {
    let start = readme.find("## Five-minute walkthrough").expect("the README has a walkthrough section");
    let rest = &readme[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let section = &rest[..end];
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in section.lines() {
        let trimmed = line.trim_start();
        match (&mut current, trimmed) {
            (None, "```sh") => current = Some(Vec::new()),
            (Some(lines), "```") => {
                blocks.push(lines.join("\n"));
                let _ = lines;
                current = None;
            }
            (Some(lines), _) => lines.push(trimmed.to_string()),
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "an sh block of the walkthrough is not closed");
    blocks
}

/// A placeholder name and where its value comes from in the previous
/// command's output: a `NAME=value` line, or a field of its JSON.
fn fill(name: &str) -> String {
    let json_field = match name {
        "KEY" => Some("id"),
        "VALUE" => Some("value"),
        _ => None,
    };
    match json_field {
        Some(field) => format!("{name}=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[\"{field}\"])' <<<\"$LAST\")"),
        None => format!("{name}=$(sed -n 's/^{name}=//p' <<<\"$LAST\")"),
    }
}

/// The walkthrough as one bash script: each line whose next (non-comment)
/// line holds a `…` placeholder keeps its output in `$LAST` (and still
/// prints it), and the placeholder line takes its values from there.
fn script(blocks: &[String], console: &str, gateway: &str) -> String {
    let text = blocks.join("\n").replace("http://127.0.0.1:3000", console).replace("http://127.0.0.1:8080", gateway);
    let lines: Vec<&str> = text.lines().collect();
    let mut out = vec!["set -euo pipefail".to_string()];
    let code = |l: &str| l.split(" #").next().unwrap_or("").trim().to_string();
    for (i, line) in lines.iter().enumerate() {
        let next_has_placeholder = lines[i + 1..].iter().find(|l| !l.trim().starts_with('#')).is_some_and(|l| code(l).contains('…'));
        let this = code(line);
        if this.contains('…') {
            let mut filled = Vec::new();
            for token in this.split_whitespace().filter(|t| *t != "export") {
                let name = token.strip_suffix("=…").unwrap_or_else(|| panic!("placeholder '{token}' in '{line}' is not NAME=…"));
                filled.push(fill(name));
                if this.starts_with("export ") {
                    filled.push(format!("export {name}"));
                }
                filled.push(format!("test -n \"${name}\" || {{ echo 'placeholder {name} not found in the output above' >&2; exit 3; }}"));
            }
            out.extend(filled);
        } else if next_has_placeholder {
            assert!(!this.ends_with('\\'), "the command before a placeholder must be one line: {line}");
            out.push(format!("LAST=$({this})"));
            out.push("echo \"$LAST\"".into());
        } else {
            out.push(line.to_string());
        }
    }
    out.join("\n") + "\n"
}

#[tokio::test]
async fn the_readme_walkthrough_runs_as_written() {
    let root = repo();
    let bin = root.join("target/release/apigw");
    assert!(bin.exists(), "{} is missing: the walkthrough runs the release binary (`make build` builds it)", bin.display());
    let venv = root.join(".venv/bin");
    assert!(venv.join("aws").exists(), "the AWS CLI is missing from .venv; run scripts/setup --test");

    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = walkthrough_blocks(&readme);
    assert!(blocks.len() >= 3, "expected the walkthrough's sh blocks, found {}", blocks.len());

    // Step 1: the server and its first admin (the setup page's form).
    let s = TestServer::start().await;
    s.setup_admin("admin").await;
    let text = script(&blocks, &s.console, &s.gateway);

    let path = format!("{}:{}", venv.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(&text)
        .current_dir(&root)
        .env("APIGW_DB", &s.db)
        .env("PATH", path)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_PAGER", "")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN");
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("bash runs")).await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "the walkthrough failed\n--- script\n{text}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");

    // What the README says each step shows.
    assert!(stdout.contains("HTTP/1.1 403"), "the first curl is refused without a key:\n{stdout}");
    assert!(stdout.contains(r#"{"message":"Forbidden"}"#), "{stdout}");
    assert!(stdout.contains("\n200\n200\n429\n"), "two calls within the quota, the third over it:\n{stdout}");
    let usage_at = stdout.rfind("\"items\"").expect("get-usage printed its items");
    let usage_start = stdout[..usage_at].rfind('{').unwrap();
    let usage: Value = serde_json::from_str(&stdout[usage_start..]).unwrap_or_else(|e| panic!("get-usage output: {e}\n{stdout}"));
    let items = usage["items"].as_object().unwrap();
    assert_eq!(items.len(), 1, "{usage}");
    assert_eq!(items.values().next().unwrap(), &serde_json::json!([[2, 0]]), "per key and day [used, remaining]");
    s.stop().await;
}

#[test]
fn placeholders_take_the_previous_output() {
    let blocks = vec!["cmd --make-key   # prints it\nexport A_B=… C_D=…    # the values\nKEY=…  VALUE=…\nnext".to_string()];
    let s = script(&blocks, "http://c", "http://g");
    assert!(s.contains("LAST=$(cmd --make-key)"), "{s}");
    assert!(s.contains("A_B=$(sed -n 's/^A_B=//p' <<<\"$LAST\")\nexport A_B"), "{s}");
    assert!(s.contains("KEY=$(python3 -c"), "{s}");
    assert!(s.contains("[\"value\"]"), "{s}");
    assert!(s.ends_with("next\n"), "{s}");
}

//! The `apigw` binary itself: help, the admin subcommand, serving on port 0
//! and a graceful stop on SIGTERM.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_apigw");

#[test]
fn help_names_the_flags_and_their_variables() {
    let out = Command::new(BIN).arg("serve").arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in ["--console-addr", "APIGW_CONSOLE_ADDR", "--gateway-addr", "APIGW_GATEWAY_ADDR", "--db", "APIGW_DB"] {
        assert!(text.contains(needle), "help lacks {needle}:\n{text}");
    }
}

#[test]
fn create_user_reads_the_password_from_env_or_stdin_and_checks_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.db");
    let out = Command::new(BIN)
        .args(["admin", "create-user", "--username", "ops", "--db"])
        .arg(&db)
        .env("APIGW_ADMIN_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Created console user 'ops'"));

    let mut child = Command::new(BIN)
        .args(["admin", "create-user", "--username", "dev"])
        .env("APIGW_DB", &db)
        .env_remove("APIGW_ADMIN_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"short\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "a short password is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 12 characters"));
}

#[test]
fn serve_prints_both_urls_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--console-addr", "127.0.0.1:0", "--gateway-addr", "127.0.0.1:0"])
        .env("APIGW_DB", dir.path().join("data/apigw.db"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut console = None;
    let mut gateway = None;
    while console.is_none() || gateway.is_none() {
        let line = lines.next().expect("server printed its URLs").unwrap();
        if let Some(u) = line.trim().strip_prefix("console: ") {
            console = Some(u.to_string());
        }
        if let Some(u) = line.trim().strip_prefix("gateway: ") {
            gateway = Some(u.to_string());
        }
    }
    for base in [console.unwrap(), gateway.unwrap()] {
        let addr = base.trim_start_matches("http://").to_string();
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut resp = String::new();
        std::io::Read::read_to_string(&mut s, &mut resp).unwrap();
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    }
    assert!(dir.path().join("data/apigw.db").exists());

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let start = Instant::now();
    loop {
        if let Some(code) = child.try_wait().unwrap() {
            assert!(code.success(), "exit after SIGTERM: {code}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "server did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

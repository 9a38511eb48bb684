//! The gateway against a real upstream (the echo server): routing, proxying,
//! stage variables, timeouts, dead and broken backends, body limits, mocks,
//! Host-based URLs, deployment immutability, rollback, and zero failed
//! requests while redeploying under load.

use std::time::{Duration, Instant};

use apigw_tests::echo::{broken_backend, dead_backend, Echo};
use apigw_tests::gw::Ctl;
use apigw_tests::TestServer;
use serde_json::{json, Value};

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn get_json(url: &str) -> (u16, Value) {
    let res = client().get(url).send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn assert_aws_error(res: reqwest::Response, status: u16, kind: &str, message: &str) {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(res.headers()["x-amzn-errortype"], kind);
    assert!(res.headers().contains_key("x-amzn-requestid"));
    assert_eq!(res.headers()["content-type"], "application/json");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, json!({"message": message}));
}

#[tokio::test]
async fn routes_most_specific_first_and_proxies_everything() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("shop").await;
    let e = echo.host();
    ctl.method(&api, &root, "GET", false, Ctl::proxy(&format!("http://{e}/root"), "GET")).await;
    let pets = ctl.resource(&api, &root, "pets").await;
    ctl.method(&api, &pets, "GET", false, Ctl::proxy(&format!("http://{e}/list"), "GET")).await;
    ctl.method(&api, &pets, "POST", false, Ctl::proxy(&format!("http://{e}/create"), "POST")).await;
    let pet = ctl.resource(&api, &pets, "{id}").await;
    ctl.method(&api, &pet, "GET", false, Ctl::proxy(&format!("http://{e}/pets/{{id}}"), "GET")).await;
    let mine = ctl.resource(&api, &pets, "mine").await;
    ctl.method(&api, &mine, "GET", false, Ctl::proxy(&format!("http://{e}/mine"), "GET")).await;
    let toys = ctl.resource(&api, &pet, "toys").await;
    ctl.method(&api, &toys, "GET", false, Ctl::proxy(&format!("http://{e}/pets/{{id}}/toys"), "GET")).await;
    let files = ctl.resource(&api, &root, "files").await;
    let greedy = ctl.resource(&api, &files, "{path+}").await;
    ctl.method(&api, &greedy, "ANY", false, Ctl::proxy(&format!("http://{e}/store"), "ANY")).await;
    ctl.deploy(&api, "dev").await;

    let path_of = |v: &Value| v["path"].as_str().unwrap().to_string();
    for (url, want) in [
        ("/", "/root"),
        ("/pets", "/list"),
        ("/pets/", "/list"),
        ("/pets/42", "/pets/42"),
        ("/pets/mine", "/mine"),
        ("/pets/mine/toys", "/pets/mine/toys"),
        ("/pets/7/toys", "/pets/7/toys"),
        ("/files/a/b/c.txt", "/store/a/b/c.txt"),
    ] {
        let (status, v) = get_json(&ctl.invoke(&api, "dev", url)).await;
        assert_eq!(status, 200, "{url}");
        assert_eq!(path_of(&v), want, "{url}");
    }
    // ANY with integrationHttpMethod ANY passes the caller's verb.
    let v: Value = client().delete(ctl.invoke(&api, "dev", "/files/x")).send().await.unwrap().json().await.unwrap();
    assert_eq!((v["method"].as_str(), v["path"].as_str()), (Some("DELETE"), Some("/store/x")));

    // No route, no method, greedy not matching its parent, unknown stage or api.
    for url in [
        ctl.invoke(&api, "dev", "/cats"),
        ctl.invoke(&api, "dev", "/files"),
        ctl.invoke(&api, "dev", "/pets/1/toys/2"),
        ctl.invoke(&api, "prod", "/pets"),
        ctl.invoke("nosuchapi0", "dev", "/pets"),
        format!("{}/onlyonesegment", s.gateway),
    ] {
        assert_aws_error(
            client().get(&url).send().await.unwrap(),
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        )
        .await;
    }
    let res = client().put(ctl.invoke(&api, "dev", "/pets")).send().await.unwrap();
    assert_aws_error(res, 403, "MissingAuthenticationTokenException", "Missing Authentication Token").await;

    // Proxy details: verb, query, headers (hop-by-hop removed, X-Forwarded-* added), body.
    let res = client()
        .post(format!("{}?color=brown&tag=a&tag=b", ctl.invoke(&api, "dev", "/pets")))
        .header("x-custom", "kept")
        .header("connection", "x-private")
        .header("x-private", "dropped")
        .header("x-forwarded-for", "10.1.2.3")
        .header("content-type", "application/json")
        .body(r#"{"name":"rex"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-echo"], "yes", "backend headers come back");
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["path"], "/create");
    assert_eq!(v["query"], "color=brown&tag=a&tag=b");
    assert_eq!(v["body"], r#"{"name":"rex"}"#);
    let h = &v["headers"];
    assert_eq!(h["x-custom"], "kept");
    assert!(h.get("x-private").is_none(), "headers named by Connection are hop-by-hop");
    assert_eq!(h["x-forwarded-for"], "10.1.2.3, 127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["x-forwarded-host"], s.gateway.trim_start_matches("http://"));
    assert_eq!(h["host"], e, "Host is the backend's");
    assert_eq!(h["content-type"], "application/json");

    // Host-based invoke URL.
    let host = format!("{api}.execute-api.localhost");
    let res = client().get(format!("{}/dev/pets/9", s.gateway)).header("host", &host).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["path"], "/pets/9");
    assert_eq!(v["headers"]["x-forwarded-host"], host);
    assert_eq!(echo.hits(), 11, "every routed request reached the backend once; refused ones never did");
}

#[tokio::test]
async fn backend_statuses_timeouts_and_failures() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("failures").await;
    let slow = ctl.resource(&api, &root, "slow").await;
    ctl.method(
        &api,
        &slow,
        "GET",
        false,
        json!({"type": "HTTP_PROXY", "httpMethod": "GET", "uri": format!("http://{}/slow", echo.host()), "timeoutInMillis": 300}),
    )
    .await;
    let dead = ctl.resource(&api, &root, "dead").await;
    ctl.method(&api, &dead, "GET", false, Ctl::proxy(&format!("http://{}/x", dead_backend().await), "GET")).await;
    let broken = ctl.resource(&api, &root, "broken").await;
    ctl.method(&api, &broken, "GET", false, Ctl::proxy(&format!("http://{}/x", broken_backend().await), "GET")).await;
    let ok = ctl.resource(&api, &root, "ok").await;
    ctl.method(&api, &ok, "POST", false, Ctl::proxy(&format!("http://{}/ok", echo.host()), "POST")).await;
    ctl.deploy(&api, "dev").await;

    // The backend's own error statuses pass through untouched.
    let res = client().get(ctl.invoke(&api, "dev", "/slow")).header("x-echo-status", "503").send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(res.headers().get("x-amzn-errortype").is_none());

    let started = Instant::now();
    let res = client().get(ctl.invoke(&api, "dev", "/slow")).header("x-echo-delay-ms", "2000").send().await.unwrap();
    let waited = started.elapsed();
    assert_aws_error(res, 504, "IntegrationTimeoutException", "Endpoint request timed out").await;
    assert!(waited >= Duration::from_millis(280) && waited < Duration::from_millis(1500), "timed out after {waited:?}");
    // Under the limit is fine.
    let res = client().get(ctl.invoke(&api, "dev", "/slow")).header("x-echo-delay-ms", "50").send().await.unwrap();
    assert_eq!(res.status(), 200);
    // One keep-alive connection across methods with different limits (29 s
    // and 300 ms): the connection's one timer moves later and earlier.
    let one = client();
    for (verb, path, delay, want) in [
        ("POST", "/ok", "0", 200),
        ("GET", "/slow", "2000", 504),
        ("GET", "/slow", "50", 200),
        ("POST", "/ok", "0", 200),
        ("GET", "/slow", "2000", 504),
    ] {
        let started = Instant::now();
        let req = one.request(verb.parse().unwrap(), ctl.invoke(&api, "dev", path)).header("x-echo-delay-ms", delay);
        let res = req.send().await.unwrap();
        let waited = started.elapsed();
        assert_eq!(res.status(), want, "{verb} {path} after {delay} ms");
        if want == 504 {
            assert!(waited >= Duration::from_millis(280) && waited < Duration::from_millis(1500), "timed out after {waited:?}");
        }
        res.bytes().await.unwrap();
    }

    assert_aws_error(
        client().get(ctl.invoke(&api, "dev", "/dead")).send().await.unwrap(),
        502,
        "InternalServerErrorException",
        "Internal server error",
    )
    .await;
    assert_aws_error(
        client().get(ctl.invoke(&api, "dev", "/broken")).send().await.unwrap(),
        502,
        "InternalServerErrorException",
        "Internal server error",
    )
    .await;

    // Bodies over 10 MB: refused up front when declared, cut off when streamed.
    let before = echo.hits();
    let big = vec![b'x'; 10 * 1024 * 1024 + 1];
    let res = client().post(ctl.invoke(&api, "dev", "/ok")).body(big.clone()).send().await.unwrap();
    assert_aws_error(res, 413, "RequestTooLongException", "Request Too Long").await;
    assert_eq!(echo.hits(), before, "a declared oversize body never reaches the backend");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big.chunks(1024 * 1024).map(|c| Ok(c.to_vec())).collect();
    let res = client()
        .post(ctl.invoke(&api, "dev", "/ok"))
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    // Exactly 10 MB is allowed.
    let res = client().post(ctl.invoke(&api, "dev", "/ok")).body(vec![b'y'; 10 * 1024 * 1024]).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["bodyLength"], 10 * 1024 * 1024);
}

#[tokio::test]
async fn https_backends_are_verified_with_the_configured_ca() {
    let (echo, ca_pem) = Echo::start_tls().await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("backend-ca.pem");
    std::fs::write(&ca_file, &ca_pem).unwrap();
    let uri = format!("https://localhost:{}/secure", echo.addr.port());

    // Trusting the test CA: the call goes through over TLS.
    let s = TestServer::start_with(&dir.path().join("a.db"), Some(ca_file.clone())).await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("tls").await;
    ctl.method(&api, &root, "GET", false, Ctl::proxy(&uri, "GET")).await;
    ctl.deploy(&api, "dev").await;
    let (status, v) = get_json(&ctl.invoke(&api, "dev", "/?q=1")).await;
    assert_eq!(status, 200);
    assert_eq!((v["path"].as_str(), v["query"].as_str()), (Some("/secure"), Some("q=1")));
    assert_eq!(echo.hits(), 1);

    // Without it, the certificate is not trusted: 502, and no request reached the backend.
    let s2 = TestServer::start_with(&dir.path().join("b.db"), None).await;
    let ctl2 = Ctl::new(&s2).await;
    let (api2, root2) = ctl2.api("tls").await;
    ctl2.method(&api2, &root2, "GET", false, Ctl::proxy(&uri, "GET")).await;
    ctl2.deploy(&api2, "dev").await;
    let res = client().get(ctl2.invoke(&api2, "dev", "/")).send().await.unwrap();
    assert_aws_error(res, 502, "InternalServerErrorException", "Internal server error").await;
    assert_eq!(echo.hits(), 1);
}

#[tokio::test]
async fn a_bad_backend_ca_file_stops_start_up_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("not-a-ca.pem");
    std::fs::write(&bad, "hello").unwrap();
    let opts =
        apigw_server::ServeOptions { backend_ca_file: Some(bad), ..apigw_server::ServeOptions::on_free_ports(&dir.path().join("x.db")) };
    let err = apigw_server::Server::bind(&opts).await.err().expect("refused").to_string();
    assert!(err.contains("backend CA file") && err.contains("no PEM certificate"), "{err}");
}

/// Cores in a `Cpus_allowed_list` ("0-1", "0,2-3", "5").
#[cfg(target_os = "linux")]
fn cores(list: &str) -> Vec<usize> {
    list.split(',')
        .flat_map(|part| match part.split_once('-') {
            Some((a, b)) => (a.parse::<usize>().unwrap()..=b.parse().unwrap()).collect::<Vec<_>>(),
            None => vec![part.parse().unwrap()],
        })
        .collect()
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn gateway_worker_threads_are_pinned_one_per_core() {
    use apigw_server::gateway::affinity;
    let server = TestServer::start().await;
    // An answer from the gateway means its worker threads are up.
    reqwest::get(format!("{}/nothing/here", server.gateway)).await.expect("the gateway answers");
    let workers = apigw_server::gateway::worker_count();
    let plan = affinity::plan(true, workers, affinity::allowed_cpus().as_deref());
    // Every gateway worker of every server in this test process (tests run side by side).
    // A worker of another test's server that is starting right now carries its name a
    // moment before it pins itself, so the check is retried until it holds (or 5 s pass).
    let check = || -> Result<usize, String> {
        let mut seen = 0;
        for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let Ok(name) = std::fs::read_to_string(task.path().join("comm")) else { continue };
            let Some(i) = name.trim().strip_prefix("apigw-gw-").and_then(|i| i.parse::<usize>().ok()) else { continue };
            let Ok(status) = std::fs::read_to_string(task.path().join("status")) else { continue };
            let list = status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).unwrap().trim();
            match &plan {
                Some(plan) if cores(list) != vec![plan[i]] => {
                    return Err(format!("worker {i} should run on core {} alone, runs on {list}", plan[i]))
                }
                None if Some(cores(list)) != affinity::allowed_cpus() => return Err(format!("worker {i} should float, runs on {list}")),
                _ => {}
            }
            seen += 1;
        }
        Ok(seen)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let seen = loop {
        match check() {
            Ok(seen) => break seen,
            Err(e) if std::time::Instant::now() > deadline => panic!("{e}"),
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    };
    assert!(seen >= workers, "found {seen} gateway worker threads, expected at least {workers}");
    server.stop().await;
}

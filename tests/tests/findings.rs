//! Issue 34's findings, one regression test each, over real sockets against
//! the real server: callers written byte by byte ([`Wire`]) and backends
//! that misbehave on purpose ([`Backend`], a hand-written HTTP/1.1 server
//! on 127.0.0.1:0 that records exactly what it received). Every read is
//! bounded in time, so a gateway that hangs fails instead of hanging.
//!
//! Finding 7's configuration rules (a MOCK or method response status of
//! 100/101, a `rateLimit` of 1e-10) are covered by `config_rules.rs`
//! (`response_status_codes_must_be_final_statuses`,
//! `usage_plan_throttles_must_stay_in_range`,
//! `stage_throttles_must_stay_in_range`) and are not repeated here.

use std::time::{Duration, Instant};

use apigw_server::ServeOptions;
use apigw_tests::echo::Echo;
use apigw_tests::gw::Ctl;
use apigw_tests::raw::{ok, Act, Answer, Backend, Received, Wire};
use apigw_tests::TestServer;
use futures_util::future::join_all;
use serde_json::Value;

/// Every gateway timeout at one second, the flags' smallest value.
fn one_second_timeouts(o: &mut ServeOptions) {
    let s = Duration::from_secs(1);
    o.timeouts = apigw_server::gateway::http1::Timeouts { head: s, idle: s, body: s, send: s };
}

/// `--max-connections 20`.
fn twenty_connections(o: &mut ServeOptions) {
    o.max_connections = 20;
}

/// Deploys (stage `prod`) an API whose every path (`/{proxy+}`, ANY) is
/// proxied to `backend` with the same path, plus a MOCK `GET /`.
async fn proxy_everything(ctl: &Ctl<'_>, backend: &str) -> String {
    let (api, root) = ctl.api("findings").await;
    let all = ctl.resource(&api, &root, "{proxy+}").await;
    ctl.method(&api, &all, "ANY", false, Ctl::proxy(&format!("http://{backend}/{{proxy}}"), "ANY")).await;
    ctl.mock(&api, &root, "GET", 200, "{\"mock\":true}").await;
    ctl.deploy(&api, "prod").await;
    api
}

fn get(api: &str, path: &str) -> String {
    format!("GET /{api}/prod{path} HTTP/1.1\r\nhost: gw\r\n\r\n")
}

/// A whole response of an attacker's, with a cookie, that a broken backend
/// leaves on its connection.
const FAKE: &str = "HTTP/1.1 200 OK\r\nset-cookie: session=attacker\r\ncontent-type: text/plain\r\ncontent-length: 8\r\n\r\nATTACKER";

/// The caller got its own answer: the backend's echo of its path, and
/// nothing of the attacker's.
fn own(a: &Answer, path: &str) {
    assert!(a.header("set-cookie").is_none(), "the attacker's cookie reached the caller of {path}: {a:?}");
    assert_eq!((a.status, a.text().as_str()), (200, path), "the caller of {path} got someone else's answer: {a:?}");
}

/// Sends `GET {path}` on a fresh connection and checks the caller gets its own answer.
async fn own_get(gateway: &str, api: &str, path: &str) {
    let mut w = Wire::connect(gateway).await;
    w.send(get(api, path)).await;
    own(&w.answer(false).await, path);
}

// --- Finding 1: a response reaches only its own caller -----------------------

/// A backend that answers `HEAD` with the length a GET would have and then,
/// wrongly, sends that many bytes — a whole fake response with a cookie —
/// with the head, or 50 ms after it. The gateway must not reuse that
/// connection: every later caller, one after another or many at once, gets
/// the answer to its own request and never the attacker's cookie.
///
/// After a late body, callers come 200 ms later: a request that takes the
/// connection before the stray bytes arrive cannot tell them from its
/// response (no HTTP/1.1 client can), so that race is not tested.
#[tokio::test]
async fn f1_a_body_sent_after_a_head_answer_never_reaches_another_caller() {
    let backend = Backend::start(|r: &Received| {
        let head = format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n", FAKE.len());
        match r.method.as_str() {
            "HEAD" if r.target.starts_with("/late") => vec![Act::write(head), Act::Sleep(Duration::from_millis(50)), Act::write(FAKE)],
            "HEAD" => vec![Act::Write(format!("{head}{FAKE}").into_bytes())],
            _ => vec![Act::Write(ok(&r.target))],
        }
    })
    .await;
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let api = proxy_everything(&ctl, &backend.addr).await;
    let head = |path: &str| format!("HEAD /{api}/prod{path} HTTP/1.1\r\nhost: gw\r\n\r\n");

    // Well-behaved answers share one backend connection (else this test
    // would prove nothing about the pool).
    let mut w = Wire::connect(&s.gateway).await;
    for i in 0..5 {
        w.send(get(&api, &format!("/warm{i}"))).await;
        own(&w.answer(false).await, &format!("/warm{i}"));
    }
    assert_eq!(backend.connections(), 1, "the gateway reuses a backend connection");

    // One caller, HEAD then GETs, over and over on one connection.
    for i in 0..16 {
        let late = i % 2 == 1;
        w.send(head(&format!("/{}{i}", if late { "late" } else { "now" }))).await;
        let h = w.answer(true).await;
        assert_eq!(h.status, 200, "{h:?}");
        assert_eq!(h.header("content-length"), Some(FAKE.len().to_string().as_str()), "the HEAD keeps the backend's length: {h:?}");
        if late {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for j in 0..2 {
            let path = format!("/seq{i}-{j}");
            w.send(get(&api, &path)).await;
            own(&w.answer(false).await, &path);
        }
    }
    assert_eq!(w.fill_within(Duration::from_millis(200)).await, None, "nothing more came: {:?}", String::from_utf8_lossy(&w.buf));

    // Many callers at once, each on its own connection, HEADs (body with
    // the head) and GETs mixed freely.
    let callers = (0..16).map(|c| {
        let (gateway, api) = (s.gateway.clone(), api.clone());
        async move {
            let mut w = Wire::connect(&gateway).await;
            for i in 0..10 {
                w.send(format!("HEAD /{api}/prod/now{c}-{i} HTTP/1.1\r\nhost: gw\r\n\r\n")).await;
                assert_eq!(w.answer(true).await.status, 200);
                let path = format!("/c{c}-{i}");
                w.send(get(&api, &path)).await;
                own(&w.answer(false).await, &path);
            }
        }
    });
    join_all(callers.map(tokio::spawn)).await.into_iter().for_each(|r| r.expect("a caller"));

    // Several HEADs at once whose bodies come late, then many GETs at once.
    for round in 0..2 {
        let heads = (0..8).map(|i| {
            let (gateway, api) = (s.gateway.clone(), api.clone());
            tokio::spawn(async move {
                let mut w = Wire::connect(&gateway).await;
                w.send(format!("HEAD /{api}/prod/late{round}-{i} HTTP/1.1\r\nhost: gw\r\n\r\n")).await;
                assert_eq!(w.answer(true).await.status, 200);
            })
        });
        join_all(heads).await.into_iter().for_each(|r| r.expect("a caller"));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let gets = (0..24).map(|i| {
            let (gateway, api) = (s.gateway.clone(), api.clone());
            tokio::spawn(async move { own_get(&gateway, &api, &format!("/r{round}-{i}")).await })
        });
        join_all(gets).await.into_iter().for_each(|r| r.expect("a caller"));
    }

    let got = backend.received();
    assert_eq!(got.iter().filter(|r| r.method == "GET").count(), 5 + 16 * 2 + 16 * 10 + 2 * 24, "every GET reached the backend once");
}

/// A backend that sends stray bytes after a `204` — a body at once, or a
/// whole fake response 50 ms later. Callers that come after them (here
/// 200 ms later, one by one and many at once) get their own answers.
///
/// A request that takes the connection within those 50 ms is not tested:
/// bytes that arrive after the request was written cannot be told from its
/// response by any HTTP/1.1 client.
#[tokio::test]
async fn f1_stray_bytes_after_a_204_never_reach_another_caller() {
    let backend = Backend::start(|r: &Received| {
        if r.target.starts_with("/late") {
            vec![Act::write("HTTP/1.1 204 No Content\r\n\r\n"), Act::Sleep(Duration::from_millis(50)), Act::write(FAKE)]
        } else if r.target.starts_with("/body") {
            vec![Act::Write(format!("HTTP/1.1 204 No Content\r\n\r\n{FAKE}").into_bytes())]
        } else {
            vec![Act::Write(ok(&r.target))]
        }
    })
    .await;
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let api = proxy_everything(&ctl, &backend.addr).await;

    let mut w = Wire::connect(&s.gateway).await;
    for i in 0..6 {
        let stray = if i % 2 == 0 { "/late" } else { "/body" };
        w.send(get(&api, &format!("{stray}{i}"))).await;
        let a = w.answer(false).await;
        assert_eq!(a.status, 204, "{a:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        for j in 0..3 {
            let path = format!("/seq{i}-{j}");
            w.send(get(&api, &path)).await;
            own(&w.answer(false).await, &path);
        }
    }
    assert_eq!(w.fill_within(Duration::from_millis(100)).await, None, "nothing more came: {:?}", String::from_utf8_lossy(&w.buf));

    // Several 204s at once (each leaving stray bytes on its connection), then many GETs at once.
    for round in 0..3 {
        let nocontent = (0..8).map(|i| {
            let (gateway, api) = (s.gateway.clone(), api.clone());
            tokio::spawn(async move {
                let mut w = Wire::connect(&gateway).await;
                w.send(get(&api, &format!("/{}{round}-{i}", if i % 2 == 0 { "late" } else { "body" }))).await;
                assert_eq!(w.answer(false).await.status, 204);
            })
        });
        join_all(nocontent).await.into_iter().for_each(|r| r.expect("a caller"));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let gets = (0..24).map(|i| {
            let (gateway, api) = (s.gateway.clone(), api.clone());
            tokio::spawn(async move { own_get(&gateway, &api, &format!("/r{round}-{i}")).await })
        });
        join_all(gets).await.into_iter().for_each(|r| r.expect("a caller"));
    }
}

// --- Finding 2: request bodies keep their framing ----------------------------

/// A backend that reads bodies by `Content-Length` only (as Python's
/// http.server does) gets every body whole, with its length and without
/// `Transfer-Encoding`, whatever framing the caller used, through HTTP_PROXY
/// and HTTP integrations alike.
#[tokio::test]
async fn f2_request_bodies_reach_the_backend_whole_with_their_length() {
    let backend =
        Backend::start(|r: &Received| vec![Act::Write(ok(format!("read {}: {}", r.body.len(), String::from_utf8_lossy(&r.body))))]).await;
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("framing").await;
    let proxied = ctl.resource(&api, &root, "proxied").await;
    ctl.method(&api, &proxied, "ANY", false, Ctl::proxy(&format!("http://{}/proxied", backend.addr), "ANY")).await;
    let mapped = ctl.resource(&api, &root, "mapped").await;
    ctl.method(
        &api,
        &mapped,
        "POST",
        false,
        serde_json::json!({"type": "HTTP", "httpMethod": "POST", "uri": format!("http://{}/mapped", backend.addr)}),
    )
    .await;
    ctl.deploy(&api, "prod").await;

    let fifteen = "fifteen bytes!!";
    assert_eq!(fifteen.len(), 15);
    let chunked = "6\r\nhello \r\n8\r\nchunked \r\n5;ext=1\r\nworld\r\n0\r\n\r\n";
    let cases = [
        ("proxied", format!("content-type: text/plain\r\ncontent-length: 15\r\n\r\n{fifteen}"), fifteen),
        ("mapped", format!("content-type: text/plain\r\ncontent-length: 15\r\n\r\n{fifteen}"), fifteen),
        ("proxied", format!("content-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n{chunked}"), "hello chunked world"),
        ("mapped", format!("content-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n{chunked}"), "hello chunked world"),
        ("proxied", "content-type: text/plain\r\n\r\n".to_string(), ""),
    ];
    for (n, (path, rest, body)) in cases.iter().enumerate() {
        let mut w = Wire::connect(&s.gateway).await;
        w.send(format!("POST /{api}/prod/{path} HTTP/1.1\r\nhost: gw\r\n{rest}")).await;
        let a = w.answer(false).await;
        assert_eq!((a.status, a.text()), (200, format!("read {}: {body}", body.len())), "case {n} ({path}): {a:?}");
        let got = backend.received();
        let r = got.last().expect("the backend got the request");
        assert_eq!((r.method.as_str(), r.target.as_str()), ("POST", format!("/{path}").as_str()), "case {n}");
        // Either kind names the API to the backend, as AWS does.
        assert_eq!(r.all("x-amzn-apigateway-api-id"), vec![api.as_str()], "case {n}: {}", r.head);
        assert_eq!(r.all("user-agent"), vec![format!("AmazonAPIGateway_{api}").as_str()], "case {n}: {}", r.head);
        assert_eq!(r.all("content-length"), vec![body.len().to_string().as_str()], "case {n}: one Content-Length, the body's: {}", r.head);
        assert!(r.all("transfer-encoding").is_empty(), "case {n}: no Transfer-Encoding: {}", r.head);
        assert_eq!(r.body, body.as_bytes(), "case {n}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = backend.received();
    assert_eq!(got.len(), cases.len(), "no leftover body bytes were taken for another request: {got:#?}");
}

// --- Finding 3: a backend that closes after answering -------------------------

/// A backend that closes each connection right after its answer, without
/// saying `Connection: close`: sequential POSTs and GETs all succeed, and
/// each reaches the backend exactly once.
#[tokio::test]
async fn f3_a_backend_that_closes_after_each_answer_is_no_502() {
    let backend = Backend::start(|r: &Received| {
        vec![Act::Write(ok(format!("{} {} {}", r.method, r.target, String::from_utf8_lossy(&r.body)))), Act::Close]
    })
    .await;
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let api = proxy_everything(&ctl, &backend.addr).await;

    let mut w = Wire::connect(&s.gateway).await;
    for i in 0..20 {
        w.send(format!("POST /{api}/prod/p{i} HTTP/1.1\r\nhost: gw\r\ncontent-length: 7\r\n\r\npost-{i:02}")).await;
        let a = w.answer(false).await;
        assert_eq!((a.status, a.text()), (200, format!("POST /p{i} post-{i:02}")), "POST {i}: {a:?}");
    }
    for i in 0..20 {
        w.send(get(&api, &format!("/g{i}"))).await;
        let a = w.answer(false).await;
        assert_eq!((a.status, a.text()), (200, format!("GET /g{i} ")), "GET {i}: {a:?}");
    }
    let got = backend.received();
    assert_eq!(got.len(), 40, "each request reached the backend once: {:?}", got.iter().map(|r| &r.target).collect::<Vec<_>>());
}

// --- Finding 4: timeouts and the connection cap -------------------------------

/// A request head that stops halfway, a connection that sends nothing, and
/// one that drips a byte at a time: each is closed after the head timeout
/// (1 s), counted from the head's first byte.
#[tokio::test]
async fn f4a_a_head_that_does_not_arrive_in_time_is_closed() {
    let s = TestServer::start_configured(one_second_timeouts).await;

    let mut half = Wire::connect(&s.gateway).await;
    half.send("GET /x/prod/y HTTP/1.1\r\nhost: gw\r\nx-half: ").await;
    let mut silent = Wire::connect(&s.gateway).await;
    let (a, b) = tokio::join!(half.closed_within(Duration::from_secs(4)), silent.closed_within(Duration::from_secs(4)));
    for (what, took) in [("half a head", a), ("no byte at all", b)] {
        let took = took.unwrap_or_else(|| panic!("{what}: still open after 4 s"));
        assert!(took >= Duration::from_millis(800), "{what}: closed after {took:?}, before the timeout");
    }

    // A byte every 200 ms keeps no head alive past the timeout.
    let mut drip = Wire::connect(&s.gateway).await;
    let started = Instant::now();
    let head = b"GET /x/prod/y HTTP/1.1\r\nhost: gw\r\nx-drip: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    let mut closed_after = None;
    for byte in head.iter() {
        if drip.s.try_write(std::slice::from_ref(byte)).is_err() {
            closed_after = Some(started.elapsed());
            break;
        }
        if drip.fill_within(Duration::from_millis(200)).await == Some(false) {
            closed_after = Some(started.elapsed());
            break;
        }
    }
    let took = closed_after.expect("the dripping caller was never closed");
    assert!(took < Duration::from_millis(2500), "closed only after {took:?}");
}

/// An idle keep-alive connection is closed after the idle timeout (1 s);
/// one in use, with pauses shorter than that, is not.
#[tokio::test]
async fn f4b_an_idle_keep_alive_connection_is_closed() {
    let s = TestServer::start_configured(one_second_timeouts).await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("idle").await;
    ctl.mock(&api, &root, "GET", 200, "{}").await;
    ctl.deploy(&api, "prod").await;

    let mut busy = Wire::connect(&s.gateway).await;
    for _ in 0..5 {
        busy.send(get(&api, "/")).await;
        assert_eq!(busy.answer(false).await.status, 200);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    busy.send(get(&api, "/")).await;
    assert_eq!(busy.answer(false).await.status, 200, "a connection in use for 2.5 s is still open");

    let took = busy.closed_within(Duration::from_secs(4)).await.expect("an idle connection is closed");
    assert!(took >= Duration::from_millis(800), "closed after {took:?}, before the idle timeout");
    assert!(busy.buf.is_empty(), "closed without a word: {:?}", String::from_utf8_lossy(&busy.buf));
}

/// A request body that stops arriving is answered 408 after the body
/// timeout (1 s), the connection closes, and the backend never sees it.
#[tokio::test]
async fn f4c_a_stalled_request_body_gets_408_and_the_connection_closes() {
    let backend = Backend::start(|r: &Received| vec![Act::Write(ok(&r.target))]).await;
    let s = TestServer::start_configured(one_second_timeouts).await;
    let ctl = Ctl::new(&s).await;
    let api = proxy_everything(&ctl, &backend.addr).await;

    for (framing, part) in [("content-length: 10", "abc"), ("transfer-encoding: chunked", "3\r\nabc\r\n")] {
        let mut w = Wire::connect(&s.gateway).await;
        let started = Instant::now();
        w.send(format!("POST /{api}/prod/slow HTTP/1.1\r\nhost: gw\r\n{framing}\r\n\r\n{part}")).await;
        let a = w.answer(false).await;
        assert_eq!(a.status, 408, "{framing}: {a:?}");
        assert_eq!(a.header("connection"), Some("close"), "{a:?}");
        assert!(started.elapsed() >= Duration::from_millis(800), "{framing}: 408 after {:?}", started.elapsed());
        assert!(w.closed_within(Duration::from_secs(3)).await.is_some(), "{framing}: the connection closes after the 408");
    }
    assert!(backend.received().is_empty(), "a stalled request never reaches the backend");
}

/// With `--max-connections 20` and 20 idle callers, the 21st is answered
/// 503 and closed; the console still answers meanwhile, and once the idle
/// callers leave, new ones are served.
#[tokio::test]
async fn f4d_past_the_connection_cap_a_caller_gets_503_and_the_console_still_answers() {
    let s = TestServer::start_configured(twenty_connections).await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("capped").await;
    ctl.mock(&api, &root, "GET", 200, "{}").await;
    ctl.deploy(&api, "prod").await;

    let mut idle = Vec::new();
    for _ in 0..20 {
        let mut w = Wire::connect(&s.gateway).await;
        w.send(get(&api, "/")).await;
        assert_eq!(w.answer(false).await.status, 200);
        idle.push(w);
    }
    for _ in 0..3 {
        let mut extra = Wire::connect(&s.gateway).await;
        let a = extra.answer(false).await;
        assert_eq!((a.status, a.header("x-amzn-errortype")), (503, Some("ServiceUnavailableException")), "{a:?}");
        assert!(extra.closed_within(Duration::from_secs(3)).await.is_some(), "the refused caller is closed");
    }
    let health =
        tokio::time::timeout(Duration::from_secs(5), reqwest::get(s.url("/healthz"))).await.expect("the console answers in time").unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");

    drop(idle);
    let started = Instant::now();
    loop {
        let mut w = Wire::connect(&s.gateway).await;
        w.send(get(&api, "/")).await;
        let a = w.answer(false).await;
        if a.status == 200 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(3), "still refused 3 s after the idle callers left: {a:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A backend whose body stops midway (by length or chunked) is cut off
/// after the send timeout (1 s): the caller's connection closes without a
/// complete body instead of hanging.
#[tokio::test]
async fn f4e_a_backend_body_that_stalls_is_cut_off() {
    let backend = Backend::start(|r: &Received| {
        let start = if r.target == "/length" {
            "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789"
        } else {
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n"
        };
        vec![Act::write(start), Act::Sleep(Duration::from_secs(20))]
    })
    .await;
    let s = TestServer::start_configured(one_second_timeouts).await;
    let ctl = Ctl::new(&s).await;
    let api = proxy_everything(&ctl, &backend.addr).await;

    let (mut length, mut chunked) = (Wire::connect(&s.gateway).await, Wire::connect(&s.gateway).await);
    length.send(get(&api, "/length")).await;
    chunked.send(get(&api, "/chunked")).await;
    let (a, b) = tokio::join!(length.closed_within(Duration::from_secs(5)), chunked.closed_within(Duration::from_secs(5)));
    for (what, took, w) in [("length", a, &length), ("chunked", b, &chunked)] {
        let got = String::from_utf8_lossy(&w.buf).into_owned();
        let took = took.unwrap_or_else(|| panic!("{what}: the caller still waits after 5 s; has {got:?}"));
        assert!(took >= Duration::from_millis(800), "{what}: cut after {took:?}");
        assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{what}: {got:?}");
        let body = &got[got.find("\r\n\r\n").expect("a whole head") + 4..];
        match what {
            "length" => assert_eq!(body, "0123456789", "the caller sees 10 of the 100 bytes and a close"),
            _ => assert_eq!(body, "5\r\nfirst\r\n", "no last chunk: the caller cannot take it for a whole body"),
        }
    }
}

// --- Finding 5: invented methods ----------------------------------------------

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// An upper-case method name of 4-12 letters that no API serves.
    fn method(&mut self) -> String {
        loop {
            let len = 4 + (self.next() % 9) as usize;
            let m: String = (0..len).map(|_| (b'A' + (self.next() % 26) as u8) as char).collect();
            if !["POST", "HEAD", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"].contains(&m.as_str()) {
                return m;
            }
        }
    }
}

/// What the metrics hold: (log_routes rows, distinct rollup keys, /metrics bytes).
async fn metric_sizes(s: &TestServer, api: &str, logged: i64) -> (i64, i64, usize) {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::ConnectOptions;
    let mut conn = SqliteConnectOptions::new().filename(&s.db).read_only(true).connect().await.unwrap();
    // Wait until the writer has stored the requests sent so far (the last one is a known GET).
    let started = Instant::now();
    loop {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_log WHERE api_id = ?1").bind(api).fetch_one(&mut conn).await.unwrap();
        if n >= logged {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the access log holds {n} rows, want {logged}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let routes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log_routes").fetch_one(&mut conn).await.unwrap();
    let keys: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT DISTINCT api_id, stage, resource, method FROM metric_rollups)")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    let prom = reqwest::get(s.url("/metrics")).await.unwrap().text().await.unwrap();
    (routes, keys, prom.len())
}

/// 2,000 requests with invented method names are each refused as AWS
/// refuses a method the API does not have, reach no backend, and leave the
/// access log's route table, the rollups and `/metrics` no bigger.
#[tokio::test]
async fn f5_invented_methods_are_refused_and_grow_no_metrics() {
    let echo = Echo::start().await;
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("methods").await;
    let any = ctl.resource(&api, &root, "any").await;
    ctl.method(&api, &any, "ANY", false, Ctl::proxy(&format!("http://{}/any", echo.host()), "ANY")).await;
    ctl.mock(&api, &root, "GET", 200, "{}").await;
    ctl.deploy(&api, "prod").await;

    assert_eq!(reqwest::get(ctl.invoke(&api, "prod", "/")).await.unwrap().status(), 200);
    let before = metric_sizes(&s, &api, 1).await;

    let seed = 0x9E37_79B9_7F4A_7C15 ^ std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64;
    let callers = (0..8u64).map(|c| {
        let (gateway, api) = (s.gateway.clone(), api.clone());
        tokio::spawn(async move {
            let mut rng = Rng(seed.wrapping_add(c.wrapping_mul(0x1000_0000_01B3)) | 1);
            let mut w = Wire::connect(&gateway).await;
            for _batch in 0..5 {
                let methods: Vec<String> = (0..50).map(|_| rng.method()).collect();
                let mut out = String::new();
                for (i, m) in methods.iter().enumerate() {
                    let path = ["/any", "/", "/nowhere"][i % 3];
                    out.push_str(&format!("{m} /{api}/prod{path} HTTP/1.1\r\nhost: gw\r\n\r\n"));
                }
                w.send(out).await;
                for m in &methods {
                    let a = w.answer(false).await;
                    assert_eq!(
                        (a.status, a.header("x-amzn-errortype"), a.text().as_str()),
                        (403, Some("MissingAuthenticationTokenException"), "{\"message\":\"Missing Authentication Token\"}"),
                        "method {m} (seed {seed:#x})"
                    );
                }
            }
        })
    });
    join_all(callers).await.into_iter().for_each(|r| r.expect("a caller"));
    assert_eq!(echo.hits(), 0, "no invented method reached the backend");

    assert_eq!(reqwest::get(ctl.invoke(&api, "prod", "/")).await.unwrap().status(), 200);
    let after = metric_sizes(&s, &api, 2).await;
    assert!(after.0 <= before.0 + 1, "log_routes grew from {} to {} rows", before.0, after.0);
    assert!(after.1 <= before.1 + 1, "the rollups went from {} to {} keys", before.1, after.1);
    assert!(after.2 <= before.2 + 4096, "/metrics grew from {} to {} bytes", before.2, after.2);
}

// --- Finding 6: dot segments --------------------------------------------------

/// A path with a `.` or `..` segment, plain or percent-encoded, is refused
/// with 400 and never forwarded; `a..b` (no dot segment) still is.
#[tokio::test]
async fn f6_dot_segments_are_refused_and_never_forwarded() {
    let echo = Echo::start().await;
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let (api, root) = ctl.api("dots").await;
    let files = ctl.resource(&api, &root, "files").await;
    let tail = ctl.resource(&api, &files, "{proxy+}").await;
    ctl.method(&api, &tail, "ANY", false, Ctl::proxy(&format!("http://{}/files/{{proxy}}", echo.host()), "ANY")).await;
    ctl.deploy(&api, "prod").await;

    let mut w = Wire::connect(&s.gateway).await;
    w.send(get(&api, "/files/x/a..b")).await;
    let a = w.answer(false).await;
    assert_eq!(a.status, 200, "{a:?}");
    assert_eq!(serde_json::from_slice::<Value>(&a.body).unwrap()["path"], "/files/x/a..b");
    assert_eq!(echo.hits(), 1);

    for path in [
        "/files/x/../../../admin",
        "/files/x/../admin?a=b",
        "/files/x/%2e%2e/%2e%2e/%2e%2e/admin",
        "/files/x/%2E%2E/admin",
        "/files/x/.%2e/admin",
        "/files/x/..%2f..%2f..%2fadmin",
        "/files/x/..%2F..%2Fadmin",
        "/files/x/%2e%2e%2fadmin",
        "/files/x/..%5cadmin",
        "/files/./x",
        "/files/x/..",
    ] {
        let mut w = Wire::connect(&s.gateway).await;
        w.send(get(&api, path)).await;
        let a = w.answer(false).await;
        assert_eq!((a.status, a.header("x-amzn-errortype")), (400, Some("BadRequestException")), "{path}: {a:?}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(echo.hits(), 1, "no path with a dot segment reached the backend");
}

// --- Finding 7: leniencies ----------------------------------------------------

/// What nginx refuses, the gateway refuses too, and none of it reaches the
/// backend: no Host, two Hosts, TRACE and CONNECT through an ANY method,
/// a lower-case method, a malformed chunk size. A header named with `_`
/// (`Transfer_Encoding`) is dropped, not forwarded.
#[tokio::test]
async fn f7_lenient_requests_are_refused_and_underscored_headers_dropped() {
    let backend =
        Backend::start(|r: &Received| vec![Act::Write(ok(format!("read {}: {}", r.body.len(), String::from_utf8_lossy(&r.body))))]).await;
    let s = TestServer::start().await;
    let ctl = Ctl::new(&s).await;
    let api = proxy_everything(&ctl, &backend.addr).await;
    let missing = (403, Some("MissingAuthenticationTokenException"));
    let bad = (400, Some("BadRequestException"));

    for (what, raw, want) in [
        ("no Host", format!("GET /{api}/prod/nohost HTTP/1.1\r\n\r\n"), bad),
        ("two Hosts", format!("GET /{api}/prod/twohosts HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n"), bad),
        ("TRACE", format!("TRACE /{api}/prod/trace HTTP/1.1\r\nhost: gw\r\n\r\n"), missing),
        ("lower-case get", format!("get /{api}/prod/lower HTTP/1.1\r\nhost: gw\r\n\r\n"), bad),
        ("CONNECT host:port", "CONNECT 127.0.0.1:443 HTTP/1.1\r\nhost: 127.0.0.1:443\r\n\r\n".to_string(), bad),
        ("CONNECT to a path", format!("CONNECT /{api}/prod/connect HTTP/1.1\r\nhost: gw\r\n\r\n"), missing),
        (
            "a chunk size that is not hex",
            format!("POST /{api}/prod/badchunk HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
            bad,
        ),
        (
            "a chunk size that overflows",
            format!("POST /{api}/prod/bigchunk HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\nfffffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
            bad,
        ),
    ] {
        let mut w = Wire::connect(&s.gateway).await;
        w.send(raw).await;
        let a = w.answer(false).await;
        assert_eq!((a.status, a.header("x-amzn-errortype")), want, "{what}: {a:?}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let got = backend.received();
    assert!(got.is_empty(), "refused requests reached the backend: {got:#?}");

    // `Transfer_Encoding: chunked` (and any `_` header) is dropped: the
    // backend gets the body by its length and no such header.
    let mut w = Wire::connect(&s.gateway).await;
    w.send(format!(
        "POST /{api}/prod/underscore HTTP/1.1\r\nhost: gw\r\ncontent-length: 5\r\nTransfer_Encoding: chunked\r\ntransfer_encoding: chunked\r\nX_Custom: 1\r\nx-kept: yes\r\n\r\nhello"
    ))
    .await;
    let a = w.answer(false).await;
    assert_eq!((a.status, a.text().as_str()), (200, "read 5: hello"), "{a:?}");
    let got = backend.received();
    assert_eq!(got.len(), 1, "{got:#?}");
    let r = &got[0];
    assert!(r.headers.iter().all(|(k, _)| !k.contains('_')), "a header named with '_' was forwarded: {}", r.head);
    assert!(r.all("transfer-encoding").is_empty(), "{}", r.head);
    assert_eq!(
        (r.all("content-length"), r.header("x-kept"), r.body.as_slice()),
        (vec!["5"], Some("yes"), b"hello".as_slice()),
        "{}",
        r.head
    );
}

//! The gateway on the wire, over raw TCP: pipelined and keep-alive
//! requests, heads that arrive in pieces, chunked request bodies,
//! `Expect: 100-continue`, HTTP/1.0, HEAD, `Connection: close`, malformed
//! heads, too many headers, HTTP/2 without TLS, streamed and cut-off
//! backend bodies, and closing with requests in hand — each answered
//! correctly and counted once. These pin the wire behaviour any change to
//! the listener (such as replacing hyper's server side) must keep.

use std::time::Duration;

use apigw_tests::echo::Echo;
use apigw_tests::gw::Ctl;
use apigw_tests::raw::Wire;
use apigw_tests::TestServer;
use reqwest::Method;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A deployed API with `/echo` (proxy to the echo server), a mock at `/`
/// and, given a backend of the test's own, `/raw` (proxy to it).
async fn setup<'a>(ctl: &Ctl<'a>, echo: &Echo, raw: Option<&str>) -> String {
    let (api, root) = ctl.api("wire").await;
    let e = ctl.resource(&api, &root, "echo").await;
    ctl.method(&api, &e, "ANY", false, Ctl::proxy(&format!("http://{}/echo", echo.host()), "ANY")).await;
    if let Some(raw) = raw {
        let r = ctl.resource(&api, &root, "raw").await;
        ctl.method(&api, &r, "GET", false, Ctl::proxy(&format!("http://{raw}/raw"), "GET")).await;
    }
    ctl.mock(&api, &root, "GET", 200, "{\"mock\":true}").await;
    ctl.deploy(&api, "dev").await;
    api
}

/// A backend that answers each connection's first request with `pieces`,
/// written `gap` apart.
async fn raw_backend(pieces: Vec<&'static str>, gap: Duration) -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let pieces = pieces.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                for p in pieces {
                    if s.write_all(p.as_bytes()).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(gap).await;
                }
            });
        }
    });
    addr
}

/// Waits until the stage's metrics count `want` requests, then checks the
/// count stays there (a request recorded twice would show up late).
async fn counted(ctl: &Ctl<'_>, api: &str, want: u64) {
    let count =
        || async { ctl.req(Method::GET, &format!("/restapis/{api}/stages/dev/metrics?range=15m"), None, 200).await["count"].clone() };
    let mut last = Value::Null;
    for _ in 0..50 {
        last = count().await;
        if last.as_u64() == Some(want) {
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert_eq!(count().await.as_u64(), Some(want), "the count moved past {want}");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("want {want} requests counted, metrics say {last}");
}

#[tokio::test]
async fn pipelined_and_keep_alive_requests_are_answered_in_order_and_counted_once() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let api = setup(&ctl, &echo, None).await;

    let mut w = Wire::connect(&s.gateway).await;
    // Three requests in one write, the second with a body and keep-alive said out loud.
    w.send(&format!(
        "GET /{api}/dev/echo?n=1 HTTP/1.1\r\nhost: gw\r\n\r\n\
         POST /{api}/dev/echo?n=2 HTTP/1.1\r\nhost: gw\r\nconnection: keep-alive\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello\
         GET /{api}/dev/ HTTP/1.1\r\nhost: gw\r\n\r\n"
    ))
    .await;
    let first = w.answer(false).await;
    assert_eq!((first.status, first.json()["query"].as_str()), (200, Some("n=1")));
    assert!(first.header("x-amzn-requestid").is_some_and(|id| id.len() == 36));
    assert!(first.header("date").is_some_and(|d| d.ends_with(" GMT")), "{first:?}");
    let second = w.answer(false).await;
    let j = second.json();
    assert_eq!((j["method"].as_str(), j["query"].as_str(), j["body"].as_str()), (Some("POST"), Some("n=2"), Some("hello")));
    assert_eq!(j["headers"]["x-forwarded-host"], "gw");
    assert!(j["headers"].get("connection").is_none(), "hop-by-hop headers stay behind: {j}");
    let third = w.answer(false).await;
    assert_eq!((third.status, third.json()), (200, serde_json::json!({"mock": true})));
    // The connection stays open for more.
    w.send(&format!("GET /{api}/dev/echo?n=4 HTTP/1.1\r\nhost: gw\r\n\r\n")).await;
    assert_eq!(w.answer(false).await.json()["query"], "n=4");
    // A 404 from the gateway itself, on the same connection.
    w.send(&format!("GET /{api}/dev/nowhere HTTP/1.1\r\nhost: gw\r\n\r\n")).await;
    let missing = w.answer(false).await;
    assert_eq!((missing.status, missing.header("x-amzn-errortype")), (403, Some("MissingAuthenticationTokenException")));
    counted(&ctl, &api, 5).await;
}

#[tokio::test]
async fn unusual_but_valid_requests_are_answered_and_bad_ones_refused() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let api = setup(&ctl, &echo, None).await;
    let head = |extra: &str| format!("GET /{api}/dev/echo HTTP/1.1\r\nhost: gw\r\n{extra}\r\n");

    // A head in two pieces, then a plain request on the same connection.
    let mut w = Wire::connect(&s.gateway).await;
    let whole = head("x-piece: 1\r\n");
    let (a, b) = whole.split_at(20);
    w.send(a).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    w.send(b).await;
    assert_eq!(w.answer(false).await.json()["headers"]["x-piece"], "1");
    w.send(&head("")).await;
    assert_eq!(w.answer(false).await.status, 200);

    // A chunked body.
    let mut w = Wire::connect(&s.gateway).await;
    w.send(&format!("POST /{api}/dev/echo HTTP/1.1\r\nhost: gw\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"))
        .await;
    assert_eq!(w.answer(false).await.json()["body"], "abcde");

    // Expect: 100-continue: the body follows the interim answer.
    let mut w = Wire::connect(&s.gateway).await;
    w.send(&format!("PUT /{api}/dev/echo HTTP/1.1\r\nhost: gw\r\nexpect: 100-continue\r\ncontent-length: 4\r\n\r\n")).await;
    assert!(w.line().await.starts_with("HTTP/1.1 100"), "100 Continue first");
    assert!(w.line().await.is_empty());
    w.send("data").await;
    assert_eq!(w.answer(false).await.json()["body"], "data");

    // HEAD: the head only (the backend's length, no body).
    let mut w = Wire::connect(&s.gateway).await;
    w.send(&format!("HEAD /{api}/dev/echo HTTP/1.1\r\nhost: gw\r\n\r\n")).await;
    let h = w.answer(true).await;
    assert_eq!(h.status, 200);
    w.send(&head("")).await;
    assert_eq!(w.answer(false).await.status, 200, "nothing of the HEAD's body was sent");

    // Connection: close is honoured.
    let mut w = Wire::connect(&s.gateway).await;
    w.send(&head("connection: close\r\n")).await;
    let c = w.answer(false).await;
    assert_eq!((c.status, c.header("connection")), (200, Some("close")));
    assert!(w.closed().await);

    // HTTP/1.0 closes after its answer.
    let mut w = Wire::connect(&s.gateway).await;
    w.send(&format!("GET /{api}/dev/echo HTTP/1.0\r\nhost: gw\r\n\r\n")).await;
    let line = w.line().await;
    assert!(line.starts_with("HTTP/1.") && line.contains(" 200 "), "{line}");
    while w.fill().await {}

    // A malformed head: 400. Too many headers: 431.
    let mut w = Wire::connect(&s.gateway).await;
    w.send("GET /x HTTP/1.1\r\nthis is not a header\r\n\r\n").await;
    assert_eq!(w.answer(false).await.status, 400);
    let mut w = Wire::connect(&s.gateway).await;
    let many: String = (0..120).map(|i| format!("x-h{i}: {i}\r\n")).collect();
    w.send(&head(&many)).await;
    assert_eq!(w.answer(false).await.status, 431);

    // HTTP/2 without TLS (prior knowledge).
    let tcp = TcpStream::connect(s.gateway.trim_start_matches("http://")).await.unwrap();
    let (mut h2, conn) = hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), hyper_util::rt::TokioIo::new(tcp))
        .await
        .expect("an HTTP/2 handshake");
    tokio::spawn(conn);
    let req = http::Request::get(format!("/{api}/dev/echo?h2=1"))
        .header("host", "gw")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let res = h2.send_request(req).await.unwrap();
    assert_eq!((res.status().as_u16(), res.version()), (200, http::Version::HTTP_2));
    use http_body_util::BodyExt;
    let body = res.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["query"], "h2=1");

    // Every request that reached a stage is counted once: two split/plain,
    // chunked, expect, HEAD and the one after it, close, 1.0, the 431 (its
    // head never parsed: not counted), h2.
    counted(&ctl, &api, 9).await;
}

#[tokio::test]
async fn backend_bodies_stream_and_a_cut_off_one_is_not_passed_off_as_whole() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    // Chunked, in three pieces 500 ms apart: the first piece reaches the
    // caller before the backend has sent the rest.
    let streamed = raw_backend(
        vec![
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/plain\r\n\r\n5\r\nfirst\r\n",
            "6\r\nsecond\r\n",
            "0\r\n\r\n",
        ],
        Duration::from_millis(500),
    )
    .await;
    let api = setup(&ctl, &echo, Some(&streamed)).await;
    let mut w = Wire::connect(&s.gateway).await;
    w.send(&format!("GET /{api}/dev/raw HTTP/1.1\r\nhost: gw\r\n\r\n")).await;
    let started = std::time::Instant::now();
    assert!(w.fill().await);
    assert!(started.elapsed() < Duration::from_millis(450), "the head came before the backend sent more");
    assert!(w.buf.starts_with(b"HTTP/1.1 200 OK\r\n"), "{:?}", String::from_utf8_lossy(&w.buf));
    let streamed = w.answer(false).await;
    assert_eq!(streamed.header("transfer-encoding"), Some("chunked"));
    assert_eq!(streamed.body, b"firstsecond");
    w.send(&format!("GET /{api}/dev/echo HTTP/1.1\r\nhost: gw\r\n\r\n")).await;
    assert_eq!(w.answer(false).await.status, 200, "the connection is reusable after a streamed answer");

    // A backend that promises 10 bytes and sends 4: the caller's connection
    // is cut, not ended as if the body were complete.
    let short = raw_backend(vec!["HTTP/1.1 200 OK\r\ncontent-length: 10\r\nconnection: close\r\n\r\nabcd"], Duration::ZERO).await;
    let api2 = setup(&ctl, &echo, Some(&short)).await;
    let mut w = Wire::connect(&s.gateway).await;
    w.send(&format!("GET /{api2}/dev/raw HTTP/1.1\r\nhost: gw\r\n\r\n")).await;
    assert_eq!(w.line().await, "HTTP/1.1 200 OK");
    while w.fill().await {}
    let got = String::from_utf8_lossy(&w.buf).to_string();
    assert!(got.contains("content-length: 10") && got.ends_with("abcd"), "{got}");
}

#[tokio::test]
async fn headers_either_way_lose_hop_by_hop_ones_and_gain_the_gateways() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let backend = raw_backend(
        vec![
            "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: x-private-res\r\nX-Private-Res: 1\r\nKeep-Alive: timeout=5\r\n\
             X-Amzn-RequestId: from-backend\r\nX-Kept: yes\r\nDate: Tue, 01 Dec 2026 00:00:00 GMT\r\nServer: tiny/1\r\n\
             WWW-Authenticate: Basic realm=\"b\"\r\n\r\nok",
        ],
        Duration::ZERO,
    )
    .await;
    let api = setup(&ctl, &echo, Some(&backend)).await;
    let mut w = Wire::connect(&s.gateway).await;
    // To the backend: hop-by-hop headers stay behind, X-Forwarded-* are the gateway's.
    w.send(&format!(
        "GET /{api}/dev/echo HTTP/1.1\r\nHost: gw\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eDp5\r\n\
         X-Forwarded-For: 10.1.2.3\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: spoofed\r\nX-Custom: Kept\r\nX-Multi: 1\r\nX-Multi: 2\r\n\
         X-Amzn-Apigateway-Api-Id: spoofed\r\n\r\n"
    ))
    .await;
    let a = w.answer(false).await;
    let h = &a.json()["headers"];
    for gone in ["keep-alive", "te", "proxy-authorization", "connection"] {
        assert!(h.get(gone).is_none(), "{gone} is hop-by-hop: {h}");
    }
    assert_eq!(h["x-forwarded-for"], "10.1.2.3, 127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["x-forwarded-host"], "gw");
    assert_eq!(h["x-custom"], "Kept");
    assert_eq!(h["x-multi"], "2");
    assert_eq!(h["host"], echo.host());
    // AWS names the API to the backend, and is the user agent when the caller gives none.
    assert_eq!(h["x-amzn-apigateway-api-id"], api.as_str(), "{h}");
    assert_eq!(h["user-agent"], format!("AmazonAPIGateway_{api}"), "{h}");
    w.send(&format!("GET /{api}/dev/echo HTTP/1.1\r\nHost: gw\r\nUser-Agent: curl/8\r\n\r\n")).await;
    let a = w.answer(false).await;
    assert_eq!(a.json()["headers"]["user-agent"], "curl/8", "a proxy passes the caller's own");
    // To the caller: the backend's hop-by-hop headers (and those its
    // Connection names) stay behind; the request id is the gateway's.
    w.send(&format!("GET /{api}/dev/raw HTTP/1.1\r\nhost: gw\r\n\r\n")).await;
    let a = w.answer(false).await;
    assert_eq!((a.status, a.body.as_slice()), (201, b"ok".as_slice()));
    assert_eq!(a.header("x-kept"), Some("yes"));
    // The headers AWS keeps for itself come back renamed, as AWS renames them.
    assert_eq!(a.header("x-amzn-remapped-date"), Some("Tue, 01 Dec 2026 00:00:00 GMT"), "{a:?}");
    assert_ne!(a.header("date"), Some("Tue, 01 Dec 2026 00:00:00 GMT"), "the date is the gateway's");
    assert_eq!(a.header("x-amzn-remapped-server"), Some("tiny/1"));
    assert!(a.header("server").is_none(), "{a:?}");
    assert_eq!(a.header("x-amzn-remapped-www-authenticate"), Some("Basic realm=\"b\""));
    assert!(a.header("www-authenticate").is_none(), "{a:?}");
    assert_eq!(a.header("x-amzn-remapped-connection"), Some("x-private-res"));
    assert_eq!(a.header("x-amzn-remapped-x-amzn-requestid"), Some("from-backend"));
    let apigw_id = a.header("x-amz-apigw-id").expect("x-amz-apigw-id");
    assert!(apigw_id.len() == 16 && apigw_id.ends_with('='), "{apigw_id}");
    for gone in ["x-private-res", "keep-alive", "connection"] {
        assert!(a.header(gone).is_none(), "{gone} is hop-by-hop: {a:?}");
    }
    assert_eq!(a.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("x-amzn-requestid")).count(), 1, "{a:?}");
    assert_ne!(a.header("x-amzn-requestid"), Some("from-backend"));
    assert_eq!(a.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case("content-length")).count(), 1, "{a:?}");
    counted(&ctl, &api, 3).await;
}

#[tokio::test]
async fn closing_finishes_the_request_in_hand_and_closes_idle_connections() {
    let s = TestServer::start().await;
    let echo = Echo::start().await;
    let ctl = Ctl::new(&s).await;
    let api = setup(&ctl, &echo, None).await;

    let mut idle = Wire::connect(&s.gateway).await;
    idle.send(&format!("GET /{api}/dev/ HTTP/1.1\r\nhost: gw\r\n\r\n")).await;
    assert_eq!(idle.answer(false).await.status, 200);
    let mut busy = Wire::connect(&s.gateway).await;
    busy.send(&format!("GET /{api}/dev/echo?echo_delay_ms=400 HTTP/1.1\r\nhost: gw\r\n\r\n")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stopping = tokio::spawn(s.stop());
    let a = busy.answer(false).await;
    assert_eq!((a.status, a.header("connection")), (200, Some("close")), "{a:?}");
    assert!(busy.closed().await);
    assert!(idle.closed().await, "an idle keep-alive connection is closed");
    tokio::time::timeout(Duration::from_secs(10), stopping).await.expect("the server stops").unwrap();
}

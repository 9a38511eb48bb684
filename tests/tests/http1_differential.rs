//! Differential test of the gateway's HTTP/1.1 request parsing against
//! hyper's server side.
//!
//! Every request stream of the corpus (the hand-written
//! `tests/corpus/http1_requests.txt` plus cross products generated here)
//! goes through both:
//!
//! - ours: `header::parse_request`, then `body::Decoder` over what follows,
//!   request after request, as `http1::server` does (including its
//!   `http::Uri` check of the target), until the input ends, a request is
//!   refused, or a request does not keep the connection open;
//! - hyper: `hyper::server::conn::http1` over an in-memory duplex, the bytes
//!   written and the write half shut, each request's body collected by the
//!   service.
//!
//! Each side yields the requests it delivered (method, target, version,
//! headers, body) and whether it got through the whole stream cleanly
//! (accept) or refused / cut it off (reject). Both must agree, except where
//! [`DIFFERENCES`] documents that we deliberately differ — and there both
//! sides must behave exactly as documented, so a change on either side fails.

use std::convert::Infallible;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apigw_server::gateway::http1::body::{Decoded, Decoder};
use apigw_server::gateway::http1::header::parse_request;
use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

/// The hand-written part of the corpus (format described in the file).
const CORPUS: &str = include_str!("../corpus/http1_requests.txt");

/// Longest a case may take on hyper's side, all included.
const CASE_LIMIT: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    /// The whole stream was read, every request in it delivered.
    Accept,
    /// A request was refused, or the stream cut off mid-message.
    Reject,
}
use Verdict::{Accept, Reject};

/// Where our parser deliberately decides differently from hyper's.
struct Difference {
    class: &'static str,
    ours: Verdict,
    hyper: Verdict,
    why: &'static str,
}

/// Every documented difference. A corpus case tagged with a class must
/// produce exactly these verdicts (combined with its other tags).
#[rustfmt::skip]
const DIFFERENCES: &[Difference] = &[
    Difference { class: "cl-repeated-equal", ours: Reject, hyper: Accept,
        why: "any repeated Content-Length is refused (nginx does too), though RFC 9112 6.3 allows equal repeats: one less way for two parsers to disagree" },
    Difference { class: "cl-long-leading-zeros", ours: Reject, hyper: Accept,
        why: "a Content-Length over 19 digits is refused outright, leading zeros or not; hyper only checks the value fits a u64" },
    Difference { class: "te-and-cl", ours: Reject, hyper: Accept,
        why: "both framings is the CL.TE/TE.CL smuggling shape: RFC 9112 6.1 lets a server refuse it; hyper lets chunked win and closes after" },
    Difference { class: "te-coding-list", ours: Reject, hyper: Accept,
        why: "only `chunked` alone is accepted (the gateway decodes no other coding, and repeats/lists are TE obfuscation); hyper checks just the last coding" },
    Difference { class: "te-empty-item", ours: Reject, hyper: Accept,
        why: "an empty Transfer-Encoding item (`,chunked`, `chunked,`) is legal but refused, as nginx does: a proxy in front that reads the list differently would frame the body differently" },
    Difference { class: "method-charset", ours: Reject, hyper: Accept,
        why: "methods must be [A-Z_-]: `get`/`G3T` are other, unknown methods, which nginx answers 400; hyper takes any token" },
    Difference { class: "method-too-long", ours: Reject, hyper: Accept,
        why: "methods over 32 bytes are refused (no real method is that long); hyper has no limit" },
    Difference { class: "expect-other", ours: Reject, hyper: Accept,
        why: "RFC 9110 10.1.1 lets a server refuse an expectation it does not know (we answer 400); hyper ignores it" },
    Difference { class: "host-missing", ours: Reject, hyper: Accept,
        why: "RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host (a `Host_` field is dropped, so it does not count)" },
    Difference { class: "host-repeated", ours: Reject, hyper: Accept,
        why: "RFC 9112 3.2: a server MUST answer 400 to a request with more than one Host field" },
    Difference { class: "host-malformed", ours: Reject, hyper: Accept,
        why: "a Host with '/', '@' or a space is no uri-host[:port]; refused so it cannot steer routing, logs or generated URLs" },
    Difference { class: "target-not-origin-form", ours: Reject, hyper: Accept,
        why: "the gateway is no forward proxy: absolute-form, authority-form (CONNECT) and `*` targets are refused" },
    Difference { class: "target-non-ascii", ours: Reject, hyper: Accept,
        why: "RFC 3986: a target is ASCII, anything else percent-encoded; http::Uri lets raw UTF-8 through to the backend" },
    Difference { class: "target-fragment", ours: Reject, hyper: Accept,
        why: "RFC 9112 3.2: a request target has no fragment; hyper (http::Uri) silently drops it" },
    Difference { class: "chunk-size-leading-zeros", ours: Reject, hyper: Accept,
        why: "chunk sizes over 15 hex digits are refused even when leading zeros keep the value small" },
    Difference { class: "chunk-ext-long", ours: Reject, hyper: Accept,
        why: "a chunk-size line (extensions included) over MAX_LINE (4 KiB) is refused; hyper allows 16 KiB of extensions per body" },
    Difference { class: "trailer-bare-lf", ours: Reject, hyper: Accept,
        why: "every line of a chunked body must end in CRLF (no guessing where a line ends); hyper's trailers take bare LF, even as their end, swallowing what follows" },
    Difference { class: "trailer-fields-unchecked", ours: Accept, hyper: Reject,
        why: "trailer fields are read only to be discarded (never forwarded), so only the CRLF line framing and a ':' are checked; hyper parses and counts them" },
    Difference { class: "head-over-64k", ours: Reject, hyper: Accept,
        why: "heads over MAX_HEAD (64 KiB) get 431; hyper's default buffer holds ~400 KiB" },
];

/// One request stream of the corpus.
struct Case {
    /// Where it comes from: the corpus line, or the generator's name.
    origin: String,
    tags: Vec<String>,
    raw: Vec<u8>,
}

/// One request a side delivered.
#[derive(Clone, PartialEq, Eq)]
struct Message {
    method: String,
    target: String,
    version: String,
    /// Lower-cased names, in order (as `HeaderMap` iterates).
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {} [", self.method, escape(self.target.as_bytes(), 200), self.version)?;
        for (i, (n, v)) in self.headers.iter().enumerate() {
            let sep = if i == 0 { "" } else { ", " };
            write!(f, "{sep}{n}: {}", escape(v, 100))?;
        }
        write!(f, "] body {:?}", escape(&self.body, 200))
    }
}

/// What one side made of a stream.
#[derive(Debug)]
struct Trace {
    messages: Vec<Message>,
    /// `None`: accepted; `Some(why)`: rejected.
    refused: Option<String>,
}

impl Trace {
    fn verdict(&self) -> Verdict {
        if self.refused.is_none() {
            Accept
        } else {
            Reject
        }
    }
}

/// `bytes` escaped as the corpus file writes them, cut after `max` bytes.
fn escape(bytes: &[u8], max: usize) -> String {
    let mut out = String::new();
    for &b in bytes.iter().take(max) {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            0 => out.push_str("\\0"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    if bytes.len() > max {
        out.push_str(&format!("...({} bytes in all)", bytes.len()));
    }
    out
}

/// The corpus file's escapes undone.
fn unescape(s: &str, line: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut it = s.bytes();
    while let Some(b) = it.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match it.next() {
            Some(b'r') => out.push(b'\r'),
            Some(b'n') => out.push(b'\n'),
            Some(b't') => out.push(b'\t'),
            Some(b'0') => out.push(0),
            Some(b'\\') => out.push(b'\\'),
            Some(b'x') => {
                let hex = [it.next(), it.next()];
                let hex: String = hex.iter().map(|h| h.map_or('?', char::from)).collect();
                let byte = u8::from_str_radix(&hex, 16).unwrap_or_else(|_| panic!("corpus line {line}: bad escape \\x{hex}"));
                out.push(byte);
            }
            other => panic!("corpus line {line}: unknown escape \\{}", other.map_or('?', char::from)),
        }
    }
    out
}

fn file_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, line) in CORPUS.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let (tags, raw) = line.split_once(' ').unwrap_or_else(|| panic!("corpus line {n}: no request"));
        cases.push(Case { origin: format!("corpus line {n}"), tags: tags.split(',').map(str::to_string).collect(), raw: unescape(raw, n) });
    }
    cases
}

fn case(origin: impl Into<String>, tags: &[&str], raw: impl Into<Vec<u8>>) -> Case {
    Case { origin: origin.into(), tags: tags.iter().map(|t| t.to_string()).collect(), raw: raw.into() }
}

/// Cross products (methods × framings × head quirks, each followed by a
/// pipelined request that shows where the first one's body ended), and
/// sizes too long to write by hand.
fn generated_cases() -> Vec<Case> {
    const NEXT: &str = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";
    let methods: [(&str, &[&str]); 4] = [("GET", &[]), ("POST", &[]), ("PURGE", &[]), ("post", &["method-charset"])];
    // (name, framing fields, body, tags)
    let framings: [(&str, &str, &str, &[&str]); 13] = [
        ("none", "", "", &[]),
        ("length", "Content-Length: 5\r\n", "hello", &[]),
        ("chunked", "Transfer-Encoding: chunked\r\n", "5\r\nhello\r\n0\r\n\r\n", &[]),
        ("chunked-ext-trailer", "Transfer-Encoding: chunked\r\n", "2;a=b\r\nhe\r\n3 ; q=\"x\"\r\nllo\r\n0\r\nX-T: 1\r\n\r\n", &[]),
        ("te-tabs", "Transfer-Encoding:\tchunked\t\r\n", "5\r\nhello\r\n0\r\n\r\n", &[]),
        ("cl-repeated", "Content-Length: 5\r\nContent-Length: 5\r\n", "hello", &["cl-repeated-equal"]),
        ("cl-conflict", "Content-Length: 5\r\nContent-Length: 6\r\n", "hello!", &["reject"]),
        ("cl-plus", "Content-Length: +5\r\n", "hello", &["reject"]),
        ("cl-te", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n", &["te-and-cl"]),
        ("te-cl", "Transfer-Encoding: chunked\r\nContent-Length: 30\r\n", "5\r\nhello\r\n0\r\n\r\n", &["te-and-cl"]),
        ("te-list", "Transfer-Encoding: gzip, chunked\r\n", "5\r\nhello\r\n0\r\n\r\n", &["te-coding-list"]),
        ("te-obs-fold", "Transfer-Encoding:\r\n chunked\r\n", "5\r\nhello\r\n0\r\n\r\n", &["reject"]),
        ("chunk-bare-lf", "Transfer-Encoding: chunked\r\n", "5\nhello\n0\n\n", &["reject"]),
    ];
    // (name, version, fields, tags)
    let quirks: [(&str, &str, &str, &[&str]); 7] = [
        ("plain", "HTTP/1.1", "Host: h\r\n", &[]),
        ("underscore", "HTTP/1.1", "Host: h\r\nX_Forwarded_Host: evil\r\nContent_Length: 99\r\n", &[]),
        ("expect", "HTTP/1.1", "Host: h\r\nExpect: 100-continue\r\n", &[]),
        ("expect-other", "HTTP/1.1", "Host: h\r\nExpect: 100-continued\r\n", &["expect-other"]),
        ("no-host", "HTTP/1.1", "", &["host-missing"]),
        ("http10", "HTTP/1.0", "Host: h\r\n", &[]),
        ("close-mix", "HTTP/1.1", "Host: h\r\nConnection: close, keep-alive\r\n", &[]),
    ];
    let mut cases = Vec::new();
    for (method, mtags) in methods {
        for (fname, fields, body, ftags) in framings {
            for (qname, version, qfields, qtags) in quirks {
                let mut tags: Vec<&str> = [mtags, ftags, qtags].concat();
                // HTTP/1.0 has no transfer codings: both sides refuse them.
                if version == "HTTP/1.0" && fields.contains("Transfer-Encoding") {
                    tags.push("reject");
                }
                let raw = format!("{method} /{fname} {version}\r\n{qfields}{fields}\r\n{body}{NEXT}");
                cases.push(case(format!("generated {method} x {fname} x {qname}"), &tags, raw));
            }
        }
    }

    let fields = |n: usize| -> String { (0..n).map(|i| format!("X-Field-{i}: {i}\r\n")).collect() };
    cases.push(case("99 fields and Host", &["accept"], format!("GET / HTTP/1.1\r\nHost: h\r\n{}\r\n", fields(99))));
    cases.push(case("100 fields and Host", &["reject"], format!("GET / HTTP/1.1\r\nHost: h\r\n{}\r\n", fields(100))));
    cases.push(case(
        "99 underscored fields and Host",
        &["accept"],
        format!("GET / HTTP/1.1\r\nHost: h\r\n{}\r\n", fields(99).replace('-', "_")),
    ));
    cases.push(case("1000-byte method", &["method-too-long"], format!("{} / HTTP/1.1\r\nHost: h\r\n\r\n", "M".repeat(1000))));
    let value = |n: usize| format!("GET / HTTP/1.1\r\nHost: h\r\nX-Big: {}\r\n\r\n", "v".repeat(n));
    cases.push(case("60 KB field", &["accept"], value(60_000)));
    cases.push(case("70 KB field", &["head-over-64k"], value(70_000)));
    cases.push(case("500 KB field", &["reject"], value(500_000)));
    let target = |n: usize| format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "t".repeat(n));
    cases.push(case("60 KB target", &["accept"], target(60_000)));
    cases.push(case("70 KB target", &["reject"], target(70_000)));
    let ext =
        |n: usize| format!("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;{}\r\nhello\r\n0\r\n\r\n", "e".repeat(n));
    cases.push(case("4000-byte chunk extension", &["accept"], ext(4000)));
    cases.push(case("5000-byte chunk extension", &["chunk-ext-long"], ext(5000)));
    cases.push(case("20000-byte chunk extension", &["reject"], ext(20_000)));
    let trailers = |n: usize| format!("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n{}\r\n", fields(n));
    cases.push(case("10 trailer fields", &["accept"], trailers(10)));
    cases.push(case("150 trailer fields", &["trailer-fields-unchecked"], trailers(150)));
    let mut big = b"POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 1048576\r\n\r\n".to_vec();
    big.extend((0..1_048_576u32).map(|i| (i % 251) as u8));
    cases.push(case("1 MiB length-framed body", &["accept"], big));
    let mut chunks = b"POST /chunks HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for i in 0..300u32 {
        chunks.extend_from_slice(format!("{:x}\r\n", 1000 + i).as_bytes());
        chunks.extend((0..1000 + i).map(|j| b'a' + (j % 26) as u8));
        chunks.extend_from_slice(b"\r\n");
    }
    chunks.extend_from_slice(b"0\r\n\r\n");
    cases.push(case("300 chunks", &["accept"], chunks));
    let pipelined: String = (0..64).map(|i| format!("GET /{i} HTTP/1.1\r\nHost: h\r\n\r\n")).collect();
    cases.push(case("64 pipelined requests", &["accept"], pipelined));
    cases
}

/// The fields of a head as compared: names containing `_` left out (we
/// drop them on purpose, like nginx; hyper keeps them).
fn fields(headers: &http::HeaderMap) -> Vec<(String, Vec<u8>)> {
    headers.iter().filter(|(n, _)| !n.as_str().contains('_')).map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec())).collect()
}

/// Our side: heads and bodies taken off the buffer as `http1::server` does.
fn ours(raw: &[u8]) -> Trace {
    let mut buf = BytesMut::from(raw);
    let mut messages = Vec::new();
    let refused = |messages, why: String| Trace { messages, refused: Some(why) };
    loop {
        // Empty lines before a request line are ignored (RFC 9112 2.2):
        // the stream ending on some is no request cut off. (The server
        // closes without an answer either way.)
        if buf.iter().all(|&b| b == b'\r' || b == b'\n') {
            return Trace { messages, refused: None };
        }
        let head = match parse_request(&mut buf) {
            Ok(Some(head)) => head,
            Ok(None) => return refused(messages, "the stream ended inside a head".into()),
            Err(e) => return refused(messages, format!("{} {}", e.status().as_u16(), e.reason())),
        };
        let mut decoder = Decoder::new(head.framing);
        let mut body = Vec::new();
        loop {
            match decoder.decode(&mut buf) {
                Ok(Decoded::Data(d)) => body.extend_from_slice(&d),
                Ok(Decoded::End) => break,
                Ok(Decoded::More) => match decoder.eof() {
                    Ok(()) => break,
                    Err(e) => return refused(messages, format!("closed: {e}")),
                },
                Err(e) => return refused(messages, format!("400 {e}")),
            }
        }
        // As `http1::server` does before handing the request on.
        if head.target.parse::<http::Uri>().is_err() {
            return refused(messages, "400 malformed request target".into());
        }
        messages.push(Message {
            method: head.method.to_string(),
            target: head.target.clone(),
            version: format!("{:?}", head.version),
            headers: fields(&head.headers),
            body,
        });
        if !head.keep_alive {
            return Trace { messages, refused: None };
        }
    }
}

/// The status codes of the responses in `out` (ours are all empty-bodied,
/// so every line starting `HTTP/` is a status line).
fn statuses(out: &[u8]) -> Vec<u16> {
    out.split(|&b| b == b'\n')
        .filter_map(|l| l.strip_prefix(b"HTTP/1.".as_slice()))
        .filter_map(|l| std::str::from_utf8(l.get(2..5)?).ok()?.parse().ok())
        .collect()
}

/// Hyper's side: a connection served over an in-memory pipe.
async fn hyper_side(raw: Vec<u8>) -> Trace {
    let seen: Arc<Mutex<Vec<Message>>> = Arc::default();
    let body_errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let svc = {
        let (seen, body_errors) = (seen.clone(), body_errors.clone());
        service_fn(move |req: hyper::Request<Incoming>| {
            let (seen, body_errors) = (seen.clone(), body_errors.clone());
            async move {
                let (parts, body) = req.into_parts();
                match timeout(CASE_LIMIT, body.collect()).await {
                    Ok(Ok(body)) => seen.lock().unwrap().push(Message {
                        method: parts.method.to_string(),
                        target: parts.uri.to_string(),
                        version: format!("{:?}", parts.version),
                        headers: fields(&parts.headers),
                        body: body.to_bytes().to_vec(),
                    }),
                    Ok(Err(e)) => body_errors.lock().unwrap().push(format!("body: {e}")),
                    Err(_) => body_errors.lock().unwrap().push("body timed out".into()),
                }
                Ok::<_, Infallible>(hyper::Response::new(Empty::<Bytes>::new()))
            }
        })
    };
    let (client, server) = tokio::io::duplex(64 * 1024);
    let conn = http1::Builder::new().half_close(true).timer(TokioTimer::new()).serve_connection(TokioIo::new(server), svc);
    let (mut rd, mut wr) = tokio::io::split(client);
    let write = async move {
        // Fails once hyper has closed: it has stopped reading.
        let _ = wr.write_all(&raw).await;
        let _ = wr.shutdown().await;
    };
    let read = async move {
        let mut out = Vec::new();
        let _ = rd.read_to_end(&mut out).await;
        out
    };
    let run = timeout(CASE_LIMIT, async { tokio::join!(conn, write, read) }).await;
    let messages = std::mem::take(&mut *seen.lock().unwrap());
    let body_errors = std::mem::take(&mut *body_errors.lock().unwrap());
    let Ok((result, (), out)) = run else {
        return Trace { messages, refused: Some("timed out".into()) };
    };
    let answered = statuses(&out);
    let refused = if result.is_err() || !body_errors.is_empty() || answered.iter().any(|&s| s >= 400) {
        Some(format!("{result:?}, {body_errors:?}, answered {answered:?}"))
    } else {
        None
    };
    Trace { messages, refused }
}

/// What a case's tags expect.
enum Expected {
    /// Whatever happens, both sides alike.
    Same,
    /// These verdicts; the delivered messages compared only when no
    /// difference is involved.
    Verdicts { ours: Verdict, hyper: Verdict, compare_messages: bool },
}

fn expected(tags: &[String]) -> Expected {
    if tags == ["same"] {
        return Expected::Same;
    }
    let (mut ours, mut hyper, mut compare_messages) = (Accept, Accept, true);
    for tag in tags {
        let (o, h) = match tag.as_str() {
            "accept" => (Accept, Accept),
            "reject" => (Reject, Reject),
            class => {
                let d = DIFFERENCES.iter().find(|d| d.class == class).unwrap_or_else(|| panic!("unknown corpus tag {class:?}"));
                compare_messages = false;
                (d.ours, d.hyper)
            }
        };
        if o == Reject {
            ours = Reject;
        }
        if h == Reject {
            hyper = Reject;
        }
    }
    Expected::Verdicts { ours, hyper, compare_messages }
}

/// `None` when the two traces are as the tags expect; otherwise what is wrong.
fn check(case: &Case, ours: &Trace, hyper: &Trace) -> Option<String> {
    let problem = match expected(&case.tags) {
        Expected::Same if ours.verdict() != hyper.verdict() => Some("the verdicts differ"),
        Expected::Verdicts { ours: o, hyper: h, .. } if (ours.verdict(), hyper.verdict()) != (o, h) => {
            Some(if ours.verdict() != o { "our verdict is not the expected one" } else { "hyper's verdict is not the expected one" })
        }
        Expected::Same | Expected::Verdicts { compare_messages: true, .. } if ours.messages != hyper.messages => {
            Some("the delivered requests differ")
        }
        _ => None,
    }?;
    let want = match expected(&case.tags) {
        Expected::Same => "both alike".to_string(),
        Expected::Verdicts { ours, hyper, .. } => format!("ours {ours:?}, hyper {hyper:?}"),
    };
    Some(format!(
        "{problem} ({}; tags {:?}: {want})\n  input: {}\n  ours:  {:?} {:?}\n  hyper: {:?} {:?}",
        case.origin,
        case.tags,
        escape(&case.raw, 600),
        ours.verdict(),
        ours,
        hyper.verdict(),
        hyper,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parser_agrees_with_hyper_except_where_documented() {
    let mut cases = file_cases();
    cases.extend(generated_cases());
    assert!(cases.len() >= 200, "only {} corpus entries", cases.len());

    // Every documented difference is exercised, and every tag is known.
    for d in DIFFERENCES {
        assert!(cases.iter().any(|c| c.tags.iter().any(|t| t == d.class)), "no corpus entry for the documented difference {:?}", d.class);
        assert!(!d.why.is_empty());
    }
    for c in &cases {
        let _ = expected(&c.tags);
        assert!(c.tags != ["same"] || c.tags.len() == 1, "{}: `same` stands alone", c.origin);
    }

    let runs: Vec<_> = cases.iter().map(|c| tokio::spawn(hyper_side(c.raw.clone()))).collect();
    let mut failures = Vec::new();
    for (case, run) in cases.iter().zip(runs) {
        let hyper = run.await.expect("the hyper side does not panic");
        let ours = ours(&case.raw);
        if let Some(f) = check(case, &ours, &hyper) {
            failures.push(f);
        }
    }
    assert!(failures.is_empty(), "{} of {} corpus entries mismatched:\n\n{}", failures.len(), cases.len(), failures.join("\n\n"));
}

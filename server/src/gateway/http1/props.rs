//! Property tests of the framing rules: the head parsers and the body
//! decoder on arbitrary bytes (no panic, never more out than in), and
//! valid messages read back exactly, wherever the input is cut.

use bytes::BytesMut;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, Version};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

use super::body::{put_chunk, BodyError, Decoded, Decoder, LAST_CHUNK};
use super::header::{parse_request, parse_response, Framing};

/// 256 cases each (fast unoptimised); no regression files written into the tree.
fn config() -> ProptestConfig {
    ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() }
}

/// Gives `input` to a buffer in pieces whose sizes cycle through `sizes`.
struct Feed<'a> {
    input: &'a [u8],
    at: usize,
    sizes: &'a [usize],
    turn: usize,
}

impl<'a> Feed<'a> {
    fn new(input: &'a [u8], sizes: &'a [usize]) -> Self {
        Feed { input, at: 0, sizes, turn: 0 }
    }

    /// Adds the next piece to `buf`; `false` when all was given.
    fn more(&mut self, buf: &mut BytesMut) -> bool {
        if self.at == self.input.len() {
            return false;
        }
        let n = self.sizes[self.turn % self.sizes.len()].max(1).min(self.input.len() - self.at);
        self.turn += 1;
        buf.extend_from_slice(&self.input[self.at..self.at + n]);
        self.at += n;
        true
    }

    /// What was not given yet.
    fn rest(&self) -> &'a [u8] {
        &self.input[self.at..]
    }
}

/// Pieces of HTTP that make random input reach past the start line.
const FRAGMENTS: &[&str] = &[
    "GET ",
    "POST ",
    "HEAD ",
    "get ",
    "/",
    "/a?b=c",
    "*",
    "http://h/",
    " HTTP/1.1",
    " HTTP/1.0",
    " HTTP/2.0",
    "HTTP/1.1 ",
    "HTTP/1.0 ",
    "200 OK",
    "100 Continue",
    "204 ",
    "304 ",
    "999 ",
    "\r\n",
    "\r\n\r\n",
    "\n",
    "\r",
    "host: h",
    "Host: a/b",
    "content-length: 5",
    "Content-Length: 1, 1",
    "content-length: 99999999999999999999",
    "transfer-encoding: chunked",
    "Transfer-Encoding: gzip, chunked",
    "transfer_encoding: chunked",
    "connection: close",
    "connection: keep-alive",
    "expect: 100-continue",
    "expect: nope",
    ":",
    " ",
    "\t",
    "_",
    "\0",
    "\x7f",
    "é",
];

/// Request lines, good and bad.
const REQUEST_LINES: &[&str] = &[
    "GET / HTTP/1.1",
    "POST /a?b=c HTTP/1.1",
    "HEAD /x HTTP/1.1",
    "PUT /p HTTP/1.0",
    "DELETE /d/e HTTP/1.1",
    "OPTIONS * HTTP/1.1",
    "GET http://h/ HTTP/1.1",
    "get / HTTP/1.1",
    "GET / HTTP/2.0",
    "GET /a#f HTTP/1.1",
    "GET /a<b HTTP/1.1",
    "GET  / HTTP/1.1",
    "GET / HTTP/1.1 ",
];

/// Status lines, good and bad.
const STATUS_LINES: &[&str] = &[
    "HTTP/1.1 200 OK",
    "HTTP/1.0 200 OK",
    "HTTP/1.1 204 No Content",
    "HTTP/1.1 100 Continue",
    "HTTP/1.1 103 Early Hints",
    "HTTP/1.1 101 Switching Protocols",
    "HTTP/1.1 304 Not Modified",
    "HTTP/1.1 500 ",
    "HTTP/1.1 999 Odd",
    "HTTP/1.1 099 Low",
    "HTTP/2 200",
    "HTTP/1.1 20 OK",
];

/// Field lines that are well formed (if not all acceptable).
const FIELD_LINES: &[&str] = &[
    "host: h",
    "Host: h",
    "host: a/b",
    "host: a@b",
    "content-length: 5",
    "content-length: 0",
    "Content-Length: 5, 5",
    "content-length: 5, 6",
    "content-length: +5",
    "content-length: 99999999999999999999",
    "transfer-encoding: chunked",
    "Transfer-Encoding: gzip",
    "transfer-encoding: gzip, chunked",
    "transfer-encoding: ,",
    "transfer_encoding: chunked",
    "connection: close",
    "connection: keep-alive",
    "connection: x, Close",
    "expect: 100-continue",
    "expect: x",
    "x-a: b",
    "x-a:",
    "x: \u{80}\u{ff}",
    "x-b: \t v \t",
];

/// Field lines that are not.
const BAD_FIELD_LINES: &[&str] = &[" folded", "bad line", ": empty name", "x-a : b", "x\0: y", "x: a\rb"];

/// `bytes` with each of `ops` applied: 0 replaces a byte, 1 inserts one, 2 deletes one.
fn mutate(mut bytes: Vec<u8>, ops: &[(prop::sample::Index, u8, u8)]) -> Vec<u8> {
    for (at, byte, op) in ops {
        let i = at.index(bytes.len() + 1);
        match op {
            0 if i < bytes.len() => bytes[i] = *byte,
            1 => bytes.insert(i, *byte),
            2 if i < bytes.len() => {
                bytes.remove(i);
            }
            _ => {}
        }
    }
    bytes
}

/// Up to two random changes, none half the time.
fn mutations() -> impl Strategy<Value = Vec<(prop::sample::Index, u8, u8)>> {
    prop_oneof![Just(Vec::new()), prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..3)]
}

/// Something shaped like a head: one of `starts`, usually a `Host`,
/// field lines, usually its end and some body, then perhaps changed a little.
fn head_like(starts: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    (
        select(starts),
        prop::bool::weighted(0.8),
        prop::collection::vec(prop_oneof![12 => select(FIELD_LINES), 1 => select(BAD_FIELD_LINES)], 0..6),
        select(&["\r\n", "\r\n", "\r\n", "\n"][..]),
        prop::bool::weighted(0.8),
        prop::collection::vec(any::<u8>(), 0..10),
        mutations(),
    )
        .prop_map(|(start, host, fields, eol, whole, body, ops)| {
            let mut text = String::from(start) + eol;
            if host {
                text += "host: h";
                text += eol;
            }
            for f in fields {
                text += f;
                text += eol;
            }
            let mut bytes = text.into_bytes();
            if whole {
                bytes.extend_from_slice(eol.as_bytes());
                bytes.extend_from_slice(&body);
            }
            mutate(bytes, &ops)
        })
}

/// Random bytes, random strings of HTTP fragments, and head-like input.
fn messy(starts: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => prop::collection::vec(prop_oneof![3 => select(FRAGMENTS).prop_map(|f| f.as_bytes().to_vec()), 1 => prop::collection::vec(any::<u8>(), 0..4)], 0..40)
            .prop_map(|parts| parts.concat()),
        8 => head_like(starts),
    ]
}

/// Something shaped like a chunked body: chunks with extensions, a last
/// chunk with trailers (or not), then perhaps changed a little.
fn chunked_like() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((prop::collection::vec(any::<u8>(), 1..20), select(&["", ";a", ";a=b;c", " ;x", "  "][..])), 0..4),
        any::<bool>(),
        prop::collection::vec(select(&["x: y", "bad", "", "x-a:"][..]), 0..3),
        mutations(),
    )
        .prop_map(|(chunks, last, trailers, ops)| {
            let mut out = Vec::new();
            for (data, ext) in chunks {
                out.extend_from_slice(format!("{:x}{ext}\r\n", data.len()).as_bytes());
                out.extend_from_slice(&data);
                out.extend_from_slice(b"\r\n");
            }
            if last {
                out.extend_from_slice(b"0\r\n");
                for t in trailers {
                    out.extend_from_slice(t.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
                out.extend_from_slice(b"\r\n");
            }
            mutate(out, &ops)
        })
}

fn fail(e: impl std::fmt::Debug) -> TestCaseError {
    TestCaseError::fail(format!("{e:?}"))
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// What is after the generated request on the wire, untouched by its reading.
const NEXT: &[u8] = b"GET /next HTTP/1.1\r\nhost: n\r\n\r\n";

/// A valid request and what reading it must give back.
#[derive(Debug)]
struct Generated {
    wire: Vec<u8>,
    method: &'static str,
    target: String,
    headers: HeaderMap,
    framing: Framing,
    body: Vec<u8>,
}

/// A field name: an `x-` prefix (so none is a framing field) and token
/// characters, `_` included (such fields are dropped), in any case.
fn field_name() -> impl Strategy<Value = String> {
    "[xX]-[A-Za-z0-9!#$%&'*+.^_`|~-]{1,10}"
}

/// A field value: visible characters with spaces and tabs inside, or none.
fn field_value() -> impl Strategy<Value = String> {
    "([!-~]([ \t!-~]{0,16}[!-~])?)?"
}

/// Optional whitespace around a value.
fn ows() -> impl Strategy<Value = &'static str> {
    select(&["", " ", "  ", "\t", " \t"][..])
}

/// A chunk extension, or none.
fn extension() -> impl Strategy<Value = String> {
    prop_oneof![Just(String::new()), "(;[a-z]{1,5}(=[a-z0-9]{1,5})?){1,2}", " ;x".prop_map(String::from)]
}

fn generated() -> impl Strategy<Value = Generated> {
    let fields = prop::collection::vec((field_name(), ows(), field_value(), ows()), 0..12);
    let chunks = prop::collection::vec((1usize..64, extension(), any::<bool>()), 1..8);
    let trailers = prop::collection::vec((field_name(), field_value()), 0..3);
    (
        select(&METHODS[..]),
        "/[A-Za-z0-9._~!$&'()*+,;=:@%/-]{0,30}(\\?[A-Za-z0-9=&%._~/?-]{0,20})?",
        fields,
        any::<prop::sample::Index>(),
        prop::collection::vec(any::<u8>(), 0..300),
        any::<bool>(),
        (chunks, extension(), trailers),
    )
        .prop_map(|(method, target, fields, host_at, body, chunked, (chunks, last_ext, trailers))| {
            let mut wire = format!("{method} {target} HTTP/1.1\r\n").into_bytes();
            let mut headers = HeaderMap::new();
            let host_at = host_at.index(fields.len() + 1);
            for (i, (name, before, value, after)) in fields.iter().enumerate() {
                if i == host_at {
                    wire.extend_from_slice(b"Host: example.com:8080\r\n");
                    headers.append("host", HeaderValue::from_static("example.com:8080"));
                }
                wire.extend_from_slice(format!("{name}:{before}{value}{after}\r\n").as_bytes());
                if !name.contains('_') {
                    headers.append(HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap());
                }
            }
            if host_at == fields.len() {
                wire.extend_from_slice(b"Host: example.com:8080\r\n");
                headers.append("host", HeaderValue::from_static("example.com:8080"));
            }
            let framing = if chunked {
                wire.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
                headers.append("transfer-encoding", HeaderValue::from_static("chunked"));
                let mut left = &body[..];
                let mut turn = 0;
                while !left.is_empty() {
                    let (size, ext, upper) = &chunks[turn % chunks.len()];
                    turn += 1;
                    let (piece, rest) = left.split_at((*size).min(left.len()));
                    let size = if *upper { format!("{:X}", piece.len()) } else { format!("{:x}", piece.len()) };
                    wire.extend_from_slice(format!("{size}{ext}\r\n").as_bytes());
                    wire.extend_from_slice(piece);
                    wire.extend_from_slice(b"\r\n");
                    left = rest;
                }
                wire.extend_from_slice(format!("0{last_ext}\r\n").as_bytes());
                for (name, value) in &trailers {
                    wire.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
                }
                wire.extend_from_slice(b"\r\n");
                Framing::Chunked
            } else {
                wire.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
                headers.append("content-length", HeaderValue::from(body.len()));
                wire.extend_from_slice(&body);
                if body.is_empty() {
                    Framing::Empty
                } else {
                    Framing::Length(body.len() as u64)
                }
            };
            wire.extend_from_slice(NEXT);
            Generated { wire, method, target, headers, framing, body }
        })
}

/// Piece sizes to cut input at.
fn cuts() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..48, 1..12)
}

/// Decodes a body out of `buf`, fed from `feed` as needed: the body, or
/// the error, and whether the input ran out (and `eof` was called).
fn decode(decoder: &mut Decoder, buf: &mut BytesMut, feed: &mut Feed<'_>) -> (Vec<u8>, Result<(), BodyError>) {
    let mut body = Vec::new();
    loop {
        match decoder.decode(buf) {
            Ok(Decoded::Data(d)) => {
                assert!(!d.is_empty(), "an empty piece of data");
                body.extend_from_slice(&d);
            }
            Ok(Decoded::End) => return (body, Ok(())),
            Ok(Decoded::More) => {
                if !feed.more(buf) {
                    return (body, decoder.eof());
                }
            }
            Err(e) => return (body, Err(e)),
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// (a) Any bytes: no panic; a head taken is a prefix of the input and
    /// leaves the rest as it was; no head yet leaves the buffer untouched;
    /// and a head found in the whole input was not refused in any part of it.
    #[test]
    fn request_heads_from_any_bytes(input in messy(REQUEST_LINES)) {
        let mut buf = BytesMut::from(&input[..]);
        match parse_request(&mut buf) {
            Ok(Some(head)) => {
                prop_assert!(buf.len() < input.len());
                prop_assert_eq!(&buf[..], &input[input.len() - buf.len()..]);
                prop_assert!(head.target.starts_with('/'));
                prop_assert!(head.framing != Framing::UntilClose);
                prop_assert!(head.version == Version::HTTP_11 || head.version == Version::HTTP_10);
                let len = input.len() - buf.len();
                for cut in 0..len {
                    let mut part = BytesMut::from(&input[..cut]);
                    prop_assert!(matches!(parse_request(&mut part), Ok(None)), "the first {} of {} head bytes refused", cut, len);
                    prop_assert_eq!(part.len(), cut);
                }
            }
            Ok(None) => prop_assert_eq!(&buf[..], &input[..]),
            Err(_) => prop_assert!(input.ends_with(&buf)),
        }
    }

    #[test]
    fn response_heads_from_any_bytes(input in messy(STATUS_LINES), method in select(&METHODS[..])) {
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut buf = BytesMut::from(&input[..]);
        match parse_response(&mut buf, &method) {
            Ok(Some(head)) => {
                prop_assert!(buf.len() < input.len());
                prop_assert_eq!(&buf[..], &input[input.len() - buf.len()..]);
                prop_assert!(!head.headers.contains_key("transfer-encoding"));
                if method == Method::HEAD || head.status.is_informational() || head.status.as_u16() == 204 || head.status.as_u16() == 304 {
                    prop_assert_eq!(head.framing, Framing::Empty);
                }
                if head.framing == Framing::UntilClose {
                    prop_assert!(!head.keep_alive);
                }
                let len = input.len() - buf.len();
                for cut in 0..len {
                    let mut part = BytesMut::from(&input[..cut]);
                    prop_assert!(matches!(parse_response(&mut part, &method), Ok(None)), "the first {} of {} head bytes refused", cut, len);
                }
            }
            Ok(None) => prop_assert_eq!(&buf[..], &input[..]),
            Err(_) => prop_assert!(input.ends_with(&buf)),
        }
    }

    /// (b) A valid request, cut anywhere, reads back exactly: method,
    /// target, fields (those named with `_` dropped), body, and not a byte
    /// of what follows it.
    #[test]
    fn valid_requests_read_back_exactly(request in generated(), cuts in cuts()) {
        let mut feed = Feed::new(&request.wire, &cuts);
        let mut buf = BytesMut::new();
        let head = loop {
            if let Some(head) = parse_request(&mut buf).map_err(fail)? {
                break head;
            }
            prop_assert!(feed.more(&mut buf), "the input ran out before the head");
        };
        prop_assert_eq!(head.method.as_str(), request.method);
        prop_assert_eq!(&head.target, &request.target);
        prop_assert_eq!(head.version, Version::HTTP_11);
        prop_assert_eq!(&head.headers, &request.headers);
        prop_assert_eq!(head.framing, request.framing);
        prop_assert!(head.keep_alive && !head.expect_continue);
        let mut decoder = Decoder::new(head.framing);
        let (body, end) = decode(&mut decoder, &mut buf, &mut feed);
        end.map_err(fail)?;
        prop_assert_eq!(body, request.body);
        let mut rest = buf.to_vec();
        rest.extend_from_slice(feed.rest());
        prop_assert_eq!(rest, NEXT);
    }

    /// (c) The chunked decoder on any bytes: no panic, never more data out
    /// than bytes in, and at its end what is left is the input's tail.
    #[test]
    fn chunked_decoding_of_any_bytes(
        input in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            chunked_like(),
            chunked_like(),
            prop::collection::vec(select(&b"0123456789abcdefABCDEFxX;= :\t\r\n\r\n\r\n"[..]), 0..300),
            prop::collection::vec(select(&["0", "1", "5", "a", "F", ";e=1", "\r\n", "\n", "\r", "hello", "x: y", "0\r\n\r\n"][..]), 0..60)
                .prop_map(|p| p.concat().into_bytes()),
        ],
        cuts in cuts(),
    ) {
        let mut feed = Feed::new(&input, &cuts);
        let mut buf = BytesMut::new();
        let mut decoder = Decoder::new(Framing::Chunked);
        let (body, end) = decode(&mut decoder, &mut buf, &mut feed);
        prop_assert!(body.len() <= feed.at, "{} bytes of body out of {} in", body.len(), feed.at);
        if end.is_ok() {
            prop_assert!(decoder.is_done());
            prop_assert_eq!(&buf[..], &input[feed.at - buf.len()..feed.at]);
        }
    }

    /// (c) Any body cut into chunks by `put_chunk`, then `LAST_CHUNK`,
    /// decodes back exactly, whatever the feed, leaving what follows.
    #[test]
    fn chunked_bodies_decode_back(
        body in prop::collection::vec(any::<u8>(), 0..2000),
        sizes in prop::collection::vec(0usize..300, 1..10),
        after in prop::collection::vec(any::<u8>(), 0..40),
        cuts in cuts(),
    ) {
        let mut wire = BytesMut::new();
        let mut left = &body[..];
        let mut turn = 0;
        loop {
            let size = sizes[turn % sizes.len()];
            turn += 1;
            if size == 0 {
                // Writes nothing (an empty chunk would end the body).
                put_chunk(&mut wire, b"");
            }
            let (piece, rest) = left.split_at(size.max(1).min(left.len()));
            put_chunk(&mut wire, piece);
            left = rest;
            if left.is_empty() {
                break;
            }
        }
        wire.extend_from_slice(LAST_CHUNK);
        wire.extend_from_slice(&after);
        let mut feed = Feed::new(&wire, &cuts);
        let mut buf = BytesMut::new();
        let mut decoder = Decoder::new(Framing::Chunked);
        let (got, end) = decode(&mut decoder, &mut buf, &mut feed);
        end.map_err(fail)?;
        prop_assert_eq!(got, body);
        let mut rest = buf.to_vec();
        rest.extend_from_slice(feed.rest());
        prop_assert_eq!(rest, after);
    }

    /// (d) A length takes exactly its bytes, whatever the feed; fewer is an
    /// incomplete body, never a short one taken for whole.
    #[test]
    fn lengths_take_exactly_their_bytes(n in 0u64..3000, input in prop::collection::vec(any::<u8>(), 0..3500), cuts in cuts()) {
        let mut feed = Feed::new(&input, &cuts);
        let mut buf = BytesMut::new();
        let mut decoder = Decoder::new(if n == 0 { Framing::Empty } else { Framing::Length(n) });
        let (got, end) = decode(&mut decoder, &mut buf, &mut feed);
        let n = n as usize;
        if input.len() >= n {
            end.map_err(fail)?;
            prop_assert_eq!(&got[..], &input[..n]);
            prop_assert_eq!(decoder.remaining(), Some(0));
            let mut rest = buf.to_vec();
            rest.extend_from_slice(feed.rest());
            prop_assert_eq!(&rest[..], &input[n..]);
        } else {
            prop_assert_eq!(end, Err(BodyError::Incomplete));
            prop_assert_eq!(&got[..], &input[..]);
            prop_assert_eq!(decoder.remaining(), Some((n - input.len()) as u64));
        }
    }
}

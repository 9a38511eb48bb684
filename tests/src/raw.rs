//! Raw TCP on both sides of the gateway, for tests that must see the exact
//! bytes: [`Wire`] is a caller that writes requests by hand and reads
//! responses off the socket (every read bounded in time), [`Backend`] a
//! hand-written backend that records each request's head and body as they
//! arrived and answers with whatever bytes a test scripts, misbehaving on
//! purpose if it likes.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Longest any single read waits, unless a test says otherwise.
pub const READ_LIMIT: Duration = Duration::from_secs(5);

/// One response read off the wire.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    /// The first value of a header (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON (panics, showing the body, if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&self.body)))
    }
}

/// A caller's connection: reads responses, keeping what follows one for the next.
pub struct Wire {
    pub s: TcpStream,
    pub buf: Vec<u8>,
}

impl Wire {
    /// Connects to `gateway` (`http://host:port` or `host:port`).
    pub async fn connect(gateway: &str) -> Wire {
        let addr = gateway.trim_start_matches("http://");
        let s = tokio::time::timeout(READ_LIMIT, TcpStream::connect(addr)).await.expect("connect in time").expect("connect");
        Wire { s, buf: Vec::new() }
    }

    pub async fn send(&mut self, raw: impl AsRef<[u8]>) {
        self.s.write_all(raw.as_ref()).await.expect("write to the gateway");
    }

    /// Reads more, waiting at most `limit`: `Some(false)` at the end of the
    /// stream (or a reset), `None` if nothing came in time.
    pub async fn fill_within(&mut self, limit: Duration) -> Option<bool> {
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout(limit, self.s.read(&mut chunk)).await {
            Err(_) => None,
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Some(n > 0)
            }
            Ok(Err(_)) => Some(false),
        }
    }

    /// Reads more; false at the end of the stream. Panics after [`READ_LIMIT`].
    pub async fn fill(&mut self) -> bool {
        self.fill_within(READ_LIMIT)
            .await
            .unwrap_or_else(|| panic!("no answer within {READ_LIMIT:?}; have {:?}", String::from_utf8_lossy(&self.buf)))
    }

    pub async fn line(&mut self) -> String {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..i]).into_owned();
                self.buf.drain(..i + 2);
                return line;
            }
            assert!(self.fill().await, "connection closed mid-head: {:?}", String::from_utf8_lossy(&self.buf));
        }
    }

    pub async fn take(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            assert!(self.fill().await, "connection closed mid-body: {:?}", String::from_utf8_lossy(&self.buf));
        }
        self.buf.drain(..n).collect()
    }

    /// The next response (skipping 100 Continue); `head_only` for a HEAD.
    pub async fn answer(&mut self, head_only: bool) -> Answer {
        loop {
            let status_line = self.line().await;
            assert!(status_line.starts_with("HTTP/1."), "not a status line: {status_line:?}");
            let status: u16 = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{status_line}"));
            let mut headers = Vec::new();
            loop {
                let l = self.line().await;
                if l.is_empty() {
                    break;
                }
                let (k, v) = l.split_once(':').unwrap_or_else(|| panic!("not a header: {l:?}"));
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
            if status == 100 {
                continue;
            }
            let mut a = Answer { status, headers, body: Vec::new() };
            if head_only || status == 204 || status == 304 {
                return a;
            }
            if let Some(n) = a.header("content-length") {
                a.body = self.take(n.parse().expect("a numeric content-length")).await;
            } else if a.header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
                loop {
                    let size_line = self.line().await;
                    let size = usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16).expect("a chunk size");
                    let data = self.take(size).await;
                    self.take(2).await;
                    if size == 0 {
                        break;
                    }
                    a.body.extend(data);
                }
            } else {
                while self.fill().await {}
                a.body = std::mem::take(&mut self.buf);
            }
            return a;
        }
    }

    /// Whether the gateway closed the connection (nothing more to read).
    pub async fn closed(&mut self) -> bool {
        self.buf.is_empty() && !self.fill().await
    }

    /// Reads (keeping what arrives in `buf`) until the gateway closes the
    /// connection; how long that took, or `None` if it was still open after `limit`.
    pub async fn closed_within(&mut self, limit: Duration) -> Option<Duration> {
        let started = Instant::now();
        loop {
            let left = limit.checked_sub(started.elapsed())?;
            match self.fill_within(left).await {
                None => return None,
                Some(false) => return Some(started.elapsed()),
                Some(true) => {}
            }
        }
    }
}

/// A request as a raw backend received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub target: String,
    /// The head exactly as it arrived, request line included, up to the blank line.
    pub head: String,
    pub headers: Vec<(String, String)>,
    /// The body, read by `Content-Length` only (as Python's http.server does):
    /// without one, the body is empty and whatever follows is the next request.
    pub body: Vec<u8>,
    /// Which connection (counted from 0) it came on.
    pub conn: usize,
}

impl Received {
    /// Every value of a header (any case).
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.all(name).into_iter().next()
    }
}

/// What a raw backend does for one request, in order.
#[derive(Debug, Clone)]
pub enum Act {
    /// Writes these bytes (one write).
    Write(Vec<u8>),
    /// Waits.
    Sleep(Duration),
    /// Closes the connection (after what was written before it).
    Close,
}

impl Act {
    pub fn write(s: impl AsRef<[u8]>) -> Act {
        Act::Write(s.as_ref().to_vec())
    }
}

/// A plain `200 OK` with `body` and its length.
pub fn ok(body: impl AsRef<[u8]>) -> Vec<u8> {
    let body = body.as_ref();
    let mut out = format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

type Script = dyn Fn(&Received) -> Vec<Act> + Send + Sync;

/// A hand-written HTTP/1.1 backend on 127.0.0.1: reads requests one after
/// another on each connection, records them, and runs the test's script
/// for each. Stops when dropped.
pub struct Backend {
    pub addr: String,
    log: Arc<Mutex<Vec<Received>>>,
    conns: Arc<Mutex<usize>>,
    task: tokio::task::JoinHandle<()>,
}

impl Backend {
    pub async fn start(script: impl Fn(&Received) -> Vec<Act> + Send + Sync + 'static) -> Backend {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind a raw backend");
        let addr = l.local_addr().expect("addr").to_string();
        let log = Arc::new(Mutex::new(Vec::new()));
        let conns = Arc::new(Mutex::new(0usize));
        let script: Arc<Script> = Arc::new(script);
        let (log2, conns2) = (log.clone(), conns.clone());
        let task = tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                let id = {
                    let mut c = conns2.lock().unwrap();
                    *c += 1;
                    *c - 1
                };
                tokio::spawn(serve_conn(s, id, script.clone(), log2.clone()));
            }
        });
        Backend { addr, log, conns, task }
    }

    /// Every request received so far, in order of arrival.
    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        *self.conns.lock().unwrap()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve_conn(mut s: TcpStream, id: usize, script: Arc<Script>, log: Arc<Mutex<Vec<Received>>>) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let Some(req) = read_request(&mut s, &mut buf, id).await else { return };
        log.lock().unwrap().push(req.clone());
        for act in script(&req) {
            match act {
                Act::Write(bytes) => {
                    if s.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Act::Sleep(d) => tokio::time::sleep(d).await,
                Act::Close => {
                    let _ = s.shutdown().await;
                    return;
                }
            }
        }
    }
}

/// Reads one request: its head up to the blank line, then exactly
/// `Content-Length` bytes of body (none without one). `None` when the
/// connection ends (or idles 30 s) first.
async fn read_request(s: &mut TcpStream, buf: &mut Vec<u8>, conn: usize) -> Option<Received> {
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut chunk)).await.ok()?.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end - 4]).into_owned();
    buf.drain(..head_end);
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let (method, target) = (first.next().unwrap_or("").to_string(), first.next().unwrap_or("").to_string());
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    let length: usize =
        headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    while buf.len() < length {
        let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut chunk)).await.ok()?.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body: Vec<u8> = buf.drain(..length).collect();
    Some(Received { method, target, head, headers, body, conn })
}

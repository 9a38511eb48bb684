//! The floor: the least a tokio-based HTTP/1.1 reverse proxy does per
//! request, to measure what apigw's design can reach at best on this
//! machine. Thread-per-core current-thread runtimes, each pinned to its
//! core and dealt connections in turn (as apigw's gateway), one task per
//! caller connection, keep-alive backend connections pooled
//! per thread, and per request: parse the caller's head with httparse, copy
//! it to the backend with the path rewritten and hop-by-hop headers dropped
//! (`X-Forwarded-For` added), parse the backend's head, read its body by
//! `Content-Length`, and copy head and body back in one write. No features
//! (routing, keys, limits, metrics), no bodies on requests, no chunked
//! responses: it is a measuring stick, not a proxy.
//! Usage: `floor <listen-port> <backend-port> <backend-path>`.

use std::cell::RefCell;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

thread_local! {
    static POOL: RefCell<Vec<TcpStream>> = const { RefCell::new(Vec::new()) };
}

/// Where a complete head ends in `buf`, and its `Content-Length`.
fn head_end(buf: &[u8], response: bool) -> Option<(usize, usize)> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let (n, hs) = if response {
        let mut res = httparse::Response::new(&mut headers);
        match res.parse(buf) {
            Ok(httparse::Status::Complete(n)) => (n, res.headers.len()),
            _ => return None,
        }
    } else {
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(buf) {
            Ok(httparse::Status::Complete(n)) => (n, req.headers.len()),
            _ => return None,
        }
    };
    let len = headers[..hs]
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok()?.parse().ok())
        .unwrap_or(0);
    Some((n, len))
}

async fn conn(mut caller: TcpStream, peer: SocketAddr, backend: SocketAddr, path: &'static str) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(8192);
    let mut out = Vec::with_capacity(1024);
    let mut resp = Vec::with_capacity(8192);
    let ip = peer.ip().to_string();
    loop {
        // Caller's head.
        let n = loop {
            if let Some((n, _)) = head_end(&buf, false) {
                break n;
            }
            buf.reserve(4096);
            if caller.read_buf(&mut buf).await? == 0 {
                return Ok(());
            }
        };
        // Backend request: request line with the backend's path, headers minus hop-by-hop, plus X-Forwarded-For.
        out.clear();
        {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut req = httparse::Request::new(&mut headers);
            req.parse(&buf[..n]).map_err(std::io::Error::other)?;
            out.extend_from_slice(req.method.unwrap_or("GET").as_bytes());
            out.push(b' ');
            out.extend_from_slice(path.as_bytes());
            out.extend_from_slice(b" HTTP/1.1\r\n");
            for h in req.headers.iter() {
                if h.name.eq_ignore_ascii_case("connection") || h.name.eq_ignore_ascii_case("keep-alive") {
                    continue;
                }
                out.extend_from_slice(h.name.as_bytes());
                out.extend_from_slice(b": ");
                out.extend_from_slice(h.value);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"x-forwarded-for: ");
            out.extend_from_slice(ip.as_bytes());
            out.extend_from_slice(b"\r\n\r\n");
        }
        buf.drain(..n);
        let mut up = match POOL.with(|p| p.borrow_mut().pop()) {
            Some(s) => s,
            None => {
                let s = TcpStream::connect(backend).await?;
                s.set_nodelay(true)?;
                s
            }
        };
        up.write_all(&out).await?;
        // Backend's response, whole.
        resp.clear();
        let total = loop {
            if let Some((h, len)) = head_end(&resp, true) {
                break h + len;
            }
            resp.reserve(8192);
            if up.read_buf(&mut resp).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        };
        while resp.len() < total {
            resp.reserve(total - resp.len());
            if up.read_buf(&mut resp).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
        POOL.with(|p| p.borrow_mut().push(up));
        caller.write_all(&resp).await?;
    }
}

/// Holds the calling thread on `cpu`, as apigw's gateway does with its workers.
#[allow(unsafe_code)] // sched_setaffinity with libc's cpu_set_t
fn pin(cpu: usize) {
    // SAFETY: an all-zero cpu_set_t is the empty set; `cpu` is below the
    // core count, far below CPU_SETSIZE; the size is the set's own.
    let ok = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    };
    if !ok {
        eprintln!("floor: could not pin a worker to core {cpu}: {}", std::io::Error::last_os_error());
    }
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(9935);
    let backend: SocketAddr = ([127, 0, 0, 1], args.next().and_then(|p| p.parse().ok()).unwrap_or(9931)).into();
    let path: &'static str = args.next().unwrap_or_else(|| "/items".into()).leak();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    // As apigw: one worker per core, each pinned to its core, connections dealt out in turn.
    let mut senders = Vec::new();
    for cpu in 0..workers {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(std::net::TcpStream, SocketAddr)>();
        senders.push(tx);
        std::thread::spawn(move || {
            if workers > 1 {
                pin(cpu);
            }
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            let local = tokio::task::LocalSet::new();
            local.block_on(&rt, async move {
                while let Some((s, peer)) = rx.recv().await {
                    let Ok(s) = TcpStream::from_std(s) else { continue };
                    tokio::task::spawn_local(async move {
                        let _ = conn(s, peer, backend, path).await;
                    });
                }
            });
        });
    }
    eprintln!("floor proxy on 127.0.0.1:{port} -> {backend}{path}, {workers} threads");
    for (i, accepted) in listener.incoming().enumerate() {
        let Ok(s) = accepted else { continue };
        let (Ok(peer), Ok(())) = (s.peer_addr(), s.set_nodelay(true).and_then(|()| s.set_nonblocking(true))) else { continue };
        let _ = senders[i % workers].send((s, peer));
    }
    Ok(())
}

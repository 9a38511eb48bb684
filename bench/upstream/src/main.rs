//! The benchmark's upstream: a small, fast HTTP/1.1 server answering every
//! request with the same ~1 KB JSON body. `GET /__count` answers how many
//! other requests it has served (so the benchmark can compare with the
//! gateway's metrics). Usage: `bench-upstream <port>`.

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

fn body() -> Bytes {
    let items: Vec<String> =
        (0..16).map(|i| format!(r#"{{"id":{i},"name":"item-{i:04}","price":{}.99,"tags":["a","b"]}}"#, i * 3)).collect();
    let json = format!(r#"{{"ok":true,"items":[{}],"note":"fixed upstream body for apigw benchmarks"}}"#, items.join(","));
    Bytes::from(json)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(9900);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let body = body();
    let served = Arc::new(AtomicU64::new(0));
    eprintln!("bench-upstream on 127.0.0.1:{port}, body {} bytes", body.len());
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let (body, served) = (body.clone(), served.clone());
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                let (body, served) = (body.clone(), served.clone());
                async move {
                    let res = if req.uri().path() == "/__count" {
                        Response::new(Full::new(Bytes::from(served.load(Ordering::Relaxed).to_string())))
                    } else {
                        // Read a request body whole (the mapped-template rows POST one),
                        // as a real backend does, so the connection stays reusable.
                        let _ = http_body_util::BodyExt::collect(req.into_body()).await;
                        served.fetch_add(1, Ordering::Relaxed);
                        let mut r = Response::new(Full::new(body));
                        r.headers_mut().insert("content-type", "application/json".parse().expect("static"));
                        r
                    };
                    Ok::<_, Infallible>(res)
                }
            });
            let _ = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), svc).await;
        });
    }
}

//! apigw's server: the console listener (Leptos console, server functions,
//! control API), the gateway listener, and the SQLite store behind both.
//! `main.rs` only parses flags and calls into here, so tests can start the
//! same server on port 0.

/// A hash map with a fast hasher (foldhash, seeded per process), for the
/// lookup tables every gateway request goes through. Their keys are ids and
/// names from the configuration, not inserted by callers.
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Control-API access keys.
pub mod access_keys;
/// The rules for a RestApi's attributes beyond name and description, and for tags.
pub mod api_settings;
/// API configuration rules: one implementation for console and control API.
pub mod apis;
/// The rule every stored integration meets.
pub mod apis_integration;
/// The console's method form, saved by the control API's rules.
pub mod apis_save;
/// The control API's partial updates (Update* operations) of an API's configuration.
pub mod apis_update;
/// The audit log: who changed what, from where.
pub mod audit;
/// Console sign-in: passwords, throttling, sessions.
pub mod auth;
/// Flags and environment variables.
pub mod config;
/// The console listener and its session gate.
pub mod console;
/// The AWS-compatible control API.
pub mod control;
/// Deployments and stages.
pub mod deploy;
/// The open-file limit.
pub mod fdlimit;
/// The gateway listener.
pub mod gateway;
/// An API's models, request validators, gateway responses, documentation and authorizers.
pub mod items;
/// Per-request metrics: recording, rollups, queries, Prometheus.
pub mod metrics;
/// OpenAPI documents in and out (ImportRestApi, PutRestApi, GetExport).
pub mod openapi;
/// API keys and usage plans.
pub mod plans;
/// ImportApiKeys: keys and their plans from AWS's CSV format.
pub mod plans_import;
/// GetUsage, UpdateUsage and the console's plan usage.
pub mod plans_usage;
/// Which role each server function and control-API request needs.
pub mod roles;
/// Sealing of secrets at rest with the server key.
pub mod secrets;
/// AWS Signature V4 verification.
pub mod sigv4;
/// The SQLite store.
pub mod store;
/// The console's "Try it" for a mapping template.
pub mod template_try;
/// TestInvokeMethod: the console's Test button.
pub mod testinvoke;
/// Velocity (VTL) mapping templates as API Gateway renders them.
pub mod vtl;

use std::future::Future;

/// A console user's role, for callers of the admin functions.
pub use apigw_app::identity::Role;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use apigw_app::model::ServerInfo;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use crate::store::Store;

/// What `serve` needs to start.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub db: PathBuf,
    pub console_addr: SocketAddr,
    pub gateway_addr: SocketAddr,
    /// Extra CAs (PEM) for https:// backends.
    pub backend_ca_file: Option<PathBuf>,
    /// Days the access log keeps each request.
    pub log_retention_days: u32,
    /// Bearer token `GET /metrics` requires, if any.
    pub metrics_token: Option<String>,
    /// Hold each gateway worker thread on a core of its own (when there is
    /// one worker per allowed core).
    pub pin_gateway_threads: bool,
    /// How long the gateway waits on callers and backends.
    pub timeouts: gateway::http1::Timeouts,
    /// Most caller connections open at once (0: from the open-file limit).
    pub max_connections: usize,
    /// The regions a control-API signature may be scoped to.
    pub regions: sigv4::Regions,
}

impl ServeOptions {
    /// Options for a server on `db` with both listeners on any free loopback
    /// port and every other setting at its default (for tests and tools).
    pub fn on_free_ports(db: &std::path::Path) -> Self {
        let any: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            db: db.to_owned(),
            console_addr: any,
            gateway_addr: any,
            backend_ca_file: None,
            log_retention_days: 7,
            metrics_token: None,
            pin_gateway_threads: true,
            timeouts: Default::default(),
            max_connections: 0,
            regions: Default::default(),
        }
    }
}

/// A server whose listeners are bound and whose store is open, ready to run.
pub struct Server {
    store: Store,
    key: secrets::ServerKey,
    console_listener: TcpListener,
    gateway_listener: TcpListener,
    console_addr: SocketAddr,
    gateway_addr: SocketAddr,
    connector: gateway::proxy::Connector,
    log_retention_days: u32,
    metrics_token: Option<String>,
    pin_gateway_threads: bool,
    timeouts: gateway::http1::Timeouts,
    max_connections: usize,
    regions: sigv4::Regions,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source} (is another apigw or program using that port? pick another with --console-addr / --gateway-addr)")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot set up the backend TLS client: {0}")]
    Tls(std::io::Error),
    #[error("cannot use the server key file: {0}")]
    Key(std::io::Error),
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
}

impl Server {
    /// Opens the store (applying migrations) and binds both listeners.
    pub async fn bind(opts: &ServeOptions) -> Result<Self, ServeError> {
        // Checked first: a bad CA file is a configuration error to report before anything starts.
        let connector = gateway::proxy::upstream_connector(opts.backend_ca_file.as_deref()).map_err(ServeError::Tls)?;
        let store = Store::open(&opts.db).await?;
        let key = server_key(&store, &opts.db).await.map_err(ServeError::Key)?;
        let bind = |addr: SocketAddr| async move { TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source }) };
        let console_listener = bind(opts.console_addr).await?;
        let gateway_listener = bind(opts.gateway_addr).await?;
        Ok(Self {
            store,
            key,
            console_addr: console_listener.local_addr()?,
            gateway_addr: gateway_listener.local_addr()?,
            console_listener,
            gateway_listener,
            connector,
            log_retention_days: opts.log_retention_days,
            metrics_token: opts.metrics_token.clone(),
            pin_gateway_threads: opts.pin_gateway_threads,
            timeouts: opts.timeouts,
            max_connections: opts.max_connections,
            regions: opts.regions.clone(),
        })
    }

    /// Where the console actually listens (useful with port 0).
    pub fn console_addr(&self) -> SocketAddr {
        self.console_addr
    }

    /// Where the gateway actually listens.
    pub fn gateway_addr(&self) -> SocketAddr {
        self.gateway_addr
    }

    /// Serves both listeners until `shutdown` completes, then lets in-flight
    /// requests finish and closes the store.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> Result<(), ServeError> {
        let info = ServerInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            console_url: format!("http://{}", self.console_addr),
            gateway_url: format!("http://{}", self.gateway_addr),
            database_path: self.store.path().display().to_string(),
            username: String::new(),
        };
        let key = self.key;
        match (&self.metrics_token, self.console_addr.ip().is_loopback()) {
            (Some(_), _) => tracing::info!("GET /metrics requires the bearer token set with --metrics-token"),
            (None, true) => tracing::info!("GET /metrics is open to this machine only (the console listens on loopback)"),
            (None, false) => tracing::warn!(
                "GET /metrics answers only callers on this machine (loopback) since no --metrics-token (APIGW_METRICS_TOKEN) is set; \
                 set one to scrape it from elsewhere"
            ),
        }
        let pool = Arc::new(gateway::limits::BucketPool::default());
        let registry = gateway::registry::Registry::load(self.store.clone(), pool.clone()).await?;
        let access = gateway::access::Access::load(self.store.clone(), pool).await?;
        let (recorder, records) = metrics::Recorder::new();
        let prom = Arc::new(metrics::prom::Prom::default());
        let writer = metrics::writer::Writer::new(self.store.clone(), records, recorder.clone(), prom.clone(), self.log_retention_days);
        let hub = Arc::new(metrics::Hub { prom, recorder: recorder.clone(), stats: writer.stats.clone(), token: self.metrics_token });
        let gateway = Arc::new(gateway::Gateway {
            registry: registry.clone(),
            access: access.clone(),
            upstream: gateway::proxy::clients(self.connector.clone()),
            connector: self.connector,
            recorder,
            timeouts: self.timeouts,
        });
        let console =
            console::Console::new(self.store.clone(), key, registry, access.clone(), hub, gateway.clone(), info, self.regions).await?;
        let console_app = console::router(console, leptos_options(self.console_addr));
        // Metrics are written in batches until the gateway has finished its last request.
        let (writer_stop, writer_stop_rx) = tokio::sync::watch::channel(false);
        let writer = tokio::spawn(writer.run(writer_stop_rx));
        // Usage counts are written about once a second, and once more after
        // the last request has finished.
        let (flush_stop, flush_stop_rx) = tokio::sync::watch::channel(false);
        let flusher = tokio::spawn(access.run_flusher(flush_stop_rx));

        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
            let _ = rx.wait_for(|s| *s).await;
        };
        tokio::spawn(purge_sessions_periodically(self.store.clone(), stop_rx.clone()));

        let console_srv = axum::serve(self.console_listener, console_app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(stopped(stop_rx.clone()));
        let gateway_srv = gateway::serve(self.gateway_listener, gateway, stop_rx, self.pin_gateway_threads, self.max_connections);
        let (c, g) = tokio::join!(console_srv, gateway_srv);
        let _ = flush_stop.send(true);
        let _ = writer_stop.send(true);
        let _ = flusher.await;
        let _ = writer.await;
        c?;
        g?;
        self.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

async fn purge_sessions_periodically(store: Store, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = store.purge_expired_sessions().await {
                    tracing::warn!(error = %e, "could not purge expired sessions");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// Leptos' options with built-in defaults, so the binary serves its console
/// without cargo-leptos' environment; each is overridable by the usual
/// `LEPTOS_*` variable.
pub fn leptos_options(console_addr: SocketAddr) -> LeptosOptions {
    let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_string());
    LeptosOptions::builder()
        .output_name(var("LEPTOS_OUTPUT_NAME", "apigw"))
        .site_root(var("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(console_addr)
        .build()
}

/// Resolves when the process receives SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

/// The key that seals access-key secrets, for the database at `db`. A
/// missing key file is only recreated while no secret depends on it.
async fn server_key(store: &Store, db: &std::path::Path) -> std::io::Result<secrets::ServerKey> {
    let sealed = store.access_key_count().await.map_err(std::io::Error::other)?;
    secrets::ServerKey::load_or_create(&secrets::key_path_for(db), sealed)
}

/// `apigw admin forget-access-keys`: deletes every access key, for when the
/// key file that sealed their secrets is lost. Returns how many went.
pub async fn admin_forget_access_keys(db: &std::path::Path) -> Result<u64, String> {
    let store = Store::open(db).await.map_err(|e| e.to_string())?;
    let result = store.delete_all_access_keys().await.map_err(|e| e.to_string());
    store.close().await;
    result
}

/// `apigw admin create-user`: adds a console user directly in the database.
/// A running server sees it at once (users and roles are read per request).
pub async fn admin_create_user(db: &std::path::Path, username: &str, password: &str, role: Role) -> Result<(), String> {
    let store = Store::open(db).await.map_err(|e| e.to_string())?;
    let auth = auth::Auth::new(store.clone());
    let result = auth.create_user(username, password, role, false).await.map_err(|e| e.to_string());
    if result.is_ok() {
        let target = format!("username={username}, role={role}");
        audit::record(&store, audit::Actor::Named(&cli_actor()), "cli", "cli", "user_create", &target, 200).await;
    }
    store.close().await;
    result.map(|_| ())
}

/// `apigw admin reset-password`: sets a user's password and ends their sessions.
pub async fn admin_reset_password(db: &std::path::Path, username: &str, password: &str) -> Result<(), String> {
    let store = Store::open(db).await.map_err(|e| e.to_string())?;
    let result = async {
        let user =
            store.user_by_name(username).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("no console user named '{username}'"))?;
        auth::Auth::new(store.clone()).set_password(user.id, password, None).await.map_err(|e| e.to_string())?;
        audit::record(&store, audit::Actor::Named(&cli_actor()), "cli", "cli", "user_reset_password", &format!("username={username}"), 200)
            .await;
        Ok(())
    }
    .await;
    store.close().await;
    result
}

/// Who ran a command-line change, for the audit log: the operating-system user.
fn cli_actor() -> String {
    format!("{} (command line)", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

/// `apigw admin create-access-key`: makes a control-API key for an existing user.
pub async fn admin_create_access_key(db: &std::path::Path, username: &str, description: &str) -> Result<access_keys::NewAccessKey, String> {
    let store = Store::open(db).await.map_err(|e| e.to_string())?;
    let result = async {
        let user =
            store.user_by_name(username).await.map_err(|e| e.to_string())?.ok_or_else(|| {
                format!("no console user named '{username}'; create one with `apigw admin create-user` or the setup page")
            })?;
        let key = server_key(&store, db).await.map_err(|e| format!("server key: {e}"))?;
        access_keys::AccessKeys::new(store.clone(), key).create(user.id, description).await.map_err(|e| e.to_string())
    }
    .await;
    store.close().await;
    result
}

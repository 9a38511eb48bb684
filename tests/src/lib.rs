//! Test harness: starts the real apigw server on port 0 with a temporary
//! SQLite file, and gives tests HTTP clients that talk to it.

pub mod aws;
pub mod control;
pub mod echo;
pub mod gw;
pub mod raw;

use std::path::{Path, PathBuf};

use apigw_server::{ServeOptions, Server};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The password tests use for the first admin.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// A running server. Dropping it stops the server; `stop` waits for that.
pub struct TestServer {
    pub console: String,
    pub gateway: String,
    pub db: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// A fresh server with an empty database.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("nested").join("apigw.db");
        let mut s = Self::start_on(&db).await;
        s._dir = Some(dir);
        s
    }

    /// A server on an existing (or new) database file, for restart tests.
    pub async fn start_on(db: &Path) -> Self {
        Self::start_with(db, None).await
    }

    /// A fresh server with an empty database and its options (timeouts,
    /// connection cap, ...) changed by `configure`.
    pub async fn start_configured(configure: impl FnOnce(&mut ServeOptions)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("nested").join("apigw.db");
        let mut opts = ServeOptions::on_free_ports(&db);
        configure(&mut opts);
        let mut s = Self::start_opts(opts).await;
        s._dir = Some(dir);
        s
    }

    /// A server that also trusts the CAs in `backend_ca` for https:// backends.
    pub async fn start_with(db: &Path, backend_ca: Option<PathBuf>) -> Self {
        Self::start_opts(ServeOptions { backend_ca_file: backend_ca, ..ServeOptions::on_free_ports(db) }).await
    }

    async fn start_opts(opts: ServeOptions) -> Self {
        // Server logs go to the test's captured output (shown on failure).
        let _ = tracing_subscriber::fmt()
            .with_test_writer()
            .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn,apigw_server=info".into()))
            .try_init();
        let db = opts.db.clone();
        let server = Server::bind(&opts).await.expect("server binds");
        let console = format!("http://{}", server.console_addr());
        let gateway = format!("http://{}", server.gateway_addr());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async move {
                    let _ = rx.await;
                })
                .await
                .expect("server runs");
        });
        Self { console, gateway, db, stop: Some(tx), task: Some(task), _dir: None }
    }

    /// Stops the server gracefully and waits until it has.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task ends cleanly");
        }
    }

    /// A client with its own cookie jar that does not follow redirects, so
    /// tests see the redirects the server sends. A request unanswered for 20 s
    /// fails its test (naming the request) instead of hanging the suite.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(20))
            .build()
            .expect("client")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.console, path)
    }

    /// Posts a form to a server function, as the console's forms do.
    pub async fn call(&self, client: &reqwest::Client, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client.post(self.url(&format!("/api/{endpoint}"))).form(form).send().await.expect("request")
    }

    /// Creates the first admin through the setup page and returns a signed-in client.
    pub async fn setup_admin(&self, username: &str) -> reqwest::Client {
        let client = self.client();
        let res = self.call(&client, "setup", &[("username", username), ("password", ADMIN_PASSWORD), ("confirm", ADMIN_PASSWORD)]).await;
        assert_eq!(res.status(), 200, "setup failed: {}", res.text().await.unwrap_or_default());
        client
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

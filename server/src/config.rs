//! Command-line flags and environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::builder::TypedValueParser as _;
use clap::{Parser, Subcommand};

/// apigw: a self-hosted API gateway with a browser console, in one binary.
///
/// With no subcommand, `serve` runs: the console (and control API) on one
/// listener, API traffic on the other, both backed by one SQLite file.
#[derive(Debug, Parser)]
#[command(name = "apigw", version)]
pub struct Cli {
    /// SQLite database file; created, with its directory, on first start.
    #[arg(long, env = "APIGW_DB", default_value = "data/apigw.db", global = true)]
    pub db: PathBuf,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the console and the gateway (the default).
    Serve(ServeArgs),
    /// Administrative tasks run against the database, without a running server.
    #[command(subcommand)]
    Admin(AdminCommand),
}

/// Where the two listeners bind.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address of the console, its server functions and the control API.
    #[arg(long, env = "APIGW_CONSOLE_ADDR", default_value = "127.0.0.1:3000")]
    pub console_addr: SocketAddr,

    /// Address that serves API traffic to deployed stages.
    #[arg(long, env = "APIGW_GATEWAY_ADDR", default_value = "127.0.0.1:8080")]
    pub gateway_addr: SocketAddr,

    /// Extra CA certificates (PEM) to trust for https:// backends, besides
    /// Mozilla's roots: for backends with a private CA.
    #[arg(long, env = "APIGW_BACKEND_CA_FILE")]
    pub backend_ca_file: Option<PathBuf>,

    /// Days the access log keeps each request (1–365). Rollups for the
    /// dashboards are kept on their own schedule.
    #[arg(long, env = "APIGW_LOG_RETENTION_DAYS", default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=365))]
    pub log_retention_days: u32,

    /// If set, `GET /metrics` (Prometheus) requires `Authorization: Bearer <token>`.
    #[arg(long, env = "APIGW_METRICS_TOKEN")]
    pub metrics_token: Option<String>,

    /// Hold each gateway worker thread on a core of its own (on, the
    /// default, or off). Applies when apigw may use exactly as many cores
    /// as it has workers; under a smaller CPU quota the threads float anyway.
    #[arg(long, env = "APIGW_PIN_GATEWAY_THREADS", default_value = "on", value_name = "on|off", action = clap::ArgAction::Set, value_parser = clap::builder::PossibleValuesParser::new(["on", "off"]).map(|v| v == "on"))]
    pub pin_gateway_threads: bool,

    /// Seconds a caller has to send a request head, from its first byte
    /// (and a new connection to send its first byte); slower callers are closed.
    #[arg(long, env = "APIGW_HEAD_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub head_timeout: u64,

    /// Seconds an idle keep-alive caller connection is kept open.
    #[arg(long, env = "APIGW_IDLE_TIMEOUT", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout: u64,

    /// Longest pause, in seconds, while a request body arrives (answered 408).
    #[arg(long, env = "APIGW_BODY_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout: u64,

    /// Longest pause, in seconds, while a backend's response body arrives or
    /// a caller reads its response; the response is then cut off.
    #[arg(long, env = "APIGW_SEND_TIMEOUT", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub send_timeout: u64,

    /// Most caller connections open at once; past it a new one is answered
    /// 503 and closed. 0: half the open-file limit (raised to its maximum at
    /// start), less 256 for the console, database and backends.
    #[arg(long, env = "APIGW_MAX_CONNECTIONS", default_value_t = 0)]
    pub max_connections: usize,

    /// The region control-API signatures must be scoped to (the AWS CLI's
    /// --region / AWS_REGION), or * for any.
    #[arg(long, env = "APIGW_REGION", default_value = "us-east-1", value_parser = crate::sigv4::Regions::parse)]
    pub region: crate::sigv4::Regions,
}

impl ServeArgs {
    /// The HTTP timeouts these flags give.
    pub fn timeouts(&self) -> crate::gateway::http1::Timeouts {
        let s = std::time::Duration::from_secs;
        crate::gateway::http1::Timeouts {
            head: s(self.head_timeout),
            idle: s(self.idle_timeout),
            body: s(self.body_timeout),
            send: s(self.send_timeout),
        }
    }
}

impl Default for ServeArgs {
    fn default() -> Self {
        Self {
            console_addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            gateway_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            backend_ca_file: None,
            log_retention_days: 7,
            metrics_token: None,
            pin_gateway_threads: true,
            head_timeout: 10,
            idle_timeout: 60,
            body_timeout: 30,
            send_timeout: 30,
            max_connections: 0,
            region: Default::default(),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a console user. The password comes from APIGW_ADMIN_PASSWORD, or
    /// a prompt when that is not set.
    CreateUser {
        /// The new user's sign-in name.
        #[arg(long)]
        username: String,
        /// admin (everything, manages users), editor (APIs, stages, keys,
        /// plans) or viewer (read-only).
        #[arg(long, default_value = "admin", value_parser = ["admin", "editor", "viewer"])]
        role: String,
    },
    /// Set a user's password (from APIGW_ADMIN_PASSWORD, else a prompt) and
    /// end their sessions. Takes effect at once on a running server.
    ResetPassword {
        /// The user whose password is set.
        #[arg(long)]
        username: String,
    },
    /// Create a control-API access key for a console user and print it as
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY lines (the secret is shown only now).
    CreateAccessKey {
        /// The user the key acts as.
        #[arg(long)]
        username: String,
        /// A note saying what the key is for.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Delete every control-API access key. Only for when the key file that
    /// sealed their secrets is lost for good: apigw refuses to start without
    /// it while access keys exist, and afterwards creates a new one.
    ForgetAccessKeys {
        /// Confirms that every access key is to be deleted.
        #[arg(long)]
        yes: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_is_default_and_db_is_global() {
        let cli = Cli::try_parse_from(["apigw", "admin", "create-user", "--username", "a", "--db", "x.db"]).unwrap();
        assert_eq!(cli.db, PathBuf::from("x.db"));
        let cli = Cli::try_parse_from(["apigw"]).unwrap();
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from(["apigw", "serve", "--console-addr", "127.0.0.1:0"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Serve(a)) if a.console_addr.port() == 0));
    }

    #[test]
    fn gateway_threads_are_pinned_unless_turned_off() {
        let serve = |args: &[&str]| match Cli::try_parse_from([&["apigw", "serve"], args].concat()).map(|c| c.command) {
            Ok(Some(Command::Serve(a))) => Ok(a.pin_gateway_threads),
            Ok(other) => panic!("not serve: {other:?}"),
            Err(e) => Err(e.to_string()),
        };
        assert_eq!(serve(&[]), Ok(true));
        assert_eq!(serve(&["--pin-gateway-threads", "off"]), Ok(false));
        assert_eq!(serve(&["--pin-gateway-threads", "on"]), Ok(true));
        let err = serve(&["--pin-gateway-threads", "sometimes"]).unwrap_err();
        assert!(err.contains("--pin-gateway-threads") && err.contains("sometimes") && err.contains("possible values: on, off"), "{err}");
    }
}

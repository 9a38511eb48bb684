//! The `apigw` binary: parses flags and starts the server or an admin task.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use apigw_server::config::{AdminCommand, Cli, Command, ServeArgs};
use apigw_server::{
    admin_create_access_key, admin_create_user, admin_forget_access_keys, admin_reset_password, shutdown_signal, ServeOptions, Server,
};
use clap::Parser;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if cli.command.is_none() {
        // `serve` is the default: parse again as if it had been typed, so its
        // flags' environment variables and defaults apply.
        cli = Cli::parse_from(std::env::args_os().chain(["serve".into()]));
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into()))
        .init();
    // The console, the control API and the background work run on one
    // thread; the gateway has its own threads, one per core. Leptos's
    // server rendering can deadlock when one page's reactive graph is
    // worked on from two threads at once (leptos-rs/leptos#4673: a lock-order
    // inversion between an effect, an async derived and a Suspense context);
    // seen here as a console that stopped answering after a plan page reload
    // under load. The integration tests always ran it this way (a
    // `#[tokio::test]` runtime is single-threaded). Argon2 hashing and the
    // metrics writer's bulk inserts still run off this thread.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            None => Err("no command".to_string()),
            Some(Command::Serve(args)) => serve(&cli.db, args).await,
            Some(Command::Admin(AdminCommand::CreateUser { username, role })) => {
                let role = apigw_app::identity::Role::parse(&role).map_err(|e| e.to_string())?;
                let password = read_password()?;
                admin_create_user(&cli.db, &username, &password, role).await?;
                println!("Created console user '{username}' ({role}) in {}", cli.db.display());
                Ok(())
            }
            Some(Command::Admin(AdminCommand::ResetPassword { username })) => {
                let password = read_password()?;
                admin_reset_password(&cli.db, &username, &password).await?;
                println!("Set a new password for '{username}' and ended their sessions.");
                Ok(())
            }
            Some(Command::Admin(AdminCommand::CreateAccessKey { username, description })) => {
                let key = admin_create_access_key(&cli.db, &username, &description).await?;
                eprintln!("Access key for '{username}'. The secret is shown only now; store it safely.");
                println!("AWS_ACCESS_KEY_ID={}", key.access_key_id);
                println!("AWS_SECRET_ACCESS_KEY={}", key.secret_access_key);
                Ok(())
            }
            Some(Command::Admin(AdminCommand::ForgetAccessKeys { yes })) => {
                if !yes {
                    return Err("this deletes every access key; run it again with --yes to confirm".into());
                }
                let n = admin_forget_access_keys(&cli.db).await?;
                println!("Deleted {n} access key(s) from {}. Start apigw, then create new keys in the console or with `apigw admin create-access-key`.", cli.db.display());
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(db: &std::path::Path, args: ServeArgs) -> Result<(), String> {
    let timeouts = args.timeouts();
    let opts = ServeOptions {
        db: db.to_owned(),
        console_addr: args.console_addr,
        gateway_addr: args.gateway_addr,
        backend_ca_file: args.backend_ca_file,
        log_retention_days: args.log_retention_days,
        metrics_token: args.metrics_token,
        pin_gateway_threads: args.pin_gateway_threads,
        timeouts,
        max_connections: args.max_connections,
        regions: args.region,
    };
    let server = Server::bind(&opts).await.map_err(|e| e.to_string())?;
    println!("apigw {}", env!("CARGO_PKG_VERSION"));
    println!("  console: http://{}", server.console_addr());
    println!("  gateway: http://{}", server.gateway_addr());
    println!("  database: {}", db.display());
    tracing::info!(console = %server.console_addr(), gateway = %server.gateway_addr(), "listening");
    server.run(shutdown_signal()).await.map_err(|e| e.to_string())
}

/// The new user's password: APIGW_ADMIN_PASSWORD, else a prompt (hidden on a
/// terminal, one line from standard input otherwise).
fn read_password() -> Result<String, String> {
    if let Ok(p) = std::env::var("APIGW_ADMIN_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        let p = rpassword::prompt_password("Password (at least 12 characters): ").map_err(|e| format!("cannot read password: {e}"))?;
        let again = rpassword::prompt_password("Password again: ").map_err(|e| format!("cannot read password: {e}"))?;
        if p != again {
            return Err("the two passwords do not match".into());
        }
        Ok(p)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| format!("cannot read password from standard input: {e}"))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

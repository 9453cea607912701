//! The `elasticdash` command: serve, migrate, create-admin.

use clap::{Parser, Subcommand};
use elasticdash::{settings::Settings, startup, telemetry, Server};
use std::{io::IsTerminal, path::PathBuf, process::ExitCode};

#[derive(Parser)]
#[command(name = "elasticdash", version, about = "Test, observe and explain AI applications; dashboards for ledgers.")]
struct Cli {
    /// Settings file (missing is fine: defaults and ELASTICDASH__* variables apply).
    #[arg(long, global = true, default_value = "Leptos.toml", env = "ELASTICDASH_CONFIG")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, then serve the web app, the APIs and the job worker.
    Serve,
    /// Apply migrations to every configured store and exit.
    Migrate,
    /// Create an administrator. The password is read from the terminal, or
    /// from standard input when it is not a terminal — never from arguments.
    CreateAdmin {
        #[arg(long)]
        email: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(&cli.config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings.log);
    let result = match cli.command {
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(settings).await,
        Command::CreateAdmin { email } => create_admin(settings, &email).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

async fn serve(settings: Settings) -> CliResult {
    let server = Server::build(settings).await?;
    tracing::info!(
        primary = server.stores.primary.backend(),
        analytics = server.stores.analytics.backend(),
        blob = server.stores.blob.backend(),
        "ElasticDash listening on http://{}",
        server.addr
    );
    if server.stores.primary.count_users().await? == 0 {
        tracing::info!("no users yet: create the first admin with `elasticdash create-admin --email you@example.com`");
    }
    server.run_until(shutdown_signal()).await?;
    Ok(())
}

async fn migrate(settings: Settings) -> CliResult {
    let stores = startup::open_stores(&settings.stores).await?;
    stores.migrate().await?;
    println!(
        "migrated: primary ({}), analytics ({}), blob ({})",
        stores.primary.backend(),
        stores.analytics.backend(),
        stores.blob.backend()
    );
    Ok(())
}

async fn create_admin(settings: Settings, email: &str) -> CliResult {
    let stores = startup::open_stores(&settings.stores).await?;
    stores.migrate().await?;
    let password = read_password()?;
    let user = services::accounts::create_admin(stores.primary.as_ref(), email, &password, settings.auth.hash_cost()).await?;
    println!("created administrator {}", user.email);
    Ok(())
}

fn read_password() -> Result<String, Box<dyn std::error::Error>> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (12+ characters): ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        if first != second {
            return Err("the passwords do not match".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

async fn shutdown_signal() {
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
}

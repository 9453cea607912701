//! The `elasticdash` command: serve, migrate, create-admin, rotate-master-key.

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
    /// Re-encrypt every stored provider key under a new master key. The current key comes
    /// from the settings (or the embedded `master.key`); the new one is read from the
    /// terminal, or from standard input when it is not a terminal — never from arguments.
    /// With the embedded key file, an empty answer generates the new key and the file is
    /// replaced; otherwise set `llm.master_key` to the new key on every server and restart.
    RotateMasterKey,
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
        Command::RotateMasterKey => rotate_master_key(settings).await,
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

async fn rotate_master_key(settings: Settings) -> CliResult {
    use services::provider_keys::KeyCipher;
    let old = startup::open_key_cipher(&settings)?;
    let key_file = startup::master_key_file(&settings);
    let typed = read_secret("New master key (32 bytes, base64 or hex; empty to generate one): ", "Repeat the new master key: ")?;
    let encoded = match (typed.trim(), &key_file) {
        ("", Some(_)) => KeyCipher::generate_encoded(),
        ("", None) => return Err("type the new master key (e.g. the output of `openssl rand -base64 32`)".into()),
        (typed, _) => typed.to_owned(),
    };
    let new = KeyCipher::from_encoded(&encoded).map_err(|e| format!("the new master key: {e}"))?;
    if new.fingerprint() == old.fingerprint() {
        return Err("the new master key is the current one".into());
    }
    let stores = startup::open_stores(&settings.stores).await?;
    stores.migrate().await?;
    // Embedded: the new key is on disk before any row depends on it.
    let pending = key_file.as_ref().map(|path| path.with_extension("key.new"));
    if let Some(pending) = &pending {
        write_private(pending, &encoded)?;
    }
    let count = services::provider_keys::rotate_master_key(stores.primary.as_ref(), &old, &new).await?;
    match (&key_file, &pending) {
        (Some(path), Some(pending)) => {
            std::fs::rename(pending, path).map_err(|e| format!("rotated, but could not move {} to {}: {e}", pending.display(), path.display()))?;
            println!("re-encrypted {count} provider key(s); {} now holds the new master key ({})", path.display(), new.fingerprint());
        }
        _ => println!(
            "re-encrypted {count} provider key(s) under the new master key ({}); set ELASTICDASH__LLM__MASTER_KEY to it on every server and restart",
            new.fingerprint()
        ),
    }
    Ok(())
}

/// Create `path` readable by this user only (replacing a leftover from an interrupted run).
fn write_private(path: &std::path::Path, text: &str) -> CliResult {
    use std::io::Write;
    let _ = std::fs::remove_file(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(format!("{text}\n").as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// A secret from the terminal (asked twice) or one line of standard input.
fn read_secret(prompt: &str, repeat: &str) -> Result<String, Box<dyn std::error::Error>> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt)?;
        let second = rpassword::prompt_password(repeat)?;
        if first != second {
            return Err("the two entries do not match".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
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

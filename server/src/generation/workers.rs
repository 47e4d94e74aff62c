//! Worker identities: bearer tokens (shown once, stored as their sha256), the models
//! each token may serve, and the `arena workers` command.

use anyhow::bail;
use clap::Subcommand;

use super::blob::sha256_hex;
use crate::store::{Store, StoreError};

#[derive(Debug, Subcommand)]
pub enum WorkersCommand {
    /// Create a worker and print its token (alone, on the last line).
    Add {
        /// A name to recognise the worker by, e.g. the machine it runs on.
        name: String,
        /// The registered model slugs its token may serve, comma-separated (default:
        /// every model). A lease asking for any other is refused.
        #[arg(long, value_delimiter = ',')]
        models: Option<Vec<String>>,
    },
    /// List the workers and when each was last seen.
    List,
    /// Revoke a worker's token at once (e.g. a machine retired or a token leaked); the
    /// jobs it holds go back to the queue. Its past work stays attributed to it.
    Revoke {
        /// The name given to `arena workers add`.
        name: String,
    },
    /// Give a worker a new token (printed alone on the last line); the old one stops
    /// working at once and the jobs it holds go back to the queue. Also re-enables a
    /// revoked worker. The models it may serve stay as they were.
    Rotate {
        /// The name given to `arena workers add`.
        name: String,
    },
}

/// A new random token: 256 bits, prefixed so that it is recognisable in a config.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("arw_{}", hex::encode(bytes))
}

/// What the database keeps of a token. Tokens are random, so a plain hash is enough.
pub fn hash_token(token: &str) -> String {
    sha256_hex(token.trim().as_bytes())
}

/// The slugs of `--models`, sorted, each a registered model; an error names any other.
async fn allowed_models(store: &Store, models: Vec<String>) -> anyhow::Result<Vec<String>> {
    let mut slugs: Vec<String> = models
        .iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    slugs.sort();
    slugs.dedup();
    if slugs.is_empty() {
        bail!("--models names no model; leave it out to let the worker serve every model");
    }
    let known = store.list_models().await?;
    let unknown: Vec<&String> = slugs
        .iter()
        .filter(|slug| !known.iter().any(|m| &m.slug == *slug))
        .collect();
    if !unknown.is_empty() {
        bail!(
            "there is no model {unknown:?} (see `arena models list`; register one with `arena models add`)"
        );
    }
    Ok(slugs)
}

pub async fn run(cmd: WorkersCommand, store: Store) -> anyhow::Result<()> {
    match cmd {
        WorkersCommand::Add { name, models } => {
            let valid = !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b));
            if !valid {
                bail!(
                    "a worker name is 1–64 characters of a-z, A-Z, 0-9, '-', '_', '.' and '@' (got {name:?})"
                );
            }
            let allowed = match models {
                Some(models) => Some(allowed_models(&store, models).await?),
                None => None,
            };
            let token = new_token();
            match store
                .add_worker(&name, &hash_token(&token), allowed.as_deref())
                .await
            {
                Ok(_) => {}
                Err(StoreError::Conflict) => bail!("a worker called {name:?} already exists"),
                Err(e) => return Err(e.into()),
            }
            let serves = allowed.map_or_else(|| "every model".to_string(), |m| m.join(", "));
            println!("added worker {name}, which may serve {serves}; its token (shown only now):");
            println!("{token}");
            Ok(())
        }
        WorkersCommand::List => {
            println!(
                "{:<32} {:<8} {:<26} {:<32} ASKED FOR",
                "NAME", "STATUS", "LAST SEEN", "MAY SERVE"
            );
            for w in store.list_workers().await? {
                let seen = w
                    .last_seen_at
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_else(|| "never".into());
                let status = if w.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let may_serve = w
                    .allowed_slugs()
                    .map_or_else(|| "all".to_string(), |m| m.join(","));
                println!(
                    "{:<32} {:<8} {:<26} {:<32} {}",
                    w.name,
                    status,
                    seen,
                    may_serve,
                    w.model_slugs().join(",")
                );
            }
            Ok(())
        }
        WorkersCommand::Revoke { name } => {
            let Some(released) = store.replace_worker_token(&name, None).await? else {
                bail!("there is no worker called {name:?} (see `arena workers list`)");
            };
            println!("revoked worker {name}; {released} leased job(s) returned to the queue");
            Ok(())
        }
        WorkersCommand::Rotate { name } => {
            let token = new_token();
            let Some(released) = store
                .replace_worker_token(&name, Some(&hash_token(&token)))
                .await?
            else {
                bail!("there is no worker called {name:?} (see `arena workers list`)");
            };
            println!(
                "new token for worker {name}; the old one no longer works and {released} leased \
                 job(s) returned to the queue; its token (shown only now):"
            );
            println!("{token}");
            Ok(())
        }
    }
}

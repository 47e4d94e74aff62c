//! Worker identities: bearer tokens (shown once, stored as their sha256) and the
//! `arena workers` command.

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
    /// revoked worker.
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

pub async fn run(cmd: WorkersCommand, store: Store) -> anyhow::Result<()> {
    match cmd {
        WorkersCommand::Add { name } => {
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
            let token = new_token();
            match store.add_worker(&name, &hash_token(&token)).await {
                Ok(_) => {}
                Err(StoreError::Conflict) => bail!("a worker called {name:?} already exists"),
                Err(e) => return Err(e.into()),
            }
            println!("added worker {name}; its token (shown only now):");
            println!("{token}");
            Ok(())
        }
        WorkersCommand::List => {
            println!("{:<32} {:<8} {:<26} MODELS", "NAME", "STATUS", "LAST SEEN");
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
                println!(
                    "{:<32} {:<8} {:<26} {}",
                    w.name,
                    status,
                    seen,
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

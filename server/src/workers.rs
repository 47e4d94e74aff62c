//! Worker identities: bearer tokens (shown once, stored as their sha256) and the
//! `arena workers` command.

use anyhow::bail;
use clap::Subcommand;

use crate::blob::sha256_hex;
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
            println!("{:<32} {:<26} MODELS", "NAME", "LAST SEEN");
            for w in store.list_workers().await? {
                let seen = w
                    .last_seen_at
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_else(|| "never".into());
                println!("{:<32} {:<26} {}", w.name, seen, w.model_slugs().join(","));
            }
            Ok(())
        }
    }
}

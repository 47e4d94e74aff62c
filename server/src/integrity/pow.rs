//! Proof of work before a vote (`[integrity] pow`, off by default): the battle carries
//! a challenge — a keyed hash of its id, so nothing is stored — and the vote must carry
//! a nonce such that SHA-256(challenge ‖ nonce) starts with `pow_bits` zero bits. The
//! page's script solves it in the browser in well under a second at the default 16
//! bits; a script voting thousands of times pays for each vote. No third party is
//! involved.

use sha2::{Digest, Sha256};

use super::config::PowMode;
use crate::config::ServeConfig;
use crate::data::export::hmac_sha256;

/// The challenge of one battle.
pub fn challenge(key: &[u8], battle_id: &str) -> String {
    hex::encode(&hmac_sha256(key, format!("pow:{battle_id}").as_bytes())[..16])
}

/// Whether `nonce` solves `challenge` with `bits` leading zero bits.
pub fn verify(challenge: &str, nonce: &str, bits: u8) -> bool {
    if nonce.is_empty() || nonce.len() > 64 {
        return false;
    }
    let digest = Sha256::new()
        .chain_update(challenge.as_bytes())
        .chain_update(nonce.as_bytes())
        .finalize();
    leading_zero_bits(&digest) >= u32::from(bits)
}

fn leading_zero_bits(bytes: &[u8]) -> u32 {
    let mut zeros = 0;
    for b in bytes {
        if *b == 0 {
            zeros += 8;
        } else {
            return zeros + b.leading_zeros();
        }
    }
    zeros
}

/// Whether a voter with `votes` votes so far must solve a proof of work.
pub fn required(config: &ServeConfig, votes: i64) -> bool {
    match config.integrity.pow {
        PowMode::Off => false,
        PowMode::Always => true,
        PowMode::NewVoters => votes < i64::from(config.integrity.pow_new_voter_votes),
    }
}

/// Finds a nonce by brute force (tests, and the reference the page's script follows).
pub fn solve(challenge: &str, bits: u8) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|n| verify(challenge, n, bits))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_solved_challenge_verifies_and_others_do_not() {
        let c = challenge(b"key", "battle");
        let nonce = solve(&c, 10);
        assert!(verify(&c, &nonce, 10));
        assert!(!verify(&challenge(b"key", "other battle"), &nonce, 10) || nonce.is_empty());
        assert!(!verify(&c, "", 0));
        assert_eq!(leading_zero_bits(&[0, 0b0001_0000]), 11);
    }
}

//! Votes worth trusting: who is asking ([`client`]), limits that hold across cookies
//! ([`limits`]), the rule that a vote counts only when its images were looked at
//! ([`view`]), proof of work ([`pow`]), the rigging detector ([`detector`], run by
//! [`scan`]) and the operator's review of what it excluded ([`review`]).
//!
//! Nothing here deletes a vote: a vote that should not count is stored with
//! `counts_for_leaderboard = false` and a reason, and can be restored.

pub mod client;
pub mod config;
pub mod detector;
pub mod limits;
pub mod pow;
pub mod review;
pub mod scan;
pub mod view;

pub use client::ClientAddress;

/// Who a request comes from: the voter cookie, if the request carried one, and the
/// client's address.
#[derive(Clone, Debug)]
pub struct Requester {
    pub voter: Option<String>,
    pub address: ClientAddress,
}

impl Requester {
    /// The voter id, or `""` for a request without a cookie (which owns nothing).
    pub fn voter_id(&self) -> &str {
        self.voter.as_deref().unwrap_or_default()
    }
}

//! The worker protocol (DESIGN.md "HTTP JSON API", worker protocol): its messages,
//! shared by the server that answers them and the workers that send them, and the
//! workers' HTTP client ([`client`]).
//!
//! - `POST /api/v1/worker/lease` [`LeaseRequest`] → [`LeaseResponse`]
//! - `POST /api/v1/worker/jobs/{id}/heartbeat` [`Heartbeat`] → [`HeartbeatResponse`]
//! - `PUT /api/v1/worker/jobs/{id}/result`: the PNG as the body, [`PARAMS_HEADER`]
//!   carrying the generation parameters as ASCII JSON → [`JobStateResponse`]
//! - `POST /api/v1/worker/jobs/{id}/fail` [`FailRequest`] → [`JobStateResponse`]
//!
//! Every request carries `Authorization: Bearer <token>`; a bad token is a 401. A
//! token may be limited to some models (`arena workers add NAME --models a,b`): a lease
//! asking for any other is a 403 with code [`MODEL_NOT_ALLOWED`], and nothing is leased.
//!
//! Each lease has a nonce ([`JobSpec::lease`]). The heartbeat, result and fail requests
//! of that job carry it in the [`LEASE_HEADER`] header (`arena-lease: <nonce>`); without
//! it they are a 400 with code [`MISSING_LEASE`]. A job the worker does not hold under
//! that nonce (its lease expired and the job was queued again or taken by another
//! worker, its live battle was given up, or the nonce is from an earlier lease) is a
//! 409 with code [`LEASE_LOST`], and the job is left as it was.

use serde::{Deserialize, Serialize};

pub mod client;

/// Header of the result upload that carries the generation parameters.
pub const PARAMS_HEADER: &str = "arena-params";

/// Header of the heartbeat, result and fail requests that carries the lease's nonce.
pub const LEASE_HEADER: &str = "arena-lease";

/// Error code of a 409: the worker no longer holds the job and should drop it.
pub const LEASE_LOST: &str = "lease_lost";

/// Error code of a 400: a heartbeat, result or failure without [`LEASE_HEADER`].
pub const MISSING_LEASE: &str = "missing_lease";

/// Error code of a 403: the worker's token may not serve a model it asked for.
pub const MODEL_NOT_ALLOWED: &str = "model_not_allowed";

/// The longest a lease request waits for a job.
pub const MAX_WAIT_SECS: u64 = 30;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaseRequest {
    /// The model slugs this worker serves; only their jobs are leased to it.
    pub models: Vec<String>,
    /// How long to wait for a job (long poll), at most [`MAX_WAIT_SECS`].
    #[serde(default)]
    pub wait_secs: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeaseResponse {
    /// `None` when no job came within the wait.
    pub job: Option<JobSpec>,
    /// The lease lasts this long unless a heartbeat extends it.
    pub lease_secs: u64,
    /// Send a heartbeat at least this often while generating.
    pub heartbeat_secs: u64,
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobSpec {
    pub id: i64,
    pub model: String,
    pub prompt: String,
    pub seed: i64,
    pub width: u32,
    pub height: u32,
    /// How many times the job has been leased, this time included.
    pub attempt: u32,
    /// This lease's nonce (128 random bits, hex): sent back in [`LEASE_HEADER`] with
    /// every heartbeat, result and failure of the job.
    pub lease: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Heartbeat {
    /// Progress: step `step` of `steps` done.
    pub step: Option<u32>,
    pub steps: Option<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeartbeatResponse {
    pub lease_secs: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FailRequest {
    /// Why, for the operator (kept with the job).
    pub reason: String,
    /// Worth another attempt (a timeout, a 5xx): the job goes back to the queue while
    /// attempts remain.
    #[serde(default)]
    pub retryable: bool,
    /// The worker gives the job back unfinished (it is shutting down); the attempt
    /// counts, so the job fails once its attempts are used up.
    #[serde(default)]
    pub release: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JobStateResponse {
    /// The job's state after the request: `done`, `queued` or `failed`.
    pub state: String,
}

/// JSON with every non-ASCII character escaped, so that it fits in an HTTP header.
pub fn ascii_json(value: &serde_json::Value) -> String {
    let mut out = String::new();
    for c in value.to_string().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_json_escapes_and_round_trips() {
        let v = serde_json::json!({ "note": "café ☕ 𝄞", "seed": 7 });
        let text = ascii_json(&v);
        assert!(text.is_ascii(), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
    }
}

//! The worker side of the worker protocol: an HTTP client for one server and token.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};

use crate::{
    FailRequest, Heartbeat, HeartbeatResponse, JobSpec, JobStateResponse, LEASE_HEADER, LEASE_LOST,
    LeaseRequest, LeaseResponse, PARAMS_HEADER, ascii_json,
};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server refused the token: the worker cannot go on.
    #[error(
        "the server at {0} refused this worker's token (401): it is unknown, revoked or replaced; \
         get one with `arena workers add NAME` (or `arena workers rotate NAME`) and pass it with --token"
    )]
    Unauthorized(String),
    /// The worker no longer holds the job.
    #[error("the lease on job {0} was lost (it expired or the job was cancelled)")]
    LeaseLost(i64),
    /// The server answered with an error.
    #[error("the server answered {status}: {code}: {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
    },
    /// The server could not be reached or did not answer in time.
    #[error("cannot reach the server: {0}")]
    Transport(#[from] reqwest::Error),
}

impl ClientError {
    /// Whether trying again later may help.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Transport(_) => true,
            ClientError::Server { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// The [`LEASE_HEADER`] value of `job`'s lease; a nonce that cannot be sent is the
/// server's mistake, reported like any answer the worker cannot use.
fn lease_header(job: &JobSpec) -> Result<HeaderValue, ClientError> {
    HeaderValue::from_str(&job.lease).map_err(|_| ClientError::Server {
        status: 0,
        code: "invalid_lease".into(),
        message: "the lease nonce the server gave cannot be sent in a header".into(),
    })
}

/// A client of `POST /api/v1/worker/...` on one server.
#[derive(Clone, Debug)]
pub struct WorkerClient {
    http: reqwest::Client,
    base: String,
    auth: HeaderValue,
}

impl WorkerClient {
    /// `server` is the arena's base URL, e.g. `http://127.0.0.1:8080`.
    pub fn new(server: &str, token: &str) -> anyhow::Result<WorkerClient> {
        let base = server.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            anyhow::bail!("--server must be an http:// or https:// URL, not {server:?}");
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .map_err(|_| anyhow::anyhow!("the token contains characters that cannot be sent"))?;
        auth.set_sensitive(true);
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(WorkerClient { http, base, auth })
    }

    pub fn server(&self) -> &str {
        &self.base
    }

    /// Asks for a job of one of `models`, waiting up to `wait_secs` for one.
    pub async fn lease(
        &self,
        models: &[String],
        wait_secs: u64,
    ) -> Result<LeaseResponse, ClientError> {
        let body = LeaseRequest {
            models: models.to_vec(),
            wait_secs,
        };
        let response = self
            .http
            .post(self.url("/api/v1/worker/lease"))
            .header(AUTHORIZATION, self.auth.clone())
            .timeout(Duration::from_secs(wait_secs + 30))
            .json(&body)
            .send()
            .await?;
        Ok(self.check(response, None).await?.json().await?)
    }

    /// Extends the lease on `job` and reports progress.
    pub async fn heartbeat(
        &self,
        job: &JobSpec,
        progress: Heartbeat,
    ) -> Result<HeartbeatResponse, ClientError> {
        let response = self
            .http
            .post(self.url(&format!("/api/v1/worker/jobs/{}/heartbeat", job.id)))
            .header(AUTHORIZATION, self.auth.clone())
            .header(LEASE_HEADER, lease_header(job)?)
            .timeout(Duration::from_secs(30))
            .json(&progress)
            .send()
            .await?;
        Ok(self.check(response, Some(job.id)).await?.json().await?)
    }

    /// Uploads the image of `job` with its generation parameters.
    pub async fn result(
        &self,
        job: &JobSpec,
        png: Vec<u8>,
        params: &serde_json::Value,
    ) -> Result<JobStateResponse, ClientError> {
        let params =
            HeaderValue::from_str(&ascii_json(params)).map_err(|_| ClientError::Server {
                status: 0,
                code: "invalid_params".into(),
                message: "the parameters cannot be sent in a header".into(),
            })?;
        let response = self
            .http
            .put(self.url(&format!("/api/v1/worker/jobs/{}/result", job.id)))
            .header(AUTHORIZATION, self.auth.clone())
            .header(LEASE_HEADER, lease_header(job)?)
            .header(CONTENT_TYPE, "image/png")
            .header(PARAMS_HEADER, params)
            .timeout(Duration::from_secs(120))
            .body(png)
            .send()
            .await?;
        Ok(self.check(response, Some(job.id)).await?.json().await?)
    }

    /// Reports that `job` failed, or gives it back (`release`).
    pub async fn fail(
        &self,
        job: &JobSpec,
        request: &FailRequest,
    ) -> Result<JobStateResponse, ClientError> {
        let response = self
            .http
            .post(self.url(&format!("/api/v1/worker/jobs/{}/fail", job.id)))
            .header(AUTHORIZATION, self.auth.clone())
            .header(LEASE_HEADER, lease_header(job)?)
            .timeout(Duration::from_secs(30))
            .json(request)
            .send()
            .await?;
        Ok(self.check(response, Some(job.id)).await?.json().await?)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Turns error statuses into [`ClientError`]s.
    async fn check(
        &self,
        response: reqwest::Response,
        job_id: Option<i64>,
    ) -> Result<reqwest::Response, ClientError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(ClientError::Unauthorized(self.base.clone()));
        }
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let code = body["error"]["code"].as_str().unwrap_or("").to_string();
        if status == StatusCode::CONFLICT && code == LEASE_LOST {
            return Err(ClientError::LeaseLost(job_id.unwrap_or_default()));
        }
        Err(ClientError::Server {
            status: status.as_u16(),
            code,
            message: body["error"]["message"]
                .as_str()
                .unwrap_or("(no message)")
                .to_string(),
        })
    }
}

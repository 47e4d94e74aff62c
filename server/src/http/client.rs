//! The client behind a request: the socket's address, or — from a trusted proxy —
//! the one `X-Forwarded-For` names, as keyed hashes ([`crate::integrity::client`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use super::error::AppError;
use super::state::AppState;
use super::voter::Voter;
use crate::integrity::Requester;
use crate::integrity::client::{ClientAddress, client_ip};

/// The client's address (its keyed hashes).
#[derive(Clone, Debug)]
pub struct Client(pub ClientAddress);

impl FromRequestParts<AppState> for Client {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Client, AppError> {
        // Served by `arena serve`, every request has its socket's address; a router
        // driven without a socket (tests) is one local client.
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let ip = client_ip(peer, &forwarded, &state.config.trusted_proxies);
        Ok(Client(ClientAddress::of(ip, &state.config.judge_key)))
    }
}

/// Who a voting request comes from: its voter cookie and its client.
impl FromRequestParts<AppState> for Requester {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Requester, AppError> {
        let Client(address) = Client::from_request_parts(parts, state).await?;
        let voter = parts.extensions.get::<Voter>().map(|v| v.0.clone());
        Ok(Requester { voter, address })
    }
}

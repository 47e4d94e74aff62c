//! The settings of the rigging defences: `[limits]`, `trusted_proxies`, `min_view_ms`
//! and `[integrity]` in the config file.

use serde::Deserialize;

/// `[limits]`: what one client address and one voter may do per hour (0: no limit),
/// checked against counters in the database so that every server on it shares them.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// `false` turns every limit off (load tests, private deployments).
    pub enabled: bool,
    /// `[limits.per_address]`: per client address.
    pub per_address: Allowance,
    /// `[limits.per_voter]`: per voter cookie.
    pub per_voter: Allowance,
    /// Live-battle jobs that may wait in the queue at once, arena-wide.
    pub queued_live_jobs: u32,
    /// Admin sign-in attempts per client address per hour.
    pub admin_logins: u32,
}

impl Default for LimitsConfig {
    fn default() -> LimitsConfig {
        LimitsConfig {
            enabled: true,
            per_address: Allowance {
                battles: 1200,
                votes: 600,
                live: 60,
                refused_prompts: 20,
            },
            per_voter: Allowance {
                battles: 600,
                votes: 300,
                live: 30,
                refused_prompts: 10,
            },
            queued_live_jobs: 200,
            admin_logins: 10,
        }
    }
}

/// How many of each action one client may take per hour (0: no limit).
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Allowance {
    /// Battles served (pool and live).
    pub battles: u32,
    /// Votes cast.
    pub votes: u32,
    /// Live battles started (the voter's own prompt).
    pub live: u32,
    /// Prompts moderation refused.
    pub refused_prompts: u32,
}

/// `[integrity]`: the rigging detector and proof of work.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntegrityConfig {
    /// Seconds between background scans for improbable voters (0: only
    /// `arena integrity scan`).
    pub scan_every_secs: u64,
    /// Proof of work before a vote: `off`, `new_voters` (fewer than
    /// `pow_new_voter_votes` votes) or `always`.
    pub pow: PowMode,
    /// Leading zero bits the proof of work needs (each one doubles the work).
    pub pow_bits: u8,
    /// A voter with fewer votes than this counts as new for `pow = "new_voters"`.
    pub pow_new_voter_votes: u32,
}

impl Default for IntegrityConfig {
    fn default() -> IntegrityConfig {
        IntegrityConfig {
            scan_every_secs: 300,
            pow: PowMode::Off,
            pow_bits: 16,
            pow_new_voter_votes: 10,
        }
    }
}

/// When a vote must carry a proof of work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowMode {
    #[default]
    Off,
    NewVoters,
    Always,
}

/// The networks whose `X-Forwarded-For` is believed (load balancers, reverse proxies).
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Vec<ipnet::IpNet>);

impl TrustedProxies {
    /// Parses CIDRs (`10.0.0.0/8`) or single addresses (`127.0.0.1`).
    pub fn parse(entries: &[String]) -> anyhow::Result<TrustedProxies> {
        let nets = entries
            .iter()
            .map(|e| {
                let e = e.trim();
                e.parse::<ipnet::IpNet>()
                    .or_else(|_| e.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!("trusted_proxies: {e:?} is not a CIDR or an address")
                    })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(TrustedProxies(nets))
    }

    pub fn contains(&self, addr: &std::net::IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(addr))
    }
}

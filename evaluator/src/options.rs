//! What a leaderboard is computed with: method, intervals, scale, filters.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::filter::VoteFilter;

/// How ratings are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Bradley–Terry by maximum likelihood (LMArena's method).
    #[default]
    Bt,
    /// Online Elo in vote order (FastChat's original method); needs ordered votes.
    Elo,
}

/// How confidence intervals of Bradley–Terry ratings are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CiMethod {
    /// Robust (sandwich) standard errors and a normal interval, as arena-rank.
    #[default]
    Sandwich,
    /// Percentile bootstrap over multinomially resampled vote cells.
    Bootstrap,
}

/// How the Bradley–Terry maximum likelihood is searched for (unpenalised fits; a
/// ridge, the fallback when no finite maximum exists, and bootstrap resamples
/// always use [`Optimizer::Exact`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// arena-rank 0.1.1's L-BFGS, step for step, stopping where it stops (loss change
    /// or gradient below 1e-9): LMArena's numbers to rounding. Its loss criterion can
    /// stop a few hundredths of a point short of the exact maximum (0.014 on LLMFAO).
    #[default]
    ArenaRank,
    /// Newton's method to the exact maximum (gradient ~1e-13).
    Exact,
}

/// What a "both bad" vote means for the ratings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum BothBad {
    /// A tie: half a win for each side (FastChat, arena-rank).
    #[default]
    Tie,
    /// Left out of the ratings (and counted in [`Excluded::both_bad`](crate::Excluded)).
    Exclude,
}

/// Pin one model's rating: every rating (and bound) is shifted by the same amount.
///
/// # Examples
///
/// ```
/// use arena_evaluator::Anchor;
/// let anchor: Anchor = "dall-e-3=978".parse().unwrap();
/// assert_eq!((anchor.model.as_str(), anchor.rating), ("dall-e-3", 978.0));
/// assert!("no-rating".parse::<Anchor>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "openapi",
    schema(description = "A model whose rating is pinned.")
)]
pub struct Anchor {
    /// The model whose rating is fixed.
    pub model: String,
    /// Its rating.
    pub rating: f64,
}

/// Which covariates of the votes a contextual (style-controlled) fit controls for.
///
/// # Examples
///
/// ```
/// use arena_evaluator::Control;
/// assert_eq!("all".parse::<Control>().unwrap(), Control::All);
/// let named: Control = "brightness, contrast".parse().unwrap();
/// assert_eq!(named, Control::Features(vec!["brightness".into(), "contrast".into()]));
/// assert!("a,,b".parse::<Control>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Control {
    /// Every covariate the first counted vote carries.
    All,
    /// These covariates, in this order.
    Features(Vec<String>),
}

impl FromStr for Control {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if s.trim() == "all" {
            return Ok(Control::All);
        }
        let names: Vec<String> = s.split(',').map(|n| n.trim().to_owned()).collect();
        if names.iter().any(String::is_empty) {
            return Err(Error::InvalidOption(format!(
                "control {s:?} is not NAME[,NAME…] or all"
            )));
        }
        for (i, name) in names.iter().enumerate() {
            if names[..i].contains(name) {
                return Err(Error::InvalidOption(format!(
                    "control names {name:?} twice"
                )));
            }
        }
        Ok(Control::Features(names))
    }
}

impl fmt::Display for Control {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Control::All => f.write_str("all"),
            Control::Features(names) => f.write_str(&names.join(",")),
        }
    }
}

/// Every knob of a leaderboard computation. `Default` is LMArena's method:
/// Bradley–Terry fitted as arena-rank fits it, sandwich 95% intervals, scale 400,
/// base 10, mean 1000, both-bad as a tie, anonymous battles only.
///
/// # Examples
///
/// ```
/// use arena_evaluator::{CiMethod, LeaderboardOptions};
/// let options = LeaderboardOptions {
///     ci: CiMethod::Bootstrap,
///     bootstrap_rounds: 200,
///     seed: 7,
///     ..LeaderboardOptions::default()
/// };
/// assert!(options.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LeaderboardOptions {
    /// Bradley–Terry or online Elo.
    pub method: Method,
    /// Sandwich or bootstrap intervals (Bradley–Terry only).
    pub ci: CiMethod,
    /// Bootstrap rounds.
    pub bootstrap_rounds: usize,
    /// Bootstrap seed; the same seed and votes give the same intervals.
    pub seed: u64,
    /// Confidence level of the intervals, e.g. 0.95.
    pub level: f64,
    /// Pin one model's rating instead of centring the mean on `initial_rating`.
    pub anchor: Option<Anchor>,
    /// What a both-bad vote means.
    pub both_bad: BothBad,
    /// Models with fewer battles are fitted but not listed.
    pub min_battles: u64,
    /// Models with fewer battles are flagged `provisional`.
    pub provisional_below: u64,
    /// Rating points per factor of `base` in the odds (400).
    pub scale: f64,
    /// Odds base (10): a lead of `scale` points means `base`:1 odds.
    pub base: f64,
    /// Mean Bradley–Terry rating, and every model's starting online Elo (1000).
    pub initial_rating: f64,
    /// Online Elo's K factor (4, as FastChat).
    pub elo_k: f64,
    /// L2 penalty on the natural-scale strengths; 0 fits the plain maximum likelihood.
    pub ridge: f64,
    /// Weigh each vote by the inverse of how often its pair was shown
    /// (`1 / max(pair votes, 50)`), as arena-rank's `reweighted=True`: a pair the
    /// matchmaking favoured counts no more than any other well-sampled pair.
    /// Bradley–Terry only.
    pub reweight: bool,
    /// Fit contextual Bradley–Terry on these covariates of each vote (its `features`),
    /// as arena-rank's `ContextualBradleyTerry` (whose rows are always reweighted):
    /// the ratings then compare models at equal covariates. Needs the votes
    /// themselves, read from a file; Bradley–Terry only.
    pub control: Option<Control>,
    /// L2 penalty on the coefficients of a contextual fit, on its mean log-likelihood:
    /// arena-rank's `reg`, 1 by default, which holds the coefficients well toward zero;
    /// 0 fits them by plain maximum likelihood.
    pub control_reg: f64,
    /// How the unpenalised Bradley–Terry fit is computed: as arena-rank does (the
    /// default) or to the exact maximum.
    pub optimizer: Optimizer,
    /// Which votes count (applies when reading votes, not to ready-made counts).
    pub filter: VoteFilter,
    /// Rate the answers on this judgement axis instead of the overall `winner`: each
    /// vote's `axes` object (an arena export's) holds them, and votes without an answer
    /// on it are left out. `None` (or `overall`) rates the `winner`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub axis: Option<String>,
}

impl Default for LeaderboardOptions {
    fn default() -> Self {
        LeaderboardOptions {
            method: Method::Bt,
            ci: CiMethod::Sandwich,
            bootstrap_rounds: 1000,
            seed: 42,
            level: 0.95,
            anchor: None,
            both_bad: BothBad::Tie,
            min_battles: 0,
            provisional_below: 100,
            scale: 400.0,
            base: 10.0,
            initial_rating: 1000.0,
            elo_k: 4.0,
            ridge: 0.0,
            reweight: false,
            control: None,
            control_reg: 1.0,
            optimizer: Optimizer::ArenaRank,
            filter: VoteFilter::default(),
            axis: None,
        }
    }
}

impl LeaderboardOptions {
    /// Checks that the numbers make sense (a level in (0, 1), a base above 1, …).
    pub fn validate(&self) -> Result<()> {
        let bad = |what: String| Err(Error::InvalidOption(what));
        if !(self.level > 0.0 && self.level < 1.0) {
            return bad(format!("level must be between 0 and 1, not {}", self.level));
        }
        if !(self.scale > 0.0 && self.scale.is_finite()) {
            return bad(format!("scale must be positive, not {}", self.scale));
        }
        if !(self.base > 1.0 && self.base.is_finite()) {
            return bad(format!("base must be above 1, not {}", self.base));
        }
        if !self.initial_rating.is_finite() {
            return bad("the initial rating must be a number".into());
        }
        if !(self.elo_k >= 0.0 && self.elo_k.is_finite()) {
            return bad(format!(
                "the Elo K factor must be 0 or more, not {}",
                self.elo_k
            ));
        }
        if !(self.ridge >= 0.0 && self.ridge.is_finite()) {
            return bad(format!("ridge must be 0 or more, not {}", self.ridge));
        }
        if self
            .axis
            .as_deref()
            .is_some_and(|a| a.trim().is_empty() || a.contains(['"', '\\']))
        {
            return bad(format!(
                "{:?} is not an axis name",
                self.axis.as_deref().unwrap_or("")
            ));
        }
        if self.reweight && self.method != Method::Bt {
            return bad("reweighting applies to Bradley–Terry ratings, not online Elo".into());
        }
        if self.control.is_some() && self.method != Method::Bt {
            return bad("style control applies to Bradley–Terry ratings, not online Elo".into());
        }
        if !(self.control_reg >= 0.0 && self.control_reg.is_finite()) {
            return bad(format!(
                "the control penalty must be 0 or more, not {}",
                self.control_reg
            ));
        }
        if self.control.is_some() && self.ridge > 0.0 {
            return bad("style control fits without a ridge (arena-rank's defaults)".into());
        }
        if self.method == Method::Bt && self.ci == CiMethod::Bootstrap && self.bootstrap_rounds < 2
        {
            return bad("the bootstrap needs at least 2 rounds".into());
        }
        if let Some(anchor) = &self.anchor {
            if !anchor.rating.is_finite() {
                return bad("the anchor rating must be a number".into());
            }
        }
        Ok(())
    }

    /// Rating points per natural-log unit of odds: `scale / ln(base)`.
    pub(crate) fn points_per_logit(&self) -> f64 {
        self.scale / self.base.ln()
    }
}

macro_rules! labelled_enum {
    ($ty:ident, $what:literal, $($variant:ident => $label:literal),+) => {
        impl FromStr for $ty {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($label => Ok($ty::$variant),)+
                    other => Err(Error::InvalidOption(format!(
                        concat!("unknown ", $what, " {:?} (expected ", $($label, " ",)+ ")"),
                        other
                    ))),
                }
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $($ty::$variant => $label,)+ })
            }
        }
    };
}

labelled_enum!(Method, "method", Bt => "bt", Elo => "elo");
labelled_enum!(CiMethod, "interval method", Sandwich => "sandwich", Bootstrap => "bootstrap");
labelled_enum!(Optimizer, "optimizer", ArenaRank => "arena-rank", Exact => "exact");
labelled_enum!(BothBad, "both-bad policy", Tie => "tie", Exclude => "exclude");

impl FromStr for Anchor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let invalid = || Error::InvalidOption(format!("anchor {s:?} is not MODEL=RATING"));
        let (model, rating) = s.rsplit_once('=').ok_or_else(invalid)?;
        let rating: f64 = rating.trim().parse().map_err(|_| invalid())?;
        if model.is_empty() || !rating.is_finite() {
            return Err(invalid());
        }
        Ok(Anchor {
            model: model.to_owned(),
            rating,
        })
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.model, self.rating)
    }
}

impl LeaderboardOptions {
    /// The judgement axis rated when it is not the overall one.
    pub fn other_axis(&self) -> Option<&str> {
        self.axis.as_deref().filter(|a| *a != "overall")
    }
}

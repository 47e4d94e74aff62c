//! Noise schedulers (DDIM, Euler, Euler ancestral) and seeded Gaussian noise.
//!
//! candle ships DDIM and Euler ancestral, but its ancestral step draws noise from the
//! device's unseeded generator (the CPU one cannot be seeded at all), so the same seed
//! would not give the same image. These follow diffusers' `DDIMScheduler`,
//! `EulerDiscreteScheduler` and `EulerAncestralDiscreteScheduler`, with every random
//! number from a ChaCha generator seeded by the job: the same on CPU and GPU.

use anyhow::bail;
use candle_core::{DType, Device, Tensor};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use super::folder::SchedulerJson;

/// Which noise scheduler drives denoising.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum SchedulerKind {
    Ddim,
    Euler,
    EulerAncestral,
}

impl SchedulerKind {
    pub fn name(self) -> &'static str {
        match self {
            SchedulerKind::Ddim => "ddim",
            SchedulerKind::Euler => "euler",
            SchedulerKind::EulerAncestral => "euler-ancestral",
        }
    }
}

/// Standard normal samples from a seeded generator (Box–Muller).
pub(crate) struct Noise {
    rng: ChaCha8Rng,
}

impl Noise {
    pub fn new(seed: u64) -> Self {
        Self {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    pub fn tensor(&mut self, shape: &[usize], device: &Device) -> candle_core::Result<Tensor> {
        let n: usize = shape.iter().product();
        let mut values = Vec::with_capacity(n + 1);
        while values.len() < n {
            let u1: f64 = self.rng.random::<f64>().max(f64::MIN_POSITIVE);
            let u2: f64 = self.rng.random::<f64>();
            let r = (-2.0 * u1.ln()).sqrt();
            let theta = std::f64::consts::TAU * u2;
            values.push((r * theta.cos()) as f32);
            values.push((r * theta.sin()) as f32);
        }
        values.truncate(n);
        Tensor::from_vec(values, shape, device)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Prediction {
    Epsilon,
    VPrediction,
}

/// A scheduler set up for one generation: its timesteps and its step rule.
pub(crate) struct Schedule {
    kind: SchedulerKind,
    prediction: Prediction,
    alphas_cumprod: Vec<f64>,
    timesteps: Vec<usize>,
    /// Euler: sigma at each timestep, then 0.
    sigmas: Vec<f64>,
    final_alpha: f64,
    /// diffusers starts "trailing" and "linspace" schedules at sigma_max itself.
    starts_at_sigma_max: bool,
    step_index: usize,
}

impl Schedule {
    pub fn new(cfg: &SchedulerJson, kind: SchedulerKind, steps: usize) -> anyhow::Result<Self> {
        let t = cfg.num_train_timesteps;
        if steps == 0 || steps > t {
            bail!("steps must be between 1 and {t}");
        }
        let betas: Vec<f64> = match cfg.beta_schedule.as_str() {
            "scaled_linear" => linspace(cfg.beta_start.sqrt(), cfg.beta_end.sqrt(), t)
                .into_iter()
                .map(|b| b * b)
                .collect(),
            "linear" => linspace(cfg.beta_start, cfg.beta_end, t),
            other => bail!("beta_schedule `{other}` is not supported"),
        };
        let mut alphas_cumprod = Vec::with_capacity(t);
        let mut acc = 1.0;
        for b in betas {
            acc *= 1.0 - b;
            alphas_cumprod.push(acc);
        }
        let prediction = match cfg.prediction_type.as_str() {
            "epsilon" => Prediction::Epsilon,
            "v_prediction" => Prediction::VPrediction,
            other => bail!("prediction_type `{other}` is not supported"),
        };
        let timesteps: Vec<usize> = match cfg.timestep_spacing.as_str() {
            "leading" => {
                let ratio = t / steps;
                (0..steps)
                    .rev()
                    .map(|i| (i * ratio + cfg.steps_offset).min(t - 1))
                    .collect()
            }
            "trailing" => {
                let ratio = t as f64 / steps as f64;
                (1..=steps)
                    .rev()
                    .map(|i| ((i as f64 * ratio).round() as usize).saturating_sub(1))
                    .collect()
            }
            "linspace" => linspace(0.0, (t - 1) as f64, steps)
                .into_iter()
                .rev()
                .map(|x| x.round() as usize)
                .collect(),
            other => bail!("timestep_spacing `{other}` is not supported"),
        };
        let mut sigmas: Vec<f64> = timesteps
            .iter()
            .map(|&ts| ((1.0 - alphas_cumprod[ts]) / alphas_cumprod[ts]).sqrt())
            .collect();
        sigmas.push(0.0);
        let final_alpha = if cfg.set_alpha_to_one {
            1.0
        } else {
            alphas_cumprod[0]
        };
        let starts_at_sigma_max = cfg.timestep_spacing != "leading";
        Ok(Self {
            kind,
            prediction,
            alphas_cumprod,
            timesteps,
            sigmas,
            final_alpha,
            starts_at_sigma_max,
            step_index: 0,
        })
    }

    pub fn timesteps(&self) -> &[usize] {
        &self.timesteps
    }

    /// How much the initial Gaussian noise is scaled by.
    pub fn init_noise_sigma(&self) -> f64 {
        match self.kind {
            SchedulerKind::Ddim => 1.0,
            _ => {
                let max = self.sigmas.iter().cloned().fold(0.0, f64::max);
                if self.starts_at_sigma_max {
                    max
                } else {
                    (max * max + 1.0).sqrt()
                }
            }
        }
    }

    /// Scales the latents before they go into the UNet.
    pub fn scale_model_input(&self, sample: &Tensor) -> candle_core::Result<Tensor> {
        match self.kind {
            SchedulerKind::Ddim => Ok(sample.clone()),
            _ => {
                let sigma = self.sigmas[self.step_index];
                sample / (sigma * sigma + 1.0).sqrt()
            }
        }
    }

    /// One denoising step from the model output; advances to the next timestep.
    pub fn step(
        &mut self,
        model_output: &Tensor,
        sample: &Tensor,
        noise: &mut Noise,
    ) -> candle_core::Result<Tensor> {
        let i = self.step_index;
        self.step_index += 1;
        let ts = self.timesteps[i];
        match self.kind {
            SchedulerKind::Ddim => {
                let alpha = self.alphas_cumprod[ts];
                let prev = self
                    .timesteps
                    .get(i + 1)
                    .map(|&p| self.alphas_cumprod[p])
                    .unwrap_or(self.final_alpha);
                let (x0, eps) = match self.prediction {
                    Prediction::Epsilon => {
                        let x0 =
                            ((sample - (model_output * (1.0 - alpha).sqrt())?)? / alpha.sqrt())?;
                        (x0, model_output.clone())
                    }
                    Prediction::VPrediction => {
                        let x0 =
                            ((sample * alpha.sqrt())? - (model_output * (1.0 - alpha).sqrt())?)?;
                        let eps =
                            ((model_output * alpha.sqrt())? + (sample * (1.0 - alpha).sqrt())?)?;
                        (x0, eps)
                    }
                };
                (x0 * prev.sqrt())? + (eps * (1.0 - prev).sqrt())?
            }
            SchedulerKind::Euler | SchedulerKind::EulerAncestral => {
                let sigma = self.sigmas[i];
                let sigma_next = self.sigmas[i + 1];
                let x0 = match self.prediction {
                    Prediction::Epsilon => (sample - (model_output * sigma)?)?,
                    Prediction::VPrediction => {
                        let c = sigma * sigma + 1.0;
                        ((model_output * (-sigma / c.sqrt()))? + (sample / c)?)?
                    }
                };
                let derivative = ((sample - &x0)? / sigma)?;
                if self.kind == SchedulerKind::Euler {
                    return sample + (derivative * (sigma_next - sigma))?;
                }
                let up = (sigma_next.powi(2) * (sigma.powi(2) - sigma_next.powi(2))
                    / sigma.powi(2))
                .max(0.0)
                .sqrt();
                let down = (sigma_next.powi(2) - up * up).max(0.0).sqrt();
                let prev = (sample + (derivative * (down - sigma))?)?;
                if up == 0.0 {
                    return Ok(prev);
                }
                let z = noise
                    .tensor(sample.dims(), sample.device())?
                    .to_dtype(sample.dtype())?;
                prev + (z * up)?
            }
        }
    }
}

/// The scheduler a folder's `scheduler_config.json` asks for (diffusers class name),
/// DDIM for the classes candle has no counterpart of (PNDM, LMS, DPM-Solver…).
pub(crate) fn default_kind(cfg: &SchedulerJson) -> SchedulerKind {
    match cfg.class_name.as_str() {
        "EulerAncestralDiscreteScheduler" => SchedulerKind::EulerAncestral,
        "EulerDiscreteScheduler" => SchedulerKind::Euler,
        _ => SchedulerKind::Ddim,
    }
}

fn linspace(start: f64, end: f64, n: usize) -> Vec<f64> {
    if n == 1 {
        return vec![start];
    }
    (0..n)
        .map(|i| start + (end - start) * i as f64 / (n - 1) as f64)
        .collect()
}

/// Gaussian latents for `seed`, scaled for the scheduler, in `dtype` on `device`.
pub(crate) fn initial_latents(
    noise: &mut Noise,
    shape: &[usize],
    sigma: f64,
    device: &Device,
    dtype: DType,
) -> candle_core::Result<Tensor> {
    (noise.tensor(shape, device)? * sigma)?.to_dtype(dtype)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(spacing: &str) -> SchedulerJson {
        serde_json::from_value(serde_json::json!({"timestep_spacing": spacing, "steps_offset": 1}))
            .unwrap()
    }

    #[test]
    fn timesteps_follow_diffusers_spacing() {
        let leading = Schedule::new(&cfg("leading"), SchedulerKind::Ddim, 4).unwrap();
        assert_eq!(leading.timesteps(), &[751, 501, 251, 1]);
        let trailing = Schedule::new(&cfg("trailing"), SchedulerKind::EulerAncestral, 4).unwrap();
        assert_eq!(trailing.timesteps(), &[999, 749, 499, 249]);
        let one = Schedule::new(&cfg("trailing"), SchedulerKind::Euler, 1).unwrap();
        assert_eq!(one.timesteps(), &[999]);
    }

    #[test]
    fn seeded_noise_repeats_and_looks_gaussian() {
        let a = Noise::new(7)
            .tensor(&[4096], &Device::Cpu)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let b = Noise::new(7)
            .tensor(&[4096], &Device::Cpu)
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        assert_eq!(a, b);
        let mean = a.iter().sum::<f32>() / a.len() as f32;
        let var = a.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / a.len() as f32;
        assert!(
            mean.abs() < 0.05 && (var - 1.0).abs() < 0.1,
            "mean {mean} var {var}"
        );
    }
}

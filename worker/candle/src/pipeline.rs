//! What every pipeline is given: the device it runs on, the defaults a model folder
//! suggests and one job with every setting decided.

use candle_core::Device;

use super::scheduler::SchedulerKind;

/// The device generation runs on: the first CUDA GPU when this build has the `cuda`
/// feature and a GPU answers, else the CPU. The choice is logged.
pub fn device_for_run_time() -> (Device, &'static str) {
    if candle_core::utils::cuda_is_available() {
        match Device::new_cuda(0) {
            Ok(device) => {
                tracing::info!(device = "cuda:0", "candle runs on the GPU");
                return (device, "cuda:0");
            }
            Err(err) => {
                tracing::warn!(error = %err, "built with CUDA but no GPU answered; candle runs on the CPU")
            }
        }
    }
    tracing::info!(device = "cpu", "candle runs on the CPU");
    (Device::Cpu, "cpu")
}

/// What a model folder suggests when neither the job nor the settings say.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Defaults {
    pub width: u32,
    pub height: u32,
    pub steps: u32,
    pub guidance: f64,
    pub scheduler: SchedulerKind,
}

/// One generation with every setting decided.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Job<'a> {
    pub prompt: &'a str,
    pub negative_prompt: Option<&'a str>,
    pub seed: u64,
    pub steps: u32,
    pub guidance: f64,
    pub width: u32,
    pub height: u32,
    pub scheduler: SchedulerKind,
}

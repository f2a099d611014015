//! Run-time device selection among the backends compiled in.

use burn::tensor::Device;

use crate::error::{PfnError, Result};

/// A device by kind: what `--device` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum DeviceKind {
    /// burn's flex CPU backend (always built).
    #[default]
    Cpu,
    /// wgpu (binaries built with `--features wgpu`).
    Wgpu,
    /// CUDA (binaries built with `--features cuda`).
    Cuda,
}

impl DeviceKind {
    /// Its lower-case name, as recorded in checkpoints.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Wgpu => "wgpu",
            Self::Cuda => "cuda",
        }
    }
}

/// The device of `kind`, or an error saying why it is not available in this build.
pub fn select(kind: DeviceKind) -> Result<Device> {
    match kind {
        DeviceKind::Cpu => Ok(Device::flex()),
        DeviceKind::Wgpu => wgpu(),
        DeviceKind::Cuda => cuda(),
    }
}

#[cfg(feature = "wgpu")]
fn wgpu() -> Result<Device> {
    Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice))
}

#[cfg(not(feature = "wgpu"))]
fn wgpu() -> Result<Device> {
    Err(PfnError::Device(
        "wgpu is not in this build; rebuild with `--features wgpu`".into(),
    ))
}

#[cfg(feature = "cuda")]
fn cuda() -> Result<Device> {
    Ok(Device::cuda(0usize))
}

#[cfg(not(feature = "cuda"))]
fn cuda() -> Result<Device> {
    Err(PfnError::Device(
        "cuda is not in this build; rebuild with `--features cuda`".into(),
    ))
}

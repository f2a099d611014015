//! Run-time device selection among the backends compiled in.

use burn::tensor::Device;

use crate::error::{PfnError, Result};

/// Device names accepted by [`select`].
pub const DEVICES: [&str; 3] = ["cpu", "wgpu", "cuda"];

/// The device called `name`: `cpu` (burn's flex backend, always built), `wgpu`
/// (build with `--features wgpu`) or `cuda` (`--features cuda`).
pub fn select(name: &str) -> Result<Device> {
    match name {
        "cpu" => Ok(Device::flex()),
        "wgpu" => wgpu(),
        "cuda" => cuda(),
        other => Err(PfnError::Device(format!(
            "{other:?} is unknown; choose one of {}",
            DEVICES.join(", ")
        ))),
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

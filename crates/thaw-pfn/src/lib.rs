//! # thaw-pfn — the PFN surrogate
//!
//! - [`PfnConfig`]: architecture and presets (`tiny`, `small`, `paper`).
//! - [`model::Pfn`]: the burn model (reference §1): token embedding, post-LN encoder
//!   whose attention takes keys/values from context tokens only (the PFN mask), and a
//!   decoder to bar-distribution logits.
//! - [`BarDistribution`]: the output distribution over [0, 1], and its training loss
//!   ([`bar::loss`]).
//! - [`init`]: seeded, device-independent parameter initialisation (the PFN and the
//!   neural baselines of `thaw-hpo` share it).
//! - [`train`]: AdamW, warm-up + cosine, global gradient clipping, validation,
//!   atomic checkpoints and exact `--resume`.
//! - [`Surrogate`]: load a checkpoint directory and predict.
//!
//! Library code is backend-agnostic: tensors live on a [`burn::tensor::Device`] chosen at
//! run time ([`device::select`]); which backends exist is a build-time feature.

#![warn(missing_docs)]

pub mod bar;
pub mod checkpoint;

pub mod config;
pub mod device;
pub mod error;
pub mod init;
pub mod model;
pub mod surrogate;
pub mod train;

pub use bar::BarDistribution;
pub use config::PfnConfig;
pub use error::{PfnError, Result};
pub use surrogate::{BarPredictive, Observation, Query, Surrogate};

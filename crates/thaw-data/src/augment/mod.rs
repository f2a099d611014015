//! Task augmentations for PFN training: pure functions with an explicit RNG.

pub mod cdf;
pub mod mixup;

pub use cdf::{BetaForm, CdfAugment, cdf_augment};
pub use mixup::{MixupConfig, MixupPlan, mixup};

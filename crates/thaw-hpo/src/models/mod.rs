//! The curve models: one file each.

pub mod gp_ft;
pub mod pfn;
pub mod uniform;

pub use gp_ft::{GpFreezeThaw, GpFtSettings};
pub use pfn::PfnModel;
pub use uniform::UniformModel;

//! The curve models: one file each.

pub mod dpl;
pub mod dyhpo;
pub mod gp;
pub mod gp_ft;
pub mod last_value;
pub mod nearest;
pub mod pfn;
pub mod tensors;
pub mod uniform;

pub use dpl::{Dpl, DplSettings};
pub use dyhpo::{Dyhpo, DyhpoSettings};
pub use gp_ft::{GpFreezeThaw, GpFtSettings};
pub use last_value::LastValue;
pub use nearest::NearestNeighbour;
pub use pfn::PfnModel;
pub use uniform::UniformModel;

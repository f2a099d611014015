//! # thaw-pfn — the PFN surrogate
//!
//! So far: [`BarDistribution`], the PFN's output distribution over [0, 1]
//! (reference §1). The burn model, training loop, checkpoints and the
//! `Surrogate` inference API come next.

pub mod bar;

pub use bar::BarDistribution;

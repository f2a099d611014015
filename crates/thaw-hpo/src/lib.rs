//! # thaw-hpo — freeze-thaw optimisation
//!
//! - [`History`]: candidate configurations and the observed prefix of each curve.
//! - [`CurveModel`]: fit on a history, predict a [`Predictive`] at (config, epoch).
//!   Implementations in [`models`]: PFN (any checkpoint), DPL, DyHPO, GP freeze-thaw,
//!   uniform.
//! - [`gp`]: the exact-GP algebra (faer) the GP models share.

pub mod curve_model;
pub mod error;
pub mod gp;
pub mod history;
pub mod mfpi;
pub mod kernels;
pub mod models;
pub mod predictive;
pub mod schedule;

pub use curve_model::CurveModel;
pub use error::{HpoError, Result};
pub use history::{At, History};
pub use predictive::Predictive;

//! # thaw-hpo — freeze-thaw optimisation
//!
//! - [`History`]: candidate configurations and the observed prefix of each curve.
//! - [`CurveModel`]: fit on a history, predict a [`Predictive`] at (config, epoch).
//!   Implementations in [`models`]: PFN (any checkpoint), DPL, DyHPO, GP freeze-thaw,
//!   uniform.
//! - [`gp`]: the exact-GP algebra (faer) the GP models share.
//! - Freeze-thaw optimisation (issue #6, in progress): [`Objective`] / [`TabularObjective`],
//!   [`Optimizer`] / [`Action`], the budget-exact loop [`study::run`], MFPI-random
//!   ([`mfpi`]) and successive-halving arithmetic ([`schedule`]).

pub mod curve_model;
pub mod error;
pub mod gp;
pub mod history;
pub mod kernels;
pub mod mfpi;
pub mod models;
pub mod objective;
pub mod optimizer;
pub mod optimizers;
pub mod predictive;
pub mod schedule;
pub mod study;

pub use curve_model::CurveModel;
pub use error::{HpoError, Result};
pub use history::{At, History};
pub use objective::{Objective, TabularObjective};
pub use optimizer::{Action, Optimizer};
pub use predictive::Predictive;

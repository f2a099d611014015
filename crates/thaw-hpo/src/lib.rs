//! # thaw-hpo — freeze-thaw optimisation
//!
//! - [`History`]: candidate configurations and the observed prefix of each curve.
//! - [`CurveModel`]: fit on a history, predict a [`Predictive`] at (config, epoch).
//!   Implementations in [`models`], one file each: PFN (any checkpoint), DPL, DyHPO, GP
//!   freeze-thaw, uniform; the exact-GP algebra and kernels they share in
//!   [`models::gp`].
//! - [`Objective`] / [`TabularObjective`], [`Optimizer`] / [`Action`] and the
//!   budget-exact loop [`optimise::run`]; the optimisers in [`optimizers`] (model-based with
//!   MFPI-random or EI, HyperBand, ASHA, SHA, random search), with the acquisition
//!   ([`optimizers::mfpi`]) and rung arithmetic ([`optimizers::schedule`]) beside them.
//! - [`MethodSpec`]: a curve model + optimiser + settings as one serialisable value,
//!   built the same way by `ifbo`, `bench-hpo` and `thaw tune`.
//!
//! A new curve model is a file in `models/` implementing [`CurveModel`]; a new optimiser
//! a file in `optimizers/` implementing [`Optimizer`]; either becomes usable from the
//! command line by a [`MethodSpec`] variant.

#![warn(missing_docs)]

pub mod curve_model;
pub mod error;
pub mod history;
pub mod method;
pub mod models;
pub mod objective;
pub mod optimise;
pub mod optimizer;
pub mod optimizers;
pub mod predictive;

pub use curve_model::CurveModel;
pub use error::{HpoError, Result};
pub use history::{At, History, Hold};
pub use method::MethodSpec;
pub use objective::{Objective, TabularObjective};
pub use optimizer::{Action, Optimizer, Spawn};
pub use predictive::Predictive;

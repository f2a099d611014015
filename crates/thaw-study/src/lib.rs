//! # thaw-study — tune a real training program with freeze-thaw
//!
//! - [`StudyFile`]: the study file (TOML): the objective (command, metric, direction,
//!   epochs, bounds, timeout, retries) and the [`SearchSpace`] (float / int /
//!   categorical, encoded into [0, 1]).
//! - [`protocol`]: how a segment of a configuration's training runs in the user's
//!   program (environment, checkpoint folder, reports), and how it fails.
//! - [`Normaliser`]: the metric → y ∈ [0, 1] rule.
//! - [`Storage`] / [`Study`]: the SQLite study store and ask/tell on it, with the
//!   optimiser's state rebuilt from the record; [`pool`]: candidates on a continuous
//!   space.
//! - [`tune()`]: workers running the program until the budget is spent.
//! - [`export`]: every epoch as CSV or as thaw's Parquet format; [`trace`]: the
//!   incumbent over epochs and seconds (regret curves).

#![warn(missing_docs)]

pub mod db;
pub mod error;
pub mod export;
pub mod load_test;
pub mod normalise;
pub mod pbt_exploit;
pub mod pg_server;
pub mod pool;
pub mod protocol;
pub mod record;
pub mod space;
pub mod store;
pub mod study;
pub mod study_file;
pub mod trace;
pub mod tune;

pub use error::{Result, StudyError};
pub use normalise::Normaliser;
pub use pool::PoolSettings;
pub use record::{Record, State, StudySettings};
pub use space::{Domain, Param, SearchSpace};
pub use store::Storage;
pub use study::{Ask, Study, Trial};
pub use study_file::{Direction, ObjectiveSpec, StudyFile};
pub use tune::{Progress, TuneOptions, tune};

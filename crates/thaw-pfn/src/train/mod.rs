//! Training: settings, schedule, clipping, the loop and its log.

pub mod clip;
pub mod data;
pub mod log;
pub mod parallel;
pub mod schedule;
pub mod settings;
pub mod trainer;
pub mod validation;

pub use data::{priors, train};
pub use log::StepRecord;
pub use settings::TrainConfig;
pub use trainer::{RunPlace, Silent, TrainObserver, TrainOutcome, TrainRun};

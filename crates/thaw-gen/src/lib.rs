//! # thaw-gen — real Adam learning curves on demand
//!
//! A TaskSet-style task generator: each task is a small network on a data set (an MLP on
//! a tabular data set embedded in `linfa-datasets` or on data drawn from a random
//! teacher network; a recurrent classifier on procedural symbol sequences), trained with **Adam** under every one of 1000 configurations of
//! TaskSet-8P's eight hyperparameters (learning rate, β1, β2, ε, L1, L2, linear and
//! exponential decay; the bounds of [`thaw_data::import::taskset::search_space`]), with
//! train / validation / test loss at 51 evaluation points, NaN from the point a run
//! diverges.
//!
//! - [`space`]: the configurations (drawn log-uniformly, as TaskSet drew them);
//! - [`adam`]: Adam with per-configuration hyperparameters on batched tensors;
//! - [`mlp`]: the batched MLP (weights `[configs, in, out]`, one batched matmul per layer);
//! - [`rnn`]: the batched recurrent classifier (tanh RNN, IRNN, GRU);
//! - [`dataset`], [`teacher`] and [`sequence`]: the data (embedded tables, random
//!   teachers, sequences from random Markov chains);
//! - [`family`]: what a task is ([`TaskSpec`]), drawn from (family, seed, index);
//! - [`train`]: training one task, all configurations at once, in chunks;
//! - [`corpus`]: a resumable output folder of tasks in thaw's Parquet format.

#![warn(missing_docs)]

pub mod adam;
pub mod corpus;
pub mod dataset;
pub mod error;
pub mod family;
pub mod mlp;
pub mod rnn;
pub mod seed;
pub mod sequence;
pub mod space;
pub mod teacher;
pub mod train;

pub use corpus::{CorpusSettings, generate};
pub use error::{GenError, Result};
pub use family::{Family, TaskSpec};
pub use space::{AdamHps, sample_configs};
pub use train::{Curves, TrainSettings, train_task};

//! One module per subcommand group or binary.

pub mod bench_hpo;
pub mod data;
pub mod eval_lc;
pub mod ifbo;
pub mod predict;
pub mod prior_sample;
pub mod progress;
pub mod task_select;
pub mod train_pfn;

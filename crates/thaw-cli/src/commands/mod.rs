//! One module per command: its arguments (clap) and `run(args, out)` = parse → library
//! call → report.

pub mod bench_hpo;
pub mod bench_peers;
pub mod dashboard;
pub mod data;
pub mod eval_lc;
pub mod gen_curves;
pub mod ifbo;
mod ifbo_dir;
pub mod predict;
pub mod prior_sample;
pub mod store_bench;
pub mod study_admin;
pub mod study_compare;
pub mod study_plot;
pub mod study_status;
pub mod task_select;
pub mod train_fold;
pub mod train_pfn;
pub mod tune;
pub mod worker;

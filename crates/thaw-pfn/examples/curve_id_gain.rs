//! How much does a checkpoint use curve ids? `train-pfn`'s validation metrics for any
//! checkpoint and source.
//!
//! Draws 8 batches of 8 × 500 tokens (context size ~ U, seed 999) from the FT-PFN prior
//! (8 hyperparameters) and, when a TaskSet file and task are given, from that task
//! without augmentation, and prints the validation NLL of all queries and the id gain
//! (NLL with the query ids zeroed − NLL with them, over queries of curves with context
//! points; see `thaw_pfn::train::validation`). Density NLL, uniform = 0.
//!
//! ```text
//! cargo run --release -p thaw-pfn --example curve_id_gain -- \
//!     checkpoints/ft-pfn-small checkpoints/adam-pfn-small \
//!     --taskset data/parquet/taskset.parquet FixedTextRNNClassification_imdb_patch128_LSTM128_embed128_bs64
//! ```

use std::error::Error;
use std::path::Path;

use burn::tensor::Device;
use thaw_pfn::checkpoint::{load_weights, read_config};
use thaw_pfn::train::validation::ValSet;
use thaw_prior::{Augment, Batch, ContextSize, FtPfnPrior, HpCount, Prior, TaskSetPrior};

const SEED: u64 = 999;
const BATCHES: u64 = 8;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (checkpoints, taskset) = match args.iter().position(|a| a == "--taskset") {
        Some(i) => (&args[..i], args.get(i + 1..i + 3)),
        None => (&args[..], None),
    };
    let mut priors: Vec<(String, Box<dyn Prior>)> = vec![(
        "FT-PFN prior, d = 8".into(),
        Box::new(FtPfnPrior::new(ContextSize::Uniform, HpCount::Fixed(8))?),
    )];
    if let Some([file, task]) = taskset {
        let tasks = thaw_data::load_tasks(Path::new(file), Some(std::slice::from_ref(task)))?;
        priors.push((
            task.clone(),
            Box::new(TaskSetPrior::new(
                &tasks,
                Augment::None,
                ContextSize::Uniform,
            )?),
        ));
    }
    let batches: Vec<Vec<Batch>> = priors
        .iter()
        .map(|(_, p)| (0..BATCHES).map(|i| p.sample(SEED, i, 8, 500)).collect())
        .collect::<Result<_, _>>()?;
    let device = Device::flex();
    println!("| checkpoint | data | validation NLL | id gain |");
    println!("|---|---|---|---|");
    for dir in checkpoints {
        let config = read_config(Path::new(dir))?;
        let model = load_weights(
            &config.model,
            &Path::new(dir).join("model.safetensors"),
            &device,
        )?;
        for ((name, _), batches) in priors.iter().zip(&batches) {
            let v = ValSet::new(batches, config.model.n_bins, &device).evaluate(&model);
            let gain = v.id_gain.map_or("-".into(), |g| format!("{g:+.3}"));
            println!("| {dir} | {name} | {:.3} | {gain} |", v.nll);
        }
    }
    Ok(())
}

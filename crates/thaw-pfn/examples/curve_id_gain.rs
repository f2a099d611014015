//! How much does a checkpoint use curve ids? In-distribution diagnostic.
//!
//! Draws one validation-style batch (8 × 500 tokens, context size ~ U, seed 999) from
//! the FT-PFN prior (8 hyperparameters) and, when a TaskSet file and task are given, from
//! that task without augmentation; scores the queries whose curve has context points
//! twice — with their ids, and with the ids zeroed (as if the curve were new) — and the
//! queries of unseen curves. "id gain" = NLL(zeroed) − NLL(with ids): positive when the
//! model continues a curve from its own points. Density NLL, uniform = 0.
//!
//! ```text
//! cargo run --release -p thaw-pfn --example curve_id_gain -- \
//!     checkpoints/ft-pfn-small checkpoints/adam-pfn-small \
//!     --taskset data/parquet/taskset.parquet FixedTextRNNClassification_imdb_patch128_LSTM128_bs64
//! ```

use std::error::Error;
use std::path::Path;

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor};
use thaw_pfn::checkpoint::{load_weights, read_config};
use thaw_pfn::model::{Pfn, PfnInput};
use thaw_prior::{Augment, Batch, ContextSize, FtPfnPrior, HpCount, Prior, TaskSetPrior};

/// Mean density NLL of the seen-curve queries and of the unseen-curve ones.
fn nll(
    model: &Pfn,
    batch: &Batch,
    n_bins: usize,
    zero_ids: bool,
    device: &Device,
) -> Result<(f64, f64), Box<dyn Error>> {
    let mut batch = batch.clone();
    let (n, c) = (batch.seq_len, batch.n_ctx);
    let mut seen = Vec::new();
    for s in 0..batch.batch {
        for i in c..n {
            seen.push(batch.ids[s * n + i] != 0);
            if zero_ids {
                batch.ids[s * n + i] = 0;
            }
        }
    }
    let (input, bins) = PfnInput::from_batch(&batch, n_bins, device);
    let picked: Tensor<3> =
        log_softmax(model.forward(input), 2).gather(2, bins.unsqueeze_dim::<3>(2));
    let lp: Vec<f32> = picked
        .into_data()
        .try_to_vec()
        .map_err(|e| format!("cannot read the log-probabilities: {e:?}"))?;
    let (mut a, mut na, mut u, mut nu) = (0.0, 0, 0.0, 0);
    for (l, s) in lp.iter().zip(&seen) {
        if *s {
            a -= *l as f64;
            na += 1;
        } else {
            u -= *l as f64;
            nu += 1;
        }
    }
    let ln_k = (n_bins as f64).ln();
    Ok((a / na.max(1) as f64 - ln_k, u / nu.max(1) as f64 - ln_k))
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (checkpoints, taskset) = match args.iter().position(|a| a == "--taskset") {
        Some(i) => (&args[..i], args.get(i + 1..i + 3)),
        None => (&args[..], None),
    };
    let device = Device::flex();
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
    println!(
        "| checkpoint | data | NLL seen-curve queries | same, ids zeroed | id gain | NLL unseen-curve queries |"
    );
    println!("|---|---|---|---|---|---|");
    for dir in checkpoints {
        let config = read_config(Path::new(dir))?;
        let model = load_weights(
            &config.model,
            &Path::new(dir).join("model.safetensors"),
            &device,
        )?;
        for (name, prior) in &priors {
            let batch = prior.sample(999, 0, 8, 500)?;
            let (with_ids, unseen) = nll(&model, &batch, config.model.n_bins, false, &device)?;
            let (zeroed, _) = nll(&model, &batch, config.model.n_bins, true, &device)?;
            println!(
                "| {dir} | {name} | {with_ids:.3} | {zeroed:.3} | {:+.3} | {unseen:.3} |",
                zeroed - with_ids
            );
        }
    }
    Ok(())
}

//! Does a PFN checkpoint rank ifBO's candidates? A diagnostic on one real task.
//!
//! Starts `--started` random configurations of the task (seeded), observes each for k
//! epochs, and asks the checkpoint for every configuration at a horizon of h epochs
//! (started ones at k + h, unseen ones at h) — one MFPI step with τ = 0.01. Prints, per
//! checkpoint and k: the mean predicted value of started configurations whose curve is
//! 0 so far against their truth, the spread of PI over the candidates, and Spearman's
//! rank correlation ρ with the true value at the queried epoch: of PI (started / unseen
//! candidates), of the started configurations' predicted mean, of the same prediction
//! with the curve id dropped (hyperparameters moved by 1e-4, so the surrogate sees a new
//! configuration), and of the naive forecast "last observed value". A surrogate that
//! ignores the context scores every candidate alike and correlates ≈ 0; one that follows
//! a curve's own points comes close to the naive forecast. (PI is 0 everywhere and ρ
//! undefined once a started curve has reached y = 1.)
//!
//! ```text
//! cargo run --release -p thaw-hpo --example pfn_conditioning -- \
//!     data/parquet/taskset.parquet FixedTextRNNClassification_imdb_patch128_LSTM128_embed128_bs64 \
//!     checkpoints/ft-pfn-small checkpoints/adam-pfn-small
//! ```

use std::error::Error;
use std::path::Path;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::index;
use thaw_pfn::{Observation, Query, Surrogate};

const STARTED: usize = 40;
const HORIZON: usize = 10;
const TAU: f64 = 0.01;
const SEED: u64 = 0;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data, task, checkpoints @ ..] = args.as_slice() else {
        return Err("usage: pfn_conditioning <parquet> <task> <checkpoint dir>…".into());
    };
    let tasks = thaw_data::load_tasks(Path::new(data), Some(std::slice::from_ref(task)))?;
    let curves = &tasks
        .first()
        .ok_or(format!("no task {task:?} in {data}"))?
        .curves;
    let epochs = curves.epochs;
    let mut rng = StdRng::seed_from_u64(SEED);
    let started = index::sample(&mut rng, curves.configs, STARTED).into_vec();
    let unseen: Vec<usize> = (0..curves.configs)
        .filter(|c| !started.contains(c))
        .collect();
    println!(
        "{task}: {STARTED} started configurations (seed {SEED}), {} unseen, horizon {HORIZON}, τ = {TAU}",
        unseen.len()
    );
    println!(
        "| checkpoint | k | zero curves: predicted mean (truth) | PI min–max | ρ PI started / unseen | ρ mean started | ρ mean, id dropped | ρ last value |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for dir in checkpoints {
        let surrogate = Surrogate::load(Path::new(dir))?;
        for k in [10, 25] {
            if k + HORIZON > epochs {
                continue;
            }
            let context: Vec<Observation> = started
                .iter()
                .flat_map(|&c| {
                    (0..k).map(move |e| Observation {
                        hps: curves.hp(c).to_vec(),
                        t: (e + 1) as f32 / epochs as f32,
                        y: curves.curve(c)[e],
                    })
                })
                .collect();
            let at = |c: usize, epoch: usize| Query {
                hps: curves.hp(c).to_vec(),
                t: epoch as f32 / epochs as f32,
            };
            let mut queries: Vec<Query> = started.iter().map(|&c| at(c, k + HORIZON)).collect();
            queries.extend(unseen.iter().map(|&c| at(c, HORIZON)));
            let predictions = surrogate.predict(&context, &queries)?;
            let best = context.iter().map(|o| o.y as f64).fold(0.0, f64::max);
            let threshold = best + TAU * (1.0 - best);
            let pi: Vec<f64> = predictions.iter().map(|p| p.pi(threshold)).collect();
            let truth: Vec<f64> = started
                .iter()
                .map(|&c| curves.curve(c)[k + HORIZON - 1] as f64)
                .chain(unseen.iter().map(|&c| curves.curve(c)[HORIZON - 1] as f64))
                .collect();
            let zero: Vec<usize> = (0..STARTED)
                .filter(|&i| curves.curve(started[i])[..k].iter().all(|&y| y == 0.0))
                .collect();
            let zero_mean =
                zero.iter().map(|&i| predictions[i].mean()).sum::<f64>() / zero.len().max(1) as f64;
            let zero_truth = zero.iter().map(|&i| truth[i]).sum::<f64>() / zero.len().max(1) as f64;
            let (lo, hi) = pi
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &p| {
                    (l.min(p), h.max(p))
                });
            let n = STARTED;
            let mean: Vec<f64> = predictions[..n].iter().map(|p| p.mean()).collect();
            let moved: Vec<Query> = started
                .iter()
                .map(|&c| Query {
                    hps: curves
                        .hp(c)
                        .iter()
                        .map(|&h| if h > 0.5 { h - 1e-4 } else { h + 1e-4 })
                        .collect(),
                    t: (k + HORIZON) as f32 / epochs as f32,
                })
                .collect();
            let no_id: Vec<f64> = surrogate
                .predict(&context, &moved)?
                .iter()
                .map(|p| p.mean())
                .collect();
            let last: Vec<f64> = started
                .iter()
                .map(|&c| curves.curve(c)[k - 1] as f64)
                .collect();
            println!(
                "| {dir} | {k} | {zero_mean:.4} ({zero_truth:.4}; {} curves) | {lo:.3}–{hi:.3} | {:.2} / {:.2} | {:.2} | {:.2} | {:.2} |",
                zero.len(),
                spearman(&pi[..n], &truth[..n]),
                spearman(&pi[n..], &truth[n..]),
                spearman(&mean, &truth[..n]),
                spearman(&no_id, &truth[..n]),
                spearman(&last, &truth[..n]),
            );
        }
    }
    Ok(())
}

/// Spearman's ρ with average ranks for ties (NaN when either side is constant).
fn spearman(a: &[f64], b: &[f64]) -> f64 {
    thaw_data::ranking::spearman(a, b).unwrap_or(f64::NAN)
}

//! Small tabular pools shared by the optimisers' unit tests.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use thaw_data::CurveSet;

use crate::objective::TabularObjective;
use crate::optimise::{Step, run};
use crate::optimizer::Optimizer;

/// A tabular task over `hps` (row-major, `d` per config) with final values `fin`:
/// y(e) = fin · e / epochs.
pub fn task(hps: Vec<f32>, d: usize, fin: &[f32], epochs: usize) -> TabularObjective {
    let configs = fin.len();
    let y = fin
        .iter()
        .flat_map(|&f| (1..=epochs).map(move |e| f * e as f32 / epochs as f32))
        .collect();
    TabularObjective::new(CurveSet {
        configs,
        epochs,
        n_hps: d,
        hps,
        y,
    })
    .unwrap()
}

/// `configs` random points of [0, 1]^`d` with random final values.
pub fn random_task(configs: usize, d: usize, epochs: usize, seed: u64) -> TabularObjective {
    let mut rng = StdRng::seed_from_u64(seed);
    let hps: Vec<f32> = (0..configs * d).map(|_| rng.random::<f32>()).collect();
    let fin: Vec<f32> = (0..configs).map(|_| rng.random::<f32>()).collect();
    task(hps, d, &fin, epochs)
}

/// A pool of `configs` random points of [0, 1]^`d`, y(e) = f(x) · √(e / epochs).
pub fn pool_task(
    configs: usize,
    d: usize,
    epochs: usize,
    seed: u64,
    f: impl Fn(&[f32]) -> f32,
) -> TabularObjective {
    let mut rng = StdRng::seed_from_u64(seed);
    let hps: Vec<f32> = (0..configs * d).map(|_| rng.random::<f32>()).collect();
    let y = (0..configs)
        .flat_map(|c| {
            let q = f(&hps[c * d..(c + 1) * d]);
            (1..=epochs).map(move |e| q * (e as f32 / epochs as f32).sqrt())
        })
        .collect();
    TabularObjective::new(CurveSet {
        configs,
        epochs,
        n_hps: d,
        hps,
        y,
    })
    .unwrap()
}

/// One smooth bump, optimum 1 at (0.72, 0.28).
pub fn bump(x: &[f32]) -> f32 {
    let r2 = (x[0] - 0.72).powi(2) + (x[1] - 0.28).powi(2);
    (-r2 / (2.0 * 0.2f32.powi(2))).exp()
}

/// The epochs `opt` trains on `obj` within `budget`.
pub fn steps(opt: &mut dyn Optimizer, obj: &mut TabularObjective, budget: usize) -> Vec<Step> {
    run(opt, obj, budget, &mut |_, _| {}).unwrap().steps
}

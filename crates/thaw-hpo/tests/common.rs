//! Shared helpers of the curve-model tests: seeded draws and scoring.
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use thaw_hpo::{At, CurveModel, History};

/// A seeded generator.
pub fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// `n` random configurations of `d` hyperparameters in [0, 1].
pub fn configs(rng: &mut StdRng, n: usize, d: usize) -> Vec<Vec<f32>> {
    (0..n).map(|_| (0..d).map(|_| rng.random::<f32>()).collect()).collect()
}

/// Mean log-density and RMSE of `model`'s final-epoch predictions against `truth`
/// (the true final value of every configuration).
pub fn score_final(model: &dyn CurveModel, h: &History, truth: &[f64]) -> (f64, f64) {
    let queries: Vec<At> = (0..h.n_configs())
        .map(|c| At { config: c, epoch: h.max_epochs() })
        .collect();
    let preds = model.predict(h, &queries).unwrap();
    let n = truth.len() as f64;
    let ll = preds.iter().zip(truth).map(|(p, y)| p.log_pdf(*y)).sum::<f64>() / n;
    let mse = preds.iter().zip(truth).map(|(p, y)| (p.mean() - y).powi(2)).sum::<f64>() / n;
    (ll, mse.sqrt())
}

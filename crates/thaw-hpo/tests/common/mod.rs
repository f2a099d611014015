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
    (0..n)
        .map(|_| (0..d).map(|_| rng.random::<f32>()).collect())
        .collect()
}

/// Mean log-density and RMSE of `model`'s final-epoch predictions against `truth`
/// (the true final value of every configuration).
pub fn score_final(model: &dyn CurveModel, h: &History, truth: &[f64]) -> (f64, f64) {
    let queries: Vec<At> = (0..h.n_configs())
        .map(|c| At {
            config: c,
            epoch: h.max_epochs(),
        })
        .collect();
    let preds = model.predict(h, &queries).unwrap();
    let n = truth.len() as f64;
    let ll = preds
        .iter()
        .zip(truth)
        .map(|(p, y)| p.log_pdf(*y))
        .sum::<f64>()
        / n;
    let mse = preds
        .iter()
        .zip(truth)
        .map(|(p, y)| (p.mean() - y).powi(2))
        .sum::<f64>()
        / n;
    (ll, mse.sqrt())
}

/// One draw from N(mu, k) (k: the joint covariance of every (config, epoch) point).
pub fn sample_gp(k: &faer::Mat<f64>, mu: f64, rng: &mut StdRng) -> Vec<f64> {
    use rand_distr::{Distribution, StandardNormal};
    let n = k.nrows();
    let l = faer::linalg::solvers::Llt::new(k.as_ref(), faer::Side::Lower).unwrap();
    let z: Vec<f64> = (0..n).map(|_| StandardNormal.sample(rng)).collect();
    (0..n)
        .map(|i| mu + (0..=i).map(|j| l.L()[(i, j)] * z[j]).sum::<f64>())
        .collect()
}

/// Mean log-density and RMSE, at every configuration's final epoch, of the exact GP
/// posterior with the generating kernel `k` and mean `mu` given the observed prefixes
/// of `h` (point (c, e) is row c · epochs + e of `k` and `y`).
pub fn oracle_final(k: &faer::Mat<f64>, y: &[f64], mu: f64, h: &History) -> (f64, f64) {
    use faer::Mat;
    use thaw_hpo::Predictive;
    use thaw_hpo::models::gp::GpSolve;
    let epochs = h.max_epochs();
    let obs: Vec<usize> = (0..h.n_configs())
        .flat_map(|c| (0..h.curve(c).len()).map(move |e| c * epochs + e))
        .collect();
    let finals: Vec<usize> = (0..h.n_configs())
        .map(|c| c * epochs + epochs - 1)
        .collect();
    let k_obs = Mat::from_fn(obs.len(), obs.len(), |i, j| k[(obs[i], obs[j])]);
    let k_star = Mat::from_fn(obs.len(), finals.len(), |i, j| k[(obs[i], finals[j])]);
    let residual: Vec<f64> = obs.iter().map(|&i| y[i] - mu).collect();
    let prior: Vec<f64> = finals.iter().map(|&j| k[(j, j)]).collect();
    let post = GpSolve::new(&k_obs, &residual, "oracle")
        .unwrap()
        .predict(&k_star, &prior);
    let n = finals.len() as f64;
    let ll = post
        .iter()
        .zip(&finals)
        .map(|((m, v), &j)| Predictive::gaussian(mu + m, v.sqrt()).log_pdf(y[j]))
        .sum::<f64>()
        / n;
    let rmse = (post
        .iter()
        .zip(&finals)
        .map(|((m, _), &j)| (mu + m - y[j]).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    (ll, rmse)
}

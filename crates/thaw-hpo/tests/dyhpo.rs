//! DyHPO on curves drawn from a GP with a squared-exponential kernel on
//! (configuration, budget) — its model class with the identity as feature map.

mod common;

use std::time::Instant;

use faer::linalg::solvers::Llt;
use faer::{Mat, Side};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use thaw_hpo::gp::GpSolve;
use thaw_hpo::models::{Dyhpo, DyhpoSettings};
use thaw_hpo::{CurveModel, History, Predictive};

const EPOCHS: usize = 15;

#[test]
fn approaches_the_oracle_posterior_on_its_own_model_class() {
    let mut rng = common::rng(11);
    let configs = common::configs(&mut rng, 30, 2);
    let (mu, amp, ls, noise) = (0.5, 0.02, 0.5, 1e-4);
    let n = configs.len() * EPOCHS;
    let point = |i: usize| {
        let c = &configs[i / EPOCHS];
        [c[0] as f64, c[1] as f64, ((i % EPOCHS) + 1) as f64 / EPOCHS as f64]
    };
    let k = Mat::from_fn(n, n, |i, j| {
        let (a, b) = (point(i), point(j));
        let sq: f64 = a.iter().zip(&b).map(|(x, y)| ((x - y) / ls).powi(2)).sum();
        amp * (-0.5 * sq).exp() + if i == j { noise } else { 0.0 }
    });
    let l = Llt::new(k.as_ref(), Side::Lower).unwrap();
    let z: Vec<f64> = (0..n).map(|_| StandardNormal.sample(&mut rng)).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| mu + (0..=i).map(|j| l.L()[(i, j)] * z[j]).sum::<f64>())
        .collect();
    let mut h = History::new(configs.clone(), EPOCHS).unwrap();
    for c in 0..configs.len() - 3 {
        let len = rng.random_range(2..EPOCHS);
        let prefix: Vec<f32> = (0..len).map(|e| y[c * EPOCHS + e] as f32).collect();
        h.observe_prefix(c, &prefix).unwrap();
    }
    let truth: Vec<f64> = (0..configs.len()).map(|c| y[c * EPOCHS + EPOCHS - 1]).collect();
    let mut model = Dyhpo::new(DyhpoSettings { first_steps: 300, ..Default::default() });
    let start = Instant::now();
    model.fit(&h).unwrap();
    eprintln!("DyHPO fit, {} points: {:?}", h.n_observed(), start.elapsed());
    let (ll, rmse) = common::score_final(&model, &h, &truth);
    // Oracle: exact posterior with the generating kernel.
    let obs: Vec<usize> = (0..configs.len())
        .flat_map(|c| (0..h.curve(c).len()).map(move |e| c * EPOCHS + e))
        .collect();
    let finals: Vec<usize> = (0..configs.len()).map(|c| c * EPOCHS + EPOCHS - 1).collect();
    let k_obs = Mat::from_fn(obs.len(), obs.len(), |i, j| k[(obs[i], obs[j])]);
    let k_star = Mat::from_fn(obs.len(), finals.len(), |i, j| k[(obs[i], finals[j])]);
    let residual: Vec<f64> = obs.iter().map(|&i| y[i] - mu).collect();
    let prior: Vec<f64> = finals.iter().map(|&j| k[(j, j)]).collect();
    let oracle = GpSolve::new(&k_obs, &residual, "oracle").unwrap().predict(&k_star, &prior);
    let nf = truth.len() as f64;
    let oracle_ll = oracle
        .iter()
        .zip(&truth)
        .map(|((m, v), t)| Predictive::gaussian(mu + m, v.sqrt()).log_pdf(*t))
        .sum::<f64>()
        / nf;
    let oracle_rmse =
        (oracle.iter().zip(&truth).map(|((m, _), t)| (mu + m - t).powi(2)).sum::<f64>() / nf).sqrt();
    eprintln!("LL {ll} (oracle {oracle_ll}), RMSE {rmse} (oracle {oracle_rmse}), noise {:?}", model.noise());
    assert!(ll > oracle_ll - 1.0, "LL {ll} vs oracle {oracle_ll}");
    assert!(rmse < 1.5 * oracle_rmse + 0.005, "RMSE {rmse} vs oracle {oracle_rmse}");
}

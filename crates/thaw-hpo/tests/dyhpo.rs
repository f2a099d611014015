//! DyHPO on curves drawn from a GP with a squared-exponential kernel on
//! (configuration, budget) — its model class with the identity as feature map.

mod common;

use std::time::Instant;

use faer::Mat;
use rand::RngExt;
use thaw_hpo::models::{Dyhpo, DyhpoSettings};
use thaw_hpo::{CurveModel, History};

const EPOCHS: usize = 15;

#[test]
fn approaches_the_oracle_posterior_on_its_own_model_class() {
    let mut rng = common::rng(11);
    let configs = common::configs(&mut rng, 30, 2);
    let (mu, amp, ls, noise) = (0.5, 0.02, 0.5, 1e-4);
    let n = configs.len() * EPOCHS;
    let point = |i: usize| {
        let c = &configs[i / EPOCHS];
        [
            c[0] as f64,
            c[1] as f64,
            ((i % EPOCHS) + 1) as f64 / EPOCHS as f64,
        ]
    };
    let k = Mat::from_fn(n, n, |i, j| {
        let (a, b) = (point(i), point(j));
        let sq: f64 = a.iter().zip(&b).map(|(x, y)| ((x - y) / ls).powi(2)).sum();
        amp * (-0.5 * sq).exp() + if i == j { noise } else { 0.0 }
    });
    let y = common::sample_gp(&k, mu, &mut rng);
    let mut h = History::new(configs.clone(), EPOCHS).unwrap();
    for c in 0..configs.len() - 3 {
        let len = rng.random_range(2..EPOCHS);
        let prefix: Vec<f32> = (0..len).map(|e| y[c * EPOCHS + e] as f32).collect();
        h.observe_prefix(c, &prefix).unwrap();
    }
    let truth: Vec<f64> = (0..configs.len())
        .map(|c| y[c * EPOCHS + EPOCHS - 1])
        .collect();
    let mut model = Dyhpo::new(
        DyhpoSettings {
            first_steps: 300,
            ..Default::default()
        },
        &burn::tensor::Device::flex(),
    );
    let start = Instant::now();
    model.fit(&h).unwrap();
    eprintln!(
        "DyHPO fit, {} points: {:?}",
        h.n_observed(),
        start.elapsed()
    );
    let (ll, rmse) = common::score_final(&model, &h, &truth);
    // Oracle: exact posterior with the generating kernel.
    let (oracle_ll, oracle_rmse) = common::oracle_final(&k, &y, mu, &h);
    eprintln!(
        "LL {ll} (oracle {oracle_ll}), RMSE {rmse} (oracle {oracle_rmse}), noise {:?}",
        model.noise()
    );
    assert!(ll > oracle_ll - 1.0, "LL {ll} vs oracle {oracle_ll}");
    assert!(
        rmse < 1.5 * oracle_rmse + 0.005,
        "RMSE {rmse} vs oracle {oracle_rmse}"
    );
}

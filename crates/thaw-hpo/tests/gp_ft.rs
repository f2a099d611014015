//! GP freeze-thaw recovers its own generating process.

mod common;

use faer::Mat;
use rand::RngExt;
use thaw_hpo::models::{GpFreezeThaw, GpFtSettings};
use thaw_hpo::{CurveModel, History};

const EPOCHS: usize = 20;

fn matern52(a: &[f32], b: &[f32], ls: f64) -> f64 {
    let r = a
        .iter()
        .zip(b)
        .map(|(x, y)| ((x - y) as f64 / ls).powi(2))
        .sum::<f64>()
        .sqrt();
    let s = 5f64.sqrt() * r;
    (1.0 + s + 5.0 / 3.0 * r * r) * (-s).exp()
}

#[test]
fn recovers_noise_and_predicts_asymptotes_of_curves_drawn_from_its_prior() {
    let mut rng = common::rng(7);
    let configs = common::configs(&mut rng, 40, 2);
    let (mu, ax, ls, at, alpha, beta, noise) = (0.6, 0.02, 0.4, 0.05, 1.0, 0.1, 1e-4);
    // Joint covariance of every (config, epoch).
    let n = configs.len() * EPOCHS;
    let t = |i: usize| ((i % EPOCHS) + 1) as f64 / EPOCHS as f64;
    let k = Mat::from_fn(n, n, |i, j| {
        let (ci, cj) = (i / EPOCHS, j / EPOCHS);
        let mut v = ax * matern52(&configs[ci], &configs[cj], ls);
        if ci == cj {
            v += at * (beta / (t(i) + t(j) + beta)).powf(alpha);
        }
        if i == j {
            v += noise;
        }
        v
    });
    let y = common::sample_gp(&k, mu, &mut rng);
    let mut h = History::new(configs.clone(), EPOCHS).unwrap();
    let truth: Vec<f64> = (0..configs.len())
        .map(|c| y[c * EPOCHS + EPOCHS - 1])
        .collect();
    for c in 0..configs.len() - 2 {
        let len = rng.random_range(2..EPOCHS);
        let prefix: Vec<f32> = (0..len).map(|e| y[c * EPOCHS + e] as f32).collect();
        h.observe_prefix(c, &prefix).unwrap();
    }
    let mut model = GpFreezeThaw::new(
        GpFtSettings {
            first_steps: 150,
            ..Default::default()
        },
        &burn::tensor::Device::flex(),
    );
    model.fit(&h).unwrap();
    let (m, a_x, _, a_t, _, _, s2) = model.hyperparameters().unwrap();
    let within = |got: f64, want: f64, factor: f64| got > want / factor && got < want * factor;
    assert!(within(a_x, ax, 2.5), "asymptote amplitude {a_x} vs {ax}");
    assert!(within(a_t, at, 2.5), "curve amplitude {a_t} vs {at}");
    assert!((m - mu).abs() < 0.2, "mean {m}");
    assert!(
        s2 > noise / 4.0 && s2 < noise * 4.0,
        "noise {s2} vs {noise}"
    );
    let (ll, rmse) = common::score_final(&model, &h, &truth);
    // The oracle: the exact posterior under the true hyperparameters.
    let (oracle_ll, oracle_rmse) = common::oracle_final(&k, &y, mu, &h);
    assert!(ll > oracle_ll - 0.5, "fitted LL {ll} vs oracle {oracle_ll}");
    assert!(
        rmse < 1.3 * oracle_rmse + 0.005,
        "fitted RMSE {rmse} vs oracle {oracle_rmse}"
    );
    // A refit on one more epoch is warm and cheap, and stays sane.
    h.observe(configs.len() - 1, y[(configs.len() - 1) * EPOCHS] as f32)
        .unwrap();
    model.fit(&h).unwrap();
    let (ll2, _) = common::score_final(&model, &h, &truth);
    assert!(ll2 > oracle_ll - 0.5, "after refit {ll2}");
}

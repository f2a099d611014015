//! DPL recovers power laws that are smooth functions of the configuration.

mod common;

use std::time::Instant;

use thaw_hpo::models::{Dpl, DplSettings};
use thaw_hpo::{CurveModel, History};

const EPOCHS: usize = 20;

/// The generating power law of configuration x: loss(b) = α + β b^(−γ).
fn law(x: &[f32]) -> (f64, f64, f64) {
    let (a, b) = (x[0] as f64, x[1] as f64);
    (0.1 + 0.2 * a, 0.05 + 0.05 * b, 0.3 + 0.3 * a)
}

fn y(x: &[f32], epoch: usize) -> f64 {
    let (alpha, beta, gamma) = law(x);
    let b = epoch as f64 / EPOCHS as f64;
    1.0 - (alpha + beta * b.powf(-gamma))
}

#[test]
fn recovers_power_laws_and_extrapolates_short_prefixes() {
    let mut rng = common::rng(3);
    let configs = common::configs(&mut rng, 60, 2);
    let mut h = History::new(configs.clone(), EPOCHS).unwrap();
    for (c, x) in configs.iter().enumerate() {
        let len = if c < 40 { EPOCHS } else { 4 };
        let prefix: Vec<f32> = (1..=len).map(|e| y(x, e) as f32).collect();
        h.observe_prefix(c, &prefix).unwrap();
    }
    let mut model = Dpl::new(
        DplSettings {
            first_epochs: 150,
            ..Default::default()
        },
        &burn::tensor::Device::flex(),
    );
    let start = Instant::now();
    model.fit(&h).unwrap();
    eprintln!(
        "DPL fit on {} points: {:?}",
        h.n_observed(),
        start.elapsed()
    );
    let truth: Vec<f64> = configs.iter().map(|x| y(x, EPOCHS)).collect();
    let (_, rmse) = common::score_final(&model, &h, &truth);
    let spread = {
        let m = truth.iter().sum::<f64>() / truth.len() as f64;
        (truth.iter().map(|v| (v - m).powi(2)).sum::<f64>() / truth.len() as f64).sqrt()
    };
    assert!(
        rmse < 0.2 * spread,
        "final-epoch RMSE {rmse} vs spread {spread}"
    );
    // The members' power law of a fully observed config is close to the true one.
    for c in [0, 7] {
        let (alpha, beta, gamma) = law(&configs[c]);
        let laws = model.power_laws(&h, c);
        let k = laws.len() as f64;
        let a = laws.iter().map(|l| l.0).sum::<f64>() / k;
        let b = laws.iter().map(|l| l.1).sum::<f64>() / k;
        let g = laws.iter().map(|l| l.2).sum::<f64>() / k;
        assert!(
            (a - alpha).abs() < 0.06 && (b - beta).abs() < 0.05 && (g - gamma).abs() < 0.2,
            "ensemble mean ({a:.3}, {b:.3}, {g:.3}) vs true ({alpha:.3}, {beta:.3}, {gamma:.3})"
        );
    }
    // The members differ (their spread is the predictive standard deviation).
    let preds = model
        .predict(
            &h,
            &[thaw_hpo::At {
                config: 50,
                epoch: EPOCHS,
            }],
        )
        .unwrap();
    assert!(preds[0].std() > thaw_hpo::predictive::MIN_STD);
}

//! The last-value forecast: a started curve stays at its last observed value.
//!
//! The naive forecast that freeze-thaw surrogates must beat on started configurations,
//! with a noise model fitted on the context so that it has a likelihood: the value h
//! epochs ahead of the last observation is Gaussian around the last value with variance
//! h · s², a random walk whose step variance s² is fitted on the observed curves
//! themselves — for every observed curve and every earlier point j of it, the change from
//! y_j to the curve's latest value y_k over k − j epochs: s² = Σ (y_k − y_j)² / Σ (k − j).
//! An unstarted configuration gets the context's marginal: a Gaussian with the mean
//! and standard deviation of the observed curves' latest values.

use crate::curve_model::CurveModel;
use crate::error::Result;
use crate::history::{At, History};
use crate::predictive::Predictive;

/// Step variance used when no curve has two points (a ±0.1 spread per epoch).
const FALLBACK_STEP_VAR: f64 = 0.01;

/// The last-value forecast with a random-walk noise model (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct LastValue {
    step_var: f64,
    marginal: Option<(f64, f64)>,
}

impl LastValue {
    /// An unfitted forecast.
    pub fn new() -> Self {
        Self::default()
    }

    /// The fitted per-epoch variance s² of the random walk.
    pub fn step_variance(&self) -> f64 {
        self.step_var
    }
}

impl CurveModel for LastValue {
    fn name(&self) -> String {
        "Last value".into()
    }

    fn fit(&mut self, history: &History) -> Result<()> {
        let (mut sq, mut horizon) = (0.0, 0.0);
        let mut lasts = Vec::new();
        for c in 0..history.n_configs() {
            let curve = history.curve(c);
            let Some(&last) = curve.last() else {
                continue;
            };
            lasts.push(f64::from(last));
            let k = curve.len();
            for (j, &y) in curve[..k - 1].iter().enumerate() {
                sq += (f64::from(last) - f64::from(y)).powi(2);
                horizon += (k - 1 - j) as f64;
            }
        }
        self.step_var = if horizon > 0.0 {
            sq / horizon
        } else {
            FALLBACK_STEP_VAR
        };
        self.marginal = (!lasts.is_empty()).then(|| mean_std(&lasts));
        Ok(())
    }

    fn predict(&self, history: &History, queries: &[At]) -> Result<Vec<Predictive>> {
        history.check_queries(queries)?;
        Ok(queries
            .iter()
            .map(|q| {
                let curve = history.curve(q.config);
                match curve.last() {
                    Some(&last) => {
                        let ahead = q.epoch.saturating_sub(curve.len()) as f64;
                        let at = if q.epoch <= curve.len() {
                            curve[q.epoch - 1]
                        } else {
                            last
                        };
                        Predictive::gaussian(f64::from(at), (ahead * self.step_var).sqrt())
                    }
                    None => self
                        .marginal
                        .map_or(Predictive::Uniform, |(m, s)| Predictive::gaussian(m, s)),
                }
            })
            .collect())
    }
}

/// Mean and standard deviation (population) of `v`, which is not empty.
pub(crate) fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_the_random_walk_by_hand_and_forecasts_the_last_value() {
        // Curve 0: 0.1, 0.3 → one change of 0.2 over 1 epoch; curve 1: 0.5, 0.5, 0.8 →
        // changes 0.3 over 2 and 0.3 over 1. s² = (0.04 + 0.09 + 0.09) / (1 + 2 + 1).
        let mut h = History::new(vec![vec![0.0], vec![0.5], vec![1.0]], 10).unwrap();
        h.observe_prefix(0, &[0.1, 0.3]).unwrap();
        h.observe_prefix(1, &[0.5, 0.5, 0.8]).unwrap();
        let mut m = LastValue::new();
        m.fit(&h).unwrap();
        let s2 = 0.22 / 4.0;
        assert!(
            (m.step_variance() - s2).abs() < 1e-6,
            "{}",
            m.step_variance()
        );
        let q = [
            At {
                config: 0,
                epoch: 10,
            },
            At {
                config: 1,
                epoch: 2,
            },
            At {
                config: 2,
                epoch: 10,
            },
        ];
        let p = m.predict(&h, &q).unwrap();
        assert!((p[0].mean() - 0.3).abs() < 1e-6);
        assert!((p[0].std() - (8.0 * s2).sqrt()).abs() < 1e-6);
        // An observed epoch is its value (with the smallest spread).
        assert!((p[1].mean() - 0.5).abs() < 1e-6 && p[1].std() <= 1e-4);
        // Unstarted: the marginal of the latest values 0.3 and 0.8.
        assert!((p[2].mean() - 0.55).abs() < 1e-6 && (p[2].std() - 0.25).abs() < 1e-6);
        // Nothing observed: uniform.
        let empty = History::new(vec![vec![0.0]], 10).unwrap();
        m.fit(&empty).unwrap();
        assert_eq!(
            m.predict(
                &empty,
                &[At {
                    config: 0,
                    epoch: 10
                }]
            )
            .unwrap()[0],
            Predictive::Uniform
        );
    }
}

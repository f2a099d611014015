//! The hyperparameter nearest-neighbour forecast: a configuration ends where its k
//! nearest observed neighbours in hyperparameter space got to.
//!
//! It looks only at hyperparameters, never at the queried configuration's own curve, so
//! beside the last-value forecast it shows which of the two kinds of information a
//! surrogate uses. For a query, the k observed configurations (other than itself) with
//! the smallest Euclidean distance between encoded hyperparameters give a Gaussian with
//! the mean of their latest observed values (which, in a context of partial curves, are
//! not yet final: a documented bias toward early values) and variance v_k + v / k: the
//! neighbours' own variance plus the context's variance v of latest values over k, the
//! uncertainty of a k-sample mean. Without the second term five dead neighbours
//! (all at y ≈ 0) claimed a spread of 1e-4 and scored LL −160 on a miss.

use crate::curve_model::CurveModel;
use crate::error::Result;
use crate::history::{At, History};
use crate::models::last_value::mean_std;
use crate::predictive::Predictive;

/// Neighbours per query by default.
pub const DEFAULT_K: usize = 5;

/// The k-nearest-neighbour forecast (see the module docs).
#[derive(Debug, Clone)]
pub struct NearestNeighbour {
    k: usize,
}

impl NearestNeighbour {
    /// A forecast from the `k` nearest observed configurations (at least 1).
    pub fn new(k: usize) -> Self {
        Self { k: k.max(1) }
    }
}

impl CurveModel for NearestNeighbour {
    fn name(&self) -> String {
        "HP nearest neighbours".into()
    }

    fn fit(&mut self, _history: &History) -> Result<()> {
        Ok(())
    }

    fn predict(&self, history: &History, queries: &[At]) -> Result<Vec<Predictive>> {
        history.check_queries(queries)?;
        let observed: Vec<(usize, f64)> = (0..history.n_configs())
            .filter_map(|c| history.curve(c).last().map(|&y| (c, f64::from(y))))
            .collect();
        let all: Vec<f64> = observed.iter().map(|o| o.1).collect();
        let context_var = if all.is_empty() {
            0.0
        } else {
            mean_std(&all).1.powi(2)
        };
        Ok(queries
            .iter()
            .map(|q| {
                let x = history.config(q.config);
                let mut near: Vec<(f64, f64)> = observed
                    .iter()
                    .filter(|(c, _)| *c != q.config)
                    .map(|&(c, y)| (sq_dist(x, history.config(c)), y))
                    .collect();
                if near.is_empty() {
                    return Predictive::Uniform;
                }
                near.sort_by(|a, b| a.0.total_cmp(&b.0));
                let ys: Vec<f64> = near.iter().take(self.k).map(|n| n.1).collect();
                let (m, s) = mean_std(&ys);
                Predictive::gaussian(m, (s * s + context_var / ys.len() as f64).sqrt())
            })
            .collect())
    }
}

fn sq_dist(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (f64::from(*p) - f64::from(*q)).powi(2))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_the_nearest_observed_configurations_but_not_itself() {
        let configs = vec![vec![0.0], vec![0.1], vec![0.2], vec![0.9], vec![0.15]];
        let mut h = History::new(configs, 5).unwrap();
        h.observe_prefix(0, &[0.2]).unwrap();
        h.observe_prefix(1, &[0.1, 0.4]).unwrap();
        h.observe_prefix(2, &[0.6]).unwrap();
        h.observe_prefix(3, &[0.9]).unwrap();
        let m = NearestNeighbour::new(2);
        let q = [
            At {
                config: 4,
                epoch: 5,
            },
            At {
                config: 1,
                epoch: 5,
            },
        ];
        let p = m.predict(&h, &q).unwrap();
        // Config 4 (0.15): nearest are 1 (0.4) and 2 (0.6): variance 0.01 + v / 2, with v
        // the variance of the latest values 0.2, 0.4, 0.6, 0.9 (mean 0.525).
        let v = [0.2f64, 0.4, 0.6, 0.9]
            .iter()
            .map(|y| (y - 0.525).powi(2))
            .sum::<f64>()
            / 4.0;
        assert!((p[0].mean() - 0.5).abs() < 1e-6);
        assert!(
            (p[0].std() - (0.01 + v / 2.0).sqrt()).abs() < 1e-6,
            "{}",
            p[0].std()
        );
        // Config 1 (0.1) excludes itself: 0 (0.2) and 2 (0.6).
        assert!((p[1].mean() - 0.4).abs() < 1e-6);
    }
}

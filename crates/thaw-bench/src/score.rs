//! Scores of predictive distributions against true values.

use thaw_data::ranking::spearman;
use thaw_hpo::Predictive;

/// Mean log-likelihood (density) and mean squared error of the means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Mean log-density of the true values (a uniform density on [0, 1] scores 0).
    pub ll: f64,
    /// Mean squared error of the predictive means.
    pub mse: f64,
    /// Spearman rank correlation of the predictive means with the true values (ties
    /// share their mean rank); none for fewer than 2 values or a constant side. What
    /// freeze-thaw needs most: which configurations end best.
    pub rho: Option<f64>,
}

/// Scores `preds` against `truth` (same length, at least one).
pub fn score(preds: &[Predictive], truth: &[f64]) -> Score {
    let n = truth.len().max(1) as f64;
    let ll = preds
        .iter()
        .zip(truth)
        .map(|(p, &y)| p.log_pdf(y))
        .sum::<f64>()
        / n;
    let mse = preds
        .iter()
        .zip(truth)
        .map(|(p, &y)| (p.mean() - y).powi(2))
        .sum::<f64>()
        / n;
    let means: Vec<f64> = preds.iter().map(Predictive::mean).collect();
    Score {
        ll,
        mse,
        rho: spearman(&means, truth),
    }
}

/// Median of `values` (NaN-free; the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use thaw_pfn::BarDistribution;

    #[test]
    fn uniform_scores_zero_log_likelihood_and_its_mse_by_hand() {
        let truth = [0.1, 0.5, 0.9];
        let s = score(&vec![Predictive::Uniform; 3], &truth);
        assert_eq!(s.ll, 0.0);
        // ((0.4)² + 0 + (0.4)²) / 3
        assert!((s.mse - 0.32 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn a_point_mass_like_bar_distribution_has_the_mse_of_its_bin_centre() {
        // 10 bins on [0, 1]; all mass in bin 7 = [0.7, 0.8): mean 0.75.
        let mut probs = vec![0.0; 10];
        probs[7] = 1.0;
        let bar = BarDistribution::from_probs(&probs).unwrap();
        let p = Predictive::Bar(thaw_pfn::BarPredictive::from(bar));
        let s = score(&[p.clone(), p], &[0.75, 0.65]);
        assert!((s.mse - 0.005).abs() < 1e-12, "{}", s.mse);
        // Density 10 inside the bin, 0 outside: LL = (ln 10 + −∞) / 2.
        assert_eq!(s.ll, f64::NEG_INFINITY);
        let inside = score(
            &[Predictive::Bar(thaw_pfn::BarPredictive::from(
                BarDistribution::from_probs(&{
                    let mut q = vec![0.0; 10];
                    q[7] = 1.0;
                    q
                })
                .unwrap(),
            ))],
            &[0.72],
        );
        assert!((inside.ll - 10f64.ln()).abs() < 1e-9);
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }
}

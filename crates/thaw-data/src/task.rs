//! Tasks as the models see them: hyperparameters in [0, 1] and curves of y in
//! [0, 1], higher is better, plus the raw values and a cleaning report.

use crate::raw::RawTask;

/// Normalised curves of one task: `configs` rows of `n_hps` hyperparameters and
/// `epochs` curve values. Curve index `e` is epoch `e + 1` (the initial point is dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct CurveSet {
    /// Number of configurations.
    pub configs: usize,
    /// Number of epochs per curve.
    pub epochs: usize,
    /// Number of hyperparameters per configuration.
    pub n_hps: usize,
    /// Row-major [configs × n_hps], every value in [0, 1].
    pub hps: Vec<f32>,
    /// Row-major [configs × epochs], every value in [0, 1], higher is better.
    pub y: Vec<f32>,
}

impl CurveSet {
    /// The curve of configuration `config`.
    pub fn curve(&self, config: usize) -> &[f32] {
        &self.y[config * self.epochs..(config + 1) * self.epochs]
    }

    /// The encoded hyperparameters of configuration `config`.
    pub fn hp(&self, config: usize) -> &[f32] {
        &self.hps[config * self.n_hps..(config + 1) * self.n_hps]
    }

    /// y of `config` at curve index `epoch`.
    pub fn y_at(&self, config: usize, epoch: usize) -> f32 {
        self.y[config * self.epochs + epoch]
    }

    /// The last value of every curve.
    pub fn final_y(&self) -> Vec<f32> {
        (0..self.configs)
            .map(|c| self.y_at(c, self.epochs - 1))
            .collect()
    }

    /// Whether two curve sets have the same shape (configs, epochs, hps).
    pub fn same_shape(&self, other: &CurveSet) -> bool {
        (self.configs, self.epochs, self.n_hps) == (other.configs, other.epochs, other.n_hps)
    }
}

/// What normalisation did to a task's validation curves.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CleaningReport {
    /// Reference loss M: the median over configurations of the finite initial losses.
    pub reference_loss: f64,
    /// Curves with at least one NaN or infinite raw value (any point, initial included).
    pub nonfinite_curves: usize,
    /// Curves without non-finite values whose loss exceeds 10 M at some point (blow-ups).
    pub diverged_curves: usize,
    /// Non-finite values among the kept points, mapped to y = 0.
    pub nonfinite_values: usize,
    /// Finite kept values above M, clipped to y = 0.
    pub clipped_values: usize,
    /// Kept values below 0 (impossible for a loss), clipped to y = 1.
    pub negative_values: usize,
    /// Hyperparameter values outside their declared bounds, clamped to [0, 1].
    pub clamped_hps: usize,
}

/// One task: normalised curves, raw values and the cleaning report.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Task name.
    pub name: String,
    /// Benchmark name.
    pub benchmark: String,
    /// Hyperparameter names, in column order.
    pub hp_names: Vec<String>,
    /// Normalised curves (validation split).
    pub curves: CurveSet,
    /// Raw values as stored (all splits, initial point included, NaN kept).
    pub raw: RawTask,
    /// What normalisation did.
    pub report: CleaningReport,
}

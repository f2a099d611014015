//! Curves as the source published them (raw metric values, raw hyperparameters),
//! before any normalisation: what import produces and Parquet stores.

use std::collections::BTreeMap;

use crate::schema::BenchmarkMeta;

/// One task's raw curves: `configs` rows, each with hyperparameters and curves.
#[derive(Debug, Clone, PartialEq)]
pub struct RawTask {
    /// Task name (unique within its benchmark).
    pub name: String,
    /// Configuration ids, one per row.
    pub config_ids: Vec<u32>,
    /// Raw hyperparameters, row-major [configs × hps], in the benchmark's column order.
    pub hps: Vec<f64>,
    /// Number of points per curve.
    pub points: usize,
    /// Raw curves per split name, each row-major [configs × points] (NaN kept as NaN).
    pub curves: BTreeMap<String, Vec<f32>>,
}

impl RawTask {
    /// Number of configurations (rows).
    pub fn configs(&self) -> usize {
        self.config_ids.len()
    }

    /// The raw curve of split `split` for row `row`, if the split exists.
    pub fn curve(&self, split: &str, row: usize) -> Option<&[f32]> {
        self.curves
            .get(split)
            .map(|c| &c[row * self.points..(row + 1) * self.points])
    }

    /// The raw hyperparameters of row `row`.
    pub fn hp_row(&self, row: usize, n_hps: usize) -> &[f64] {
        &self.hps[row * n_hps..(row + 1) * n_hps]
    }
}

/// A whole benchmark: its description and its tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct RawBenchmark {
    /// Metric, direction, search space, source.
    pub meta: BenchmarkMeta,
    /// Tasks in name order.
    pub tasks: Vec<RawTask>,
}

//! LCBench per-dataset `.npz` files: `X` (configs × 7 hyperparameters) and `Y`
//! (configs × 52 validation cross-entropies, epochs 0..51).

use std::collections::BTreeMap;
use std::path::Path;

use super::npy::read_npz_array;
use super::taskset::task_name;
use crate::error::{DataError, Result};
use crate::raw::RawTask;
use crate::schema::{BenchmarkMeta, HyperParameter, Scale};

/// LCBench's search space, in the column order of `X` (bounds of its sampler;
/// `num_layers` as observed, 1..4).
pub fn search_space() -> Vec<HyperParameter> {
    vec![
        HyperParameter::new("batch_size", 16.0, 512.0, Scale::Log).integer(),
        HyperParameter::new("learning_rate", 1e-4, 1e-1, Scale::Log),
        HyperParameter::new("momentum", 0.1, 0.99, Scale::Linear),
        HyperParameter::new("weight_decay", 1e-5, 1e-1, Scale::Linear),
        HyperParameter::new("num_layers", 1.0, 4.0, Scale::Linear).integer(),
        HyperParameter::new("max_units", 64.0, 1024.0, Scale::Log).integer(),
        HyperParameter::new("max_dropout", 0.0, 1.0, Scale::Linear),
    ]
}

/// The description written into LCBench Parquet files.
pub fn meta() -> BenchmarkMeta {
    BenchmarkMeta {
        benchmark: "lcbench".into(),
        metric: "cross_entropy".into(),
        minimize: true,
        initial_point: true,
        hyperparameters: search_space(),
        splits: vec!["valid".into()],
        source:
            "LCBench (automl, Apache-2.0) via jandylin/Latent-Kronecker-GPs data/LCBench @ fb78f31"
                .into(),
    }
}

/// Reads one LCBench dataset file; the task is named after the file stem.
pub fn read_task(path: &Path) -> Result<RawTask> {
    let x = read_npz_array(path, "X")?;
    let y = read_npz_array(path, "Y")?;
    let space = search_space();
    if x.cols != space.len() {
        return Err(DataError::malformed(
            path,
            format!("array `X` has {} columns, expected {}", x.cols, space.len()),
        ));
    }
    if x.rows != y.rows {
        return Err(DataError::malformed(
            path,
            format!("`X` has {} rows but `Y` has {}", x.rows, y.rows),
        ));
    }
    if x.rows == 0 {
        return Err(DataError::NoData {
            path: path.into(),
            what: "no configurations".into(),
        });
    }
    if y.cols < 2 {
        return Err(DataError::malformed(
            path,
            "array `Y`: a curve needs at least 2 points",
        ));
    }
    for (k, &v) in x.data.iter().enumerate() {
        let h = &space[k % x.cols];
        h.check_value(v)
            .map_err(|e| DataError::field(path, k / x.cols, &h.name, e))?;
    }
    Ok(RawTask {
        name: task_name(path),
        config_ids: (0..x.rows as u32).collect(),
        hps: x.data,
        points: y.cols,
        curves: BTreeMap::from([(
            "valid".to_string(),
            y.data.iter().map(|&v| v as f32).collect(),
        )]),
    })
}

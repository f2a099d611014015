//! TaskSet per-task JSON (as redistributed by the DPL repository): an array of
//! 1000 objects `{hp: {...}, train: {loss: [...]}, valid: {...}, test: {...}}`
//! with bare `NaN` tokens.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use super::relaxed_json::{rewrite_non_finite_tokens, value_as_f64};
use crate::error::{DataError, Result};
use crate::raw::RawTask;
use crate::schema::{BenchmarkMeta, HyperParameter, SPLITS, Scale};

/// The TaskSet-8P search space as sampled (see `../shared/data/README.md`):
/// everything log-uniform, β1 and β2 log-uniform in 1 − β.
pub fn search_space() -> Vec<HyperParameter> {
    vec![
        HyperParameter::new("learning_rate", 1e-8, 10.0, Scale::Log),
        HyperParameter::new("beta1", 0.0, 1.0 - 1e-4, Scale::Log1m),
        HyperParameter::new("beta2", 0.0, 1.0 - 1e-6, Scale::Log1m),
        HyperParameter::new("epsilon", 1e-10, 1e3, Scale::Log),
        HyperParameter::new("l1", 1e-8, 10.0, Scale::Log),
        HyperParameter::new("l2", 1e-8, 10.0, Scale::Log),
        HyperParameter::new("linear_decay", 1e-7, 1e-4, Scale::Log),
        HyperParameter::new("exponential_decay", 1e-6, 1e-3, Scale::Log),
    ]
}

/// The description written into TaskSet Parquet files.
pub fn meta(splits: Vec<String>) -> BenchmarkMeta {
    BenchmarkMeta {
        benchmark: "taskset".into(),
        metric: "loss".into(),
        minimize: true,
        initial_point: true,
        hyperparameters: search_space(),
        splits,
        source:
            "TaskSet (google-research, Apache-2.0) via releaunifreiburg/DPL data/taskset @ de44b74"
                .into(),
    }
}

/// Reads one TaskSet task file; the task is named after the file stem.
pub fn read_task(path: &Path) -> Result<RawTask> {
    let mut bytes = std::fs::read(path).map_err(|e| DataError::io(path, e))?;
    rewrite_non_finite_tokens(&mut bytes);
    let rows: Value = serde_json::from_slice(&bytes)
        .map_err(|e| DataError::malformed(path, format!("not valid JSON: {e}")))?;
    let rows = rows
        .as_array()
        .ok_or_else(|| DataError::malformed(path, "expected a JSON array of configurations"))?;
    if rows.is_empty() {
        return Err(DataError::NoData {
            path: path.into(),
            what: "the array holds no configurations".into(),
        });
    }
    let space = search_space();
    let splits = splits_of(path, &rows[0])?;
    let mut task = RawTask {
        name: task_name(path),
        config_ids: Vec::with_capacity(rows.len()),
        hps: Vec::with_capacity(rows.len() * space.len()),
        points: 0,
        curves: splits
            .iter()
            .map(|s| (s.clone(), Vec::new()))
            .collect::<BTreeMap<_, _>>(),
    };
    for (row, value) in rows.iter().enumerate() {
        read_row(path, row, value, &space, &splits, &mut task)?;
    }
    Ok(task)
}

/// The splits present in the first row, `valid` first (it is required).
pub fn splits_of(path: &Path, first: &Value) -> Result<Vec<String>> {
    if first.get("valid").is_none() {
        return Err(DataError::field(
            path,
            0,
            "valid",
            "missing (every row needs a validation curve)",
        ));
    }
    Ok(SPLITS
        .iter()
        .filter(|s| first.get(**s).is_some())
        .map(|s| s.to_string())
        .collect())
}

fn read_row(
    path: &Path,
    row: usize,
    value: &Value,
    space: &[HyperParameter],
    splits: &[String],
    task: &mut RawTask,
) -> Result<()> {
    let hp = value
        .get("hp")
        .and_then(Value::as_object)
        .ok_or_else(|| DataError::field(path, row, "hp", "missing or not an object"))?;
    for h in space {
        let v = hp
            .get(&h.name)
            .ok_or_else(|| DataError::field(path, row, &h.name, "missing hyperparameter"))?;
        let x = value_as_f64(v)
            .ok_or_else(|| DataError::field(path, row, &h.name, format!("not a number: {v}")))?;
        h.check_value(x)
            .map_err(|e| DataError::field(path, row, &h.name, e))?;
        task.hps.push(x);
    }
    if let Some(extra) = hp.keys().find(|k| !space.iter().any(|h| &h.name == *k)) {
        return Err(DataError::field(
            path,
            row,
            extra,
            "unknown hyperparameter (TaskSet-8P expected)",
        ));
    }
    for split in splits {
        let field = format!("{split}.loss");
        let curve = value
            .get(split)
            .and_then(|s| s.get("loss"))
            .and_then(Value::as_array)
            .ok_or_else(|| DataError::field(path, row, &field, "missing or not an array"))?;
        if task.points == 0 {
            if curve.len() < 2 {
                return Err(DataError::field(
                    path,
                    row,
                    &field,
                    "a curve needs at least 2 points",
                ));
            }
            task.points = curve.len();
        } else if curve.len() != task.points {
            return Err(DataError::field(
                path,
                row,
                &field,
                format!(
                    "has {} points, expected {} (as the first curve)",
                    curve.len(),
                    task.points
                ),
            ));
        }
        let out = task.curves.get_mut(split).expect("split registered");
        for (i, v) in curve.iter().enumerate() {
            let x = value_as_f64(v).ok_or_else(|| {
                DataError::field(
                    path,
                    row,
                    format!("{field}[{i}]"),
                    format!("not a number: {v}"),
                )
            })?;
            out.push(x as f32);
        }
    }
    task.config_ids.push(row as u32);
    Ok(())
}

/// A task's name: the file name without its extension.
pub fn task_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

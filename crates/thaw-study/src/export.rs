//! Exports of a study's record: every recorded epoch of every trial as CSV (one row per
//! epoch), or as thaw's Parquet format (one task, one row per trial that reported, curves
//! NaN where an epoch was not trained or failed), so that a user's own studies can train
//! a PFN with `train-pfn`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use thaw_data::{BenchmarkMeta, HyperParameter, RawBenchmark, RawTask, Scale};

use crate::error::{Result, StudyError};
use crate::record::Record;
use crate::space::{Domain, Param};
use crate::study_file::Direction;

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes every recorded epoch as CSV: study, trial, state, origin, the parameters,
/// epoch, value (empty when failed or non-finite), y (the normalised value the
/// optimiser sees at the end of the record), seconds (when it was recorded, since the
/// study was created), note.
pub fn write_csv(record: &Record, path: &Path) -> Result<()> {
    let scale = record.scale(record.epochs.iter())?;
    let names: Vec<&str> = record
        .settings
        .space
        .params
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        let mut header = vec!["study", "trial", "state", "origin"];
        header.extend(&names);
        header.extend([
            "epoch",
            record.settings.metric.as_str(),
            "y",
            "seconds",
            "note",
        ]);
        w.write_record(&header)
            .map_err(|e| StudyError::Invalid(format!("CSV: {e}")))?;
        let mut rows: Vec<_> = record.epochs.iter().collect();
        rows.sort_by_key(|e| (e.trial, e.epoch));
        for e in rows {
            let t = &record.trials[e.trial as usize];
            let mut row = vec![
                record.name.clone(),
                t.number.to_string(),
                t.state.as_str().to_string(),
                t.origin.clone(),
            ];
            row.extend(
                names
                    .iter()
                    .map(|n| t.params.get(*n).map(cell).unwrap_or_default()),
            );
            row.push(e.epoch.to_string());
            row.push(e.value.map(|v| v.to_string()).unwrap_or_default());
            row.push(if e.epoch == 0 {
                String::new()
            } else {
                scale.y(e.value).to_string()
            });
            row.push(format!("{:.3}", (e.at - record.created_at).max(0.0)));
            row.push(e.note.clone().unwrap_or_default());
            w.write_record(&row)
                .map_err(|e| StudyError::Invalid(format!("CSV: {e}")))?;
        }
        w.flush()
            .map_err(|e| StudyError::io("cannot write", path, e))?;
    }
    thaw_data::atomic::write_bytes(path, &buf)?;
    Ok(())
}

/// The Parquet column of a parameter: floats and ints as they are, a categorical as the
/// index of its choice (an integer in [0, k − 1]).
fn column(p: &Param) -> HyperParameter {
    match &p.domain {
        Domain::Float { low, high, scale } => HyperParameter::new(&p.name, *low, *high, *scale),
        Domain::Int { low, high, log } => {
            let scale = if *log { Scale::Log } else { Scale::Linear };
            HyperParameter::new(&p.name, *low as f64, *high as f64, scale).integer()
        }
        Domain::Categorical { choices } => HyperParameter::new(
            &p.name,
            0.0,
            (choices.len().max(2) - 1) as f64,
            Scale::Linear,
        )
        .integer(),
    }
}

fn raw_value(p: &Param, v: Option<&Value>) -> f64 {
    match (&p.domain, v) {
        (Domain::Categorical { choices }, Some(v)) => choices
            .iter()
            .position(|c| c == v)
            .map_or(f64::NAN, |i| i as f64),
        (_, Some(v)) => v.as_f64().unwrap_or(f64::NAN),
        (_, None) => f64::NAN,
    }
}

/// Writes the study in thaw's Parquet format: one task named after the study, split
/// `valid` holding the raw metric. Point 0 is the value before training when every
/// trial reported one (epoch 0), else curves start at epoch 1.
pub fn write_parquet(record: &Record, path: &Path) -> Result<()> {
    let space = &record.settings.space;
    let max = record.settings.max_epochs;
    let mut by_trial: BTreeMap<u64, BTreeMap<usize, Option<f64>>> = BTreeMap::new();
    for e in &record.epochs {
        by_trial
            .entry(e.trial)
            .or_default()
            .insert(e.epoch, e.value);
    }
    if by_trial.is_empty() {
        return Err(StudyError::Invalid(format!(
            "study `{}` has no recorded epoch to export",
            record.name
        )));
    }
    let initial = by_trial.values().all(|m| m.contains_key(&0));
    let points = max + usize::from(initial);
    let first = usize::from(!initial);
    let mut config_ids = Vec::new();
    let mut hps = Vec::new();
    let mut valid = Vec::new();
    for (&trial, epochs) in &by_trial {
        let t = &record.trials[trial as usize];
        config_ids
            .push(u32::try_from(trial).map_err(|_| StudyError::Invalid("too many trials".into()))?);
        hps.extend(
            space
                .params
                .iter()
                .map(|p| raw_value(p, t.params.get(&p.name))),
        );
        valid.extend((first..first + points).map(|e| {
            epochs
                .get(&e)
                .copied()
                .flatten()
                .map_or(f32::NAN, |v| v as f32)
        }));
    }
    let bench = RawBenchmark {
        meta: BenchmarkMeta {
            benchmark: "thaw-study".into(),
            metric: record.settings.metric.clone(),
            minimize: record.settings.direction == Direction::Minimize,
            initial_point: initial,
            hyperparameters: space.params.iter().map(column).collect(),
            splits: vec!["valid".into()],
            source: format!("thaw study `{}`", record.name),
        },
        tasks: vec![RawTask {
            name: record.name.clone(),
            config_ids,
            hps,
            points,
            curves: BTreeMap::from([("valid".to_string(), valid)]),
        }],
    };
    thaw_data::write_benchmark(&bench, path)?;
    Ok(())
}

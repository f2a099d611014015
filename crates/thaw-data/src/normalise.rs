//! ifBO's normalisation of loss curves (reference §4): per task, M = median of the
//! initial validation losses; losses clipped to [0, M], divided by M, the initial
//! point dropped, y = 1 − loss / M. Non-finite values become y = 0 (the worst).

use crate::error::{DataError, Result};
use crate::raw::RawTask;
use crate::schema::BenchmarkMeta;
use crate::task::{CleaningReport, CurveSet, Task};

/// A curve whose finite loss exceeds this multiple of M is counted as diverged.
pub const DIVERGED_FACTOR: f64 = 10.0;

/// Normalises one raw task of the benchmark described by `meta`.
pub fn normalise(meta: &BenchmarkMeta, raw: RawTask) -> Result<Task> {
    let task_err = |detail: String| DataError::Task {
        task: raw.name.clone(),
        detail,
    };
    if !meta.minimize {
        return Err(task_err(format!(
            "metric `{}` is maximised; thaw's normalisation handles minimised losses only",
            meta.metric
        )));
    }
    let valid = raw
        .curves
        .get("valid")
        .ok_or_else(|| task_err("no `valid` curves".into()))?;
    let points = raw.points;
    let skip = usize::from(meta.initial_point);
    if points <= skip {
        return Err(task_err(format!(
            "curves of {points} points leave no epoch after the initial point"
        )));
    }
    let configs = raw.configs();
    let mut initial: Vec<f64> = (0..configs)
        .map(|c| valid[c * points] as f64)
        .filter(|v| v.is_finite())
        .collect();
    let m =
        median(&mut initial).ok_or_else(|| task_err("no finite initial validation loss".into()))?;
    if m <= 0.0 {
        return Err(task_err(format!(
            "median initial loss is {m}; it must be positive to normalise"
        )));
    }
    let epochs = points - skip;
    let mut report = CleaningReport {
        reference_loss: m,
        ..Default::default()
    };
    let mut y = Vec::with_capacity(configs * epochs);
    for c in 0..configs {
        let curve = &valid[c * points..(c + 1) * points];
        let nonfinite = curve.iter().any(|v| !v.is_finite());
        report.nonfinite_curves += usize::from(nonfinite);
        report.diverged_curves +=
            usize::from(!nonfinite && curve.iter().any(|&v| v as f64 > DIVERGED_FACTOR * m));
        for &v in &curve[skip..] {
            let v = v as f64;
            let loss = if !v.is_finite() {
                report.nonfinite_values += 1;
                m
            } else if v > m {
                report.clipped_values += 1;
                m
            } else if v < 0.0 {
                report.negative_values += 1;
                0.0
            } else {
                v
            };
            y.push((1.0 - loss / m) as f32);
        }
    }
    let n_hps = meta.hyperparameters.len();
    let mut hps = Vec::with_capacity(configs * n_hps);
    for c in 0..configs {
        for (h, &x) in meta.hyperparameters.iter().zip(raw.hp_row(c, n_hps)) {
            let u = h.encode(x);
            if !(0.0..=1.0).contains(&u) {
                report.clamped_hps += 1;
            }
            hps.push(u.clamp(0.0, 1.0) as f32);
        }
    }
    Ok(Task {
        name: raw.name.clone(),
        benchmark: meta.benchmark.clone(),
        hp_names: meta
            .hyperparameters
            .iter()
            .map(|h| h.name.clone())
            .collect(),
        curves: CurveSet {
            configs,
            epochs,
            n_hps,
            hps,
            y,
        },
        raw,
        report,
    })
}

/// Median of finite values (sorted in place); `None` when empty.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        0.5 * (values[n / 2 - 1] + values[n / 2])
    })
}

//! Per-task summaries of a loaded benchmark: what `thaw data summary` prints.

use crate::normalise::median;
use crate::task::Task;

/// One line of the summary table.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskSummary {
    /// Task name.
    pub task: String,
    /// Number of configurations.
    pub configs: usize,
    /// Number of epochs after normalisation.
    pub epochs: usize,
    /// Curves with NaN or infinite raw values.
    pub nan_curves: usize,
    /// Finite curves that blew up (loss above 10 × the reference loss).
    pub diverged_curves: usize,
    /// Share of kept values clipped or cleaned to y = 0.
    pub worst_share: f64,
    /// Best final y.
    pub best_final: f64,
    /// Median final y.
    pub median_final: f64,
    /// The reference loss M of the normalisation.
    pub reference_loss: f64,
}

impl TaskSummary {
    /// Summarises one task.
    pub fn of(task: &Task) -> Self {
        let c = &task.curves;
        let r = &task.report;
        let mut finals: Vec<f64> = c.final_y().iter().map(|&v| v as f64).collect();
        let best = finals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Self {
            task: task.name.clone(),
            configs: c.configs,
            epochs: c.epochs,
            nan_curves: r.nonfinite_curves,
            diverged_curves: r.diverged_curves,
            worst_share: (r.nonfinite_values + r.clipped_values) as f64 / c.y.len().max(1) as f64,
            best_final: best,
            median_final: median(&mut finals).unwrap_or(f64::NAN),
            reference_loss: r.reference_loss,
        }
    }
}

/// A fixed-width text table of summaries, one line per task.
pub fn format_table(rows: &[TaskSummary]) -> String {
    let width = rows.iter().map(|r| r.task.len()).max().unwrap_or(4).max(4);
    let mut out = format!(
        "{:<width$}  {:>7}  {:>6}  {:>9}  {:>8}  {:>7}  {:>10}  {:>10}  {:>9}\n",
        "task",
        "configs",
        "epochs",
        "NaN curv.",
        "diverged",
        "y=0 %",
        "best final",
        "med. final",
        "M (loss)"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<width$}  {:>7}  {:>6}  {:>9}  {:>8}  {:>7.2}  {:>10.4}  {:>10.4}  {:>9.4}\n",
            r.task,
            r.configs,
            r.epochs,
            r.nan_curves,
            r.diverged_curves,
            100.0 * r.worst_share,
            r.best_final,
            r.median_final,
            r.reference_loss
        ));
    }
    out
}

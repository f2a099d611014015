//! What an epoch of the example's training scores, and its report line.

/// The metrics a report line carries; `THAW_METRIC` picks which comes first.
pub const METRICS: [&str; 3] = ["val_loss", "train_loss", "val_error"];

/// Losses after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Scores {
    /// Mean cross-entropy on the validation rows.
    pub val_loss: f32,
    /// Mean cross-entropy on all training rows (evaluated after the epoch).
    pub train_loss: f32,
    /// Share of validation rows misclassified.
    pub val_error: f32,
}

impl Scores {
    /// The report line of `epoch`: `thaw: epoch=<e> <metric>=<v> <others>…`.
    pub fn line(&self, epoch: u64, metric: &str) -> String {
        let value = |name: &str| match name {
            "val_loss" => self.val_loss,
            "train_loss" => self.train_loss,
            _ => self.val_error,
        };
        let mut line = format!("thaw: epoch={epoch} {metric}={}", value(metric));
        for name in METRICS.iter().filter(|n| **n != metric) {
            line.push_str(&format!(" {name}={}", value(name)));
        }
        line
    }
}

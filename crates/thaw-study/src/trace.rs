//! The incumbent's trace: the best value found so far after each recorded epoch, against
//! epochs spent and seconds since the study was created (for regret curves).

use crate::record::Record;

/// The incumbent after one recorded epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TracePoint {
    /// Epochs spent so far (epochs ≥ 1 recorded, failed ones included).
    pub epochs: usize,
    /// Seconds since the study was created.
    pub seconds: f64,
    /// The best finite value of the metric so far (None before the first).
    pub best: Option<f64>,
}

/// One point per recorded epoch ≥ 1, in recording order. Epoch 0 (the value before
/// training) is not a result of the search and is left out, and so are PBT's inherited
/// epochs (copies of results already in the trace).
pub fn incumbent_trace(record: &Record) -> Vec<TracePoint> {
    let direction = record.settings.direction;
    let mut best: Option<f64> = None;
    let mut out = Vec::new();
    for e in record
        .epochs
        .iter()
        .filter(|e| e.epoch >= 1 && !e.inherited())
    {
        if let Some(v) = e.value.filter(|v| v.is_finite())
            && best.is_none_or(|b| direction.better(v, b))
        {
            best = Some(v);
        }
        out.push(TracePoint {
            epochs: out.len() + 1,
            seconds: (e.at - record.created_at).max(0.0),
            best,
        });
    }
    out
}

/// The best value of a trace at `epochs` spent (the last point at or before it).
pub fn best_at_epochs(trace: &[TracePoint], epochs: usize) -> Option<f64> {
    trace
        .iter()
        .take_while(|p| p.epochs <= epochs)
        .last()
        .and_then(|p| p.best)
}

/// The best value of a trace `seconds` after the study was created.
pub fn best_at_seconds(trace: &[TracePoint], seconds: f64) -> Option<f64> {
    trace
        .iter()
        .take_while(|p| p.seconds <= seconds)
        .last()
        .and_then(|p| p.best)
}

//! From a program's metric to the y ∈ [0, 1] (higher is better) that optimisers and
//! surrogates see.
//!
//! - **bounds [lo, hi] given**: linear, y = (v − lo) / (hi − lo) when maximising,
//!   (hi − v) / (hi − lo) when minimising, clamped to [0, 1];
//! - **maximised, no bounds**: an accuracy-like metric, used as it is (clamped to [0, 1]);
//! - **minimised, no bounds**: Adam-PFN's rule (reference §4): M = the median initial
//!   loss over the trials seen so far (a trial's epoch-0 report where it gave one, else
//!   its epoch-1 value), y = 1 − min(max(v, 0), M) / M. M is recomputed from the
//!   recorded values at every decision, so it is a function of the record, and replays
//!   see the same y;
//! - a non-finite value, or an epoch that failed, is y = 0: the worst, never the best.

use crate::error::{Result, StudyError};
use crate::study_file::Direction;

/// The normalisation rule of a study.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normaliser {
    /// Minimise or maximise.
    pub direction: Direction,
    /// The metric's range, if the study file gives it.
    pub bounds: Option<(f64, f64)>,
}

/// A normalisation ready to apply: the rule plus M where the rule needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    rule: Normaliser,
    reference: Option<f64>,
}

impl Normaliser {
    /// Fixes the scale given every trial's initial value (non-finite ones are skipped).
    /// Minimised metrics without bounds need a positive median initial value.
    pub fn scale(&self, initial: impl IntoIterator<Item = f64>) -> Result<Scale> {
        let needs_reference = self.bounds.is_none() && self.direction == Direction::Minimize;
        let mut reference = None;
        if needs_reference {
            let mut v: Vec<f64> = initial.into_iter().filter(|x| x.is_finite()).collect();
            if !v.is_empty() {
                v.sort_by(f64::total_cmp);
                let n = v.len();
                let m = if n % 2 == 1 {
                    v[n / 2]
                } else {
                    0.5 * (v[n / 2 - 1] + v[n / 2])
                };
                if !(m > 0.0) {
                    return Err(StudyError::Invalid(format!(
                        "the median initial value of the metric is {m}; normalising a minimised metric without bounds needs positive losses: set objective.bounds"
                    )));
                }
                reference = Some(m);
            }
        }
        Ok(Scale {
            rule: *self,
            reference,
        })
    }
}

impl Scale {
    /// y of one recorded value (None: the epoch failed).
    pub fn y(&self, value: Option<f64>) -> f32 {
        let Some(v) = value.filter(|v| v.is_finite()) else {
            return 0.0;
        };
        let y = match (self.rule.bounds, self.rule.direction) {
            (Some((lo, hi)), Direction::Maximize) => (v - lo) / (hi - lo),
            (Some((lo, hi)), Direction::Minimize) => (hi - v) / (hi - lo),
            (None, Direction::Maximize) => v,
            (None, Direction::Minimize) => match self.reference {
                Some(m) => 1.0 - v.clamp(0.0, m) / m,
                // No trial has reported yet: nothing is normalised with this scale.
                None => 0.0,
            },
        };
        (y as f32).clamp(0.0, 1.0)
    }

    /// M, for minimised metrics without bounds once a trial has reported.
    pub fn reference(&self) -> Option<f64> {
        self.reference
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_rules_and_the_worst_value() {
        let min = Normaliser {
            direction: Direction::Minimize,
            bounds: None,
        };
        let s = min.scale([2.0, f64::NAN, 4.0, 3.0]).unwrap();
        assert_eq!(s.reference(), Some(3.0));
        assert_eq!(s.y(Some(1.5)), 0.5);
        assert_eq!(s.y(Some(9.0)), 0.0, "above M is clipped to the worst");
        assert_eq!(s.y(Some(-1.0)), 1.0);
        assert_eq!(s.y(None), 0.0);
        assert_eq!(s.y(Some(f64::NAN)), 0.0);
        assert!(
            min.scale([-1.0, 0.0])
                .unwrap_err()
                .to_string()
                .contains("bounds")
        );

        let bounded = Normaliser {
            direction: Direction::Minimize,
            bounds: Some((1.0, 3.0)),
        };
        let s = bounded.scale([]).unwrap();
        assert_eq!(
            (s.y(Some(1.5)), s.y(Some(0.0)), s.y(Some(f64::INFINITY))),
            (0.75, 1.0, 0.0)
        );

        let acc = Normaliser {
            direction: Direction::Maximize,
            bounds: None,
        };
        let s = acc.scale([]).unwrap();
        assert_eq!((s.y(Some(0.8)), s.y(Some(1.2)), s.y(None)), (0.8, 1.0, 0.0));
        let reward = Normaliser {
            direction: Direction::Maximize,
            bounds: Some((0.0, 500.0)),
        };
        assert_eq!(reward.scale([]).unwrap().y(Some(250.0)), 0.5);
    }
}

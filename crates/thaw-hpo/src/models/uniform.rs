//! The uniform baseline: the same density everywhere on [0, 1].

use crate::curve_model::CurveModel;
use crate::error::Result;
use crate::history::{At, History};
use crate::predictive::Predictive;

/// Predicts U(0, 1) at every query: log-density 0, mean 0.5.
#[derive(Debug, Clone, Copy, Default)]
pub struct UniformModel;

impl CurveModel for UniformModel {
    fn name(&self) -> String {
        "Uniform".into()
    }

    fn fit(&mut self, _history: &History) -> Result<()> {
        Ok(())
    }

    fn predict(&self, history: &History, queries: &[At]) -> Result<Vec<Predictive>> {
        history.check_queries(queries)?;
        Ok(vec![Predictive::Uniform; queries.len()])
    }
}

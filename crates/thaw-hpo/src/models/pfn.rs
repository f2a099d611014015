//! A PFN checkpoint as a curve model: the history is its context, fitting is a no-op.

use thaw_pfn::{Observation, Query, Surrogate};

use crate::curve_model::CurveModel;
use crate::error::Result;
use crate::history::{At, History};
use crate::predictive::Predictive;

/// Wraps a loaded [`Surrogate`]. Every observed point becomes a context token
/// (hyperparameters, t = epoch / max_epochs, y); queries are asked in one call.
pub struct PfnModel {
    name: String,
    surrogate: Surrogate,
}

impl PfnModel {
    /// A model called `name` (shown in tables) around `surrogate`.
    pub fn new(name: impl Into<String>, surrogate: Surrogate) -> Self {
        Self {
            name: name.into(),
            surrogate,
        }
    }

    /// The wrapped surrogate.
    pub fn surrogate(&self) -> &Surrogate {
        &self.surrogate
    }
}

impl CurveModel for PfnModel {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn fit(&mut self, _history: &History) -> Result<()> {
        Ok(())
    }

    fn predict(&self, history: &History, queries: &[At]) -> Result<Vec<Predictive>> {
        history.check_queries(queries)?;
        let context: Vec<Observation> = history
            .points()
            .map(|(c, e, y)| Observation {
                hps: history.config(c).to_vec(),
                t: history.progress(e),
                y,
            })
            .collect();
        let asks: Vec<Query> = queries
            .iter()
            .map(|q| Query {
                hps: history.config(q.config).to_vec(),
                t: history.progress(q.epoch),
            })
            .collect();
        let out = self.surrogate.predict(&context, &asks)?;
        Ok(out.into_iter().map(Predictive::Bar).collect())
    }
}

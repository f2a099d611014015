//! The optimisers: one file each.

pub mod asha;
pub mod bohb;
pub mod cmaes;
pub mod continuous;
pub mod gp_bo;
pub mod grid;
pub mod mfpi;
pub mod model_based;
pub mod pbt;
pub mod pool_rule;
pub mod random_search;
pub mod rl_hpo;
pub mod schedule;
pub mod successive_halving;
#[cfg(test)]
mod test_pools;
pub mod tpe;

pub use asha::Asha;
pub use model_based::{Acquisition, ModelBased};
pub use random_search::RandomSearch;
pub use successive_halving::SuccessiveHalving;

use rand::Rng;
use rand::RngExt;

use crate::history::History;

/// A configuration never trained, uniformly at random; if all have been, any open one
/// (not fully trained, not held); None when no configuration is open. The generator is
/// used only when a configuration is drawn: the [first](History::first_due)
/// configuration, while due, is returned without a draw.
pub fn random_fresh<R: Rng + ?Sized>(history: &History, rng: &mut R) -> Option<usize> {
    if let Some(c) = history.first_due() {
        return Some(c);
    }
    let fresh: Vec<usize> = (0..history.n_configs())
        .filter(|&c| history.curve(c).is_empty() && history.is_open(c))
        .collect();
    if !fresh.is_empty() {
        return Some(fresh[rng.random_range(0..fresh.len())]);
    }
    let open: Vec<usize> = (0..history.n_configs())
        .filter(|&c| history.is_open(c))
        .collect();
    (!open.is_empty()).then(|| open[rng.random_range(0..open.len())])
}

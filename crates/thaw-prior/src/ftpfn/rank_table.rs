//! The rank-to-uniform transform of reference §2 step 3: a raw MLP output becomes a
//! uniform quantile by its rank among a large sorted sample of such outputs.
//!
//! The `ifbo` package ships its table (230,000 outputs of 10,000 random MLPs). We
//! build ours at first use, deterministically (fixed seed), in parallel:
//! [`REFERENCE_MLPS`] networks (each with d ~ U{1..10}) evaluated at
//! [`CONFIGS_PER_MLP`] random configurations each, all 23 outputs pooled — the same
//! 230,000 values of the same marginal distribution for a fifth of the weight draws
//! (drawing weights dominates the cost). About 1 s on 2 cores, once per process.

use std::sync::OnceLock;

use rand::RngExt;
use rayon::prelude::*;

use super::mlp::{OUTPUTS, RandomMlp};
use crate::batch::MAX_HPS;
use crate::seed::fast_rng_for;

/// Networks drawn for the reference table.
pub const REFERENCE_MLPS: usize = 2_000;
/// Random configurations evaluated per network.
pub const CONFIGS_PER_MLP: usize = 5;
/// Seed of the reference table (part of the prior's definition: changing it changes
/// every batch).
pub const REFERENCE_SEED: u64 = 0x1fb0_2024;

/// A sorted sample of raw MLP outputs.
#[derive(Debug, Clone)]
pub struct RankTable {
    sorted: Vec<f32>,
}

impl RankTable {
    /// Draws `mlps` random networks (seeded by `seed`) and pools the outputs at
    /// `configs_per_mlp` random configurations each.
    pub fn generate(mlps: usize, configs_per_mlp: usize, seed: u64) -> Self {
        let mut sorted: Vec<f32> = (0..mlps as u64)
            .into_par_iter()
            .flat_map_iter(|i| {
                let mut rng = fast_rng_for(seed, &[i]);
                let d = rng.random_range(1..=MAX_HPS);
                let mlp = RandomMlp::sample(d, OUTPUTS, &mut rng);
                let configs: Vec<f32> = (0..configs_per_mlp * d).map(|_| rng.random()).collect();
                mlp.forward(&configs, &mut rng)
            })
            .collect();
        sorted.retain(|v| v.is_finite());
        sorted.sort_by(f32::total_cmp);
        Self { sorted }
    }

    /// The table every [`super::FtPfnPrior`] uses (built on first call).
    pub fn reference() -> &'static RankTable {
        static TABLE: OnceLock<RankTable> = OnceLock::new();
        TABLE.get_or_init(|| Self::generate(REFERENCE_MLPS, CONFIGS_PER_MLP, REFERENCE_SEED))
    }

    /// Number of values in the table.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The sorted values.
    pub fn values(&self) -> &[f32] {
        &self.sorted
    }

    /// The quantile of `x`: (number of table values below x) / len, squeezed into
    /// [ε, 1 − ε] with ε = 0.5 / len so that every inverse CDF stays finite.
    pub fn uniform(&self, x: f32) -> f64 {
        let n = self.sorted.len() as f64;
        let rank = self.sorted.partition_point(|&v| v < x) as f64;
        let eps = 0.5 / n;
        eps + (1.0 - 2.0 * eps) * rank / n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_outputs_map_to_uniform_quantiles() {
        // Outputs of networks the table never saw (other seed) must come out uniform:
        // Kolmogorov–Smirnov distance of 2,300 quantiles well under the 1% critical
        // value for that many *independent* points (1.63/√n ≈ 0.034; outputs of one
        // network are correlated, hence the margin of a smaller table and a looser bound).
        let table = RankTable::generate(400, 5, 7);
        let fresh = RankTable::generate(100, 1, 8);
        let mut u: Vec<f64> = fresh.values().iter().map(|&x| table.uniform(x)).collect();
        u.sort_by(f64::total_cmp);
        let n = u.len() as f64;
        let ks = u
            .iter()
            .enumerate()
            .map(|(i, &v)| (v - i as f64 / n).abs().max((v - (i + 1) as f64 / n).abs()))
            .fold(0.0, f64::max);
        assert!(ks < 0.06, "KS distance {ks}");
    }

    #[test]
    fn quantiles_are_squeezed_and_monotone() {
        let table = RankTable::generate(50, 2, 1);
        let eps = 0.5 / table.len() as f64;
        assert_eq!(table.uniform(f32::NEG_INFINITY), eps);
        assert!((table.uniform(f32::INFINITY) - (1.0 - eps)).abs() < 1e-15);
        let mut last = 0.0;
        for x in [-3.0, -1.0, 0.0, 0.5, 2.0] {
            let u = table.uniform(x);
            assert!(u >= last);
            last = u;
        }
        assert!(table.values().windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(table.len(), 50 * 2 * OUTPUTS);
    }
}

//! Two priors mixed batch by batch: each training step draws its batch from the second
//! prior with a fixed probability. Adam-PFN's real curves come from a handful of tasks
//! that share one pool of configurations, so a model trained on them alone can learn
//! "these hyperparameters end here" instead of following a curve's own points; batches
//! of the synthetic FT-PFN prior, whose tasks never repeat, reward the second skill.

use rand::RngExt;

use crate::Prior;
use crate::batch::Batch;
use crate::error::{PriorError, Result};
use crate::seed::rng_for;

/// Seed stream of the per-step choice (apart from every stream the priors use).
const CHOICE_STREAM: u64 = 0x4D49_5854; // "MIXT"

/// `first` with probability 1 − `share`, `second` with probability `share`, per step.
pub struct Mixture<A, B> {
    first: A,
    second: B,
    share: f64,
    stream: u64,
}

impl<A: Prior, B: Prior> Mixture<A, B> {
    /// Mixes `second` into `first` at `share` ∈ [0, 1] of the steps.
    pub fn new(first: A, second: B, share: f64) -> Result<Self> {
        Self::with_stream(first, second, share, CHOICE_STREAM)
    }

    /// As [`Mixture::new`], with the per-step choice drawn from seed stream `stream`:
    /// mixtures nested in one run need streams of their own, or their choices coincide.
    pub fn with_stream(first: A, second: B, share: f64, stream: u64) -> Result<Self> {
        if !(0.0..=1.0).contains(&share) {
            return Err(PriorError::InvalidArgument(format!(
                "mixture share {share} is not in [0, 1]"
            )));
        }
        Ok(Self {
            first,
            second,
            share,
            stream,
        })
    }

    /// Whether step `step` of a run seeded with `seed` draws from the second prior.
    pub fn uses_second(&self, seed: u64, step: u64) -> bool {
        rng_for(seed, &[self.stream, step]).random::<f64>() < self.share
    }
}

impl<A: Prior, B: Prior> Prior for Mixture<A, B> {
    fn sample(&self, seed: u64, step: u64, batch: usize, seq_len: usize) -> Result<Batch> {
        if self.uses_second(seed, step) {
            self.second.sample(seed, step, batch, seq_len)
        } else {
            self.first.sample(seed, step, batch, seq_len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A prior whose every target is one constant.
    struct Constant(f32);

    impl Prior for Constant {
        fn sample(&self, _: u64, _: u64, batch: usize, seq_len: usize) -> Result<Batch> {
            let n = batch * seq_len;
            Ok(Batch {
                batch,
                seq_len,
                n_ctx: 1,
                ids: vec![0; n],
                x: vec![0.0; n * crate::FEATURES],
                y: vec![self.0; n],
            })
        }
    }

    #[test]
    fn draws_each_prior_at_its_share_deterministically() {
        let m = Mixture::new(Constant(0.0), Constant(1.0), 0.3).unwrap();
        let second: Vec<bool> = (0..2000)
            .map(|s| m.sample(7, s, 1, 2).unwrap().y[0] == 1.0)
            .collect();
        let share = second.iter().filter(|&&b| b).count() as f64 / 2000.0;
        assert!((share - 0.3).abs() < 0.04, "share {share}");
        let again: Vec<bool> = (0..2000).map(|s| m.uses_second(7, s)).collect();
        assert_eq!(second, again);
        let other_seed: Vec<bool> = (0..2000).map(|s| m.uses_second(8, s)).collect();
        assert_ne!(second, other_seed);
        let never = Mixture::new(Constant(0.0), Constant(1.0), 0.0).unwrap();
        assert!((0..500).all(|s| !never.uses_second(7, s)));
        assert!(Mixture::new(Constant(0.0), Constant(1.0), 1.5).is_err());
        assert!(Mixture::new(Constant(0.0), Constant(1.0), f64::NAN).is_err());
    }

    #[test]
    fn nested_mixtures_on_other_streams_choose_independently() {
        let inner = Mixture::with_stream(Constant(0.0), Constant(1.0), 0.5, 99).unwrap();
        let outer: Mixture<Box<dyn Prior>, Constant> =
            Mixture::new(Box::new(inner) as Box<dyn Prior>, Constant(2.0), 0.5).unwrap();
        let mut seen = [0usize; 3];
        for s in 0..4000 {
            seen[outer.sample(3, s, 1, 1).unwrap().y[0] as usize] += 1;
        }
        // Independent choices: 1/4, 1/4, 1/2 (on one stream the inner prior's second
        // part could never be drawn: its choice would repeat the outer one).
        let share = |k: usize| seen[k] as f64 / 4000.0;
        assert!((share(0) - 0.25).abs() < 0.04, "{seen:?}");
        assert!((share(1) - 0.25).abs() < 0.04, "{seen:?}");
        assert!((share(2) - 0.5).abs() < 0.04, "{seen:?}");
    }
}

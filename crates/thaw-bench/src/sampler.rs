//! The context sampler of the learning-curve benchmark (reference §5 leaves it open).
//!
//! Configurations are visited in a random order; each gets a prefix length drawn from
//! U{1 .. epochs − 1} until the lengths add up to the context size, the last one cut
//! so that the total is exact. The final epoch is therefore never observed, every
//! configuration can be queried at it, and most configurations stay unobserved (with
//! 1000 configurations of 50 epochs, a context of 400 covers about 17 of them, 1600
//! about 67). Independent of the PFN training layout, so no model is favoured by
//! having been trained on this exact context distribution.

use rand::Rng;
use rand::RngExt;
use rand::seq::SliceRandom;

use crate::error::{BenchError, Result};

/// Prefix length of every configuration (0 = unobserved), summing to `total`.
pub fn sample_prefixes<R: Rng + ?Sized>(
    configs: usize,
    epochs: usize,
    total: usize,
    rng: &mut R,
) -> Result<Vec<usize>> {
    if epochs < 2 {
        return Err(BenchError::InvalidArgument(format!(
            "curves of {epochs} epoch(s): need at least 2 (the last one is predicted)"
        )));
    }
    let capacity = configs * (epochs - 1);
    if total == 0 || total > capacity {
        return Err(BenchError::InvalidArgument(format!(
            "context size {total} must lie in 1..={capacity} ({configs} configurations × {} observable epochs)",
            epochs - 1
        )));
    }
    let mut order: Vec<usize> = (0..configs).collect();
    order.shuffle(rng);
    let mut prefix = vec![0; configs];
    let mut left = total;
    for &c in &order {
        if left == 0 {
            break;
        }
        let k = rng.random_range(1..epochs).min(left);
        prefix[c] = k;
        left -= k;
    }
    // Only when nearly every point is asked for: lengthen prefixes in the same order.
    for &c in &order {
        let more = (epochs - 1 - prefix[c]).min(left);
        prefix[c] += more;
        left -= more;
    }
    Ok(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn context_sizes_are_exact_and_the_final_epoch_is_never_seen() {
        let mut rng = StdRng::seed_from_u64(1);
        for total in [1, 17, 400, 1000, 1600, 49 * 40 - 3, 49 * 40] {
            for _ in 0..20 {
                let p = sample_prefixes(40, 50, total.min(49 * 40), &mut rng).unwrap();
                assert_eq!(p.iter().sum::<usize>(), total.min(49 * 40));
                assert!(p.iter().all(|&k| k < 50));
            }
        }
        let p = sample_prefixes(1000, 50, 400, &mut rng).unwrap();
        let observed = p.iter().filter(|&&k| k > 0).count();
        assert!(
            (8..40).contains(&observed),
            "{observed} configurations observed"
        );
    }

    #[test]
    fn impossible_sizes_are_errors() {
        let mut rng = StdRng::seed_from_u64(1);
        assert!(sample_prefixes(10, 50, 0, &mut rng).is_err());
        assert!(sample_prefixes(10, 50, 491, &mut rng).is_err());
        assert!(sample_prefixes(10, 1, 5, &mut rng).is_err());
    }

    #[test]
    fn same_seed_same_draw() {
        let a = sample_prefixes(100, 50, 300, &mut StdRng::seed_from_u64(9)).unwrap();
        let b = sample_prefixes(100, 50, 300, &mut StdRng::seed_from_u64(9)).unwrap();
        assert_eq!(a, b);
    }
}

//! Which (curve, epoch) points a sequence shows, and which of them are context
//! (reference §2 step 5, applied to real curves with a fixed number of epochs).
//!
//! For a sequence of `N` tokens over `C` curves of `L` epochs:
//! 1. curve weights `q_c ~ Gamma(a, scale a) + 1e-9` with `a = 10^U(−4, −1)`: a small `a`
//!    concentrates the sequence on a few long curves, a large one spreads it over many
//!    short ones;
//! 2. `N` of the `C·L` (curve, slot) pairs are drawn without replacement, each slot of
//!    curve c with weight `q_c`; the draw order is the sequence order;
//! 3. the first `n` positions are context: curve c with `k_c` of them shows its prefix,
//!    epochs `1..=k_c`, in order;
//! 4. the other positions of curve c are queries at later epochs, drawn without
//!    replacement from `k_c+1..=L` (there are always enough: a curve has only `L` slots).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rand::Rng;
use rand::RngExt;
use rand::seq::SliceRandom;
use rand_distr::{Distribution, Exp1, Gamma};

use crate::error::{PriorError, Result};

/// How the context size n of a batch is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextSize {
    /// n ~ U{1 .. N−1} (reference §1: U(0, N−1); at least one context token so that
    /// attention has something to attend to).
    Uniform,
    /// Always this many context tokens (evaluation).
    Fixed(usize),
}

impl ContextSize {
    /// Draws n for a batch of sequences of `seq_len` tokens.
    pub fn draw<R: Rng + ?Sized>(self, seq_len: usize, rng: &mut R) -> Result<usize> {
        if seq_len < 2 {
            return Err(PriorError::InvalidArgument(format!(
                "sequence length {seq_len}: need at least 2 tokens (context + query)"
            )));
        }
        match self {
            ContextSize::Uniform => Ok(rng.random_range(1..seq_len)),
            ContextSize::Fixed(n) if n >= 1 && n < seq_len => Ok(n),
            ContextSize::Fixed(n) => Err(PriorError::InvalidArgument(format!(
                "context size {n} must lie in 1..{seq_len}"
            ))),
        }
    }
}

/// The points of one sequence, in sequence order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotLayout {
    /// Curve index (into the caller's curve list) of each position.
    pub curve: Vec<usize>,
    /// Epoch (1-based) of each position.
    pub epoch: Vec<usize>,
    /// Context points at the start (the rest are queries).
    pub n_ctx: usize,
}

/// Heap entry: the next key of one curve's exponential race.
#[derive(PartialEq)]
struct Next {
    key: f64,
    curve: usize,
}

impl Eq for Next {}
impl PartialOrd for Next {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Next {
    // Reversed: BinaryHeap is a max-heap, we want the smallest key first.
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .key
            .total_cmp(&self.key)
            .then(other.curve.cmp(&self.curve))
    }
}

/// Lays out `seq_len` points over `curves` curves of `epochs` epochs with `n_ctx` context
/// points (see the module documentation).
pub fn layout_slots<R: Rng + ?Sized>(
    curves: usize,
    epochs: usize,
    seq_len: usize,
    n_ctx: usize,
    rng: &mut R,
) -> Result<SlotLayout> {
    if curves == 0 || epochs == 0 {
        return Err(PriorError::InvalidArgument(
            "no curves to sample from".into(),
        ));
    }
    if seq_len > curves * epochs {
        return Err(PriorError::InvalidArgument(format!(
            "sequence length {seq_len} exceeds the {} points of {curves} curves × {epochs} epochs",
            curves * epochs
        )));
    }
    if n_ctx > seq_len {
        return Err(PriorError::InvalidArgument(format!(
            "context {n_ctx} > sequence {seq_len}"
        )));
    }
    let a = 10f64.powf(rng.random_range(-4.0..-1.0));
    let gamma = Gamma::new(a, a).map_err(|e| PriorError::InvalidArgument(e.to_string()))?;
    let weights: Vec<f64> = (0..curves).map(|_| gamma.sample(rng) + 1e-9).collect();

    // Weighted sampling without replacement as an exponential race: slot keys E/q_c, the
    // smallest N in order. A curve's L keys are generated lazily as order statistics
    // (spacings E/((L−j)·q_c)), so the cost is O(C + N log C), not O(C·L).
    let mut heap: BinaryHeap<Next> = (0..curves)
        .map(|c| Next {
            key: exp1(rng) / (epochs as f64 * weights[c]),
            curve: c,
        })
        .collect();
    let mut taken = vec![0usize; curves];
    let mut order = Vec::with_capacity(seq_len);
    while order.len() < seq_len {
        let Some(Next { key, curve }) = heap.pop() else {
            break;
        };
        order.push(curve);
        taken[curve] += 1;
        let left = epochs - taken[curve];
        if left > 0 {
            heap.push(Next {
                key: key + exp1(rng) / (left as f64 * weights[curve]),
                curve,
            });
        }
    }

    // Context: the prefix of each curve, in order of appearance.
    let mut k = vec![0usize; curves];
    let mut epoch = Vec::with_capacity(seq_len);
    for &c in &order[..n_ctx] {
        k[c] += 1;
        epoch.push(k[c]);
    }
    // Queries: later epochs without replacement, per curve.
    let mut future: Vec<Option<Vec<usize>>> = vec![None; curves];
    for &c in &order[n_ctx..] {
        let pool = future[c].get_or_insert_with(|| {
            let mut f: Vec<usize> = (k[c] + 1..=epochs).collect();
            f.shuffle(rng);
            f
        });
        epoch.push(
            pool.pop()
                .expect("a curve never has more slots than epochs"),
        );
    }
    Ok(SlotLayout {
        curve: order,
        epoch,
        n_ctx,
    })
}

fn exp1<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    Exp1.sample(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn context_is_a_prefix_and_queries_lie_in_the_future() {
        let mut rng = StdRng::seed_from_u64(7);
        for trial in 0..200 {
            let n_ctx = 1 + trial % 90;
            let l = layout_slots(40, 12, 100, n_ctx, &mut rng).unwrap();
            assert_eq!(l.curve.len(), 100);
            let mut k = [0usize; 40];
            for i in 0..n_ctx {
                k[l.curve[i]] += 1;
                assert_eq!(
                    l.epoch[i], k[l.curve[i]],
                    "context must be the prefix in order"
                );
            }
            let mut seen = std::collections::HashSet::new();
            for i in 0..100 {
                assert!(
                    seen.insert((l.curve[i], l.epoch[i])),
                    "a point appears twice"
                );
                assert!((1..=12).contains(&l.epoch[i]));
                if i >= n_ctx {
                    assert!(
                        l.epoch[i] > k[l.curve[i]],
                        "query must be after the context prefix"
                    );
                }
            }
        }
    }

    #[test]
    fn a_full_draw_takes_every_point() {
        let mut rng = StdRng::seed_from_u64(1);
        let l = layout_slots(3, 4, 12, 5, &mut rng).unwrap();
        let mut pts: Vec<_> = l
            .curve
            .iter()
            .zip(&l.epoch)
            .map(|(&c, &e)| (c, e))
            .collect();
        pts.sort();
        let all: Vec<_> = (0..3).flat_map(|c| (1..=4).map(move |e| (c, e))).collect();
        assert_eq!(pts, all);
        assert!(layout_slots(3, 4, 13, 5, &mut rng).is_err());
    }

    #[test]
    fn context_size_draws_stay_in_range() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..1000 {
            let n = ContextSize::Uniform.draw(5, &mut rng).unwrap();
            assert!((1..5).contains(&n));
        }
        assert!(ContextSize::Fixed(5).draw(5, &mut rng).is_err());
        assert!(ContextSize::Uniform.draw(1, &mut rng).is_err());
    }
}

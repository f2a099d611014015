//! Procedural data from a random teacher: x ~ N(0, I), a random one-hidden-layer tanh
//! network maps it to `k` logits (classification: the arg-max, with 5 % of the labels
//! redrawn uniformly) or to one value plus Gaussian noise (regression, noise 10 % of the
//! signal's spread). Everything is drawn from the task's seed, so every task is a new
//! problem of its own difficulty.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

use crate::dataset::{Dataset, Target, from_rows};

/// Hidden units of the teacher.
const TEACHER_HIDDEN: usize = 32;
/// Rows drawn per task (60/20/20 train/validation/test).
pub const ROWS: usize = 2000;
/// Share of classification labels redrawn at random.
const LABEL_NOISE: f64 = 0.05;

/// A teacher task's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Teacher {
    /// Input dimension.
    pub inputs: usize,
    /// Classes, or regression.
    pub target: Target,
}

impl Teacher {
    /// The task's data, drawn from `seed`.
    pub fn dataset(self, seed: u64) -> Dataset {
        let mut rng = StdRng::seed_from_u64(seed);
        let normal = |n: usize, sd: f64, rng: &mut StdRng| -> Vec<f64> {
            (0..n)
                .map(|_| sd * Distribution::<f64>::sample(&StandardNormal, rng))
                .collect::<Vec<f64>>()
        };
        let d = self.inputs;
        let outs = self.target.outputs();
        // Gain 2: the teacher is clearly non-linear without saturating everywhere.
        let w1 = normal(d * TEACHER_HIDDEN, 2.0 / (d as f64).sqrt(), &mut rng);
        let b1 = normal(TEACHER_HIDDEN, 0.5, &mut rng);
        let w2 = normal(
            TEACHER_HIDDEN * outs,
            3.0 / (TEACHER_HIDDEN as f64).sqrt(),
            &mut rng,
        );
        let x = normal(ROWS * d, 1.0, &mut rng);
        let mut out = vec![0.0f64; outs];
        let mut y = Vec::with_capacity(ROWS);
        for r in 0..ROWS {
            out.iter_mut().for_each(|o| *o = 0.0);
            for h in 0..TEACHER_HIDDEN {
                let z: f64 = (0..d)
                    .map(|j| x[r * d + j] * w1[j * TEACHER_HIDDEN + h])
                    .sum();
                let a = (z + b1[h]).tanh();
                for (k, o) in out.iter_mut().enumerate() {
                    *o += a * w2[h * outs + k];
                }
            }
            y.push(match self.target {
                Target::Classes(k) => {
                    if rng.random::<f64>() < LABEL_NOISE {
                        rng.random_range(0..k) as f64
                    } else {
                        let best = (0..k)
                            .max_by(|&a, &b| out[a].total_cmp(&out[b]))
                            .unwrap_or(0);
                        best as f64
                    }
                }
                Target::Regression => out[0],
            });
        }
        if self.target == Target::Regression {
            let n = ROWS as f64;
            let mean = y.iter().sum::<f64>() / n;
            let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
            let noise = normal(ROWS, 0.1 * sd, &mut rng);
            y.iter_mut().zip(noise).for_each(|(v, e)| *v += e);
        }
        let rows: Vec<usize> = (0..ROWS).collect();
        let (train, rest) = rows.split_at(ROWS * 3 / 5);
        let (valid, test) = rest.split_at(ROWS / 5);
        from_rows(&x, &y, d, self.target, [train, valid, test])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teacher_data_is_seeded_and_uses_every_class() {
        let t = Teacher {
            inputs: 6,
            target: Target::Classes(3),
        };
        let a = t.dataset(5);
        assert_eq!(a.train.y, t.dataset(5).train.y);
        assert_ne!(a.train.x, t.dataset(6).train.x);
        for c in 0..3 {
            let n = a.train.y.iter().filter(|&&y| y == c as f32).count();
            assert!(n > 10, "class {c}: {n} rows");
        }
    }
}

//! Procedural sequence classification, "which source wrote this sequence?": `classes`
//! random Markov chains over a vocabulary of `vocab` symbols, each chain a mixture of a
//! base chain shared by all of them and a chain of its own (weight `separation`); a
//! sequence of `length` symbols is drawn from one chain, chosen uniformly, and labelled
//! with its index. Like TaskSet's IMDB text tasks, the label lives in which symbols follow
//! which, spread over the whole sequence; the overlap of the chains sets the best
//! reachable loss. Symbols reach the network one-hot, `length × vocab` features per row.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Gamma};

use crate::dataset::{Dataset, Split, Target};

/// Rows drawn per task (60/20/20 train/validation/test).
pub const ROWS: usize = 2000;
/// Dirichlet concentration of each transition row: below 1, rows favour a few symbols.
const CONCENTRATION: f64 = 0.5;

/// A sequence task's shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarkovSource {
    /// Number of chains (classes).
    pub classes: usize,
    /// Symbols.
    pub vocab: usize,
    /// Symbols per sequence.
    pub length: usize,
    /// Weight of each chain's own transitions against the shared base chain, in (0, 1]:
    /// small is hard.
    pub separation: f64,
}

impl MarkovSource {
    /// The task's data, drawn from `seed`.
    pub fn dataset(self, seed: u64) -> Dataset {
        let mut rng = StdRng::seed_from_u64(seed);
        let v = self.vocab;
        let base = self.chain(&mut rng);
        let chains: Vec<Vec<f64>> = (0..self.classes)
            .map(|_| {
                let own = self.chain(&mut rng);
                base.iter()
                    .zip(own)
                    .map(|(b, o)| (1.0 - self.separation) * b + self.separation * o)
                    .collect()
            })
            .collect();
        let features = self.length * v;
        let mut x = vec![0.0f32; ROWS * features];
        let mut y = Vec::with_capacity(ROWS);
        for r in 0..ROWS {
            let class = rng.random_range(0..self.classes);
            let p = &chains[class];
            let mut symbol = rng.random_range(0..v);
            for t in 0..self.length {
                if t > 0 {
                    symbol = draw(&p[symbol * v..(symbol + 1) * v], rng.random());
                }
                x[r * features + t * v + symbol] = 1.0;
            }
            y.push(class as f32);
        }
        let n_train = ROWS * 3 / 5;
        let n_valid = ROWS / 5;
        let split = |from: usize, to: usize| Split {
            x: x[from * features..to * features].to_vec(),
            y: y[from..to].to_vec(),
        };
        Dataset {
            train: split(0, n_train),
            valid: split(n_train, n_train + n_valid),
            test: split(n_train + n_valid, ROWS),
            features,
            target: Target::Classes(self.classes),
        }
    }

    /// A random transition matrix, `vocab × vocab` row-major, each row ~ Dirichlet.
    fn chain(self, rng: &mut StdRng) -> Vec<f64> {
        let gamma = Gamma::new(CONCENTRATION, 1.0).expect("a positive shape");
        let v = self.vocab;
        let mut p: Vec<f64> = (0..v * v).map(|_| gamma.sample(rng) + 1e-12).collect();
        for row in p.chunks_exact_mut(v) {
            let total: f64 = row.iter().sum();
            row.iter_mut().for_each(|q| *q /= total);
        }
        p
    }
}

/// The symbol whose cumulative probability first exceeds `u` ∈ [0, 1).
fn draw(p: &[f64], u: f64) -> usize {
    let mut acc = 0.0;
    for (k, q) in p.iter().enumerate() {
        acc += q;
        if u < acc {
            return k;
        }
    }
    p.len() - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_are_one_hot_and_labelled() {
        let s = MarkovSource {
            classes: 3,
            vocab: 5,
            length: 7,
            separation: 0.5,
        };
        let d = s.dataset(4);
        assert_eq!(d.features, 35);
        assert_eq!(d.train.rows() + d.valid.rows() + d.test.rows(), ROWS);
        for row in d.valid.x.chunks_exact(35) {
            for step in row.chunks_exact(5) {
                assert_eq!(step.iter().sum::<f32>(), 1.0);
            }
        }
        assert!(d.test.y.iter().all(|&c| c < 3.0));
        // Every class occurs.
        for c in 0..3 {
            assert!(d.train.y.contains(&(c as f32)));
        }
        assert_eq!(d.train.x, s.dataset(4).train.x);
        assert_ne!(d.train.x, s.dataset(5).train.x);
    }

    #[test]
    fn separated_chains_leave_a_learnable_signal() {
        // A bigram count classifier fitted on the training rows must beat chance on the
        // validation rows when the chains are well apart.
        let s = MarkovSource {
            classes: 2,
            vocab: 4,
            length: 16,
            separation: 0.8,
        };
        let d = s.dataset(1);
        let bigrams = |row: &[f32]| -> Vec<usize> {
            let sym: Vec<usize> = row
                .chunks_exact(4)
                .map(|c| c.iter().position(|&v| v == 1.0).unwrap())
                .collect();
            sym.windows(2).map(|w| w[0] * 4 + w[1]).collect()
        };
        let mut counts = vec![[1.0f64; 16]; 2];
        for (row, &c) in d.train.x.chunks_exact(64).zip(&d.train.y) {
            for b in bigrams(row) {
                counts[c as usize][b] += 1.0;
            }
        }
        let correct = d
            .valid
            .x
            .chunks_exact(64)
            .zip(&d.valid.y)
            .filter(|(row, c)| {
                let score = |k: usize| -> f64 {
                    let total: f64 = counts[k].iter().sum();
                    bigrams(row)
                        .iter()
                        .map(|&b| (counts[k][b] / total).ln())
                        .sum()
                };
                (score(1) > score(0)) == (**c == 1.0)
            })
            .count();
        assert!(correct as f64 > 0.7 * d.valid.rows() as f64, "{correct}");
    }
}

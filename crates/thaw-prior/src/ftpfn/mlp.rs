//! The random MLP that gives every synthetic task its response surface (reference §2
//! step 1): configurations in [0, 1]^d → [`OUTPUTS`] raw outputs, one fresh network
//! per task.
//!
//! Shape: U{8..15} linear layers (input → hidden, hidden → hidden …, hidden → output),
//! hidden width U{36..149}, tanh after every layer but the last. Every weight and bias
//! ~ N(0, s²) with s ~ U(0.089, 0.193); hidden → hidden weights are kept with probability
//! 0.855 and the kept ones scaled by 1/√0.855. Gaussian noise is added to every
//! pre-activation (std ~ U(0.0003, 0.0014)) and to every output (std ~ U(0.0004, 0.0013)),
//! fresh for every configuration evaluated.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};

/// Raw outputs per configuration: one per curve parameter (see [`super::curve`]).
pub const OUTPUTS: usize = 23;
/// Probability that a hidden → hidden weight is kept.
pub const KEEP: f64 = 0.855;

/// One dense layer, weights stored input-major (`w[i * n_out + o]`) so the forward pass
/// is a sequence of contiguous AXPYs that the compiler vectorises.
#[derive(Debug, Clone)]
struct Dense {
    n_in: usize,
    n_out: usize,
    w: Vec<f32>,
    b: Vec<f32>,
}

/// A random MLP (see the module documentation).
#[derive(Debug, Clone)]
pub struct RandomMlp {
    layers: Vec<Dense>,
    pre_noise: f32,
    out_noise: f32,
}

impl RandomMlp {
    /// Draws a network for `n_inputs` hyperparameters and `n_outputs` outputs.
    pub fn sample<R: Rng + ?Sized>(n_inputs: usize, n_outputs: usize, rng: &mut R) -> Self {
        let n_layers = rng.random_range(8..=15usize);
        let width = rng.random_range(36..=149usize);
        let std = rng.random_range(0.089..0.193f32);
        let pre_noise = rng.random_range(0.0003..0.0014f32);
        let out_noise = rng.random_range(0.0004..0.0013f32);
        let rescale = (1.0 / KEEP.sqrt()) as f32;
        let mut layers = Vec::with_capacity(n_layers);
        for l in 0..n_layers {
            let n_in = if l == 0 { n_inputs } else { width };
            let n_out = if l + 1 == n_layers { n_outputs } else { width };
            let hidden_to_hidden = l > 0 && l + 1 < n_layers;
            let w = (0..n_in * n_out)
                .map(|_| {
                    let v = std * normal(rng);
                    if !hidden_to_hidden {
                        v
                    } else if rng.random_bool(KEEP) {
                        v * rescale
                    } else {
                        0.0
                    }
                })
                .collect();
            let b = (0..n_out).map(|_| std * normal(rng)).collect();
            layers.push(Dense { n_in, n_out, w, b });
        }
        Self {
            layers,
            pre_noise,
            out_noise,
        }
    }

    /// Number of inputs.
    pub fn n_inputs(&self) -> usize {
        self.layers[0].n_in
    }

    /// Number of outputs.
    pub fn n_outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].n_out
    }

    /// Raw outputs for `configs` (row-major `[rows × n_inputs]`, values in [0, 1]),
    /// row-major `[rows × n_outputs]`. Inputs are standardised as (h − 0.5)/√(1/12).
    pub fn forward<R: Rng + ?Sized>(&self, configs: &[f32], rng: &mut R) -> Vec<f32> {
        let n_in = self.n_inputs();
        let rows = configs.len() / n_in.max(1);
        let scale = 12f32.sqrt();
        let mut h: Vec<f32> = configs.iter().map(|&v| (v - 0.5) * scale).collect();
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let mut out = Vec::with_capacity(rows * layer.n_out);
            for r in 0..rows {
                out.extend_from_slice(&layer.b);
                let o = &mut out[r * layer.n_out..];
                for (i, &x) in h[r * layer.n_in..(r + 1) * layer.n_in].iter().enumerate() {
                    let w = &layer.w[i * layer.n_out..(i + 1) * layer.n_out];
                    for (acc, &wi) in o.iter_mut().zip(w) {
                        *acc += x * wi;
                    }
                }
            }
            if l < last {
                for v in &mut out {
                    *v = (*v + self.pre_noise * normal(rng)).tanh();
                }
            } else {
                for v in &mut out {
                    *v += self.out_noise * normal(rng);
                }
            }
            h = out;
        }
        h
    }
}

fn normal<R: Rng + ?Sized>(rng: &mut R) -> f32 {
    StandardNormal.sample(rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    #[test]
    fn shapes_follow_the_prior() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        for _ in 0..50 {
            let mlp = RandomMlp::sample(3, OUTPUTS, &mut rng);
            assert!((8..=15).contains(&mlp.layers.len()));
            let width = mlp.layers[0].n_out;
            assert!((36..=149).contains(&width));
            assert_eq!((mlp.n_inputs(), mlp.n_outputs()), (3, OUTPUTS));
            let out = mlp.forward(&[0.1, 0.5, 0.9, 0.3, 0.3, 0.3], &mut rng);
            assert_eq!(out.len(), 2 * OUTPUTS);
            assert!(out.iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn about_85_percent_of_hidden_weights_survive() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let (mut kept, mut total) = (0usize, 0usize);
        for _ in 0..20 {
            let mlp = RandomMlp::sample(2, OUTPUTS, &mut rng);
            for l in &mlp.layers[1..mlp.layers.len() - 1] {
                kept += l.w.iter().filter(|&&w| w != 0.0).count();
                total += l.w.len();
            }
            assert!(
                mlp.layers[0].w.iter().all(|&w| w != 0.0),
                "input layer is dense"
            );
        }
        let frac = kept as f64 / total as f64;
        assert!((frac - KEEP).abs() < 0.01, "kept fraction {frac}");
    }

    #[test]
    fn forward_is_the_dense_product_plus_noise() {
        // Against a naive evaluation, noise switched off.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut mlp = RandomMlp::sample(2, 4, &mut rng);
        let noisy = mlp.forward(&[0.2, 0.7], &mut rng);
        (mlp.pre_noise, mlp.out_noise) = (0.0, 0.0);
        let x = [0.2f32, 0.7];
        let got = mlp.forward(&x, &mut rng);
        let mut h: Vec<f32> = x.iter().map(|v| (v - 0.5) * 12f32.sqrt()).collect();
        for (l, layer) in mlp.layers.iter().enumerate() {
            let out: Vec<f32> = (0..layer.n_out)
                .map(|o| {
                    let s: f32 = layer.b[o]
                        + (0..layer.n_in)
                            .map(|i| h[i] * layer.w[i * layer.n_out + o])
                            .sum::<f32>();
                    if l + 1 < mlp.layers.len() {
                        s.tanh()
                    } else {
                        s
                    }
                })
                .collect();
            h = out;
        }
        for ((g, e), n) in got.iter().zip(&h).zip(&noisy) {
            assert!((g - e).abs() < 1e-4, "{g} vs {e}");
            assert!(g != n, "noise is fresh per evaluation");
        }
    }
}

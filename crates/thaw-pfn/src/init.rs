//! Deterministic parameter initialisation from the run's seed.
//!
//! Weights are drawn on the CPU with our own `StdRng` and uploaded, so the same seed
//! gives the same initial model on every backend (burn's own initialisers draw from
//! the backend's RNG).

use burn::module::Param;
use burn::nn::{Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::tensor::{Device, Tensor, TensorData};
use rand::RngExt;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

/// Draws parameters in a fixed order from one seeded stream.
pub struct Init<'a> {
    rng: StdRng,
    device: &'a Device,
}

impl<'a> Init<'a> {
    /// An initialiser seeded with `seed`, placing tensors on `device`.
    pub fn new(seed: u64, device: &'a Device) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            device,
        }
    }

    fn param<const D: usize>(&self, values: Vec<f32>, shape: [usize; D]) -> Param<Tensor<D>> {
        Param::from_tensor(Tensor::from_data(
            TensorData::new(values, shape),
            self.device,
        ))
    }

    fn uniform(&mut self, n: usize, bound: f32) -> Vec<f32> {
        (0..n)
            .map(|_| self.rng.random_range(-bound..=bound))
            .collect()
    }

    /// A linear layer `d_in → d_out` with PyTorch's default init
    /// (weights and bias ~ U(±1/√d_in)); all zeros if `zero` (reference §1:
    /// zero-initialised out-projections).
    pub fn linear(&mut self, d_in: usize, d_out: usize, bias: bool, zero: bool) -> Linear {
        let bound = 1.0 / (d_in as f32).sqrt();
        let mut draw = |n: usize| {
            if zero {
                vec![0.0; n]
            } else {
                self.uniform(n, bound)
            }
        };
        let w = draw(d_in * d_out);
        let b = bias.then(|| draw(d_out));
        Linear {
            weight: self.param(w, [d_in, d_out]),
            bias: b.map(|b| self.param(b, [d_out])),
        }
    }

    /// An embedding table with entries ~ N(0, 1).
    pub fn embedding(&mut self, n: usize, d: usize) -> Embedding {
        let w = (0..n * d)
            .map(|_| StandardNormal.sample(&mut self.rng))
            .collect();
        Embedding {
            weight: self.param(w, [n, d]),
        }
    }

    /// A layer norm over `d` features (ε 1e-5, γ = 1, β = 0).
    pub fn layer_norm(&mut self, d: usize) -> LayerNorm {
        LayerNormConfig::new(d).with_epsilon(1e-5).init(self.device)
    }
}

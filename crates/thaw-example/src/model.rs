//! The MLP: `layers` hidden layers of width `hidden`, then a linear layer to the logits.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{gelu, log_softmax, relu, tanh};
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::params::{Activation, Params};

/// A multilayer perceptron classifier.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Vec<Linear>,
    output: Linear,
}

impl Mlp {
    /// A model for `inputs` features and `classes` classes, initialised from `params.seed`
    /// (PyTorch's default: weights and biases ~ U(±1/√fan_in)), drawn on the CPU with our
    /// own RNG so the same seed gives the same weights everywhere.
    pub fn new(params: &Params, inputs: usize, classes: usize, device: &Device) -> Self {
        let mut rng = StdRng::seed_from_u64(params.seed ^ 0x1417_0000_0000_0001);
        let mut linear = |d_in: usize, d_out: usize| {
            let bound = 1.0 / (d_in as f32).sqrt();
            let mut draw = |n: usize| -> Vec<f32> {
                (0..n).map(|_| rng.random_range(-bound..=bound)).collect()
            };
            let w = draw(d_in * d_out);
            let b = draw(d_out);
            Linear {
                weight: Param::from_tensor(Tensor::from_data(
                    TensorData::new(w, [d_in, d_out]),
                    device,
                )),
                bias: Some(Param::from_tensor(Tensor::from_data(
                    TensorData::new(b, [d_out]),
                    device,
                ))),
            }
        };
        let mut width = inputs;
        let mut hidden = Vec::with_capacity(params.layers);
        for _ in 0..params.layers {
            hidden.push(linear(width, params.hidden));
            width = params.hidden;
        }
        Self {
            hidden,
            output: linear(width, classes),
        }
    }

    /// Logits `[n, classes]` of features `x` (`[n, inputs]`).
    pub fn forward(&self, x: Tensor<2>, activation: Activation) -> Tensor<2> {
        let mut h = x;
        for layer in &self.hidden {
            let z = layer.forward(h);
            h = match activation {
                Activation::Relu => relu(z),
                Activation::Tanh => tanh(z),
                Activation::Gelu => gelu(z),
            };
        }
        self.output.forward(h)
    }
}

/// Mean cross-entropy of `logits` (`[n, k]`) at the classes `y` (`[n]`).
pub fn cross_entropy(logits: Tensor<2>, y: Tensor<1, Int>) -> Tensor<1> {
    log_softmax(logits, 1)
        .gather(1, y.unsqueeze_dim(1))
        .mean()
        .neg()
}

//! The batched MLP: the networks of `configs` configurations as one model, weights
//! `[configs, in, out]` and biases `[configs, 1, out]`, one batched matmul per layer. A
//! minibatch `[1, rows, in]` broadcasts over the configurations.

use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::dataset::Target;
use crate::seed::{derive, stream};

/// The parameters, layer by layer: weight then bias, all `[configs, …]`.
pub type Params = Vec<Tensor<3>>;

/// Initial parameters for layer widths `widths` (inputs, hidden…, outputs) of the
/// configurations `ids` of the task with seed `seed`: PyTorch's default, weights and
/// biases ~ U(±1/√fan_in), drawn per configuration from (seed, id) — so a configuration
/// starts the same whichever chunk it is trained in.
pub fn init(widths: &[usize], seed: u64, ids: &[usize], device: &Device) -> Params {
    let layout: Vec<Slot> = widths
        .windows(2)
        .flat_map(|w| {
            let bound = 1.0 / (w[0] as f32).sqrt();
            [
                Slot::new(w[0], w[1], Start::Uniform(bound)),
                Slot::new(1, w[1], Start::Uniform(bound)),
            ]
        })
        .collect();
    init_layout(&layout, seed, ids, device)
}

/// How one parameter of a configuration starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Start {
    /// Uniform in ±bound.
    Uniform(f32),
    /// The identity matrix (square parameters).
    Identity,
    /// Zeros.
    Zero,
}

/// One parameter tensor of the layout: `[rows, cols]` per configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Slot {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Its initialiser.
    pub start: Start,
}

impl Slot {
    /// A `[rows, cols]` parameter started by `start`.
    pub fn new(rows: usize, cols: usize, start: Start) -> Self {
        Self { rows, cols, start }
    }
}

/// Initial parameters `[configs, rows, cols]` of the slots `layout` for the
/// configurations `ids`: the uniform draws of a configuration come from (seed, id), slot
/// after slot in layout order, so a configuration starts the same in any chunk.
pub fn init_layout(layout: &[Slot], seed: u64, ids: &[usize], device: &Device) -> Params {
    let c = ids.len();
    let mut values: Vec<Vec<f32>> = layout
        .iter()
        .map(|s| Vec::with_capacity(c * s.rows * s.cols))
        .collect();
    for &id in ids {
        let mut rng = StdRng::seed_from_u64(derive(seed, stream::INIT, &[id as u64]));
        for (slot, out) in layout.iter().zip(values.iter_mut()) {
            let n = slot.rows * slot.cols;
            match slot.start {
                Start::Uniform(bound) => {
                    out.extend((0..n).map(|_| rng.random_range(-bound..=bound)));
                }
                Start::Identity => {
                    out.extend((0..n).map(|k| f32::from(u8::from(k / slot.cols == k % slot.cols))))
                }
                Start::Zero => out.extend(std::iter::repeat_n(0.0, n)),
            }
        }
    }
    values
        .into_iter()
        .zip(layout)
        .map(|(v, s)| Tensor::from_data(TensorData::new(v, [c, s.rows, s.cols]), device))
        .collect()
}

/// Outputs `[configs, rows, outputs]` of inputs `x` (`[1, rows, in]`).
pub fn forward(params: &[Tensor<3>], x: Tensor<3>, activation: Activation) -> Tensor<3> {
    let layers = params.len() / 2;
    let mut h = x;
    for (l, wb) in params.chunks_exact(2).enumerate() {
        h = h.matmul(wb[0].clone()) + wb[1].clone();
        if l + 1 < layers {
            h = match activation {
                Activation::Relu => relu(h),
                Activation::Tanh => fast_tanh(h),
            };
        }
    }
    h
}

/// tanh as `2 / (1 + e^(−2x)) − 1` on x clamped to ±15 (where tanh is ±1 in f32, and the
/// clamp keeps the backward pass free of ∞ · 0): the CPU backend's own tanh is a scalar
/// libm call per element and took two thirds of a tanh task's time.
pub fn fast_tanh(x: Tensor<3>) -> Tensor<3> {
    let e = (x.clamp(-15.0, 15.0) * -2.0).exp();
    (e + 1.0).recip() * 2.0 - 1.0
}

/// Targets of a minibatch, as the loss needs them.
#[derive(Debug, Clone)]
pub struct Targets {
    /// One-hot `[1, rows, k]` for classes, `[1, rows, 1]` values for regression.
    tensor: Tensor<3>,
    target: Target,
}

impl Targets {
    /// From one target per row (class indices as f32 for classification).
    pub fn new(y: &[f32], target: Target, device: &Device) -> Self {
        let rows = y.len();
        let tensor = match target {
            Target::Classes(k) => {
                let mut onehot = vec![0.0f32; rows * k];
                for (r, &c) in y.iter().enumerate() {
                    onehot[r * k + c as usize] = 1.0;
                }
                Tensor::from_data(TensorData::new(onehot, [1, rows, k]), device)
            }
            Target::Regression => {
                Tensor::from_data(TensorData::new(y.to_vec(), [1, rows, 1]), device)
            }
        };
        Self { tensor, target }
    }

    /// The mean loss of each configuration, `[configs, 1, 1]`: softmax cross-entropy or
    /// squared error.
    pub fn loss(&self, out: Tensor<3>) -> Tensor<3> {
        let t = self.tensor.clone();
        match self.target {
            Target::Classes(_) => -(log_softmax(out, 2) * t).sum_dim(2).mean_dim(1),
            Target::Regression => (out - t).square().mean_dim(1),
        }
    }
}

/// The hidden layers' non-linearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// max(0, x).
    Relu,
    /// tanh(x).
    Tanh,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_tanh_is_tanh() {
        let xs: Vec<f32> = (-400..=400).map(|i| i as f32 * 0.05).collect();
        let n = xs.len();
        let t = Tensor::<3>::from_data(TensorData::new(xs.clone(), [1, 1, n]), &Device::flex());
        let got = fast_tanh(t).into_data().try_to_vec::<f32>().unwrap();
        for (x, y) in xs.iter().zip(got) {
            assert!((x.tanh() - y).abs() < 1e-6, "tanh({x}) = {y}");
        }
    }
}

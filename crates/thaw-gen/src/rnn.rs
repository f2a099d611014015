//! The batched recurrent classifier: the networks of `configs` configurations as one
//! model over one-hot symbol sequences (`[1, rows, length × vocab]`, broadcast over the
//! configurations), a recurrent cell unrolled over the sequence, then a linear read-out of
//! the last state or of the mean state. Parameters, all `[configs, …]`: input weights and
//! bias, recurrent weights and bias, output weights and bias.
//!
//! Cells, after TaskSet's text RNNs: a tanh RNN, an IRNN (ReLU, recurrent weights started
//! at the identity and biases at zero; Le et al. 2015), and a GRU (Cho et al. 2014, in
//! PyTorch's form: the reset gate multiplies the recurrent part of the candidate).

use burn::tensor::Tensor;
use burn::tensor::activation::relu;

use crate::mlp::{Params, Slot, Start, fast_tanh};

/// The recurrent cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    /// h' = tanh(x Wᵢ + bᵢ + h Wₕ + bₕ).
    Tanh,
    /// h' = ReLU(x Wᵢ + bᵢ + h Wₕ + bₕ), Wₕ started at the identity: can overflow, as
    /// TaskSet's IRNNs do.
    Irnn,
    /// Gated recurrent unit.
    Gru,
}

impl Cell {
    /// Its name in task names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Tanh => "rnn",
            Self::Irnn => "irnn",
            Self::Gru => "gru",
        }
    }

    /// Pre-activations per hidden unit: 3 for the GRU (reset, update, candidate).
    fn gates(self) -> usize {
        match self {
            Self::Gru => 3,
            Self::Tanh | Self::Irnn => 1,
        }
    }
}

/// What the output layer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readout {
    /// The state after the last symbol.
    Last,
    /// The mean state over the sequence (TaskSet's `avg`).
    Mean,
}

impl Readout {
    /// Its name in task names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Last => "last",
            Self::Mean => "mean",
        }
    }
}

/// A recurrent classifier's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RnnShape {
    /// Symbols (one-hot width of a step).
    pub vocab: usize,
    /// Steps per sequence.
    pub length: usize,
    /// State size.
    pub hidden: usize,
    /// Output units.
    pub outputs: usize,
    /// The cell.
    pub cell: Cell,
    /// The read-out.
    pub readout: Readout,
}

impl RnnShape {
    /// The parameter slots: PyTorch's default start, everything ~ U(±1/√hidden), except
    /// the IRNN's identity recurrence and zero biases.
    pub fn layout(&self) -> Vec<Slot> {
        let (h, g) = (self.hidden, self.cell.gates());
        let u = Start::Uniform(1.0 / (h as f32).sqrt());
        let (recurrent, bias) = match self.cell {
            Cell::Irnn => (Start::Identity, Start::Zero),
            Cell::Tanh | Cell::Gru => (u, u),
        };
        vec![
            Slot::new(self.vocab, g * h, u),
            Slot::new(1, g * h, bias),
            Slot::new(h, g * h, recurrent),
            Slot::new(1, g * h, bias),
            Slot::new(h, self.outputs, u),
            Slot::new(1, self.outputs, u),
        ]
    }

    /// Outputs `[configs, rows, outputs]` of sequences `x` (`[1, rows, length × vocab]`).
    pub fn forward(&self, p: &Params, x: Tensor<3>) -> Tensor<3> {
        let [_, rows, _] = x.dims();
        let configs = p[0].dims()[0];
        let (h, v) = (self.hidden, self.vocab);
        let mut state = Tensor::<3>::zeros([configs, rows, h], &x.device());
        let mut total: Option<Tensor<3>> = None;
        for t in 0..self.length {
            let gx = x.clone().narrow(2, t * v, v).matmul(p[0].clone()) + p[1].clone();
            let gh = state.clone().matmul(p[2].clone()) + p[3].clone();
            state = match self.cell {
                Cell::Tanh => fast_tanh(gx + gh),
                Cell::Irnn => relu(gx + gh),
                Cell::Gru => {
                    let part = |g: &Tensor<3>, k: usize| g.clone().narrow(2, k * h, h);
                    let reset = fast_sigmoid(part(&gx, 0) + part(&gh, 0));
                    let update = fast_sigmoid(part(&gx, 1) + part(&gh, 1));
                    let candidate = fast_tanh(part(&gx, 2) + reset * part(&gh, 2));
                    candidate.clone() + update * (state - candidate)
                }
            };
            if self.readout == Readout::Mean {
                total = Some(match total {
                    None => state.clone(),
                    Some(s) => s + state.clone(),
                });
            }
        }
        let read = match total {
            Some(s) => s / self.length as f32,
            None => state,
        };
        read.matmul(p[4].clone()) + p[5].clone()
    }
}

/// The logistic function as `1 / (1 + e^(−x))` on x clamped to ±30 (see
/// [`fast_tanh`]: one vectorised exp instead of a scalar call per element).
pub fn fast_sigmoid(x: Tensor<3>) -> Tensor<3> {
    ((x.clamp(-30.0, 30.0) * -1.0).exp() + 1.0).recip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn values(t: Tensor<3>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    fn tensor(v: Vec<f32>, shape: [usize; 3]) -> Tensor<3> {
        Tensor::from_data(TensorData::new(v, shape), &Device::flex())
    }

    #[test]
    fn fast_sigmoid_is_the_logistic() {
        let xs: Vec<f32> = (-400..=400).map(|i| i as f32 * 0.1).collect();
        let n = xs.len();
        let got = values(fast_sigmoid(tensor(xs.clone(), [1, 1, n])));
        for (x, y) in xs.iter().zip(got) {
            assert!((1.0 / (1.0 + (-x).exp()) - y).abs() < 1e-6, "σ({x}) = {y}");
        }
    }

    /// A GRU of 1 unit over 1 symbol, 2 steps, checked by hand against the formula.
    #[test]
    fn a_gru_step_by_hand() {
        let shape = RnnShape {
            vocab: 1,
            length: 2,
            hidden: 1,
            outputs: 1,
            cell: Cell::Gru,
            readout: Readout::Last,
        };
        let (wi, bi, wh, bh) = (
            [0.5f32, -0.3, 0.8],
            [0.1f32, 0.2, -0.1],
            [0.7f32, 0.4, -0.6],
            [0.0f32, 0.1, 0.3],
        );
        let p: Params = vec![
            tensor(wi.to_vec(), [1, 1, 3]),
            tensor(bi.to_vec(), [1, 1, 3]),
            tensor(wh.to_vec(), [1, 1, 3]),
            tensor(bh.to_vec(), [1, 1, 3]),
            tensor(vec![2.0], [1, 1, 1]),
            tensor(vec![0.5], [1, 1, 1]),
        ];
        let xs = [1.0f32, -1.0];
        let sig = |z: f32| 1.0 / (1.0 + (-z).exp());
        let mut h = 0.0f32;
        for x in xs {
            let r = sig(x * wi[0] + bi[0] + h * wh[0] + bh[0]);
            let z = sig(x * wi[1] + bi[1] + h * wh[1] + bh[1]);
            let n = (x * wi[2] + bi[2] + r * (h * wh[2] + bh[2])).tanh();
            h = (1.0 - z) * n + z * h;
        }
        let got = values(shape.forward(&p, tensor(xs.to_vec(), [1, 1, 2])));
        assert!(
            (got[0] - (2.0 * h + 0.5)).abs() < 1e-5,
            "{got:?} vs {}",
            2.0 * h + 0.5
        );
    }

    #[test]
    fn mean_readout_averages_the_states_and_configurations_stay_apart() {
        // Two configurations of a 1-unit IRNN over 3 steps, symbols one-hot over 2.
        let shape = RnnShape {
            vocab: 2,
            length: 3,
            hidden: 1,
            outputs: 1,
            cell: Cell::Irnn,
            readout: Readout::Mean,
        };
        let p: Params = vec![
            tensor(vec![1.0, 2.0, 3.0, 4.0], [2, 2, 1]),
            tensor(vec![0.0, 0.0], [2, 1, 1]),
            tensor(vec![1.0, 0.5], [2, 1, 1]),
            tensor(vec![0.0, 0.0], [2, 1, 1]),
            tensor(vec![1.0, 1.0], [2, 1, 1]),
            tensor(vec![0.0, 0.0], [2, 1, 1]),
        ];
        // Symbols 0, 1, 0.
        let x = tensor(vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0], [1, 1, 6]);
        let got = values(shape.forward(&p, x));
        // Configuration 0: h = 1, 3, 4 → mean 8/3; configuration 1: h = 3, 5.5, 5.75.
        assert!((got[0] - 8.0 / 3.0).abs() < 1e-5, "{got:?}");
        assert!((got[1] - (3.0 + 5.5 + 5.75) / 3.0).abs() < 1e-5, "{got:?}");
    }
}

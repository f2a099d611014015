//! Adam with its own hyperparameters per configuration, on batched tensors: every
//! parameter is `[configs, …]` and every hyperparameter a `[configs, 1, 1]` tensor that
//! broadcasts over the rest.
//!
//! The update is TensorFlow's Adam (TaskSet's): with g the gradient of the training loss
//! plus the penalties `l1 · Σ|w| + l2 · Σw²` (coupled, i.e. the penalties go through
//! Adam's moments),
//!
//! ```text
//! m ← β1 m + (1 − β1) g          v ← β2 v + (1 − β2) g²
//! w ← w − lr · s(τ) · √(1 − β2^t) / (1 − β1^t) · m / (√v + ε)
//! ```
//!
//! with t the step (1-based), τ the step on TaskSet's clock and s the decay schedule
//! ([`AdamHps::schedule`]). ε is added to √v before the bias correction (TensorFlow's
//! "ε-hat"). The moments are updated as `m + (1 − β)(g − m)` with `1 − β` kept exactly
//! (β2 = 1 − 1e-6 is not exact in f32).

use burn::tensor::{Device, Tensor, TensorData};

use crate::space::AdamHps;

/// The per-configuration constants of one chunk of configurations.
#[derive(Debug, Clone)]
pub struct BatchedAdam {
    hps: Vec<AdamHps>,
    one_minus_beta1: Tensor<3>,
    one_minus_beta2: Tensor<3>,
    eps: Tensor<3>,
    l1: Tensor<3>,
    two_l2: Tensor<3>,
    /// TaskSet steps per step of this run.
    clock: f64,
    device: Device,
}

/// Adam's two moments of one parameter tensor.
#[derive(Debug, Clone)]
pub struct Moments {
    /// First moment.
    pub m: Tensor<3>,
    /// Second moment.
    pub v: Tensor<3>,
}

impl Moments {
    /// Zero moments for a parameter of `dims`.
    pub fn zeros(dims: [usize; 3], device: &Device) -> Self {
        Self {
            m: Tensor::zeros(dims, device),
            v: Tensor::zeros(dims, device),
        }
    }
}

/// A `[n, 1, 1]` tensor of `values`.
pub fn column(values: impl Iterator<Item = f64>, device: &Device) -> Tensor<3> {
    let v: Vec<f32> = values.map(|x| x as f32).collect();
    let n = v.len();
    Tensor::from_data(TensorData::new(v, [n, 1, 1]), device)
}

impl BatchedAdam {
    /// The constants of `hps` on `device`; `clock` = TaskSet steps per step (10,000 /
    /// the run's steps), so that the decays act over a run as over TaskSet's.
    pub fn new(hps: &[AdamHps], clock: f64, device: &Device) -> Self {
        let col = |f: fn(&AdamHps) -> f64| column(hps.iter().map(f), device);
        Self {
            hps: hps.to_vec(),
            one_minus_beta1: col(|h| 1.0 - h.beta1),
            one_minus_beta2: col(|h| 1.0 - h.beta2),
            eps: col(|h| h.eps),
            l1: col(|h| h.l1),
            two_l2: col(|h| 2.0 * h.l2),
            clock,
            device: device.clone(),
        }
    }

    /// The step sizes `lr · s(τ) · √(1 − β2^t) / (1 − β1^t)` of step `t` (1-based), as a
    /// `[configs, 1, 1]` tensor; 0 where `alive` is false. Computed in f64.
    pub fn step_sizes(&self, t: u64, alive: &[bool]) -> Tensor<3> {
        let tau = (t - 1) as f64 * self.clock;
        let sizes = self.hps.iter().zip(alive).map(|(h, &a)| {
            if !a {
                return 0.0;
            }
            // 1 − β^t = −expm1(t · ln(1 − (1 − β))), exact for β near 1.
            let bias = |beta: f64| -((t as f64) * (-(1.0 - beta)).ln_1p()).exp_m1();
            let b1 = if h.beta1 == 0.0 { 1.0 } else { bias(h.beta1) };
            let b2 = if h.beta2 == 0.0 { 1.0 } else { bias(h.beta2) };
            h.lr * h.schedule(tau) * b2.sqrt() / b1
        });
        column(sizes, &self.device)
    }

    /// The gradient of the penalised loss: `g + l1 · sign(w) + 2 · l2 · w`.
    pub fn penalised(&self, w: &Tensor<3>, g: Tensor<3>) -> Tensor<3> {
        g + w.clone().sign() * self.l1.clone() + w.clone() * self.two_l2.clone()
    }

    /// One Adam update of `w` with gradient `g` (penalties not yet added) and step sizes
    /// from [`Self::step_sizes`].
    pub fn update(
        &self,
        w: Tensor<3>,
        g: Tensor<3>,
        moments: &mut Moments,
        step_sizes: &Tensor<3>,
    ) -> Tensor<3> {
        let g = self.penalised(&w, g);
        let m = moments.m.clone() + (g.clone() - moments.m.clone()) * self.one_minus_beta1.clone();
        let v = moments.v.clone() + (g.square() - moments.v.clone()) * self.one_minus_beta2.clone();
        let delta = m.clone() / (v.clone().sqrt() + self.eps.clone()) * step_sizes.clone();
        moments.m = m;
        moments.v = v;
        w - delta
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adam for one scalar weight, in f64, written from the formula.
    fn reference(h: &AdamHps, w: f64, g: f64, m: &mut f64, v: &mut f64, t: u64, clock: f64) -> f64 {
        let g = g + h.l1 * w.signum() * (w != 0.0) as u8 as f64 + 2.0 * h.l2 * w;
        *m = h.beta1 * *m + (1.0 - h.beta1) * g;
        *v = h.beta2 * *v + (1.0 - h.beta2) * g * g;
        let tau = (t - 1) as f64 * clock;
        let lr = h.lr * h.schedule(tau) * (1.0 - h.beta2.powi(t as i32)).sqrt()
            / (1.0 - h.beta1.powi(t as i32));
        w - lr * *m / (v.sqrt() + h.eps)
    }

    #[test]
    fn batched_steps_equal_the_scalar_formula_per_configuration() {
        let device = Device::flex();
        let hps = [
            AdamHps::from_row(&[1e-2, 0.9, 0.999, 1e-8, 1e-3, 1e-2, 1e-5, 1e-4]),
            AdamHps::from_row(&[0.5, 0.3, 0.99, 1e-1, 0.2, 1e-6, 1e-7, 1e-3]),
        ];
        let clock = 50.0;
        let adam = BatchedAdam::new(&hps, clock, &device);
        // Two configurations × a 1 × 3 parameter.
        let w0 = [[0.5, -1.0, 0.25], [2.0, 0.1, -0.3]];
        let grads = |t: u64| [[0.3 * t as f64, -0.2, 1.0], [-1.5, 0.05 * t as f64, 0.4]];
        let to_tensor = |x: [[f64; 3]; 2]| {
            let v: Vec<f32> = x.iter().flatten().map(|&a| a as f32).collect();
            Tensor::<3>::from_data(TensorData::new(v, [2, 1, 3]), &device)
        };
        let mut w = to_tensor(w0);
        let mut moments = Moments::zeros([2, 1, 3], &device);
        let mut want = w0;
        let (mut m, mut v) = ([[0.0; 3]; 2], [[0.0; 3]; 2]);
        for t in 1..=5 {
            let sizes = adam.step_sizes(t, &[true, true]);
            w = adam.update(w, to_tensor(grads(t)), &mut moments, &sizes);
            for c in 0..2 {
                for j in 0..3 {
                    let g = grads(t)[c][j];
                    want[c][j] =
                        reference(&hps[c], want[c][j], g, &mut m[c][j], &mut v[c][j], t, clock);
                }
            }
        }
        let got = w.into_data().try_to_vec::<f32>().unwrap();
        for (k, (&g, &e)) in got.iter().zip(want.iter().flatten()).enumerate() {
            assert!(
                (g as f64 - e).abs() <= 1e-5 * (1.0 + e.abs()),
                "element {k}: batched {g}, reference {e}"
            );
        }
        // The two configurations really moved differently.
        assert!((got[0] - got[3]).abs() > 0.1);
    }

    #[test]
    fn dead_configurations_do_not_move() {
        let device = Device::flex();
        let hps = [AdamHps::from_row(&[1.0, 0.9, 0.999, 1e-8, 0.0, 0.0, 1e-7, 1e-6]); 2];
        let adam = BatchedAdam::new(&hps, 1.0, &device);
        let w = Tensor::<3>::ones([2, 1, 2], &device);
        let mut moments = Moments::zeros([2, 1, 2], &device);
        let sizes = adam.step_sizes(1, &[true, false]);
        let out = adam.update(w, Tensor::ones([2, 1, 2], &device), &mut moments, &sizes);
        let v = out.into_data().try_to_vec::<f32>().unwrap();
        assert!((v[0] - 0.0).abs() < 1e-5 && v[2] == 1.0, "{v:?}");
    }
}

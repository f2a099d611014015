//! Global gradient-norm clipping (as PyTorch's `clip_grad_norm_`): if the norm of all
//! gradients together exceeds `max_norm`, every gradient is scaled by `max_norm / norm`.
//! (burn's own `GradientClipping::Norm` clips each parameter separately.)

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

struct SquaredNorm<'a> {
    grads: &'a GradientsParams,
    total: Option<Tensor<1>>,
}

impl ModuleVisitor for SquaredNorm<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.get::<D>(param.id) {
            let s = g.square().sum();
            self.total = Some(match self.total.take() {
                Some(t) => t + s,
                None => s,
            });
        }
    }
}

struct Scale<'a> {
    grads: &'a mut GradientsParams,
    factor: f32,
}

impl ModuleVisitor for Scale<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        if let Some(g) = self.grads.remove::<D>(param.id) {
            self.grads.register(param.id, g.mul_scalar(self.factor));
        }
    }
}

/// Clips `grads` of `module` to a global norm of `max_norm`; returns the norm before clipping.
pub fn clip_global_norm<M: Module>(module: &M, grads: &mut GradientsParams, max_norm: f32) -> f32 {
    let mut v = SquaredNorm { grads, total: None };
    module.visit(&mut v);
    let Some(total) = v.total else { return 0.0 };
    let norm = total.into_scalar::<f32>().sqrt();
    if norm.is_finite() && norm > max_norm {
        module.visit(&mut Scale {
            grads,
            factor: max_norm / (norm + 1e-6),
        });
    }
    norm
}

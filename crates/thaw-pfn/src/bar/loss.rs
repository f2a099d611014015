//! The training loss of the bar distribution: cross-entropy of the target bins.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

/// Mean cross-entropy of `logits` (`[b, m, K]`) at the target `bins` (`[b, m]`): the
/// bar-distribution NLL up to the constant ln K (density NLL = this − ln K).
pub fn bar_cross_entropy(logits: Tensor<3>, bins: Tensor<2, Int>) -> Tensor<1> {
    bar_log_probs(logits, bins).mean().neg()
}

/// Log-probability of each target's bin under `logits` (`[b, m, K]`): `[b, m, 1]`.
pub fn bar_log_probs(logits: Tensor<3>, bins: Tensor<2, Int>) -> Tensor<3> {
    log_softmax(logits, 2).gather(2, bins.unsqueeze_dim(2))
}

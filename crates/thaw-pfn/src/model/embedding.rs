//! Token embedding (reference §1): features [t, h…] → d, plus a learned curve-id
//! embedding, plus y for context tokens.

use burn::module::Module;
use burn::nn::{Embedding, Linear};
use burn::tensor::{Int, Tensor};
use thaw_prior::{FEATURES, MAX_CURVE_ID};

use crate::init::Init;

/// Embeds tokens: `Linear(11 → d)` of `[(t − ½)·√12, h·10/d_h padded]` + `Embedding(1001, d)`
/// of the curve id, and for context tokens `Linear(1 → d)` of `(y − ½)·√12`.
///
/// The reference has a bias-free `Linear(1→d)` for t and a `Linear(10→d)` for the
/// hyperparameters; one `Linear(11→d)` spans the same functions.
#[derive(Module, Debug)]
pub struct TokenEmbedding {
    features: Linear,
    target: Linear,
    ids: Embedding,
}

impl TokenEmbedding {
    /// A `d`-wide embedding.
    pub fn new(d: usize, init: &mut Init) -> Self {
        Self {
            features: init.linear(FEATURES, d, true, false),
            target: init.linear(1, d, true, false),
            ids: init.embedding(MAX_CURVE_ID + 1, d),
        }
    }

    /// Embeds tokens without y: `ids` `[b, n]`, standardised features `[b, n, 11]`.
    pub fn tokens(&self, ids: Tensor<2, Int>, x: Tensor<3>) -> Tensor<3> {
        self.features.forward(x) + self.ids.forward(ids)
    }

    /// Adds the standardised targets `y` (`[b, n]`) to context token embeddings `[b, n, d]`.
    pub fn with_targets(&self, context: Tensor<3>, y: Tensor<2>) -> Tensor<3> {
        context + self.target.forward(y.unsqueeze_dim(2))
    }
}

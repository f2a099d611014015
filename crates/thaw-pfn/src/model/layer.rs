//! One post-LN encoder layer: x = LN(x + Attn(x)); x = LN(x + FFN(x)), exact GELU, no dropout.

use burn::module::Module;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::Tensor;
use burn::tensor::activation::gelu;

use super::attention::{Attention, KeyValues};
use crate::init::Init;

/// A transformer encoder layer whose attention reads keys/values from the context only.
#[derive(Module, Debug)]
pub struct EncoderLayer {
    attention: Attention,
    norm_attention: LayerNorm,
    ff_in: Linear,
    ff_out: Linear,
    norm_ff: LayerNorm,
}

impl EncoderLayer {
    /// A layer of width `d`, `n_heads` heads and feed-forward width `d_ff`; the attention
    /// output projection and the second feed-forward linear start at zero (reference §1).
    pub fn new(d: usize, n_heads: usize, d_ff: usize, init: &mut Init) -> Self {
        Self {
            attention: Attention::new(d, n_heads, init),
            norm_attention: init.layer_norm(d),
            ff_in: init.linear(d, d_ff, true, false),
            ff_out: init.linear(d_ff, d, true, true),
            norm_ff: init.layer_norm(d),
        }
    }

    /// Keys and values this layer derives from its context input (`[batch, n_ctx, d]`).
    pub fn keys_values(&self, context: Tensor<3>) -> KeyValues {
        self.attention.keys_values(context)
    }

    /// The layer applied to `tokens` (any mix of context and query tokens) attending to `kv`.
    pub fn forward(&self, tokens: Tensor<3>, kv: &KeyValues) -> Tensor<3> {
        let a = self.attention.attend(tokens.clone(), kv);
        let x = self.norm_attention.forward(tokens + a);
        let f = self.ff_out.forward(gelu(self.ff_in.forward(x.clone())));
        self.norm_ff.forward(x + f)
    }
}

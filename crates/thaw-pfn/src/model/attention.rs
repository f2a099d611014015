//! Multi-head attention where queries and keys/values come from different token sets.
//!
//! This is how the PFN mask is realised without an N×N mask: every token is a query,
//! only context tokens are keys and values. Context tokens thus attend to the context,
//! and each query token attends to the context only — never to itself or to other
//! queries. The context's keys and values can be computed once and reused for any
//! number of query chunks ([`KeyValues`]).

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::Tensor;
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;

use crate::init::Init;

/// Keys and values of the context tokens for one layer, `[batch, heads, n_ctx, d_head]`.
#[derive(Debug, Clone)]
pub struct KeyValues {
    /// Keys.
    pub keys: Tensor<4>,
    /// Values.
    pub values: Tensor<4>,
}

/// Scaled dot-product attention with `n_heads` heads and an output projection.
#[derive(Module, Debug)]
pub struct Attention {
    query: Linear,
    key: Linear,
    value: Linear,
    output: Linear,
    n_heads: usize,
}

impl Attention {
    /// A `d`-wide attention block; the output projection starts at zero.
    pub fn new(d: usize, n_heads: usize, init: &mut Init) -> Self {
        Self {
            query: init.linear(d, d, true, false),
            key: init.linear(d, d, true, false),
            value: init.linear(d, d, true, false),
            output: init.linear(d, d, true, true),
            n_heads,
        }
    }

    fn split_heads(&self, x: Tensor<3>) -> Tensor<4> {
        let [b, n, d] = x.dims();
        x.reshape([b, n, self.n_heads, d / self.n_heads])
            .swap_dims(1, 2)
    }

    /// Keys and values of `context` (`[batch, n_ctx, d]`).
    pub fn keys_values(&self, context: Tensor<3>) -> KeyValues {
        KeyValues {
            keys: self.split_heads(self.key.forward(context.clone())),
            values: self.split_heads(self.value.forward(context)),
        }
    }

    /// Attention of `queries` (`[batch, m, d]`) over the context's `kv`.
    pub fn attend(&self, queries: Tensor<3>, kv: &KeyValues) -> Tensor<3> {
        let q = self.split_heads(self.query.forward(queries));
        let out = attention(
            q,
            kv.keys.clone(),
            kv.values.clone(),
            None,
            None,
            AttentionModuleOptions::default(),
        );
        let [b, h, m, dh] = out.dims();
        self.output
            .forward(out.swap_dims(1, 2).reshape([b, m, h * dh]))
    }
}

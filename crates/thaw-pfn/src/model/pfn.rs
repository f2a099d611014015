//! The PFN: embedding → encoder layers (context-only keys) → decoder logits.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor};

use super::attention::KeyValues;
use super::embedding::TokenEmbedding;
use super::history::HISTORY_FEATURES;
use super::input::{PfnInput, TokenTensors};
use super::layer::EncoderLayer;
use crate::config::PfnConfig;
use crate::init::Init;

/// The transformer surrogate of reference §1.
#[derive(Module, Debug)]
pub struct Pfn {
    embedding: TokenEmbedding,
    layers: Vec<EncoderLayer>,
    decoder_in: Linear,
    decoder_out: Linear,
    /// `Linear(3 → d)` of the history features (`PfnConfig::history`); none in the
    /// paper's architecture.
    history: Option<Linear>,
}

/// The context side of a forward pass, computed once: keys/values of every layer.
#[derive(Debug, Clone)]
pub struct ContextCache {
    layers: Vec<KeyValues>,
}

impl Pfn {
    /// A freshly initialised model; the same `seed` gives the same weights on any backend.
    pub fn new(config: &PfnConfig, seed: u64, device: &Device) -> Self {
        let mut init = Init::new(seed, device);
        let d = config.d_model;
        Self {
            embedding: TokenEmbedding::new(d, &mut init),
            layers: (0..config.n_layers)
                .map(|_| EncoderLayer::new(d, config.n_heads, config.d_ff, &mut init))
                .collect(),
            decoder_in: init.linear(d, config.d_decoder, true, false),
            decoder_out: init.linear(config.d_decoder, config.n_bins, true, false),
            // Drawn last, so that the paper architecture's weights of a seed stay the same.
            history: config
                .history
                .then(|| init.linear(HISTORY_FEATURES, d, true, false)),
        }
    }

    /// Token embeddings without targets, history included where the model has it.
    fn embed(&self, tokens: TokenTensors) -> Tensor<3> {
        let h = self.embedding.tokens(tokens.ids, tokens.x);
        match &self.history {
            Some(linear) => h + linear.forward(tokens.history),
            None => h,
        }
    }

    /// Logits `[b, m, n_bins]` for the query tokens of `input` (training path: context
    /// and queries in one pass, queries never attended to).
    pub fn forward(&self, input: PfnInput) -> Tensor<3> {
        let n = input.n_ctx;
        let h = self.embed(input.tokens);
        let [_, total, _] = h.dims();
        let context = self
            .embedding
            .with_targets(h.clone().narrow(1, 0, n), input.y_context);
        let mut h = Tensor::cat(vec![context, h.narrow(1, n, total - n)], 1);
        for layer in &self.layers {
            let kv = layer.keys_values(h.clone().narrow(1, 0, n));
            h = layer.forward(h, &kv);
        }
        self.decode(h.narrow(1, n, total - n))
    }

    /// Runs the context (`tokens` with standardised targets `y`) through every layer and
    /// keeps each layer's keys/values, so queries can be evaluated in chunks.
    pub fn encode_context(&self, tokens: TokenTensors, y: Tensor<2>) -> ContextCache {
        let mut h = self.embedding.with_targets(self.embed(tokens), y);
        let mut layers = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let kv = layer.keys_values(h.clone());
            h = layer.forward(h, &kv);
            layers.push(kv);
        }
        ContextCache { layers }
    }

    /// Logits `[b, m, n_bins]` of query `tokens` given an encoded context.
    pub fn predict(&self, cache: &ContextCache, tokens: TokenTensors) -> Tensor<3> {
        let mut h = self.embed(tokens);
        for (layer, kv) in self.layers.iter().zip(&cache.layers) {
            h = layer.forward(h, kv);
        }
        self.decode(h)
    }

    fn decode(&self, h: Tensor<3>) -> Tensor<3> {
        self.decoder_out.forward(gelu(self.decoder_in.forward(h)))
    }
}

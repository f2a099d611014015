//! Model architecture (`PfnConfig`) and its presets.

use serde::{Deserialize, Serialize};

use crate::error::{PfnError, Result};

/// The PFN's architecture (reference §1). Every field can be overridden from the CLI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PfnConfig {
    /// Width of the token embedding and of every layer.
    pub d_model: usize,
    /// Number of post-LN encoder layers.
    pub n_layers: usize,
    /// Attention heads per layer (must divide `d_model`).
    pub n_heads: usize,
    /// Hidden width of each layer's feed-forward block.
    pub d_ff: usize,
    /// Hidden width of the decoder MLP.
    pub d_decoder: usize,
    /// Bins of the output bar distribution on [0, 1].
    pub n_bins: usize,
    /// The history extension (not in the paper): every token also embeds its curve's
    /// latest earlier context observation (`model::history`). Off in every preset;
    /// absent from a `config.json` means off.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub history: bool,
}

impl PfnConfig {
    /// Preset names, smallest first.
    pub const PRESETS: [&'static str; 3] = ["tiny", "small", "paper"];

    /// `tiny`: for unit tests (trains a step in milliseconds).
    pub fn tiny() -> Self {
        Self {
            d_model: 32,
            n_layers: 2,
            n_heads: 2,
            d_ff: 64,
            d_decoder: 64,
            n_bins: 100,
            history: false,
        }
    }

    /// `small`: trainable on 2 CPU cores within an hour (d 128, 3 layers).
    pub fn small() -> Self {
        Self {
            d_model: 128,
            n_layers: 3,
            n_heads: 4,
            d_ff: 256,
            d_decoder: 256,
            n_bins: 1000,
            history: false,
        }
    }

    /// `paper`: the FT-PFN shape (d 512, 6 layers, 4 heads, ff 1024, 1000 bins; ≈14.7 M parameters).
    pub fn paper() -> Self {
        Self {
            d_model: 512,
            n_layers: 6,
            n_heads: 4,
            d_ff: 1024,
            d_decoder: 1024,
            n_bins: 1000,
            history: false,
        }
    }

    /// A preset by name.
    pub fn preset(name: &str) -> Result<Self> {
        match name {
            "tiny" => Ok(Self::tiny()),
            "small" => Ok(Self::small()),
            "paper" => Ok(Self::paper()),
            other => Err(PfnError::InvalidConfig(format!(
                "unknown model preset {other:?}; choose one of {}",
                Self::PRESETS.join(", ")
            ))),
        }
    }

    /// Checks that the shapes fit together.
    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(PfnError::InvalidConfig(m));
        if [
            self.d_model,
            self.n_layers,
            self.n_heads,
            self.d_ff,
            self.d_decoder,
        ]
        .contains(&0)
        {
            return bad(format!("every size must be positive: {self:?}"));
        }
        if !self.d_model.is_multiple_of(self.n_heads) {
            return bad(format!(
                "d_model {} is not a multiple of n_heads {}",
                self.d_model, self.n_heads
            ));
        }
        if self.n_bins < 2 {
            return bad(format!("n_bins {} < 2", self.n_bins));
        }
        Ok(())
    }

    /// Number of trainable parameters.
    pub fn num_params(&self) -> usize {
        let (d, f, h, b) = (self.d_model, self.d_ff, self.d_decoder, self.n_bins);
        let embed = (thaw_prior::FEATURES + 1) * d + 2 * d + (thaw_prior::MAX_CURVE_ID + 1) * d;
        let layer = 4 * (d * d + d) + 2 * 2 * d + (d * f + f) + (f * d + d);
        let decoder = d * h + h + h * b + b;
        let history = if self.history { 4 * d } else { 0 };
        embed + self.n_layers * layer + decoder + history
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_preset_has_the_published_size() {
        let n = PfnConfig::paper().num_params() as f64;
        // Reference §1: ≈14.7 M parameters.
        assert!((n / 14.7e6 - 1.0).abs() < 0.02, "{n}");
    }

    #[test]
    fn presets_validate_and_bad_shapes_do_not() {
        for p in PfnConfig::PRESETS {
            PfnConfig::preset(p).unwrap().validate().unwrap();
        }
        assert!(PfnConfig::preset("huge").is_err());
        let c = PfnConfig {
            n_heads: 3,
            ..PfnConfig::tiny()
        };
        assert!(c.validate().is_err());
    }
}

//! The token layout shared by every prior and by inference (reference §1).
//!
//! A sequence is `n` context tokens followed by `N − n` query tokens. Each token has a
//! curve id (0 = a curve with no context points, 1..=1000 = labels of curves that
//! have some), features `[t, h_1 … h_10]` and a target y. Hyperparameters are
//! multiplied by 10/d_h and zero-padded to 10 by [`encode_hps`]; t and y stay in
//! [0, 1] (the model standardises them).

use crate::error::{PriorError, Result};

/// Largest number of hyperparameters a token carries.
pub const MAX_HPS: usize = 10;
/// Features per token: t then the padded hyperparameters.
pub const FEATURES: usize = 1 + MAX_HPS;
/// Largest curve id (the id embedding has `MAX_CURVE_ID + 1` rows; 0 = unseen curve).
pub const MAX_CURVE_ID: usize = 1000;

/// Writes `hps` (each in [0, 1]) scaled by 10/d_h and zero-padded into `out[..MAX_HPS]`.
pub fn encode_hps(hps: &[f32], out: &mut [f32]) -> Result<()> {
    if hps.len() > MAX_HPS {
        return Err(PriorError::InvalidArgument(format!(
            "{} hyperparameters; at most {MAX_HPS} are supported",
            hps.len()
        )));
    }
    let scale = if hps.is_empty() {
        0.0
    } else {
        MAX_HPS as f32 / hps.len() as f32
    };
    for (i, slot) in out[..MAX_HPS].iter_mut().enumerate() {
        *slot = hps.get(i).map_or(0.0, |h| h * scale);
    }
    Ok(())
}

/// Writes one token's features, `[t, h·10/d_h padded to 10]`, into `out[..FEATURES]`.
pub fn encode_token(t: f32, hps: &[f32], out: &mut [f32]) -> Result<()> {
    out[0] = t;
    encode_hps(hps, &mut out[1..FEATURES])
}

/// One training sequence: `len` tokens, the first `n_ctx` of them context.
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    /// Curve id per token.
    pub ids: Vec<i64>,
    /// Features per token, row-major `[len, FEATURES]`.
    pub x: Vec<f32>,
    /// Target per token (context tokens show it to the model; query tokens are scored on it).
    pub y: Vec<f32>,
}

impl Sequence {
    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the sequence has no tokens.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// A batch of equally long sequences sharing one context size.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// Number of sequences.
    pub batch: usize,
    /// Tokens per sequence.
    pub seq_len: usize,
    /// Context tokens at the start of every sequence (1 ≤ n_ctx < seq_len).
    pub n_ctx: usize,
    /// Curve ids, `[batch, seq_len]`.
    pub ids: Vec<i64>,
    /// Token features, `[batch, seq_len, FEATURES]`.
    pub x: Vec<f32>,
    /// Targets, `[batch, seq_len]`.
    pub y: Vec<f32>,
}

impl Batch {
    /// Stacks sequences of equal length into a batch.
    pub fn stack(sequences: Vec<Sequence>, n_ctx: usize) -> Result<Self> {
        let batch = sequences.len();
        let seq_len = sequences.first().map_or(0, Sequence::len);
        if batch == 0 || seq_len == 0 {
            return Err(PriorError::InvalidArgument("empty batch".into()));
        }
        if n_ctx == 0 || n_ctx >= seq_len {
            return Err(PriorError::InvalidArgument(format!(
                "context size {n_ctx} must lie in 1..{seq_len}"
            )));
        }
        let mut out = Batch {
            batch,
            seq_len,
            n_ctx,
            ids: Vec::with_capacity(batch * seq_len),
            x: Vec::with_capacity(batch * seq_len * FEATURES),
            y: Vec::with_capacity(batch * seq_len),
        };
        for s in sequences {
            if s.len() != seq_len || s.x.len() != seq_len * FEATURES || s.y.len() != seq_len {
                return Err(PriorError::InvalidArgument(
                    "sequences of different lengths".into(),
                ));
            }
            out.ids.extend(s.ids);
            out.x.extend(s.x);
            out.y.extend(s.y);
        }
        Ok(out)
    }

    /// Number of query tokens per sequence.
    pub fn n_query(&self) -> usize {
        self.seq_len - self.n_ctx
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hps_are_scaled_by_ten_over_d_and_padded() {
        let mut out = [9.0; MAX_HPS];
        encode_hps(&[0.5, 1.0], &mut out).unwrap();
        assert_eq!(out[0], 2.5);
        assert_eq!(out[1], 5.0);
        assert!(out[2..].iter().all(|&v| v == 0.0));
        assert!(encode_hps(&[0.1; 11], &mut out).is_err());
    }

    #[test]
    fn stack_checks_context_size() {
        let s = Sequence {
            ids: vec![1, 0],
            x: vec![0.0; 2 * FEATURES],
            y: vec![0.5, 0.5],
        };
        assert!(Batch::stack(vec![s.clone()], 0).is_err());
        assert!(Batch::stack(vec![s.clone()], 2).is_err());
        let b = Batch::stack(vec![s.clone(), s], 1).unwrap();
        assert_eq!((b.batch, b.seq_len, b.n_query()), (2, 2, 1));
    }
}

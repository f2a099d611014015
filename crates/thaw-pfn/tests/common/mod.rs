//! Shared helpers: a small synthetic prior (no data files needed).

#![allow(dead_code)]

use thaw_prior::{
    Batch, ContextSize, FEATURES, Prior, Result, Sequence, encode_token, layout_slots, rng_for,
};

/// Curves y(t) = h0 · (1 − e^(−(1 + 5 h1) t)) over 20 epochs for 30 random configs of 3 hps.
pub struct ToyPrior;

impl Prior for ToyPrior {
    fn sample(&self, seed: u64, step: u64, batch: usize, seq_len: usize) -> Result<Batch> {
        use rand::RngExt;
        let mut rng = rng_for(seed, &[step]);
        let n_ctx = ContextSize::Uniform.draw(seq_len, &mut rng)?;
        let seqs = (0..batch)
            .map(|_| {
                let hps: Vec<[f32; 3]> = (0..30)
                    .map(|_| [rng.random(), rng.random(), rng.random()])
                    .collect();
                let l = layout_slots(30, 20, seq_len, n_ctx, &mut rng)?;
                let mut s = Sequence {
                    ids: vec![],
                    x: vec![0.0; seq_len * FEATURES],
                    y: vec![],
                };
                for (i, (&c, &e)) in l.curve.iter().zip(&l.epoch).enumerate() {
                    let t = e as f32 / 20.0;
                    let h = hps[c];
                    encode_token(t, &h, &mut s.x[i * FEATURES..(i + 1) * FEATURES])?;
                    s.y.push(h[0] * (1.0 - (-(1.0 + 5.0 * h[1]) * t).exp()));
                    s.ids.push(if i < n_ctx || l.curve[..n_ctx].contains(&c) {
                        c as i64 + 1
                    } else {
                        0
                    });
                }
                Ok(s)
            })
            .collect::<Result<Vec<_>>>()?;
        Batch::stack(seqs, n_ctx)
    }
}

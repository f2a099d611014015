//! Turning a [`SlotLayout`] into a [`Sequence`]: curve labels and token features.
//! Shared by every prior, so the id rule and the token layout exist once.
//!
//! Id rule: every curve with at least one context point gets its own label, drawn
//! without replacement from 1..=[`MAX_CURVE_ID`]; every token of a curve without
//! context points (all of them queries) gets id 0 — exactly what a surrogate sees at
//! inference, where a brand-new candidate has no id. (Reference §1 gives a second query
//! of such a curve a nonzero id in training; we keep 0 so training matches inference.)

use rand::Rng;
use rand::seq::index;

use crate::batch::{FEATURES, MAX_CURVE_ID, Sequence, encode_token};
use crate::error::{PriorError, Result};
use crate::layout::SlotLayout;

/// Labels per curve index (`curves` of them): distinct random ids for curves with
/// context points, 0 for the others.
pub fn curve_labels<R: Rng + ?Sized>(
    layout: &SlotLayout,
    curves: usize,
    rng: &mut R,
) -> Result<Vec<i64>> {
    let mut seen = vec![false; curves];
    let mut with_context = Vec::new();
    for &c in &layout.curve[..layout.n_ctx] {
        let slot = seen.get_mut(c).ok_or_else(|| {
            PriorError::InvalidArgument(format!("curve index {c} ≥ {curves} curves"))
        })?;
        if !std::mem::replace(slot, true) {
            with_context.push(c);
        }
    }
    if with_context.len() > MAX_CURVE_ID {
        return Err(PriorError::InvalidArgument(format!(
            "{} curves with context; ids stop at {MAX_CURVE_ID}",
            with_context.len()
        )));
    }
    let mut labels = vec![0i64; curves];
    for (&c, l) in with_context
        .iter()
        .zip(index::sample(rng, MAX_CURVE_ID, with_context.len()))
    {
        labels[c] = l as i64 + 1;
    }
    Ok(labels)
}

/// Builds the sequence of `layout`: position i shows curve `layout.curve[i]` at
/// t = `layout.epoch[i] / levels`, with that curve's hyperparameters (`hps(curve)`)
/// and target `y(curve, epoch)`.
pub fn assemble<'h, H, Y>(
    layout: &SlotLayout,
    labels: &[i64],
    levels: usize,
    mut hps: H,
    mut y: Y,
) -> Result<Sequence>
where
    H: FnMut(usize) -> &'h [f32],
    Y: FnMut(usize, usize) -> f32,
{
    let len = layout.curve.len();
    let mut seq = Sequence {
        ids: Vec::with_capacity(len),
        x: vec![0.0; len * FEATURES],
        y: Vec::with_capacity(len),
    };
    for (i, (&c, &e)) in layout.curve.iter().zip(&layout.epoch).enumerate() {
        encode_token(
            e as f32 / levels as f32,
            hps(c),
            &mut seq.x[i * FEATURES..(i + 1) * FEATURES],
        )?;
        seq.y.push(y(c, e));
        seq.ids.push(labels[c]);
    }
    Ok(seq)
}

//! The history extension (`PfnConfig::history`, #15): every token also carries its own
//! curve's latest earlier observation from the context, so that continuing a curve
//! needs no attention search for the curve's points.
//!
//! For a token of curve id k ≠ 0 at time t, the source is the context token of curve k
//! with the largest t' < t (a query's own target is never a source: only context
//! tokens are). Its features are `[(y' − ½)·√12, (t − t')·√12, 1]`; a token without one
//! (id 0, a new curve, the curve's first point) gets `[0, 0, 0]`. Zeroing a query's id,
//! as the id-gain ablation does, therefore also hides its history.

use std::collections::HashMap;

/// Features per token.
pub const HISTORY_FEATURES: usize = 3;

/// √12 (times a t difference in [0, 1]).
const SQRT_12: f32 = 3.464_101_6;

/// History features (`tokens × 3`) of `tokens` (ids and raw t in [0, 1]) given the
/// context's ids, raw t and raw y, all of one sequence.
pub fn history_features(
    ctx_ids: &[i64],
    ctx_t: &[f32],
    ctx_y: &[f32],
    tok_ids: &[i64],
    tok_t: &[f32],
) -> Vec<f32> {
    let mut by_curve: HashMap<i64, Vec<(f32, f32)>> = HashMap::new();
    for ((&id, &t), &y) in ctx_ids.iter().zip(ctx_t).zip(ctx_y) {
        if id != 0 {
            by_curve.entry(id).or_default().push((t, y));
        }
    }
    for points in by_curve.values_mut() {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    let mut out = vec![0.0; tok_ids.len() * HISTORY_FEATURES];
    for (k, (&id, &t)) in tok_ids.iter().zip(tok_t).enumerate() {
        let Some(points) = by_curve.get(&id) else {
            continue;
        };
        // Points before t: the last of them is the latest earlier observation.
        let before = points.partition_point(|p| p.0 < t);
        if let Some(&(t_prev, y_prev)) = before.checked_sub(1).map(|i| &points[i]) {
            let f = &mut out[k * HISTORY_FEATURES..(k + 1) * HISTORY_FEATURES];
            f[0] = standardise(y_prev);
            f[1] = (t - t_prev) * SQRT_12;
            f[2] = 1.0;
        }
    }
    out
}

/// √12: the inverse standard deviation of U(0, 1).
const INV_STD_UNIFORM: f32 = 3.464_101_6;

/// `(v − ½)·√12`: a value in [0, 1] standardised as the reference embeds t and y.
pub fn standardise(v: f32) -> f32 {
    (v - 0.5) * INV_STD_UNIFORM
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_token_sees_its_curves_latest_earlier_context_point_only() {
        // Context: curve 1 at t 0.2 (y 0.3) and 0.6 (y 0.5), shuffled; curve 2 at 0.4.
        let (ids, t, y) = ([1, 2, 1], [0.6, 0.4, 0.2], [0.5, 0.9, 0.3]);
        let h = history_features(
            &ids,
            &t,
            &y,
            &[1, 1, 1, 2, 0, 3],
            &[0.2, 0.6, 0.8, 0.4, 0.9, 0.5],
        );
        let row = |k: usize| &h[k * 3..k * 3 + 3];
        assert_eq!(row(0), [0.0, 0.0, 0.0], "the curve's first point has none");
        assert_eq!(row(1)[0], standardise(0.3));
        assert!((row(1)[1] - 0.4 * SQRT_12).abs() < 1e-6);
        assert_eq!(row(1)[2], 1.0);
        assert_eq!(row(2)[0], standardise(0.5), "the latest earlier one");
        assert_eq!(row(3), [0.0, 0.0, 0.0], "its own point is not earlier");
        assert_eq!(row(4), [0.0, 0.0, 0.0], "id 0 has no curve");
        assert_eq!(row(5), [0.0, 0.0, 0.0], "a curve without context points");
    }
}

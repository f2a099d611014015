//! Covariance functions as burn tensor expressions (differentiable in their parameters).

use burn::tensor::{Device, Tensor};

use crate::models::tensors::matrix;

/// Squared distances between the rows of `a` ([n, d]) and `b` ([m, d]), each feature
/// divided by its length scale: `[n, m]`, clamped at 0.
pub fn scaled_sq_dist(a: Tensor<2>, b: Tensor<2>, log_ls: Tensor<1>) -> Tensor<2> {
    let inv = log_ls.neg().exp().unsqueeze_dim::<2>(0);
    let (a, b) = (a * inv.clone(), b * inv);
    let aa = a.clone().square().sum_dim(1);
    let bb = b.clone().square().sum_dim(1).transpose();
    (aa + bb - a.matmul(b.transpose()).mul_scalar(2.0)).clamp_min(0.0)
}

/// Squared differences of two row-major point sets (`a`: n × d, `b`: m × d) feature by
/// feature, as a constant `[d, n·m]` tensor for [`scaled_sq_dist_from_parts`]. Computed
/// from the raw differences, so equal rows are exactly 0 apart.
pub fn sq_diff_parts(a: &[f32], b: &[f32], d: usize, device: &Device) -> Tensor<2> {
    let (n, m) = (a.len() / d.max(1), b.len() / d.max(1));
    let mut out = vec![0.0f32; d * n * m];
    for k in 0..d {
        let row = &mut out[k * n * m..(k + 1) * n * m];
        for i in 0..n {
            let ai = a[i * d + k];
            for j in 0..m {
                let diff = ai - b[j * d + k];
                row[i * m + j] = diff * diff;
            }
        }
    }
    matrix(out, d, n * m, device)
}

/// Σ_k parts_k / ℓ_k² reshaped to `[n, m]`: the same distances as [`scaled_sq_dist`] but
/// exact for equal rows however short the length scales (the expanded form
/// |a|² + |b|² − 2ab loses everything to f32 cancellation once a length scale is
/// ~1e-4, and the covariance then stops being positive definite). One matrix product,
/// differentiable in the length scales.
pub fn scaled_sq_dist_from_parts(
    parts: Tensor<2>,
    log_ls: Tensor<1>,
    n: usize,
    m: usize,
) -> Tensor<2> {
    let inv_sq = log_ls.mul_scalar(-2.0).exp().unsqueeze_dim::<2>(0);
    inv_sq.matmul(parts).reshape([n, m])
}

/// Matérn 5/2 correlation of squared scaled distances (a tiny offset keeps the square
/// root differentiable at 0).
pub fn matern52(sq: Tensor<2>) -> Tensor<2> {
    let s5r = sq.clone().add_scalar(1e-9).sqrt().mul_scalar(5f32.sqrt());
    (s5r.clone().add_scalar(1.0) + sq.mul_scalar(5.0 / 3.0)) * s5r.neg().exp()
}

/// Squared-exponential correlation of squared scaled distances.
pub fn squared_exponential(sq: Tensor<2>) -> Tensor<2> {
    sq.mul_scalar(-0.5).exp()
}

/// Swersky et al.'s exponential-decay kernel (β / (t + t' + β))^α between progress
/// values `ta` ([n]) and `tb` ([m]): a mixture of decaying exponentials e^(−λt) with
/// Gamma(α, β)-distributed rates.
pub fn exp_decay(
    ta: Tensor<1>,
    tb: Tensor<1>,
    log_alpha: Tensor<1>,
    log_beta: Tensor<1>,
) -> Tensor<2> {
    let beta = log_beta.clone().exp().unsqueeze_dim::<2>(0);
    let sum = ta.unsqueeze_dim::<2>(1) + tb.unsqueeze_dim::<2>(0) + beta;
    let alpha = log_alpha.exp().unsqueeze_dim::<2>(0);
    ((sum.log().neg() + log_beta.unsqueeze_dim::<2>(0)) * alpha).exp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::tensors::{column, values};

    #[test]
    fn distances_from_parts_stay_zero_for_equal_rows_at_tiny_length_scales() {
        let dev = Device::flex();
        let raw = vec![0.3, 0.9, 0.7, 0.1, 0.3, 0.9];
        let a = matrix(raw.clone(), 3, 2, &dev);
        let parts = sq_diff_parts(&raw, &raw, 2, &dev);
        // Moderate length scales: both forms agree.
        let ls = column(vec![0.5f32.ln(), 2f32.ln()], &dev);
        let (x, y) = (
            values(&scaled_sq_dist(a.clone(), a.clone(), ls.clone())),
            values(&scaled_sq_dist_from_parts(parts.clone(), ls, 3, 3)),
        );
        assert!(
            x.iter().zip(&y).all(|(p, q)| (p - q).abs() < 1e-5),
            "{x:?} {y:?}"
        );
        // ℓ = 1e-4 on the first feature: rows 0 and 2 are equal, their distance is 0.
        let ls = column(vec![1e-4f32.ln(), 0.0], &dev);
        let d = values(&scaled_sq_dist_from_parts(parts, ls, 3, 3));
        assert_eq!([d[0], d[2], d[4], d[6], d[8]], [0.0; 5], "{d:?}");
        assert!(
            (d[1] - (0.4f64 / 1e-4).powi(2)).abs() / d[1] < 1e-3,
            "{d:?}"
        );
    }
}

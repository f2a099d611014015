//! Covariance functions as burn tensor expressions (differentiable in their parameters).

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};

/// A trainable scalar (shape [1]) with initial value `v`.
pub fn scalar(v: f32, device: &Device) -> Param<Tensor<1>> {
    Param::from_tensor(Tensor::from_data(TensorData::new(vec![v], [1]), device))
}

/// A trainable vector filled with `v`.
pub fn vector(v: f32, n: usize, device: &Device) -> Param<Tensor<1>> {
    Param::from_tensor(Tensor::from_data(TensorData::new(vec![v; n], [n]), device))
}

/// Row-major `[rows, cols]` data as a tensor.
pub fn matrix(values: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

/// A `[n]` tensor.
pub fn column(values: Vec<f32>, device: &Device) -> Tensor<1> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n]), device)
}

/// Squared distances between the rows of `a` ([n, d]) and `b` ([m, d]), each feature
/// divided by its length scale: `[n, m]`, clamped at 0.
pub fn scaled_sq_dist(a: Tensor<2>, b: Tensor<2>, log_ls: Tensor<1>) -> Tensor<2> {
    let inv = log_ls.neg().exp().unsqueeze_dim::<2>(0);
    let (a, b) = (a * inv.clone(), b * inv);
    let aa = a.clone().square().sum_dim(1);
    let bb = b.clone().square().sum_dim(1).transpose();
    (aa + bb - a.matmul(b.transpose()).mul_scalar(2.0)).clamp_min(0.0)
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

/// Reads a tensor's values as f64.
pub fn values<const D: usize>(t: &Tensor<D>) -> Vec<f64> {
    t.to_data()
        .try_to_vec::<f32>()
        .map(|v| v.into_iter().map(f64::from).collect())
        .unwrap_or_default()
}

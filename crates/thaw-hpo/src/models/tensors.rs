//! Small conversions between values and burn tensors that the neural and GP curve
//! models share.

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

/// Reads a tensor's values as f64.
pub fn values<const D: usize>(t: &Tensor<D>) -> Vec<f64> {
    t.to_data()
        .try_to_vec::<f32>()
        .map(|v| v.into_iter().map(f64::from).collect())
        .unwrap_or_default()
}

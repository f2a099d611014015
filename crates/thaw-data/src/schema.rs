//! The description of a benchmark that travels with its Parquet file: metric,
//! direction, hyperparameter names with bounds and scales.

use serde::{Deserialize, Serialize};

/// How a hyperparameter was sampled, and so how it is mapped to [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    /// Uniform in the value itself.
    Linear,
    /// Log-uniform in the value (value > 0).
    Log,
    /// Log-uniform in 1 − value (value < 1), as Adam's β1 and β2 in TaskSet.
    Log1m,
}

/// One hyperparameter of a benchmark's search space.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HyperParameter {
    /// Column name in the Parquet file.
    pub name: String,
    /// Lower bound of the raw value.
    pub low: f64,
    /// Upper bound of the raw value.
    pub high: f64,
    /// Sampling scale.
    pub scale: Scale,
    /// Whether the raw value is an integer.
    #[serde(default)]
    pub integer: bool,
}

impl HyperParameter {
    /// A hyperparameter with the given bounds and scale (not an integer).
    pub fn new(name: &str, low: f64, high: f64, scale: Scale) -> Self {
        Self {
            name: name.to_string(),
            low,
            high,
            scale,
            integer: false,
        }
    }

    /// The same hyperparameter, marked integer-valued.
    pub fn integer(mut self) -> Self {
        self.integer = true;
        self
    }

    /// Maps a raw value to [0, 1], uniform for the sampler.
    ///
    /// Values outside the bounds map outside [0, 1]; callers clamp and count them.
    pub fn encode(&self, value: f64) -> f64 {
        let g = |x: f64| match self.scale {
            Scale::Linear => x,
            Scale::Log => x.ln(),
            Scale::Log1m => (1.0 - x).ln(),
        };
        let (lo, hi) = (g(self.low), g(self.high));
        (g(value) - lo) / (hi - lo)
    }

    /// Maps a point of [0, 1] back to a raw value (inverse of [`encode`](Self::encode)).
    pub fn decode(&self, u: f64) -> f64 {
        let lerp = |a: f64, b: f64| a + u * (b - a);
        match self.scale {
            Scale::Linear => lerp(self.low, self.high),
            Scale::Log => lerp(self.low.ln(), self.high.ln()).exp(),
            Scale::Log1m => 1.0 - lerp((1.0 - self.low).ln(), (1.0 - self.high).ln()).exp(),
        }
    }

    /// Checks that a raw value can be encoded: finite, and inside the scale's domain
    /// (> 0 for `log`, < 1 for `log1m`). Values merely outside the bounds pass.
    pub fn check_value(&self, x: f64) -> Result<(), String> {
        match self.scale {
            _ if !x.is_finite() => Err(format!("non-finite hyperparameter ({x})")),
            Scale::Log if x <= 0.0 => Err(format!("{x} is not positive, but the scale is log")),
            Scale::Log1m if x >= 1.0 => Err(format!(
                "{x} is not below 1, but the scale is log1m (log-uniform in 1 − x)"
            )),
            _ => Ok(()),
        }
    }

    /// Checks that the bounds make sense for the scale.
    pub fn validate(&self) -> Result<(), String> {
        let ok = match self.scale {
            Scale::Linear => self.low < self.high,
            Scale::Log => 0.0 < self.low && self.low < self.high,
            Scale::Log1m => self.low < self.high && self.high < 1.0,
        };
        if ok && self.low.is_finite() && self.high.is_finite() {
            Ok(())
        } else {
            Err(format!(
                "hyperparameter `{}`: bounds [{}, {}] do not fit scale {:?}",
                self.name, self.low, self.high, self.scale
            ))
        }
    }
}

/// A learning-curve split stored as a list column (`valid` is always present).
pub const SPLITS: [&str; 3] = ["valid", "train", "test"];

/// File-level description of a benchmark, stored as Parquet key-value metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkMeta {
    /// Benchmark name (`taskset`, `lcbench`).
    pub benchmark: String,
    /// Name of the curve metric (e.g. `loss`, `cross_entropy`).
    pub metric: String,
    /// Whether lower metric values are better.
    pub minimize: bool,
    /// Whether curve point 0 is the value before any training (dropped by normalisation).
    pub initial_point: bool,
    /// The search space, in column order.
    pub hyperparameters: Vec<HyperParameter>,
    /// Which curve splits the file holds, `valid` first.
    pub splits: Vec<String>,
    /// Where the data came from.
    pub source: String,
}

/// Key of the JSON-encoded [`BenchmarkMeta`] in a Parquet file's key-value metadata.
pub const META_KEY: &str = "thaw.benchmark";
/// Key of the format version in a Parquet file's key-value metadata.
pub const VERSION_KEY: &str = "thaw.format_version";
/// The format version this crate writes and reads.
pub const FORMAT_VERSION: &str = "1";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_is_uniform_for_the_sampler_and_decode_inverts_it() {
        let lr = HyperParameter::new("lr", 1e-8, 10.0, Scale::Log);
        assert!((lr.encode(1e-8)).abs() < 1e-12);
        assert!((lr.encode(10.0) - 1.0).abs() < 1e-12);
        // geometric midpoint of [1e-8, 10] is 10^-3.5
        assert!((lr.encode(10f64.powf(-3.5)) - 0.5).abs() < 1e-12);
        let b1 = HyperParameter::new("beta1", 0.0, 1.0 - 1e-4, Scale::Log1m);
        assert!(b1.encode(0.0).abs() < 1e-12);
        assert!((b1.encode(1.0 - 1e-4) - 1.0).abs() < 1e-9);
        assert!(
            (b1.encode(0.99) - 0.5).abs() < 1e-9,
            "1-0.99 = 1e-2 is the log-midpoint of [1e-4, 1]"
        );
        assert!(
            b1.encode(0.9) < b1.encode(0.99),
            "encoding increases with beta"
        );
        for h in [&lr, &b1] {
            for u in [0.0, 0.1, 0.5, 0.77, 1.0] {
                assert!(
                    (h.encode(h.decode(u)) - u).abs() < 1e-9,
                    "{} at {u}",
                    h.name
                );
            }
        }
    }

    #[test]
    fn validate_rejects_bounds_that_do_not_fit_the_scale() {
        assert!(
            HyperParameter::new("x", 0.0, 1.0, Scale::Log)
                .validate()
                .is_err()
        );
        assert!(
            HyperParameter::new("x", 0.0, 1.0, Scale::Log1m)
                .validate()
                .is_err()
        );
        assert!(
            HyperParameter::new("x", 2.0, 1.0, Scale::Linear)
                .validate()
                .is_err()
        );
        assert!(
            HyperParameter::new("x", 0.0, f64::INFINITY, Scale::Linear)
                .validate()
                .is_err()
        );
        assert!(
            HyperParameter::new("x", 0.0, 0.999, Scale::Log1m)
                .validate()
                .is_ok()
        );
    }
}

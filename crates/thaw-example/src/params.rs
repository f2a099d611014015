//! The hyperparameters `mlp-adam` accepts in `THAW_PARAMS`, with their defaults.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::{Result, input};

/// Hidden-layer nonlinearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// max(0, x).
    Relu,
    /// tanh(x).
    Tanh,
    /// Gaussian error linear unit.
    Gelu,
}

impl Activation {
    const NAMES: [(&'static str, Self); 3] = [
        ("relu", Self::Relu),
        ("tanh", Self::Tanh),
        ("gelu", Self::Gelu),
    ];

    fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, a)| *a == self)
            .expect("named")
            .0
    }
}

/// One configuration, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Adam learning rate (> 0).
    pub lr: f64,
    /// Adam β₁ in [0, 1).
    pub beta1: f64,
    /// Adam β₂ in [0, 1).
    pub beta2: f64,
    /// Adam ε (> 0).
    pub eps: f64,
    /// L2 penalty added to the gradient, as `torch.optim.Adam(weight_decay=…)` (≥ 0).
    pub weight_decay: f64,
    /// Width of each hidden layer (1..=1024).
    pub hidden: usize,
    /// Number of hidden layers (0..=8; 0 is multinomial logistic regression).
    pub layers: usize,
    /// Hidden nonlinearity.
    pub activation: Activation,
    /// Mini-batch size (1..=4096).
    pub batch: usize,
    /// Seed of the initial weights and of every epoch's shuffle.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            hidden: 64,
            layers: 2,
            activation: Activation::Relu,
            batch: 32,
            seed: 0,
        }
    }
}

/// The accepted names, in the order of the usage text.
pub const NAMES: [&str; 10] = [
    "lr",
    "beta1",
    "beta2",
    "eps",
    "weight_decay",
    "hidden",
    "layers",
    "activation",
    "batch",
    "seed",
];

/// The parameters a resumed run cannot change: they fix the network's shape, its
/// initial weights and every epoch's shuffle. The others (Adam's and the batch size)
/// may change from one segment to the next, as PBT's explore step does.
pub const FIXED: [&str; 4] = ["hidden", "layers", "activation", "seed"];

impl Params {
    /// Checks `map` (the `THAW_PARAMS` object): unknown names, wrong types and values out
    /// of range are errors naming the parameter; missing ones take their defaults.
    pub fn from_json(map: &Map<String, Value>) -> Result<Self> {
        let unknown: Vec<&str> = map
            .keys()
            .map(String::as_str)
            .filter(|k| !NAMES.contains(k))
            .collect();
        if !unknown.is_empty() {
            return Err(input(format!(
                "unknown parameter(s) in THAW_PARAMS: {}; accepted: {}",
                unknown.join(", "),
                NAMES.join(", ")
            )));
        }
        let mut p = Self::default();
        for (key, value) in map {
            match key.as_str() {
                "lr" => p.lr = float(key, value, |x| x > 0.0, "> 0")?,
                "beta1" => p.beta1 = float(key, value, |x| (0.0..1.0).contains(&x), "in [0, 1)")?,
                "beta2" => p.beta2 = float(key, value, |x| (0.0..1.0).contains(&x), "in [0, 1)")?,
                "eps" => p.eps = float(key, value, |x| x > 0.0, "> 0")?,
                "weight_decay" => p.weight_decay = float(key, value, |x| x >= 0.0, ">= 0")?,
                "hidden" => p.hidden = int(key, value, 1, 1024)? as usize,
                "layers" => p.layers = int(key, value, 0, 8)? as usize,
                "batch" => p.batch = int(key, value, 1, 4096)? as usize,
                "seed" => p.seed = int(key, value, 0, u64::MAX)?,
                "activation" => {
                    let name = value.as_str().ok_or_else(|| {
                        input(format!(
                            "parameter `activation` must be a string, got {value}"
                        ))
                    })?;
                    p.activation = Activation::NAMES
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map(|(_, a)| *a)
                        .ok_or_else(|| {
                            input(format!(
                                "parameter `activation` must be \"relu\", \"tanh\" or \"gelu\", got {value}"
                            ))
                        })?;
                }
                _ => unreachable!("names checked above"),
            }
        }
        Ok(p)
    }
}

/// A canonical one-line form (shortest round-trip floats), also what a checkpoint
/// records to recognise its configuration.
impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "lr={:?} beta1={:?} beta2={:?} eps={:?} weight_decay={:?} hidden={} layers={} activation={} batch={} seed={}",
            self.lr,
            self.beta1,
            self.beta2,
            self.eps,
            self.weight_decay,
            self.hidden,
            self.layers,
            self.activation.name(),
            self.batch,
            self.seed
        )
    }
}

fn float(key: &str, value: &Value, ok: impl Fn(f64) -> bool, range: &str) -> Result<f64> {
    let x = value
        .as_f64()
        .ok_or_else(|| input(format!("parameter `{key}` must be a number, got {value}")))?;
    if !x.is_finite() || !ok(x) {
        return Err(input(format!(
            "parameter `{key}` must be {range}, got {value}"
        )));
    }
    Ok(x)
}

fn int(key: &str, value: &Value, min: u64, max: u64) -> Result<u64> {
    let x = value.as_u64().ok_or_else(|| {
        input(format!(
            "parameter `{key}` must be a non-negative integer, got {value}"
        ))
    })?;
    if !(min..=max).contains(&x) {
        return Err(input(format!(
            "parameter `{key}` must be in {min}..={max}, got {value}"
        )));
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(v: Value) -> Result<Params> {
        Params::from_json(v.as_object().unwrap())
    }

    #[test]
    fn defaults_and_overrides() {
        assert_eq!(parse(json!({})).unwrap(), Params::default());
        let p = parse(json!({"lr": 0.01, "hidden": 16, "activation": "gelu", "weight_decay": 0}))
            .unwrap();
        assert_eq!((p.lr, p.hidden, p.activation), (0.01, 16, Activation::Gelu));
        assert_eq!(p.weight_decay, 0.0);
    }

    #[test]
    fn errors_name_the_parameter() {
        let cases = [
            (
                json!({"lr": 0.1, "momentum": 0.9, "dropout": 0}),
                "dropout, momentum",
            ),
            (json!({"lr": "fast"}), "`lr` must be a number"),
            (json!({"lr": -1.0}), "`lr` must be > 0"),
            (json!({"beta1": 1.0}), "`beta1` must be in [0, 1)"),
            (
                json!({"hidden": 64.5}),
                "`hidden` must be a non-negative integer",
            ),
            (json!({"hidden": 0}), "`hidden` must be in 1..=1024"),
            (json!({"activation": "swish"}), "`activation` must be"),
            (json!({"activation": 1}), "`activation` must be a string"),
        ];
        for (value, expected) in cases {
            let e = parse(value.clone()).unwrap_err();
            assert_eq!(e.code(), 2);
            assert!(e.to_string().contains(expected), "{value}: {e}");
        }
    }

    #[test]
    fn canonical_form() {
        assert_eq!(
            Params::default().to_string(),
            "lr=0.001 beta1=0.9 beta2=0.999 eps=1e-8 weight_decay=0.0 hidden=64 layers=2 activation=relu batch=32 seed=0"
        );
    }
}

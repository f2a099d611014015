//! Search spaces: typed hyperparameters and their encoding into [0, 1], the form every
//! optimiser and surrogate of thaw works in.
//!
//! - **float**: linear, log, or `log1m` (log-uniform in 1 − x, for β-like parameters);
//! - **int**: linear or log; encoded at the position of the integer itself;
//! - **categorical**: k choices (strings, numbers or booleans); choice i of k is encoded
//!   as i / (k − 1) (0.5 when k = 1), and a point u of [0, 1] decodes to ⌊u k⌋.
//!
//! [`SearchSpace::snap`] maps any point of [0, 1]^d to the encoding of the value it
//! decodes to, so that two candidates are the same configuration exactly when their
//! encodings are equal.

use rand::{Rng, RngExt};
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thaw_data::{HyperParameter, Scale};

use crate::error::{Result, StudyError};

/// The most hyperparameters a space may have: the PFN surrogates read at most 10.
pub const MAX_PARAMS: usize = 10;

/// What values a hyperparameter takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Domain {
    /// A real number in [low, high].
    Float {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
        /// Sampling scale.
        scale: Scale,
    },
    /// An integer in [low, high].
    Int {
        /// Lower bound.
        low: i64,
        /// Upper bound.
        high: i64,
        /// Log-uniform (low ≥ 1) instead of uniform.
        log: bool,
    },
    /// One of a list of values.
    Categorical {
        /// The choices (JSON scalars: strings, numbers, booleans).
        choices: Vec<Value>,
    },
}

/// One hyperparameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Name, as the program receives it.
    pub name: String,
    /// Its values.
    pub domain: Domain,
    /// The value tried first, if every parameter has one.
    pub default: Option<Value>,
    /// Whether the program accepts a new value when it resumes from a checkpoint (PBT's
    /// explore step changes only these); None: floats yes, ints and categoricals no.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mutable: Option<bool>,
}

impl Param {
    /// Whether PBT may change it on resume (see [`Param::mutable`]).
    pub fn is_mutable(&self) -> bool {
        self.mutable
            .unwrap_or(matches!(self.domain, Domain::Float { .. }))
    }

    fn numeric(&self) -> Option<HyperParameter> {
        match &self.domain {
            Domain::Float { low, high, scale } => {
                Some(HyperParameter::new(&self.name, *low, *high, *scale))
            }
            Domain::Int { low, high, log } => {
                let scale = if *log { Scale::Log } else { Scale::Linear };
                Some(HyperParameter::new(&self.name, *low as f64, *high as f64, scale).integer())
            }
            Domain::Categorical { .. } => None,
        }
    }

    /// Checks bounds, choices and the default.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(format!(
                "parameter name {:?}: use letters, digits and `_` only (it becomes an environment variable)",
                self.name
            ));
        }
        match &self.domain {
            Domain::Int { low, high, log } if *log && *low < 1 => {
                return Err(format!(
                    "`{}`: a log-scale int needs low ≥ 1, got {low}",
                    self.name
                ));
            }
            Domain::Int { low, high, .. } if low >= high => {
                return Err(format!(
                    "`{}`: low {low} must be below high {high}",
                    self.name
                ));
            }
            Domain::Categorical { choices } => {
                if choices.is_empty() {
                    return Err(format!(
                        "`{}`: a categorical needs at least one choice",
                        self.name
                    ));
                }
                if let Some(c) = choices
                    .iter()
                    .find(|c| !(c.is_string() || c.is_number() || c.is_boolean()))
                {
                    return Err(format!(
                        "`{}`: choice {c} is not a string, number or boolean",
                        self.name
                    ));
                }
                for (i, c) in choices.iter().enumerate() {
                    if choices[..i].contains(c) {
                        return Err(format!("`{}`: choice {c} appears twice", self.name));
                    }
                    // The program reads THAW_PARAM_<NAME> as text: `"1"` and `1` would
                    // be the same choice there.
                    if let Some(d) = choices[..i].iter().find(|d| env_text(d) == env_text(c)) {
                        return Err(format!(
                            "`{}`: choices {d} and {c} reach the program as the same text {:?}",
                            self.name,
                            env_text(c)
                        ));
                    }
                }
            }
            _ => {}
        }
        if let Some(hp) = self.numeric() {
            hp.validate()?;
        }
        if let Some(d) = &self.default {
            self.encode(d).map_err(|e| format!("default of {e}"))?;
        }
        Ok(())
    }

    /// The encoding of `value` in [0, 1]; an error names a value of the wrong type or
    /// outside the domain.
    pub fn encode(&self, value: &Value) -> std::result::Result<f32, String> {
        let bad = |why: &str| format!("`{}`: {value} {why}", self.name);
        let u = match &self.domain {
            Domain::Float { low, high, .. } => {
                let x = value.as_f64().ok_or_else(|| bad("is not a number"))?;
                if !(*low..=*high).contains(&x) {
                    return Err(bad(&format!("is outside [{low}, {high}]")));
                }
                self.numeric().map_or(0.0, |hp| hp.encode(x))
            }
            Domain::Int { low, high, .. } => {
                let x = value.as_i64().ok_or_else(|| bad("is not an integer"))?;
                if !(*low..=*high).contains(&x) {
                    return Err(bad(&format!("is outside [{low}, {high}]")));
                }
                self.numeric().map_or(0.0, |hp| hp.encode(x as f64))
            }
            Domain::Categorical { choices } => {
                let i = choices
                    .iter()
                    .position(|c| c == value)
                    .ok_or_else(|| bad("is not one of the choices"))?;
                choice_code(i, choices.len())
            }
        };
        Ok((u as f32).clamp(0.0, 1.0))
    }

    /// The value a point u of [0, 1] stands for.
    pub fn decode(&self, u: f32) -> Value {
        let u = f64::from(u.clamp(0.0, 1.0));
        match &self.domain {
            Domain::Float { low, high, .. } => {
                let x = self.numeric().map_or(*low, |hp| hp.decode(u));
                Value::from(x.clamp(*low, *high))
            }
            Domain::Int { low, high, .. } => {
                let x = self.numeric().map_or(*low as f64, |hp| hp.decode(u));
                Value::from((x.round() as i64).clamp(*low, *high))
            }
            Domain::Categorical { choices } => {
                let k = choices.len();
                choices[((u * k as f64) as usize).min(k - 1)].clone()
            }
        }
    }
}

/// A value as the program reads it in `THAW_PARAM_<NAME>`: a string as it is, any other
/// value as JSON.
pub fn env_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The environment variable that carries parameter `name` to the program.
pub fn env_name(name: &str) -> String {
    format!("THAW_PARAM_{}", name.to_ascii_uppercase())
}

fn choice_code(i: usize, k: usize) -> f64 {
    if k <= 1 {
        0.5
    } else {
        i as f64 / (k - 1) as f64
    }
}

/// An ordered list of hyperparameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchSpace {
    /// The parameters, in the order of their encoding.
    pub params: Vec<Param>,
}

impl SearchSpace {
    /// A validated space (1 ..= [`MAX_PARAMS`] parameters, unique names).
    pub fn new(params: Vec<Param>) -> Result<Self> {
        if params.is_empty() || params.len() > MAX_PARAMS {
            return Err(StudyError::Invalid(format!(
                "a search space needs 1 to {MAX_PARAMS} parameters, this one has {}",
                params.len()
            )));
        }
        for (i, p) in params.iter().enumerate() {
            p.validate().map_err(StudyError::Invalid)?;
            if params[..i].iter().any(|q| q.name == p.name) {
                return Err(StudyError::Invalid(format!(
                    "parameter `{}` is defined twice",
                    p.name
                )));
            }
            if let Some(q) = params[..i]
                .iter()
                .find(|q| env_name(&q.name) == env_name(&p.name))
            {
                return Err(StudyError::Invalid(format!(
                    "parameters `{}` and `{}` would both reach the program as {}: rename one",
                    q.name,
                    p.name,
                    env_name(&p.name)
                )));
            }
        }
        Ok(Self { params })
    }

    /// Number of parameters (the encoded dimension).
    pub fn len(&self) -> usize {
        self.params.len()
    }

    /// Whether the space has no parameter (never, for a validated space).
    pub fn is_empty(&self) -> bool {
        self.params.is_empty()
    }

    /// The space with every [`Param::mutable`] unset (for comparing trajectories).
    pub fn without_mutable(&self) -> Self {
        let mut s = self.clone();
        for p in &mut s.params {
            p.mutable = None;
        }
        s
    }

    /// Per encoded dimension, whether the program takes a new value on resume
    /// ([`Param::is_mutable`]): the dimensions PBT's explore step may change.
    pub fn mutable(&self) -> Vec<bool> {
        self.params.iter().map(Param::is_mutable).collect()
    }

    /// The configuration a point of [0, 1]^d stands for, as a JSON object.
    pub fn decode(&self, u: &[f32]) -> serde_json::Map<String, Value> {
        self.params
            .iter()
            .zip(u)
            .map(|(p, &x)| (p.name.clone(), p.decode(x)))
            .collect()
    }

    /// The encoding of a configuration given as a JSON object with every parameter.
    pub fn encode(&self, config: &serde_json::Map<String, Value>) -> Result<Vec<f32>> {
        if let Some(k) = config
            .keys()
            .find(|k| !self.params.iter().any(|p| &p.name == *k))
        {
            return Err(StudyError::Invalid(format!("unknown parameter `{k}`")));
        }
        self.params
            .iter()
            .map(|p| {
                let v = config.get(&p.name).ok_or_else(|| {
                    StudyError::Invalid(format!("parameter `{}` is missing", p.name))
                })?;
                p.encode(v).map_err(StudyError::Invalid)
            })
            .collect()
    }

    /// The encoding of the value `u` decodes to (see the module docs).
    pub fn snap(&self, u: &[f32]) -> Vec<f32> {
        self.params
            .iter()
            .zip(u)
            .map(|(p, &x)| p.encode(&p.decode(x)).unwrap_or(x))
            .collect()
    }

    /// A point drawn uniformly in the encoding, snapped.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f32> {
        let u: Vec<f32> = self.params.iter().map(|_| rng.random::<f32>()).collect();
        self.snap(&u)
    }

    /// A local move: every coordinate of `center` moved by N(0, σ²), clamped, snapped.
    pub fn perturb<R: Rng + ?Sized>(&self, center: &[f32], sigma: f32, rng: &mut R) -> Vec<f32> {
        let normal = Normal::new(0.0f32, sigma.max(1e-6))
            .unwrap_or_else(|_| Normal::new(0.0, 0.1).expect("valid"));
        let u: Vec<f32> = center
            .iter()
            .map(|&c| (c + normal.sample(rng)).clamp(0.0, 1.0))
            .collect();
        self.snap(&u)
    }

    /// The defaults as given, when every parameter has one.
    pub fn default_config(&self) -> Option<serde_json::Map<String, Value>> {
        self.params
            .iter()
            .map(|p| p.default.clone().map(|d| (p.name.clone(), d)))
            .collect()
    }

    /// The encoding of the defaults, when every parameter has one.
    pub fn default_point(&self) -> Option<Vec<f32>> {
        self.params
            .iter()
            .map(|p| p.default.as_ref().and_then(|d| p.encode(d).ok()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use serde_json::json;

    fn space() -> SearchSpace {
        SearchSpace::new(vec![
            Param {
                name: "lr".into(),
                domain: Domain::Float {
                    low: 1e-5,
                    high: 1e-1,
                    scale: Scale::Log,
                },
                default: Some(json!(1e-3)),
                mutable: None,
            },
            Param {
                name: "beta1".into(),
                domain: Domain::Float {
                    low: 0.5,
                    high: 0.999,
                    scale: Scale::Log1m,
                },
                default: Some(json!(0.9)),
                mutable: None,
            },
            Param {
                name: "hidden".into(),
                domain: Domain::Int {
                    low: 8,
                    high: 256,
                    log: true,
                },
                default: Some(json!(64)),
                mutable: None,
            },
            Param {
                name: "act".into(),
                domain: Domain::Categorical {
                    choices: vec![json!("relu"), json!("tanh"), json!("gelu")],
                },
                default: Some(json!("relu")),
                mutable: None,
            },
        ])
        .unwrap()
    }

    #[test]
    fn encodings_round_trip_and_snap_is_idempotent() {
        let s = space();
        let d = s.default_point().unwrap();
        let back = s.decode(&d);
        assert!((back["lr"].as_f64().unwrap() - 1e-3).abs() < 1e-8);
        assert!((back["beta1"].as_f64().unwrap() - 0.9).abs() < 1e-6);
        assert_eq!(back["hidden"], json!(64));
        assert_eq!(back["act"], json!("relu"));
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..200 {
            let u = s.sample(&mut rng);
            assert!(u.iter().all(|x| (0.0..=1.0).contains(x)));
            assert_eq!(s.snap(&u), u, "a sample is already snapped");
            let v = s.decode(&u);
            assert_eq!(s.decode(&s.encode(&v).unwrap()), v);
            let p = s.perturb(&u, 0.1, &mut rng);
            assert_eq!(s.snap(&p), p);
        }
        // Every choice of a categorical decodes back from its code.
        let act = &s.params[3];
        for c in ["relu", "tanh", "gelu"] {
            assert_eq!(act.decode(act.encode(&json!(c)).unwrap()), json!(c));
        }
        assert_eq!(act.decode(0.34), json!("tanh"));
    }

    #[test]
    fn bad_values_and_spaces_are_named() {
        let s = space();
        let mut c = s.decode(&s.default_point().unwrap());
        c.insert("hidden".into(), json!(3));
        assert!(
            s.encode(&c)
                .unwrap_err()
                .to_string()
                .contains("outside [8, 256]")
        );
        c.insert("hidden".into(), json!(2.5));
        assert!(
            s.encode(&c)
                .unwrap_err()
                .to_string()
                .contains("not an integer")
        );
        c.insert("hidden".into(), json!(16));
        c.insert("momentum".into(), json!(0.9));
        assert!(
            s.encode(&c)
                .unwrap_err()
                .to_string()
                .contains("unknown parameter `momentum`")
        );
        let p = |domain| Param {
            name: "x".into(),
            domain,
            default: None,
            mutable: None,
        };
        for (domain, want) in [
            (
                Domain::Float {
                    low: 0.0,
                    high: 1.0,
                    scale: Scale::Log,
                },
                "do not fit scale",
            ),
            (
                Domain::Float {
                    low: 0.5,
                    high: 1.0,
                    scale: Scale::Log1m,
                },
                "do not fit scale",
            ),
            (
                Domain::Int {
                    low: 4,
                    high: 4,
                    log: false,
                },
                "below high",
            ),
            (
                Domain::Int {
                    low: 0,
                    high: 4,
                    log: true,
                },
                "low ≥ 1",
            ),
            (Domain::Categorical { choices: vec![] }, "at least one"),
            (
                Domain::Categorical {
                    choices: vec![json!("a"), json!("a")],
                },
                "twice",
            ),
            (
                Domain::Categorical {
                    choices: vec![json!("1"), json!(1)],
                },
                "the same text \"1\"",
            ),
        ] {
            let err = SearchSpace::new(vec![p(domain)]).unwrap_err().to_string();
            assert!(err.contains(want), "{err}");
        }
        let twice = SearchSpace::new(vec![
            p(Domain::Int {
                low: 0,
                high: 4,
                log: false,
            }),
            p(Domain::Int {
                low: 0,
                high: 4,
                log: false,
            }),
        ]);
        assert!(twice.unwrap_err().to_string().contains("twice"));
        // `x` and `X` would share THAW_PARAM_X.
        let int = Domain::Int {
            low: 0,
            high: 4,
            log: false,
        };
        let mut upper = p(int.clone());
        upper.name = "X".into();
        let clash = SearchSpace::new(vec![p(int), upper])
            .unwrap_err()
            .to_string();
        assert!(
            clash.contains("both reach the program as THAW_PARAM_X"),
            "{clash}"
        );
        assert!(SearchSpace::new(vec![]).is_err());
    }
}

//! The segment thaw asks for: read from the `THAW_*` environment, falling back to the
//! JSON of `THAW_TRIAL_FILE` for any variable that is not set.

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::error::{Result, input};

/// The environment variables of the protocol.
pub const VARIABLES: [&str; 8] = [
    "THAW_TRIAL",
    "THAW_FROM_EPOCH",
    "THAW_TO_EPOCH",
    "THAW_CHECKPOINT_DIR",
    "THAW_PARAMS",
    "THAW_METRIC",
    "THAW_REPORT_FILE",
    "THAW_TRIAL_FILE",
];

/// One segment of one configuration's training.
#[derive(Debug, Clone, PartialEq)]
pub struct Trial {
    /// Configuration id (for the log only).
    pub trial: Option<u64>,
    /// Epochs already trained (0: start afresh).
    pub from_epoch: u64,
    /// Last epoch to train.
    pub to_epoch: u64,
    /// The configuration's own checkpoint directory.
    pub checkpoint_dir: PathBuf,
    /// The configuration, unchecked.
    pub params: Map<String, Value>,
    /// The metric to report first (default `val_loss`).
    pub metric: String,
}

impl Trial {
    /// The segment described by `get` (an environment lookup).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let file = match get("THAW_TRIAL_FILE") {
            Some(path) if !path.is_empty() => Some(read_trial_file(&path)?),
            _ => None,
        };
        let field = |env: &str, key: &str| -> Option<String> {
            get(env).filter(|v| !v.is_empty()).or_else(|| {
                file.as_ref()
                    .and_then(|f| f.get(key))
                    .filter(|v| !v.is_null())
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
            })
        };
        let required = |env: &str, key: &str| {
            field(env, key).ok_or_else(|| {
                input(format!(
                    "{env} is not set (nor `{key}` in THAW_TRIAL_FILE); run without THAW_* variables for usage"
                ))
            })
        };
        let trial = field("THAW_TRIAL", "trial")
            .map(|v| integer("THAW_TRIAL", &v))
            .transpose()?;
        let from_epoch = integer(
            "THAW_FROM_EPOCH",
            &required("THAW_FROM_EPOCH", "from_epoch")?,
        )?;
        let to_epoch = integer("THAW_TO_EPOCH", &required("THAW_TO_EPOCH", "to_epoch")?)?;
        if from_epoch >= to_epoch {
            return Err(input(format!(
                "THAW_FROM_EPOCH ({from_epoch}) must be below THAW_TO_EPOCH ({to_epoch})"
            )));
        }
        let checkpoint_dir = PathBuf::from(required("THAW_CHECKPOINT_DIR", "checkpoint_dir")?);
        if !checkpoint_dir.is_dir() {
            return Err(input(format!(
                "THAW_CHECKPOINT_DIR {} is not a directory",
                checkpoint_dir.display()
            )));
        }
        let params_text = field("THAW_PARAMS", "params").unwrap_or_else(|| "{}".into());
        let params = match serde_json::from_str::<Value>(&params_text) {
            Ok(Value::Object(map)) => map,
            Ok(other) => {
                return Err(input(format!(
                    "THAW_PARAMS must be a JSON object, got {other}"
                )));
            }
            Err(e) => return Err(input(format!("THAW_PARAMS is not valid JSON: {e}"))),
        };
        let metric = field("THAW_METRIC", "metric").unwrap_or_else(|| "val_loss".into());
        Ok(Self {
            trial,
            from_epoch,
            to_epoch,
            checkpoint_dir,
            params,
            metric,
        })
    }
}

/// Whether any protocol variable is set (otherwise the program prints its usage).
pub fn any_set(get: impl Fn(&str) -> Option<String>) -> bool {
    VARIABLES.iter().any(|v| get(v).is_some())
}

fn integer(name: &str, text: &str) -> Result<u64> {
    text.trim().parse().map_err(|_| {
        input(format!(
            "{name} must be a non-negative integer, got {text:?}"
        ))
    })
}

fn read_trial_file(path: &str) -> Result<Map<String, Value>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| input(format!("cannot read THAW_TRIAL_FILE {path}: {e}")))?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(input(format!(
            "THAW_TRIAL_FILE {path} must hold a JSON object"
        ))),
        Err(e) => Err(input(format!(
            "THAW_TRIAL_FILE {path} is not valid JSON: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn reads_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let t = Trial::from_lookup(lookup(&[
            ("THAW_TRIAL", "7"),
            ("THAW_FROM_EPOCH", "3"),
            ("THAW_TO_EPOCH", "10"),
            ("THAW_CHECKPOINT_DIR", d),
            ("THAW_PARAMS", r#"{"lr": 0.01}"#),
        ]))
        .unwrap();
        assert_eq!((t.trial, t.from_epoch, t.to_epoch), (Some(7), 3, 10));
        assert_eq!(t.metric, "val_loss");
        assert_eq!(t.params["lr"], 0.01);
    }

    #[test]
    fn falls_back_to_the_trial_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("trial.json");
        let json = serde_json::json!({
            "study": "s", "trial": 2, "attempt": 0, "from_epoch": 0, "to_epoch": 4,
            "checkpoint_dir": dir.path(), "params": {"hidden": 8},
            "metric": "val_loss", "report_file": null,
        });
        std::fs::write(&file, json.to_string()).unwrap();
        let t = Trial::from_lookup(lookup(&[("THAW_TRIAL_FILE", file.to_str().unwrap())])).unwrap();
        assert_eq!((t.trial, t.from_epoch, t.to_epoch), (Some(2), 0, 4));
        assert_eq!(t.params["hidden"], 8);
    }

    #[test]
    fn rejects_bad_input() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_str().unwrap();
        let bad = [
            vec![("THAW_FROM_EPOCH", "0"), ("THAW_CHECKPOINT_DIR", d)],
            vec![
                ("THAW_FROM_EPOCH", "4"),
                ("THAW_TO_EPOCH", "4"),
                ("THAW_CHECKPOINT_DIR", d),
            ],
            vec![
                ("THAW_FROM_EPOCH", "-1"),
                ("THAW_TO_EPOCH", "4"),
                ("THAW_CHECKPOINT_DIR", d),
            ],
            vec![
                ("THAW_FROM_EPOCH", "0"),
                ("THAW_TO_EPOCH", "4"),
                ("THAW_CHECKPOINT_DIR", d),
                ("THAW_PARAMS", "[1]"),
            ],
            vec![
                ("THAW_FROM_EPOCH", "0"),
                ("THAW_TO_EPOCH", "4"),
                ("THAW_CHECKPOINT_DIR", "/nonexistent/thaw"),
            ],
        ];
        for vars in bad {
            let e = Trial::from_lookup(lookup(&vars)).unwrap_err();
            assert_eq!(e.code(), 2, "{vars:?}: {e}");
        }
    }
}

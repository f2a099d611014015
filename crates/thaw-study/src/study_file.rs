//! The study file (TOML): the objective — the user's program and its metric — and the
//! search space. Every error names the file, and the line where it is known.
//!
//! ```toml
//! [objective]
//! command = ["python3", "train.py"]   # an argv list, or a string run by `sh -c`
//! metric = "val_loss"                 # the key the program reports
//! direction = "minimize"              # or "maximize"
//! max_epochs = 20
//! bounds = [0.0, 3.0]                 # optional: the metric's range, for normalisation
//! timeout_s = 600                     # optional: seconds one segment may run
//! retries = 1                         # optional: re-runs of a crashed segment
//!
//! [[param]]
//! name = "lr"
//! type = "float"                      # float | int | categorical
//! low = 1e-5
//! high = 1e-1
//! scale = "log"                       # linear | log | log1m (floats); log = true (ints)
//! default = 1e-3
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thaw_data::Scale;
use toml::Spanned;

use crate::error::{Result, StudyError};
use crate::space::{Domain, Param, SearchSpace};

/// Whether lower or higher metric values are better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Lower is better (losses).
    Minimize,
    /// Higher is better (accuracies).
    Maximize,
}

impl Direction {
    /// Whether `a` is a better value of the metric than `b`.
    pub fn better(self, a: f64, b: f64) -> bool {
        match self {
            Self::Minimize => a < b,
            Self::Maximize => a > b,
        }
    }
}

/// The user's program and what it reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveSpec {
    /// The program and its arguments (argv; with `shell`, one string for `sh -c`).
    pub command: Vec<String>,
    /// Whether `command` is one shell command line.
    pub shell: bool,
    /// Folder the program runs in.
    pub workdir: PathBuf,
    /// Metric name as reported.
    pub metric: String,
    /// Minimise or maximise.
    pub direction: Direction,
    /// Epochs of a full training.
    pub max_epochs: usize,
    /// The metric's range, if known: the normalisation maps it linearly onto [0, 1].
    pub bounds: Option<(f64, f64)>,
    /// Seconds one segment may run before it is killed and counted as failed.
    pub timeout_s: Option<f64>,
    /// Re-runs of a failed segment (from its checkpoint) before the trial fails.
    pub retries: u32,
    /// Extra environment variables for the program.
    pub env: BTreeMap<String, String>,
}

/// `objective` as a study stores it, for workers started elsewhere: its folder made
/// absolute.
pub fn stored_objective(objective: &ObjectiveSpec) -> Result<ObjectiveSpec> {
    let workdir = std::path::absolute(&objective.workdir)
        .map_err(|e| StudyError::io("cannot resolve", &objective.workdir, e))?;
    Ok(ObjectiveSpec {
        workdir,
        ..objective.clone()
    })
}

/// A parsed study file.
#[derive(Debug, Clone, PartialEq)]
pub struct StudyFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// The objective.
    pub objective: ObjectiveSpec,
    /// The search space.
    pub space: SearchSpace,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    objective: Spanned<RawObjective>,
    #[serde(default)]
    param: Vec<Spanned<RawParam>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawCommand {
    Line(String),
    Argv(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawObjective {
    command: RawCommand,
    metric: String,
    direction: Direction,
    max_epochs: usize,
    workdir: Option<PathBuf>,
    bounds: Option<(f64, f64)>,
    timeout_s: Option<f64>,
    #[serde(default)]
    retries: u32,
    #[serde(default)]
    env: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum RawType {
    Float,
    Int,
    Categorical,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    name: String,
    #[serde(rename = "type")]
    kind: RawType,
    low: Option<toml::Value>,
    high: Option<toml::Value>,
    scale: Option<Scale>,
    log: Option<bool>,
    choices: Option<Vec<toml::Value>>,
    default: Option<toml::Value>,
    mutable: Option<bool>,
}

impl StudyFile {
    /// Reads and checks a study file.
    pub fn read(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| StudyError::io("cannot read", path, e))?;
        Self::parse(path, &text)
    }

    /// Parses `text` as the study file at `path` (relative folders are taken from it).
    pub fn parse(path: &Path, text: &str) -> Result<Self> {
        let err = |line: Option<usize>, detail: String| StudyError::File {
            file: path.to_path_buf(),
            line,
            detail,
        };
        let line_of =
            |offset: usize| Some(text[..offset.min(text.len())].matches('\n').count() + 1);
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let line = e.span().and_then(|s| line_of(s.start));
            err(line, e.message().to_string())
        })?;
        let obj_line = line_of(raw.objective.span().start);
        let obj = raw.objective.into_inner();
        let (command, shell) = match obj.command {
            RawCommand::Line(s) if !s.trim().is_empty() => (vec![s], true),
            RawCommand::Argv(v) if !v.is_empty() && !v[0].is_empty() => (v, false),
            _ => return Err(err(obj_line, "objective.command is empty".into())),
        };
        if obj.metric.is_empty()
            || obj.metric.contains(char::is_whitespace)
            || obj.metric.contains('=')
        {
            return Err(err(
                obj_line,
                format!(
                    "objective.metric {:?} must be one word without `=`",
                    obj.metric
                ),
            ));
        }
        if obj.max_epochs == 0 || obj.max_epochs > 100_000 {
            return Err(err(
                obj_line,
                format!(
                    "objective.max_epochs must be 1 ..= 100000, got {}",
                    obj.max_epochs
                ),
            ));
        }
        if let Some((lo, hi)) = obj.bounds
            && !(lo.is_finite() && hi.is_finite() && lo < hi)
        {
            return Err(err(
                obj_line,
                format!("objective.bounds [{lo}, {hi}] must be finite with low < high"),
            ));
        }
        if let Some(t) = obj.timeout_s
            && !(t > 0.0 && t.is_finite())
        {
            return Err(err(
                obj_line,
                format!("objective.timeout_s must be positive, got {t}"),
            ));
        }
        if obj.retries > 100 {
            return Err(err(
                obj_line,
                format!("objective.retries must be at most 100, got {}", obj.retries),
            ));
        }
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let workdir = match obj.workdir {
            Some(w) if w.is_absolute() => w,
            Some(w) => base.join(w),
            None => base.to_path_buf(),
        };
        let mut params = Vec::with_capacity(raw.param.len());
        for p in raw.param {
            let line = line_of(p.span().start);
            let param = to_param(p.into_inner()).map_err(|d| err(line, d))?;
            param.validate().map_err(|d| err(line, d))?;
            if params.iter().any(|q: &Param| q.name == param.name) {
                return Err(err(
                    line,
                    format!("parameter `{}` is defined twice", param.name),
                ));
            }
            params.push(param);
        }
        let space = SearchSpace::new(params).map_err(|e| err(None, e.to_string()))?;
        Ok(Self {
            path: path.to_path_buf(),
            objective: ObjectiveSpec {
                command,
                shell,
                workdir,
                metric: obj.metric,
                direction: obj.direction,
                max_epochs: obj.max_epochs,
                bounds: obj.bounds,
                timeout_s: obj.timeout_s,
                retries: obj.retries,
                env: obj.env,
            },
            space,
        })
    }
}

fn json(v: &toml::Value) -> std::result::Result<Value, String> {
    Ok(match v {
        toml::Value::String(s) => Value::from(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::from(*b),
        other => return Err(format!("{other} is not a string, number or boolean")),
    })
}

fn number(name: &str, field: &str, v: Option<&toml::Value>) -> std::result::Result<f64, String> {
    match v {
        Some(toml::Value::Integer(i)) => Ok(*i as f64),
        Some(toml::Value::Float(f)) => Ok(*f),
        Some(other) => Err(format!("`{name}`: {field} = {other} is not a number")),
        None => Err(format!("`{name}`: {field} is missing")),
    }
}

fn integer(name: &str, field: &str, v: Option<&toml::Value>) -> std::result::Result<i64, String> {
    match v {
        Some(toml::Value::Integer(i)) => Ok(*i),
        Some(other) => Err(format!("`{name}`: {field} = {other} is not an integer")),
        None => Err(format!("`{name}`: {field} is missing")),
    }
}

fn to_param(p: RawParam) -> std::result::Result<Param, String> {
    let name = p.name;
    let refuse = |field: &str, present: bool, kind: &str| {
        if present {
            Err(format!(
                "`{name}`: `{field}` does not apply to a {kind} parameter"
            ))
        } else {
            Ok(())
        }
    };
    let domain = match p.kind {
        RawType::Float => {
            refuse("choices", p.choices.is_some(), "float")?;
            refuse("log", p.log.is_some(), "float (use scale = \"log\")")?;
            Domain::Float {
                low: number(&name, "low", p.low.as_ref())?,
                high: number(&name, "high", p.high.as_ref())?,
                scale: p.scale.unwrap_or(Scale::Linear),
            }
        }
        RawType::Int => {
            refuse("choices", p.choices.is_some(), "int")?;
            let log = match p.scale {
                None => p.log.unwrap_or(false),
                Some(Scale::Linear) => false,
                Some(Scale::Log) => true,
                Some(Scale::Log1m) => {
                    return Err(format!("`{name}`: an int cannot have scale log1m"));
                }
            };
            Domain::Int {
                low: integer(&name, "low", p.low.as_ref())?,
                high: integer(&name, "high", p.high.as_ref())?,
                log,
            }
        }
        RawType::Categorical => {
            for (field, present) in [
                ("low", p.low.is_some()),
                ("high", p.high.is_some()),
                ("scale", p.scale.is_some()),
                ("log", p.log.is_some()),
            ] {
                refuse(field, present, "categorical")?;
            }
            let choices = p
                .choices
                .ok_or_else(|| format!("`{name}`: choices is missing"))?
                .iter()
                .map(json)
                .collect::<std::result::Result<_, _>>()
                .map_err(|e| format!("`{name}`: choice {e}"))?;
            Domain::Categorical { choices }
        }
    };
    let default = p
        .default
        .as_ref()
        .map(json)
        .transpose()
        .map_err(|e| format!("`{name}`: default {e}"))?;
    // An integer default of a float parameter is that float.
    let default = match (&domain, default) {
        (Domain::Float { .. }, Some(Value::Number(n))) => n.as_f64().map(Value::from),
        (_, d) => d,
    };
    Ok(Param {
        name,
        domain,
        default,
        mutable: p.mutable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[objective]
command = ["./train", "--fast"]
metric = "val_loss"
direction = "minimize"
max_epochs = 20
retries = 2

[[param]]
name = "lr"
type = "float"
low = 1e-5
high = 0.1
scale = "log"
default = 0.001

[[param]]
name = "layers"
type = "int"
low = 1
high = 4

[[param]]
name = "act"
type = "categorical"
choices = ["relu", "tanh"]
"#;

    #[test]
    fn reads_a_study_file() {
        let f = StudyFile::parse(Path::new("runs/space.toml"), GOOD).unwrap();
        assert_eq!(f.objective.command, vec!["./train", "--fast"]);
        assert!(!f.objective.shell);
        assert_eq!(f.objective.workdir, Path::new("runs"));
        assert_eq!(f.objective.retries, 2);
        assert_eq!(f.space.len(), 3);
        assert_eq!(
            f.space.params[1].domain,
            Domain::Int {
                low: 1,
                high: 4,
                log: false
            }
        );
        let shell = GOOD.replace(
            r#"["./train", "--fast"]"#,
            r#""python3 train.py | tee log""#,
        );
        let f = StudyFile::parse(Path::new("space.toml"), &shell).unwrap();
        assert!(f.objective.shell && f.objective.workdir == Path::new("."));
    }

    #[test]
    fn errors_name_the_line_and_the_field() {
        let cases = [
            (
                GOOD.replace("high = 4", "high = 0"),
                "line 17",
                "below high",
            ),
            (
                GOOD.replace("low = 1e-5", "low = -1.0"),
                "line 9",
                "do not fit scale",
            ),
            (
                GOOD.replace("default = 0.001", "default = 0.5"),
                "line 9",
                "outside",
            ),
            (
                GOOD.replace("type = \"int\"", "type = \"integer\""),
                "line 19",
                "unknown variant",
            ),
            (
                GOOD.replace("max_epochs = 20", "max_epochs = 0"),
                "line 2",
                "max_epochs",
            ),
            (
                GOOD.replace("retries = 2", "retries = 2\nretires = 1"),
                "line",
                "retires",
            ),
            (
                GOOD.replace("choices = [\"relu\", \"tanh\"]", "choices = [[1]]"),
                "line 23",
                "not a string",
            ),
            (
                GOOD.replace("name = \"layers\"", "name = \"lr\""),
                "line 17",
                "twice",
            ),
            (
                GOOD.replace("metric = \"val_loss\"", "metric = \"val loss\""),
                "line 2",
                "one word",
            ),
            ("[objective\n".to_string(), "line 1", ""),
        ];
        for (text, line, want) in cases {
            let e = StudyFile::parse(Path::new("s.toml"), &text)
                .unwrap_err()
                .to_string();
            assert!(
                e.starts_with("s.toml: ") && e.contains(line) && e.contains(want),
                "{e}"
            );
        }
    }
}

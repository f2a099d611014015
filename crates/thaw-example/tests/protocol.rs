//! The built `mlp-adam` speaks thaw's trial protocol: exact resume across segments,
//! exit codes for bad input, a falling validation loss.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_mlp-adam");

/// Runs one segment `from → to` of `params` with checkpoints in `dir`.
fn segment(dir: &Path, from: u64, to: u64, params: &str) -> Output {
    let mut cmd = Command::new(BIN);
    for var in [
        "THAW_TRIAL",
        "THAW_METRIC",
        "THAW_REPORT_FILE",
        "THAW_TRIAL_FILE",
        "RAYON_NUM_THREADS",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("THAW_TRIAL", "1")
        .env("THAW_FROM_EPOCH", from.to_string())
        .env("THAW_TO_EPOCH", to.to_string())
        .env("THAW_CHECKPOINT_DIR", dir)
        .env("THAW_PARAMS", params)
        .output()
        .expect("mlp-adam runs")
}

/// The report lines of a run, checking it succeeded.
fn reports(out: &Output) -> Vec<String> {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("thaw: "))
        .map(str::to_owned)
        .collect()
}

/// The `val_loss` of a report line.
fn val_loss(line: &str) -> f64 {
    let value = line
        .split_whitespace()
        .find_map(|kv| kv.strip_prefix("val_loss="))
        .unwrap_or_else(|| panic!("no val_loss in {line:?}"));
    value.parse().unwrap()
}

const PARAMS: &str = r#"{"lr": 0.003, "hidden": 32, "activation": "tanh", "seed": 3}"#;

#[test]
fn segments_resume_exactly() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let whole = reports(&segment(one.path(), 0, 4, PARAMS));
    let first = reports(&segment(two.path(), 0, 2, PARAMS));
    let second = reports(&segment(two.path(), 2, 4, PARAMS));

    let epochs: Vec<&str> = whole
        .iter()
        .map(|l| l.split_whitespace().nth(1).unwrap())
        .collect();
    assert_eq!(
        epochs,
        ["epoch=0", "epoch=1", "epoch=2", "epoch=3", "epoch=4"]
    );
    assert_eq!(first, whole[..3], "the first segment reports epochs 0..=2");
    // Epochs 3 and 4 after a resume: bit-identical values (shortest round-trip floats).
    assert_eq!(
        second,
        whole[3..],
        "the resumed segment reports epochs 3, 4 only"
    );
    assert!(one.path().join("mlp-adam.ckpt").is_file());
}

#[test]
fn validation_loss_falls() {
    let dir = tempfile::tempdir().unwrap();
    let lines = reports(&segment(dir.path(), 0, 4, r#"{"lr": 0.003}"#));
    let losses: Vec<f64> = lines.iter().map(|l| val_loss(l)).collect();
    assert!(
        losses[4] < losses[0] - 0.5 && losses[4] < losses[1],
        "{losses:?}"
    );
}

#[test]
fn bad_parameters_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    for (params, named) in [
        (r#"{"lr": 0.01, "momentum": 0.9}"#, "momentum"),
        (r#"{"hidden": "wide"}"#, "`hidden`"),
        (r#"{"activation": "swish"}"#, "`activation`"),
        (r#"{"lr": 0.01"#, "not valid JSON"),
    ] {
        let out = segment(dir.path(), 0, 2, params);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{params}: {stderr}");
        assert!(stderr.contains(named), "{params}: {stderr}");
        assert!(out.stdout.is_empty(), "{params}: reported before failing");
    }
}

#[test]
fn checkpoint_problems() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing to resume from: exit 2.
    let out = segment(dir.path(), 2, 3, PARAMS);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no checkpoint"));

    let whole = reports(&segment(dir.path(), 0, 3, r#"{"hidden": 8}"#));
    // The checkpoint holds epoch 3 but thaw asks from epoch 1 (it was killed after the
    // save, before it recorded the reports): epochs 2 and 3 are reported again, as they
    // were, and epoch 4 is trained.
    let again = reports(&segment(dir.path(), 1, 4, r#"{"hidden": 8}"#));
    assert_eq!(
        again[..2],
        whole[2..4],
        "epochs 2, 3 reported from the checkpoint"
    );
    assert_eq!(again.len(), 3);
    let other = tempfile::tempdir().unwrap();
    let straight = reports(&segment(other.path(), 0, 4, r#"{"hidden": 8}"#));
    assert_eq!(again[2], straight[4], "epoch 4 as if never interrupted");
    // The checkpoint holds fewer epochs than thaw asks from: exit 3.
    let out = segment(other.path(), 5, 6, r#"{"hidden": 8}"#);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds epoch 4"));
    // Another network: exit 3.
    let out = segment(dir.path(), 4, 5, r#"{"hidden": 9}"#);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("another network"));
    // Other optimiser hyperparameters (PBT's explore step): resumed from the same
    // weights, so epoch 5 differs from the uninterrupted one only through lr and batch.
    let copy = tempfile::tempdir().unwrap();
    std::fs::copy(
        other.path().join("mlp-adam.ckpt"),
        copy.path().join("mlp-adam.ckpt"),
    )
    .unwrap();
    let same = reports(&segment(other.path(), 4, 5, r#"{"hidden": 8}"#));
    let changed = reports(&segment(
        copy.path(),
        4,
        5,
        r#"{"hidden": 8, "lr": 0.02, "batch": 64}"#,
    ));
    assert_eq!((same.len(), changed.len()), (1, 1));
    assert!(same[0].starts_with("thaw: epoch=5 ") && changed[0].starts_with("thaw: epoch=5 "));
    assert_ne!(same[0], changed[0], "the new lr and batch size apply");
    assert!(
        (val_loss(&same[0]) - val_loss(&changed[0])).abs() < 0.5,
        "resumed from the checkpoint, not from scratch: {} vs {}",
        same[0],
        changed[0]
    );
    // A torn file: exit 2.
    let path = dir.path().join("mlp-adam.ckpt");
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let out = segment(dir.path(), 4, 5, r#"{"hidden": 8}"#);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn usage_without_the_protocol() {
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("THAW_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("THAW_CHECKPOINT_DIR"));
    let help = Command::new(BIN).arg("--help").output().unwrap();
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("thaw: epoch=<e>"));
}

#[test]
fn trial_file_and_metric() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trial.json");
    let trial = serde_json::json!({
        "study": "example", "trial": 4, "attempt": 0, "from_epoch": 0, "to_epoch": 1,
        "checkpoint_dir": dir.path(), "params": {"hidden": 8}, "metric": "val_error",
        "report_file": dir.path().join("report.jsonl"),
    });
    std::fs::write(&file, trial.to_string()).unwrap();
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("THAW_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd.env("THAW_TRIAL_FILE", &file).output().unwrap();
    let lines = reports(&out);
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].starts_with("thaw: epoch=1 val_error="),
        "{lines:?}"
    );
}

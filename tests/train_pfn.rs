//! `train-pfn` and `thaw predict` end to end on a small generated TaskSet file.

mod common;

use common::cli::{bin, make_data, text};

const TINY: &[&str] = &[
    "--model",
    "tiny",
    "--steps",
    "6",
    "--batch",
    "2",
    "--seq-len",
    "40",
    "--val-every",
    "3",
    "--val-batches",
    "1",
    "--checkpoint-every",
    "3",
    "--log-every",
    "1",
    "--val-tasks",
    "task_c",
];

#[test]
fn trains_resumes_and_predicts() {
    let tmp = tempfile::tempdir().unwrap();
    make_data(tmp.path());
    let mut args = TINY.to_vec();
    args.extend([
        "--out",
        "ck",
        "--pause-at",
        "3",
        "--data-parallel",
        "2",
        "-q",
    ]);
    let o = bin("train-pfn", &args, tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("on 2 task(s), validating on 1"),
        "{}",
        text(&o)
    );

    // Resuming with a changed setting is refused; with none, it finishes the run.
    let o = bin(
        "train-pfn",
        &["--out", "ck", "--resume", "--lr", "0.5", "-q"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2), "a usage error");
    assert!(text(&o).contains("flags differ"), "{}", text(&o));
    let o = bin("train-pfn", &["--out", "ck", "--resume", "-q"], tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("done: 6 steps"), "{}", text(&o));

    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("ck/config.json")).unwrap())
            .unwrap();
    assert_eq!(cfg["step"], 6);
    // --data-parallel reaches the run and its record (it was once parsed and dropped).
    assert_eq!(cfg["training"]["data_parallel"], 2);
    assert_eq!(
        cfg["data"]["train_tasks"],
        serde_json::json!(["task_a", "task_b"])
    );
    assert_eq!(cfg["data"]["val_tasks"], serde_json::json!(["task_c"]));
    assert_eq!(cfg["data"]["augment"], "cdf");
    assert!(cfg["metrics"]["val_nll"].is_f64());
    assert!(cfg["metrics"]["val_id_gain"].is_f64());
    let log = std::fs::read_to_string(tmp.path().join("ck/train.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 6, "{log}");

    let o = bin(
        "thaw",
        &[
            "predict",
            "--checkpoint",
            "ck",
            "--context",
            "30",
            "--show",
            "3",
        ],
        tmp.path(),
    );
    let out = text(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("task task_c (held out from training)"),
        "{out}"
    );
    assert!(out.contains("log-likelihood"), "{out}");
}

#[test]
fn bad_settings_are_reported_not_panicked() {
    let tmp = tempfile::tempdir().unwrap();
    make_data(tmp.path());
    let cases: &[(&[&str], &str)] = &[
        (&["--data", "nope.parquet", "--out", "x"], "nope.parquet"),
        (
            &[
                "--model",
                "tiny",
                "--seq-len",
                "500",
                "--steps",
                "1",
                "--out",
                "x",
            ],
            "exceeds",
        ),
        (
            &["--device", "cuda", "--out", "x"],
            "rebuild with `--features cuda`",
        ),
        (&["--out", "x", "--resume"], "no checkpoint"),
    ];
    for (args, want) in cases {
        let o = bin("train-pfn", args, tmp.path());
        let out = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {out}");
        assert!(out.contains(want), "{args:?}: expected {want:?} in {out}");
        assert!(!out.contains("panicked"), "{out}");
    }
    // Unknown names of a choice are usage errors (status 2) listing the choices.
    for (args, want) in [
        (&["--model", "huge", "--out", "x"][..], "tiny, small, paper"),
        (&["--augment", "wild", "--out", "x"], "cdf, mixup, none"),
        (&["--prior", "wild", "--out", "x"], "taskset, ftpfn"),
        (&["--device", "tpu", "--out", "x"], "cpu, wgpu, cuda"),
        // Contradicting flags are usage errors too.
        (
            &[
                "--train-tasks",
                "task_a",
                "--val-tasks",
                "task_a",
                "--out",
                "x",
            ],
            "held-out",
        ),
        (
            &["--out", "x", "--resume", "--force"],
            "cannot be used with",
        ),
        // So are settings that cannot work and names that match no task or several.
        (
            &["--heads", "3", "--model", "tiny", "--out", "x"],
            "not a multiple of n_heads",
        ),
        (&["--val-tasks", "task", "--out", "x"], "matches 3 tasks"),
    ] {
        let o = bin("train-pfn", args, tmp.path());
        let out = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {out}");
        assert!(out.contains(want), "{args:?}: expected {want:?} in {out}");
    }
}

#[test]
fn non_finite_weights_are_an_error_naming_the_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    make_data(tmp.path());
    let mut args = TINY.to_vec();
    args.extend(["--out", "ck", "-q"]);
    assert!(bin("train-pfn", &args, tmp.path()).status.success());
    // Every weight NaN: the header stays, the tensor bytes become 0xff.
    let path = tmp.path().join("ck/model.safetensors");
    let mut bytes = std::fs::read(&path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    bytes[8 + n..].fill(0xff);
    std::fs::write(&path, bytes).unwrap();
    let o = bin(
        "thaw",
        &["predict", "--checkpoint", "ck", "--context", "30"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("checkpoint ck: the model produced non-finite"),
        "{}",
        text(&o)
    );
}

#[test]
fn predict_refuses_a_broken_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("ck")).unwrap();
    let o = bin("thaw", &["predict", "--checkpoint", "ck"], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("config.json"), "{}", text(&o));
}

#[test]
fn ftpfn_trains_resumes_and_predicts_synthetic_tasks() {
    let tmp = tempfile::tempdir().unwrap();
    let tiny = [
        "--prior",
        "ftpfn",
        "--model",
        "tiny",
        "--steps",
        "4",
        "--batch",
        "2",
        "--seq-len",
        "40",
        "--val-every",
        "2",
        "--val-batches",
        "1",
        "--checkpoint-every",
        "2",
        "--out",
        "ft",
        "-q",
    ];
    let mut args = tiny.to_vec();
    args.extend(["--pause-at", "2"]);
    let o = bin("train-pfn", &args, tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("synthetic FT-PFN prior"), "{}", text(&o));
    // --prior need not be repeated on resume (it is in config.json).
    let o = bin("train-pfn", &["--out", "ft", "--resume", "-q"], tmp.path());
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("done: 4 steps"), "{}", text(&o));
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("ft/config.json")).unwrap())
            .unwrap();
    assert_eq!(cfg["data"]["prior"], "ftpfn");
    assert!(cfg["data"].get("data").is_none());
    assert!(cfg["metrics"]["val_nll"].is_f64());
    assert!(cfg["metrics"]["val_id_gain"].is_f64());

    // Real-data flags do not apply; unknown priors are named.
    for (extra, want) in [
        (&["--data", "x.parquet"][..], "do not apply"),
        (&["--augment", "cdf"][..], "do not apply"),
    ] {
        let mut a = tiny.to_vec();
        a.extend(extra);
        let at = a.iter().position(|&x| x == "ft").unwrap();
        a[at] = "other";
        let o = bin("train-pfn", &a, tmp.path());
        assert_eq!(o.status.code(), Some(2), "a usage error");
        assert!(text(&o).contains(want), "{}", text(&o));
    }

    // The FT-PFN checkpoint predicts synthetic tasks (every task is held out from it).
    let o = bin(
        "thaw",
        &[
            "prior-sample",
            "--tasks",
            "1",
            "--configs",
            "20",
            "--epochs",
            "8",
            "--out",
            "s",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = bin(
        "thaw",
        &[
            "predict",
            "--checkpoint",
            "ft",
            "--data",
            "s/curves.parquet",
            "--context",
            "30",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("held out from training"), "{}", text(&o));
}

#[test]
fn a_checkpoint_is_never_overwritten_and_the_output_is_claimed_first() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    make_data(root);
    let train = |extra: &[&str]| {
        let mut args = TINY.to_vec();
        args.extend(extra);
        bin("train-pfn", &args, root)
    };
    assert!(train(&["--out", "ck", "-q"]).status.success());
    let weights = std::fs::read(root.join("ck/model.safetensors")).unwrap();
    let log = std::fs::read(root.join("ck/train.jsonl")).unwrap();

    // A new run on a finished checkpoint is refused and touches nothing.
    let o = train(&["--out", "ck", "--seed", "5", "-q"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("holds a checkpoint (step 6 of 6)"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("--force"), "{}", text(&o));
    assert_eq!(
        std::fs::read(root.join("ck/model.safetensors")).unwrap(),
        weights
    );
    assert_eq!(std::fs::read(root.join("ck/train.jsonl")).unwrap(), log);
    // --force starts anew: the record and the log are the new run's alone.
    let o = train(&["--out", "ck", "--seed", "5", "--force", "-q"]);
    assert!(o.status.success(), "{}", text(&o));
    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("ck/config.json")).unwrap())
            .unwrap();
    assert_eq!(cfg["training"]["seed"], 5);
    let log = std::fs::read_to_string(root.join("ck/train.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 6, "{log}");

    // An --out that is a file, or one another run holds, is refused before training.
    std::fs::write(root.join("afile"), "x").unwrap();
    let o = train(&["--out", "afile", "-q"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("not a directory"), "{}", text(&o));
    let _held = thaw_cli::claim::OutputClaim::take(&root.join("busy"), "a test").unwrap();
    let o = train(&["--out", "busy", "-q"]);
    assert_eq!(o.status.code(), Some(1));
    let want = format!("in use by another run (a test, pid {}", std::process::id());
    assert!(text(&o).contains(&want), "{}", text(&o));
    assert!(!root.join("busy/config.json").exists());

    // A sequence length beyond the machine's memory is refused up front, saying so.
    let o = bin(
        "train-pfn",
        &[
            "--prior",
            "ftpfn",
            "--seq-len",
            "100000000",
            "--steps",
            "1",
            "--out",
            "big",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("lower --seq-len or --batch"),
        "{}",
        text(&o)
    );
}

/// The training losses of a run's log, step by step.
fn logged_losses(dir: &std::path::Path) -> Vec<f64> {
    std::fs::read_to_string(dir.join("train.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["loss"]
                .as_f64()
                .unwrap()
        })
        .collect()
}

#[test]
fn extra_tasks_are_trained_on_recorded_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    make_data(tmp.path());
    // Two generated tasks of 12 configurations (TaskSet-8P's 8 hyperparameters).
    let o = bin(
        "thaw",
        &[
            "gen-curves",
            "--tasks",
            "2",
            "--configs",
            "12",
            "--steps",
            "10",
            "--points",
            "11",
            "--eval-rows",
            "20",
            "--out",
            "gen",
            "--quiet",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let run = |out: &str, extra: &[&str]| {
        let mut args = TINY.to_vec();
        args.extend(["--out", out]);
        args.extend(extra);
        bin("train-pfn", &args, tmp.path())
    };
    let o = run("plain", &["-q"]);
    assert!(o.status.success(), "{}", text(&o));
    let o = run(
        "mixed",
        &["--extra-data", "gen/tasks", "--extra-share", "1"],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("100 % of the real-curve steps on 2 extra file(s)"),
        "{}",
        text(&o)
    );
    // Every step drew its batch from the generated tasks: other losses, same seed.
    let (plain, mixed) = (
        logged_losses(&tmp.path().join("plain")),
        logged_losses(&tmp.path().join("mixed")),
    );
    assert_eq!(plain.len(), mixed.len());
    assert!(
        plain.iter().zip(&mixed).all(|(a, b)| a != b),
        "{plain:?} {mixed:?}"
    );
    let cfg: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("mixed/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(cfg["data"]["extra_data"].as_array().unwrap().len(), 2);
    assert_eq!(cfg["data"]["extra_share"], 1.0);
    let plain_cfg = std::fs::read_to_string(tmp.path().join("plain/config.json")).unwrap();
    assert!(!plain_cfg.contains("extra"), "{plain_cfg}");

    // A resume may not change them.
    let o = bin(
        "train-pfn",
        &[
            "--out",
            "mixed",
            "--resume",
            "--extra-data",
            "gen/tasks",
            "--extra-share",
            "0.5",
        ],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    // Extra tasks that are the real ones, or nothing at all, are refused by name.
    let o = run(
        "twice",
        &["--extra-data", "data/parquet/taskset.parquet", "-q"],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("extra task task_a is also a real"),
        "{}",
        text(&o)
    );
    let o = run("none", &["--extra-data", "no/such", "-q"]);
    assert!(!o.status.success());
    assert!(
        text(&o).contains("no/such: no such file or folder"),
        "{}",
        text(&o)
    );
}

/// `--hp-shuffle`: trained on (other losses, same seed), recorded, kept on resume, and
/// refused where it does not apply.
#[test]
fn hp_shuffle_is_trained_on_recorded_and_checked() {
    let tmp = tempfile::tempdir().unwrap();
    make_data(tmp.path());
    let run = |out: &str, extra: &[&str]| {
        let mut args = TINY.to_vec();
        args.extend(["--out", out, "-q"]);
        args.extend(extra);
        bin("train-pfn", &args, tmp.path())
    };
    for (out, extra) in [("plain", &[][..]), ("shuffled", &["--hp-shuffle", "1"][..])] {
        let o = run(out, extra);
        assert!(o.status.success(), "{}", text(&o));
    }
    let (plain, shuffled) = (
        logged_losses(&tmp.path().join("plain")),
        logged_losses(&tmp.path().join("shuffled")),
    );
    assert_eq!(plain.len(), shuffled.len());
    assert_ne!(
        plain, shuffled,
        "the shuffled hyperparameters change the batches"
    );
    let cfg: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("shuffled/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(cfg["data"]["hp_shuffle"], 1.0);
    let plain_cfg = std::fs::read_to_string(tmp.path().join("plain/config.json")).unwrap();
    assert!(!plain_cfg.contains("hp_shuffle"), "{plain_cfg}");
    let o = bin(
        "train-pfn",
        &["--out", "shuffled", "--resume", "--hp-shuffle", "0.5"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("hp shuffle 1"), "{}", text(&o));
    let o = run("ft", &["--prior", "ftpfn", "--hp-shuffle", "0.5"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = run("bad", &["--hp-shuffle", "2"]);
    assert!(!o.status.success(), "{}", text(&o));
}

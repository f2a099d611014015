//! `ifbo` end to end on a small generated TaskSet file with a `tiny` PFN and the
//! bandit baselines: budget, outputs, leave-tasks-out, determinism.

mod common;

use common::cli::{bin, data_and_tiny_checkpoint, text};

#[test]
fn tiny_pfn_and_baselines_spend_the_budget_and_write_their_trajectory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    data_and_tiny_checkpoint(root);

    // Without a task the first one the checkpoint did not train on is used: task_c.
    let run = |extra: &[&str], out: &str| {
        let mut args = vec![
            "--surrogate",
            "ck",
            "--budget",
            "40",
            "--seed",
            "1",
            "--out",
            out,
            "-q",
        ];
        args.extend(extra);
        bin("ifbo", &args, root)
    };
    let o = run(&[], "r1");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("on task_c (held out"), "{}", text(&o));
    let traj = std::fs::read_to_string(root.join("r1/trajectory.csv")).unwrap();
    assert_eq!(traj.lines().count(), 1 + 40, "{traj}");
    // The initial design trains one configuration for one epoch.
    assert_eq!(
        traj.lines().nth(1).unwrap().split(',').nth(2),
        Some("1"),
        "{traj}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("r1/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["epochs_spent"], 40);
    assert_eq!(summary["task"], "task_c");
    assert!(summary["regret"].as_f64().unwrap() >= 0.0);
    // Same seed, same trajectory.
    let o = run(&[], "r2");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        traj,
        std::fs::read_to_string(root.join("r2/trajectory.csv")).unwrap()
    );

    // A task the checkpoint trained on is refused unless allowed.
    let o = run(
        &["--benchmark", "data/parquet/taskset.parquet:task_a"],
        "r3",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("was trained on task task_a"),
        "{}",
        text(&o)
    );
    let o = run(
        &[
            "--benchmark",
            "data/parquet/taskset.parquet:task_a",
            "--allow-train-tasks",
        ],
        "r3",
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("TRAINED ON this task"), "{}", text(&o));

    // Bandit methods and a GP baseline on the same accounting.
    for m in ["hyperband", "asha", "sha", "random"] {
        let o = bin(
            "ifbo",
            &["--method", m, "--budget", "35", "--out", m, "-q"],
            root,
        );
        assert!(o.status.success(), "{m}: {}", text(&o));
        let traj = std::fs::read_to_string(root.join(m).join("trajectory.csv")).unwrap();
        assert_eq!(traj.lines().count(), 36, "{m}");
    }
    let o = bin(
        "ifbo",
        &[
            "--surrogate",
            "gp-ft",
            "--budget",
            "12",
            "--out",
            "gp",
            "-q",
        ],
        root,
    );
    assert!(o.status.success(), "{}", text(&o));
    // An unknown method is a usage error; a surrogate with a bandit is refused, not ignored.
    let o = bin("ifbo", &["--method", "smac", "--out", "x", "-q"], root);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("hyperband"), "{}", text(&o));
    let o = bin(
        "ifbo",
        &[
            "--method",
            "hyperband",
            "--surrogate",
            "dpl",
            "--out",
            "x",
            "-q",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(2), "a usage error");
    assert!(text(&o).contains("only to --method ifbo"), "{}", text(&o));
    // Budgets outside 1..=configs × epochs are refused up front, naming the limit (they
    // used to run 0 epochs, cut silently, or panic allocating u64::MAX steps).
    for budget in ["0", "100000", "18446744073709551615"] {
        let o = bin(
            "ifbo",
            &["--method", "random", "--budget", budget, "--out", "b", "-q"],
            root,
        );
        assert_eq!(o.status.code(), Some(2), "{budget}: {}", text(&o));
        assert!(
            text(&o).contains("must lie in 1..="),
            "{budget}: {}",
            text(&o)
        );
        assert!(!root.join("b").exists());
    }
    // `thaw ifbo` is the same command as `ifbo`.
    let o = bin(
        "thaw",
        &[
            "ifbo", "--method", "random", "--budget", "5", "--out", "t", "-q",
        ],
        root,
    );
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn a_killed_run_resumes_to_the_identical_trajectory() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    data_and_tiny_checkpoint(root);
    let args = |out: &'static str| {
        vec![
            "--surrogate",
            "gp-ft",
            "--refit-growth",
            "0",
            "--budget",
            "150",
            "--seed",
            "2",
            "--out",
            out,
            "-q",
        ]
    };
    let o = bin("ifbo", &args("whole"), root);
    assert!(o.status.success(), "{}", text(&o));

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ifbo"))
        .args(args("cut"))
        .current_dir(root)
        .env("THAW_HOME", root)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let rows = || {
        std::fs::read_to_string(root.join("cut/trajectory.csv"))
            .map_or(0, |t| t.lines().count().saturating_sub(1))
    };
    while rows() < 30 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let kept = rows();
    assert!((30..150).contains(&kept), "{kept} rows kept");
    assert!(!root.join("cut/summary.json").exists());

    // Started again without --resume it is refused; with it, it ends where the
    // uninterrupted run ended, row for row.
    let o = bin("ifbo", &args("cut"), root);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("an unfinished run"), "{}", text(&o));
    let mut resume = args("cut");
    resume.push("--resume");
    let o = bin("ifbo", &resume, root);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("replaying"), "{}", text(&o));
    let read = |d: &str| std::fs::read_to_string(root.join(d).join("trajectory.csv")).unwrap();
    assert_eq!(read("cut"), read("whole"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("cut/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["resumed_after_epochs"], kept);

    // Resuming with other settings is refused, naming the difference.
    let mut other = resume.clone();
    other[7] = "3";
    let o = bin("ifbo", &other, root);
    assert_eq!(o.status.code(), Some(2), "a usage error");
    assert!(text(&o).contains("these differ"), "{}", text(&o));
}

//! `bench-hpo` end to end on a small generated TaskSet file with a `tiny` PFN and the
//! bandit baselines: default held-out tasks, outputs, resuming, refusals, and that a
//! benchmark run is exactly the `ifbo` run with the same seed.

mod common;

use common::cli::{bin, data_and_tiny_checkpoint, text};

#[test]
fn runs_resumes_and_matches_ifbo() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    data_and_tiny_checkpoint(root);
    let bench = |out: &str, extra: &[&str]| {
        let mut args = vec![
            "--methods",
            "ck,hyperband,asha,random",
            "--seeds",
            "2",
            "--budget",
            "30",
            "--threads",
            "2",
            "--out",
            out,
            "-q",
        ];
        args.extend(extra);
        bin("bench-hpo", &args, root)
    };
    let o = bench("b", &[]);
    assert!(o.status.success(), "{}", text(&o));
    // The checkpoint trained on task_a and task_b: only task_c is benchmarked.
    assert!(
        text(&o).contains("4 methods × 1 tasks × 2 seeds = 8 runs"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("(0 read back"), "{}", text(&o));
    let read = |p: &str| std::fs::read_to_string(root.join("b").join(p)).unwrap();
    let runs = read("runs.csv");
    assert_eq!(runs.lines().count(), 1 + 8, "{runs}");
    assert!(
        runs.lines().skip(1).all(|l| l.contains(",task_c,")),
        "{runs}"
    );
    assert_eq!(read("curves.csv").lines().count(), 1 + 4 * 30);
    let md = read("summary.md");
    for m in [
        "| ifBO (ck) |",
        "| HyperBand |",
        "| ASHA |",
        "| Random search |",
    ] {
        assert!(md.contains(m), "{m} missing:\n{md}");
    }
    assert!(md.contains("regret @30") && !md.contains('†'), "{md}");
    for svg in ["regret.svg", "rank.svg"] {
        assert!(read(svg).starts_with("<svg"), "{svg}");
    }

    // A benchmark run with seed 1 is the `ifbo --seed 1` run.
    let o = bin(
        "ifbo",
        &[
            "--surrogate",
            "ck",
            "--budget",
            "30",
            "--seed",
            "1",
            "--out",
            "i",
            "-q",
        ],
        root,
    );
    assert!(o.status.success(), "{}", text(&o));
    let traj = std::fs::read_to_string(root.join("i/trajectory.csv")).unwrap();
    let from_ifbo: Vec<f64> = traj
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    let run_file = root.join("b/runs/ifbo-ck/task_c/seed-1.json");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run_file).unwrap()).unwrap();
    let from_bench: Vec<f64> = stored["incumbent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(from_bench.len(), 30);
    let f32_eq = |a: &f64, b: &f64| (*a as f32) == (*b as f32);
    assert!(
        from_bench.iter().zip(&from_ifbo).all(|(a, b)| f32_eq(a, b)),
        "{from_bench:?} vs {from_ifbo:?}"
    );

    // Again: everything is read back; a deleted run is redone identically.
    let before = std::fs::read_to_string(&run_file).unwrap();
    std::fs::remove_file(&run_file).unwrap();
    let o = bench("b", &[]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("(7 read back"), "{}", text(&o));
    let after: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run_file).unwrap()).unwrap();
    let before: serde_json::Value = serde_json::from_str(&before).unwrap();
    assert_eq!(after["incumbent"], before["incumbent"]);

    // Other settings in the same directory are refused, not mixed in.
    let o = bin(
        "bench-hpo",
        &[
            "--methods",
            "hyperband",
            "--seeds",
            "1",
            "--budget",
            "20",
            "--out",
            "b",
            "-q",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("other settings"), "{}", text(&o));

    // Leave-tasks-out: task_a is refused for the checkpoint unless allowed, then marked.
    let o = bench("c", &["--tasks", "task_a"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("trained on task task_a"), "{}", text(&o));
    let o = bench("c", &["--tasks", "task_a", "--allow-train-tasks"]);
    assert!(o.status.success(), "{}", text(&o));
    let md = std::fs::read_to_string(root.join("c/summary.md")).unwrap();
    assert!(md.contains("| ifBO (ck) † |"), "{md}");

    // A budget beyond a task's table is refused before any run, naming the limit.
    let o = bin(
        "bench-hpo",
        &[
            "--methods",
            "random",
            "--budget",
            "100000",
            "--out",
            "e",
            "-q",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("must lie in 1..="), "{}", text(&o));
    assert!(!root.join("e/runs").exists());

    let o = bin(
        "bench-hpo",
        &["--methods", "bogus", "--out", "d", "-q"],
        root,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("unknown method \"bogus\""),
        "{}",
        text(&o)
    );
}

/// Cross-validated ifBO: two tiny fold models (one with synthetic batches mixed in) cover
/// all three tasks; each task runs with the fold that held it out, exactly as `ifbo`
/// runs it, and `eval-lc` scores the same folds.
#[test]
fn cross_validated_ifbo_covers_every_task_with_a_held_out_fold() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    common::cli::make_data(root);
    let fold = |dir: &str, train: &str, val: &str, extra: &[&str]| {
        let mut args = vec!["--train-tasks", train, "--val-tasks", val];
        args.extend(extra);
        common::cli::train_tiny(root, dir, &args)
    };
    let o = fold("cv/cdf-fold0", "task_c", "task_a,task_b", &[]);
    assert!(o.status.success(), "{}", text(&o));
    let o = fold(
        "cv/cdf-fold1",
        "task_a,task_b",
        "task_c",
        &["--synthetic-share", "0.5"],
    );
    assert!(o.status.success(), "{}", text(&o));
    let config: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("cv/cdf-fold1/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(config["data"]["synthetic_share"], 0.5);
    // The share is part of the run: a resume cannot change it, FT-PFN has none.
    let o = bin(
        "train-pfn",
        &[
            "--out",
            "cv/cdf-fold1",
            "--resume",
            "--synthetic-share",
            "0.2",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = bin(
        "train-pfn",
        &["--prior", "ftpfn", "--synthetic-share", "0.5", "--out", "x"],
        root,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    let o = bin(
        "bench-hpo",
        &[
            "--methods",
            "cv:cv/cdf,random",
            "--seeds",
            "1",
            "--budget",
            "20",
            "--threads",
            "2",
            "--out",
            "b",
            "-q",
        ],
        root,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("2 methods × 3 tasks × 1 seeds"),
        "{}",
        text(&o)
    );
    let run = |task: &str| -> serde_json::Value {
        let p = root.join(format!("b/runs/ifbo-cv-cdf/{task}/seed-0.json"));
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    for (task, fold) in [
        ("task_a", "cdf-fold0"),
        ("task_b", "cdf-fold0"),
        ("task_c", "cdf-fold1"),
    ] {
        let r = run(task);
        let spec = r["spec"].as_str().unwrap();
        assert!(spec.contains(fold), "{task}: {spec}");
        assert_eq!(r["trained_on_task"], false);
    }
    // The bench run on task_c is `ifbo` with the same folds on task_c.
    let o = bin(
        "ifbo",
        &[
            "--surrogate",
            "cv:cv/cdf",
            "--benchmark",
            "data/parquet/taskset.parquet:task_c",
            "--budget",
            "20",
            "--out",
            "i",
            "-q",
        ],
        root,
    );
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("held out"), "{}", text(&o));
    let traj = std::fs::read_to_string(root.join("i/trajectory.csv")).unwrap();
    let from_ifbo: Vec<f32> = traj
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
        .collect();
    let from_bench: Vec<f32> = run("task_c")["incumbent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(from_bench, from_ifbo);

    // eval-lc scores every task with its held-out fold; a fold set that holds out
    // nothing of a task is refused.
    let o = bin(
        "eval-lc",
        &[
            "--checkpoint",
            "CV=cv:cv/cdf",
            "--baselines",
            "none",
            "--contexts",
            "30",
            "--draws",
            "1",
            "--out",
            "e",
            "-q",
        ],
        root,
    );
    assert!(o.status.success(), "{}", text(&o));
    let scores = std::fs::read_to_string(root.join("e/scores.csv")).unwrap();
    for task in ["task_a", "task_b", "task_c"] {
        assert!(scores.contains(task), "{task}: {scores}");
    }
    std::fs::remove_dir_all(root.join("cv/cdf-fold1")).unwrap();
    let o = bin(
        "bench-hpo",
        &[
            "--methods",
            "cv:cv/cdf",
            "--budget",
            "5",
            "--out",
            "b2",
            "-q",
        ],
        root,
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("every fold"), "{}", text(&o));
}

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

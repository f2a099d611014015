//! `eval-lc` end to end on a small generated TaskSet file: leave-tasks-out refusal,
//! every baseline, cross-validation with fold reuse, and the written tables.

mod common;

use common::cli::{bin, data_and_tiny_checkpoint, text};

const FAST: &[&str] = &[
    "--dpl-epochs",
    "3",
    "--dyhpo-steps",
    "3",
    "--gp-steps",
    "3",
    "-q",
];

fn eval(args: &[&str], root: &std::path::Path) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend(FAST);
    bin("eval-lc", &all, root)
}

#[test]
fn refuses_training_tasks_scores_every_method_and_cross_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    data_and_tiny_checkpoint(root);

    // ck trained on task_a and task_b: scoring it there is refused…
    let o = eval(
        &[
            "--checkpoint",
            "tiny=ck",
            "--baselines",
            "none",
            "--contexts",
            "30",
            "--draws",
            "1",
            "--out",
            "r0",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("was trained on task task_a"),
        "{}",
        text(&o)
    );
    assert!(!root.join("r0/scores.csv").exists());
    // …unless asked for, and then the table says so.
    let o = eval(
        &[
            "--checkpoint",
            "tiny=ck",
            "--baselines",
            "none",
            "--contexts",
            "30",
            "--draws",
            "1",
            "--allow-train-tasks",
            "--out",
            "r1",
        ],
        root,
    );
    assert!(o.status.success(), "{}", text(&o));
    let table = std::fs::read_to_string(root.join("r1/table.md")).unwrap();
    assert!(
        table.contains("| tiny † | thaw |") && table.contains("not a held-out result"),
        "{table}"
    );

    // --id-gain: each PFN row gets an ids-zeroed twin and the table its id gain.
    let o = eval(
        &[
            "--tasks",
            "task_c",
            "--checkpoint",
            "tiny=ck",
            "--baselines",
            "none",
            "--contexts",
            "30",
            "--draws",
            "2",
            "--id-gain",
            "--out",
            "r_id",
        ],
        root,
    );
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(root.join("r_id/scores.csv")).unwrap();
    let twins = csv.lines().filter(|l| l.starts_with("tiny (ids zeroed),"));
    assert_eq!(twins.count(), 2, "{csv}");
    let table = std::fs::read_to_string(root.join("r_id/table.md")).unwrap();
    assert!(table.contains("| tiny | ΔLL / Δρ | "), "{table}");
    let o = eval(
        &[
            "--checkpoint",
            "none",
            "--baselines",
            "uniform",
            "--contexts",
            "30",
            "--id-gain",
            "--out",
            "r_id2",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("--id-gain needs a PFN row"),
        "{}",
        text(&o)
    );

    // A context that fits no task is refused before any fold model is trained.
    let o = eval(
        &[
            "--cross-validate",
            "3",
            "--cv-dir",
            "folds_never",
            "--contexts",
            "100000",
            "--out",
            "r_big",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("context 100000 does not fit"),
        "{}",
        text(&o)
    );
    assert!(!root.join("folds_never").exists());

    // The held-out task with every baseline: 7 methods × 2 contexts × 2 draws.
    let o = eval(
        &[
            "--tasks",
            "task_c",
            "--checkpoint",
            "tiny=ck",
            "--contexts",
            "20,40",
            "--draws",
            "2",
            "--out",
            "r2",
        ],
        root,
    );
    assert!(o.status.success(), "{}", text(&o));
    let csv = std::fs::read_to_string(root.join("r2/scores.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 7 * 2 * 2, "{csv}");
    for m in [
        "tiny,",
        "DPL,",
        "DyHPO,",
        "GP-FT,",
        "Last value,",
        "HP nearest neighbours,",
        "Uniform,",
    ] {
        assert_eq!(
            csv.lines().filter(|l| l.starts_with(m)).count(),
            4,
            "{m} in {csv}"
        );
    }
    for line in csv.lines().filter(|l| l.starts_with("Uniform,")) {
        let f: Vec<&str> = line.split(',').collect();
        assert_eq!(f[4], "0", "uniform LL: {line}");
        assert_eq!(f[8], "16", "every configuration is queried: {line}");
    }
    assert!(
        text(&o).contains("| Uniform | thaw | 0.000 /"),
        "{}",
        text(&o)
    );
    // Started and unstarted scores split the overall ones: n·all = n_s·started + n_u·unstarted.
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let num = |i: usize| f[i].parse::<f64>().unwrap();
        let (n, n_s) = (num(8), num(9));
        for (all, started, unstarted) in [(4, 11, 13), (5, 12, 14)] {
            let joined = (n_s * num(started) + (n - n_s) * num(unstarted)) / n;
            assert!(
                (joined - num(all)).abs() < 1e-6 * (1.0 + num(all).abs()),
                "{line}"
            );
        }
    }
    assert!(
        text(&o).contains("| Last value | started |")
            && text(&o).contains("| HP nearest neighbours | unstarted |"),
        "{}",
        text(&o)
    );

    // No draw is not one draw.
    let o = eval(
        &[
            "--draws",
            "0",
            "--baselines",
            "uniform",
            "--checkpoint",
            "none",
            "--out",
            "r9",
        ],
        root,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("0 is not in 1..=1000"), "{}", text(&o));

    // 3-fold cross-validation over 3 tasks: fold i holds out task i, and is reused later.
    let cv = [
        "--cross-validate",
        "3",
        "--cv-model",
        "tiny",
        "--cv-steps",
        "2",
        "--cv-seq-len",
        "40",
        "--cv-augment",
        "none",
        "--checkpoint",
        "none",
        "--baselines",
        "uniform",
        "--contexts",
        "20",
        "--draws",
        "1",
        "--out",
        "r3",
    ];
    let o = eval(&cv, root);
    assert!(o.status.success(), "{}", text(&o));
    for (fold, task) in ["task_a", "task_b", "task_c"].iter().enumerate() {
        let cfg: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                root.join(format!("runs/eval-lc/cv/none-fold{fold}/config.json")),
            )
            .unwrap(),
        )
        .unwrap();
        let trained: Vec<String> =
            serde_json::from_value(cfg["data"]["train_tasks"].clone()).unwrap();
        assert!(
            !trained.contains(&task.to_string()) && trained.len() == 2,
            "fold {fold}: {trained:?}"
        );
    }
    let csv = std::fs::read_to_string(root.join("r3/scores.csv")).unwrap();
    assert_eq!(
        csv.lines()
            .filter(|l| l.starts_with("Adam-PFN (No aug.),"))
            .count(),
        3,
        "{csv}"
    );
    let o = eval(&cv, root);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(text(&o).matches("reusing").count(), 3, "{}", text(&o));
    // Different settings in the same folder are refused rather than overwritten.
    let mut other = cv.to_vec();
    other[5] = "3";
    let o = eval(&other, root);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("other settings"), "{}", text(&o));
}

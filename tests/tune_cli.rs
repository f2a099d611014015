//! `thaw tune`, `status`, `export` and `compare` as a user runs them: a relative store
//! beside a program in another folder, a program that never reports, a corrupt store, a
//! store another process holds locked, a malformed study file.

use std::path::Path;
use std::process::{Command, Output};

use thaw_study::Storage;

const THAW: &str = env!("CARGO_BIN_EXE_thaw");

/// loss = (x − 0.4)² + 1/epoch; it reads its trial file (as a real program may) to
/// find its checkpoint folder.
const PROGRAM: &str = r#"#!/bin/sh
ck=$(sed -n 's/.*"checkpoint_dir": "\(.*\)".*/\1/p' "$THAW_TRIAL_FILE")
[ -d "$ck" ] || { echo "no checkpoint folder $ck" >&2; exit 2; }
e=$THAW_FROM_EPOCH
while [ "$e" -lt "$THAW_TO_EPOCH" ]; do
  e=$((e+1))
  echo "$e" > "$ck/epoch"
  awk -v x="$THAW_PARAM_X" -v e="$e" 'BEGIN { printf "thaw: epoch=%d loss=%.6f\n", e, (x-0.4)^2 + 1/e }'
done
"#;

fn space(command: &str) -> String {
    format!(
        r#"
[objective]
command = {command}
metric = "loss"
direction = "minimize"
max_epochs = 4

[[param]]
name = "x"
type = "float"
low = 0.0
high = 1.0
"#
    )
}

/// `root/prog/` holds the program and its study file.
fn setup(root: &Path, command: &str) {
    let prog = root.join("prog");
    std::fs::create_dir_all(&prog).unwrap();
    std::fs::write(prog.join("prog.sh"), PROGRAM).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(prog.join("prog.sh"))
        .status()
        .unwrap();
    std::fs::write(prog.join("space.toml"), space(command)).unwrap();
}

fn thaw(root: &Path, args: &[&str]) -> Output {
    Command::new(THAW)
        .current_dir(root)
        .args(args)
        .env("THAW_HOME", env!("CARGO_MANIFEST_DIR"))
        .env("THAW_LOCK_TIMEOUT_S", "1")
        .output()
        .unwrap()
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(out: &Output) -> String {
    let (stdout, stderr) = text(out);
    assert!(out.status.success(), "{}: {stdout}\n{stderr}", out.status);
    stdout
}

fn failed(out: &Output) -> String {
    let (stdout, stderr) = text(out);
    assert!(!out.status.success(), "should fail: {stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn tune_status_export_compare_with_a_relative_store() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, r#"["./prog.sh"]"#);
    // The store is relative to where thaw runs, the program runs in prog/.
    for (study, method) in [("a", "asha"), ("r", "random")] {
        let out = thaw(
            root,
            &[
                "tune",
                "prog/space.toml",
                "--study",
                study,
                "--storage",
                "sqlite:store/s.db",
                "--method",
                method,
                "--budget",
                "16",
                "--quiet",
            ],
        );
        let stdout = ok(&out);
        assert!(stdout.contains("budget: 16 of 16 epochs spent"), "{stdout}");
    }
    let trained = std::fs::read_dir(root.join("store/a/trials"))
        .unwrap()
        .flatten()
        .filter(|d| d.path().join("checkpoint/epoch").is_file())
        .count();
    assert!(trained > 0, "the program found its checkpoint folders");
    let status = ok(&thaw(
        root,
        &["status", "--study", "a", "--storage", "sqlite:store/s.db"],
    ));
    assert!(
        status.contains("ASHA") && status.contains("best loss"),
        "{status}"
    );
    // Two studies in the store: status must be told which.
    let e = failed(&thaw(root, &["status", "--storage", "sqlite:store/s.db"]));
    assert!(e.contains("--study"), "{e}");
    ok(&thaw(
        root,
        &[
            "export",
            "--study",
            "a",
            "--storage",
            "sqlite:store/s.db",
            "--out",
            "a.csv",
        ],
    ));
    let csv = std::fs::read_to_string(root.join("a.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "study,trial,state,origin,x,epoch,loss,y,seconds,note"
    );
    assert_eq!(
        csv.lines().count(),
        17,
        "one row per epoch spent (the program reports no epoch 0)"
    );
    let cmp = ok(&thaw(
        root,
        &[
            "compare",
            "--storage",
            "sqlite:store/s.db",
            "--plot",
            "plots",
        ],
    ));
    assert!(
        cmp.contains("ASHA") && cmp.contains("Random search") && cmp.contains("@100% epochs"),
        "{cmp}"
    );
    let svg = std::fs::read_to_string(root.join("plots/regret-epochs.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("polyline"),
        "{svg:.200}"
    );
}

#[test]
fn a_program_that_never_reports_stops_the_tuner_and_the_study_continues_after_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, r#""echo garbage; echo 'thaw: nonsense'; exit 0""#);
    let args = [
        "tune",
        "prog/space.toml",
        "--storage",
        "sqlite:s.db",
        "--method",
        "random",
        "--budget",
        "12",
        "--quiet",
    ];
    let e = failed(&thaw(root, &args));
    assert!(e.contains("in a row before reporting a first epoch"), "{e}");
    // The fixed program, the same command: the study continues and spends the budget
    // (the failed trials' worst-value epochs count).
    std::fs::write(root.join("prog/space.toml"), space(r#"["./prog.sh"]"#)).unwrap();
    let out = ok(&thaw(root, &args));
    assert!(
        out.contains("budget: 12 of 12") && out.contains("failed 5"),
        "{out}"
    );
}

#[test]
fn corrupt_and_locked_stores_and_bad_study_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, r#"["./prog.sh"]"#);
    // Corrupt: not a database at all.
    std::fs::write(root.join("bad.db"), vec![0x5au8; 8192]).unwrap();
    for args in [
        &["status", "--storage", "sqlite:bad.db"][..],
        &[
            "tune",
            "prog/space.toml",
            "--storage",
            "sqlite:bad.db",
            "--budget",
            "4",
            "--method",
            "random",
        ][..],
    ] {
        let e = failed(&thaw(root, args));
        assert!(e.contains("bad.db"), "{e}");
    }
    // Locked by another process's write transaction: waited for (1 s here), then
    // reported; once the lock is gone the same command works.
    let tune = [
        "tune",
        "prog/space.toml",
        "--storage",
        "sqlite:s.db",
        "--method",
        "random",
        "--budget",
        "8",
        "--quiet",
    ];
    ok(&thaw(root, &tune[..8]));
    let storage = Storage::Sqlite(root.join("s.db"));
    let mut holder = storage.connect(false).unwrap();
    holder.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let more = [&tune[..7], &["12", "--quiet"]].concat();
    let e = failed(&thaw(root, &more));
    assert!(e.contains("locked") && e.contains("s.db"), "{e}");
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    assert!(ok(&thaw(root, &more)).contains("budget: 12 of 12"));
    // A malformed study file names its line and field.
    std::fs::write(
        root.join("prog/bad.toml"),
        space(r#"["./prog.sh"]"#).replace("high = 1.0", "high = -1.0"),
    )
    .unwrap();
    let e = failed(&thaw(
        root,
        &["tune", "prog/bad.toml", "--storage", "sqlite:t.db"],
    ));
    assert!(e.contains("bad.toml") && e.contains("line"), "{e}");
}

/// `thaw worker` joins a study that `thaw tune` made (SQLite here; PostgreSQL in
/// `tune_hosts.rs`): it runs the stored program until the budget is spent; a second
/// live process with the same worker identity is refused.
#[test]
fn a_worker_joins_a_study_and_identities_are_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, r#"["./prog.sh"]"#);
    let tune = [
        "tune",
        "prog/space.toml",
        "--storage",
        "sqlite:s.db",
        "--method",
        "random",
        "--budget",
        "8",
        "--quiet",
    ];
    ok(&thaw(root, &tune));
    // The budget is raised (as a second `thaw tune --budget 12` would, without working
    // on it); a worker in another folder spends it with the program the study stored.
    let store = format!("sqlite:{}", root.join("s.db").display());
    let storage = Storage::parse(&store).unwrap();
    let joined = thaw_study::Study::join(&storage, "space", None, Default::default()).unwrap();
    let mut more = joined.settings().clone();
    drop(joined);
    more.budget = 12;
    drop(thaw_study::Study::open(&storage, "space", more, None, Default::default()).unwrap());
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let out = thaw(&elsewhere, &["worker", "--storage", &store, "--quiet"]);
    let stdout = ok(&out);
    assert!(stdout.contains("joins study `space`"), "{stdout}");
    assert!(stdout.contains("budget: 12 of 12"), "{stdout}");
    // Hold the identity `gpu1` as a live process would; a worker claiming it is refused.
    let _held = storage.claim_worker("space", "gpu1").unwrap();
    let e = failed(&thaw(
        &elsewhere,
        &["worker", "--storage", &store, "--worker-id", "gpu1"],
    ));
    assert!(
        e.contains("already at work") && e.contains("--worker-id"),
        "{e}"
    );
    let e = failed(&thaw(
        &elsewhere,
        &["worker", "--storage", &store, "--study", "nope"],
    ));
    assert!(e.contains("no study `nope`"), "{e}");
}

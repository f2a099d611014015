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
    // The tuner's last connection folded the write-ahead log into the store: the file
    // alone holds the studies (a user may copy just it).
    assert!(
        !root.join("store/s.db-wal").exists(),
        "a write-ahead log was left"
    );
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
    // Each study's best value and configuration; patterns choose studies.
    assert!(
        cmp.contains("best of each study") && cmp.contains("a (ASHA): loss "),
        "{cmp}"
    );
    let only = ok(&thaw(
        root,
        &["compare", "--storage", "sqlite:store/s.db", "--study", "?"],
    ));
    assert!(only.contains("studies: a, r"), "{only}");
    let e = failed(&thaw(
        root,
        &["compare", "--storage", "sqlite:store/s.db", "--study", "x*"],
    ));
    assert!(e.contains("no study matches `x*`"), "{e}");
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

/// A program that records what it receives (`seen.txt`: trial, THAW_PARAM_LR,
/// THAW_PARAM_WD, THAW_PARAMS) and reports loss = 1/epoch.
const RECORDER: &str = r#"#!/bin/sh
echo "$THAW_TRIAL $THAW_PARAM_LR $THAW_PARAM_WD $THAW_PARAMS" >> seen.txt
e=$THAW_FROM_EPOCH
while [ "$e" -lt "$THAW_TO_EPOCH" ]; do
  e=$((e+1))
  echo "thaw: epoch=$e loss=$(awk -v e="$e" 'BEGIN { print 1/e }')"
done
"#;

/// `root/prog/` with the recorder and a study file over lr (log) and wd (linear),
/// both with defaults.
fn setup_recorder(root: &Path) {
    let prog = root.join("prog");
    std::fs::create_dir_all(&prog).unwrap();
    std::fs::write(prog.join("rec.sh"), RECORDER).unwrap();
    let text = r#"
[objective]
command = ["sh", "rec.sh"]
metric = "loss"
direction = "minimize"
max_epochs = 9

[[param]]
name = "lr"
type = "float"
low = 1e-5
high = 1.0
scale = "log"
default = 1e-3

[[param]]
name = "wd"
type = "float"
low = 0.0
high = 1.0
default = 0.1
"#;
    std::fs::write(prog.join("def.toml"), text).unwrap();
}

fn record(root: &Path, store: &str, study: &str) -> thaw_study::Record {
    let storage = Storage::Sqlite(root.join(store));
    let mut conn = storage.connect_read_only().unwrap();
    thaw_study::record::load(&mut conn, &storage, study).unwrap()
}

#[test]
fn the_defaults_are_started_first_by_every_kind_of_method() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup_recorder(root);
    for method in ["asha", "hyperband", "random", "ifbo"] {
        let out = thaw(
            root,
            &[
                "tune",
                "prog/def.toml",
                "--study",
                method,
                "--storage",
                "sqlite:s.db",
                "--method",
                method,
                "--budget",
                "6",
                "--quiet",
            ],
        );
        ok(&out);
        let rec = record(root, "s.db", method);
        let default = rec.trials.iter().find(|t| t.origin == "default").unwrap();
        assert_eq!(rec.decisions[0].trial, default.number, "{method}");
    }
}

#[test]
fn parameters_reach_the_program_the_store_and_the_export_as_one_number() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup_recorder(root);
    let args = [
        "tune",
        "prog/def.toml",
        "--storage",
        "sqlite:s.db",
        "--method",
        "random",
        "--budget",
        "60",
        "--quiet",
    ];
    ok(&thaw(root, &args));
    let seen = std::fs::read_to_string(root.join("prog/seen.txt")).unwrap();
    let rec = record(root, "s.db", "def");
    ok(&thaw(
        root,
        &["export", "--storage", "sqlite:s.db", "--out", "e.csv"],
    ));
    let csv = std::fs::read_to_string(root.join("e.csv")).unwrap();
    let mut checked = 0;
    for line in seen.lines() {
        let mut words = line.splitn(4, ' ');
        let trial: u64 = words.next().unwrap().parse().unwrap();
        let (lr, wd) = (words.next().unwrap(), words.next().unwrap());
        let params: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(words.next().unwrap()).unwrap();
        let stored = &rec.trials[trial as usize].params;
        assert_eq!(&params, stored, "trial {trial}: THAW_PARAMS vs the store");
        for (name, text) in [("lr", lr), ("wd", wd)] {
            let v: f64 = text.parse().unwrap();
            assert_eq!(
                v.to_bits(),
                stored[name].as_f64().unwrap().to_bits(),
                "trial {trial} {name}: {text} vs {}",
                stored[name]
            );
        }
        // The export's rows of this trial carry the same text.
        let row = csv
            .lines()
            .find(|l| l.split(',').nth(1) == Some(&trial.to_string()))
            .unwrap();
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(
            cells[4].parse::<f64>().unwrap().to_bits(),
            lr.parse::<f64>().unwrap().to_bits(),
            "{row}"
        );
        assert_eq!(
            cells[5].parse::<f64>().unwrap().to_bits(),
            wd.parse::<f64>().unwrap().to_bits(),
            "{row}"
        );
        if rec.trials[trial as usize].origin == "default" {
            assert_eq!((lr, wd), ("0.001", "0.1"), "the defaults as written");
        }
        checked += 1;
    }
    assert!(checked >= 7, "{seen}");
}

#[test]
fn bad_options_names_and_programs_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, r#"["./prog.sh"]"#);
    let tune = |extra: &[&str]| {
        let mut args = vec![
            "tune",
            "prog/space.toml",
            "--storage",
            "sqlite:s.db",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        thaw(root, &args)
    };
    // A pool with no random candidate.
    let e = failed(&tune(&["--pool-random", "0"]));
    assert!(e.contains("--pool-random"), "{e}");
    // A study name too long for a file name.
    let long = "n".repeat(300);
    let e = failed(&tune(&["--study", &long]));
    assert!(e.contains("1 to 100"), "{e}");
    assert!(!root.join("s.db").exists(), "nothing written");
    // A command that cannot be started is the study's problem: no configuration is
    // charged for it, and the same command continues after the fix.
    std::fs::write(root.join("prog/space.toml"), space(r#"["./missing.sh"]"#)).unwrap();
    let e = failed(&tune(&["--budget", "8", "--method", "random"]));
    assert!(
        e.contains("cannot start") && e.contains("missing.sh"),
        "{e}"
    );
    std::fs::write(
        root.join("prog/space.toml"),
        space(r#"["./prog.sh"]"#).replace("command", "workdir = \"nowhere\"\ncommand"),
    )
    .unwrap();
    let e = failed(&tune(&["--budget", "8", "--method", "random"]));
    assert!(
        e.contains("cannot start") && e.contains("does not exist"),
        "{e}"
    );
    // A shell command line whose program the shell cannot find (status 127).
    std::fs::write(
        root.join("prog/space.toml"),
        space(r#""nosuchprogram_xyz --epochs 4""#),
    )
    .unwrap();
    let e = failed(&tune(&["--budget", "8", "--method", "random"]));
    assert!(
        e.contains("could not run") && e.contains("status 127"),
        "{e}"
    );
    std::fs::write(root.join("prog/space.toml"), space(r#"["./prog.sh"]"#)).unwrap();
    let out = ok(&tune(&["--budget", "8", "--method", "random"]));
    assert!(
        out.contains("budget: 8 of 8") && out.contains("failed 0"),
        "{out}"
    );
    // A continued study keeps its budget unless told; a budget below what is spent is
    // refused.
    let out = ok(&tune(&["--method", "random"]));
    assert!(out.contains("budget 8 epochs"), "{out}");
    let e = failed(&tune(&["--budget", "4", "--method", "random"]));
    assert!(e.contains("spent 8 epochs already"), "{e}");
}

#[test]
fn a_damaged_store_is_refused_and_left_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, r#"["./prog.sh"]"#);
    let store = root.join("s.db");
    let storage = format!("sqlite:{}", store.display());
    let args = |budget: &'static str| {
        vec![
            "tune".to_string(),
            root.join("prog/space.toml").display().to_string(),
            "--storage".into(),
            storage.clone(),
            "--method".into(),
            "random".into(),
            "--budget".into(),
            budget.into(),
            "--quiet".into(),
        ]
    };
    let a = args("40");
    ok(&thaw(
        root,
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    // Everything in the database file (no write-ahead log left), then its last page
    // torn in half.
    let mut conn = Storage::Sqlite(store.clone()).connect(false).unwrap();
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
        .unwrap();
    drop(conn);
    let _ = std::fs::remove_file(root.join("s.db-wal"));
    let bytes = std::fs::read(&store).unwrap();
    let torn = &bytes[..bytes.len() - 2048];
    std::fs::write(&store, torn).unwrap();
    // Continued with a new budget from another folder.
    let elsewhere = root.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let a = args("80");
    let e = failed(&thaw(
        &elsewhere,
        &a.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert!(e.contains("damaged"), "{e}");
    assert_eq!(
        std::fs::read(&store).unwrap(),
        torn,
        "the store was changed"
    );
    let e = failed(&thaw(&elsewhere, &["status", "--storage", &storage]));
    assert!(e.contains("damaged"), "{e}");
}

#[test]
fn status_and_export_read_a_store_in_a_read_only_folder() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, r#"["./prog.sh"]"#);
    std::fs::create_dir_all(root.join("ro")).unwrap();
    ok(&thaw(
        root,
        &[
            "tune",
            "prog/space.toml",
            "--storage",
            "sqlite:ro/s.db",
            "--method",
            "random",
            "--budget",
            "8",
            "--quiet",
        ],
    ));
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(root.join("ro"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let before = listing();
    let out = root.join("out.csv");
    let commands = format!(
        "{THAW} status --storage sqlite:ro/s.db && {THAW} export --storage sqlite:ro/s.db --out {}",
        out.display()
    );
    // Root ignores permission bits: a read-only bind mount in a mount namespace of its
    // own makes the folder read-only for root too.
    let root_user = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let run = if root_user {
        let ro = root.join("ro");
        let script = format!(
            "mount --bind {0} {0} && mount -o remount,bind,ro {0} && {commands}",
            ro.display()
        );
        Command::new("unshare")
            .args(["-m", "sh", "-c", &script])
            .current_dir(root)
            .output()
            .unwrap()
    } else {
        Command::new("chmod")
            .arg("555")
            .arg(root.join("ro"))
            .status()
            .unwrap();
        let o = Command::new("sh")
            .args(["-c", &commands])
            .current_dir(root)
            .output()
            .unwrap();
        Command::new("chmod")
            .arg("755")
            .arg(root.join("ro"))
            .status()
            .unwrap();
        o
    };
    let stdout = ok(&run);
    assert!(stdout.contains("budget: 8 of 8"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 9);
    assert_eq!(listing(), before, "nothing was created beside the store");
}

#[test]
fn studies_best_and_delete_keep_a_store_tidy() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, r#"["./prog.sh"]"#);
    for (study, method) in [("a", "asha"), ("r", "random")] {
        ok(&thaw(
            root,
            &[
                "tune",
                "prog/space.toml",
                "--study",
                study,
                "--storage",
                "sqlite:s.db",
                "--method",
                method,
                "--budget",
                "12",
                "--quiet",
            ],
        ));
    }
    let list = ok(&thaw(root, &["studies", "--storage", "sqlite:s.db"]));
    assert!(list.starts_with("2 studies in sqlite:s.db"), "{list}");
    assert!(
        list.contains("ASHA") && list.contains("Random search"),
        "{list}"
    );
    assert!(list.contains("12 of 12"), "{list}");
    // Two studies: `best` must be told which, and says which there are.
    let e = failed(&thaw(root, &["best", "--storage", "sqlite:s.db"]));
    assert!(e.contains("a, r") && e.contains("--study"), "{e}");
    let json = ok(&thaw(
        root,
        &["best", "--storage", "sqlite:s.db", "--study", "a", "--json"],
    ));
    let best: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    let rec = record(root, "s.db", "a");
    let (trial, epoch, value) = rec.incumbent().unwrap();
    assert_eq!(best["trial"], trial);
    assert_eq!(best["epoch"], epoch);
    assert_eq!(best["value"].as_f64().unwrap().to_bits(), value.to_bits());
    assert_eq!(best["params"]["x"], rec.trials[trial as usize].params["x"]);
    // Deleting asks; with input not a terminal it needs --yes.
    let out = thaw(
        root,
        &["delete", "--storage", "sqlite:s.db", "--study", "a"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", failed(&out));
    let out = ok(&thaw(
        root,
        &[
            "delete",
            "--storage",
            "sqlite:s.db",
            "--study",
            "a",
            "--yes",
            "--files",
        ],
    ));
    assert!(out.contains("deleted study `a`"), "{out}");
    assert!(!root.join("a").exists(), "--files removed the trial folder");
    let list = ok(&thaw(root, &["studies", "--storage", "sqlite:s.db"]));
    assert!(
        list.starts_with("1 studies") && !list.contains("ASHA"),
        "{list}"
    );
    // With one study left, read commands pick it.
    ok(&thaw(root, &["best", "--storage", "sqlite:s.db"]));
    let e = failed(&thaw(
        root,
        &[
            "delete",
            "--storage",
            "sqlite:s.db",
            "--study",
            "a",
            "--yes",
        ],
    ));
    assert!(e.contains("no study `a`"), "{e}");
}

#[test]
fn a_user_is_told_what_happens() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // A misspelled script: the cause is in the error itself, not only in log.txt.
    setup(
        root,
        r#""echo \"python3: can't open file 'trian.py'\" >&2; exit 2""#,
    );
    let tune = |extra: &[&str]| {
        let mut args = vec!["tune", "prog/space.toml", "--storage", "sqlite:s.db"];
        args.extend_from_slice(extra);
        thaw(root, &args)
    };
    let e = failed(&tune(&["--method", "random", "--budget", "12", "--quiet"]));
    assert!(e.contains("can't open file 'trian.py'"), "{e}");
    // With stderr not a terminal: a line per finished segment.
    std::fs::write(root.join("prog/space.toml"), space(r#"["./prog.sh"]"#)).unwrap();
    let out = tune(&["--method", "random", "--budget", "12"]);
    let (_, stderr) = text(&out);
    ok(&out);
    assert!(
        stderr.contains("segment done ·") && stderr.contains("of 12 epochs"),
        "{stderr}"
    );
    // Another method on the same study: refused in words, not internal JSON.
    let e = failed(&tune(&["--method", "asha", "--budget", "16"]));
    assert!(
        e.contains("method was Random search, now ASHA") && !e.contains('{'),
        "{e}"
    );
}

#[test]
fn ctrl_c_stops_with_a_word_and_the_same_command_continues() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    setup(root, r#""sleep 0.5; ./prog.sh""#);
    let args = [
        "tune",
        "prog/space.toml",
        "--storage",
        "sqlite:s.db",
        "--method",
        "random",
        "--budget",
        "16",
        "--quiet",
    ];
    let child = Command::new(THAW)
        .current_dir(root)
        .args(args)
        .env("THAW_HOME", env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(900));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("run the same command to continue"),
        "{stderr}"
    );
    let rec = record(root, "s.db", "space");
    assert!(rec.spent() < 16, "stopped early");
    assert!(
        rec.trials
            .iter()
            .all(|t| t.state != thaw_study::State::Running),
        "no trial left running"
    );
    let out = ok(&thaw(root, &args));
    assert!(out.contains("budget: 16 of 16"), "{out}");
}

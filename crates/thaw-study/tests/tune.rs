//! End to end on a real program (a shell script speaking the trial protocol): budgets,
//! workers, failures of every kind, refused settings.

use std::path::Path;

use thaw_hpo::MethodSpec;
use thaw_study::{
    PoolSettings, Record, State, Storage, Study, StudyFile, StudySettings, TuneOptions,
};

/// loss = (x − 0.3)² + 1/epoch; x ≥ 0.9 exits 1 at epoch 2; 0.8 ≤ x < 0.9 reports NaN at
/// epoch 2; 0.7 ≤ x < 0.8 reports epoch 3 twice; 0.6 ≤ x < 0.7 hangs at epoch 2.
const PROGRAM: &str = r#"#!/bin/sh
ck="$THAW_CHECKPOINT_DIR/epoch"
if [ "$THAW_FROM_EPOCH" -gt 0 ] && [ "$(cat "$ck")" != "$THAW_FROM_EPOCH" ]; then exit 3; fi
e=$THAW_FROM_EPOCH
echo "some chatter that is not a report"
while [ "$e" -lt "$THAW_TO_EPOCH" ]; do
  e=$((e+1))
  kind=$(awk -v x="$THAW_PARAM_X" 'BEGIN { print (x >= 0.9) ? "crash" : (x >= 0.8) ? "nan" : (x >= 0.7) ? "twice" : (x >= 0.6) ? "hang" : "ok" }')
  if [ "$e" = 2 ] && [ "$kind" = crash ]; then exit 1; fi
  if [ "$e" = 2 ] && [ "$kind" = hang ]; then sleep 30; fi
  echo "$e" > "$ck.tmp"; mv "$ck.tmp" "$ck"
  if [ "$e" = 2 ] && [ "$kind" = nan ]; then echo "thaw: epoch=2 loss=nan"; continue; fi
  awk -v x="$THAW_PARAM_X" -v e="$e" 'BEGIN { printf "thaw: epoch=%d loss=%.6f\n", e, (x-0.3)^2 + 1/e }'
  if [ "$e" = 3 ] && [ "$kind" = twice ]; then echo "thaw: epoch=3 loss=0.5"; fi
done
"#;

fn setup(dir: &Path) -> StudyFile {
    let prog = dir.join("prog.sh");
    std::fs::write(&prog, PROGRAM).unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&prog)
        .status()
        .unwrap();
    let text = r#"
[objective]
command = ["./prog.sh"]
metric = "loss"
direction = "minimize"
max_epochs = 6
timeout_s = 3
retries = 1

[[param]]
name = "x"
type = "float"
low = 0.0
high = 1.0
"#;
    let path = dir.join("space.toml");
    std::fs::write(&path, text).unwrap();
    StudyFile::read(&path).unwrap()
}

fn settings(file: &StudyFile, method: &str, budget: usize) -> StudySettings {
    StudySettings {
        space: file.space.clone(),
        metric: "loss".into(),
        direction: file.objective.direction,
        max_epochs: file.objective.max_epochs,
        bounds: None,
        method: MethodSpec::named(method, Path::new("checkpoints")).unwrap(),
        seed: 7,
        pool: PoolSettings {
            random: 16,
            ..PoolSettings::default()
        },
        budget,
        retries: file.objective.retries,
        lease_s: 10.0,
        objective: None,
    }
}

fn check_consistent(rec: &Record) {
    for t in &rec.trials {
        let curve = rec.curve(t.number);
        assert_eq!(
            curve.len(),
            t.epochs,
            "trial {}: epochs recorded = epochs counted",
            t.number
        );
        assert!(t.epochs <= t.target.max(t.epochs) && t.epochs <= rec.settings.max_epochs);
        assert!(
            !matches!(t.state, State::Running | State::Pending),
            "trial {} left {:?}",
            t.number,
            t.state
        );
        if t.state == State::Done {
            assert_eq!(t.epochs, rec.settings.max_epochs);
        }
    }
    let mut seen = std::collections::HashSet::new();
    for e in &rec.epochs {
        assert!(
            seen.insert((e.trial, e.epoch)),
            "epoch {} of trial {} twice",
            e.epoch,
            e.trial
        );
    }
}

#[test]
fn workers_spend_the_budget_exactly_and_failures_are_recorded_as_the_worst() {
    let dir = tempfile::tempdir().unwrap();
    let file = setup(dir.path());
    let storage = Storage::Sqlite(dir.path().join("s.db"));
    let device = burn::tensor::Device::default();
    let study = Study::open(
        &storage,
        "asha",
        settings(&file, "asha", 60),
        None,
        device.clone(),
    )
    .unwrap();
    let options = TuneOptions {
        workers: 3,
        ..TuneOptions::default()
    };
    thaw_study::tune(study, &file.objective, &options, &|_| {}).unwrap();
    let mut conn = storage.connect(false).unwrap();
    let rec = thaw_study::record::load(&mut conn, &storage, "asha").unwrap();
    assert_eq!(rec.spent(), 60, "the budget is exact with 3 workers");
    check_consistent(&rec);
    // Every failing kind that was tried ended as a failure with its reason, and the epoch
    // it failed at counts as the worst value (no value).
    for t in rec.trials.iter().filter(|t| t.epochs > 0) {
        let x = t.params["x"].as_f64().unwrap();
        let curve = rec.curve(t.number);
        if t.state == State::Failed {
            assert!(x >= 0.6, "x {x} cannot fail: {t:?}");
            assert!(curve.len() >= 2 && curve[..curve.len() - 1].iter().all(Option::is_some));
            assert_eq!(
                curve.last(),
                Some(&None),
                "x {x}: the failed epoch is the worst"
            );
            let reason = t.reason.as_deref().unwrap();
            let want = match x {
                x if x >= 0.9 => "exited with status 1",
                x if x >= 0.8 => "loss = NaN",
                x if x >= 0.7 => "epoch 3 where epoch 4 was due",
                _ => "timed out",
            };
            assert!(reason.contains(want), "x {x}: {reason}");
        } else {
            assert!(curve.iter().all(Option::is_some), "x {x}");
        }
    }
    assert!(
        rec.trials.iter().any(|t| t.state == State::Failed),
        "some failure was tried"
    );
    assert!(
        std::fs::read_to_string(dir.path().join("asha/trials/00000/log.txt"))
            .unwrap()
            .contains("chatter"),
        "the program's output is logged"
    );

    // The same study with other settings is refused; with a larger budget it continues,
    // its decisions replayed.
    let e = Study::open(
        &storage,
        "asha",
        settings(&file, "hyperband", 60),
        None,
        device.clone(),
    )
    .err()
    .unwrap();
    assert!(e.to_string().contains("method was"), "{e}");
    let more = Study::open(&storage, "asha", settings(&file, "asha", 70), None, device).unwrap();
    thaw_study::tune(more, &file.objective, &TuneOptions::default(), &|_| {}).unwrap();
    let rec = thaw_study::record::load(&mut conn, &storage, "asha").unwrap();
    assert_eq!(rec.spent(), 70);
    check_consistent(&rec);
}

#[test]
fn ask_is_idempotent_and_a_second_run_resumes_the_same_trajectory() {
    let dir = tempfile::tempdir().unwrap();
    let file = setup(dir.path());
    let device = burn::tensor::Device::default();
    // One uninterrupted run.
    let a = Storage::Sqlite(dir.path().join("a.db"));
    let study = Study::open(
        &a,
        "s",
        settings(&file, "hyperband", 30),
        None,
        device.clone(),
    )
    .unwrap();
    thaw_study::tune(study, &file.objective, &TuneOptions::default(), &|_| {}).unwrap();
    // The same, stopped after 12 epochs by a worker that leaves its trial running.
    let b = Storage::Sqlite(dir.path().join("b.db"));
    let mut study = Study::open(
        &b,
        "s",
        settings(&file, "hyperband", 30),
        None,
        device.clone(),
    )
    .unwrap();
    let mut told = 0;
    while told < 12 {
        let thaw_study::Ask::Trial(t) = study.ask("me").unwrap() else {
            panic!("work expected")
        };
        assert_eq!(
            study.ask("me").unwrap(),
            thaw_study::Ask::Trial(t.clone()),
            "idempotent"
        );
        let x = t.config["x"].as_f64().unwrap();
        for e in t.from_epoch + 1..=t.to_epoch {
            if told == 12 {
                break;
            }
            if x >= 0.6 && e == 2 {
                break;
            }
            study
                .tell(t.number, "me", e, (x - 0.3).powi(2) + 1.0 / e as f64)
                .unwrap();
            std::fs::create_dir_all(&t.checkpoint_dir).unwrap();
            std::fs::write(t.checkpoint_dir.join("epoch"), format!("{e}\n")).unwrap();
            told += 1;
        }
        if told < 12 {
            let end = if x >= 0.6 {
                // Let the real program fail this one the way it does.
                break;
            } else {
                thaw_study::protocol::End::Completed
            };
            study.finish(t.number, "me", &end).unwrap();
        }
    }
    drop(study);
    // A new process: worker "me" comes back, gets its held trial (asking is idempotent)
    // and hands it back to the queue; the tuner's worker resumes it from its checkpoint.
    let mut study = Study::open(&b, "s", settings(&file, "hyperband", 30), None, device).unwrap();
    if let thaw_study::Ask::Trial(t) = study.ask("me").unwrap() {
        study
            .finish(t.number, "me", &thaw_study::protocol::End::Stopped)
            .unwrap();
    }
    thaw_study::tune(study, &file.objective, &TuneOptions::default(), &|_| {}).unwrap();
    let mut conn_a = a.connect(false).unwrap();
    let mut conn_b = b.connect(false).unwrap();
    let ra = thaw_study::record::load(&mut conn_a, &a, "s").unwrap();
    let rb = thaw_study::record::load(&mut conn_b, &b, "s").unwrap();
    let key = |r: &Record| {
        r.epochs
            .iter()
            .map(|e| (e.trial, e.epoch, e.value.map(f64::to_bits)))
            .collect::<Vec<_>>()
    };
    assert_eq!(rb.spent(), 30);
    check_consistent(&rb);
    let decisions = |r: &Record| {
        r.decisions
            .iter()
            .map(|d| (d.trial, d.to_epoch))
            .collect::<Vec<_>>()
    };
    assert_eq!(decisions(&ra), decisions(&rb), "identical decisions");
    assert_eq!(key(&ra).len(), key(&rb).len());
}

#[test]
fn a_program_that_never_starts_stops_the_study_with_its_budget_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = setup(dir.path());
    file.objective.command = vec![
        "sh".into(),
        "-c".into(),
        "echo cannot start >&2; exit 2".into(),
    ];
    let storage = Storage::Sqlite(dir.path().join("s.db"));
    let device = burn::tensor::Device::default();
    let study = Study::open(
        &storage,
        "broken",
        settings(&file, "random", 60),
        None,
        device,
    )
    .unwrap();
    let e = thaw_study::tune(study, &file.objective, &TuneOptions::default(), &|_| {})
        .expect_err("a broken program stops the study");
    let text = e.to_string();
    assert!(
        text.contains("5 times in a row") && text.contains("log.txt"),
        "{text}"
    );
    let mut conn = storage.connect(false).unwrap();
    let rec = thaw_study::record::load(&mut conn, &storage, "broken").unwrap();
    assert!(
        rec.spent() <= 5,
        "the budget is kept: {} spent",
        rec.spent()
    );
}

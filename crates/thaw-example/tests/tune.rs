//! `mlp-adam` tuned end to end through thaw's study API (what `thaw tune` runs): the
//! shipped study file, ASHA with two workers and ifBO with the shipped Adam-PFN, on the
//! real program. Every epoch is recorded, the budget is spent exactly, the program's
//! checkpoints resume (no trial restarts from epoch 0), and tuning finds a configuration
//! that learns.

use std::path::{Path, PathBuf};

use thaw_hpo::MethodSpec;
use thaw_hpo::optimizers::pbt::PbtSettings;
use thaw_study::{PoolSettings, Record, State, Storage, Study, StudyFile, StudySettings};

const BIN: &str = env!("CARGO_BIN_EXE_mlp-adam");

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shipped study file, run with the binary cargo built for this test and fewer
/// epochs (CI has two cores).
fn study_file() -> StudyFile {
    let mut file = StudyFile::read(&root().join("crates/thaw-example/study/space.toml"))
        .expect("the shipped study file reads");
    assert_eq!(file.space.params.len(), 8);
    file.objective.command = vec![BIN.into()];
    file.objective.max_epochs = 6;
    file
}

fn settings(file: &StudyFile, method: &str, budget: usize) -> StudySettings {
    StudySettings {
        space: file.space.clone(),
        metric: file.objective.metric.clone(),
        direction: file.objective.direction,
        max_epochs: file.objective.max_epochs,
        bounds: file.objective.bounds,
        method: MethodSpec::named(method, &root().join("checkpoints")).unwrap(),
        seed: 3,
        pool: PoolSettings {
            random: 16,
            ..PoolSettings::default()
        },
        budget,
        retries: file.objective.retries,
        lease_s: 30.0,
        objective: None,
    }
}

fn run(dir: &Path, method: &str, budget: usize, workers: usize) -> Record {
    run_with(
        dir,
        method,
        settings(&study_file(), method, budget),
        workers,
    )
}

fn run_with(dir: &Path, method: &str, settings: StudySettings, workers: usize) -> Record {
    let file = study_file();
    let storage = Storage::Sqlite(dir.join("study.db"));
    let study = Study::open(
        &storage,
        method,
        settings,
        None,
        burn::tensor::Device::default(),
    )
    .unwrap();
    let options = thaw_study::TuneOptions {
        workers,
        ..Default::default()
    };
    thaw_study::tune(study, &file.objective, &options, &|_| {}).unwrap();
    let mut conn = storage.connect(false).unwrap();
    thaw_study::record::load(&mut conn, &storage, method).unwrap()
}

/// Every trained epoch is recorded once, in order, with a finite value; segments after
/// the first resumed from the checkpoint.
fn check(rec: &Record, budget: usize) {
    assert_eq!(rec.spent(), budget, "the budget is spent exactly");
    check_trials(rec);
}

/// Every trained epoch is recorded once, in order, with a finite value.
fn check_trials(rec: &Record) {
    for t in rec.trials.iter().filter(|t| t.epochs > 0) {
        assert!(
            matches!(t.state, State::Frozen | State::Done),
            "trial {} ended {:?} ({:?})",
            t.number,
            t.state,
            t.reason
        );
        let epochs: Vec<usize> = rec
            .epochs
            .iter()
            .filter(|e| e.trial == t.number && e.epoch > 0)
            .map(|e| e.epoch)
            .collect();
        assert_eq!(epochs, (1..=t.epochs).collect::<Vec<_>>());
        assert!(
            rec.curve(t.number)
                .iter()
                .all(|v| v.is_some_and(f64::is_finite))
        );
    }
}

#[test]
fn asha_with_two_workers_tunes_the_real_program() {
    let dir = tempfile::tempdir().unwrap();
    let rec = run(dir.path(), "asha", 20, 2);
    check(&rec, 20);
    // ASHA promoted someone: a trial trained past its first rung in a later segment,
    // which the program resumed from its checkpoint.
    let promoted = rec
        .trials
        .iter()
        .max_by_key(|t| t.epochs)
        .filter(|t| t.epochs > 2)
        .expect("ASHA promoted a trial past its first rung (2 of 6 epochs)");
    let log = std::fs::read_to_string(
        dir.path()
            .join(format!("asha/trials/{:05}/log.txt", promoted.number)),
    )
    .unwrap();
    let head = format!("mlp-adam: trial {}, epochs ", promoted.number);
    assert!(
        log.lines()
            .any(|l| l.starts_with(&head) && !l.starts_with(&format!("{head}1..="))),
        "the promotion resumed from the checkpoint: {log}"
    );
    // Something learnt: the best validation loss is far below ln 6 = 1.79, the loss of a
    // uniform guess over the six classes.
    let (best, epoch, value) = rec.incumbent().expect("an incumbent");
    assert!(
        value < 1.2,
        "best val_loss {value} (trial {best}, epoch {epoch})"
    );
}

#[test]
fn ifbo_with_adam_pfn_tunes_the_real_program() {
    let dir = tempfile::tempdir().unwrap();
    let rec = run(dir.path(), "adam-pfn", 10, 1);
    check(&rec, 10);
    assert!(!rec.decisions.is_empty());
}

#[test]
fn pbt_exploits_and_explores_on_the_real_program() {
    let dir = tempfile::tempdir().unwrap();
    let file = study_file();
    let mut s = settings(&file, "pbt", 48);
    s.method = MethodSpec::Pbt {
        settings: PbtSettings {
            population: 4,
            interval: 2,
            mutable: file.space.mutable(),
            ..PbtSettings::default()
        },
    };
    let rec = run_with(dir.path(), "pbt", s.clone(), 2);
    check_trials(&rec);
    // Opened again, the study replays every decision, the children included, and finds
    // nothing left to do.
    let mut again = Study::open(
        &Storage::Sqlite(dir.path().join("study.db")),
        "pbt",
        s,
        None,
        burn::tensor::Device::default(),
    )
    .unwrap();
    assert_eq!(again.ask("replay/w1").unwrap(), thaw_study::Ask::Finished);
    // The population trains to the end, four members done, and the study ends there,
    // within the budget (inherited epochs are not trained again).
    let done = rec.trials.iter().filter(|t| t.state == State::Done).count();
    assert_eq!(done, 4, "{:?}", rec.counts());
    assert!(rec.spent() < 48, "spent {}", rec.spent());
    let children: Vec<_> = rec
        .trials
        .iter()
        .filter(|t| t.origin.starts_with("pbt:"))
        .collect();
    assert!(!children.is_empty(), "the bottom members exploited the top");
    for child in children {
        let (parent, epoch) = child.origin["pbt:".len()..].split_once('@').unwrap();
        let (parent, epoch): (u64, usize) = (parent.parse().unwrap(), epoch.parse().unwrap());
        let parent = &rec.trials[parent as usize];
        // Explore changed only what the program can change on resume.
        let mut moved = false;
        for p in &file.space.params {
            let (a, b) = (&child.params[&p.name], &parent.params[&p.name]);
            if p.is_mutable() {
                moved |= a != b;
            } else {
                assert_eq!(a, b, "`{}` is fixed", p.name);
            }
        }
        assert!(
            moved,
            "explore moved a mutable parameter: {:?}",
            child.params
        );
        // The child's curve begins with the parent's epochs, copied, not trained again.
        let (c, p) = (rec.curve(child.number), rec.curve(parent.number));
        assert_eq!(c[..epoch], p[..epoch]);
        assert!(
            rec.epochs
                .iter()
                .filter(|e| e.trial == child.number && e.epoch >= 1 && e.epoch <= epoch)
                .all(|e| e.inherited())
        );
        // Its program resumed from the parent's checkpoint at that epoch.
        if child.epochs > epoch {
            let log = std::fs::read_to_string(
                dir.path()
                    .join(format!("pbt/trials/{:05}/log.txt", child.number)),
            )
            .unwrap();
            let head = format!("mlp-adam: trial {}, epochs {}..=", child.number, epoch + 1);
            assert!(log.lines().any(|l| l.starts_with(&head)), "{head}: {log}");
        }
    }
}

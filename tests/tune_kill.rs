//! `thaw tune` killed with SIGKILL at random moments, K times, and started again each
//! time — sometimes the tuner, sometimes the training program under it. Afterwards no
//! reported epoch is missing, none was trained twice beyond the one in flight at a kill,
//! the trial states are consistent, and (one worker, fixed seed) the study is identical
//! to an uninterrupted one: the same decisions, the same epochs with the same values,
//! the same final states.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use thaw_study::record::{self, Record};
use thaw_study::{State, Storage};

const THAW: &str = env!("CARGO_BIN_EXE_thaw");

/// A deterministic program (it reports epoch 0 on a first segment, as `mlp-adam` does)
/// that keeps, beside its checkpoint, every value it reported
/// (so a checkpoint ahead of THAW_FROM_EPOCH is reported again, not trained again) and
/// a log of every epoch it trained (`trained`, one line per epoch started), and writes
/// its pid to `$PID_FILE` so the test can kill it.
const PROGRAM: &str = r#"#!/bin/sh
ck="$THAW_CHECKPOINT_DIR"
echo $$ > "$PID_FILE"
held=0
[ -f "$ck/epoch" ] && held=$(cat "$ck/epoch")
if [ "$THAW_FROM_EPOCH" -gt 0 ] && [ "$held" -lt "$THAW_FROM_EPOCH" ]; then
  echo "checkpoint holds $held, asked from $THAW_FROM_EPOCH" >&2; exit 3
fi
if [ "$THAW_FROM_EPOCH" -eq 0 ]; then
  held=0
  awk -v x="$THAW_PARAM_X" 'BEGIN { printf "thaw: epoch=0 loss=%.9f\n", 2 + x }'
fi
e=$THAW_FROM_EPOCH
while [ "$e" -lt "$THAW_TO_EPOCH" ]; do
  e=$((e+1))
  if [ "$e" -le "$held" ]; then
    sed -n "${e}p" "$ck/values"; continue
  fi
  echo "$e" >> "$ck/trained"
  sleep 0.02
  line=$(awk -v x="$THAW_PARAM_X" -v y="$THAW_PARAM_Y" -v e="$e" 'BEGIN { printf "thaw: epoch=%d loss=%.9f\n", e, (x-0.3)^2 + (y-0.6)^2 + (1 + 3*x*y)/e }')
  head -n $((e-1)) "$ck/values" 2>/dev/null > "$ck/values.tmp"
  echo "$line" >> "$ck/values.tmp"
  mv "$ck/values.tmp" "$ck/values"
  echo "$e" > "$ck/epoch.tmp"; mv "$ck/epoch.tmp" "$ck/epoch"
  echo "$line"
done
"#;

const SPACE: &str = r#"
[objective]
command = ["./prog.sh"]
metric = "loss"
direction = "minimize"
max_epochs = 9
timeout_s = 20
retries = 100

[[param]]
name = "x"
type = "float"
low = 0.0
high = 1.0

[[param]]
name = "y"
type = "float"
low = 0.0
high = 1.0
"#;

fn setup(dir: &Path) {
    std::fs::write(dir.join("prog.sh"), PROGRAM).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(dir.join("prog.sh"))
        .status()
        .unwrap();
    std::fs::write(dir.join("space.toml"), SPACE).unwrap();
}

fn tune(dir: &Path, db: &str, method: &[&str], budget: usize) -> Command {
    let mut cmd = Command::new(THAW);
    cmd.current_dir(dir)
        .args(["tune", "space.toml", "--study", "s", "--quiet"])
        .arg("--storage")
        .arg(format!("sqlite:{db}"))
        .args(method)
        .args(["--budget", &budget.to_string(), "--seed", "4"])
        .args(["--lease-s", "2", "--pool-random", "12"])
        .env("PID_FILE", dir.join(format!("{db}.pid")))
        .env("THAW_HOME", env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

fn load(dir: &Path, db: &str) -> Record {
    try_load(dir, db).unwrap()
}

fn try_load(dir: &Path, db: &str) -> thaw_study::Result<Record> {
    let storage = Storage::Sqlite(dir.join(db));
    let mut conn = storage.connect(false)?;
    record::load(&mut conn, &storage, "s")
}

fn wait_ok(mut child: Child, what: &str) {
    let out = child.wait().unwrap();
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        e.read_to_string(&mut err).ok();
    }
    assert!(out.success(), "{what}: {out}: {err}");
}

/// How often each (trial, epoch) was trained, from the programs' own logs.
fn trained(dir: &Path) -> Vec<usize> {
    let trials = dir.join("s").join("trials");
    let mut twice = Vec::new();
    let Ok(entries) = std::fs::read_dir(&trials) else {
        return twice;
    };
    for entry in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path().join("checkpoint/trained")) else {
            continue;
        };
        let mut counts = std::collections::BTreeMap::new();
        for line in text.lines() {
            *counts.entry(line.to_string()).or_insert(0usize) += 1;
        }
        twice.extend(counts.values().map(|&c| c - 1).filter(|&c| c > 0));
    }
    twice
}

/// The uninterrupted study, then the killed one, compared.
fn killed_study_is_identical(method: &[&str], budget: usize, kills: usize, seed: u64) {
    let root = tempfile::tempdir().unwrap();
    let (a, b) = (root.path().join("a"), root.path().join("b"));
    for d in [&a, &b] {
        std::fs::create_dir_all(d).unwrap();
        setup(d);
    }
    let started = Instant::now();
    wait_ok(
        tune(&a, "a.db", method, budget).spawn().unwrap(),
        "uninterrupted",
    );
    let uninterrupted = started.elapsed();

    let mut rng = StdRng::seed_from_u64(seed);
    let (mut tuner_kills, mut program_kills, mut rounds) = (0, 0, 0);
    let finished = loop {
        rounds += 1;
        assert!(rounds < 10 * kills + 20, "the killed study never finished");
        let mut child = tune(&b, "b.db", method, budget).spawn().unwrap();
        if tuner_kills + program_kills >= kills {
            break child;
        }
        // A random moment within what is left of the run (from the share of the budget
        // spent); a third of the kills hit the program.
        // The file may exist before its schema or its study (a tuner killed while it
        // started): nothing is spent then.
        let spent = try_load(&b, "b.db").map_or(0, |r| r.spent());
        let left =
            uninterrupted.as_secs_f64() * (budget - spent.min(budget)) as f64 / budget as f64;
        let at = rng.random_range(0.0..(left / 2.0).max(0.1));
        std::thread::sleep(Duration::from_secs_f64(at));
        if child.try_wait().unwrap().is_some() {
            break child;
        }
        if rng.random_bool(1.0 / 3.0) {
            let pid = std::fs::read_to_string(b.join("b.db.pid")).unwrap_or_default();
            if !pid.trim().is_empty()
                && Command::new("kill")
                    .args(["-9", pid.trim()])
                    .stderr(Stdio::null())
                    .status()
                    .unwrap()
                    .success()
            {
                program_kills += 1;
            }
            // The tuner records the crash and retries from the checkpoint; then it is
            // killed too, a little later.
            std::thread::sleep(Duration::from_secs_f64(rng.random_range(0.0..0.2)));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        tuner_kills += 1;
    };
    wait_ok(finished, "the last run of the killed study");

    let (ra, rb) = (load(&a, "a.db"), load(&b, "b.db"));
    eprintln!(
        "{method:?}: {tuner_kills} tuner kills, {program_kills} program kills in {rounds} runs; \
         {} decisions, {} epochs",
        rb.decisions.len(),
        rb.epochs.len()
    );
    assert!(
        tuner_kills + program_kills >= kills / 2,
        "only {tuner_kills} + {program_kills} of {kills} kills landed"
    );
    assert_eq!(rb.spent(), budget, "the budget is spent exactly");
    let decisions = |r: &Record| {
        r.decisions
            .iter()
            .map(|d| (d.trial, d.from_epoch, d.to_epoch, d.granted))
            .collect::<Vec<_>>()
    };
    assert_eq!(decisions(&ra), decisions(&rb), "identical decisions");
    let epochs = |r: &Record| {
        let mut v: Vec<_> = r
            .epochs
            .iter()
            .map(|e| (e.trial, e.epoch, e.value.map(f64::to_bits)))
            .collect();
        v.sort_unstable();
        v
    };
    assert_eq!(epochs(&ra), epochs(&rb), "identical epochs and values");
    let states = |r: &Record| {
        r.trials
            .iter()
            .map(|t| (t.number, t.state, t.epochs))
            .collect::<Vec<_>>()
    };
    assert_eq!(states(&ra), states(&rb), "identical trial states");
    for t in &rb.trials {
        assert!(
            !matches!(t.state, State::Running | State::Pending | State::Failed),
            "trial {} ended {:?}",
            t.number,
            t.state
        );
        assert_eq!(rb.curve(t.number).len(), t.epochs, "no epoch missing");
    }
    // An epoch is trained again only when a kill interrupted it mid-way.
    let twice = trained(&b);
    assert!(
        twice.iter().sum::<usize>() <= tuner_kills + program_kills,
        "epochs trained twice {twice:?} after {} kills",
        tuner_kills + program_kills
    );
    assert!(trained(&a).is_empty(), "uninterrupted trains once");
}

#[test]
fn hyperband_killed_at_random_moments_ends_identical() {
    killed_study_is_identical(&["--method", "hyperband"], 90, 12, 1);
}

#[test]
fn ifbo_killed_at_random_moments_ends_identical() {
    killed_study_is_identical(&["--surrogate", "ft-pfn"], 24, 6, 2);
}

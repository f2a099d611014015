//! `thaw plot` on a small study built with the library: the SVG has the frozen trials'
//! forecast band and the incumbent; bad input exits non-zero naming what is wrong.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use thaw_hpo::MethodSpec;
use thaw_study::protocol::End;
use thaw_study::record;
use thaw_study::{Ask, PoolSettings, State, Storage, Study, StudyFile, StudySettings};

const SPACE: &str = r#"
[objective]
command = ["./never-run.sh"]
metric = "loss"
direction = "minimize"
max_epochs = 9

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

fn checkpoints() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("checkpoints")
}

fn thaw(args: &[&str], cwd: &Path) -> Output {
    common::cli::bin("thaw", args, cwd)
}

use common::cli::text;

fn settings(dir: &Path, method: &str, budget: usize) -> StudySettings {
    let file = StudyFile::parse(&dir.join("space.toml"), SPACE).unwrap();
    StudySettings {
        space: file.space.clone(),
        metric: "loss".into(),
        direction: file.objective.direction,
        max_epochs: file.objective.max_epochs,
        bounds: None,
        method: MethodSpec::named(method, &checkpoints()).unwrap(),
        seed: 3,
        pool: PoolSettings {
            random: 16,
            ..PoolSettings::default()
        },
        budget,
        retries: 0,
        lease_s: 30.0,
        objective: None,
    }
}

/// ASHA on a synthetic loss, stopped after `epochs` epochs: rung-1 trials stay frozen;
/// configurations with x > 0.8 fail at their first epoch.
fn build_study(storage: &Storage, dir: &Path, epochs: usize) {
    let device = burn::tensor::Device::default();
    let mut study = Study::open(storage, "s", settings(dir, "asha", 40), None, device).unwrap();
    let mut told = 0;
    while told < epochs {
        let Ask::Trial(t) = study.ask("w").unwrap() else {
            break;
        };
        let x = t.config["x"].as_f64().unwrap();
        let y = t.config["y"].as_f64().unwrap();
        if x > 0.8 {
            study.fail(t.number, "w", "synthetic crash").unwrap();
            told += 1;
            continue;
        }
        for e in t.from_epoch + 1..=t.to_epoch {
            let loss = (x - 0.3).powi(2) + (y - 0.6).powi(2) + 1.5 / e as f64;
            study.tell(t.number, "w", e, loss).unwrap();
            told += 1;
        }
        study.finish(t.number, "w", &End::Completed).unwrap();
    }
}

#[test]
fn plot_draws_forecast_bands_and_the_incumbent() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("s.db");
    let storage = Storage::Sqlite(db.clone());
    build_study(&storage, tmp.path(), 24);
    let mut conn = storage.connect(false).unwrap();
    let rec = record::load(&mut conn, &storage, "s").unwrap();
    assert!(
        rec.trials.iter().any(|t| t.state == State::Frozen),
        "a frozen trial to forecast"
    );
    assert!(
        rec.epochs.iter().any(|e| e.value.is_none()),
        "a failed epoch to mark"
    );

    let store = format!("sqlite:{}", db.display());
    let ck = checkpoints().display().to_string();
    let started = std::time::Instant::now();
    let o = thaw(
        &[
            "plot",
            "--storage",
            &store,
            "--checkpoints",
            &ck,
            "--out",
            "s.svg",
        ],
        tmp.path(),
    );
    let secs = started.elapsed().as_secs_f64();
    assert!(o.status.success(), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("frozen forecast by FT-PFN"), "{out}");
    let svg = std::fs::read_to_string(tmp.path().join("s.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"),
        "an SVG document"
    );
    // The band (a filled polygon), its legend, the dashed mean, the failed-epoch mark.
    assert!(svg.contains("<polygon"), "a forecast band");
    assert!(
        svg.contains("FT-PFN band: 5–95 % quantiles"),
        "the band is named"
    );
    assert!(svg.contains("FT-PFN predictive mean to epoch 9"));
    assert!(svg.contains("failed epoch"));
    assert!(svg.contains("y: normalised loss, higher is better"));
    // The normalisation in words, not a formula.
    assert!(
        svg.contains("in a straight line") && !svg.contains("min(max("),
        "{svg:.300}"
    );
    // The incumbent: its caption, its step line and the dots where it improved.
    assert!(svg.contains("incumbent: best loss so far (minimised)"));
    assert!(svg.contains("<polyline") && svg.contains("<circle"));
    eprintln!("thaw plot: {secs:.2} s");

    // No model: no band, and the same incumbent.
    let o = thaw(
        &[
            "plot",
            "--storage",
            &store,
            "--surrogate",
            "none",
            "--trials",
            "3",
            "--out",
            "none.svg",
        ],
        tmp.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let svg = std::fs::read_to_string(tmp.path().join("none.svg")).unwrap();
    assert!(!svg.contains("<polygon"), "no band without a surrogate");
    assert!(svg.contains("no forecast (--surrogate none)"));
    assert!(svg.contains("incumbent: best loss so far"));
    assert!(text(&o).contains("3 of "), "{}", text(&o));
}

#[test]
fn bad_input_exits_non_zero_naming_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("s.db");
    let storage = Storage::Sqlite(db.clone());
    build_study(&storage, tmp.path(), 0);
    let store = format!("sqlite:{}", db.display());
    let run = |args: &[&str]| {
        let mut all = vec!["plot", "--storage", store.as_str()];
        all.extend_from_slice(args);
        thaw(&all, tmp.path())
    };
    // A study that does not exist.
    let o = run(&["--study", "nope", "--out", "p.svg"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("no study `nope`"), "{}", text(&o));
    // A study without epochs.
    let o = run(&["--out", "p.svg"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("no epoch recorded yet"), "{}", text(&o));
    // Not an SVG file name.
    let o = run(&["--out", "p.png"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("p.png"), "{}", text(&o));
    // A surrogate that is not there.
    build_study(&storage, tmp.path(), 12);
    let o = run(&["--surrogate", "no-such-dir", "--out", "p.svg"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no-such-dir"), "{}", text(&o));
    let o = run(&["--checkpoints", "empty", "--out", "p.svg"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("FT-PFN") && text(&o).contains("empty/ft-pfn-small"),
        "{}",
        text(&o)
    );
    assert!(!tmp.path().join("p.svg").exists(), "nothing written");
}

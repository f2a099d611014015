//! End-to-end tests of the generator on tiny sizes: determinism, divergence, the Parquet
//! round trip through thaw's reader, resume.

use burn::tensor::Device;
use thaw_gen::corpus::{CorpusSettings, MERGED, Quiet, TASKS_DIR, task_path};
use thaw_gen::{AdamHps, Family, TaskSpec, TrainSettings, generate, train_task};

fn tiny() -> TrainSettings {
    TrainSettings {
        steps: 40,
        points: 11,
        eval_rows: 64,
        chunk: 1000,
    }
}

fn settings(tasks: usize) -> CorpusSettings {
    CorpusSettings {
        family: Family::Mixed,
        seed: 7,
        tasks,
        configs: 12,
        train: tiny(),
    }
}

fn sane() -> AdamHps {
    AdamHps::from_row(&[3e-3, 0.9, 0.999, 1e-8, 1e-8, 1e-8, 1e-7, 1e-6])
}

#[test]
fn same_seed_same_curves_and_chunks_do_not_matter() {
    let device = Device::flex();
    let spec = TaskSpec::draw(Family::Teacher, 3, 1);
    let configs = thaw_gen::sample_configs(6, 3);
    let a = train_task(&spec, &configs, &tiny(), &device, &mut || {}).unwrap();
    let b = train_task(&spec, &configs, &tiny(), &device, &mut || {}).unwrap();
    let same = |x: &[f32], y: &[f32]| x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits());
    assert!(same(&a.valid, &b.valid) && same(&a.train, &b.train) && same(&a.test, &b.test));
    let chunked = TrainSettings { chunk: 4, ..tiny() };
    let c = train_task(&spec, &configs, &chunked, &device, &mut || {}).unwrap();
    for (p, q) in a.valid.iter().zip(&c.valid) {
        assert!(
            (p.is_nan() && q.is_nan()) || (p - q).abs() <= 1e-4 * (1.0 + p.abs()),
            "{p} vs {q}"
        );
    }
}

#[test]
fn a_sane_configuration_learns_and_lr_10_diverges_to_nan() {
    let device = Device::flex();
    // Diabetes regression (task 1 of the tabular family).
    let spec = TaskSpec::draw(Family::Tabular, 0, 1);
    assert!(spec.name.contains("diabetes"), "{}", spec.name);
    let wild = AdamHps::from_row(&[10.0, 0.0, 0.0, 1.0, 1e-8, 1e-8, 1e-7, 1e-6]);
    let s = TrainSettings {
        steps: 100,
        points: 11,
        eval_rows: 64,
        chunk: 1000,
    };
    let c = train_task(&spec, &[sane(), wild], &s, &device, &mut || {}).unwrap();
    let (good, bad) = c.valid.split_at(11);
    assert!(good.iter().all(|v| v.is_finite()), "{good:?}");
    assert!(good[10] < 0.9 * good[0], "no learning: {good:?}");
    assert!(bad[0].is_finite(), "point 0 is before training: {bad:?}");
    assert!(bad[10].is_nan(), "lr 10 did not diverge: {bad:?}");
    // Once NaN, NaN to the end, on every split.
    let first = bad.iter().position(|v| v.is_nan()).unwrap();
    assert!(bad[first..].iter().all(|v| v.is_nan()));
    assert!(c.train[11 + first..22].iter().all(|v| v.is_nan()));
}

#[test]
fn recurrent_tasks_learn_under_a_sane_configuration() {
    let device = Device::flex();
    let s = TrainSettings {
        steps: 150,
        points: 4,
        eval_rows: 200,
        chunk: 1000,
    };
    // One task of each cell: the sequence family's first tasks of seed 0.
    let mut cells = std::collections::BTreeSet::new();
    for k in 0..12 {
        let spec = TaskSpec::draw(Family::Sequence, 0, k);
        let cell = spec
            .name
            .split('_')
            .nth(6)
            .unwrap()
            .trim_end_matches(char::is_numeric);
        if !cells.insert(cell.to_string()) {
            continue;
        }
        let c = train_task(&spec, &[sane()], &s, &device, &mut || {}).unwrap();
        let v = &c.valid;
        assert!(v.iter().all(|x| x.is_finite()), "{}: {v:?}", spec.name);
        assert!(v[3] < 0.95 * v[0], "{} does not learn: {v:?}", spec.name);
    }
    assert_eq!(cells.len(), 3, "{cells:?}");
}

#[test]
fn corpus_loads_with_thaws_reader_and_resumes_to_the_same_files() {
    let device = Device::flex();
    let s = settings(2);
    let full = tempfile::tempdir().unwrap();
    let report = generate(&s, full.path(), &device, &mut Quiet).unwrap();
    assert_eq!((report.trained, report.skipped), (2, 0));

    // Every command reads tasks with thaw_data's loader.
    let tasks = thaw_data::load_tasks(&full.path().join(MERGED), None).unwrap();
    assert_eq!(tasks.len(), 2);
    for t in &tasks {
        assert_eq!(t.raw.configs(), 12);
        assert_eq!(t.raw.points, 11);
        assert_eq!(t.curves.epochs, 10);
        for split in ["train", "valid", "test"] {
            assert!(t.raw.curves.contains_key(split), "{split}");
        }
    }
    let meta = thaw_data::store::read_meta(&full.path().join(MERGED)).unwrap();
    assert_eq!(
        meta.hyperparameters,
        thaw_data::import::taskset::search_space()
    );

    // A partial run (task 0 only, as a killed run leaves it), then the rest.
    let part = tempfile::tempdir().unwrap();
    generate(&settings(1), part.path(), &device, &mut Quiet).unwrap();
    let report = generate(&s, part.path(), &device, &mut Quiet).unwrap();
    assert_eq!((report.trained, report.skipped), (1, 1));
    for k in 0..2 {
        let spec = TaskSpec::draw(s.family, s.seed, k);
        let a = std::fs::read(task_path(full.path(), &spec)).unwrap();
        let b = std::fs::read(task_path(part.path(), &spec)).unwrap();
        assert!(a == b, "task {k} differs after resume");
    }
    let a = std::fs::read(full.path().join(MERGED)).unwrap();
    let b = std::fs::read(part.path().join(MERGED)).unwrap();
    assert!(a == b, "merged file differs after resume");
    assert_eq!(
        std::fs::read_dir(part.path().join(TASKS_DIR))
            .unwrap()
            .count(),
        2
    );

    // Other settings on the same folder are refused.
    let other = CorpusSettings { seed: 8, ..s };
    let err = generate(&other, part.path(), &device, &mut Quiet).unwrap_err();
    assert!(err.to_string().contains("seed"), "{err}");
}

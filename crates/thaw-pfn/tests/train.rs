//! Training on the tiny preset: it learns, it resumes exactly, its checkpoints fail loudly.

mod common;

use std::fs;
use std::path::Path;

use burn::tensor::Device;
use thaw_pfn::checkpoint::{self, CONFIG_FILE, LOG_FILE, WEIGHTS_FILE};
use thaw_pfn::train::{RunPlace, Silent, StepRecord, TrainConfig, TrainRun};
use thaw_pfn::{PfnConfig, PfnError, Surrogate};

fn settings(steps: u64) -> TrainConfig {
    let mut c = TrainConfig::new(PfnConfig::tiny());
    c.steps = steps;
    c.batch = 4;
    c.seq_len = 60;
    c.lr = 3e-3;
    c.val_every = 10;
    c.val_batches = 2;
    c.checkpoint_every = 5;
    c.log_every = 1;
    c.seed = 11;
    c
}

fn train(
    dir: &Path,
    config: TrainConfig,
    resume: bool,
    pause_at: Option<u64>,
) -> thaw_pfn::Result<()> {
    train_replacing(dir, config, resume, pause_at, false)
}

fn train_replacing(
    dir: &Path,
    config: TrainConfig,
    resume: bool,
    pause_at: Option<u64>,
    replace: bool,
) -> thaw_pfn::Result<()> {
    TrainRun {
        config,
        prior: &common::ToyPrior,
        val_prior: Some(&common::ToyPrior),
        // A toy prior stands in for the synthetic one; the record says "ftpfn".
        data: thaw_pfn::checkpoint::TrainingData::ftpfn(),
        place: RunPlace {
            out: dir.to_path_buf(),
            resume,
            device: Device::flex(),
            device_name: "cpu".into(),
            git_revision: None,
            pause_at,
            replace,
        },
    }
    .run(&mut Silent)
    .map(|_| ())
}

/// The header (as JSON; its metadata map has no fixed key order) and the tensor bytes.
fn safetensors_parts(dir: &Path) -> (serde_json::Value, Vec<u8>) {
    let bytes = fs::read(dir.join(WEIGHTS_FILE)).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    (
        serde_json::from_slice(&bytes[8..8 + n]).unwrap(),
        bytes[8 + n..].to_vec(),
    )
}

fn log(dir: &Path) -> Vec<StepRecord> {
    fs::read_to_string(dir.join(LOG_FILE))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn tiny_model_learns_the_toy_prior() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), settings(60), false, None).unwrap();
    let vals: Vec<f64> = log(dir.path()).iter().filter_map(|r| r.val_nll).collect();
    assert_eq!(vals.len(), 6);
    assert!(
        vals[5] < vals[0] - 0.3,
        "validation NLL did not improve: {vals:?}"
    );
    let cfg = checkpoint::read_config(dir.path()).unwrap();
    assert_eq!(cfg.step, 60);
    assert_eq!(cfg.metrics.val_nll, Some(vals[5]));
    let gains: Vec<f64> = log(dir.path())
        .iter()
        .filter_map(|r| r.val_id_gain)
        .collect();
    assert_eq!(gains.len(), 6, "every validation reports its id gain");
    assert!(gains.iter().all(|g| g.is_finite()));
    assert_eq!(cfg.metrics.val_id_gain, Some(gains[5]));
}

#[test]
fn resume_continues_exactly() {
    let whole = tempfile::tempdir().unwrap();
    train(whole.path(), settings(12), false, None).unwrap();

    let parts = tempfile::tempdir().unwrap();
    train(parts.path(), settings(12), false, Some(7)).unwrap();
    assert_eq!(checkpoint::read_config(parts.path()).unwrap().step, 7);
    train(parts.path(), settings(12), true, None).unwrap();

    let strip = |rs: Vec<StepRecord>| -> Vec<_> {
        rs.into_iter()
            .map(|r| {
                (
                    r.step,
                    r.loss,
                    r.loss_ema,
                    r.lr,
                    r.grad_norm,
                    r.val_nll,
                    r.val_id_gain,
                )
            })
            .collect()
    };
    let (a, b) = (strip(log(whole.path())), strip(log(parts.path())));
    assert_eq!(a.len(), 12);
    assert_eq!(a, b);
    assert_eq!(
        safetensors_parts(whole.path()),
        safetensors_parts(parts.path())
    );
}

#[test]
fn resume_refuses_other_settings_and_missing_state() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), settings(6), false, Some(3)).unwrap();
    let mut other = settings(6);
    other.lr = 1e-2;
    let err = train(dir.path(), other, true, None).unwrap_err();
    assert!(
        err.to_string().contains("settings of the original run"),
        "{err}"
    );
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        train(empty.path(), settings(6), true, None),
        Err(PfnError::Checkpoint { .. })
    ));
}

#[test]
fn a_new_run_never_overwrites_a_checkpoint_unless_told_to_replace_it() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), settings(6), false, None).unwrap();
    let weights = fs::read(dir.path().join(WEIGHTS_FILE)).unwrap();
    let log_before = fs::read(dir.path().join(LOG_FILE)).unwrap();
    let mut other = settings(4);
    other.seed = 12;
    let err = train(dir.path(), other.clone(), false, None).unwrap_err();
    assert!(matches!(err, PfnError::CheckpointExists { .. }), "{err}");
    assert!(err.to_string().contains("step 6 of 6"), "{err}");
    // Untouched: weights and log are the first run's.
    assert_eq!(fs::read(dir.path().join(WEIGHTS_FILE)).unwrap(), weights);
    assert_eq!(fs::read(dir.path().join(LOG_FILE)).unwrap(), log_before);

    // Replacing: the log is the new run's alone and the record its seed.
    train_replacing(dir.path(), other, false, None, true).unwrap();
    let steps: Vec<u64> = log(dir.path()).iter().map(|r| r.step).collect();
    assert_eq!(steps, vec![1, 2, 3, 4]);
    let cfg = checkpoint::read_config(dir.path()).unwrap();
    assert_eq!(cfg.training.unwrap().seed, 12);
}

/// The toy prior until `fail_at`, then an error (a prior that breaks mid-run).
struct FailingAt(u64);

impl thaw_prior::Prior for FailingAt {
    fn sample(
        &self,
        seed: u64,
        step: u64,
        batch: usize,
        seq_len: usize,
    ) -> thaw_prior::Result<thaw_prior::Batch> {
        if step >= self.0 {
            return Err(thaw_prior::PriorError::InvalidArgument("broken".into()));
        }
        thaw_prior::Prior::sample(&common::ToyPrior, seed, step, batch, seq_len)
    }
}

#[test]
fn a_replacing_run_that_fails_before_its_first_checkpoint_leaves_the_old_one_whole() {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), settings(6), false, None).unwrap();
    let before: Vec<Vec<u8>> = [WEIGHTS_FILE, CONFIG_FILE, LOG_FILE]
        .iter()
        .map(|f| fs::read(dir.path().join(f)).unwrap())
        .collect();
    let mut other = settings(6);
    other.seed = 12;
    let err = TrainRun {
        config: other,
        prior: &FailingAt(3),
        val_prior: None,
        data: thaw_pfn::checkpoint::TrainingData::ftpfn(),
        place: RunPlace {
            out: dir.path().to_path_buf(),
            resume: false,
            device: Device::flex(),
            device_name: "cpu".into(),
            git_revision: None,
            pause_at: None,
            replace: true,
        },
    }
    .run(&mut Silent)
    .unwrap_err();
    assert!(err.to_string().contains("broken"), "{err}");
    for (f, old) in [WEIGHTS_FILE, CONFIG_FILE, LOG_FILE].iter().zip(&before) {
        assert_eq!(&fs::read(dir.path().join(f)).unwrap(), old, "{f}");
    }
    train(dir.path(), settings(6), true, None).unwrap();
}

#[test]
fn a_run_that_stops_between_checkpoints_leaves_the_log_of_the_last_one() {
    let dir = tempfile::tempdir().unwrap();
    // Checkpoints at 5; paused at 7 (a checkpoint too); the file holds exactly 1..=7.
    train(dir.path(), settings(12), false, Some(7)).unwrap();
    let steps: Vec<u64> = log(dir.path()).iter().map(|r| r.step).collect();
    assert_eq!(steps, (1..=7).collect::<Vec<_>>());
}

fn trained_checkpoint() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    train(dir.path(), settings(2), false, None).unwrap();
    dir
}

fn load_error(dir: &Path) -> String {
    match Surrogate::load(dir) {
        Ok(_) => panic!("loading {} should fail", dir.display()),
        Err(e) => {
            assert!(matches!(e, PfnError::Checkpoint { .. }), "{e:?}");
            e.to_string()
        }
    }
}

#[test]
fn a_good_checkpoint_loads() {
    let dir = trained_checkpoint();
    Surrogate::load(dir.path()).unwrap();
}

#[test]
fn missing_config_is_named() {
    let dir = trained_checkpoint();
    fs::remove_file(dir.path().join(CONFIG_FILE)).unwrap();
    assert!(load_error(dir.path()).contains("config.json"));
}

#[test]
fn wrong_shapes_are_reported() {
    let dir = trained_checkpoint();
    let path = dir.path().join(CONFIG_FILE);
    let text = fs::read_to_string(&path)
        .unwrap()
        .replace("\"d_model\": 32", "\"d_model\": 48");
    fs::write(&path, text).unwrap();
    let e = load_error(dir.path());
    assert!(e.contains("do not fit") || e.contains("shape"), "{e}");
}

#[test]
fn corrupt_and_truncated_weights_are_reported() {
    let dir = trained_checkpoint();
    let path = dir.path().join(WEIGHTS_FILE);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    load_error(dir.path());
    fs::write(&path, b"this is not a safetensors file at all").unwrap();
    load_error(dir.path());
    fs::remove_file(&path).unwrap();
    assert!(load_error(dir.path()).contains("missing weights"));
}

#[test]
fn garbage_config_is_reported() {
    let dir = trained_checkpoint();
    fs::write(dir.path().join(CONFIG_FILE), "{\"format_version\": 1").unwrap();
    assert!(load_error(dir.path()).contains("not a valid checkpoint config"));
}

#[test]
fn data_parallel_gradients_match_the_single_thread_ones() {
    use burn::module::{Module, ModuleVisitor, Param};
    use burn::tensor::Tensor;
    use thaw_pfn::model::Pfn;
    use thaw_pfn::train::parallel::loss_and_grads;
    use thaw_prior::Prior;

    struct Collect<'a>(&'a burn::optim::GradientsParams, Vec<f32>);
    impl ModuleVisitor for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            if let Some(g) = self.0.get::<D>(p.id) {
                self.1.extend(g.into_data().try_to_vec::<f32>().unwrap());
            }
        }
    }
    let device = Device::flex().autodiff();
    let cfg = PfnConfig::tiny();
    let model = Pfn::new(&cfg, 2, &device);
    let batch = common::ToyPrior.sample(5, 0, 5, 40).unwrap();
    let (l1, g1) = loss_and_grads(&model, &batch, cfg.n_bins, &device, 1);
    let (l3, g3) = loss_and_grads(&model, &batch, cfg.n_bins, &device, 3);
    assert!((l1 - l3).abs() < 1e-5, "{l1} vs {l3}");
    let (mut a, mut b) = (Collect(&g1, vec![]), Collect(&g3, vec![]));
    model.visit(&mut a);
    model.visit(&mut b);
    assert_eq!(a.1.len(), b.1.len());
    assert!(!a.1.is_empty());
    let worst =
        a.1.iter()
            .zip(&b.1)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
    assert!(worst < 1e-5, "gradients differ by {worst}");
}

#[test]
fn data_parallel_threads_never_share_an_autodiff_graph() {
    use thaw_pfn::model::Pfn;
    use thaw_pfn::train::parallel::loss_and_grads;
    use thaw_prior::Prior;
    // Threads that differentiated the same parameter leaves joined one burn graph, and a
    // backward pass then consumed another thread's tape (a panic now and then; a 6-step
    // CLI test hit it; 300 steps on 4 threads hung, deadlocked, in 2 runs of 2 before the fix).
    let device = Device::flex().autodiff();
    let cfg = PfnConfig::tiny();
    let model = Pfn::new(&cfg, 3, &device);
    for step in 0..300 {
        let batch = common::ToyPrior.sample(9, step, 8, 24).unwrap();
        let (loss, _) = loss_and_grads(&model, &batch, cfg.n_bins, &device, 4);
        assert!(loss.is_finite());
    }
}

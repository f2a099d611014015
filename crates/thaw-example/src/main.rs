//! `mlp-adam`: an example training program for `thaw tune`.
//!
//! Trains a small MLP with Adam (burn, CPU) on the red wine-quality data and speaks
//! thaw's trial protocol: see [`USAGE`].

mod checkpoint;
mod data;
mod error;
mod model;
mod params;
mod scores;
mod train;
mod trial;

use std::process::ExitCode;

/// What `mlp-adam --help` prints.
const USAGE: &str = "\
mlp-adam: an example program for `thaw tune` - an MLP trained with Adam (burn, CPU) to
classify the quality (3..8, 6 classes) of 1,599 red wines from 11 measurements (UCI
wine-quality data, embedded; fixed 80/20 train/validation split).

thaw runs it once per segment of a configuration's training, with
  THAW_FROM_EPOCH, THAW_TO_EPOCH  train epochs FROM+1..=TO (0 <= FROM < TO)
  THAW_CHECKPOINT_DIR             the configuration's own directory; with FROM > 0 the
                                  checkpoint (mlp-adam.ckpt: weights, Adam state, epoch)
                                  is loaded from it, and it is rewritten after each epoch
  THAW_PARAMS                     JSON object of hyperparameters (all optional):
      lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8, weight_decay 0 (L2, as torch's Adam),
      hidden 64 (1..=1024), layers 2 (0..=8), activation \"relu\"|\"tanh\"|\"gelu\",
      batch 32 (1..=4096), seed 0 (initial weights and each epoch's shuffle)
  THAW_METRIC                     val_loss (default), train_loss or val_error: the key
                                  reported first
  THAW_TRIAL, THAW_TRIAL_FILE     the id (logged) and a JSON file with the same fields,
                                  read for any variable that is not set
After each epoch it saves its checkpoint (with the scores reported so far) atomically,
then prints and flushes
  thaw: epoch=<e> val_loss=<v> train_loss=<v> val_error=<v>
(and, when FROM = 0, that line for epoch 0 before training). A checkpoint ahead of FROM
(saved just before thaw was stopped, before it recorded the line) is not trained again:
its stored lines for FROM+1.. are printed again and training goes on after it. The curve is the same
whether trained in one segment or several. A segment may resume with other optimiser
hyperparameters (lr, beta1, beta2, eps, weight_decay, batch: population-based
training's explore step); they apply from its first epoch, Adam's moments carry over.
hidden, layers, activation and seed fix the network and cannot change. Training uses one thread unless
RAYON_NUM_THREADS is set (use the same value for every segment of a configuration).

Exit codes: 0 done; 2 bad environment, parameters or checkpoint (message on stderr);
3 the checkpoint holds fewer epochs than THAW_FROM_EPOCH, or another network;
4 training diverged (non-finite loss).
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if let Some(arg) = args.first() {
        eprintln!("mlp-adam: unexpected argument {arg:?}; it is configured by THAW_* variables\n");
        eprint!("{USAGE}");
        return ExitCode::from(2);
    }
    let env = |name: &str| std::env::var(name).ok();
    if !trial::any_set(env) {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    }
    // One worker thread: fast for a model this small, and the same float summation order on
    // every machine. RAYON_NUM_THREADS, when set, wins.
    if std::env::var_os("RAYON_NUM_THREADS").is_none() {
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build_global();
    }
    let result = trial::Trial::from_lookup(env)
        .and_then(|t| train::run_segment(&t, &mut std::io::stdout().lock()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("mlp-adam: error: {failure}");
            ExitCode::from(failure.code() as u8)
        }
    }
}

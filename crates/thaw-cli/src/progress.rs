//! Progress bars: one helper for every command, and the training observer.

use indicatif::{ProgressBar, ProgressStyle};
use thaw_pfn::train::{StepRecord, TrainObserver};

/// A bar of `len` units on stderr: elapsed time, the bar, `pos/len`, then `what` (e.g.
/// `"epochs {msg}"` or `"draws ETA {eta}"`, indicatif template keys allowed). Hidden
/// when `quiet` (and by indicatif when stderr is not a terminal).
pub fn bar(len: u64, what: &str, quiet: bool) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len)
    };
    let template = format!("{{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {what}");
    bar.set_style(
        ProgressStyle::with_template(&template)
            .expect("a valid progress template")
            .progress_chars("=> "),
    );
    bar
}

/// Shows training progress: step, loss EMA, validation NLL and id gain, tokens/s, ETA.
pub struct TrainProgress {
    bar: ProgressBar,
    last_val: Option<f64>,
}

impl TrainProgress {
    /// A bar; `quiet` hides it.
    pub fn new(quiet: bool) -> Self {
        Self {
            bar: bar(0, "steps {msg} ETA {eta}", quiet),
            last_val: None,
        }
    }

    /// Prints a line above the bar.
    pub fn println(&self, line: &str) {
        self.bar.println(line);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl TrainObserver for TrainProgress {
    fn start(&mut self, first_step: u64, total: u64) {
        self.bar.set_length(total);
        self.bar.set_position(first_step);
        self.bar.reset_eta();
    }

    fn step(&mut self, r: &StepRecord) {
        if let Some(v) = r.val_nll {
            self.last_val = Some(v);
            let gain = r
                .val_id_gain
                .map_or(String::new(), |g| format!("  id gain {g:+.3}"));
            self.bar.println(format!(
                "step {:>7}  loss(ema) {:.4}  val NLL {:.4}{gain}  {:.0} tok/s",
                r.step, r.loss_ema, v, r.tokens_per_s
            ));
        }
        let val = self
            .last_val
            .map_or(String::new(), |v| format!(" val {v:.3}"));
        self.bar.set_message(format!(
            "loss {:.4}{val} {:.0} tok/s",
            r.loss_ema, r.tokens_per_s
        ));
        self.bar.set_position(r.step);
    }
}

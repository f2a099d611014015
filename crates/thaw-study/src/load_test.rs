//! A load test of a study store: many workers, each with its own connection and
//! optimiser, work one study with an instant synthetic objective, so that the store and
//! the ask/tell protocol are all that is measured. It times every `ask` and `tell`, and
//! checks what must hold under any load: no epoch trained twice (no trial given to two
//! workers at once) and the budget spent exactly.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use burn::tensor::Device;
use serde_json::{Map, Value};

use crate::error::{Result, StudyError};
use crate::protocol::End;
use crate::record::StudySettings;
use crate::store::Storage;
use crate::study::{Ask, Study};

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Workers.
    pub workers: usize,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
    /// Every `ask` that returned work or "wait" (seconds each).
    pub asks: Vec<f64>,
    /// Every `tell` (seconds each).
    pub tells: Vec<f64>,
    /// Epochs recorded (must equal the budget).
    pub epochs: usize,
    /// The budget.
    pub budget: usize,
    /// Epochs trained by two segments (must be 0).
    pub trained_twice: usize,
}

/// The `q`-quantile (0..1) of `v`, in milliseconds.
pub fn quantile_ms(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let i = ((s.len() - 1) as f64 * q).round() as usize;
    s[i] * 1000.0
}

/// The synthetic objective: a smooth curve per configuration (the first parameter
/// moves its optimum), instant to compute.
fn loss(config: &Map<String, Value>, epoch: usize) -> f64 {
    let x = config.values().find_map(Value::as_f64).unwrap_or(0.5);
    (x - 0.4).powi(2) + 1.0 / (epoch as f64 + 1.0)
}

/// Creates study `name` in `storage` with `settings` and runs `workers` on it until its
/// budget is spent.
pub fn run_load(
    storage: &Storage,
    name: &str,
    settings: StudySettings,
    workers: usize,
    dir: &Path,
) -> Result<LoadReport> {
    let budget = settings.budget;
    drop(Study::open(
        storage,
        name,
        settings,
        Some(dir.to_path_buf()),
        Device::default(),
    )?);
    let asks = Mutex::new(Vec::new());
    let tells = Mutex::new(Vec::new());
    let segments = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|scope| {
        for w in 0..workers {
            let (asks, tells, segments, errors) = (&asks, &tells, &segments, &errors);
            scope.spawn(move || {
                let run = || -> Result<()> {
                    let mut study =
                        Study::join(storage, name, Some(dir.to_path_buf()), Device::default())?;
                    let worker = format!("load{w}/w1");
                    let (mut my_asks, mut my_tells, mut mine) = (vec![], vec![], vec![]);
                    loop {
                        let t = Instant::now();
                        let ask = study.ask(&worker)?;
                        my_asks.push(t.elapsed().as_secs_f64());
                        match ask {
                            Ask::Trial(tr) => {
                                let first = if tr.from_epoch == 0 {
                                    0
                                } else {
                                    tr.from_epoch + 1
                                };
                                for e in first..=tr.to_epoch {
                                    let t = Instant::now();
                                    study.tell(tr.number, &worker, e, loss(&tr.config, e))?;
                                    my_tells.push(t.elapsed().as_secs_f64());
                                }
                                study.finish(tr.number, &worker, &End::Completed)?;
                                mine.push((tr.number, tr.from_epoch, tr.to_epoch));
                            }
                            Ask::Wait => std::thread::sleep(Duration::from_millis(1)),
                            Ask::Finished => break,
                        }
                    }
                    asks.lock().map(|mut a| a.extend(my_asks)).ok();
                    tells.lock().map(|mut a| a.extend(my_tells)).ok();
                    segments.lock().map(|mut a| a.extend(mine)).ok();
                    Ok(())
                };
                if let Err(e) = run() {
                    errors.lock().map(|mut v| v.push(e.to_string())).ok();
                }
            });
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    if let Some(e) = errors.into_inner().unwrap_or_default().into_iter().next() {
        return Err(StudyError::Invalid(format!("a load worker failed: {e}")));
    }
    let mut trained = std::collections::HashSet::new();
    let mut trained_twice = 0;
    for (trial, from, to) in segments.into_inner().unwrap_or_default() {
        for e in from + 1..=to {
            if !trained.insert((trial, e)) {
                trained_twice += 1;
            }
        }
    }
    let mut study = Study::join(storage, name, Some(dir.to_path_buf()), Device::default())?;
    let epochs = study.record()?.spent();
    Ok(LoadReport {
        workers,
        seconds,
        asks: asks.into_inner().unwrap_or_default(),
        tells: tells.into_inner().unwrap_or_default(),
        epochs,
        budget,
        trained_twice,
    })
}

//! Running a study on the user's program: N workers on this machine, each asking the
//! study for work, running the program's segment ([`crate::protocol`]) and recording
//! every epoch the moment it is reported.
//!
//! Workers are named `<host>/w<i>`: a tuner that restarts on the same machine gets back
//! the trials its workers held (asking is idempotent per worker) and resumes them from
//! their checkpoints at once; trials of workers that do not come back return to the queue
//! when their lease ends.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::error::{Result, StudyError};
use crate::protocol::{End, Event, Segment, run_segment};
use crate::study::{Ask, Study};
use crate::study_file::ObjectiveSpec;

/// What the workers are doing, for a progress display.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A worker starts a segment.
    Started {
        /// Worker name.
        worker: String,
        /// Trial number.
        trial: u64,
        /// From epoch.
        from: usize,
        /// To epoch.
        to: usize,
    },
    /// A worker lost its lease on a trial (it went quiet for longer than the lease, or
    /// could not reach the store): its program was stopped and the trial went back to
    /// the queue.
    LeaseLost {
        /// Worker name.
        worker: String,
        /// Trial number.
        trial: u64,
    },
    /// An epoch was recorded.
    Epoch {
        /// Trial number.
        trial: u64,
        /// Epoch.
        epoch: usize,
        /// Value reported.
        value: f64,
    },
    /// A segment ended.
    Ended {
        /// Trial number.
        trial: u64,
        /// How.
        end: End,
    },
}

/// How to run the workers.
#[derive(Debug, Clone)]
pub struct TuneOptions {
    /// Workers (trials in parallel).
    pub workers: usize,
    /// Prefix of the worker names (`<host>/` by default).
    pub worker_prefix: String,
    /// Pause between asks while there is nothing to do.
    pub poll: Duration,
    /// Stop when this many first segments in a row (all workers together, at least two
    /// per worker) failed without reporting an epoch: the program is broken, not the
    /// configurations, and the budget is kept for after the fix.
    pub failure_streak: usize,
    /// Set from outside (e.g. by [`interrupt_on_ctrl_c`]) to stop: running segments end
    /// as stopped (their trials go back to the queue, epochs kept) and `tune` returns.
    pub interrupt: Option<&'static AtomicBool>,
}

impl Default for TuneOptions {
    fn default() -> Self {
        Self {
            workers: 1,
            worker_prefix: format!("{}/", host_name()),
            poll: Duration::from_millis(200),
            failure_streak: 5,
            interrupt: None,
        }
    }
}

static CTRL_C: AtomicBool = AtomicBool::new(false);

extern "C" fn on_ctrl_c(_: libc::c_int) {
    CTRL_C.store(true, Ordering::Relaxed);
    // A second Ctrl-C ends the process at once.
    // SAFETY: signal() is async-signal-safe; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

/// Makes the first Ctrl-C (SIGINT) set the returned flag instead of killing the
/// process (a second one kills it): give it to [`TuneOptions::interrupt`]. Training
/// programs run in process groups of their own, so the terminal's SIGINT reaches thaw
/// only, and thaw stops them.
pub fn interrupt_on_ctrl_c() -> &'static AtomicBool {
    let handler: extern "C" fn(libc::c_int) = on_ctrl_c;
    // SAFETY: the handler only stores to an atomic and calls signal(), both
    // async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
    }
    &CTRL_C
}

/// This machine's name (for worker names), `localhost` if unknown.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Runs `study` on `objective` until its budget is spent; `on_progress` sees every event.
/// The first error stops every worker (their programs are killed and their trials go
/// back to the queue) and is returned.
pub fn tune(
    study: Study,
    objective: &ObjectiveSpec,
    options: &TuneOptions,
    on_progress: &(dyn Fn(&Progress) + Sync),
) -> Result<()> {
    if options.workers == 0 {
        return Err(StudyError::Invalid("at least one worker is needed".into()));
    }
    crate::protocol::check_startable(objective)?;
    let id = options.worker_prefix.trim_end_matches('/');
    let claim = Mutex::new(study.storage().claim_worker(study.name(), id)?);
    let study = Arc::new(Mutex::new(study));
    let stop = AtomicBool::new(false);
    let streak = Streak {
        failures: AtomicUsize::new(0),
        limit: options.failure_streak.max(2 * options.workers).max(1),
    };
    let first_error: Mutex<Option<StudyError>> = Mutex::new(None);
    let active = AtomicUsize::new(options.workers);
    std::thread::scope(|scope| {
        if let Some(flag) = options.interrupt {
            let (stop, active) = (&stop, &active);
            scope.spawn(move || {
                while active.load(Ordering::Relaxed) > 0 {
                    if flag.load(Ordering::Relaxed) {
                        stop.store(true, Ordering::Relaxed);
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            });
        }
        for i in 1..=options.workers {
            let worker = format!("{}w{i}", options.worker_prefix);
            let study = Arc::clone(&study);
            let (stop, first_error, streak, claim) = (&stop, &first_error, &streak, &claim);
            let active = &active;
            scope.spawn(move || {
                let run = Run {
                    claim,
                    objective,
                    worker: &worker,
                    poll: options.poll,
                    stop,
                    streak,
                    on_progress,
                };
                if let Err(e) = work(&study, &run) {
                    stop.store(true, Ordering::Relaxed);
                    let mut slot = first_error.lock().unwrap_or_else(PoisonError::into_inner);
                    slot.get_or_insert(e);
                }
                active.fetch_sub(1, Ordering::Relaxed);
            });
        }
    });
    match first_error
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
    {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Segments failed in a row without an epoch, shared by the workers.
struct Streak {
    failures: AtomicUsize,
    limit: usize,
}

/// What one worker runs with.
struct Run<'a> {
    claim: &'a Mutex<crate::store::WorkerClaim>,
    objective: &'a ObjectiveSpec,
    worker: &'a str,
    poll: Duration,
    stop: &'a AtomicBool,
    streak: &'a Streak,
    on_progress: &'a (dyn Fn(&Progress) + Sync),
}

fn work(study: &Mutex<Study>, run: &Run<'_>) -> Result<()> {
    let Run {
        claim,
        objective,
        worker,
        poll,
        stop,
        streak,
        on_progress,
    } = *run;
    let lock = || study.lock().unwrap_or_else(PoisonError::into_inner);
    while !stop.load(Ordering::Relaxed) {
        claim
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .ensure()?;
        let ask = lock().ask(worker)?;
        let trial = match ask {
            Ask::Trial(t) => t,
            Ask::Wait => {
                std::thread::sleep(poll);
                continue;
            }
            Ask::Finished => return Ok(()),
        };
        let name = lock().name().to_string();
        on_progress(&Progress::Started {
            worker: worker.into(),
            trial: trial.number,
            from: trial.from_epoch,
            to: trial.to_epoch,
        });
        let seg = Segment {
            study: &name,
            trial: trial.number,
            attempt: trial.attempt,
            params: &trial.config,
            from_epoch: trial.from_epoch,
            to_epoch: trial.to_epoch,
            max_epochs: trial.max_epochs,
            dir: &trial.dir,
        };
        let mut reported = false;
        let lost = || {
            on_progress(&Progress::LeaseLost {
                worker: worker.into(),
                trial: trial.number,
            });
        };
        let run = run_segment(objective, &seg, stop, &mut |event| match event {
            Event::Report { epoch, value } => {
                lock().tell(trial.number, worker, epoch, value)?;
                reported |= epoch > 0;
                on_progress(&Progress::Epoch {
                    trial: trial.number,
                    epoch,
                    value,
                });
                Ok(())
            }
            Event::Heartbeat => lock().heartbeat(trial.number, worker),
        });
        let end = match run {
            Err(StudyError::LeaseLost { .. }) => {
                lost();
                continue;
            }
            Err(e) => {
                // Not the configuration's fault: it goes back to the queue, uncharged.
                let _ = lock().finish(trial.number, worker, &End::Stopped);
                return Err(e);
            }
            Ok(end) => end,
        };
        match lock().finish(trial.number, worker, &end) {
            Err(StudyError::LeaseLost { .. }) => {
                lost();
                continue;
            }
            r => r?,
        }
        let failed = match &end {
            End::Failed { reason, .. } if !reported && trial.from_epoch == 0 => {
                Some(reason.clone())
            }
            _ => None,
        };
        on_progress(&Progress::Ended {
            trial: trial.number,
            end,
        });
        match failed {
            None => streak.failures.store(0, Ordering::Relaxed),
            Some(reason) => {
                let n = streak.failures.fetch_add(1, Ordering::Relaxed) + 1;
                if n >= streak.limit {
                    let log = trial.dir.join("log.txt");
                    return Err(StudyError::Invalid(format!(
                        "the program failed {n} times in a row before reporting a first epoch; \
                         the last, trial {}: {reason}{}(its output: {}). Fix it and run the \
                         same command again: the study continues",
                        trial.number,
                        log_tail(&log, 5),
                        log.display()
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The last `lines` lines the program wrote (thaw's own `== thaw:` lines left out),
/// indented, as `:\n    …\n` for an error message; a space when there are none.
fn log_tail(log: &std::path::Path, lines: usize) -> String {
    let text = std::fs::read(log).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("== thaw:") && !l.trim().is_empty())
        .collect();
    let tail = &kept[kept.len().saturating_sub(lines)..];
    if tail.is_empty() {
        return " ".into();
    }
    let body: Vec<String> = tail
        .iter()
        .map(|l| format!("    {}", l.chars().take(300).collect::<String>()))
        .collect();
    format!("; it wrote:\n{}\n", body.join("\n"))
}

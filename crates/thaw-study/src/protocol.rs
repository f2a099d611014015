//! The trial protocol: how thaw runs one *segment* of a configuration's training —
//! epochs `from_epoch + 1 ..= to_epoch` — in the user's program, and reads its reports.
//!
//! The program gets, as environment variables (and as the JSON file `THAW_TRIAL_FILE`):
//! `THAW_STUDY`, `THAW_TRIAL` (the configuration's number), `THAW_ATTEMPT`,
//! `THAW_FROM_EPOCH`, `THAW_TO_EPOCH`, `THAW_MAX_EPOCHS`, `THAW_CHECKPOINT_DIR` (one
//! stable folder per configuration), `THAW_PARAMS` (the configuration as a JSON object),
//! `THAW_PARAM_<NAME>` (each value; the name upper-cased), `THAW_METRIC` and
//! `THAW_REPORT_FILE`. It resumes from its checkpoint when `from_epoch > 0`, and after
//! each epoch it saves its checkpoint and then reports, either as a stdout line
//! `thaw: epoch=3 val_loss=0.412` or as a JSON line `{"epoch": 3, "val_loss": 0.412}`
//! appended to `THAW_REPORT_FILE`. It may report `epoch=0` (the value before training)
//! on its first segment. Other output is kept in the trial's `log.txt`.
//!
//! Every report is handed on when it arrives (the study records it at once). A segment
//! fails when the program exits non-zero, is killed by a signal, runs past the timeout,
//! exits before `to_epoch`, reports a non-finite value, or breaks the protocol (an
//! epoch out of order, a tagged line without the metric). The program runs in its own
//! process group and is killed with thaw (`PR_SET_PDEATHSIG`): no orphan trains on.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::error::{Result, StudyError};
use crate::space::{env_name, env_text};
use crate::study_file::ObjectiveSpec;

/// One segment to run.
#[derive(Debug, Clone)]
pub struct Segment<'a> {
    /// Study name.
    pub study: &'a str,
    /// The configuration's number.
    pub trial: u64,
    /// How many segments of this trial were started before this one.
    pub attempt: u32,
    /// The configuration.
    pub params: &'a Map<String, Value>,
    /// Epochs already trained (and checkpointed).
    pub from_epoch: usize,
    /// Epoch to train to.
    pub to_epoch: usize,
    /// Epochs of a full training.
    pub max_epochs: usize,
    /// The trial's folder: `checkpoint/`, `trial.json`, `report.jsonl`, `log.txt`.
    pub dir: &'a Path,
}

impl Segment<'_> {
    /// The configuration's checkpoint folder (`THAW_CHECKPOINT_DIR`).
    pub fn checkpoint_dir(&self) -> PathBuf {
        self.dir.join("checkpoint")
    }
}

/// What the running program said.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Event {
    /// The metric of `epoch` (0: before training). Non-finite values end the segment.
    Report {
        /// Epoch.
        epoch: usize,
        /// The metric as reported.
        value: f64,
    },
    /// About once a second while the program runs: time to renew the lease.
    Heartbeat,
}

/// How a segment ended.
#[derive(Debug, Clone, PartialEq)]
pub enum End {
    /// Every epoch up to `to_epoch` was reported and the program exited 0.
    Completed,
    /// The segment failed; `retry` says whether running it again may help (a crash, a
    /// timeout) or not (a non-finite value, a broken protocol).
    Failed {
        /// What happened, for the record and the user.
        reason: String,
        /// Whether a retry may help.
        retry: bool,
    },
    /// Stopped from outside (the study ends or an error elsewhere): not the trial's fault.
    Stopped,
}

/// The longest output line thaw holds in memory (64 KiB); a longer line goes to the
/// trial's log in pieces and is never read as a report.
pub const MAX_LINE: usize = 64 * 1024;

/// How long thaw waits for more output from a program that exited while something it
/// left behind (a forked child, a daemon) holds its stdout open (at most ten times as
/// long in all, however much it prints).
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);

/// A piece of the program's output, as its reader thread hands it on.
enum Line {
    /// A whole line (its newline included, if it had one).
    Out(Vec<u8>),
    /// A piece of a line longer than [`MAX_LINE`]; `first` and `last` mark its ends.
    Long {
        bytes: Vec<u8>,
        first: bool,
        last: bool,
    },
    /// The output was closed (every process holding it ended).
    Closed,
}

/// Appends a piece of output to the trial's log (with a note after a line too long to
/// read for a report).
fn log_piece(log: &Mutex<File>, piece: &Line) {
    let Ok(mut l) = log.lock() else { return };
    match piece {
        Line::Out(bytes) => {
            let _ = l.write_all(bytes);
        }
        Line::Long { bytes, last, .. } => {
            let _ = l.write_all(bytes);
            if *last {
                let _ = writeln!(
                    l,
                    "{}== thaw: the line above is longer than {} KiB: kept here, not read for a report ==",
                    if bytes.ends_with(b"\n") { "" } else { "\n" },
                    MAX_LINE / 1024
                );
            }
        }
        Line::Closed => {}
    }
}

/// Reads `stream` as lines of at most [`MAX_LINE`] bytes and hands each to `send`
/// (which returns false to stop); a longer line is handed on in pieces.
fn read_lines(stream: impl Read, mut send: impl FnMut(Line) -> bool) {
    let mut r = BufReader::with_capacity(MAX_LINE, stream);
    let mut line = Vec::new();
    let mut long = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok([]) | Err(_) => break,
            Ok(c) => c,
        };
        let newline = chunk.iter().position(|&b| b == b'\n').map(|i| i + 1);
        let want = newline.unwrap_or(chunk.len());
        let n = want.min(MAX_LINE - line.len());
        let ends = newline == Some(n);
        line.extend_from_slice(&chunk[..n]);
        r.consume(n);
        if !ends && line.len() < MAX_LINE {
            continue;
        }
        let bytes = std::mem::take(&mut line);
        let piece = if long || !ends {
            Line::Long {
                bytes,
                first: !long,
                last: ends,
            }
        } else {
            Line::Out(bytes)
        };
        long = !ends;
        if !send(piece) {
            return;
        }
    }
    if !line.is_empty() {
        let piece = if long {
            Line::Long {
                bytes: line,
                first: false,
                last: true,
            }
        } else {
            Line::Out(line)
        };
        if !send(piece) {
            return;
        }
    }
    send(Line::Closed);
}

/// Runs one segment of `objective`'s program. `on_event` sees every report as it
/// arrives and a heartbeat about once a second; an error from it kills the program
/// and is returned. `stop` ends the segment early ([`End::Stopped`]).
pub fn run_segment(
    objective: &ObjectiveSpec,
    seg: &Segment<'_>,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(Event) -> Result<()>,
) -> Result<End> {
    let ckpt = seg.checkpoint_dir();
    std::fs::create_dir_all(&ckpt).map_err(|e| StudyError::io("cannot create", &ckpt, e))?;
    let report_path = seg.dir.join("report.jsonl");
    File::create(&report_path).map_err(|e| StudyError::io("cannot create", &report_path, e))?;
    let trial_file = seg.dir.join("trial.json");
    let info = json!({
        "study": seg.study,
        "trial": seg.trial,
        "attempt": seg.attempt,
        "from_epoch": seg.from_epoch,
        "to_epoch": seg.to_epoch,
        "max_epochs": seg.max_epochs,
        "checkpoint_dir": ckpt,
        "params": seg.params,
        "metric": objective.metric,
        "report_file": report_path,
    });
    let text = serde_json::to_vec_pretty(&info).expect("JSON of plain values");
    thaw_data::atomic::write_bytes(&trial_file, &text)?;
    let log_path = seg.dir.join("log.txt");
    let mut log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| StudyError::io("cannot open", &log_path, e))?;
    let _ = writeln!(
        log,
        "== thaw: trial {} attempt {} epochs {}..{} ==",
        seg.trial, seg.attempt, seg.from_epoch, seg.to_epoch
    );
    let log = Arc::new(Mutex::new(log));

    let mut cmd = if objective.shell {
        let mut c = Command::new("sh");
        c.arg("-c").arg(&objective.command[0]);
        c
    } else {
        let mut c = Command::new(&objective.command[0]);
        c.args(&objective.command[1..]);
        c
    };
    cmd.current_dir(&objective.workdir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // The store's password is thaw's, not the program's (unless the study file
        // gives it one).
        .env_remove("PGPASSWORD")
        .envs(&objective.env)
        .env("THAW_STUDY", seg.study)
        .env("THAW_TRIAL", seg.trial.to_string())
        .env("THAW_ATTEMPT", seg.attempt.to_string())
        .env("THAW_FROM_EPOCH", seg.from_epoch.to_string())
        .env("THAW_TO_EPOCH", seg.to_epoch.to_string())
        .env("THAW_MAX_EPOCHS", seg.max_epochs.to_string())
        .env("THAW_CHECKPOINT_DIR", &ckpt)
        .env("THAW_PARAMS", Value::Object(seg.params.clone()).to_string())
        .env("THAW_METRIC", &objective.metric)
        .env("THAW_REPORT_FILE", &report_path)
        .env("THAW_TRIAL_FILE", &trial_file)
        .process_group(0);
    for (k, v) in seg.params {
        cmd.env(env_name(k), env_text(v));
    }
    // SAFETY: prctl is async-signal-safe; it only asks the kernel to kill the child when
    // the thread that spawned it dies, so that no orphan trains on after a crash of thaw.
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| cannot_start(objective, e.to_string()))?;
    // Bounded: a program that floods its output waits for thaw, it does not fill memory.
    let (tx, rx) = mpsc::sync_channel(64);
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    // Each reader writes what it reads to the log at once, so that stdout and stderr
    // lines keep the order in which the program wrote them (as far as two pipes tell).
    let out_log = Arc::clone(&log);
    let out_thread = std::thread::spawn(move || {
        read_lines(stdout, |l| {
            log_piece(&out_log, &l);
            tx.send(l).is_ok()
        })
    });
    let err_log = Arc::clone(&log);
    let err_thread = std::thread::spawn(move || {
        read_lines(stderr, |l| {
            log_piece(&err_log, &l);
            true
        })
    });

    let mut state = Reader {
        metric: &objective.metric,
        next: seg.from_epoch + 1,
        from: seg.from_epoch,
        to: seg.to_epoch,
        report_path: &report_path,
        report_offset: 0,
        report_partial: Vec::new(),
        initial_seen: false,
    };
    let started = Instant::now();
    let timeout = objective.timeout_s.map(Duration::from_secs_f64);
    let mut last_beat = Instant::now();
    let mut outcome: Option<End> = None;
    let mut closed = false;
    let mut exited: Option<(std::process::ExitStatus, Instant)> = None;
    let mut last_output = Instant::now();
    let mut broken: Option<String> = None;
    let mut error: Option<StudyError> = None;
    while outcome.is_none() && error.is_none() {
        let mut reports = Vec::new();
        if closed {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Everything the reader has, waiting up to 50 ms for the first piece.
        let mut next = (!closed).then(|| rx.recv_timeout(Duration::from_millis(50)));
        while let Some(received) = next.take() {
            match received {
                Ok(Line::Closed) | Err(RecvTimeoutError::Disconnected) => closed = true,
                Err(RecvTimeoutError::Timeout) => {}
                Ok(line) => {
                    last_output = Instant::now();
                    match state.read_line(&line, &mut reports) {
                        // Reports before a line that breaks the protocol still count.
                        Err(reason) => broken = Some(reason),
                        Ok(()) => next = rx.try_recv().ok().map(Ok),
                    }
                }
            }
        }
        if broken.is_none() {
            match state.poll_file() {
                Ok(r) => reports.extend(r),
                Err(reason) => broken = Some(reason),
            }
        }
        match deliver(&mut state, reports, &objective.metric, on_event) {
            Ok(end) => outcome = end,
            Err(e) => error = Some(e),
        }
        if let Some(reason) = broken.take() {
            outcome = outcome.or(Some(End::Failed {
                reason,
                retry: false,
            }));
        }
        if outcome.is_some() || error.is_some() {
            break;
        }
        // The segment ends when the program exits, whatever it left running: once its
        // output is read to the end (or, if something it left holds the output open,
        // after a short drain), what remains of its process group is killed below.
        if exited.is_none() {
            let status = child.try_wait().map_err(|e| {
                StudyError::io("cannot wait for the program in", &objective.workdir, e)
            })?;
            exited = status.map(|s| (s, Instant::now()));
        }
        let done = exited.filter(|&(_, at)| {
            closed
                || last_output.max(at).elapsed() >= DRAIN_AFTER_EXIT
                || at.elapsed() >= 10 * DRAIN_AFTER_EXIT
        });
        if let Some((status, _)) = done {
            // The program ended: a last look at the report file.
            match state.poll_file() {
                Ok(r) => match deliver(&mut state, r, &objective.metric, on_event) {
                    Ok(end) => outcome = end,
                    Err(e) => error = Some(e),
                },
                Err(reason) => {
                    outcome = Some(End::Failed {
                        reason,
                        retry: false,
                    })
                }
            }
            // `sh -c` exits 127 (not found) or 126 (not executable) when it cannot start
            // the command: the study's problem, like a failed spawn, when nothing was
            // reported.
            let nothing = state.next == seg.from_epoch + 1 && !state.initial_seen;
            if objective.shell
                && nothing
                && error.is_none()
                && outcome.is_none()
                && matches!(status.code(), Some(126 | 127))
            {
                error = Some(cannot_start(
                    objective,
                    format!(
                        "the shell could not run {:?} (status {}; see {})",
                        objective.command[0],
                        status.code().unwrap_or(0),
                        log_path.display()
                    ),
                ));
            }
            if error.is_none() && outcome.is_none() {
                outcome = Some(exit_outcome(status, state.next - 1, seg.to_epoch));
            }
            break;
        }
        if stop.load(Ordering::Relaxed) {
            outcome = Some(End::Stopped);
            break;
        }
        if let Some(t) = timeout
            && started.elapsed() > t
        {
            outcome = Some(End::Failed {
                reason: format!(
                    "timed out after {:.0} s (objective.timeout_s) at epoch {}",
                    t.as_secs_f64(),
                    state.next - 1
                ),
                retry: true,
            });
            break;
        }
        if last_beat.elapsed() >= Duration::from_secs(1) {
            last_beat = Instant::now();
            if let Err(e) = on_event(Event::Heartbeat) {
                error = Some(e);
            }
        }
    }
    kill_group(&mut child);
    drop(rx);
    // A process that left the group (`setsid`) may hold the output open for ever: its
    // reader threads are then left to end with it instead of being waited for.
    let deadline = Instant::now() + Duration::from_millis(200);
    while !(out_thread.is_finished() && err_thread.is_finished()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    if out_thread.is_finished() {
        let _ = out_thread.join();
    }
    if err_thread.is_finished() {
        let _ = err_thread.join();
    }
    if let Some(End::Failed { reason, .. }) = &outcome
        && let Ok(mut l) = log.lock()
    {
        let _ = writeln!(l, "== thaw: segment failed: {reason} ==");
    }
    match error {
        Some(e) => Err(e),
        None => Ok(outcome.unwrap_or(End::Stopped)),
    }
}

fn cannot_start(objective: &ObjectiveSpec, detail: String) -> StudyError {
    StudyError::CannotStart {
        command: if objective.shell {
            "sh".into()
        } else {
            objective.command[0].clone()
        },
        workdir: objective.workdir.clone(),
        detail,
    }
}

/// Checks, before any trial, that `objective`'s program can be started: its folder
/// exists, and its command (`sh` for a shell command) is an executable file, found
/// as the system would find it (a name with `/` from the folder, else on `PATH`, the
/// study file's `env` PATH first).
pub fn check_startable(objective: &ObjectiveSpec) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = &objective.workdir;
    if !dir.is_dir() {
        return Err(cannot_start(
            objective,
            "the folder does not exist (objective.workdir)".into(),
        ));
    }
    let command = if objective.shell {
        "sh"
    } else {
        objective.command[0].as_str()
    };
    let executable = |p: &Path| {
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if command.contains('/') {
        let path = dir.join(command);
        return match path.metadata() {
            Err(e) => Err(cannot_start(objective, e.to_string())),
            Ok(_) if !executable(&path) => Err(cannot_start(
                objective,
                "not an executable file (chmod +x, or run it through its interpreter)".into(),
            )),
            Ok(_) => Ok(()),
        };
    }
    let path_var = objective
        .env
        .get("PATH")
        .cloned()
        .or_else(|| std::env::var("PATH").ok())
        .unwrap_or_default();
    if std::env::split_paths(&path_var).any(|d| executable(&dir.join(d).join(command))) {
        Ok(())
    } else {
        Err(cannot_start(objective, "no such command on PATH".into()))
    }
}

/// Checks and hands on `reports` in order. A report out of order or a non-finite value
/// ends the segment (its `End` is returned; later reports are dropped); an error from
/// `on_event` is returned as it is.
fn deliver(
    state: &mut Reader<'_>,
    reports: Vec<(usize, f64)>,
    metric: &str,
    on_event: &mut dyn FnMut(Event) -> Result<()>,
) -> Result<Option<End>> {
    for (epoch, value) in reports {
        if let Err(reason) = state.accept(epoch) {
            return Ok(Some(End::Failed {
                reason,
                retry: false,
            }));
        }
        on_event(Event::Report { epoch, value })?;
        if !value.is_finite() {
            return Ok(Some(End::Failed {
                reason: format!("reported {metric} = {value} at epoch {epoch}"),
                retry: false,
            }));
        }
    }
    Ok(None)
}

fn exit_outcome(status: std::process::ExitStatus, last: usize, to: usize) -> End {
    if let Some(sig) = status.signal() {
        let name = match sig {
            libc::SIGSEGV => " (segmentation fault)",
            libc::SIGKILL => " (SIGKILL: out of memory?)",
            libc::SIGABRT => " (abort)",
            _ => "",
        };
        return End::Failed {
            reason: format!("killed by signal {sig}{name} after epoch {last}"),
            retry: true,
        };
    }
    match status.code() {
        Some(0) if last == to => End::Completed,
        Some(0) => End::Failed {
            reason: format!(
                "exited with status 0 after epoch {last}, asked to train to epoch {to}"
            ),
            retry: true,
        },
        Some(c) => End::Failed {
            reason: format!("exited with status {c} after epoch {last}"),
            retry: true,
        },
        None => End::Failed {
            reason: "ended without a status".into(),
            retry: true,
        },
    }
}

/// Kills the program's whole process group (its own children too) and reaps it.
fn kill_group(child: &mut Child) {
    if let Ok(None) = child.try_wait() {
        let pid = child.id() as libc::pid_t;
        // SAFETY: plain syscall on the group this child leads (process_group(0)).
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = child.wait();
    } else {
        // The leader exited; children it left in the group still go.
        let pid = child.id() as libc::pid_t;
        // SAFETY: as above; ESRCH when the group is empty is fine.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

struct Reader<'a> {
    metric: &'a str,
    next: usize,
    from: usize,
    to: usize,
    report_path: &'a Path,
    report_offset: u64,
    report_partial: Vec<u8>,
    initial_seen: bool,
}

impl Reader<'_> {
    /// Logs a piece of stdout and adds its report, if it is one, to `reports`; an error
    /// for a line that breaks the protocol.
    fn read_line(
        &self,
        line: &Line,
        reports: &mut Vec<(usize, f64)>,
    ) -> std::result::Result<(), String> {
        match line {
            Line::Long {
                bytes, first: true, ..
            } => {
                if String::from_utf8_lossy(bytes)
                    .trim_start()
                    .starts_with("thaw:")
                {
                    return Err(format!(
                        "a report line is longer than {} KiB",
                        MAX_LINE / 1024
                    ));
                }
                Ok(())
            }
            Line::Out(bytes) => {
                reports.extend(self.parse_stdout(bytes)?);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A report from a stdout line; None for an untagged line.
    fn parse_stdout(&self, bytes: &[u8]) -> std::result::Result<Option<(usize, f64)>, String> {
        let line = String::from_utf8_lossy(bytes);
        let Some(rest) = line.trim().strip_prefix("thaw:") else {
            return Ok(None);
        };
        let (mut epoch, mut value) = (None, None);
        let mut keys = Vec::new();
        for pair in rest.split_whitespace() {
            let (k, v) = pair.split_once('=').ok_or_else(|| {
                format!("report line {:?}: `{pair}` is not key=value", line.trim())
            })?;
            if keys.contains(&k) {
                return Err(format!(
                    "report line {:?}: `{k}` appears twice",
                    line.trim()
                ));
            }
            keys.push(k);
            if k == "epoch" {
                epoch = Some(v.parse::<usize>().map_err(|_| {
                    format!(
                        "report line {:?}: epoch {v:?} is not a whole number",
                        line.trim()
                    )
                })?);
            } else if k == self.metric {
                value = Some(v.parse::<f64>().map_err(|_| {
                    format!("report line {:?}: {k} {v:?} is not a number", line.trim())
                })?);
            }
        }
        match (epoch, value) {
            (Some(e), Some(v)) => Ok(Some((e, v))),
            (None, _) => Err(format!("report line {:?} has no epoch=", line.trim())),
            (_, None) => Err(format!(
                "report line {:?} has no {}=",
                line.trim(),
                self.metric
            )),
        }
    }

    /// New complete lines of the report file.
    fn poll_file(&mut self) -> std::result::Result<Vec<(usize, f64)>, String> {
        let Ok(mut f) = File::open(self.report_path) else {
            return Ok(Vec::new());
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len <= self.report_offset {
            return Ok(Vec::new());
        }
        let mut buf = Vec::new();
        if f.seek(SeekFrom::Start(self.report_offset)).is_err() || f.read_to_end(&mut buf).is_err()
        {
            return Ok(Vec::new());
        }
        self.report_offset += buf.len() as u64;
        self.report_partial.extend_from_slice(&buf);
        let mut out = Vec::new();
        while let Some(pos) = self.report_partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.report_partial.drain(..=pos).collect();
            let text = String::from_utf8_lossy(&line);
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let v = Value::Object(
                serde_json::from_str::<DistinctKeys>(text)
                    .map_err(|e| format!("report file line {text:?}: {e}"))?
                    .0,
            );
            let epoch = v.get("epoch").and_then(Value::as_u64).ok_or_else(|| {
                format!("report file line {text:?} has no whole-number \"epoch\"")
            })?;
            let value = match v.get(self.metric) {
                Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
                // JSON has no NaN: null or a string ("nan", "inf") stands for it.
                Some(Value::Null) => f64::NAN,
                Some(Value::String(s)) => s.parse::<f64>().unwrap_or(f64::NAN),
                _ => {
                    return Err(format!(
                        "report file line {text:?} has no \"{}\"",
                        self.metric
                    ));
                }
            };
            out.push((epoch as usize, value));
        }
        Ok(out)
    }

    /// Checks that `epoch` is the next one (or the initial 0 before any other).
    fn accept(&mut self, epoch: usize) -> std::result::Result<(), String> {
        if epoch == 0 && self.from == 0 && self.next == 1 && !self.initial_seen {
            self.initial_seen = true;
            return Ok(());
        }
        if epoch > self.to {
            return Err(format!(
                "reported epoch {epoch}, but was asked to train to epoch {}",
                self.to
            ));
        }
        if epoch != self.next {
            return Err(format!(
                "reported epoch {epoch} where epoch {} was due (epochs must come in order, once each)",
                self.next
            ));
        }
        self.next += 1;
        Ok(())
    }
}

/// A JSON object whose keys are all distinct (a key given twice is an error, where
/// serde_json would keep the last value).
struct DistinctKeys(Map<String, Value>);

impl<'de> serde::Deserialize<'de> for DistinctKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Keys;
        impl<'de> serde::de::Visitor<'de> for Keys {
            type Value = DistinctKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<DistinctKeys, A::Error> {
                let mut out = Map::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    if out.contains_key(&k) {
                        return Err(serde::de::Error::custom(format!("key {k:?} appears twice")));
                    }
                    out.insert(k, v);
                }
                Ok(DistinctKeys(out))
            }
        }
        d.deserialize_map(Keys)
    }
}

//! The trial protocol against hostile programs: what a program leaves running, what it
//! prints, how it reports. Each program is a shell script run by `run_segment` itself.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};
use thaw_study::protocol::{End, Event, Segment, run_segment};
use thaw_study::study_file::{Direction, ObjectiveSpec};

fn objective(dir: &Path, script: &str, timeout_s: Option<f64>) -> ObjectiveSpec {
    std::fs::write(dir.join("prog.sh"), script).unwrap();
    ObjectiveSpec {
        command: vec!["sh".into(), "./prog.sh".into()],
        shell: false,
        workdir: dir.to_path_buf(),
        metric: "loss".into(),
        direction: Direction::Minimize,
        max_epochs: 3,
        bounds: None,
        timeout_s,
        retries: 0,
        env: Default::default(),
    }
}

/// Runs epochs 0..3 of `script`; the end and the reports seen.
fn run(script: &str, timeout_s: Option<f64>) -> (End, Vec<(usize, f64)>, Duration) {
    let (end, reports, took, _) = run_slow(script, timeout_s, Duration::ZERO);
    (end, reports, took)
}

/// [`run`] with a store that takes `slow` to record each report; also the trial's log.
fn run_slow(
    script: &str,
    timeout_s: Option<f64>,
    slow: Duration,
) -> (End, Vec<(usize, f64)>, Duration, String) {
    let tmp = tempfile::tempdir().unwrap();
    let objective = objective(tmp.path(), script, timeout_s);
    let params: Map<String, Value> = [("x".to_string(), json!(0.5))].into_iter().collect();
    let seg = Segment {
        study: "s",
        trial: 0,
        attempt: 0,
        params: &params,
        from_epoch: 0,
        to_epoch: 3,
        max_epochs: 3,
        dir: tmp.path(),
    };
    let mut reports = Vec::new();
    let started = Instant::now();
    let end = run_segment(&objective, &seg, &AtomicBool::new(false), &mut |e| {
        if let Event::Report { epoch, value } = e {
            reports.push((epoch, value));
            std::thread::sleep(slow);
        }
        Ok(())
    })
    .unwrap();
    // (Not read for the other tests: one of them logs a 100 MB line.)
    let log = if slow.is_zero() {
        String::new()
    } else {
        std::fs::read_to_string(tmp.path().join("log.txt")).unwrap()
    };
    (end, reports, started.elapsed(), log)
}

#[test]
fn the_log_keeps_stdout_and_stderr_in_the_order_written() {
    // While thaw records a report (slowly here), the program goes on writing to both.
    let script = format!(
        "echo 'thaw: epoch=1 loss=0.1'\nsleep 0.05\necho out-a\nsleep 0.05\necho err-b >&2\n\
         sleep 0.05\necho out-c\n{}",
        "for e in 2 3; do echo \"thaw: epoch=$e loss=0.$e\"; done\n"
    );
    let (end, _, _, log) = run_slow(&script, None, Duration::from_millis(400));
    assert_eq!(end, End::Completed);
    let at = |s: &str| log.find(s).unwrap_or_else(|| panic!("{s} not in {log}"));
    assert!(
        at("out-a") < at("err-b") && at("err-b") < at("out-c"),
        "{log}"
    );
}

const EPOCHS: &str = "for e in 1 2 3; do echo \"thaw: epoch=$e loss=0.$e\"; done\n";

#[test]
fn a_segment_ends_when_the_program_exits_whatever_it_leaves_running() {
    // A forked child keeps stdout (and stderr) open for 20 s; the program itself
    // reports every epoch and exits 0 at once.
    let script = format!("(sleep 20) &\n{EPOCHS}");
    let (end, reports, took) = run(&script, Some(10.0));
    assert_eq!(end, End::Completed, "{reports:?}");
    assert_eq!(reports.len(), 3);
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[test]
fn the_last_reports_of_a_program_that_exits_at_once_are_kept() {
    // Many quick segments: the reports written just before the exit are never lost to
    // the race between the exit and the reader.
    for _ in 0..20 {
        let (end, reports, _) = run(EPOCHS, None);
        assert_eq!(end, End::Completed);
        assert_eq!(reports, vec![(1, 0.1), (2, 0.2), (3, 0.3)]);
    }
}

#[test]
fn a_metric_given_twice_on_one_line_breaks_the_protocol() {
    let (end, reports, _) = run("echo 'thaw: epoch=1 loss=1.0 loss=9.9'\n", None);
    assert!(
        matches!(&end, End::Failed { reason, retry: false } if reason.contains("`loss` appears twice")),
        "{end:?}"
    );
    assert!(reports.is_empty());
    // The same in the report file.
    let script = "echo '{\"epoch\": 1, \"loss\": 1.0, \"loss\": 9.9}' >> \"$THAW_REPORT_FILE\"\n";
    let (end, reports, _) = run(script, None);
    assert!(
        matches!(&end, End::Failed { reason, .. } if reason.contains("\"loss\" appears twice")),
        "{end:?}"
    );
    assert!(reports.is_empty());
}

/// Peak resident memory of this process so far, in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn a_line_of_100_mb_is_logged_not_held_in_memory() {
    let before = peak_rss_kib();
    let script =
        format!("head -c 100000000 /dev/zero | tr '\\0' 'a'\necho\necho 'after'\n{EPOCHS}");
    let (end, reports, _) = run(&script, Some(60.0));
    assert_eq!(end, End::Completed);
    assert_eq!(reports.len(), 3);
    let grew_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert!(grew_mib < 64, "peak memory grew by {grew_mib} MiB");
    // A report line that long is a protocol error, not a silent skip.
    let script =
        "printf 'thaw: epoch=1 loss=0.5 '; head -c 100000 /dev/zero | tr '\\0' 'a'; echo\n";
    let (end, _, _) = run(script, None);
    assert!(
        matches!(&end, End::Failed { reason, .. } if reason.contains("longer than 64 KiB")),
        "{end:?}"
    );
}

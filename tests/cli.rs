//! The `thaw` binary end to end: exit codes, messages, atomic outputs.

use std::path::Path;
use std::process::{Command, Output};

fn thaw(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thaw"))
        .args(args)
        .current_dir(cwd)
        .env("THAW_HOME", cwd)
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn row(lr: &str, valid: &str) -> String {
    let hp = format!(
        "\"learning_rate\": {lr}, \"beta1\": 0.9, \"beta2\": 0.999, \"epsilon\": 1e-8, \"l1\": 1e-6, \"l2\": 1e-6, \"linear_decay\": 1e-6, \"exponential_decay\": 1e-5"
    );
    format!("{{\"hp\": {{{hp}}}, \"valid\": {{\"loss\": {valid}}}}}")
}

fn write_task(dir: &Path, name: &str, rows: &[String]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join(format!("{name}.json")),
        format!("[{}]", rows.join(",")),
    )
    .unwrap();
}

#[test]
fn import_then_summary_from_default_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("data/raw/taskset");
    write_task(
        &raw,
        "tiny",
        &[
            row("1e-3", "[0.7, 0.5, 0.3]"),
            row("1e-1", "[0.7, NaN, 2.0]"),
            row("1e-2", "[0.8, 0.6, 0.4]"),
        ],
    );
    let o = thaw(&["data", "import"], tmp.path());
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(out.contains("imported taskset: 1 tasks, 3 rows"), "{out}");
    assert!(tmp.path().join("data/parquet/taskset.parquet").is_file());
    let o = thaw(&["data", "summary"], tmp.path());
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("tiny"))
        .expect("a line for the task");
    let cells: Vec<&str> = line.split_whitespace().collect();
    // task configs epochs NaN diverged y=0% best median M
    assert_eq!(&cells[1..5], ["3", "2", "1", "0"], "{out}");
    assert_eq!(cells[8], "0.7000", "M = median initial loss");
    // The same file's statistics, also written to a file.
    let o = thaw(
        &[
            "data",
            "stats",
            "data/parquet/taskset.parquet",
            "--out",
            "stats.md",
        ],
        tmp.path(),
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    // y = 1 − loss / 0.7: the lr 0.1 row (NaN, then 2.0) is 0 throughout.
    assert!(
        out.contains("| never learn (best y < 0.01) | 33.3 % |"),
        "{out}"
    );
    assert!(out.contains("| NaN curves | 33.3 % |"), "{out}");
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("stats.md")).unwrap(),
        out
    );
    // A folder is one column of all its Parquet files; an empty one is an error.
    let o = thaw(&["data", "stats", "data/parquet"], tmp.path());
    let (folder_out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        folder_out.contains("`data/parquet` (1 files)"),
        "{folder_out}"
    );
    assert!(
        folder_out.contains("| NaN curves | 33.3 % |"),
        "{folder_out}"
    );
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    let o = thaw(&["data", "stats", "empty"], tmp.path());
    let (_, err) = text(&o);
    assert!(!o.status.success());
    assert!(err.contains("empty holds no .parquet file"), "{err}");
}

#[test]
fn bad_input_exits_non_zero_naming_the_file_and_leaves_outputs_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    write_task(
        &src,
        "bad",
        &[row("1e-3", "[0.7, 0.5]"), row("1e-3", "[0.7, 0.5, 0.1]")],
    );
    let out = tmp.path().join("out.parquet");
    std::fs::write(&out, b"previous contents").unwrap();
    let o = thaw(
        &[
            "data",
            "import",
            "taskset",
            "-i",
            src.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ],
        tmp.path(),
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.starts_with("error:") && err.contains("bad.json") && err.contains("row 1"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        b"previous contents",
        "a failed import never touches the output"
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        2,
        "no temp files left behind"
    );
}

#[test]
fn unknown_benchmark_missing_folders_and_bad_files_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let cases: [(&[&str], &str); 4] = [
        (
            &["data", "import", "imagenet"],
            "unknown benchmark `imagenet`",
        ),
        (&["data", "import"], "scripts/fetch-data"),
        (&["data", "summary"], "thaw data import"),
        (&["data", "summary", "nothing.parquet"], "nothing.parquet"),
    ];
    for (args, want) in cases {
        let o = thaw(args, tmp.path());
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(want), "{args:?}: {err}");
    }
    std::fs::write(tmp.path().join("junk.parquet"), b"PAR1 but not really").unwrap();
    let o = thaw(&["data", "summary", "junk.parquet"], tmp.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("junk.parquet"));
}

/// The examples at the end of `thaw ARGS --help` as rendered at `columns` columns.
fn examples_at(args: &[&str], columns: usize) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_thaw"))
        .args(args)
        .arg("--help")
        .env("COLUMNS", columns.to_string())
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&o.stdout).into_owned();
    help.split_once("Examples:")
        .map(|(_, e)| e.to_string())
        .unwrap_or_default()
}

#[test]
fn help_examples_fit_80_columns_so_they_paste_as_they_are() {
    for args in [
        &[][..],
        &["train-pfn"],
        &["ifbo"],
        &["eval-lc"],
        &["bench-hpo"],
        &["bench-peers"],
        &["predict"],
        &["prior-sample"],
        &["gen-curves"],
        &["data", "summary"],
    ] {
        let narrow = examples_at(args, 80);
        // Wrapped at 80 columns, a long command line would be cut (and its `\\`
        // continuation lost): every indented line (commands and their comments) of the
        // examples must come out whole. Prose paragraphs may be re-wrapped.
        let mut cmd = <thaw_cli::Cli as clap::CommandFactory>::command();
        for name in args {
            cmd = cmd.find_subcommand(name).unwrap().clone();
        }
        let raw = cmd.get_after_help().unwrap().to_string();
        let lines = raw.lines().map(str::trim_end);
        for line in lines.filter(|l| l.starts_with("  ")) {
            assert!(
                narrow.lines().any(|l| l.trim_end() == line),
                "{args:?}: `{line}` ({} columns) is wrapped at 80",
                line.chars().count()
            );
        }
    }
}

#[test]
fn an_io_error_is_printed_once_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &["data", "summary", "nope.parquet"][..],
        &[
            "ifbo",
            "--method",
            "random",
            "--benchmark",
            "nope.parquet",
            "--out",
            "r",
        ],
        &["eval-lc", "--data", "nope.parquet", "--out", "r"],
    ] {
        let o = thaw(args, tmp.path());
        let err = text(&o).1;
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("nope.parquet"), "{err}");
        assert_eq!(err.matches("No such file").count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn an_output_that_is_a_file_is_refused_before_any_work() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = tmp.path().join("data/raw/taskset");
    let rows = [
        row("0.001", "[0.7, 0.5, 0.4]"),
        row("0.01", "[0.7, 0.6, 0.2]"),
    ];
    write_task(&raw, "t1", &rows);
    assert!(thaw(&["data", "import"], tmp.path()).status.success());
    std::fs::write(tmp.path().join("afile"), "x").unwrap();
    for args in [
        &[
            "ifbo", "--method", "random", "--budget", "2", "--out", "afile",
        ][..],
        &[
            "eval-lc",
            "--contexts",
            "2",
            "--draws",
            "1",
            "--checkpoint",
            "none",
            "--out",
            "afile",
        ],
        &[
            "bench-hpo",
            "--methods",
            "random",
            "--budget",
            "2",
            "--out",
            "afile",
        ],
        &["prior-sample", "--out", "afile"],
    ] {
        let o = thaw(args, tmp.path());
        let err = text(&o).1;
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("afile exists and is not a directory"),
            "{args:?}: {err}"
        );
    }
}

/// A checkout-like home with a Parquet file, and a command run from elsewhere.
#[test]
fn defaults_are_found_from_any_directory_through_thaw_home() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let raw = home.join("data/raw/taskset");
    let rows = [
        row("0.001", "[0.7, 0.5, 0.4]"),
        row("0.01", "[0.7, 0.6, 0.2]"),
    ];
    write_task(&raw, "t1", &rows);
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_thaw"))
            .args(args)
            .current_dir(&elsewhere)
            .env("THAW_HOME", &home)
            .output()
            .unwrap()
    };
    let o = run(&["data", "import"]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(home.join("data/parquet/taskset.parquet").is_file());
    let o = run(&["data", "summary"]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).0.contains("t1"), "{:?}", text(&o));
    // --help shows where the defaults are.
    let o = run(&["eval-lc", "--help"]);
    let want = home.join("data/parquet/taskset.parquet");
    assert!(
        text(&o).0.contains(&*want.to_string_lossy()),
        "{}",
        text(&o).0
    );
    assert!(!elsewhere.join("data").exists());
}

/// Without THAW_HOME: an installed `PREFIX/bin/thaw` finds `PREFIX/checkpoints`; a
/// checkout-like current directory wins over it; a stray `checkpoints/` does not count.
#[test]
fn without_thaw_home_the_install_location_and_the_current_directory_are_found() {
    let tmp = tempfile::tempdir().unwrap();
    let prefix = tmp.path().join("prefix");
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    std::fs::create_dir_all(prefix.join("checkpoints/adam-pfn-small")).unwrap();
    std::fs::write(prefix.join("checkpoints/adam-pfn-small/config.json"), "{}").unwrap();
    let exe = prefix.join("bin/thaw");
    std::fs::copy(env!("CARGO_BIN_EXE_thaw"), &exe).unwrap();
    let default_data = |cwd: &Path| {
        let o = Command::new(&exe)
            .args(["eval-lc", "--help"])
            .current_dir(cwd)
            .env_remove("THAW_HOME")
            .env("COLUMNS", "200")
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&o.stdout).into_owned();
        let at = help.find("taskset.parquet]").expect("a default data file");
        let start = help[..at].rfind("[default: ").unwrap() + "[default: ".len();
        help[start..at + "taskset.parquet".len()].to_string()
    };
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("checkpoints/empty")).unwrap();
    let installed = prefix.join("data/parquet/taskset.parquet");
    assert_eq!(default_data(&elsewhere), installed.to_string_lossy());
    let checkout = tmp.path().join("checkout");
    std::fs::create_dir_all(checkout.join("data/parquet")).unwrap();
    assert_eq!(default_data(&checkout), "data/parquet/taskset.parquet");
}

#[test]
fn help_teaches_with_examples() {
    let tmp = tempfile::tempdir().unwrap();
    let o = thaw(&["--help"], tmp.path());
    assert!(o.status.success());
    assert!(text(&o).0.contains("thaw data import"));
    // Every command is a subcommand, each listed with its purpose and its own examples.
    for cmd in [
        "data",
        "train-pfn",
        "ifbo",
        "eval-lc",
        "bench-hpo",
        "predict",
        "prior-sample",
    ] {
        assert!(text(&o).0.contains(&format!("\n  {cmd} ")), "{cmd}");
        let h = thaw(&[cmd, "--help"], tmp.path());
        assert!(h.status.success(), "{cmd}");
        if cmd != "data" {
            assert!(text(&h).0.contains("Examples:"), "{cmd}");
        }
    }
    let o = thaw(&["data", "summary", "--help"], tmp.path());
    assert!(text(&o).0.contains("1 - loss / M"));
    let o = thaw(&["data", "bogus"], tmp.path());
    assert_eq!(
        o.status.code(),
        Some(2),
        "usage errors exit with clap's status 2"
    );
}

#[test]
fn pbt_is_refused_on_tabular_benchmarks_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &["ifbo", "--method", "pbt", "--out", "o"][..],
        &["bench-hpo", "--methods", "asha,pbt", "--out", "o"][..],
    ] {
        let o = thaw(args, tmp.path());
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("tabular benchmark"), "{args:?}: {err}");
        assert!(err.contains("thaw tune"), "{args:?}: {err}");
        assert!(!tmp.path().join("o").exists(), "nothing written");
    }
}

#[test]
fn a_device_not_in_the_build_is_a_one_line_error_on_every_model_command() {
    let tmp = tempfile::tempdir().unwrap();
    for cmd in ["train-pfn", "ifbo", "eval-lc", "bench-hpo", "predict"] {
        for (device, feature) in [("cuda", "--features cuda"), ("wgpu", "--features wgpu")] {
            let mut args = vec![cmd, "--device", device];
            if cmd != "predict" {
                args.extend(["--out", "o"]);
            }
            let o = thaw(&args, tmp.path());
            let (_, err) = text(&o);
            assert_eq!(o.status.code(), Some(1), "{cmd} {device}: {err}");
            assert_eq!(err.lines().count(), 1, "{cmd} {device}: {err}");
            assert!(err.contains(feature), "{cmd} {device}: {err}");
        }
    }
}

#[test]
fn prior_sample_writes_parquet_csv_and_svg_that_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let sample = |out: &str| {
        thaw(
            &[
                "prior-sample",
                "--tasks",
                "2",
                "--configs",
                "7",
                "--epochs",
                "5",
                "--hps",
                "3",
                "--out",
                out,
            ],
            tmp.path(),
        )
    };
    let out = sample("s");
    assert!(out.status.success(), "{:?}", text(&out));
    let dir = tmp.path().join("s");
    let svg = std::fs::read_to_string(dir.join("curves.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("ftpfn-s0-t1"));
    // The Parquet file normalises back to exactly the CSV's y.
    let tasks = thaw_data::load_tasks(&dir.join("curves.parquet"), None).unwrap();
    assert_eq!(tasks.len(), 2);
    let csv = std::fs::read_to_string(dir.join("curves.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 2 * 7 * 5);
    for r in &rows {
        let task = tasks.iter().find(|t| t.name == r[0]).unwrap();
        let (c, e): (usize, usize) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        let y: f32 = r[7].parse().unwrap();
        assert!((task.curves.y_at(c, e - 1) - y).abs() < 1e-6);
        let h1: f32 = r[4].parse().unwrap();
        assert!((task.curves.hp(c)[0] - h1).abs() < 1e-6);
    }
    // Same seed, same curves; bad settings are errors.
    let again = sample("t");
    assert!(again.status.success());
    assert_eq!(
        csv,
        std::fs::read_to_string(tmp.path().join("t/curves.csv")).unwrap()
    );
    // (A value out of range is a usage error, status 2; so is a size over the limit,
    // refused before anything is allocated.)
    for (bad, code) in [
        (&["prior-sample", "--hps", "11"][..], 2),
        (&["prior-sample", "--tasks", "0"], 2),
        (
            &["prior-sample", "--tasks", "100000", "--configs", "100000"],
            2,
        ),
    ] {
        let o = thaw(bad, tmp.path());
        assert_eq!(o.status.code(), Some(code), "{bad:?}");
        assert!(text(&o).1.starts_with("error:"));
    }
    // An unknown prior is a usage error: clap lists the possible values.
    let o = thaw(&["prior-sample", "--prior", "taskset"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o).1.contains("possible values: ftpfn"),
        "{}",
        text(&o).1
    );
}

#[test]
fn bench_peers_repeats_with_the_seeds_and_compares_with_a_peer() {
    let tmp = tempfile::tempdir().unwrap();
    let args = |out: &'static str| {
        vec![
            "bench-peers",
            "--problems",
            "branin",
            "--seeds",
            "2",
            "--budgets",
            "branin=6",
            "--quiet",
            "--out",
            out,
        ]
    };
    // The regrets without the seconds column.
    let regrets = |dir: &str| -> Vec<String> {
        let text = std::fs::read_to_string(tmp.path().join(dir).join("thaw.csv")).unwrap();
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.split(',').collect();
                [&f[..5], &f[6..]].concat().join(",")
            })
            .collect()
    };
    for (out, threads) in [("a", "1"), ("b", "2")] {
        let mut a = args(out);
        a.extend(["--threads", threads]);
        let o = thaw(&a, tmp.path());
        assert!(o.status.success(), "{:?}", text(&o));
    }
    let (a, b) = (regrets("a"), regrets("b"));
    assert_eq!(a.len(), 1 + 4 * 2, "a header and 4 methods × 2 seeds");
    assert_eq!(
        a, b,
        "the same seeds, the same regrets, whatever the threads"
    );
    // Compared with itself, every row is within its own interquartile range.
    let o = thaw(
        &[
            "bench-peers",
            "--read",
            "a/thaw.csv",
            "--peer",
            "a/thaw.csv",
            "--out",
            "a",
        ],
        tmp.path(),
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        out.contains("| branin | GP-BO |") && out.contains("4 of 4 rows"),
        "{out}"
    );
    assert!(tmp.path().join("a/comparison.md").is_file());
    // A problem that does not exist is a usage error.
    let o = thaw(
        &["bench-peers", "--problems", "ackley", "--out", "c"],
        tmp.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{:?}", text(&o));
}

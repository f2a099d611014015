//! `thaw gen-curves` end to end: a tiny corpus, read back by `thaw data summary`, and a
//! second run that finds every task finished.

mod common;

fn thaw(args: &[&str], cwd: &std::path::Path) -> std::process::Output {
    common::cli::bin("thaw", args, cwd)
}

#[test]
fn gen_curves_output_is_read_by_data_summary_and_resumes() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "gen-curves",
        "--tasks",
        "2",
        "--configs",
        "8",
        "--steps",
        "20",
        "--points",
        "11",
        "--eval-rows",
        "32",
        "--seed",
        "3",
        "--out",
        "gen",
        "--quiet",
    ];
    let o = thaw(&args, tmp.path());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("2 tasks trained"));

    let o = thaw(&["data", "summary", "gen/curves.parquet"], tmp.path());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        out.lines().filter(|l| l.starts_with("gen_")).count(),
        2,
        "{out}"
    );

    let o = thaw(&args, tmp.path());
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("0 tasks trained"));

    // Steps that do not fit the evaluation points are a usage error.
    let o = thaw(&["gen-curves", "--steps", "33", "--out", "bad"], tmp.path());
    assert_eq!(o.status.code(), Some(2));
}

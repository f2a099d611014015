//! `thaw dashboard` as a user runs it: a study tuned by `thaw tune`, the server on a free
//! port, its JSON checked against the store, its page rendered by headless Chromium (the
//! page draws client-side), and its clear errors (a port in use, a store that is not
//! there).
//!
//! Chromium is looked for on PATH (chromium, chromium-browser, google-chrome); without it
//! the browser part prints `skipped: no chromium`, unless THAW_REQUIRE_BROWSER is set.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use thaw_study::{State, Storage, record};

const THAW: &str = env!("CARGO_BIN_EXE_thaw");

/// loss = (x − 0.4)² + 0.1·[opt = sgd] + 1/epoch.
const PROGRAM: &str = r#"#!/bin/sh
e=$THAW_FROM_EPOCH
while [ "$e" -lt "$THAW_TO_EPOCH" ]; do
  e=$((e+1))
  awk -v x="$THAW_PARAM_X" -v o="$THAW_PARAM_OPT" -v e="$e" 'BEGIN { p = (o == "sgd") ? 0.1 : 0; printf "thaw: epoch=%d loss=%.6f\n", e, (x-0.4)^2 + p + 1/e }'
done
"#;

const SPACE: &str = r#"
[objective]
command = ["./prog.sh"]
metric = "loss"
direction = "minimize"
max_epochs = 4

[[param]]
name = "x"
type = "float"
low = 0.0
high = 1.0

[[param]]
name = "opt"
type = "categorical"
choices = ["adam", "sgd"]
"#;

fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{}: {stdout}\n{stderr}", out.status);
    stdout
}

fn thaw(root: &Path, args: &[&str]) -> Output {
    Command::new(THAW)
        .current_dir(root)
        .args(args)
        .env("THAW_HOME", env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

/// A study `demo` tuned with ASHA in `root/s.db` (budget epochs).
fn tuned_study(root: &Path, budget: usize) {
    std::fs::write(root.join("prog.sh"), PROGRAM).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(root.join("prog.sh"))
        .status()
        .unwrap();
    std::fs::write(root.join("space.toml"), SPACE).unwrap();
    let budget = budget.to_string();
    ok(&thaw(
        root,
        &[
            "tune",
            "space.toml",
            "--study",
            "demo",
            "--storage",
            "sqlite:s.db",
            "--method",
            "asha",
            "--budget",
            &budget,
            "--quiet",
        ],
    ));
}

/// The dashboard server, killed when dropped (a failed assertion leaks no process).
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `thaw dashboard --port 0` on the store of `root` and reads the port it chose
/// from its first line.
fn start(root: &Path) -> Server {
    let child = Command::new(THAW)
        .current_dir(root)
        .args(["dashboard", "--storage", "sqlite:s.db", "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut server = Server { child, port: 0 };
    let stdout = server.child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let expected = "dashboard of sqlite:s.db at http://127.0.0.1:";
    assert!(line.starts_with(expected), "{line:?}");
    assert!(line.trim_end().ends_with(" (Ctrl-C stops it)"), "{line:?}");
    server.port = line[expected.len()..]
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_ne!(server.port, 0);
    server
}

/// `METHOD path` with a std-only HTTP/1.1 client: (status, body).
fn request(port: u16, method: &str, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("a header");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

fn get_json(port: u16, path: &str) -> (u16, Value) {
    let (status, body) = request(port, "GET", path);
    let v = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
    (status, v)
}

#[test]
fn dashboard_serves_the_store_and_the_page_renders() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    tuned_study(root, 16);
    let storage = Storage::parse(&format!("sqlite:{}", root.join("s.db").display())).unwrap();
    let mut conn = storage.connect_read_only().unwrap();
    let rec = record::load(&mut conn, &storage, "demo").unwrap();
    drop(conn);
    let started: Vec<u64> = rec
        .trials
        .iter()
        .filter(|t| t.state != State::Candidate)
        .map(|t| t.number)
        .collect();
    let (_, _, best) = rec.incumbent().expect("an incumbent");
    assert_eq!(rec.spent(), 16);

    let server = start(root);
    let port = server.port;

    // (1) The JSON endpoints agree with the store.
    let (status, list) = get_json(port, "/api/studies");
    assert_eq!(status, 200);
    let studies = list["studies"].as_array().unwrap();
    assert_eq!(studies.len(), 1, "{list}");
    let s = &studies[0];
    assert_eq!(s["name"], "demo");
    assert_eq!(s["method"], rec.settings.method.name());
    assert_eq!(s["metric"], "loss");
    assert_eq!(s["direction"], "minimize");
    assert_eq!(s["budget"], 16);
    assert_eq!(s["spent"], 16);
    assert_eq!(s["trials"], started.len());
    assert_eq!(s["best"]["value"].as_f64(), Some(best));
    let counted: u64 = s["counts"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(counted as usize, rec.trials.len());

    let (status, st) = get_json(port, "/api/study/demo");
    assert_eq!(status, 200);
    assert_eq!(st["spent"], 16);
    assert_eq!(st["best"]["value"].as_f64(), Some(best));
    let trials = st["trials"].as_array().unwrap();
    let numbers: Vec<u64> = trials
        .iter()
        .map(|t| t["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, started);
    for t in trials {
        let n = t["number"].as_u64().unwrap();
        let curve = rec.curve(n);
        let values: Vec<Option<f64>> = t["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(Value::as_f64)
            .collect();
        assert_eq!(values, curve, "trial {n}");
        assert_eq!(t["epochs"], rec.trials[n as usize].epochs);
        let ys = t["y"].as_array().unwrap();
        assert_eq!(ys.len(), curve.len());
        assert!(
            ys.iter()
                .all(|y| y.as_f64().is_some_and(|y| (0.0..=1.0).contains(&y))),
            "{t}"
        );
        let tbest = curve.iter().flatten().copied().reduce(f64::min);
        assert_eq!(t["best"].as_f64(), tbest, "trial {n}");
    }
    let inc = st["incumbent"].as_array().unwrap();
    assert_eq!(inc.len(), 16);
    assert_eq!(inc.last().unwrap()["best"].as_f64(), Some(best));
    assert_eq!(inc.last().unwrap()["epochs"], 16);
    let imp = st["importance"].as_array().unwrap();
    assert_eq!(
        imp.iter().map(|i| i["name"].clone()).collect::<Vec<_>>(),
        ["x", "opt"]
    );
    assert!(imp.iter().all(|i| {
        i["importance"]
            .as_f64()
            .is_none_or(|v| (0.0..=1.0).contains(&v))
    }));

    // Unknown studies and paths are 404 with a JSON error; the server lives on.
    let (status, e) = get_json(port, "/api/study/nope");
    assert_eq!(status, 404);
    assert!(e["error"].as_str().unwrap().contains("nope"), "{e}");
    for path in [
        "/nope",
        "/api/study/",
        "/api/study/%ff%fe",
        "/api/study/%zz",
        "/../../etc/passwd",
    ] {
        let (status, body) = request(port, "GET", path);
        assert_eq!(status, 404, "{path}: {body}");
    }
    assert_eq!(request(port, "POST", "/api/studies").0, 405);
    assert_eq!(get_json(port, "/api/study/de%6Do").0, 200);

    // (3) The page needs no network: no URL of another host in what it is served.
    let (status, html) = request(port, "GET", "/");
    assert_eq!(status, 200);
    assert!(html.contains("<script src=\"/app.js\">"), "{html}");
    for path in ["/", "/app.js", "/style.css"] {
        let (status, body) = request(port, "GET", path);
        assert_eq!(status, 200, "{path}");
        assert!(!body.contains("https://"), "{path} names an https URL");
        assert!(!body.contains("http://"), "{path} names an http URL");
    }

    // (2) The page renders in a browser (client-side: the DOM holds what JS drew).
    let Some(chromium) = chromium() else {
        if std::env::var_os("THAW_REQUIRE_BROWSER").is_some() {
            panic!("THAW_REQUIRE_BROWSER is set but no chromium is on PATH");
        }
        println!("skipped: no chromium");
        return;
    };
    let url = format!("http://127.0.0.1:{port}/?study=demo");
    let dom_file = root.join("dom.html");
    browse(
        &chromium,
        root,
        &["--dump-dom", &url],
        Some(&dom_file),
        "dump-dom",
    );
    let dom = std::fs::read_to_string(&dom_file).unwrap();
    assert!(dom.contains("id=\"trials\""), "no trial table: {dom}");
    for n in &started {
        assert!(
            dom.contains(&format!("data-trial=\"{n}\"")),
            "trial {n} is not in the table: {dom}"
        );
    }
    assert!(dom.contains("<svg"), "no chart: {dom}");
    let curves = dom.matches("<path class=\"curve").count();
    assert_eq!(curves, started.len(), "one curve per trial: {dom}");
    assert!(dom.contains("class=\"pc\""), "no parallel coordinates");
    assert!(dom.contains("Parameter importance"), "no importance");
    assert!(
        !dom.contains("cannot update"),
        "the page failed to load: {dom}"
    );

    let png = root.join("x.png");
    let shot = format!("--screenshot={}", png.display());
    browse(
        &chromium,
        root,
        &[&shot, "--window-size=1400,1000", &url],
        None,
        "screenshot",
    );
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(bytes.len() > 20_000, "a blank page? {} bytes", bytes.len());
    drop(server);
}

/// The first of chromium, chromium-browser, google-chrome on PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |d| d.join(name)))
        .find(|p| p.is_file())
}

/// Runs headless Chromium with `args` (its stdout to `stdout_to`), killed after 120 s.
fn browse(chromium: &Path, root: &Path, args: &[&str], stdout_to: Option<&Path>, what: &str) {
    let profile = root.join(format!("profile-{what}"));
    let log = root.join(format!("chromium-{what}.log"));
    let stdout = match stdout_to {
        Some(p) => Stdio::from(std::fs::File::create(p).unwrap()),
        None => Stdio::null(),
    };
    let mut child = Command::new(chromium)
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdout(stdout)
        .stderr(Stdio::from(std::fs::File::create(&log).unwrap()))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "chromium ({what}) ran over 120 s: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "chromium ({what}) failed: {status}: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}

#[test]
fn a_port_in_use_and_a_missing_store_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    tuned_study(root, 4);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = thaw(
        root,
        &["dashboard", "--storage", "sqlite:s.db", "--port", &port],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on 127.0.0.1:{port}")) && stderr.contains("--port"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    drop(taken);

    let out = thaw(root, &["dashboard", "--storage", "sqlite:missing/none.db"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sqlite:missing/none.db"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        !root.join("missing").exists(),
        "the dashboard created a store"
    );

    let help = ok(&thaw(root, &["dashboard", "--help"]));
    assert!(
        help.contains("Examples:") && help.contains("thaw dashboard"),
        "{help}"
    );
}

//! Workers on several hosts against one PostgreSQL study: the project's own test hosts,
//! network namespaces on this machine joined to it by veth links, each running
//! `thaw worker` processes that reach a real PostgreSQL server over the link. Workers are
//! killed with SIGKILL at random and started again, the server is restarted and its
//! connections dropped; afterwards no epoch is lost or counted twice, every trial is at
//! rest, the budget is spent exactly, and no output shows the password.
//!
//! Needs root, `ip` (iproute2) and PostgreSQL's server programs: skipped without them,
//! except under `THAW_REQUIRE_NETNS=1` (set by `.ci/run`), where it fails.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use thaw_study::pg_server::{PgOptions, PgServer, is_root, server_bin};
use thaw_study::record;
use thaw_study::{State, Storage};

const THAW: &str = env!("CARGO_BIN_EXE_thaw");

/// A deterministic program that resumes from its checkpoint.
const PROGRAM: &str = r#"#!/bin/sh
ck="$THAW_CHECKPOINT_DIR"
e=$THAW_FROM_EPOCH
if [ "$e" -gt 0 ] && [ "$(cat "$ck/epoch" 2>/dev/null)" -lt "$e" ]; then exit 3; fi
if [ "$e" -eq 0 ]; then
  awk -v x="$THAW_PARAM_X" 'BEGIN { printf "thaw: epoch=0 loss=%.9f\n", 2 + x }'
fi
while [ "$e" -lt "$THAW_TO_EPOCH" ]; do
  e=$((e+1))
  sleep 0.1
  echo "$e" > "$ck/epoch.tmp"; mv "$ck/epoch.tmp" "$ck/epoch"
  awk -v x="$THAW_PARAM_X" -v e="$e" 'BEGIN { printf "thaw: epoch=%d loss=%.9f\n", e, (x-0.3)^2 + 1/e }'
done
"#;

const SPACE: &str = r#"
[objective]
command = ["./prog.sh"]
metric = "loss"
direction = "minimize"
max_epochs = 9
timeout_s = 30
retries = 100

[[param]]
name = "x"
type = "float"
low = 0.0
high = 1.0
"#;

/// A test host: a network namespace with a veth link to this machine.
struct Host {
    name: String,
}

impl Host {
    fn new(name: &str, subnet: u8) -> Result<Self, String> {
        let run = |args: &[&str]| -> Result<(), String> {
            let out = Command::new("ip")
                .args(args)
                .output()
                .map_err(|e| e.to_string())?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "ip {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        };
        let _ = run(&["netns", "del", name]);
        let _ = run(&["link", "del", &format!("{name}-h")]);
        run(&["netns", "add", name])?;
        let host = Self { name: name.into() };
        let (outside, inside) = (format!("{name}-h"), format!("{name}-n"));
        run(&[
            "link", "add", &outside, "type", "veth", "peer", "name", &inside,
        ])?;
        run(&["link", "set", &inside, "netns", name])?;
        run(&[
            "addr",
            "add",
            &format!("10.231.{subnet}.1/24"),
            "dev",
            &outside,
        ])?;
        run(&["link", "set", &outside, "up"])?;
        let ns = |args: &[&str]| {
            let mut v = vec!["netns", "exec", name, "ip"];
            v.extend_from_slice(args);
            run(&v)
        };
        ns(&[
            "addr",
            "add",
            &format!("10.231.{subnet}.2/24"),
            "dev",
            &inside,
        ])?;
        ns(&["link", "set", &inside, "up"])?;
        ns(&["link", "set", "lo", "up"])?;
        Ok(host)
    }

    /// `thaw worker` in this host's namespace.
    fn worker(&self, args: &[&str], log: &Path) -> Child {
        let out = std::fs::File::options()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        Command::new("ip")
            .args(["netns", "exec", &self.name, THAW, "worker"])
            .args(args)
            .env("THAW_LOCK_TIMEOUT_S", "60")
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .stdin(Stdio::null())
            .spawn()
            .unwrap()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        // Deleting the namespace deletes its end of the link, and so the link.
        let _ = Command::new("ip")
            .args(["link", "del", &format!("{}-h", self.name)])
            .stderr(Stdio::null())
            .status();
    }
}

fn available() -> bool {
    let root = is_root();
    let ip = Command::new("ip")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    let ok = root && ip && server_bin().is_some();
    if !ok {
        assert!(
            std::env::var("THAW_REQUIRE_NETNS").is_err(),
            "THAW_REQUIRE_NETNS is set, but root {root}, ip {ip}, PostgreSQL {}",
            server_bin().is_some()
        );
        eprintln!(
            "skipped: test hosts need root, ip and PostgreSQL (root {root}, ip {ip}, PostgreSQL {})",
            server_bin().is_some()
        );
    }
    ok
}

#[test]
fn workers_on_two_hosts_survive_kills_and_server_restarts() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let server = PgServer::start(
        &root.join("pg"),
        PgOptions {
            listen: "*".into(),
            ..PgOptions::default()
        },
    )
    .unwrap();
    let port = server.port();
    std::fs::write(root.join("prog.sh"), PROGRAM).unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(root.join("prog.sh"))
        .status()
        .unwrap();
    std::fs::write(root.join("space.toml"), SPACE).unwrap();
    let runs = root.join("runs");
    let local_url = server.fresh_database("hosts").unwrap();
    let hosts = [
        Host::new("thaw-t1", 71).unwrap(),
        Host::new("thaw-t2", 72).unwrap(),
    ];
    // The study is made on this machine, with one worker of its own.
    let budget = 300;
    let tune_log = root.join("tune.log");
    let mut tune = Command::new(THAW)
        .args(["tune", "space.toml", "--study", "s", "--method", "asha"])
        .args(["--budget", &budget.to_string(), "--lease-s", "3", "--quiet"])
        .args(["--storage", &local_url, "--dir"])
        .arg(&runs)
        .current_dir(root)
        .stdout(std::fs::File::create(&tune_log).unwrap())
        .stderr(
            std::fs::File::options()
                .append(true)
                .open(&tune_log)
                .unwrap(),
        )
        .spawn()
        .unwrap();
    // Wait for the study to exist before the hosts join it.
    let storage = Storage::parse(&local_url).unwrap();
    let t0 = Instant::now();
    while storage
        .connect(false)
        .ok()
        .and_then(|mut c| record::study_names(&mut c, &storage).ok())
        .is_none_or(|n| n.is_empty())
    {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the study was not made"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let runs_s = runs.display().to_string();
    let args = |i: usize, id: &str| -> Vec<String> {
        let url = format!(
            "postgres://thaw:{}@10.231.{}.1:{port}/hosts",
            server.password(),
            71 + i
        );
        [
            "--study",
            "s",
            "--storage",
            &url,
            "--dir",
            &runs_s,
            "--workers",
            "2",
            "--worker-id",
            id,
            "--quiet",
        ]
        .map(String::from)
        .to_vec()
    };
    let ids = ["host1", "host2"];
    let log_of = |i: usize| root.join(format!("{}.log", ids[i]));
    let start = |i: usize| -> Child {
        let a = args(i, ids[i]);
        hosts[i].worker(
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            &log_of(i),
        )
    };
    let mut workers: Vec<Child> = (0..2).map(start).collect();
    let mut rng = StdRng::seed_from_u64(11);
    let mut faults: BTreeMap<&str, usize> = BTreeMap::new();
    let t0 = Instant::now();
    let mut round = 0;
    loop {
        std::thread::sleep(Duration::from_millis(rng.random_range(200..500)));
        let finished = workers.iter_mut().all(|w| w.try_wait().unwrap().is_some());
        if finished || t0.elapsed() > Duration::from_secs(240) {
            break;
        }
        round += 1;
        match round % 4 {
            0 | 2 if round < 16 => {
                let i = rng.random_range(0..2);
                if workers[i].try_wait().unwrap().is_none() {
                    workers[i].kill().unwrap();
                    workers[i].wait().unwrap();
                    *faults.entry("worker killed (SIGKILL)").or_default() += 1;
                    workers[i] = start(i);
                }
            }
            1 if round < 16 => {
                server.drop_connections("hosts").unwrap();
                *faults.entry("connections dropped").or_default() += 1;
            }
            3 if round < 16 => {
                server.restart().unwrap();
                *faults.entry("server restarted").or_default() += 1;
            }
            _ => {}
        }
    }
    let status = tune.wait().unwrap();
    for w in &mut workers {
        let _ = w.wait();
    }
    let logs: String = [tune_log.clone(), log_of(0), log_of(1)]
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    eprintln!("faults injected: {faults:?}");
    assert!(status.success(), "thaw tune failed:\n{logs}");
    assert!(
        !logs.contains("thaw:thaw@"),
        "a password was printed:\n{logs}"
    );
    assert!(logs.contains("thaw:***@"), "{logs}");
    assert!(faults.values().sum::<usize>() >= 6, "{faults:?}");
    let mut conn = storage.connect(false).unwrap();
    let rec = record::load(&mut conn, &storage, "s").unwrap();
    assert_eq!(rec.spent(), budget, "budget exact:\n{logs}");
    let mut per_trial: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for e in &rec.epochs {
        if e.epoch > 0 {
            per_trial.entry(e.trial).or_default().push(e.epoch);
        }
    }
    for t in &rec.trials {
        let got = per_trial.remove(&t.number).unwrap_or_default();
        assert_eq!(
            got,
            (1..=t.epochs).collect::<Vec<_>>(),
            "trial {}",
            t.number
        );
        assert!(
            !matches!(t.state, State::Running | State::Pending | State::Failed),
            "trial {} is {:?}",
            t.number,
            t.state
        );
    }
    // Epochs were trained on every host.
    let by_host = |h: &str| {
        rec.epochs
            .iter()
            .filter(|e| e.epoch > 0)
            .filter(|e| e.worker.as_deref().is_some_and(|w| w.starts_with(h)))
            .count()
    };
    assert!(by_host("host1") > 0 && by_host("host2") > 0, "{logs}");
}

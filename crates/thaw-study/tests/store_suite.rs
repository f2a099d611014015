//! One test suite for both study stores: every test runs on SQLite and on a real
//! PostgreSQL server (a private one, started from the machine's PostgreSQL in a
//! temporary folder; `.ci/run` installs it). Without PostgreSQL server programs the
//! PostgreSQL half is skipped, except under `THAW_REQUIRE_POSTGRES=1`, where it fails.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use thaw_hpo::MethodSpec;
use thaw_study::pg_server::{PgOptions, PgServer, server_bin};
use thaw_study::{
    Ask, PoolSettings, Record, SearchSpace, State, Storage, Study, StudyFile, StudySettings,
};

fn space() -> SearchSpace {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.toml");
    std::fs::write(
        &path,
        "[objective]\ncommand = [\"true\"]\nmetric = \"loss\"\ndirection = \"minimize\"\nmax_epochs = 8\n\n\
         [[param]]\nname = \"x\"\ntype = \"float\"\nlow = 0.0\nhigh = 1.0\n\n\
         [[param]]\nname = \"lr\"\ntype = \"float\"\nlow = 1e-4\nhigh = 1e-1\nscale = \"log\"\n",
    )
    .unwrap();
    StudyFile::read(&path).unwrap().space
}

fn settings(method: &str, budget: usize) -> StudySettings {
    StudySettings {
        space: space(),
        metric: "loss".into(),
        direction: thaw_study::Direction::Minimize,
        max_epochs: 8,
        bounds: Some((0.0, 2.0)),
        method: MethodSpec::named(method, Path::new("checkpoints")).unwrap(),
        seed: 3,
        pool: PoolSettings {
            random: 24,
            ..PoolSettings::default()
        },
        budget,
        retries: 0,
        lease_s: 30.0,
        objective: None,
    }
}

/// The synthetic objective: a curve per configuration, bit-reproducible.
fn loss(config: &serde_json::Map<String, serde_json::Value>, epoch: usize) -> f64 {
    let x = config["x"].as_f64().unwrap();
    let lr = config["lr"].as_f64().unwrap();
    (x - 0.4).powi(2) + (1.0 + (lr * 100.0).ln().abs()) / (epoch as f64 + 1.0)
}

/// A private PostgreSQL server shared by this test binary, if the machine has one.
fn server() -> Option<&'static PgServer> {
    static SERVER: OnceLock<Option<(tempfile::TempDir, PgServer)>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            if server_bin().is_none() {
                assert!(
                    std::env::var("THAW_REQUIRE_POSTGRES").is_err(),
                    "THAW_REQUIRE_POSTGRES is set but no PostgreSQL server is installed"
                );
                eprintln!("skipped: no PostgreSQL server programs (install postgresql)");
                return None;
            }
            let dir = tempfile::tempdir().unwrap();
            let s = PgServer::start(&dir.path().join("pg"), PgOptions::default()).unwrap();
            // A static is never dropped: the server must not outlive the tests.
            s.stop_when_process_exits(dir.path()).unwrap();
            Some((dir, s))
        })
        .as_ref()
        .map(|(_, s)| s)
}

static DB_COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Both stores, fresh: a SQLite file in `dir`, and a new database on the server.
fn stores(dir: &Path, test: &str) -> Vec<Storage> {
    let mut v = vec![Storage::Sqlite(dir.join(format!("{test}.db")))];
    if let Some(s) = server() {
        let n = DB_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let url = s.fresh_database(&format!("{test}_{n}")).unwrap();
        v.push(Storage::parse(&url).unwrap());
    }
    v
}

/// One worker works the study to its end; the segments it trained.
fn work(study: &mut Study, worker: &str) -> Vec<(u64, usize, usize)> {
    let mut segments = Vec::new();
    loop {
        match study.ask(worker).unwrap() {
            Ask::Trial(t) => {
                for e in t.from_epoch..=t.to_epoch {
                    if e == 0 || e > t.from_epoch {
                        study.tell(t.number, worker, e, loss(&t.config, e)).unwrap();
                    }
                }
                study
                    .finish(t.number, worker, &thaw_study::protocol::End::Completed)
                    .unwrap();
                segments.push((t.number, t.from_epoch, t.to_epoch));
            }
            Ask::Wait => std::thread::sleep(std::time::Duration::from_millis(2)),
            Ask::Finished => return segments,
        }
    }
}

/// What a study's record must satisfy after any run: no epoch lost or counted twice,
/// every trial at rest, the budget spent exactly.
fn check(rec: &Record, budget: usize) {
    let mut per_trial: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for e in &rec.epochs {
        per_trial.entry(e.trial).or_default().push(e.epoch);
    }
    for t in &rec.trials {
        let epochs = per_trial.remove(&t.number).unwrap_or_default();
        let trained: Vec<usize> = epochs.iter().copied().filter(|&e| e > 0).collect();
        assert_eq!(
            trained,
            (1..=t.epochs).collect::<Vec<_>>(),
            "trial {}: epochs 1..={} once each, in order",
            t.number,
            t.epochs
        );
        assert!(
            !matches!(t.state, State::Running | State::Pending),
            "trial {} left {:?}",
            t.number,
            t.state
        );
    }
    assert_eq!(rec.spent(), budget, "the budget is spent exactly");
}

#[test]
fn schema_reopen_and_foreign_databases() {
    let dir = tempfile::tempdir().unwrap();
    for storage in stores(dir.path(), "schema") {
        let label = storage.label();
        let e = storage.connect(false).unwrap_err().to_string();
        assert!(
            e.contains("no such study store") || e.contains("holds no thaw study store"),
            "{label}: {e}"
        );
        let mut conn = storage.connect(true).unwrap();
        drop(storage.connect(true).unwrap());
        assert!(
            thaw_study::record::study_names(&mut conn, &storage)
                .unwrap()
                .is_empty()
        );
        let e = Study::join(&storage, "nope", None, Default::default())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("no study `nope`"), "{label}: {e}");
    }
    if let Some(s) = server() {
        let url = s.fresh_database("foreign_tables").unwrap();
        s.psql("foreign_tables", "CREATE TABLE trials (x int)")
            .unwrap();
        let e = Storage::parse(&url)
            .unwrap()
            .connect(true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a thaw study store"), "{e}");
        // Other applications' tables beside thaw's are fine on a server.
        let url = s.fresh_database("shared").unwrap();
        s.psql("shared", "CREATE TABLE invoices (x int)").unwrap();
        Storage::parse(&url).unwrap().connect(true).unwrap();
    }
}

/// The same study on both stores makes the same decisions and records the same epochs.
#[test]
fn both_stores_record_the_same_study() {
    let dir = tempfile::tempdir().unwrap();
    let mut records = Vec::new();
    for storage in stores(dir.path(), "same") {
        let mut study = Study::open(
            &storage,
            "s",
            settings("asha", 60),
            None,
            Default::default(),
        )
        .unwrap();
        work(&mut study, "h/w1");
        let rec = study.record().unwrap();
        check(&rec, 60);
        records.push(rec);
    }
    if let [a, b] = records.as_slice() {
        let decisions = |r: &Record| -> Vec<(u64, usize, usize, i64)> {
            r.decisions
                .iter()
                .map(|d| (d.trial, d.from_epoch, d.to_epoch, d.seen))
                .collect()
        };
        assert_eq!(decisions(a), decisions(b));
        let epochs = |r: &Record| -> Vec<(u64, usize, Option<u64>)> {
            r.epochs
                .iter()
                .map(|e| (e.trial, e.epoch, e.value.map(f64::to_bits)))
                .collect()
        };
        assert_eq!(epochs(a), epochs(b));
        assert_eq!(
            a.trials.iter().map(|t| t.state).collect::<Vec<_>>(),
            b.trials.iter().map(|t| t.state).collect::<Vec<_>>()
        );
    }
}

/// Many workers, each with its own connection and optimiser, on one study: no trial is
/// given to two workers at once, no epoch is trained twice, the budget is exact.
#[test]
fn concurrent_workers_share_one_budget() {
    let dir = tempfile::tempdir().unwrap();
    for storage in stores(dir.path(), "many") {
        let budget = 150;
        drop(
            Study::open(
                &storage,
                "s",
                settings("asha", budget),
                None,
                Default::default(),
            )
            .unwrap(),
        );
        let segments = Arc::new(Mutex::new(Vec::new()));
        std::thread::scope(|scope| {
            for w in 0..6 {
                let (storage, segments) = (&storage, Arc::clone(&segments));
                scope.spawn(move || {
                    let mut study = Study::join(storage, "s", None, Default::default()).unwrap();
                    let mine = work(&mut study, &format!("h{w}/w1"));
                    segments.lock().unwrap().extend(mine);
                });
            }
        });
        let mut study = Study::join(&storage, "s", None, Default::default()).unwrap();
        let rec = study.record().unwrap();
        check(&rec, budget);
        let segments = segments.lock().unwrap();
        let mut trained = HashSet::new();
        for &(trial, from, to) in segments.iter() {
            for e in from + 1..=to {
                assert!(
                    trained.insert((trial, e)),
                    "trial {trial} epoch {e} trained twice"
                );
            }
        }
        assert_eq!(trained.len(), budget, "{}", storage.label());
    }
}

/// Commits whose acknowledgement is lost (every 3rd, on every worker's thread): the
/// calls are sent again on a new connection, and nothing is recorded twice or lost.
#[test]
fn lost_commit_acknowledgements_are_safe_to_resend() {
    let dir = tempfile::tempdir().unwrap();
    for storage in stores(dir.path(), "acks") {
        let budget = 120;
        drop(
            Study::open(
                &storage,
                "s",
                settings("asha", budget),
                None,
                Default::default(),
            )
            .unwrap(),
        );
        let reconnects = std::sync::atomic::AtomicU64::new(0);
        std::thread::scope(|scope| {
            for w in 0..3 {
                let (storage, reconnects) = (&storage, &reconnects);
                scope.spawn(move || {
                    let mut study = Study::join(storage, "s", None, Default::default()).unwrap();
                    thaw_study::db::lose_commit_acks_on_this_thread(3);
                    work(&mut study, &format!("h{w}/w1"));
                    thaw_study::db::lose_commit_acks_on_this_thread(0);
                    reconnects.fetch_add(study.reconnects(), std::sync::atomic::Ordering::Relaxed);
                });
            }
        });
        let mut study = Study::join(&storage, "s", None, Default::default()).unwrap();
        check(&study.record().unwrap(), budget);
        let n = reconnects.load(std::sync::atomic::Ordering::Relaxed);
        assert!(n > 50, "{}: {n} re-sends", storage.label());
    }
}

/// One live process per worker identity.
#[test]
fn worker_identities_are_exclusive() {
    let dir = tempfile::tempdir().unwrap();
    for storage in stores(dir.path(), "claims") {
        drop(storage.connect(true).unwrap());
        let a = storage.claim_worker("s", "gpu1").unwrap();
        let e = storage.claim_worker("s", "gpu1").unwrap_err().to_string();
        assert!(e.contains("already at work"), "{e}");
        let _b = storage.claim_worker("s", "gpu2").unwrap();
        let _c = storage.claim_worker("other", "gpu1").unwrap();
        drop(a);
        storage.claim_worker("s", "gpu1").unwrap();
    }
}

/// The server restarts, crashes and drops connections while workers run: they
/// reconnect and the study ends as if nothing happened.
#[test]
fn postgres_faults_lose_nothing() {
    let Some(server) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let faulty = PgServer::start(&dir.path().join("pg"), PgOptions::default()).unwrap();
    let storage = Storage::parse(&faulty.fresh_database("faults").unwrap()).unwrap();
    let _ = server;
    let budget = 400;
    drop(
        Study::open(
            &storage,
            "s",
            settings("asha", budget),
            None,
            Default::default(),
        )
        .unwrap(),
    );
    let reconnects = std::sync::atomic::AtomicU64::new(0);
    let mut faults = BTreeMap::new();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let (storage, reconnects) = (&storage, &reconnects);
                scope.spawn(move || {
                    let mut study = Study::join(storage, "s", None, Default::default()).unwrap();
                    work(&mut study, &format!("h{w}/w1"));
                    reconnects.fetch_add(study.reconnects(), std::sync::atomic::Ordering::Relaxed);
                })
            })
            .collect();
        let pause = || std::thread::sleep(std::time::Duration::from_millis(150));
        for round in 0..3 {
            pause();
            faulty.drop_connections("faults").unwrap();
            *faults.entry("connections dropped").or_insert(0) += 1;
            pause();
            if round == 1 {
                faulty.crash_and_restart().unwrap();
                *faults.entry("server crashed and restarted").or_insert(0) += 1;
            } else {
                faulty.restart().unwrap();
                *faults.entry("server restarted").or_insert(0) += 1;
            }
        }
        for h in handles {
            h.join().unwrap();
        }
    });
    let mut study = Study::join(&storage, "s", None, Default::default()).unwrap();
    check(&study.record().unwrap(), budget);
    let n = reconnects.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("faults injected: {faults:?}; reconnects {n}");
    assert!(n >= 3, "the workers reconnected ({n})");
}

/// TLS as the URL asks; the password never shows.
#[test]
fn postgres_tls_and_passwords() {
    if server().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tls = PgServer::start(
        &dir.path().join("pg"),
        PgOptions {
            tls: true,
            ..PgOptions::default()
        },
    )
    .unwrap();
    let port = tls.port();
    let ssl_in_use = |url: &str| -> bool {
        let storage = Storage::parse(url).unwrap();
        let mut conn = storage.connect(true).unwrap();
        use thaw_study::db::Sql;
        conn.query_opt(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .unwrap()
        .int(0)
        .unwrap()
            == 1
    };
    let base = tls.url("thaw");
    assert!(ssl_in_use(&format!("{base}?sslmode=require")));
    assert!(!ssl_in_use(&format!("{base}?sslmode=disable")));
    let ca = tls.dir().join("server.crt");
    assert!(ssl_in_use(&format!(
        "{base}?sslmode=require&sslrootcert={}",
        ca.display()
    )));
    // A CA the server's certificate does not chain to is refused.
    let other = dir.path().join("other.crt");
    std::fs::write(
        &other,
        std::fs::read(server_cert_of_other(dir.path())).unwrap(),
    )
    .unwrap();
    let e = Storage::parse(&format!(
        "{base}?sslmode=require&sslrootcert={}",
        other.display()
    ))
    .unwrap()
    .connect(true)
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("certificate") || e.contains("TLS") || e.contains("tls"),
        "{e}"
    );
    // A server without TLS is refused when the URL requires it, or names a CA.
    let plain = server().unwrap().url("thaw");
    for query in ["sslmode=require", &format!("sslrootcert={}", ca.display())] {
        let e = Storage::parse(&format!("{plain}?{query}"))
            .unwrap()
            .connect(true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("TLS"), "{query}: {e}");
    }
    // A wrong password is refused, and neither password is in the message (one with
    // `/` and `?` in it too).
    let e = Storage::parse(&format!("postgres://thaw:hun/ter?2@127.0.0.1:{port}/thaw"))
        .unwrap()
        .connect(true)
        .unwrap_err()
        .to_string();
    assert!(!e.contains("hun/ter") && !e.contains("ter?2"), "{e}");
    let e = Storage::parse(&format!("postgres://thaw:hunter2@127.0.0.1:{port}/thaw"))
        .unwrap()
        .connect(true)
        .unwrap_err()
        .to_string();
    assert!(e.contains("password") && !e.contains("hunter2"), "{e}");
    assert!(e.contains("thaw:***@"), "{e}");
}

/// A certificate from another (throw-away) server.
fn server_cert_of_other(dir: &Path) -> std::path::PathBuf {
    let s = PgServer::start(
        &dir.join("pg-other"),
        PgOptions {
            tls: true,
            ..PgOptions::default()
        },
    )
    .unwrap();
    let p = dir.join("other-source.crt");
    std::fs::copy(s.dir().join("server.crt"), &p).unwrap();
    p
}

/// A worker killed after recording its segment's last epoch but before ending it: the
/// budget is spent, yet the study waits for that trial's lease to end, then completes it
/// (it is not left running when the next worker finds nothing left to do).
#[test]
fn a_segment_recorded_but_not_ended_is_completed_after_its_lease() {
    let dir = tempfile::tempdir().unwrap();
    for storage in stores(dir.path(), "unended") {
        let budget = 3;
        let mut s = settings("random", budget);
        s.lease_s = 0.5;
        let mut study = Study::open(&storage, "s", s, None, Default::default()).unwrap();
        let Ask::Trial(t) = study.ask("h1/w1").unwrap() else {
            panic!("{}: the first ask gives a trial", storage.label());
        };
        assert_eq!((t.from_epoch, t.to_epoch), (0, budget));
        for e in 0..=t.to_epoch {
            study
                .tell(t.number, "h1/w1", e, loss(&t.config, e))
                .unwrap();
        }
        // h1/w1 dies here. Another worker may not call the study finished yet.
        let mut other = Study::join(&storage, "s", None, Default::default()).unwrap();
        assert!(
            matches!(other.ask("h2/w1").unwrap(), Ask::Wait),
            "{}: the unended trial is waited for",
            storage.label()
        );
        std::thread::sleep(std::time::Duration::from_millis(700));
        assert!(
            matches!(other.ask("h2/w1").unwrap(), Ask::Finished),
            "{}: finished once the lease ended",
            storage.label()
        );
        check(&other.record().unwrap(), budget);
    }
}

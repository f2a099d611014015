//! A private PostgreSQL server in a folder of its own (`initdb` + `pg_ctl` of the
//! machine's PostgreSQL), for tests and benchmarks of the PostgreSQL store: a real
//! server, started, restarted, crashed and stopped at will. As root, the server runs as
//! the `postgres` user (PostgreSQL refuses to run as root).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How to start a server.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// `listen_addresses` (loopback by default).
    pub listen: String,
    /// Whether commits wait for the disk (`fsync`; off makes tests faster, on is what a
    /// benchmark should measure).
    pub fsync: bool,
    /// Serve TLS with a self-signed certificate for `127.0.0.1` (written as `server.crt`
    /// in the folder).
    pub tls: bool,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1".into(),
            fsync: false,
            tls: false,
        }
    }
}

/// A running server; stopped (immediately) when dropped.
#[derive(Debug)]
pub struct PgServer {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    options: PgOptions,
    as_postgres: bool,
    password: String,
}

/// The PostgreSQL server programs: `$THAW_PG_BIN`, `pg_config --bindir`, or the newest
/// `/usr/lib/postgresql/*/bin`.
pub fn server_bin() -> Option<PathBuf> {
    if let Ok(b) = std::env::var("THAW_PG_BIN") {
        return Some(PathBuf::from(b));
    }
    let has_initdb = |d: &Path| d.join("initdb").is_file() && d.join("pg_ctl").is_file();
    if let Ok(o) = Command::new("pg_config").arg("--bindir").output() {
        let d = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        if o.status.success() && has_initdb(&d) {
            return Some(d);
        }
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let d = e.path().join("bin");
            has_initdb(&d).then_some((v, d))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, d)| d)
}

/// Whether this process runs as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

impl PgServer {
    /// Creates a database cluster in `dir` (which must be empty or absent) and starts it.
    /// The superuser is `thaw`, with a random password over TCP from any address
    /// ([`PgServer::password`]; trusted on the server's own Unix socket, in `dir`); the
    /// database `thaw` exists.
    pub fn start(dir: &Path, options: PgOptions) -> Result<Self, String> {
        let bin = server_bin().ok_or("no PostgreSQL server found (install Debian's postgresql)")?;
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let dir = std::path::absolute(dir).map_err(|e| e.to_string())?;
        let as_postgres = is_root();
        // A password of its own: the server listens on TCP, where other local users are.
        let mut bytes = [0u8; 12];
        std::io::Read::read_exact(
            &mut std::fs::File::open("/dev/urandom").map_err(|e| e.to_string())?,
            &mut bytes,
        )
        .map_err(|e| e.to_string())?;
        let password = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let server = Self {
            dir,
            bin,
            port: free_port()?,
            options,
            as_postgres,
            password,
        };
        if as_postgres {
            server.run(
                "chown",
                &["-R", "postgres:postgres", &server.dir_str()],
                false,
            )?;
        }
        let data = server.data();
        server.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "thaw",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            true,
        )?;
        let hba = server.dir.join("data/pg_hba.conf");
        let mut text = std::fs::read_to_string(&hba).map_err(|e| e.to_string())?;
        text.push_str("host all all 0.0.0.0/0 scram-sha-256\n");
        std::fs::write(&hba, text).map_err(|e| e.to_string())?;
        if server.options.tls {
            server.write_certificate()?;
        }
        server.pg_ctl("start")?;
        server.psql("postgres", "CREATE DATABASE thaw")?;
        server.psql(
            "postgres",
            &format!("ALTER USER thaw PASSWORD '{}'", server.password),
        )?;
        Ok(server)
    }

    fn dir_str(&self) -> String {
        self.dir.display().to_string()
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    /// Runs a server program (`tool` in the server's folder unless it is a system tool).
    fn run(&self, tool: &str, args: &[&str], server_tool: bool) -> Result<String, String> {
        let program = if server_tool {
            self.bin.join(tool)
        } else {
            PathBuf::from(tool)
        };
        let mut cmd = if self.as_postgres && server_tool {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        let out = cmd
            .args(args)
            .current_dir(&self.dir)
            .output()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} {}: {}{}",
                program.display(),
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn pg_ctl(&self, action: &str) -> Result<(), String> {
        let opts = format!(
            "-p {} -k {} -c listen_addresses='{}' -c fsync={} -c max_connections=200 -c ssl={}",
            self.port,
            self.dir_str(),
            self.options.listen,
            if self.options.fsync { "on" } else { "off" },
            if self.options.tls { "on" } else { "off" }
        );
        let log = self.dir.join("server.log").display().to_string();
        let data = self.data();
        let mut args = vec!["-D", &data, "-l", &log, "-w", "-t", "60"];
        match action {
            "start" | "restart" => args.extend(["-o", &opts, action]),
            "stop" => args.extend(["-m", "fast", "stop"]),
            "crash" => args.extend(["-m", "immediate", "stop"]),
            other => return Err(format!("unknown pg_ctl action {other}")),
        }
        self.run("pg_ctl", &args, true).map(|_| ())
    }

    /// Runs SQL as the superuser in database `db` through `psql`.
    pub fn psql(&self, db: &str, sql: &str) -> Result<String, String> {
        let port = self.port.to_string();
        let host = self.dir_str();
        self.run(
            "psql",
            &[
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                &host,
                "-p",
                &port,
                "-U",
                "thaw",
                "-d",
                db,
                "-c",
                sql,
            ],
            true,
        )
    }

    /// The server's TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A URL for database `db` over loopback TCP (user `thaw` with its password).
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://thaw:{}@127.0.0.1:{}/{db}",
            self.password, self.port
        )
    }

    /// The password of user `thaw` (random per server).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// A new empty database (for one test's study store); its URL.
    pub fn fresh_database(&self, name: &str) -> Result<String, String> {
        self.psql("postgres", &format!("CREATE DATABASE {name}"))?;
        Ok(self.url(name))
    }

    /// Restarts the server cleanly (clients lose their connections).
    pub fn restart(&self) -> Result<(), String> {
        self.pg_ctl("restart")
    }

    /// Kills the server as a crash would (no checkpoint), then starts it again: it
    /// recovers from its write-ahead log.
    pub fn crash_and_restart(&self) -> Result<(), String> {
        self.pg_ctl("crash")?;
        self.pg_ctl("start")
    }

    /// Closes every client connection to database `db` from the server's side.
    pub fn drop_connections(&self, db: &str) -> Result<usize, String> {
        let out = self.psql(
            "postgres",
            &format!(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid()"
            ),
        )?;
        out.trim().parse().map_err(|e| format!("{out}: {e}"))
    }

    fn write_certificate(&self) -> Result<(), String> {
        use openssl::asn1::Asn1Time;
        use openssl::hash::MessageDigest;
        use openssl::pkey::PKey;
        use openssl::rsa::Rsa;
        use openssl::x509::extension::SubjectAlternativeName;
        use openssl::x509::{X509, X509NameBuilder};
        let e = |e: openssl::error::ErrorStack| e.to_string();
        let key = PKey::from_rsa(Rsa::generate(2048).map_err(e)?).map_err(e)?;
        let mut name = X509NameBuilder::new().map_err(e)?;
        name.append_entry_by_text("CN", "127.0.0.1").map_err(e)?;
        let name = name.build();
        let mut b = X509::builder().map_err(e)?;
        b.set_version(2).map_err(e)?;
        b.set_subject_name(&name).map_err(e)?;
        b.set_issuer_name(&name).map_err(e)?;
        b.set_pubkey(&key).map_err(e)?;
        let (from, to) = (
            Asn1Time::days_from_now(0).map_err(e)?,
            Asn1Time::days_from_now(2).map_err(e)?,
        );
        b.set_not_before(&from).map_err(e)?;
        b.set_not_after(&to).map_err(e)?;
        let san = SubjectAlternativeName::new()
            .ip("127.0.0.1")
            .build(&b.x509v3_context(None, None))
            .map_err(e)?;
        b.append_extension(san).map_err(e)?;
        b.sign(&key, MessageDigest::sha256()).map_err(e)?;
        let cert = b.build().to_pem().map_err(e)?;
        let key = key.private_key_to_pem_pkcs8().map_err(e)?;
        let data = self.dir.join("data");
        for (file, bytes) in [("server.crt", &cert), ("server.key", &key)] {
            let p = data.join(file);
            std::fs::write(&p, bytes).map_err(|err| err.to_string())?;
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
                .map_err(|err| err.to_string())?;
            if self.as_postgres {
                self.run(
                    "chown",
                    &["postgres:postgres", &p.display().to_string()],
                    false,
                )?;
            }
        }
        std::fs::write(self.dir.join("server.crt"), &cert).map_err(|err| err.to_string())
    }
}

impl PgServer {
    /// Makes sure the server stops, and `folder` is removed, when this process ends,
    /// however it ends: for a server that is never dropped (one shared by a test binary
    /// through a `static`, since statics are not dropped at exit). A small watchdog
    /// process of its own process group waits for this one to exit.
    pub fn stop_when_process_exits(&self, folder: &Path) -> Result<(), String> {
        let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
        let pg_ctl = self.bin.join("pg_ctl").display().to_string();
        let stop = format!(
            "{}{} -D {} -m immediate -w -t 60 stop",
            if self.as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            quote(&pg_ctl),
            quote(&self.data())
        );
        let script = format!(
            "while kill -0 {} 2>/dev/null; do sleep 1; done; {stop}; rm -rf {}",
            std::process::id(),
            quote(&folder.display().to_string())
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .map(|_| ())
            .map_err(|e| format!("cannot start the server's watchdog: {e}"))
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        let _ = self.pg_ctl("crash");
    }
}

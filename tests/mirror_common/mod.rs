//! A private PostgreSQL server for the mirror tests, from Debian's `postgresql` package
//! binaries (`apt-get install -y postgresql`). One shared server per test binary, a database
//! per test; tests that restart the server start their own.
//!
//! The server listens on a free 127.0.0.1 port with password (SCRAM) authentication, so the
//! tests exercise the same path as a team database; its socket lives in the temp dir.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The superuser's password: distinctive, so a test can grep every output for it.
pub const PASSWORD: &str = "Zq7-sekrit-Wv3";
pub const USER: &str = "tack";

/// `/usr/lib/postgresql/<ver>/bin` (or `$TACK_PG_BIN`); fails the test when missing, because a
/// silently skipped mirror suite would pass CI with no mirror tested at all.
pub fn pg_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("TACK_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path().join("bin"))
                .filter(|p| p.join("initdb").is_file() && p.join("pg_ctl").is_file())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/<version>/bin \
             (needed by the mirror tests): run `apt-get install -y postgresql`, or set TACK_PG_BIN"
        )
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A running server; dropping it stops it.
pub struct Server {
    pub port: u16,
    pub dir: tempfile::TempDir,
    as_postgres: bool,
    counter: AtomicUsize,
    /// `-c` settings beyond the common ones (TLS), kept for restarts.
    extra_opts: String,
}

/// The certificates of a TLS test server, made by the `openssl` command (Debian's
/// `postgresql` package pulls it in through `ssl-cert`).
pub struct TlsFiles {
    /// The CA that signed the server's certificate (issued to `localhost` only).
    pub ca: PathBuf,
    /// A CA that signed nothing of this server's.
    pub other_ca: PathBuf,
}

impl Server {
    pub fn start() -> Server {
        Self::launch(false).0
    }

    /// A server that takes TCP connections only over TLS (`hostssl`; plain TCP is rejected by
    /// pg_hba.conf), with a certificate for `localhost` signed by a private CA.
    pub fn start_tls() -> (Server, TlsFiles) {
        let (server, tls) = Self::launch(true);
        (server, tls.expect("TLS files"))
    }

    fn launch(tls: bool) -> (Server, Option<TlsFiles>) {
        let bin = pg_bin();
        let dir = tempfile::Builder::new()
            .prefix("tack-pg-")
            .tempdir()
            .expect("temp dir");
        let as_postgres = is_root();
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).expect("pwfile");
        let tls_files = tls.then(|| make_certificates(&dir.path().join("tls")));
        let extra_opts = if tls {
            let tls_dir = dir.path().join("tls");
            format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                tls_dir.join("server.crt").display(),
                tls_dir.join("server.key").display()
            )
        } else {
            String::new()
        };
        if as_postgres {
            // initdb refuses to run as root: the cluster belongs to the `postgres` user.
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(status.success(), "chown of the test cluster dir failed");
        }
        let port = free_port();
        let server = Server {
            port,
            dir,
            as_postgres,
            counter: AtomicUsize::new(0),
            extra_opts,
        };
        let out = server
            .pg(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                USER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
            ])
            .arg(format!("--pwfile={}", pwfile.display()))
            .args(["-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
            .output()
            .expect("initdb runs");
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if tls {
            // Writing into the existing file keeps its owner (postgres) and mode.
            std::fs::write(
                server.data().join("pg_hba.conf"),
                "local all all trust\n\
                 hostssl all all 127.0.0.1/32 scram-sha-256\n\
                 hostnossl all all 127.0.0.1/32 reject\n",
            )
            .expect("pg_hba.conf");
        }
        server.pg_ctl_start();
        server.guard();
        (server, tls_files)
    }

    fn pg(&self, program: &Path) -> Command {
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(program);
            cmd
        } else {
            Command::new(program)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Start (or restart after [`Server::stop`]) on the same port.
    pub fn pg_ctl_start(&self) {
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=60{}",
            self.port,
            self.dir.path().display(),
            self.extra_opts
        );
        let out = self
            .pg(&pg_bin().join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-o", &opts, "-l"])
            .arg(self.dir.path().join("log"))
            .args(["-w", "-t", "30", "start"])
            .stdout(Stdio::null())
            .output()
            .expect("pg_ctl start");
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\nlog:\n{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
        );
    }

    pub fn stop(&self) {
        let _ = self
            .pg(&pg_bin().join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Stop the server when this test process ends, however it ends (a shared server in a
    /// static is never dropped, and a panicking harness may skip drops).
    fn guard(&self) {
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {prefix} '{ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1",
            pid = std::process::id(),
            prefix = if self.as_postgres { "runuser -u postgres --" } else { "" },
            ctl = pg_bin().join("pg_ctl").display(),
            data = self.data().display(),
        );
        let _ = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }

    /// The URL of database `db`, password included.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{db}", self.port)
    }

    /// The URL without a password (for PGPASSWORD / pgpass tests).
    pub fn url_without_password(&self, db: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{db}", self.port)
    }

    /// A fresh database for one test; returns its name.
    pub fn create_db(&self, hint: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let name: String = format!("t_{hint}_{n}")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let mut client = self.client("postgres");
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        name
    }

    /// The tests' own connection, over the unix socket (trusted), so it works whatever the
    /// server asks of TCP clients.
    pub fn client(&self, db: &str) -> postgres::Client {
        let mut config = postgres::Config::new();
        config
            .host_path(self.dir.path())
            .port(self.port)
            .user(USER)
            .dbname(db);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match config.connect(postgres::NoTls) {
                Ok(c) => return c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("cannot connect to the test server: {e}"),
            }
        }
    }
}

/// A private CA, a server certificate for `localhost` signed by it, and a second, unrelated
/// CA, all in `dir`. EC P-256 keys: quick to make.
fn make_certificates(dir: &Path) -> TlsFiles {
    std::fs::create_dir_all(dir).expect("tls dir");
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("the openssl command (Debian package openssl) runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let key = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    for (name, cn) in [("ca", "tack test CA"), ("other-ca", "unrelated CA")] {
        let (keyfile, certfile) = (format!("{name}.key"), format!("{name}.crt"));
        let subject = format!("/CN={cn}");
        let mut args = vec!["req", "-x509"];
        args.extend(key);
        args.extend([
            "-keyout", &keyfile, "-out", &certfile, "-subj", &subject, "-days", "2",
        ]);
        openssl(&args);
    }
    let mut args = vec!["req"];
    args.extend(key);
    args.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    openssl(&args);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n",
    )
    .expect("extensions");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    std::fs::set_permissions(
        dir.join("server.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod the key");
    TlsFiles {
        ca: dir.join("ca.crt"),
        other_ca: dir.join("other-ca.crt"),
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().expect("local addr").port()
}

/// The server shared by every test of this binary.
pub fn shared() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(Server::start)
}

/// Poll `f` until it returns `Some`, or panic after `timeout` with `what`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `tack list --json` cards, keyed by path, as JSON values.
pub fn list_by_path(
    json: &str,
) -> std::collections::BTreeMap<String, serde_json::Map<String, serde_json::Value>> {
    let cards: Vec<serde_json::Value> = serde_json::from_str(json).expect("list --json");
    cards
        .into_iter()
        .map(|c| {
            let obj = c.as_object().expect("card object").clone();
            let path = obj["path"].as_str().expect("path").to_string();
            (path, obj)
        })
        .collect()
}

/// Every mirrored row of `backlog` as the same JSON shape as `tack list --json` cards, plus
/// `body` and `frontmatter`.
pub fn rows_by_path(
    client: &mut postgres::Client,
    backlog: &str,
) -> std::collections::BTreeMap<String, serde_json::Map<String, serde_json::Value>> {
    use serde_json::{json, Value};
    let rows = client
        .query(
            "SELECT path, key, id, title, status, type, priority, assignee, assignees, labels,
                    parent, blocked_by, product, ordinal, created, updated, body, frontmatter::text
             FROM tack.items WHERE backlog = $1",
            &[&backlog],
        )
        .expect("select items");
    rows.into_iter()
        .map(|r| {
            let opt = |i: usize| -> Value {
                r.get::<_, Option<String>>(i)
                    .map_or(Value::Null, Value::String)
            };
            let fm: String = r.get(17);
            let v = json!({
                "path": r.get::<_, String>(0),
                "key": r.get::<_, String>(1),
                "id": r.get::<_, String>(2),
                "title": r.get::<_, String>(3),
                "status": r.get::<_, String>(4),
                "type": opt(5),
                "priority": opt(6),
                "assignee": opt(7),
                "assignees": r.get::<_, Vec<String>>(8),
                "labels": r.get::<_, Vec<String>>(9),
                "parent": opt(10),
                "blocked_by": r.get::<_, Vec<String>>(11),
                "product": opt(12),
                "ordinal": r.get::<_, Option<f64>>(13),
                "created": opt(14),
                "updated": opt(15),
                "body": r.get::<_, String>(16),
                "frontmatter": serde_json::from_str::<Value>(&fm).expect("jsonb"),
            });
            let obj = v.as_object().expect("object").clone();
            (r.get::<_, String>(0), obj)
        })
        .collect()
}

/// The body of a card file (everything after the closing `---` line).
pub fn body_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("card file");
    let mut lines = text.split_inclusive('\n');
    let mut offset = 0;
    let mut delimiters = 0;
    for line in &mut lines {
        offset += line.len();
        if line.trim_end() == "---" {
            delimiters += 1;
            if delimiters == 2 {
                break;
            }
        }
    }
    text[offset..].to_string()
}

/// `tack ARGS` with a private cache and no PostgreSQL settings leaking in from the caller.
pub fn tack(dir: &Path, cache: &Path) -> Command {
    let mut cmd = crate::common::tack(dir, cache);
    for var in [
        "PGPASSWORD",
        "PGUSER",
        "PGHOST",
        "PGPORT",
        "PGDATABASE",
        "TACK_MIRROR",
        "PGSSLMODE",
        "PGSSLROOTCERT",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("PGPASSFILE", cache.join("no-pgpass"));
    // No ~/.postgresql/root.crt of the machine's may decide a TLS test.
    cmd.env("HOME", cache);
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("tack runs");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !all.contains(PASSWORD),
        "the password appeared in tack's output:\n{all}"
    );
    out
}

pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn mirror(dir: &Path, cache: &Path, url: &str) -> String {
    ok(tack(dir, cache).args(["mirror", url]))
}

pub fn root_of(dir: &Path) -> String {
    std::fs::canonicalize(dir)
        .expect("canonical root")
        .to_string_lossy()
        .into_owned()
}

/// Every row equals the card `tack list --json` shows, the body equals the file's, and the
/// frontmatter equals the parsed keys `tack export --json` shows.
pub fn assert_mirror_equals_files(dir: &Path, cache: &Path, client: &mut postgres::Client) {
    let cards = list_by_path(&ok(tack(dir, cache).args(["list", "--json"])));
    let rows = rows_by_path(client, &root_of(dir));
    assert_eq!(
        rows.keys().collect::<Vec<_>>(),
        cards.keys().collect::<Vec<_>>(),
        "mirrored paths differ from the cards"
    );
    let export: serde_json::Value =
        serde_json::from_str(&ok(tack(dir, cache).args(["export", "--json"]))).expect("export");
    let fields: std::collections::HashMap<String, serde_json::Value> = export["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["path"].as_str().expect("path").to_string(),
                i["fields"].clone(),
            )
        })
        .collect();
    for (path, card) in &cards {
        let row = &rows[path];
        for (k, v) in card {
            assert_eq!(row.get(k), Some(v), "{path}: column {k}");
        }
        assert_eq!(
            row["body"].as_str(),
            Some(body_of(&dir.join(path)).as_str()),
            "{path}: body"
        );
        assert_eq!(row["frontmatter"], fields[path], "{path}: frontmatter");
    }
}

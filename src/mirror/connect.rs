//! Turning a `postgres://` URL into a connection the way libpq users expect: `PGHOST`,
//! `PGPORT`, `PGUSER`, `PGDATABASE` and `PGPASSWORD` fill what the URL leaves out, and the
//! password file (`PGPASSFILE` or `~/.pgpass`) is read by libpq's rules. The `postgres` crate
//! does none of this itself, and teams keep passwords out of shell history with exactly these.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use color_eyre::eyre::{eyre, Result};
use postgres::config::Host;

use super::tls::TlsSettings;
use crate::backend::{redact, Redactor};

/// libpq's default socket directory on Debian and most Linux packages.
const DEFAULT_SOCKET_DIR: &str = "/var/run/postgresql";

/// A mirror target: the connection settings and what must never be printed.
#[derive(Clone)]
pub struct Target {
    pub config: postgres::Config,
    /// The URL as the user may see it.
    pub shown: String,
    pub redactor: Redactor,
    /// Where the password came from, for `tack backends` and debugging (never the value).
    pub password_source: &'static str,
    pub tls: TlsSettings,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.shown)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Read `url` and fill its gaps from the environment and the password file.
    pub fn from_url(url: &str) -> Result<Target> {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Self::resolve(url, &env, pgpass_location(&env).as_deref())
    }

    fn resolve(
        url: &str,
        env: &dyn Fn(&str) -> Option<String>,
        pgpass: Option<&Path>,
    ) -> Result<Target> {
        let shown = redact(url);
        let mut redactor = Redactor::new();
        let (url, tls) = TlsSettings::split_from_url(url, env)?;
        let mut config = postgres::Config::from_str(&url).map_err(|e| {
            // The parser's message may quote the URL; only the redacted one may be shown.
            eyre!(
                "cannot read the mirror URL {shown}: {}",
                Redactor::new().apply(&e.to_string())
            )
        })?;
        if let Some(pw) = config.get_password() {
            redactor.add(&String::from_utf8_lossy(pw));
        }
        if config.get_hosts().is_empty() {
            match env("PGHOST") {
                Some(hosts) => {
                    for h in hosts.split(',') {
                        config.host(h);
                    }
                }
                None if Path::new(DEFAULT_SOCKET_DIR).is_dir() => {
                    config.host_path(DEFAULT_SOCKET_DIR);
                }
                None => {
                    config.host("localhost");
                }
            }
        }
        if config.get_ports().is_empty() {
            if let Some(port) = env("PGPORT").and_then(|p| p.parse().ok()) {
                config.port(port);
            }
        }
        if config.get_user().is_none() {
            if let Some(user) = env("PGUSER")
                .or_else(|| env("USER"))
                .or_else(|| env("LOGNAME"))
            {
                config.user(&user);
            }
        }
        if config.get_dbname().is_none() {
            if let Some(db) = env("PGDATABASE") {
                config.dbname(&db);
            }
        }
        let mut password_source = "url";
        if config.get_password().is_none() {
            password_source = "none";
            if let Some(pw) = env("PGPASSWORD") {
                redactor.add(&pw);
                config.password(pw);
                password_source = "PGPASSWORD";
            } else if let Some(file) = pgpass {
                let host = match config.get_hosts().first() {
                    Some(Host::Tcp(h)) => h.clone(),
                    Some(Host::Unix(dir)) => dir.to_string_lossy().into_owned(),
                    None => String::new(),
                };
                let port = config.get_ports().first().copied().unwrap_or(5432);
                let user = config.get_user().unwrap_or_default().to_string();
                let db = config.get_dbname().unwrap_or(&user).to_string();
                if let Some(pw) = pgpass_lookup(file, &host, port, &db, &user) {
                    redactor.add(&pw);
                    config.password(pw);
                    password_source = "pgpass";
                }
            }
        }
        tls.apply(&mut config);
        config.connect_timeout(Duration::from_secs(5));
        config.application_name("tack mirror");
        Ok(Target {
            config,
            shown,
            redactor,
            password_source,
            tls,
        })
    }

    /// Connect, with every error message scrubbed of the password.
    pub fn connect(&self) -> Result<postgres::Client> {
        let tls = self.tls.connector(dirs::home_dir().as_deref())?;
        self.config
            .connect(tls)
            .map_err(|e| eyre!("cannot connect to {}: {}", self.shown, self.scrub_error(&e)))
    }

    /// An error as text safe to show: its whole chain, secrets removed.
    pub fn scrub(&self, err: &dyn std::fmt::Display) -> String {
        self.redactor.apply(&format!("{err:#}"))
    }

    /// [`Target::scrub`] for a library error, whose causes are not in its own text: the
    /// `postgres` crate says only "db error" or "error performing TLS handshake", and what the
    /// server or the certificate check said is in its sources.
    pub fn scrub_error(&self, err: &dyn std::error::Error) -> String {
        let mut text = err.to_string();
        let mut source = err.source();
        while let Some(cause) = source {
            let said = cause.to_string();
            if !text.contains(&said) {
                text.push_str(": ");
                text.push_str(&said);
            }
            source = cause.source();
        }
        self.redactor.apply(&text)
    }
}

/// `PGPASSFILE`, else `~/.pgpass`.
fn pgpass_location(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    env("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".pgpass")))
        .or_else(|| dirs::home_dir().map(|h| h.join(".pgpass")))
}

/// The password of the first matching `host:port:database:user:password` line, as libpq
/// reads it: `*` matches anything, `\` escapes `:` and `\`, `#` starts a comment line, a
/// socket directory other than the default is matched by its path, the default one as
/// `localhost`. A file that group or others can read is ignored with libpq's warning.
pub fn pgpass_lookup(file: &Path, host: &str, port: u16, db: &str, user: &str) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(file).ok()?;
    if !meta.is_file() {
        eprintln!(
            "tack: WARNING: password file \"{}\" is not a plain file",
            file.display()
        );
        return None;
    }
    if meta.permissions().mode() & 0o077 != 0 {
        eprintln!(
            "tack: WARNING: password file \"{}\" has group or world access; permissions should be u=rw (0600) or less",
            file.display()
        );
        return None;
    }
    let text = std::fs::read_to_string(file).ok()?;
    let host = if host.is_empty() || host == DEFAULT_SOCKET_DIR {
        "localhost"
    } else {
        host
    };
    let port = port.to_string();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = split_pgpass(line);
        if fields.len() < 5 {
            continue;
        }
        let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        if matches(&fields[0], host)
            && matches(&fields[1], &port)
            && matches(&fields[2], db)
            && matches(&fields[3], user)
        {
            // The password is the rest of the line: it may itself hold unescaped colons.
            return Some(fields[4..].join(":"));
        }
    }
    None
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    if let Some(last) = fields.last_mut() {
                        last.push(next);
                    }
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn pgpass(text: &str, mode: u32) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(file.path(), text).expect("write");
        std::fs::set_permissions(file.path(), std::fs::Permissions::from_mode(mode))
            .expect("chmod");
        file
    }

    #[test]
    fn first_matching_line_wins_with_wildcards_and_escapes() {
        let f = pgpass(
            "# comment\nother:5432:*:bob:no\ndb.local:*:tack:bob:pa\\:ss:word\n*:*:*:*:fallback\n",
            0o600,
        );
        assert_eq!(
            pgpass_lookup(f.path(), "db.local", 5433, "tack", "bob").as_deref(),
            Some("pa:ss:word")
        );
        assert_eq!(
            pgpass_lookup(f.path(), "elsewhere", 5432, "x", "y").as_deref(),
            Some("fallback")
        );
    }

    #[test]
    fn default_socket_dir_matches_localhost() {
        let f = pgpass("localhost:5432:db:u:sock\n", 0o600);
        assert_eq!(
            pgpass_lookup(f.path(), DEFAULT_SOCKET_DIR, 5432, "db", "u").as_deref(),
            Some("sock")
        );
        assert_eq!(pgpass_lookup(f.path(), "/tmp/other", 5432, "db", "u"), None);
    }

    #[test]
    fn readable_by_others_is_ignored() {
        let f = pgpass("*:*:*:*:secret\n", 0o644);
        assert_eq!(pgpass_lookup(f.path(), "h", 5432, "d", "u"), None);
    }

    #[test]
    fn env_password_fills_a_url_without_one() {
        let env = |k: &str| match k {
            "PGPASSWORD" => Some("from-env".to_string()),
            _ => None,
        };
        let t = Target::resolve("postgres://u@h:5/db", &env, None).expect("target");
        assert_eq!(t.config.get_password(), Some(&b"from-env"[..]));
        assert_eq!(t.password_source, "PGPASSWORD");
        assert_eq!(t.scrub(&"x from-env y"), "x *** y");
    }
}

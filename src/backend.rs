//! Backend URIs, in one place: `sqlite://PATH` (or a bare path) says where the local index
//! lives, `postgres://…` where the team mirror goes.
//!
//! Passwords only ever leave this module redacted: every URL shown to the user goes through
//! [`redact`], and every database error through [`Redactor`], because an error message that
//! quotes a connection string must not put a secret in a terminal log or a CI transcript.

use std::path::{Path, PathBuf};

use color_eyre::eyre::Result;

use crate::error::UsageError;

/// Where the index or the mirror lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// The local SQLite index, at this file.
    Sqlite(PathBuf),
    /// A PostgreSQL mirror; the URL as given (may hold a password: show it through [`redact`]).
    Postgres(String),
}

/// Environment variable naming the mirror for `tack mirror` without a URL and `tack backends`.
pub const MIRROR_ENV: &str = "TACK_MIRROR";

/// Read a backend URI. A string without a scheme is a path to an SQLite file.
pub fn parse(uri: &str) -> Result<Backend, UsageError> {
    if let Some(path) = uri.strip_prefix("sqlite://") {
        if path.is_empty() {
            return Err(UsageError(
                "`sqlite://` needs a path, e.g. sqlite:///home/me/tack.sqlite".into(),
            ));
        }
        return Ok(Backend::Sqlite(PathBuf::from(path)));
    }
    if uri.starts_with("postgres://") || uri.starts_with("postgresql://") {
        return Ok(Backend::Postgres(uri.to_string()));
    }
    if let Some((scheme, _)) = uri.split_once("://") {
        return Err(UsageError(format!(
            "unknown backend `{scheme}://` (use sqlite://PATH for the index, postgres://… for the mirror)"
        )));
    }
    if uri.is_empty() {
        return Err(UsageError("an empty backend URI".into()));
    }
    Ok(Backend::Sqlite(PathBuf::from(uri)))
}

/// The index file a `TACK_INDEX` / `--index` value names. Anything that is not an SQLite URI
/// is taken as a path, so an odd value degrades to an odd file name, never to a crash.
pub fn index_path(value: &std::ffi::OsStr) -> PathBuf {
    match value.to_str().map(parse) {
        Some(Ok(Backend::Sqlite(path))) => path,
        _ => PathBuf::from(value),
    }
}

/// Apply the global `--index URI` option: later code finds the index through `TACK_INDEX`,
/// so the index location stays decided in one function (`index::default_location`).
pub fn select_index(uri: Option<&str>) -> Result<(), UsageError> {
    let Some(uri) = uri else { return Ok(()) };
    match parse(uri)? {
        Backend::Sqlite(path) => {
            // Resolved against the directory tack was started in, like any other path
            // argument, before `-C` changes what "here" means.
            let path = if path.is_relative() {
                std::env::current_dir()
                    .map(|d| d.join(&path))
                    .unwrap_or(path)
            } else {
                path
            };
            std::env::set_var("TACK_INDEX", path);
            Ok(())
        }
        Backend::Postgres(url) => Err(UsageError(format!(
            "the index is always local (sqlite://PATH); {} can only be a mirror: `tack mirror URL`",
            redact(&url)
        ))),
    }
}

/// A URL or connection string with any password replaced by `***`: the `user:password@`
/// part, a `password=` query parameter, or a `password=` key of a key-value string.
pub fn redact(url: &str) -> String {
    let mut out = url.to_string();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find(['/', '?'])
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                let start = rest_start + colon + 1;
                let end = rest_start + at;
                out.replace_range(start..end, "***");
            }
        }
    }
    redact_password_params(&out)
}

/// `password=…` in a query string (`&`-separated) or a key-value string (space-separated,
/// maybe quoted).
fn redact_password_params(text: &str) -> String {
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = lower[search..].find("password=") {
        let key_start = search + found;
        let boundary_ok = key_start == 0
            || matches!(
                text.as_bytes()[key_start - 1],
                b'?' | b'&' | b' ' | b'\t' | b';'
            );
        let value_start = key_start + "password=".len();
        if !boundary_ok {
            search = value_start;
            continue;
        }
        let bytes = text.as_bytes();
        let value_end = if bytes.get(value_start) == Some(&b'\'') {
            let mut i = value_start + 1;
            while i < bytes.len() && bytes[i] != b'\'' {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            (i + 1).min(bytes.len())
        } else {
            text[value_start..]
                .find(['&', ' ', '\t', '#'])
                .map_or(text.len(), |i| value_start + i)
        };
        out.push_str(&text[copied..value_start]);
        out.push_str("***");
        copied = value_end;
        search = value_end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Scrubs a known secret out of any text (error messages, notices) before it is shown.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Remember a secret; empty or one-character secrets are not scrubbed (they would turn
    /// every message into asterisks and protect nothing).
    pub fn add(&mut self, secret: &str) {
        if secret.len() >= 2 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_string());
            let encoded = percent_encode(secret);
            if encoded != secret {
                self.secrets.push(encoded);
            }
        }
    }

    pub fn apply(&self, text: &str) -> String {
        let mut out = redact_urls_in(text);
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "***");
        }
        out
    }
}

/// Redact every `postgres://` URL embedded in free text.
fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = ["postgres://", "postgresql://"]
            .iter()
            .filter_map(|s| rest.find(s))
            .min();
        let Some(start) = next else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find(|c: char| c.is_whitespace() || c == '`' || c == '"' || c == '\'')
            .map_or(rest.len(), |i| start + i);
        out.push_str(&redact(&rest[start..end]));
        rest = &rest[end..];
    }
    redact_password_params(&out)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// One line of `tack backends`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InForce {
    pub role: &'static str,
    pub uri: String,
    /// Where the value came from: `--index`, `TACK_INDEX`, `TACK_MIRROR`, or `default`.
    pub source: &'static str,
}

/// The backends in force for a backlog whose index is at `index_path`.
pub fn in_force(index_path: &Path) -> Vec<InForce> {
    let source = if std::env::var_os("TACK_INDEX").is_some() {
        "TACK_INDEX / --index"
    } else {
        "default"
    };
    let mut out = vec![InForce {
        role: "index",
        uri: format!("sqlite://{}", index_path.display()),
        source,
    }];
    if let Ok(url) = std::env::var(MIRROR_ENV) {
        if !url.is_empty() {
            out.push(InForce {
                role: "mirror",
                uri: redact(&url),
                source: MIRROR_ENV,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_schemes_and_bare_paths() {
        assert_eq!(
            parse("sqlite:///tmp/x.sqlite").ok(),
            Some(Backend::Sqlite("/tmp/x.sqlite".into()))
        );
        assert_eq!(
            parse("idx.sqlite").ok(),
            Some(Backend::Sqlite("idx.sqlite".into()))
        );
        assert!(matches!(parse("postgres://h/db"), Ok(Backend::Postgres(_))));
        assert!(parse("mysql://h/db").is_err());
        assert!(parse("sqlite://").is_err());
    }

    #[test]
    fn redacts_every_password_form() {
        assert_eq!(
            redact("postgres://bob:s3cr%40t@db.example:5432/tack"),
            "postgres://bob:***@db.example:5432/tack"
        );
        assert_eq!(
            redact("postgres://bob@h/db?sslmode=disable&password=hunter2&x=1"),
            "postgres://bob@h/db?sslmode=disable&password=***&x=1"
        );
        assert_eq!(
            redact("host=h password='a b\\'c' user=u"),
            "host=h password=*** user=u"
        );
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
        let mut r = Redactor::new();
        r.add("hunter2");
        assert_eq!(
            r.apply("failed for postgres://u:hunter2@h/db: bad hunter2"),
            "failed for postgres://u:***@h/db: bad ***"
        );
    }
}

//! `tack mirror` to a server that accepts TCP clients only over TLS, as hosted PostgreSQL
//! does: libpq's `sslmode` values and `sslrootcert` (in the URL or in `PGSSLMODE` /
//! `PGSSLROOTCERT`) mean what they mean to psql. The server's pg_hba.conf rejects plain TCP, so
//! every sync that succeeds here went over TLS; and a certificate that a mode must check is
//! refused when it does not check out.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests may panic

mod common;
mod mirror_common;

use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

use mirror_common::{assert_mirror_equals_files, run, tack, Server, TlsFiles, PASSWORD, USER};

fn server() -> &'static (Server, TlsFiles) {
    static SERVER: OnceLock<(Server, TlsFiles)> = OnceLock::new();
    SERVER.get_or_init(Server::start_tls)
}

/// The URL of a fresh database on the TLS server, dialled as `host`, with `params`.
fn url(host: &str, params: &str) -> (String, String) {
    let (server, _) = server();
    let db = server.create_db("tls");
    let url = format!(
        "postgres://{USER}:{PASSWORD}@{host}:{}/{db}{params}",
        server.port
    );
    (url, db)
}

fn mirror(dir: &Path, cache: &Path, url: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = tack(dir, cache);
    cmd.envs(env.iter().copied()).args(["mirror", url]);
    run(&mut cmd)
}

/// The mirror ran, and its database now equals the files.
fn assert_synced(out: &Output, dir: &Path, cache: &Path, db: &str) {
    assert!(
        out.status.success(),
        "mirror failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut client = server().0.client(db);
    assert_mirror_equals_files(dir, cache, &mut client);
}

/// The mirror was refused, saying why, and wrote nothing.
fn assert_refused(out: &Output, db: &str, because: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "mirror succeeded; stderr: {stderr}");
    assert!(
        stderr.contains(because),
        "stderr does not say {because:?}:\n{stderr}"
    );
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    let mut client = server().0.client(db);
    let schema: Option<String> = client
        .query_one("SELECT to_regnamespace('tack')::text", &[])
        .expect("query")
        .get(0);
    assert_eq!(schema, None, "the refused mirror created its schema");
}

#[test]
fn encrypted_without_checking_the_certificate_by_default_and_with_require() {
    let dir = common::generate("backlogmd", 30);
    let cache = tempfile::tempdir().expect("cache");
    // No sslmode: libpq's default, prefer, takes the TLS the server offers.
    let (plain, db) = url("127.0.0.1", "");
    let out = mirror(dir.path(), cache.path(), &plain, &[]);
    assert_synced(&out, dir.path(), cache.path(), &db);

    let (required, db) = url("127.0.0.1", "?sslmode=require");
    let out = mirror(dir.path(), cache.path(), &required, &[]);
    assert_synced(&out, dir.path(), cache.path(), &db);
}

#[test]
fn sslmode_disable_is_rejected_by_a_server_that_insists_on_tls() {
    let dir = common::generate("backlogmd", 5);
    let cache = tempfile::tempdir().expect("cache");
    let (disabled, db) = url("127.0.0.1", "?sslmode=disable");
    let out = mirror(dir.path(), cache.path(), &disabled, &[]);
    assert_refused(&out, &db, "no encryption");
    // The same from the environment, as libpq reads it.
    let (plain, db) = url("127.0.0.1", "");
    let out = mirror(
        dir.path(),
        cache.path(),
        &plain,
        &[("PGSSLMODE", "disable")],
    );
    assert_refused(&out, &db, "no encryption");
}

#[test]
fn verify_full_accepts_the_right_ca_and_host_and_refuses_anything_else() {
    let (_, files) = server();
    let dir = common::generate("kabsd", 30);
    let cache = tempfile::tempdir().expect("cache");
    let ca = files.ca.display().to_string();
    let other = files.other_ca.display().to_string();

    let (good, db) = url(
        "localhost",
        &format!("?sslmode=verify-full&sslrootcert={ca}"),
    );
    let out = mirror(dir.path(), cache.path(), &good, &[]);
    assert_synced(&out, dir.path(), cache.path(), &db);

    // The same, with the root certificate from the environment.
    let (good, db) = url("localhost", "?sslmode=verify-full");
    let out = mirror(dir.path(), cache.path(), &good, &[("PGSSLROOTCERT", &ca)]);
    assert_synced(&out, dir.path(), cache.path(), &db);

    // Signed by a CA the client does not trust.
    let (stranger, db) = url(
        "localhost",
        &format!("?sslmode=verify-full&sslrootcert={other}"),
    );
    let out = mirror(dir.path(), cache.path(), &stranger, &[]);
    assert_refused(&out, &db, "UnknownIssuer");

    // The right CA, but dialled by an address the certificate does not name.
    let (by_address, db) = url(
        "127.0.0.1",
        &format!("?sslmode=verify-full&sslrootcert={ca}"),
    );
    let out = mirror(dir.path(), cache.path(), &by_address, &[]);
    assert_refused(&out, &db, "not valid for name");
}

#[test]
fn verify_ca_checks_the_chain_but_not_the_name() {
    let (_, files) = server();
    let dir = common::generate("backlogmd", 10);
    let cache = tempfile::tempdir().expect("cache");
    let (by_address, db) = url(
        "127.0.0.1",
        &format!("?sslmode=verify-ca&sslrootcert={}", files.ca.display()),
    );
    let out = mirror(dir.path(), cache.path(), &by_address, &[]);
    assert_synced(&out, dir.path(), cache.path(), &db);

    let (stranger, db) = url(
        "127.0.0.1",
        &format!(
            "?sslmode=verify-ca&sslrootcert={}",
            files.other_ca.display()
        ),
    );
    let out = mirror(dir.path(), cache.path(), &stranger, &[]);
    assert_refused(&out, &db, "UnknownIssuer");
}

#[test]
fn a_missing_root_certificate_file_is_named() {
    let dir = common::generate("backlogmd", 5);
    let cache = tempfile::tempdir().expect("cache");
    let (url, db) = url(
        "localhost",
        "?sslmode=verify-full&sslrootcert=/nonexistent/root.crt",
    );
    let out = mirror(dir.path(), cache.path(), &url, &[]);
    assert_refused(&out, &db, "/nonexistent/root.crt");
}

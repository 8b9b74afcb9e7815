//! TLS for the mirror connection, with libpq's `sslmode` meanings, so a team database that
//! requires encryption (every hosted PostgreSQL does) takes the URL its users already have.
//!
//! The `postgres` crate knows only `disable`, `prefer` and `require`, verifies nothing itself
//! and rejects `sslrootcert`; tack reads `sslmode` and `sslrootcert` (from the URL, else from
//! `PGSSLMODE` / `PGSSLROOTCERT`) before the crate sees the URL, and builds a rustls connector
//! that checks what the mode promises:
//!
//! | sslmode | encrypted | certificate chain checked | host name checked |
//! |---|---|---|---|
//! | `disable` | no | | |
//! | `allow`, `prefer` (default) | if the server offers it | only with `sslrootcert` | no |
//! | `require` | always | only with `sslrootcert` | no |
//! | `verify-ca` | always | yes | no |
//! | `verify-full` | always | yes | yes |
//!
//! The roots are `sslrootcert` (a PEM file; `system` means the system's store), else
//! `~/.postgresql/root.crt` when it exists, else the system's store.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use color_eyre::eyre::{bail, eyre, Result, WrapErr};
use postgres::config::SslMode;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{self, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode`, all five of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl TlsMode {
    fn parse(value: &str) -> Result<TlsMode> {
        Ok(match value {
            "disable" => TlsMode::Disable,
            // libpq's `allow` tries without TLS first; tack tries with it first, which only
            // ever gives more protection.
            "allow" | "prefer" => TlsMode::Prefer,
            "require" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" => TlsMode::VerifyFull,
            other => bail!(
                "sslmode {other:?} is not one of disable, allow, prefer, require, verify-ca, verify-full"
            ),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyFull => "verify-full",
        }
    }

    /// What the `postgres` crate is told: whether TLS may, or must, be used.
    fn wire_mode(self) -> SslMode {
        match self {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull => SslMode::Require,
        }
    }
}

/// The TLS half of a mirror target.
#[derive(Clone, Debug)]
pub struct TlsSettings {
    pub mode: TlsMode,
    /// `sslrootcert` as given: a PEM file, or `system`.
    pub root_cert: Option<String>,
}

impl TlsSettings {
    /// Take `sslmode` and `sslrootcert` out of `url`'s query (the `postgres` crate would reject
    /// the second and most values of the first), falling back to the environment. Returns the
    /// URL left for the crate.
    pub fn split_from_url(
        url: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(String, TlsSettings)> {
        let (mut mode, mut root_cert) = (None, None);
        let kept = match url.split_once('?') {
            None => url.to_string(),
            Some((base, query)) => {
                let mut rest = Vec::new();
                for pair in query.split('&').filter(|p| !p.is_empty()) {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    let decode = || {
                        percent_encoding::percent_decode_str(value)
                            .decode_utf8()
                            .map(|v| v.into_owned())
                            .map_err(|_| eyre!("the mirror URL's {key} is not UTF-8"))
                    };
                    match key {
                        "sslmode" => mode = Some(decode()?),
                        "sslrootcert" => root_cert = Some(decode()?),
                        _ => rest.push(pair),
                    }
                }
                if rest.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}?{}", rest.join("&"))
                }
            }
        };
        let mode = match mode.or_else(|| env("PGSSLMODE")) {
            Some(value) => TlsMode::parse(&value)?,
            None => TlsMode::Prefer,
        };
        let root_cert = root_cert.or_else(|| env("PGSSLROOTCERT"));
        Ok((kept, TlsSettings { mode, root_cert }))
    }

    pub fn apply(&self, config: &mut postgres::Config) {
        config.ssl_mode(self.mode.wire_mode());
    }

    /// The rustls connector for this mode. `home` is where `~/.postgresql/root.crt` is looked
    /// for when no `sslrootcert` is given.
    pub fn connector(&self, home: Option<&Path>) -> Result<MakeRustlsConnect> {
        let provider = Arc::new(crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .wrap_err("setting up TLS")?;
        let verifies_chain = matches!(self.mode, TlsMode::VerifyCa | TlsMode::VerifyFull)
            || self.root_cert.is_some();
        let chain = if verifies_chain {
            let roots = Arc::new(self.roots(home)?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .wrap_err("setting up certificate checks")?;
            Some(webpki)
        } else {
            None
        };
        let check = ServerCheck {
            chain,
            name: self.mode == TlsMode::VerifyFull,
            provider,
        };
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(check))
            .with_no_client_auth();
        Ok(MakeRustlsConnect::new(config))
    }

    fn roots(&self, home: Option<&Path>) -> Result<RootCertStore> {
        let default_file = home.map(|h| h.join(".postgresql/root.crt"));
        let file: Option<PathBuf> = match self.root_cert.as_deref() {
            Some("system") => None,
            Some(path) => Some(PathBuf::from(path)),
            None => default_file.filter(|f| f.is_file()),
        };
        let mut roots = RootCertStore::empty();
        match file {
            Some(file) => {
                let certs = CertificateDer::pem_file_iter(&file)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| eyre!("cannot read sslrootcert {}: {e}", file.display()))?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    bail!("sslrootcert {} holds no usable certificate", file.display());
                }
            }
            None => {
                let found = rustls_native_certs::load_native_certs();
                roots.add_parsable_certificates(found.certs);
                if roots.is_empty() {
                    bail!(
                        "sslmode={} needs root certificates: none in the system's store; \
                         give sslrootcert=FILE",
                        self.mode.name()
                    );
                }
            }
        }
        Ok(roots)
    }
}

/// What the server's certificate must prove, by sslmode. The handshake's signatures are
/// checked in every mode; libpq's `prefer` and `require` stop there (the traffic is encrypted,
/// but whose server answered is not proven), `verify-ca` also wants a chain to a trusted root,
/// and `verify-full` also wants the certificate to name the host dialled.
#[derive(Debug)]
struct ServerCheck {
    /// The chain check, for `verify-ca`, `verify-full` and any mode given `sslrootcert`.
    chain: Option<Arc<WebPkiServerVerifier>>,
    /// Whether the certificate must name the host (`verify-full`).
    name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for ServerCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let algorithms = &self.provider.signature_verification_algorithms;
        crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str, env: &[(&str, &str)]) -> Result<(String, TlsSettings)> {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        TlsSettings::split_from_url(url, &move |k: &str| {
            env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn the_url_wins_over_the_environment_and_other_parameters_stay() {
        let (url, tls) = split(
            "postgres://u@h/db?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20one.pem",
            &[("PGSSLMODE", "disable")],
        )
        .expect("split");
        assert_eq!(url, "postgres://u@h/db?application_name=x");
        assert_eq!(tls.mode, TlsMode::VerifyFull);
        assert_eq!(tls.root_cert.as_deref(), Some("/etc/ca one.pem"));
    }

    #[test]
    fn the_environment_fills_what_the_url_leaves_out_and_prefer_is_the_default() {
        let (url, tls) = split("postgres://u@h/db", &[("PGSSLMODE", "require")]).expect("split");
        assert_eq!(
            (url.as_str(), tls.mode),
            ("postgres://u@h/db", TlsMode::Require)
        );
        let (_, tls) = split("postgres://u@h/db?sslmode=allow", &[]).expect("split");
        assert_eq!(tls.mode, TlsMode::Prefer);
        let (_, tls) = split("postgres://u@h/db", &[]).expect("split");
        assert_eq!(tls.mode, TlsMode::Prefer);
    }

    #[test]
    fn an_unknown_sslmode_names_the_valid_ones() {
        let err = split("postgres://u@h/db?sslmode=strict", &[]).expect_err("refused");
        assert!(err.to_string().contains("verify-full"), "{err}");
    }
}

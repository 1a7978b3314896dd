//! TLS to PostgreSQL: the URL's `sslmode` decides whether it is used (`disable`, `prefer`,
//! `require`); when it is, the server's certificate is always verified against the CA file
//! given (`store.ca_path`) or, without one, the operating system's trusted roots, and its
//! name against the URL's host (as libpq's `verify-full`).

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::StoreError;

/// The TLS connector for every connection of a store.
pub(crate) fn connector(ca_path: Option<&Path>) -> Result<MakeRustlsConnect, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_path {
        Some(path) => {
            let fail = |detail: String| StoreError::Open { path: path.to_owned(), detail };
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|error| fail(format!("cannot read the database's CA file: {error}")))?;
            for cert in certs {
                let cert = cert.map_err(|error| fail(format!("not a PEM certificate: {error}")))?;
                roots.add(cert).map_err(|error| fail(format!("not a usable CA certificate: {error}")))?;
            }
            if roots.is_empty() {
                return Err(fail("holds no certificate".into()));
            }
        }
        None => {
            for cert in rustls_native_certs::load_native_certs().certs {
                // A root the platform lists but rustls cannot parse is left out, as by
                // every other rustls client.
                let _ = roots.add(cert);
            }
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| StoreError::Postgres(format!("TLS set-up: {error}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

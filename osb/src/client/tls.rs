//! The client's TLS: the system's roots, extra CAs, a client certificate; rustls on ring.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

use super::ClientError;

/// What the client trusts and shows.
#[derive(Debug, Clone, Default)]
pub(crate) struct TlsSettings {
    pub(crate) ca_files: Vec<PathBuf>,
    pub(crate) identity: Option<(PathBuf, PathBuf)>,
    pub(crate) skip_system_roots: bool,
}

fn unreadable(path: &Path, err: impl std::fmt::Display) -> ClientError {
    ClientError::Settings(format!("{}: {err}", path.display()))
}

impl TlsSettings {
    pub(crate) fn config(&self) -> Result<ClientConfig, ClientError> {
        let mut roots = RootCertStore::empty();
        if !self.skip_system_roots {
            // A missing or partly unreadable system store is not fatal: a CA file may
            // be all that is needed, and a handshake against an unknown CA says so.
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
        for path in &self.ca_files {
            let certs = read_certificates(path)?;
            for cert in certs {
                roots.add(cert).map_err(|err| unreadable(path, err))?;
            }
        }
        // *ring*, as the server's TLS (see `osb::server::tls` for the deprecation).
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| ClientError::Settings(err.to_string()))?
            .with_root_certificates(roots);
        let config = match &self.identity {
            None => builder.with_no_client_auth(),
            Some((chain, key)) => {
                let certs = read_certificates(chain)?;
                let key = PrivateKeyDer::from_pem_file(key).map_err(|err| unreadable(key, err))?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|err| unreadable(chain, err))?
            }
        };
        Ok(config)
    }
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, ClientError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|err| unreadable(path, err))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| unreadable(path, err))?;
    if certs.is_empty() {
        return Err(unreadable(path, "no PEM certificate in the file"));
    }
    Ok(certs)
}

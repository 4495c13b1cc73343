//! HTTPS: the certificate files, loaded into a rustls configuration that is swapped
//! when they change, and the handshake of each connection.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, SystemTime};

use axum::Router;
use http::Request;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::Watcher;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::{CryptoProvider, ring};
use tokio_rustls::rustls::pki_types::pem::{self, PemObject as _};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::sign::{CertifiedKey, SingleCertAndKey};
use tokio_rustls::rustls::{self, InconsistentKeys, RootCertStore, ServerConfig};

use crate::auth::ClientCertificate;

/// The certificate and private key a server presents over HTTPS, and optionally the
/// certificate authorities whose client certificates it requires (mutual TLS); given
/// to [`ServeOptions::tls`](super::ServeOptions::tls).
///
/// The files are PEM: the certificate file holds the server's certificate followed by
/// the intermediate certificates, the key file its private key (PKCS #8, PKCS #1 or
/// SEC1; RSA, ECDSA or Ed25519), the client CA file one or more certificates. They are
/// read when the `Tls` is made and again on [`reload`](Tls::reload), or whenever they
/// change with [`watch`](Tls::watch): a renewed certificate is served to new
/// connections without a restart, while connections already open keep theirs.
///
/// Connections speak TLS 1.3 or 1.2 (rustls with the *ring* provider) and announce
/// HTTP/1.1 through ALPN. A client certificate, when required, is verified against the
/// client CA bundle during the handshake (a client without one, or with one from
/// another authority, cannot connect), then reaches every request of the connection as
/// a [`ClientCertificate`] extension, which [`ClientCertAuth`](crate::auth::ClientCertAuth)
/// checks against the subjects or fingerprints allowed.
///
/// Cloning a `Tls` shares it: a reload through any clone serves every clone.
///
/// ```no_run
/// use std::time::Duration;
///
/// use osb::auth::ClientCertAuth;
/// use osb::server::{ServeOptions, Tls, serve_with_options, shutdown_signal};
/// # use osb::catalog::{Catalog, Plan, ServiceOffering};
/// # use osb::{Broker, Deprovision, Deprovisioned, Error, Provision, Provisioned};
/// # struct MyBroker;
/// # impl Broker for MyBroker {
/// #     fn catalog(&self) -> Catalog { Catalog::new([ServiceOffering::new("s", "s", "d").plan(Plan::new("p", "p", "d"))]) }
/// #     async fn provision(&self, _: Provision) -> Result<Provisioned, Error> { Ok(Provisioned::created()) }
/// #     async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> { Ok(Deprovisioned::completed()) }
/// # }
///
/// #[tokio::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     // Errors name the file and what is wrong with it.
///     let tls = Tls::from_pem_files("/etc/broker/tls.crt", "/etc/broker/tls.key")?
///         .client_ca_file("/etc/broker/platform-ca.crt")?;
///     // Renewed files are served within a minute.
///     tls.watch(Duration::from_secs(60));
///     let app = osb::router(MyBroker, ClientCertAuth::new().subject("cf-prod"));
///     let listener = tokio::net::TcpListener::bind("0.0.0.0:8443").await?;
///     serve_with_options(listener, app, ServeOptions::new().tls(tls), shutdown_signal()).await?;
///     Ok(())
/// }
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
#[derive(Clone)]
pub struct Tls {
    shared: Arc<Shared>,
}

struct Shared {
    files: Files,
    /// What new connections are served with.
    config: RwLock<Arc<ServerConfig>>,
    /// The files' stamps as they were read for `config`.
    stamps: Mutex<Stamps>,
}

#[derive(Clone, Debug)]
struct Files {
    cert: PathBuf,
    key: PathBuf,
    client_ca: Option<PathBuf>,
}

/// What could not be loaded, naming the file.
#[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error("could not read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// A file is not valid PEM.
    #[error("{} is not valid PEM: {reason}", path.display())]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A certificate file holds no certificate.
    #[error("{} holds no certificate (a PEM block `CERTIFICATE`)", path.display())]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The server's certificate cannot be used.
    #[error("{}: the certificate is not valid: {reason}", path.display())]
    InvalidCertificate {
        /// The certificate file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The key file holds no private key.
    #[error(
        "{} holds no private key (a PEM block `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`)",
        path.display()
    )]
    NoPrivateKey {
        /// The key file.
        path: PathBuf,
    },
    /// The private key cannot be used.
    #[error("{}: the private key is not usable: {reason}", path.display())]
    InvalidPrivateKey {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The private key is not the key of the certificate.
    #[error(
        "the private key in {} does not match the certificate in {}",
        key.display(),
        cert.display()
    )]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// The client certificate authorities cannot be used.
    #[error("{}: the client certificate authorities are not usable: {reason}", path.display())]
    InvalidClientCa {
        /// The client CA file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl Tls {
    /// Serves the certificate chain in the PEM file `cert_chain` (the server's
    /// certificate first) with the private key in the PEM file `key`.
    ///
    /// Fails if a file cannot be read, holds no certificate or no private key, or if the
    /// key is not the certificate's.
    pub fn from_pem_files(
        cert_chain: impl Into<PathBuf>,
        key: impl Into<PathBuf>,
    ) -> Result<Self, TlsError> {
        Self::load(Files {
            cert: cert_chain.into(),
            key: key.into(),
            client_ca: None,
        })
    }

    /// Requires a client certificate issued by one of the certificate authorities in the
    /// PEM file `path` (mutual TLS): a client without one cannot connect. Which of those
    /// certificates may call the broker is decided by the router's authentication, such
    /// as [`ClientCertAuth`](crate::auth::ClientCertAuth).
    ///
    /// Returns a new `Tls` with all files read again (clones of `self` are left as
    /// they were). Fails if the file cannot be read or holds no usable certificate.
    pub fn client_ca_file(self, path: impl Into<PathBuf>) -> Result<Self, TlsError> {
        let mut files = self.shared.files.clone();
        files.client_ca = Some(path.into());
        Self::load(files)
    }

    /// Reads every file again and serves new connections with what they hold. On
    /// failure, the certificates served so far stay in use and the error is returned.
    ///
    /// The files are read synchronously (they are small): from async code, call this
    /// through `tokio::task::spawn_blocking` if a slow disk is a concern.
    pub fn reload(&self) -> Result<(), TlsError> {
        let stamps = Stamps::of(&self.shared.files);
        let config = load(&self.shared.files)?;
        *self
            .shared
            .config
            .write()
            .unwrap_or_else(PoisonError::into_inner) = config;
        *self
            .shared
            .stamps
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = stamps;
        Ok(())
    }

    /// Checks the files' modification times every `interval` (at least 10 ms) and
    /// [reloads](Tls::reload) them when one changed. A reload that fails is logged as an
    /// error and the certificates served so far stay in use; it is tried again when a
    /// file changes again (a certificate written before its key fails once, then
    /// succeeds).
    ///
    /// The task runs until every clone of this `Tls` is dropped, or until the returned
    /// handle is aborted.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime, as [`tokio::spawn`] does.
    pub fn watch(&self, interval: Duration) -> JoinHandle<()> {
        let interval = interval.max(Duration::from_millis(10));
        let tls = Arc::downgrade(&self.shared);
        let seen = self
            .shared
            .stamps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        tokio::spawn(watch(tls, seen, interval))
    }

    fn load(files: Files) -> Result<Self, TlsError> {
        let stamps = Stamps::of(&files);
        let config = load(&files)?;
        Ok(Self {
            shared: Arc::new(Shared {
                files,
                config: RwLock::new(config),
                stamps: Mutex::new(stamps),
            }),
        })
    }

    /// What a new connection is served with.
    fn acceptor(&self) -> TlsAcceptor {
        let config = self
            .shared
            .config
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        TlsAcceptor::from(Arc::clone(&config))
    }
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files = &self.shared.files;
        f.debug_struct("Tls")
            .field("cert", &files.cert)
            .field("key", &files.key)
            .field("client_ca", &files.client_ca)
            .finish()
    }
}

/// The watch loop: ends when the `Tls` it watches is gone.
async fn watch(tls: Weak<Shared>, mut seen: Stamps, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        let Some(shared) = tls.upgrade() else {
            return;
        };
        let checked = tokio::task::spawn_blocking(move || {
            let now = Stamps::of(&shared.files);
            if now == seen {
                return (now, None);
            }
            let tls = Tls { shared };
            let result = tls.reload();
            (now, Some((result, tls.shared.files.cert.clone())))
        })
        .await;
        let Ok((now, reloaded)) = checked else {
            return;
        };
        seen = now;
        match reloaded {
            None => {}
            Some((Ok(()), cert)) => {
                tracing::info!(cert = %cert.display(), "reloaded the TLS certificate files");
            }
            Some((Err(err), _)) => {
                tracing::error!(
                    error = %err,
                    "could not reload the TLS certificate files: still serving the previous ones"
                );
            }
        }
    }
}

/// The files' modification times and sizes (`None` for a file that cannot be read).
#[derive(Clone, PartialEq, Eq)]
struct Stamps([Option<(Option<SystemTime>, u64)>; 3]);

impl Stamps {
    fn of(files: &Files) -> Self {
        let stamp = |path: Option<&Path>| {
            let metadata = std::fs::metadata(path?).ok()?;
            Some((metadata.modified().ok(), metadata.len()))
        };
        Self([
            stamp(Some(&files.cert)),
            stamp(Some(&files.key)),
            stamp(files.client_ca.as_deref()),
        ])
    }
}

/// Reads the files into a server configuration.
fn load(files: &Files) -> Result<Arc<ServerConfig>, TlsError> {
    // rustls 0.23.48 deprecates its *ring* provider for lacking post-quantum key
    // exchange (which it offers with aws-lc-rs only); *ring* is chosen here for a build
    // without aws-lc's C and assembler toolchain. Classic X25519 and P-256 remain.
    #[allow(deprecated)]
    let provider = Arc::new(ring::default_provider());
    let chain = certificates(&files.cert)?;
    let key = private_key(&files.key)?;
    let signing_key =
        provider
            .key_provider
            .load_private_key(key)
            .map_err(|err| TlsError::InvalidPrivateKey {
                path: files.key.clone(),
                reason: err.to_string(),
            })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        // Unknown: the key cannot tell its public half; the handshake will.
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            return Err(TlsError::KeyMismatch {
                cert: files.cert.clone(),
                key: files.key.clone(),
            });
        }
        Err(err) => {
            return Err(TlsError::InvalidCertificate {
                path: files.cert.clone(),
                reason: err.to_string(),
            });
        }
    }
    // (Fails only for a provider without cipher suites, which *ring*'s is not.)
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|err| TlsError::InvalidCertificate {
            path: files.cert.clone(),
            reason: err.to_string(),
        })?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(path) => builder.with_client_cert_verifier(client_verifier(path, provider)?),
    };
    let mut config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

/// The certificates of a PEM file, at least one.
fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(&read(path)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| invalid_pem(path, &err))?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_owned(),
        });
    }
    Ok(chain)
}

/// The first private key of a PEM file.
fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(&read(path)?).map_err(|err| match err {
        pem::Error::NoItemsFound => TlsError::NoPrivateKey {
            path: path.to_owned(),
        },
        err => invalid_pem(path, &err),
    })
}

fn invalid_pem(path: &Path, err: &pem::Error) -> TlsError {
    let reason = match err {
        pem::Error::MissingSectionEnd { .. } => "a section has no END line".to_owned(),
        pem::Error::IllegalSectionStart { .. } => "a BEGIN line is malformed".to_owned(),
        pem::Error::Base64Decode(err) => format!("a section is not valid Base64 ({err})"),
        err => err.to_string(),
    };
    TlsError::Pem {
        path: path.to_owned(),
        reason,
    }
}

/// Verifies client certificates against the authorities in the PEM file `path`.
fn client_verifier(
    path: &Path,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, TlsError> {
    let invalid = |reason: String| TlsError::InvalidClientCa {
        path: path.to_owned(),
        reason,
    };
    let mut roots = RootCertStore::empty();
    for certificate in certificates(path)? {
        roots
            .add(certificate)
            .map_err(|err| invalid(err.to_string()))?;
    }
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|err| invalid(err.to_string()))
}

/// Serves one accepted connection over TLS: the handshake (within `handshake_timeout`),
/// then HTTP with the client's certificate in every request's extensions.
pub(super) async fn serve_connection(
    tls: &Tls,
    stream: TcpStream,
    app: Router,
    http: Arc<http1::Builder>,
    watcher: Watcher,
    handshake_timeout: Duration,
) {
    let acceptor = tls.acceptor();
    let stream = match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(err)) => {
            tracing::debug!(error = %err, "a TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(timeout = ?handshake_timeout, "a TLS handshake timed out");
            return;
        }
    };
    let certificate = stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .and_then(|leaf| {
            let read = ClientCertificate::from_der(leaf.as_ref());
            if read.is_none() {
                tracing::warn!("a verified client certificate could not be read as X.509");
            }
            read
        });
    let service = WithClientCertificate {
        app: TowerToHyperService::new(app),
        certificate,
    };
    let connection = http.serve_connection(TokioIo::new(stream), service);
    // A client that goes away or times out is not the server's failure.
    if let Err(err) = watcher.watch(connection).await {
        tracing::debug!(error = %err, "a connection ended with an error");
    }
}

/// The router, with the connection's client certificate put into each request.
struct WithClientCertificate {
    app: TowerToHyperService<Router>,
    certificate: Option<ClientCertificate>,
}

impl hyper::service::Service<Request<Incoming>> for WithClientCertificate {
    type Response =
        <TowerToHyperService<Router> as hyper::service::Service<Request<Incoming>>>::Response;
    type Error = <TowerToHyperService<Router> as hyper::service::Service<Request<Incoming>>>::Error;
    type Future =
        <TowerToHyperService<Router> as hyper::service::Service<Request<Incoming>>>::Future;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        if let Some(certificate) = &self.certificate {
            request.extensions_mut().insert(certificate.clone());
        }
        self.app.call(request)
    }
}

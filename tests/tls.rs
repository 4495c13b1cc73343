//! HTTPS with `osb::server` (feature `tls`): the catalog over TLS, plain HTTP refused,
//! certificates reloaded by hand and by the watcher while serving (a broken file keeps
//! the old ones), start-up errors that name the file, and client certificates: refused
//! in the handshake without one or from another authority, then allowed or not by
//! `ClientCertAuth`; `osb::client` over HTTPS. Over real TCP on 127.0.0.1, with
//! certificates made by rcgen and a rustls client.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt as _, Empty};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use osb::Builder;
use osb::auth::{Auth, BasicAuth, ClientCertAuth, ClientCertificate};
use osb::client::Client;
use osb::server::{ServeOptions, Tls, TlsError, serve_with_options};
use osb_tests::{OnePlan, unique};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair,
};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// Longer than any of these tests may wait for something that must happen: a guard
/// against a hang, not a measurement.
const PATIENCE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------
// Certificates

/// A certificate authority made for one test.
struct Ca {
    pem: String,
    der: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

/// A certificate with its private key.
struct Identity {
    cert_pem: String,
    key_pem: String,
    der: CertificateDer<'static>,
    key_der: Vec<u8>,
}

impl Ca {
    fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Self {
            pem: cert.pem(),
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    fn issue(&self, mut params: CertificateParams, usage: ExtendedKeyUsagePurpose) -> Identity {
        params.extended_key_usages.push(usage);
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }

    /// A server certificate for 127.0.0.1 and localhost.
    fn server(&self) -> Identity {
        let params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        self.issue(params, ExtendedKeyUsagePurpose::ServerAuth)
    }

    /// A client certificate whose subject is `(attribute, value)`s in that order.
    fn client(&self, subject: &[(DnType, &str)]) -> Identity {
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        // Without rcgen's default common name.
        params.distinguished_name = DistinguishedName::new();
        for (attribute, value) in subject {
            params.distinguished_name.push(attribute.clone(), *value);
        }
        self.issue(params, ExtendedKeyUsagePurpose::ClientAuth)
    }
}

impl Identity {
    /// Its certificate followed by `chain` (the issuer), as a PEM file holds it.
    fn chain_pem(&self, ca: &Ca) -> String {
        format!("{}{}", self.cert_pem, ca.pem)
    }

    fn fingerprint(&self) -> String {
        Sha256::digest(&self.der)
            .iter()
            .map(|byte| format!("{byte:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }
}

/// A directory of its own for a test's files, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(unique("osb-tls"));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, contents: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `server.crt` (with its CA) and `server.key` in `dir`.
fn write_server(dir: &Dir, ca: &Ca, server: &Identity) -> (PathBuf, PathBuf) {
    (
        dir.write("server.crt", &server.chain_pem(ca)),
        dir.write("server.key", &server.key_pem),
    )
}

// ---------------------------------------------------------------------------
// Server and client

struct Served {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Served {
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(PATIENCE, &mut self.task)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

async fn serve_with(tls: Tls, auth: impl Into<Auth>, options: ServeOptions) -> Served {
    let app = Builder::new().broker(OnePlan).auth(auth).build().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve_with_options(listener, app, options.tls(tls), async {
        let _ = stopped.await;
    }));
    Served {
        address,
        stop: Some(stop),
        task,
    }
}

async fn serve(tls: Tls, auth: impl Into<Auth>) -> Served {
    serve_with(tls, auth, ServeOptions::new()).await
}

/// A client trusting `ca`, presenting `identity` if any.
fn client(ca: &Ca, identity: Option<&Identity>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.der.clone()).unwrap();
    // rustls deprecates its *ring* provider (no post-quantum key exchange); the
    // framework serves with it.
    #[allow(deprecated)]
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some(identity) => builder
            .with_client_auth_cert(
                vec![identity.der.clone()],
                PrivateKeyDer::try_from(identity.key_der.clone()).unwrap(),
            )
            .unwrap(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// One HTTPS connection, with what the handshake showed.
struct Connection {
    sender: SendRequest<Empty<Bytes>>,
    /// The server's certificate.
    server_cert: CertificateDer<'static>,
    alpn: Option<Vec<u8>>,
}

/// An answer: status and body.
#[derive(Debug)]
struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("{err}: {}", self.body))
    }
}

impl Connection {
    /// Connects and shakes hands; the error says at which step it failed.
    async fn open(address: SocketAddr, config: Arc<ClientConfig>) -> Result<Self, String> {
        let tcp = TcpStream::connect(address).await.unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        let tls = tokio::time::timeout(PATIENCE, TlsConnector::from(config).connect(name, tcp))
            .await
            .expect("the handshake ends in time")
            .map_err(|err| format!("TLS handshake: {err}"))?;
        let (_, session) = tls.get_ref();
        let server_cert = session.peer_certificates().unwrap()[0].clone();
        let alpn = session.alpn_protocol().map(<[u8]>::to_vec);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|err| format!("HTTP handshake: {err}"))?;
        tokio::spawn(connection);
        Ok(Self {
            sender,
            server_cert,
            alpn,
        })
    }

    /// GET `path` with the API version header and, if given, basic credentials.
    async fn get(&mut self, path: &str, basic: Option<(&str, &str)>) -> Result<Reply, String> {
        let mut request = http::Request::get(path)
            .header("host", "localhost")
            .header("x-broker-api-version", "2.17");
        if let Some((user, password)) = basic {
            use base64::Engine as _;
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            request = request.header("authorization", format!("Basic {encoded}"));
        }
        let request = request.body(Empty::new()).unwrap();
        let exchange = async {
            let response = self
                .sender
                .send_request(request)
                .await
                .map_err(|err| format!("request: {err:?}"))?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|err| format!("body: {err}"))?
                .to_bytes();
            Ok(Reply {
                status,
                body: String::from_utf8(body.to_vec()).unwrap(),
            })
        };
        tokio::time::timeout(PATIENCE, exchange)
            .await
            .expect("the answer comes in time")
    }
}

/// A new connection's GET of the catalog.
async fn catalog(
    address: SocketAddr,
    config: Arc<ClientConfig>,
    basic: Option<(&str, &str)>,
) -> Result<Reply, String> {
    Connection::open(address, config)
        .await?
        .get("/v2/catalog", basic)
        .await
}

/// The certificate a new connection is served.
async fn served_certificate(
    address: SocketAddr,
    config: Arc<ClientConfig>,
) -> CertificateDer<'static> {
    Connection::open(address, config).await.unwrap().server_cert
}

const ADMIN: Option<(&str, &str)> = Some(("admin", "secret"));

// ---------------------------------------------------------------------------
// Serving

#[tokio::test]
async fn https_serves_the_catalog() {
    let dir = Dir::new();
    let ca = Ca::new("test CA");
    let server = ca.server();
    let (cert, key) = write_server(&dir, &ca, &server);
    let tls = Tls::from_pem_files(cert, key).unwrap();
    let served = serve(tls, BasicAuth::new("admin", "secret")).await;

    let mut connection = Connection::open(served.address, client(&ca, None))
        .await
        .unwrap();
    assert_eq!(connection.server_cert, server.der);
    assert_eq!(connection.alpn.as_deref(), Some(&b"http/1.1"[..]));
    let reply = connection.get("/v2/catalog", ADMIN).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["services"][0]["name"], "db");
    assert_eq!(reply.json()["services"][0]["plans"][0]["name"], "small");
    // The same connection, kept alive; authentication as over HTTP.
    let reply = connection.get("/v2/catalog", None).await.unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.json(),
        json!({"description": "Authentication is required: send HTTP basic credentials."})
    );
    served.stop().await;
}

#[tokio::test]
async fn plain_http_to_the_tls_port_gets_no_http_answer() {
    let dir = Dir::new();
    let ca = Ca::new("test CA");
    let (cert, key) = write_server(&dir, &ca, &ca.server());
    let served = serve(Tls::from_pem_files(cert, key).unwrap(), Auth::none()).await;

    let mut stream = TcpStream::connect(served.address).await.unwrap();
    stream
        .write_all(
            b"GET /v2/catalog HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Broker-API-Version: 2.17\r\n\r\n",
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    // The server closes the connection (after a TLS alert, at most).
    let read = tokio::time::timeout(PATIENCE, stream.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection");
    assert!(
        read.is_err() || !answer.starts_with(b"HTTP/"),
        "an HTTP answer on the TLS port: {:?}",
        String::from_utf8_lossy(&answer)
    );
    // A TLS record (an alert, content type 21) or nothing at all.
    assert!(answer.is_empty() || answer[0] == 21, "{answer:?}");
    // That connection's failure was its own.
    let reply = catalog(served.address, client(&ca, None), None)
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    served.stop().await;
}

/// A client that connects and never starts its handshake holds no one up, and is
/// cut off at the request-head timeout.
#[tokio::test]
async fn a_stalled_handshake_blocks_no_one_and_is_cut_off() {
    let dir = Dir::new();
    let ca = Ca::new("test CA");
    let (cert, key) = write_server(&dir, &ca, &ca.server());
    let options = ServeOptions::new()
        .request_head_timeout(Duration::from_millis(500))
        .max_connections(4);
    let served = serve_with(
        Tls::from_pem_files(cert, key).unwrap(),
        Auth::none(),
        options,
    )
    .await;

    let started = Instant::now();
    let mut silent = TcpStream::connect(served.address).await.unwrap();
    let reply = catalog(served.address, client(&ca, None), None)
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(PATIENCE, silent.read(&mut byte))
        .await
        .expect("the silent connection is closed");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    assert!(started.elapsed() >= Duration::from_millis(400));
    served.stop().await;
}

// ---------------------------------------------------------------------------
// Reloading

#[tokio::test]
async fn reload_serves_the_new_certificate_to_new_connections() {
    let dir = Dir::new();
    let ca = Ca::new("test CA");
    let (old, new) = (ca.server(), ca.server());
    let (cert, key) = write_server(&dir, &ca, &old);
    let tls = Tls::from_pem_files(cert, key).unwrap();
    let served = serve(tls.clone(), Auth::none()).await;

    let mut before = Connection::open(served.address, client(&ca, None))
        .await
        .unwrap();
    assert_eq!(before.server_cert, old.der);

    write_server(&dir, &ca, &new);
    tls.reload().unwrap();
    let mut after = Connection::open(served.address, client(&ca, None))
        .await
        .unwrap();
    assert_eq!(after.server_cert, new.der);
    assert_ne!(after.server_cert, old.der);
    assert_eq!(after.get("/v2/catalog", None).await.unwrap().status, 200);
    // Every new connection, not one.
    for _ in 0..3 {
        assert_eq!(
            served_certificate(served.address, client(&ca, None)).await,
            new.der
        );
    }
    // A connection opened before keeps being served.
    assert_eq!(before.get("/v2/catalog", None).await.unwrap().status, 200);
    served.stop().await;
}

#[tokio::test]
async fn a_failed_reload_keeps_the_old_certificate() {
    let dir = Dir::new();
    let ca = Ca::new("test CA");
    let (old, other) = (ca.server(), ca.server());
    let (cert, key) = write_server(&dir, &ca, &old);
    let tls = Tls::from_pem_files(&cert, &key).unwrap();
    let served = serve(tls.clone(), Auth::none()).await;

    // A certificate cut short.
    let pem = old.chain_pem(&ca);
    dir.write("server.crt", &pem[..pem.len() / 2]);
    let err = tls.reload().unwrap_err();
    assert!(
        matches!(err, TlsError::Pem { ref path, .. } if *path == cert),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "{} is not valid PEM: a section has no END line",
            cert.display()
        )
    );
    assert_eq!(
        served_certificate(served.address, client(&ca, None)).await,
        old.der
    );

    // Another certificate with the old key.
    dir.write("server.crt", &other.chain_pem(&ca));
    let err = tls.reload().unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "the private key in {} does not match the certificate in {}",
            key.display(),
            cert.display()
        )
    );
    // The key file gone.
    std::fs::remove_file(&key).unwrap();
    let err = tls.reload().unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("could not read {}: ", key.display())),
        "{err}"
    );
    let reply = catalog(served.address, client(&ca, None), None)
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(
        served_certificate(served.address, client(&ca, None)).await,
        old.der
    );

    // Whole again: the reload goes through.
    write_server(&dir, &ca, &other);
    tls.reload().unwrap();
    assert_eq!(
        served_certificate(served.address, client(&ca, None)).await,
        other.der
    );
    served.stop().await;
}

/// Waits until new connections are served `expected`.
async fn until_served(address: SocketAddr, ca: &Ca, expected: &CertificateDer<'static>) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if served_certificate(address, client(ca, None)).await == *expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate is not served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn watch_reloads_files_that_change() {
    let dir = Dir::new();
    let ca = Ca::new("test CA");
    let (first, second, third) = (ca.server(), ca.server(), ca.server());
    let (cert, key) = write_server(&dir, &ca, &first);
    let tls = Tls::from_pem_files(&cert, &key).unwrap();
    let watcher = tls.watch(Duration::from_millis(50));
    let served = serve(tls.clone(), Auth::none()).await;
    assert_eq!(
        served_certificate(served.address, client(&ca, None)).await,
        first.der
    );

    write_server(&dir, &ca, &second);
    until_served(served.address, &ca, &second.der).await;

    // A broken file is not served; once repaired, the next certificate is.
    dir.write("server.crt", "not a certificate\n");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        served_certificate(served.address, client(&ca, None)).await,
        second.der
    );
    write_server(&dir, &ca, &third);
    until_served(served.address, &ca, &third.der).await;

    // The watcher ends with the last clone of the `Tls`.
    served.stop().await;
    drop(tls);
    tokio::time::timeout(PATIENCE, watcher)
        .await
        .expect("the watcher ends")
        .unwrap();
}

#[test]
fn loading_errors_name_the_file_and_the_problem() {
    let dir = Dir::new();
    let ca = Ca::new("test CA");
    let server = ca.server();
    let (cert, key) = write_server(&dir, &ca, &server);
    let missing = dir.path("missing.pem");
    let message = |result: Result<Tls, TlsError>| result.unwrap_err().to_string();

    assert!(
        message(Tls::from_pem_files(&missing, &key))
            .starts_with(&format!("could not read {}: ", missing.display()))
    );
    let empty = dir.write("empty.pem", "");
    assert_eq!(
        message(Tls::from_pem_files(&empty, &key)),
        format!(
            "{} holds no certificate (a PEM block `CERTIFICATE`)",
            empty.display()
        )
    );
    // The certificate given as the key.
    assert_eq!(
        message(Tls::from_pem_files(&cert, &cert)),
        format!(
            "{} holds no private key (a PEM block `PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`)",
            cert.display()
        )
    );
    let garbled = dir.write(
        "garbled.pem",
        "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
    );
    assert!(
        message(Tls::from_pem_files(&garbled, &key)).starts_with(&format!(
            "{} is not valid PEM: a section is not valid Base64",
            garbled.display()
        ))
    );
    let other_key = dir.write("other.key", &ca.server().key_pem);
    assert_eq!(
        message(Tls::from_pem_files(&cert, &other_key)),
        format!(
            "the private key in {} does not match the certificate in {}",
            other_key.display(),
            cert.display()
        )
    );
    let tls = Tls::from_pem_files(&cert, &key).unwrap();
    assert_eq!(
        message(tls.clone().client_ca_file(&empty)),
        format!(
            "{} holds no certificate (a PEM block `CERTIFICATE`)",
            empty.display()
        )
    );
    assert!(
        message(tls.client_ca_file(&missing))
            .starts_with(&format!("could not read {}: ", missing.display()))
    );
}

// ---------------------------------------------------------------------------
// Client certificates

/// A server requiring client certificates from `ca`, allowing the subject `platform`,
/// the subject `CN=team,O=Example` and, by fingerprint, `allowed_by_fingerprint`.
async fn mutual(dir: &Dir, ca: &Ca, allowed_by_fingerprint: &Identity) -> Served {
    let (cert, key) = write_server(dir, ca, &ca.server());
    let client_ca = dir.write("clients.crt", &ca.pem);
    let tls = Tls::from_pem_files(cert, key)
        .unwrap()
        .client_ca_file(client_ca)
        .unwrap();
    let auth = ClientCertAuth::new()
        .subject("platform")
        .subject("CN=team,O=Example")
        .fingerprint(allowed_by_fingerprint.fingerprint());
    serve(tls, auth).await
}

#[tokio::test]
async fn mutual_tls_refuses_clients_without_a_certificate_from_the_ca() {
    let dir = Dir::new();
    let ca = Ca::new("platform CA");
    let by_fingerprint = ca.client(&[(DnType::CommonName, "anonymous")]);
    let served = mutual(&dir, &ca, &by_fingerprint).await;

    // No certificate at all.
    let err = catalog(served.address, client(&ca, None), None)
        .await
        .unwrap_err();
    assert!(err.contains("CertificateRequired"), "{err}");
    // The allowed subject, issued by another authority.
    let stranger = Ca::new("another CA");
    let forged = stranger.client(&[(DnType::CommonName, "platform")]);
    let err = catalog(served.address, client(&ca, Some(&forged)), None)
        .await
        .unwrap_err();
    assert!(err.contains("UnknownCA"), "{err}");
    // The server goes on serving the others.
    let platform = ca.client(&[(DnType::CommonName, "platform")]);
    let reply = catalog(served.address, client(&ca, Some(&platform)), None)
        .await
        .unwrap();
    assert_eq!(reply.status, 200);
    served.stop().await;
}

#[tokio::test]
async fn mutual_tls_allows_the_listed_subjects_and_fingerprints() {
    let dir = Dir::new();
    let ca = Ca::new("platform CA");
    let by_fingerprint = ca.client(&[(DnType::CommonName, "anonymous")]);
    let served = mutual(&dir, &ca, &by_fingerprint).await;
    let get = async |identity: &Identity| {
        catalog(served.address, client(&ca, Some(identity)), None)
            .await
            .unwrap()
    };

    // The common name, and the whole subject.
    let platform = ca.client(&[
        (DnType::OrganizationName, "Example"),
        (DnType::CommonName, "platform"),
    ]);
    let reply = get(&platform).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["services"][0]["name"], "db");
    let team = ca.client(&[
        (DnType::OrganizationName, "Example"),
        (DnType::CommonName, "team"),
    ]);
    assert_eq!(
        ClientCertificate::from_der(team.der.to_vec())
            .unwrap()
            .subject(),
        "CN=team,O=Example"
    );
    assert_eq!(get(&team).await.status, 200);
    // By fingerprint (written in capitals with colons), whatever its subject.
    assert_eq!(get(&by_fingerprint).await.status, 200);

    // Issued by the CA, but not allowed: 401 with an OSB error body.
    let intruder = ca.client(&[(DnType::CommonName, "intruder")]);
    let reply = get(&intruder).await;
    assert_eq!(reply.status, 401);
    let fingerprint: String = intruder.fingerprint().replace(':', "").to_lowercase();
    assert_eq!(
        reply.json(),
        json!({"description": format!(
            "The client certificate CN=intruder (SHA-256 {fingerprint}) is not allowed."
        )})
    );
    // A subject that only contains an allowed name is not it.
    let lookalike = ca.client(&[(DnType::CommonName, "platform2")]);
    assert_eq!(get(&lookalike).await.status, 401);
    served.stop().await;
}

/// Without a client CA there is no certificate to authenticate with.
#[tokio::test]
async fn client_cert_auth_without_a_client_ca_answers_401() {
    let dir = Dir::new();
    let ca = Ca::new("test CA");
    let (cert, key) = write_server(&dir, &ca, &ca.server());
    let served = serve(
        Tls::from_pem_files(cert, key).unwrap(),
        ClientCertAuth::new().subject("platform"),
    )
    .await;
    let reply = catalog(served.address, client(&ca, None), None)
        .await
        .unwrap();
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.json(),
        json!({"description": "A client certificate is required: connect over TLS with one."})
    );
    served.stop().await;
}

/// What the framework reads from a certificate: DER, fingerprint, subject, CN.
#[test]
fn a_client_certificate_is_read_once() {
    let ca = Ca::new("test CA");
    let identity = ca.client(&[
        (DnType::CountryName, "DE"),
        (DnType::OrganizationName, "Example, Inc."),
        (DnType::CommonName, "cf-prod"),
    ]);
    let certificate = ClientCertificate::from_der(identity.der.to_vec()).unwrap();
    assert_eq!(certificate.der(), identity.der.as_ref());
    assert_eq!(
        certificate.fingerprint(),
        identity.fingerprint().replace(':', "").to_lowercase()
    );
    assert_eq!(certificate.subject(), r"CN=cf-prod,O=Example\, Inc.,C=DE");
    assert_eq!(certificate.common_name(), Some("cf-prod"));
    let nameless = ClientCertificate::from_der(ca.client(&[]).der.to_vec()).unwrap();
    assert_eq!((nameless.subject(), nameless.common_name()), ("", None));
}

/// The principal is the certificate's common name, or its fingerprint without one.
#[tokio::test]
async fn client_cert_auth_names_the_principal() {
    use osb::auth::Authenticator as _;

    let ca = Ca::new("test CA");
    let named = ca.client(&[(DnType::CommonName, "cf-prod")]);
    let nameless = ca.client(&[(DnType::OrganizationName, "Example")]);
    let auth = ClientCertAuth::new()
        .subject("cf-prod")
        .fingerprint(nameless.fingerprint().to_lowercase());
    let with = |identity: Option<&Identity>| {
        let mut parts = http::Request::new(()).into_parts().0;
        if let Some(identity) = identity {
            parts
                .extensions
                .insert(ClientCertificate::from_der(identity.der.to_vec()).unwrap());
        }
        parts
    };
    let who = auth.authenticate(&with(Some(&named))).await.unwrap();
    assert_eq!(who.unwrap().name(), "cf-prod");
    let who = auth.authenticate(&with(Some(&nameless))).await.unwrap();
    assert_eq!(
        who.unwrap().name(),
        nameless.fingerprint().replace(':', "").to_lowercase()
    );
    let err = auth.authenticate(&with(None)).await.unwrap_err();
    assert_eq!(err.kind(), osb::ErrorKind::Unauthorized);
    assert_eq!(auth.challenge(), None);
}

/// `osb::client` over HTTPS: it trusts the broker through `ca_file` alone, presents
/// its certificate for mutual TLS, and tells a refused handshake (a transport error)
/// from a refused principal (401, a broker error).
#[tokio::test]
async fn the_osb_client_calls_over_https_with_a_client_certificate() {
    let dir = Dir::new();
    let ca = Ca::new("platform CA");
    let by_fingerprint = ca.client(&[(DnType::CommonName, "anonymous")]);
    let served = mutual(&dir, &ca, &by_fingerprint).await;
    let url = format!("https://127.0.0.1:{}", served.address.port());
    let ca_file = dir.write("ca.crt", &ca.pem);
    let with_identity = |name: &str| {
        let identity = ca.client(&[(DnType::CommonName, name)]);
        Client::builder(&url)
            .ca_file(&ca_file)
            .without_system_roots()
            .identity(
                dir.write(&format!("{name}.crt"), &identity.chain_pem(&ca)),
                dir.write(&format!("{name}.key"), &identity.key_pem),
            )
            .timeout(PATIENCE)
            .build()
            .unwrap()
    };

    let catalog = with_identity("platform").catalog().await.unwrap();
    assert_eq!(catalog.services[0].name, "db");

    let refused = with_identity("intruder").catalog().await.unwrap_err();
    assert_eq!(
        refused.broker().map(|broker| broker.status.as_u16()),
        Some(401),
        "{refused}"
    );

    let without_certificate = Client::builder(&url)
        .ca_file(&ca_file)
        .without_system_roots()
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let err = without_certificate.catalog().await.unwrap_err();
    assert!(err.is_transport(), "{err}");

    // The system's roots alone do not know the test CA.
    let not_trusting = Client::builder(&url).timeout(PATIENCE).build().unwrap();
    let err = not_trusting.catalog().await.unwrap_err();
    assert!(err.is_transport(), "{err}");
    served.stop().await;
}

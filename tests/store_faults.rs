//! The state store under faults, on every backend (issue 18): identical concurrent
//! requests, ids a database cannot hold, file modes, a full SQLite file, and a
//! PostgreSQL that goes away (through a TCP proxy this test controls: the shared
//! server is never stopped).
//!
//! PostgreSQL is `OSB_TEST_POSTGRES_URL`, as in `state_store.rs`.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use common::postgres_url;
use futures_util::future::join_all;
use http::StatusCode;
use osb::auth::Auth;
use osb::catalog::{AsyncOperations, Catalog, Plan, ServiceOffering};
use osb::store::{MemoryStore, SqlOptions, SqlStore, Store};
use osb::testing::{TestClient, TestResponse};
use osb::{
    Bind, Binding, Bound, Broker, Builder, Deprovision, Deprovisioned, Error, Provision,
    Provisioned, Unbind, Unbound, Update, Updated,
};
use osb_tests::unique;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

const SVC: &str = "svc";
/// Provisions and binds at once; updates, deprovisions and unbinds in the background,
/// with work that never ends, so they stay in progress while the test looks.
const PLAN: &str = "plan";

struct Lab;

impl Broker for Lab {
    const STATEFUL: bool = true;

    fn catalog(&self) -> Catalog {
        Catalog::new([ServiceOffering::new(SVC, "lab", "Work that never ends.")
            .bindable(true)
            .plan_updateable(true)
            .instances_retrievable(true)
            .bindings_retrievable(true)
            .plan(Plan::new(PLAN, "plan", "Never ends.").async_only(
                AsyncOperations::UPDATE | AsyncOperations::DEPROVISION | AsyncOperations::UNBIND,
            ))])
    }

    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    async fn update(&self, _request: Update) -> Result<Updated, Error> {
        Ok(Updated::in_background(std::future::pending()))
    }

    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::in_background(std::future::pending()))
    }

    async fn bind(&self, _request: Bind) -> Result<Bound, Error> {
        Ok(Bound::created(
            Binding::new().credentials(&json!({ "password": "secret" })),
        ))
    }

    async fn unbind(&self, _request: Unbind) -> Result<Unbound, Error> {
        Ok(Unbound::in_background(std::future::pending()))
    }
}

fn client(store: impl Store) -> TestClient {
    let router = Builder::new()
        .broker(Lab)
        .auth(Auth::none())
        .store(store)
        .readiness_route("/readyz")
        .build()
        .unwrap();
    TestClient::new(router)
}

/// A fresh directory for a SQLite file, and its URL.
fn sqlite_file(name: &str) -> (std::path::PathBuf, String) {
    let dir = std::env::temp_dir().join(unique(name));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("state.db").display());
    (dir, url)
}

fn provision_body(parameters: Value) -> Value {
    json!({
        "service_id": SVC,
        "plan_id": PLAN,
        "organization_guid": "org",
        "space_guid": "space",
        "parameters": parameters,
    })
}

#[track_caller]
fn expect(response: &TestResponse, status: StatusCode) {
    assert_eq!(response.status, status, "{response:?}");
}

/// All answers 202 with one and the same operation.
#[track_caller]
fn one_operation(answers: &[TestResponse]) {
    let first = &answers[0];
    for answer in answers {
        expect(answer, StatusCode::ACCEPTED);
        assert_eq!(answer.json(), first.json(), "{answers:#?}");
    }
    assert!(first.json()["operation"].is_string(), "{first:?}");
}

/// 32 identical asynchronous deprovisions, updates and unbinds at once, sent
/// alternately through `clients` (replicas sharing a database): each time all get 202
/// with the same operation («Deprovisioning», «Updating», «Unbinding»: a request
/// identical to one in progress gets the same answer), none a `ConcurrencyError`.
async fn identical_requests_share_one_operation(clients: &[TestClient], run: &str) {
    const N: usize = 32;
    let pick = |n: usize| &clients[n % clients.len()];
    for round in 0..4 {
        let instance = format!("{run}-u{round}");
        expect(
            &pick(0)
                .provision(&instance, &provision_body(json!({})), false)
                .await,
            StatusCode::CREATED,
        );
        let update = json!({ "service_id": SVC, "parameters": { "size": 2 } });
        let updates = join_all((0..N).map(|n| pick(n).update(&instance, &update, true))).await;
        one_operation(&updates);

        let instance = format!("{run}-d{round}");
        expect(
            &pick(0)
                .provision(&instance, &provision_body(json!({})), false)
                .await,
            StatusCode::CREATED,
        );
        let deletes =
            join_all((0..N).map(|n| pick(n).deprovision(&instance, SVC, PLAN, true))).await;
        one_operation(&deletes);

        let instance = format!("{run}-b{round}");
        expect(
            &pick(0)
                .provision(&instance, &provision_body(json!({})), false)
                .await,
            StatusCode::CREATED,
        );
        let bind = json!({ "service_id": SVC, "plan_id": PLAN });
        expect(
            &pick(0).bind(&instance, "b", &bind, false).await,
            StatusCode::CREATED,
        );
        let unbinds =
            join_all((0..N).map(|n| pick(n).unbind(&instance, "b", SVC, PLAN, true))).await;
        one_operation(&unbinds);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_concurrent_requests_share_one_operation_on_memory() {
    let client = client(MemoryStore::new());
    identical_requests_share_one_operation(&[client], &unique("memory")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_concurrent_requests_share_one_operation_on_sqlite() {
    let (dir, url) = sqlite_file("osb-race");
    let client = client(SqlStore::open(&url).await.unwrap());
    identical_requests_share_one_operation(&[client], &unique("sqlite")).await;
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_concurrent_requests_share_one_operation_on_postgres() {
    let Some(url) = postgres_url() else {
        return;
    };
    let client = client(SqlStore::open(&url).await.unwrap());
    identical_requests_share_one_operation(&[client], &unique("pg")).await;
}

/// Two routers, each with a store of its own on one PostgreSQL database: two replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_concurrent_requests_share_one_operation_across_replicas() {
    let Some(url) = postgres_url() else {
        return;
    };
    let first = client(SqlStore::open(&url).await.unwrap());
    let second = client(SqlStore::open(&url).await.unwrap());
    identical_requests_share_one_operation(&[first, second], &unique("replicas")).await;
}

/// Ids no store could hold alike are refused before any store sees them: a NUL
/// character (PostgreSQL's text cannot hold one) and more than 1,024 bytes.
async fn ids_a_store_cannot_hold_are_refused(client: &TestClient) {
    let nul = "a\0b";
    let long = "x".repeat(1025);
    let body = provision_body(json!({}));
    let bind = json!({ "service_id": SVC, "plan_id": PLAN });
    let nul_instance =
        json!({ "description": "instance_id must not contain a NUL character (%00)" });
    let nul_binding = json!({ "description": "binding_id must not contain a NUL character (%00)" });
    let long_instance =
        json!({ "description": "instance_id is 1025 bytes long; ids may be at most 1024 bytes" });
    for (answer, expected) in [
        (client.provision(nul, &body, false).await, &nul_instance),
        (client.fetch_instance(nul).await, &nul_instance),
        (client.last_operation(nul, None).await, &nul_instance),
        (
            client.deprovision(nul, SVC, PLAN, true).await,
            &nul_instance,
        ),
        (client.bind(nul, "b", &bind, false).await, &nul_instance),
        (client.bind("i", nul, &bind, false).await, &nul_binding),
        (client.fetch_binding("i", nul).await, &nul_binding),
        (client.unbind("i", nul, SVC, PLAN, true).await, &nul_binding),
        (client.provision(&long, &body, false).await, &long_instance),
    ] {
        expect(&answer, StatusCode::BAD_REQUEST);
        assert_eq!(&answer.json(), expected);
    }
    // At the limit, an id is kept.
    let longest = "y".repeat(1024);
    expect(
        &client.provision(&longest, &body, false).await,
        StatusCode::CREATED,
    );
    expect(&client.fetch_instance(&longest).await, StatusCode::OK);
}

#[tokio::test]
async fn ids_a_store_cannot_hold_are_refused_on_memory() {
    ids_a_store_cannot_hold_are_refused(&client(MemoryStore::new())).await;
}

#[tokio::test]
async fn ids_a_store_cannot_hold_are_refused_on_sqlite() {
    let (dir, url) = sqlite_file("osb-ids");
    ids_a_store_cannot_hold_are_refused(&client(SqlStore::open(&url).await.unwrap())).await;
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn ids_a_store_cannot_hold_are_refused_on_postgres() {
    let Some(url) = postgres_url() else {
        return;
    };
    let store = SqlStore::open(&url).await.unwrap();
    // Earlier runs left the longest id behind: start without it.
    let longest = "y".repeat(1024);
    if let Some(record) = store.instance(&longest).await.unwrap() {
        store
            .delete_instance(&longest, record.version, None)
            .await
            .unwrap();
    }
    ids_a_store_cannot_hold_are_refused(&client(store)).await;
}

/// The SQLite file holds credentials: it, and the `-wal` and `-shm` files beside it,
/// are readable and writable by their owner only, whatever the umask.
#[cfg(unix)]
#[tokio::test]
async fn sqlite_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let (dir, url) = sqlite_file("osb-modes");
    let client = client(SqlStore::open(&url).await.unwrap());
    expect(
        &client
            .provision("i", &provision_body(json!({})), false)
            .await,
        StatusCode::CREATED,
    );
    expect(
        &client
            .bind(
                "i",
                "b",
                &json!({ "service_id": SVC, "plan_id": PLAN }),
                false,
            )
            .await,
        StatusCode::CREATED,
    );
    for name in [
        "state.db",
        "state.db-wal",
        "state.db-shm",
        "state.db-osb.lock",
    ] {
        let mode = std::fs::metadata(dir.join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}: {mode:o}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A SQLite file that is full («database or disk is full», here at a page limit):
/// writes answer 503 with `Retry-After` and an OSB body, reads go on, and once room
/// is made (a deprovision) writes succeed again without a restart: no connection was
/// left holding the write lock of a failed commit.
#[tokio::test]
async fn a_full_sqlite_file_answers_503_and_recovers_without_a_restart() {
    let (dir, url) = sqlite_file("osb-full");
    let options = SqlOptions::new()
        .sqlite_pragma("max_page_count", "40")
        .unwrap();
    let store = Arc::new(SqlStore::open_with(&url, &options).await.unwrap());
    let client = client(store.clone());
    let filler = "f".repeat(8000);
    let mut created = Vec::new();
    let mut full = None;
    for n in 0..64 {
        let id = format!("big-{n}");
        let answer = client
            .provision(&id, &provision_body(json!({ "filler": filler })), false)
            .await;
        if answer.status == StatusCode::CREATED {
            created.push(id);
            continue;
        }
        full = Some(answer);
        break;
    }
    let full = full.expect("the file never filled up");
    expect(&full, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        full.json(),
        json!({ "description": "The service broker's state store is unavailable; retry later." })
    );
    assert_eq!(full.header("retry-after"), Some("2"));
    assert!(created.len() >= 2, "{created:?}");
    // Reads go on.
    expect(&client.fetch_instance(&created[0]).await, StatusCode::OK);
    // Several failed writes in a row leave nothing locked.
    for _ in 0..3 {
        let answer = client
            .provision(
                "big-again",
                &provision_body(json!({ "filler": filler })),
                false,
            )
            .await;
        expect(&answer, StatusCode::SERVICE_UNAVAILABLE);
    }
    // Room is made, on the same store (as an operator would, deleting rows: any
    // write that allocates no page): two instances go.
    for id in &created[..2] {
        let record = store.instance(id).await.unwrap().unwrap();
        assert!(
            store
                .delete_instance(id, record.version, None)
                .await
                .unwrap()
        );
    }
    expect(
        &client
            .provision("small", &provision_body(json!({})), false)
            .await,
        StatusCode::CREATED,
    );
    expect(
        &client
            .provision(
                "big-again",
                &provision_body(json!({ "filler": filler })),
                false,
            )
            .await,
        StatusCode::CREATED,
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A small tmpfs mounted for one test, unmounted when dropped.
struct SmallDisk {
    dir: std::path::PathBuf,
}

impl SmallDisk {
    /// Mounts one of `size` (as `mount -o size=` takes it). Needs root, as `.ci/run`
    /// has; elsewhere the test says so and returns, unless `OSB_REQUIRE_TMPFS` is set
    /// (CI sets it, so CI cannot pass without running it).
    fn mount(size: &str) -> Option<Self> {
        let dir = std::env::temp_dir().join(unique("osb-disk"));
        std::fs::create_dir_all(&dir).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|status| status.success());
        if mounted {
            return Some(Self { dir });
        }
        std::fs::remove_dir(&dir).ok();
        assert!(
            std::env::var_os("OSB_REQUIRE_TMPFS").is_none(),
            "OSB_REQUIRE_TMPFS is set but a tmpfs could not be mounted"
        );
        eprintln!("skipped: mounting a tmpfs needs root (set OSB_REQUIRE_TMPFS to insist)");
        None
    }

    /// Writes a file until the disk is full; removing it frees the space.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write as _;
        let path = self.dir.join("ballast");
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = [0u8; 4096];
        while file.write_all(&chunk).is_ok() {}
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// A full disk: SQLite fails at commit, when it writes its log («database or disk is
/// full»). Writes answer 503, reads go on, and once space is freed writes succeed on
/// the same store: the failed commit was rolled back, so no pooled connection kept
/// SQLite's write lock (which made every later write fail with «database is locked»
/// until a restart).
#[tokio::test]
async fn a_full_disk_answers_503_and_recovers_once_space_is_freed() {
    let Some(disk) = SmallDisk::mount("1m") else {
        return;
    };
    let url = format!("sqlite://{}", disk.dir.join("state.db").display());
    let client = client(SqlStore::open(&url).await.unwrap());
    let body = provision_body(json!({ "filler": "f".repeat(16_000) }));
    expect(
        &client.provision("before", &body, false).await,
        StatusCode::CREATED,
    );
    let ballast = disk.fill();
    for n in 0..4 {
        let answer = client.provision(&format!("during-{n}"), &body, false).await;
        expect(&answer, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.header("retry-after"), Some("2"));
    }
    expect(&client.fetch_instance("before").await, StatusCode::OK);
    std::fs::remove_file(ballast).unwrap();
    for n in 0..4 {
        expect(
            &client.provision(&format!("after-{n}"), &body, false).await,
            StatusCode::CREATED,
        );
    }
    expect(&client.fetch_instance("after-3").await, StatusCode::OK);
}

/// How the proxy between the store and PostgreSQL behaves.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Link {
    /// Bytes go both ways.
    Up = 0,
    /// Connections are accepted and then nothing happens: a host that went away
    /// without a word (the harder case: no error to see, only silence).
    Silent = 1,
}

/// A TCP proxy on 127.0.0.1 in front of `upstream`. Going `Silent` cuts every
/// connection it carries and leaves new ones hanging.
struct Proxy {
    address: SocketAddr,
    link: Arc<AtomicU8>,
    changed: watch::Sender<u8>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let link = Arc::new(AtomicU8::new(Link::Up as u8));
        let (changed, _) = watch::channel(Link::Up as u8);
        let accept_link = link.clone();
        let accept_changed = changed.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((client, _)) = listener.accept().await {
                if accept_link.load(Ordering::SeqCst) != Link::Up as u8 {
                    // Accepted, never answered.
                    held.push(client);
                    continue;
                }
                let mut cut = accept_changed.subscribe();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.wait_for(|link| *link != Link::Up as u8) => {}
                    }
                    let _ = client.shutdown().await;
                });
            }
        });
        Self {
            address,
            link,
            changed,
        }
    }

    fn set(&self, link: Link) {
        self.link.store(link as u8, Ordering::SeqCst);
        self.changed.send_replace(link as u8);
    }
}

/// `url` with its host and port replaced by `address`.
fn through(url: &str, address: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (credentials, rest) = match rest.rsplit_once('@') {
        Some((credentials, rest)) => (format!("{credentials}@"), rest),
        None => (String::new(), rest),
    };
    let path = rest.find('/').map_or("", |at| &rest[at..]);
    format!("{scheme}://{credentials}{address}{path}")
}

/// The host and port of a PostgreSQL URL.
fn upstream(url: &str) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let rest = rest.rsplit_once('@').map_or(rest, |(_, rest)| rest);
    let place = rest.split('/').next().unwrap();
    let place = if place.contains(':') {
        place.to_owned()
    } else {
        format!("{place}:5432")
    };
    let place = place.replace("localhost", "127.0.0.1");
    place.parse().unwrap()
}

/// PostgreSQL goes silent: store-backed requests answer 503 with `Retry-After` within
/// the store's timeout, the catalog answers on, and the first request once the
/// database is back succeeds.
#[tokio::test]
async fn an_unreachable_postgres_answers_503_and_recovers_by_itself() {
    let Some(url) = postgres_url() else {
        return;
    };
    let proxy = Proxy::start(upstream(&url)).await;
    let options = SqlOptions::new().timeout(Duration::from_millis(500));
    let store = SqlStore::open_with(&through(&url, proxy.address), &options)
        .await
        .unwrap();
    let client = client(store);
    let instance = unique("outage");
    expect(
        &client
            .provision(&instance, &provision_body(json!({})), false)
            .await,
        StatusCode::CREATED,
    );
    let ready = client.request(http::Method::GET, "/readyz").send().await;
    expect(&ready, StatusCode::OK);
    assert_eq!(ready.json(), json!({ "status": "UP" }));

    proxy.set(Link::Silent);
    let unavailable =
        json!({ "description": "The service broker's state store is unavailable; retry later." });
    for answer in [
        client.fetch_instance(&instance).await,
        client
            .provision(&unique("during"), &provision_body(json!({})), false)
            .await,
        client.last_operation(&instance, None).await,
        // Readiness says so too, so a load balancer stops sending requests here.
        client.request(http::Method::GET, "/readyz").send().await,
    ] {
        expect(&answer, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.json(), unavailable);
        assert_eq!(answer.header("retry-after"), Some("1"));
    }
    expect(&client.catalog().await, StatusCode::OK);

    proxy.set(Link::Up);
    expect(
        &client.request(http::Method::GET, "/readyz").send().await,
        StatusCode::OK,
    );
    expect(&client.fetch_instance(&instance).await, StatusCode::OK);
}

/// Starting with PostgreSQL silent fails within the connect timeout, naming the
/// database without its password; with nothing listening, it names the cause.
#[tokio::test]
async fn starting_without_postgres_fails_fast_and_says_why() {
    let Some(url) = postgres_url() else {
        return;
    };
    let proxy = Proxy::start(upstream(&url)).await;
    proxy.set(Link::Silent);
    let with_password = through(&url, proxy.address).replacen("://", "://osb:hunter2@", 1);
    let with_password = match with_password.matches('@').count() {
        1 => with_password,
        // The URL had credentials already: keep its user, show a password anyway.
        _ => through(&url, proxy.address),
    };
    let options = SqlOptions::new().connect_timeout(Duration::from_millis(500));
    let err = SqlStore::open_with(&with_password, &options)
        .await
        .err()
        .unwrap()
        .to_string();
    let database = url.rsplit('/').next().unwrap().split('?').next().unwrap();
    assert_eq!(
        err,
        format!(
            "the state store failed: could not connect to the database at {}/{database}: \
             no answer within 0.5 s",
            proxy.address
        )
    );
    assert!(!err.contains("hunter2"), "{err}");

    // Nothing listens on a port just freed: the cause is the refusal.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let err = SqlStore::open_with(&through(&url, address), &options)
        .await
        .err()
        .unwrap()
        .to_string();
    let expected = format!("could not connect to the database at {address}/{database}: ");
    assert!(err.contains(&expected), "{err}");
    assert!(err.to_lowercase().contains("refused"), "{err}");
}

//! The state store as a broker's operator sees it: the reference broker as a real
//! process on a SQLite file or on PostgreSQL, killed with SIGKILL, restarted, and run
//! as two replicas sharing one database.
//!
//! The PostgreSQL tests use the database named by `OSB_TEST_POSTGRES_URL`, which
//! `.ci/run` sets together with `OSB_REQUIRE_POSTGRES=1`, so CI cannot pass without
//! running them. Without those variables they say so and return.

mod common;

use std::time::{Duration, Instant};

use common::process::{Running, ask, call, start};
use common::{Reply, futures_join, postgres_url};
use http::Method;
use osb_tests::{TempDir, unique};
use serde_json::{Value, json};

const SERVICE: &str = "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90";
const SMALL: &str = "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12";
const LARGE: &str = "c1d3e5f7-2a4c-4e6a-8c0e-3b5d7f9a1c34";

/// The reference broker on `store`, with asynchronous work taking `delay_ms` and
/// interrupted work taken over after `lease_ms`.
async fn broker(store: &str, delay_ms: u64, lease_ms: u64) -> Running {
    start(
        "reference",
        &[],
        &[
            ("OSB_STORE", store),
            ("OSB_ASYNC_DELAY_MS", &delay_ms.to_string()),
            ("OSB_LEASE_MS", &lease_ms.to_string()),
        ],
    )
    .await
}

fn instance(id: &str) -> String {
    format!("/v2/service_instances/{id}")
}

fn provision_body(plan: &str, parameters: Value) -> Value {
    json!({
        "service_id": SERVICE, "plan_id": plan, "organization_guid": "org",
        "space_guid": "space", "parameters": parameters,
    })
}

async fn provision(to: &Running, id: &str, plan: &str, parameters: Value) -> Reply {
    let path = format!("{}?accepts_incomplete=true", instance(id));
    call(
        to,
        ask(Method::PUT, &path).json(provision_body(plan, parameters)),
    )
    .await
}

async fn last_operation(to: &Running, id: &str) -> Reply {
    call(
        to,
        ask(Method::GET, &format!("{}/last_operation", instance(id))),
    )
    .await
}

/// Polls until the operation is no longer in progress (at most `limit`).
async fn settled(to: &Running, id: &str, limit: Duration) -> Value {
    let start = Instant::now();
    loop {
        let reply = last_operation(to, id).await;
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        let body = reply.json();
        if body["state"] != "in progress" {
            return body;
        }
        assert!(
            start.elapsed() < limit,
            "{id} still in progress after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn everything_accepted_survives_a_restart_on_sqlite() {
    let dir = TempDir::new();
    let store = dir.sqlite_url();
    let mut to = broker(&store, 100, 15_000).await;
    provision(&to, "small-1", SMALL, json!({ "size_mb": 128 }))
        .await
        .assert_json(201, json!({}));
    let accepted = provision(&to, "large-1", LARGE, json!({})).await;
    assert_eq!(accepted.status, 202);
    assert_eq!(
        settled(&to, "large-1", Duration::from_secs(10)).await["state"],
        "succeeded"
    );
    let bound = call(
        &to,
        ask(
            Method::PUT,
            &format!("{}/service_bindings/b-1", instance("small-1")),
        )
        .json(json!({ "service_id": SERVICE, "plan_id": SMALL })),
    )
    .await;
    assert_eq!(bound.status, 201);
    let credentials = bound.json()["credentials"].clone();

    to.kill_9().await;
    let to = broker(&store, 100, 15_000).await;

    call(&to, ask(Method::GET, &instance("small-1")))
        .await
        .assert_json(
            200,
            json!({
                "service_id": SERVICE, "plan_id": SMALL, "parameters": { "size_mb": 128 },
                "maintenance_info": { "version": "1.0.0" },
            }),
        );
    call(&to, ask(Method::GET, &instance("large-1")))
        .await
        .assert_json(
            200,
            json!({ "service_id": SERVICE, "plan_id": LARGE, "parameters": { "size_mb": 1024 } }),
        );
    let fetched = call(
        &to,
        ask(
            Method::GET,
            &format!("{}/service_bindings/b-1", instance("small-1")),
        ),
    )
    .await;
    fetched.assert_json(200, json!({ "credentials": credentials }));
    // Identical requests are still recognised after the restart.
    provision(&to, "small-1", SMALL, json!({ "size_mb": 128 }))
        .await
        .assert_json(200, json!({}));
    provision(&to, "small-1", SMALL, json!({ "size_mb": 256 }))
        .await
        .assert_error(409);
}

/// «Polling Last Operation»: an operation must not stay "in progress" forever. The
/// broker is killed in the middle of an asynchronous provision; the restarted broker
/// takes the work over once its lease expired and resumes it.
#[tokio::test]
async fn a_kill_9_during_an_async_provision_is_resolved_after_a_restart() {
    let dir = TempDir::new();
    let store = dir.sqlite_url();
    // The work would take a minute: it is still running when the broker is killed.
    let mut to = broker(&store, 60_000, 600).await;
    let accepted = provision(&to, "large-1", LARGE, json!({ "size_mb": 2048 })).await;
    assert_eq!(accepted.status, 202);
    let operation = accepted.json()["operation"].clone();
    assert_eq!(
        last_operation(&to, "large-1").await.json()["state"],
        "in progress"
    );
    to.kill_9().await;

    let to = broker(&store, 60_000, 600).await;
    // Still "in progress" until the killed process's lease expires, then resumed.
    let done = settled(&to, "large-1", Duration::from_secs(20)).await;
    assert_eq!(done, json!({ "state": "succeeded" }));
    call(&to, ask(Method::GET, &instance("large-1")))
        .await
        .assert_json(
            200,
            json!({ "service_id": SERVICE, "plan_id": LARGE, "parameters": { "size_mb": 2048 } }),
        );
    // The platform's retry of the original request is recognised as the same one.
    let again = provision(&to, "large-1", LARGE, json!({ "size_mb": 2048 })).await;
    again.assert_json(200, json!({}));
    assert_ne!(operation, Value::Null);
}

/// A SQLite file serves one broker process, so a restarted one knows that the killed
/// process's leases are dead and takes its work over at once: here the lease is ten
/// minutes, and the work still finishes long before (the 20 s limit only stops a
/// hang). The platform's identical retry meanwhile gets 202 with the same operation.
#[tokio::test]
async fn after_a_kill_9_on_sqlite_work_is_taken_over_without_waiting_out_the_lease() {
    let dir = TempDir::new();
    let store = dir.sqlite_url();
    let mut to = broker(&store, 60_000, 600_000).await;
    let accepted = provision(&to, "large-1", LARGE, json!({ "size_mb": 2048 })).await;
    assert_eq!(accepted.status, 202);
    let operation = accepted.json()["operation"].clone();
    to.kill_9().await;

    // Resumed work takes OSB_ASYNC_DELAY_MS again: 100 ms this time.
    let to = broker(&store, 100, 600_000).await;
    let again = provision(&to, "large-1", LARGE, json!({ "size_mb": 2048 })).await;
    let settled_at_once = again.status == 200;
    if !settled_at_once {
        again.assert_json(202, json!({ "operation": operation }));
    }
    let done = settled(&to, "large-1", Duration::from_secs(20)).await;
    assert_eq!(done, json!({ "state": "succeeded" }));
    provision(&to, "large-1", LARGE, json!({ "size_mb": 2048 }))
        .await
        .assert_json(200, json!({}));
}

/// A second broker process on a SQLite file in use is refused at start-up, naming the
/// file and the process that has it.
#[tokio::test]
async fn a_second_process_on_one_sqlite_file_is_refused() {
    let dir = TempDir::new();
    let store = dir.sqlite_url();
    let first = broker(&store, 100, 15_000).await;
    let output = std::process::Command::new(common::process::examples_dir().join("reference"))
        .env("OSB_LISTEN", "127.0.0.1:0")
        .env("OSB_STORE", &store)
        .output()
        .expect("run the reference broker");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let file = dir.sqlite_file();
    let pid = first.child.id().unwrap();
    assert!(
        stderr.contains(&format!(
            "the SQLite database {} is in use by process {pid}: a SQLite store serves one \
             broker process (use PostgreSQL for several replicas)",
            file.display()
        )),
        "{stderr}"
    );
}

/// Two replicas of the reference broker behind a load balancer share one PostgreSQL:
/// 64 concurrent identical provisions between them create the instance once.
#[tokio::test]
async fn two_replicas_on_postgres_create_an_instance_once() {
    let Some(url) = postgres_url() else {
        return;
    };
    let replicas = [
        broker(&url, 100, 15_000).await,
        broker(&url, 100, 15_000).await,
    ];
    let id = unique("pg-once");
    let addrs = [replicas[0].addr, replicas[1].addr];
    let requests = (0..64).map(|n| {
        let addr = addrs[n % 2];
        let request = ask(Method::PUT, &instance(&id)).json(provision_body(SMALL, json!({})));
        async move { common::Connection::open(addr).await.send(request).await }
    });
    let replies = futures_join(requests).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|&&s| s == 201).count(),
        1,
        "exactly one 201: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|&s| s == 201 || s == 200 || s == 422),
        "only 201, 200 or 422 ConcurrencyError: {statuses:?}"
    );
    for reply in replies.iter().filter(|r| r.status == 422) {
        assert_eq!(reply.json()["error"], "ConcurrencyError");
    }
    // Both replicas see it.
    for to in &replicas {
        call(to, ask(Method::GET, &instance(&id)))
            .await
            .assert_json(
                200,
                json!({
                    "service_id": SERVICE, "plan_id": SMALL, "parameters": { "size_mb": 64 },
                    "maintenance_info": { "version": "1.0.0" },
                }),
            );
    }
}

/// A replica dies in the middle of an asynchronous provision; the other replica, on
/// the same PostgreSQL, takes the work over once its lease expired.
#[tokio::test]
async fn a_surviving_replica_takes_over_the_work_of_a_killed_one() {
    let Some(url) = postgres_url() else {
        return;
    };
    let mut doomed = broker(&url, 60_000, 600).await;
    let survivor = broker(&url, 60_000, 600).await;
    let id = unique("pg-takeover");
    let accepted = provision(&doomed, &id, LARGE, json!({})).await;
    assert_eq!(accepted.status, 202);
    // The survivor sees the work in progress, and leaves it alone while its runner
    // renews the lease.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        last_operation(&survivor, &id).await.json()["state"],
        "in progress"
    );
    doomed.kill_9().await;
    let done = settled(&survivor, &id, Duration::from_secs(20)).await;
    assert_eq!(done, json!({ "state": "succeeded" }));
    call(&survivor, ask(Method::GET, &instance(&id)))
        .await
        .assert_json(
            200,
            json!({ "service_id": SERVICE, "plan_id": LARGE, "parameters": { "size_mb": 1024 } }),
        );
}

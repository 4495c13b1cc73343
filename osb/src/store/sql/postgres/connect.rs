//! Reaching a PostgreSQL database at start-up, within a bounded time and saying why
//! not, and the pool the store then uses.

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::NoTls;

use super::super::fault::describe;
use super::super::options::SqlOptions;
use super::super::target::Target;
use super::Postgres;
use crate::store::StoreError;

/// Connections a store keeps at most.
const MAX_CONNECTIONS: usize = 16;

/// The PostgreSQL pool of `url`, migrated.
pub(in crate::store::sql) async fn connect(
    url: &str,
    options: &SqlOptions,
    target: &Target,
) -> Result<Postgres, StoreError> {
    let connect_timeout = options.connect_timeout;
    let config: tokio_postgres::Config = url.parse().map_err(|err| {
        StoreError::caused_by(
            format!("could not connect to the database {target}: the URL is not valid: {err}"),
            err,
        )
    })?;
    // One attempt, bounded, before the pool: a pool retries until its timeout and then
    // says only that it timed out; this says why.
    let probe = async {
        let (client, connection) = config.connect(NoTls).await?;
        drop(client);
        // Without a client the connection ends; wait for it to close cleanly.
        connection.await
    };
    match tokio::time::timeout(connect_timeout, probe).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => {
            let message = format!(
                "could not connect to the database {target}: {}",
                describe(&err)
            );
            return Err(StoreError::caused_by(message, err));
        }
        Err(_) => {
            return Err(StoreError::new(format!(
                "could not connect to the database {target}: no answer within {}",
                seconds(connect_timeout)
            )));
        }
    }
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    // Waiting for a connection, and making one, are bounded like every call.
    let pool = Pool::builder(manager)
        .max_size(MAX_CONNECTIONS)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.timeout))
        .create_timeout(Some(options.timeout))
        .build()
        .map_err(|err| {
            StoreError::caused_by(
                format!("could not connect to the database {target}: {err}"),
                err,
            )
        })?;
    let postgres = Postgres { pool };
    match tokio::time::timeout(connect_timeout, super::migrate::migrate(&postgres)).await {
        Ok(Ok(())) => Ok(postgres),
        Ok(Err(err)) => Err(StoreError::new(format!(
            "could not migrate the database schema {target}: {}",
            err.message()
        ))
        .with_source(err)),
        Err(_) => Err(StoreError::new(format!(
            "could not migrate the database schema {target}: no answer within {}",
            seconds(connect_timeout)
        ))),
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}

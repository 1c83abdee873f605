//! The one write path: every mutation runs its operation through [`write`],
//! which owns the transaction from its start to its end.
//!
//! A mutation decodes its arguments, checks who may do it and parses its
//! input into a typed command first; then it hands `write` two things: the
//! operation, which gets the transaction, and what the operation's result
//! changed, as events for subscribers. `write` waits for its turn on
//! SQLite ([`WriteQueue`]), opens the transaction (on SQLite taking the
//! write lock up front, see [`super::db::begin_write`]), runs the
//! operation, and then either commits and hands the events to
//! [`super::events`] to announce — on SQLite to this instance's
//! subscribers, on PostgreSQL to every instance through NOTIFY — or rolls
//! back, so a failed mutation leaves the database as it was and tells
//! nobody anything. Nothing else in the API commits or rolls back.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::Context;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

use super::db;
use super::events::{Event, Events};
use crate::context::Shared;
use crate::error::MutationError;

/// Runs `operation` in a write transaction: commits and announces what
/// `changed` says it changed when it succeeds, rolls back when it fails.
pub async fn write<T>(
    ctx: &Context<'_>,
    operation: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, MutationError>,
    changed: impl FnOnce(&T) -> Vec<Event>,
) -> Result<T, MutationError> {
    let db = ctx.shared::<DatabaseConnection>()?;
    let events = ctx.shared::<Events>()?;
    let _turn = ctx.shared::<WriteQueue>()?.turn().await?;
    let txn = db::begin_write(db).await?;
    let value = match operation(&txn).await {
        Ok(value) => value,
        Err(err) => {
            txn.rollback().await?;
            return Err(err);
        }
    };
    let changes = changed(&value);
    events.send_in_transaction(&txn, &changes).await?;
    txn.commit().await?;
    events.announce(changes);
    Ok(value)
}

/// What a write nobody subscribes to changed: nothing to announce.
pub fn unwatched<T>(_: &T) -> Vec<Event> {
    Vec::new()
}

/// SQLite's writers, one at a time, in the order they came. SQLite lets one
/// connection write at a time; a second writer's `BEGIN IMMEDIATE` waits in
/// the busy handler, which sleeps in growing steps (up to 100 ms) and
/// retries, so under a rush of writes the unlucky ones waited many times
/// the others' latency (p99 318 ms against a p50 of 24 ms at 32 writers,
/// issue 15). Queued here instead, each writer starts the moment the one
/// before it finishes, and holds no pooled connection while it waits, so
/// reads keep theirs. Only this process queues here: another process (the
/// CLI's purge) still meets the busy handler. On PostgreSQL, which has row
/// locks, writers do not queue.
#[derive(Clone)]
pub struct WriteQueue {
    turn: Option<Arc<tokio::sync::Mutex<()>>>,
    /// Longest a writer waits for its turn (`--db-busy-timeout-ms`, as it
    /// bounded the wait for SQLite's lock).
    patience: Duration,
}

/// A writer's turn: the next writer starts when this is dropped.
pub struct Turn(#[allow(dead_code)] Option<tokio::sync::OwnedMutexGuard<()>>);

impl WriteQueue {
    /// The queue for `db`'s engine.
    pub fn new(db: &DatabaseConnection, patience: Duration) -> Self {
        let queued = db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite;
        WriteQueue {
            turn: queued.then(|| Arc::new(tokio::sync::Mutex::new(()))),
            patience,
        }
    }

    /// Waits for this writer's turn (tokio's mutex is fair: first come,
    /// first served); past the patience, the same error as a busy database.
    pub async fn turn(&self) -> Result<Turn, DbErr> {
        let Some(turn) = &self.turn else {
            return Ok(Turn(None));
        };
        match tokio::time::timeout(self.patience, turn.clone().lock_owned()).await {
            Ok(guard) => Ok(Turn(Some(guard))),
            Err(_) => Err(DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout)),
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::Database;

    use super::*;

    async fn sqlite() -> DatabaseConnection {
        Database::connect("sqlite::memory:").await.unwrap()
    }

    #[tokio::test]
    async fn sqlite_writers_take_turns_in_the_order_they_came() {
        let queue = WriteQueue::new(&sqlite().await, Duration::from_secs(5));
        let first = queue.turn().await.unwrap();
        let order = std::sync::Mutex::new(Vec::new());
        let mut writers: Vec<_> = (0..5)
            .map(|writer| {
                let (queue, order) = (&queue, &order);
                Box::pin(async move {
                    let _turn = queue.turn().await.unwrap();
                    order.lock().unwrap().push(writer);
                })
            })
            .collect();
        // Writers 0 to 4 come in that order and wait.
        for writer in &mut writers {
            assert!(futures_util::poll!(writer.as_mut()).is_pending());
        }
        assert!(
            order.lock().unwrap().is_empty(),
            "nobody writes during a turn"
        );
        drop(first);
        // Polled last to first: an unfair lock would let 4 go first.
        writers.reverse();
        futures_util::future::join_all(writers).await;
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn a_writer_waits_no_longer_than_its_patience() {
        let queue = WriteQueue::new(&sqlite().await, Duration::from_millis(50));
        let _held = queue.turn().await.unwrap();
        let err = queue
            .turn()
            .await
            .err()
            .expect("no turn while another writes");
        assert!(
            matches!(err, DbErr::ConnectionAcquire(_)),
            "reported as a busy database (SERVICE_UNAVAILABLE): {err:?}"
        );
    }
}

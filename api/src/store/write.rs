//! The one write path: every mutation runs its operation through [`write`].
//!
//! A mutation decodes its arguments and checks who may do it, then hands
//! `write` two things: the operation, which gets the transaction, and what
//! the operation's result changed, as events for subscribers. `write`
//! waits for its turn on SQLite ([`crate::store::db::WriteQueue`]), opens the
//! transaction (on SQLite taking the write lock up front, see
//! [`crate::store::db::begin_write`]), runs the operation, and then either
//! commits and announces the events — on SQLite to this instance's
//! subscribers, on PostgreSQL to every instance through NOTIFY (see
//! [`crate::store::events`]) — or rolls back, so a failed mutation leaves the
//! database as it was and tells nobody anything.

use async_graphql::Context;
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::context::Shared;
use crate::error::MutationError;
use crate::store::db;
use crate::store::events::{Event, Events};

/// Runs `operation` in a write transaction: commits and announces what
/// `changed` says it changed when it succeeds, rolls back when it fails.
pub async fn write<T>(
    ctx: &Context<'_>,
    operation: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, MutationError>,
    changed: impl FnOnce(&T) -> Vec<Event>,
) -> Result<T, MutationError> {
    let db = ctx.shared::<DatabaseConnection>()?;
    let events = ctx.shared::<Events>()?;
    let _turn = ctx.shared::<db::WriteQueue>()?.turn().await?;
    let txn = db::begin_write(db).await?;
    let outcome = operation(&txn).await;
    events.finish(txn, outcome, changed).await
}

/// What a write nobody subscribes to changed: nothing to announce.
pub fn unwatched<T>(_: &T) -> Vec<Event> {
    Vec::new()
}

//! Change events for subscriptions: "this cart changed", "this product
//! changed". Mutations announce what they changed when they commit; each
//! server instance fans the events out to its subscribers.
//!
//! On PostgreSQL an event is a `NOTIFY` sent inside the mutation's
//! transaction, so it is delivered exactly when the change commits (never for
//! a rollback) and to every server instance on the database, each of which
//! `LISTEN`s. On SQLite, an embedded single-instance database, events go
//! straight to this process's subscribers after the commit.

use std::fmt;
use std::time::Duration;

use futures_util::Stream;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

use crate::error::MutationError;

/// The PostgreSQL channel the events travel on.
const CHANNEL: &str = "shopgraph_events";
/// Events buffered per subscriber; a subscriber that falls further behind
/// skips the oldest (each event only says "changed", so the next one that
/// arrives still brings the current state).
const BUFFER: usize = 1_024;

/// Something that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    Cart(i64),
    Product(i64),
    Order(i64),
    /// A login session ended (`logOut`): its WebSockets close.
    Session(i64),
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Cart(id) => write!(f, "cart:{id}"),
            Event::Product(id) => write!(f, "product:{id}"),
            Event::Order(id) => write!(f, "order:{id}"),
            Event::Session(id) => write!(f, "session:{id}"),
        }
    }
}

impl Event {
    fn parse(text: &str) -> Option<Event> {
        let (kind, id) = text.split_once(':')?;
        let id = id.parse().ok()?;
        match kind {
            "cart" => Some(Event::Cart(id)),
            "order" => Some(Event::Order(id)),
            "product" => Some(Event::Product(id)),
            "session" => Some(Event::Session(id)),
            _ => None,
        }
    }
}

/// The event hub of one server instance.
#[derive(Clone)]
pub struct Events {
    local: broadcast::Sender<Event>,
    backend: DatabaseBackend,
}

impl Events {
    /// The hub for `db`; on PostgreSQL it also starts listening for the
    /// events of every instance.
    pub fn start(db: &DatabaseConnection) -> Events {
        let (local, _) = broadcast::channel(BUFFER);
        let events = Events {
            local,
            backend: db.get_database_backend(),
        };
        if events.backend == DatabaseBackend::Postgres {
            tokio::spawn(listen(db.clone(), events.local.clone()));
        }
        events
    }

    /// Commits `txn` when `outcome` succeeded and announces what `changed`
    /// says it changed; rolls back otherwise. Mutations reach it through
    /// [`crate::write::write`].
    pub(crate) async fn finish<T>(
        &self,
        txn: sea_orm::DatabaseTransaction,
        outcome: Result<T, MutationError>,
        changed: impl FnOnce(&T) -> Vec<Event>,
    ) -> Result<T, MutationError> {
        let value = match outcome {
            Ok(value) => value,
            Err(err) => {
                txn.rollback().await?;
                return Err(err);
            }
        };
        let events = changed(&value);
        self.notify_in(&txn, &events).await?;
        txn.commit().await?;
        self.publish_locally(&events);
        Ok(value)
    }

    /// On PostgreSQL, queues one NOTIFY carrying `events` on `conn`'s
    /// transaction (or at once outside one).
    async fn notify_in(&self, conn: &impl ConnectionTrait, events: &[Event]) -> Result<(), DbErr> {
        if self.backend != DatabaseBackend::Postgres || events.is_empty() {
            return Ok(());
        }
        let payload = events
            .iter()
            .map(Event::to_string)
            .collect::<Vec<_>>()
            .join(",");
        conn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await?;
        Ok(())
    }

    /// On SQLite, hands `events` to this instance's subscribers (on
    /// PostgreSQL the listener does, for every instance).
    fn publish_locally(&self, events: &[Event]) {
        if self.backend == DatabaseBackend::Postgres {
            return;
        }
        for event in events {
            // No receiver means no subscriber: nothing to do.
            let _ = self.local.send(*event);
        }
    }

    /// Every `wanted` event from now on.
    pub fn subscribe(&self, wanted: Event) -> impl Stream<Item = Event> + Send + 'static {
        futures_util::stream::unfold(self.local.subscribe(), move |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(event) if event == wanted => return Some((event, receiver)),
                    // Lagged: events were skipped; the next one brings the
                    // current state anyway.
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        })
    }
}

/// Relays the notifications of the database's channel to this instance's
/// subscribers, reconnecting after a lost connection.
async fn listen(db: DatabaseConnection, local: broadcast::Sender<Event>) {
    use sea_orm::sqlx::postgres::PgListener;

    loop {
        let listener = async {
            let mut listener = PgListener::connect_with(db.get_postgres_connection_pool()).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = match listener.await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for change events; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        loop {
            match listener.recv().await {
                Ok(notification) => {
                    for event in notification.payload().split(',').filter_map(Event::parse) {
                        let _ = local.send(event);
                    }
                }
                Err(err) => {
                    tracing::warn!(error = %err, "lost the change events listener; reconnecting");
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_as_text() {
        for event in [
            Event::Cart(3),
            Event::Product(40),
            Event::Order(5),
            Event::Session(7),
        ] {
            assert_eq!(Event::parse(&event.to_string()), Some(event));
        }
        assert_eq!(Event::parse("invoice:1"), None);
        assert_eq!(Event::parse("cart:x"), None);
    }
}

//! Change events for subscriptions: "this cart changed", "this product
//! changed". The write path ([`super::write`]) hands over what a mutation
//! changed when it commits; this module only announces, and each server
//! instance fans the events out to its subscribers.
//!
//! On PostgreSQL events reach every server instance on the database, each
//! of which `LISTEN`s, through `NOTIFY`, and only for changes that
//! committed (never for a rollback). Most events are hints — "look again"
//! — and are sent after the commit by one announcer task per instance,
//! which folds the events of concurrent writes into one `NOTIFY`: a NOTIFY
//! inside a transaction takes a database-wide lock from its commit to the
//! end, so writes that each sent one committed one at a time (measured:
//! addCartLines 12–14% and the flash sale 10% slower). A hint can be lost
//! if the process dies between the commit and the announcement; the next
//! change of the row brings its state. A session's end is not a hint — it
//! closes that session's WebSockets on every instance — so it is sent in
//! the transaction that ends the session, as before.
//!
//! On SQLite, an embedded single-instance database, events go straight to
//! this process's subscribers after the commit.

use std::fmt;
use std::time::Duration;

use futures_util::Stream;
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, Statement};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc};

/// The PostgreSQL channel the events travel on.
const CHANNEL: &str = "shopgraph_events";
/// Events buffered per subscriber; a subscriber that falls further behind
/// skips the oldest (each event only says "changed", so the next one that
/// arrives still brings the current state).
const BUFFER: usize = 1_024;
/// Events waiting for the announcer at most. Past that (the database
/// slower than the writes, or unreachable) further hints are dropped and
/// counted (`shopgraph_change_events_dropped_total`): a write never waits for
/// its announcement. 16 bytes each.
const ANNOUNCE_QUEUE: usize = 65_536;
/// Events the announcer takes from its queue per pass.
const ANNOUNCE_BATCH: usize = 4_096;
/// PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more.
const MAX_PAYLOAD_BYTES: usize = 7_999;

/// Something that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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
    /// Whether the event must arrive exactly when its change commits,
    /// rather than shortly after as a hint.
    fn sent_in_transaction(self) -> bool {
        matches!(self, Event::Session(_))
    }

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
    /// The queue of this instance's announcer (PostgreSQL only).
    announcer: Option<mpsc::Sender<Event>>,
}

impl Events {
    /// The hub for `db`; on PostgreSQL it also starts listening for the
    /// events of every instance, and the announcer of this one's.
    pub fn start(db: &DatabaseConnection) -> Events {
        let (local, _) = broadcast::channel(BUFFER);
        let mut announcer = None;
        if db.get_database_backend() == DatabaseBackend::Postgres {
            tokio::spawn(listen(db.clone(), local.clone()));
            let (queue, queued) = mpsc::channel(ANNOUNCE_QUEUE);
            tokio::spawn(announce(db.clone(), queued));
            announcer = Some(queue);
        }
        Events { local, announcer }
    }

    /// Sends, inside `txn`, the events that must arrive exactly when it
    /// commits (a session's end, on PostgreSQL: every instance closes its
    /// sockets); the write path calls this just before its commit.
    pub(crate) async fn send_in_transaction(
        &self,
        txn: &impl ConnectionTrait,
        events: &[Event],
    ) -> Result<(), DbErr> {
        if self.announcer.is_none() {
            return Ok(());
        }
        let now: Vec<Event> = events
            .iter()
            .copied()
            .filter(|event| event.sent_in_transaction())
            .collect();
        for payload in payloads(&now) {
            notify(txn, payload).await?;
        }
        Ok(())
    }

    /// Announces `events` of a write that committed: on SQLite to this
    /// instance's subscribers at once; on PostgreSQL the hints go to the
    /// announcer (those sent in the transaction are not sent again). Never
    /// waits: past the announcer's queue a hint is dropped and counted.
    pub(crate) fn announce(&self, events: Vec<Event>) {
        let Some(announcer) = &self.announcer else {
            for event in events {
                // No receiver means no subscriber: nothing to do.
                let _ = self.local.send(event);
            }
            return;
        };
        for hint in events
            .into_iter()
            .filter(|event| !event.sent_in_transaction())
        {
            if announcer.try_send(hint).is_err() {
                crate::observe::counting::record(|metrics| metrics.change_event_dropped());
            }
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

/// One NOTIFY in `txn`, sent when it commits.
async fn notify(txn: &impl ConnectionTrait, payload: String) -> Result<(), DbErr> {
    txn.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), payload.into()],
    ))
    .await?;
    Ok(())
}

/// `events` as NOTIFY payloads (comma-separated), each under PostgreSQL's
/// limit.
fn payloads(events: &[Event]) -> Vec<String> {
    let mut payloads = Vec::new();
    let mut payload = String::new();
    for event in events {
        let text = event.to_string();
        if !payload.is_empty() && payload.len() + 1 + text.len() > MAX_PAYLOAD_BYTES {
            payloads.push(std::mem::take(&mut payload));
        }
        if !payload.is_empty() {
            payload.push(',');
        }
        payload.push_str(&text);
    }
    if !payload.is_empty() {
        payloads.push(payload);
    }
    payloads
}

/// Announces the hints this instance's writes queued, after their commits:
/// whatever queued while the previous NOTIFY was on its way goes in the
/// next one, each event once. On the pool itself, like the listener: these
/// statements belong to no request.
async fn announce(db: DatabaseConnection, mut queued: mpsc::Receiver<Event>) {
    let pool = db.get_postgres_connection_pool();
    let mut batch = Vec::with_capacity(ANNOUNCE_BATCH);
    while queued.recv_many(&mut batch, ANNOUNCE_BATCH).await > 0 {
        batch.sort_unstable();
        batch.dedup();
        for payload in payloads(&batch) {
            let sent = sea_orm::sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(pool)
                .await;
            if let Err(err) = sent {
                // Hints only: subscribers see the row's state with its next change.
                tracing::warn!(error = %err, events = batch.len(), "could not announce change events");
            }
        }
        batch.clear();
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

    #[test]
    fn payloads_stay_under_postgresql_limit_and_lose_no_event() {
        let events: Vec<Event> = (1_000_000_000..1_000_002_000).map(Event::Product).collect();
        let sent = payloads(&events);
        assert!(sent.len() > 1, "2,000 events do not fit one payload");
        assert!(
            sent.iter()
                .all(|payload| payload.len() <= MAX_PAYLOAD_BYTES)
        );
        let parsed: Vec<Event> = sent
            .iter()
            .flat_map(|payload| payload.split(',').map(|text| Event::parse(text).unwrap()))
            .collect();
        assert_eq!(parsed, events);
        assert!(payloads(&[]).is_empty());
    }
}

//! The one gate every operation passes, whatever its transport (POST, GET,
//! WebSocket):
//! - its document is scanned and parsed once ([`crate::documents`]);
//! - it spends from a complexity budget: one per HTTP request, shared by a
//!   batch's operations; one per WebSocket operation ([`crate::limits`]);
//! - its cost is charged to its client's rate limit, and it is refused
//!   (`THROTTLED`) when the client cannot afford it ([`crate::throttle`]);
//!   a client already in debt is refused before its document is parsed;
//! - it waits for one of `max_concurrent_requests` permits, and the wait
//!   counts towards its timeout;
//! - it runs for at most `request_timeout`, then is dropped (an open
//!   transaction rolls back) and answered `TIMEOUT`;
//! - its loads are batched ([`crate::batch`]) by a fresh set of loaders.
//!
//! Subscriptions hold nothing between events: a permit or a timeout held
//! for a subscription's lifetime would starve everyone else, and
//! async-graphql's stream gives no sign of where its set-up ends and the
//! wait for the first event begins (holding a permit until then starved
//! HTTP requests). So a subscription spends from a budget and is charged
//! to its client's rate limit like any operation, is bounded by count, per
//! connection and per customer ([`SubscriptionCaps`]), and each of its
//! reads — the set-up's check that the caller may watch the object, and
//! the refetch of every event — passes [`SubscriptionReads`]: a permit and
//! the request timeout, in a task of its own so that it never holds a
//! database connection while waiting for its socket.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Data, Executor, Request, Response};
use futures_util::stream::{self, BoxStream, StreamExt};
use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::auth::{ClientAddress, Viewer};
use crate::batch;
use crate::documents::ParsedDocuments;
use crate::error::{ApiError, ErrorCode};
use crate::limits::{Budget, Limits};
use crate::loaders::Loaders;
use crate::schema::ShopSchema;
use crate::throttle::{self, Allowance, Client, OperationCost, RateLimits};

/// Who sent an operation.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub viewer: Viewer,
    /// The client's network address, for throttling.
    pub address: Option<IpAddr>,
}

/// How many subscriptions may be open at once.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionCaps {
    /// On one WebSocket connection.
    pub per_connection: usize,
    /// For one customer, over all their connections to this instance.
    pub per_customer: usize,
}

/// Executes operations within the limits; cheap to clone.
#[derive(Clone)]
pub struct Gate {
    schema: ShopSchema,
    db: DatabaseConnection,
    documents: Arc<ParsedDocuments>,
    permits: Arc<Semaphore>,
    /// Each client address's share of the permits.
    clients: ClientTurns,
    limits: Limits,
    /// Each client's allowance of points; `None` when off.
    rate: Option<Arc<RateLimits>>,
    caps: SubscriptionCaps,
    /// Operations running and waiting now, for `/health`.
    load: Arc<Load>,
    /// Open subscriptions by customer.
    subscribers: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Gate {
    pub fn new(
        schema: ShopSchema,
        db: DatabaseConnection,
        limits: Limits,
        rate: Option<Arc<RateLimits>>,
        caps: SubscriptionCaps,
    ) -> Gate {
        Gate {
            documents: Arc::new(ParsedDocuments::new(
                limits.text,
                limits.document_cache_bytes,
            )),
            permits: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
            clients: ClientTurns::new(limits.max_concurrent_per_client),
            schema,
            db,
            limits,
            rate,
            caps,
            load: Arc::default(),
            subscribers: Arc::default(),
        }
    }

    /// How many operations hold a permit, and how many wait for their turn
    /// or a permit, now.
    pub fn load(&self) -> (usize, usize) {
        (
            self.load.running.load(Ordering::SeqCst),
            self.load.waiting.load(Ordering::SeqCst),
        )
    }

    /// The parsed documents, for the HTTP layer's look at a GET's operation.
    pub fn documents(&self) -> &ParsedDocuments {
        &self.documents
    }

    /// Executes `requests` (one, or a JSON-array batch sharing one budget)
    /// for `caller`; one response per request, in order.
    pub async fn execute(&self, caller: Caller, requests: Vec<Request>) -> Vec<Response> {
        if requests.is_empty() {
            return Vec::new();
        }
        let count = requests.len();
        let allowance = self.allowance(caller);
        if let Some(allowance) = &allowance
            && let Some(wait) = allowance.exhausted()
        {
            let cost = OperationCost::default().extension(allowance);
            return (0..count)
                .map(|_| {
                    Response::from_errors(vec![throttle::throttled(wait)])
                        .extension("cost", cost.clone())
                })
                .collect();
        }
        let requests = requests
            .into_iter()
            .map(|request| request.data(OperationCost::default()))
            .collect::<Vec<_>>();
        let operations = requests
            .iter()
            .map(|request| request.operation_name.as_deref().unwrap_or("anonymous"))
            .collect::<Vec<_>>()
            .join(",");
        let span = tracing::info_span!("graphql", operation = %operations);
        let batch = match <[Request; 1]>::try_from(requests) {
            Ok([request]) => BatchRequest::Single(request),
            Err(requests) => BatchRequest::Batch(requests),
        };
        let loaders = Arc::new(Loaders::new(&self.db));
        let mut batch = batch
            .data(Budget::new(self.limits.max_complexity))
            .data(caller.viewer)
            .data(loaders.clone());
        if let Some(address) = caller.address {
            batch = batch.data(ClientAddress(address));
        }
        if let Some(allowance) = allowance {
            batch = batch.data(allowance);
        }
        let run = async {
            // The client's turn first, then the server's: one client's
            // requests never hold more than its share of the permits.
            let waiting = Counted::new(&self.load.waiting);
            let _client = self.clients.turn(caller.address).await;
            let _permit = self.permits.acquire().await;
            drop(waiting);
            let _running = Counted::new(&self.load.running);
            let batch = match batch {
                BatchRequest::Single(mut request) => {
                    self.documents.attach(&mut request);
                    BatchRequest::Single(request)
                }
                BatchRequest::Batch(mut requests) => {
                    requests
                        .iter_mut()
                        .for_each(|request| self.documents.attach(request));
                    BatchRequest::Batch(requests)
                }
            };
            batch::drive(loaders, self.schema.execute_batch(batch)).await
        }
        .instrument(span);
        match tokio::time::timeout(self.limits.request_timeout, run).await {
            Ok(BatchResponse::Single(response)) => vec![response],
            Ok(BatchResponse::Batch(responses)) => responses,
            // The execution is dropped: an open transaction rolls back.
            Err(_) => (0..count)
                .map(|_| timed_out(self.limits.request_timeout))
                .collect(),
        }
    }

    /// The rate-limit allowance of `caller`, if limits are on.
    fn allowance(&self, caller: Caller) -> Option<Allowance> {
        let client = Client::of(caller.viewer, caller.address)?;
        Some(self.rate.as_ref()?.allowance(client))
    }

    /// The executor of one WebSocket connection, whose caller is in the
    /// connection's data.
    pub fn for_socket(&self, address: Option<IpAddr>) -> SocketExecutor {
        SocketExecutor {
            gate: self.clone(),
            address,
            open: Arc::new(Mutex::new(0)),
        }
    }

    /// The kind of operation `request` would run, if its document parses.
    fn operation_type(&self, request: &Request) -> Option<OperationType> {
        self.documents.operation_type(request)
    }

    /// Counts a subscription of `viewer` on a connection with `open` of
    /// them; `None` when a cap is reached.
    fn admit_subscription(
        &self,
        viewer: Viewer,
        open: &Arc<Mutex<usize>>,
    ) -> Option<SubscriptionSlot> {
        let mut on_connection = open.lock().expect("never poisoned");
        if *on_connection >= self.caps.per_connection {
            return None;
        }
        let customer = match viewer {
            Viewer::Customer { id, .. } => {
                let mut subscribers = self.subscribers.lock().expect("never poisoned");
                let count = subscribers.entry(id).or_default();
                if *count >= self.caps.per_customer {
                    return None;
                }
                *count += 1;
                Some(id)
            }
            _ => None,
        };
        *on_connection += 1;
        Some(SubscriptionSlot {
            open: open.clone(),
            customer,
            subscribers: self.subscribers.clone(),
        })
    }
}

/// Permits per client address, so that one client (a flood of logins, a
/// loop of the costliest query) waits for itself instead of taking every
/// permit: in `bench/hostile`, 8 clients of the costliest query from one
/// address pushed a catalogue read from 0.8 ms to 100 ms at p99. Entries
/// exist only while a client has requests in flight.
#[derive(Clone)]
struct ClientTurns {
    per_client: usize,
    turns: Arc<Mutex<HashMap<IpAddr, Arc<Semaphore>>>>,
}

/// A client's turn; dropping it lets the client's next request run.
struct ClientTurn {
    permit: Option<tokio::sync::OwnedSemaphorePermit>,
    address: IpAddr,
    turns: Arc<Mutex<HashMap<IpAddr, Arc<Semaphore>>>>,
}

impl ClientTurns {
    fn new(per_client: usize) -> ClientTurns {
        ClientTurns {
            per_client: per_client.max(1),
            turns: Arc::default(),
        }
    }

    /// Waits for a turn of `address` (none needed without an address).
    async fn turn(&self, address: Option<IpAddr>) -> Option<ClientTurn> {
        let address = address?;
        let semaphore = self
            .turns
            .lock()
            .expect("never poisoned")
            .entry(address)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_client)))
            .clone();
        let permit = semaphore.acquire_owned().await.ok();
        Some(ClientTurn {
            permit,
            address,
            turns: self.turns.clone(),
        })
    }
}

impl Drop for ClientTurn {
    fn drop(&mut self) {
        let mut turns = self.turns.lock().expect("never poisoned");
        self.permit.take();
        // The map's reference is the last: nobody holds or awaits a turn.
        if turns
            .get(&self.address)
            .is_some_and(|semaphore| Arc::strong_count(semaphore) == 1)
        {
            turns.remove(&self.address);
        }
    }
}

/// The gate as a subscription's reads see it (in the subscription's
/// request data): each read waits for a permit and obeys the request
/// timeout like any operation, and runs in a task of its own
/// ([`crate::db::detached`]), so it finishes and gives its connection back
/// even while its subscriber does not read. No permit is held between
/// events.
#[derive(Clone)]
pub struct SubscriptionReads {
    permits: Arc<Semaphore>,
    load: Arc<Load>,
    timeout: Duration,
}

impl SubscriptionReads {
    /// Runs `read` within a permit and the timeout.
    pub async fn run<T: Send + 'static>(
        &self,
        read: impl std::future::Future<Output = Result<T, sea_orm::DbErr>> + Send + 'static,
    ) -> Result<T, ApiError> {
        let work = async {
            let waiting = Counted::new(&self.load.waiting);
            let _permit = self.permits.acquire().await;
            drop(waiting);
            let _running = Counted::new(&self.load.running);
            crate::db::detached(read).await
        };
        match tokio::time::timeout(self.timeout, work).await {
            Ok(result) => result.map_err(ApiError::from),
            Err(_) => Err(ApiError::Refused(
                ErrorCode::Timeout,
                format!(
                    "The subscription's read took longer than {} ms",
                    self.timeout.as_millis()
                ),
            )),
        }
    }
}

/// Operations running (holding a permit) and waiting (for their client's
/// turn or a permit).
#[derive(Default)]
struct Load {
    running: AtomicUsize,
    waiting: AtomicUsize,
}

/// One in a count, until dropped.
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    fn new(count: &'a AtomicUsize) -> Counted<'a> {
        count.fetch_add(1, Ordering::SeqCst);
        Counted(count)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// One open subscription, counted until dropped.
struct SubscriptionSlot {
    open: Arc<Mutex<usize>>,
    customer: Option<i64>,
    subscribers: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Drop for SubscriptionSlot {
    fn drop(&mut self) {
        *self.open.lock().expect("never poisoned") -= 1;
        if let Some(customer) = self.customer {
            let mut subscribers = self.subscribers.lock().expect("never poisoned");
            if let Some(count) = subscribers.get_mut(&customer) {
                *count -= 1;
                if *count == 0 {
                    subscribers.remove(&customer);
                }
            }
        }
    }
}

fn timed_out(limit: Duration) -> Response {
    let message = format!("The request took longer than {} ms", limit.as_millis());
    Response::from_errors(vec![ErrorCode::Timeout.error(message)])
}

/// The gate as async-graphql's WebSocket protocol sees it: queries and
/// mutations go through [`Gate::execute`]; subscriptions are capped, and
/// their set-up runs within a permit and the timeout.
#[derive(Clone)]
pub struct SocketExecutor {
    gate: Gate,
    /// Subscriptions open on this connection.
    open: Arc<Mutex<usize>>,
    /// The client's address.
    address: Option<IpAddr>,
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: Request) -> Response {
        let viewer = request.data.get(&std::any::TypeId::of::<Viewer>());
        let viewer = viewer
            .and_then(|viewer| viewer.downcast_ref::<Viewer>())
            .copied()
            .unwrap_or_default();
        self.gate
            .execute(
                Caller {
                    viewer,
                    address: self.address,
                },
                vec![request],
            )
            .await
            .pop()
            .unwrap_or_default()
    }

    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let viewer = session_data
            .as_ref()
            .and_then(|data| data.get(&std::any::TypeId::of::<Viewer>()))
            .and_then(|viewer| viewer.downcast_ref::<Viewer>())
            .copied()
            .unwrap_or_default();
        let gate = self.gate.clone();
        let caller = Caller {
            viewer,
            address: self.address,
        };
        if gate.operation_type(&request) != Some(OperationType::Subscription) {
            // Anything that is not a valid subscription is run (or refused)
            // exactly as over HTTP.
            return stream::once(async move {
                gate.execute(caller, vec![request])
                    .await
                    .pop()
                    .unwrap_or_default()
            })
            .boxed();
        }
        let Some(slot) = gate.admit_subscription(viewer, &self.open) else {
            let error = ErrorCode::TooManySubscriptions.error(format!(
                "At most {} subscriptions may be open per connection, and {} per customer",
                gate.caps.per_connection, gate.caps.per_customer
            ));
            return stream::once(async move { Response::from_errors(vec![error]) }).boxed();
        };
        gate.documents.attach(&mut request);
        let mut request = request
            .data(Budget::new(gate.limits.max_complexity))
            .data(OperationCost::default())
            .data(SubscriptionReads {
                permits: gate.permits.clone(),
                load: gate.load.clone(),
                timeout: gate.limits.request_timeout,
            })
            .data(viewer);
        if let Some(allowance) = gate.allowance(caller) {
            request = request.data(allowance);
        }
        let events = gate
            .schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default());
        // The slot is released when the stream ends or is dropped.
        events
            .map(move |event| {
                let _ = &slot;
                event
            })
            .boxed()
    }
}

impl From<&crate::Config> for SubscriptionCaps {
    fn from(config: &crate::Config) -> SubscriptionCaps {
        SubscriptionCaps {
            per_connection: usize::try_from(config.max_subscriptions_per_connection)
                .unwrap_or(usize::MAX),
            per_customer: usize::try_from(config.max_subscriptions_per_customer)
                .unwrap_or(usize::MAX),
        }
    }
}

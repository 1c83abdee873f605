//! The gate as GraphQL over WebSocket uses it: queries and mutations go
//! through [`Gate::execute`] like any HTTP request; subscriptions are
//! capped per connection and per customer, charged like any operation, and
//! their reads pass [`SubscriptionReads`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response};
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::sync::Semaphore;

use super::gate::{Caller, Gate};
use super::load::{Counted, Load};
use crate::auth::Viewer;
use crate::error::{ApiError, ErrorCode};
use crate::execute::limits::Budget;
use crate::execute::persisted::{PersistedQueries, Refusal};
use crate::execute::throttle::OperationCost;

/// How many subscriptions may be open at once.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionCaps {
    /// On one WebSocket connection.
    pub per_connection: usize,
    /// For one customer, over all their connections to this instance.
    pub per_customer: usize,
}

impl Gate {
    /// The executor of one WebSocket connection, whose caller is in the
    /// connection's data.
    pub fn for_socket(
        &self,
        address: Option<IpAddr>,
        persisted: Arc<PersistedQueries>,
    ) -> SocketExecutor {
        SocketExecutor {
            gate: self.clone(),
            persisted,
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

/// The gate as a subscription's reads see it (in the subscription's
/// request data): each read waits for a permit and obeys the request
/// timeout like any operation, and runs in a task of its own
/// ([`crate::store::db::detached`]), so it finishes and gives its connection back
/// even while its subscriber does not read. No permit is held between
/// events.
#[derive(Clone)]
pub struct SubscriptionReads {
    permits: Arc<Semaphore>,
    load: Arc<Load>,
    timeout: Duration,
}

/// A subscription listening for its events, counted (in `/health`) until
/// dropped with the subscription's stream.
pub struct Listening(Arc<Load>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0
            .listening
            .fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl SubscriptionReads {
    /// Counts the subscription as listening, once it has subscribed to its
    /// events and passed its checks; the count says when a change will
    /// reach it (the protocol acknowledges no subscription).
    pub fn listening(&self) -> Listening {
        self.load
            .listening
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Listening(self.load.clone())
    }

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
            crate::store::db::detached(read).await
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

/// The gate as async-graphql's WebSocket protocol sees it: queries and
/// mutations go through [`Gate::execute`]; subscriptions are capped, and
/// their set-up runs within a permit and the timeout.
#[derive(Clone)]
pub struct SocketExecutor {
    gate: Gate,
    /// Where a document sent by hash is found.
    persisted: Arc<PersistedQueries>,
    /// Subscriptions open on this connection.
    open: Arc<Mutex<usize>>,
    /// The client's address.
    address: Option<IpAddr>,
}

impl Executor for SocketExecutor {
    async fn execute(&self, mut request: Request) -> Response {
        if let Err(refused) = self.resolve(&mut request).await {
            let mut response = *refused;
            crate::observe::request_id::tag(&mut response);
            return response;
        }
        let caller = Caller {
            viewer: copied(&request.data).unwrap_or_default(),
            address: self.address,
            cart_token: copied(&request.data),
        };
        let mut response = self
            .gate
            .execute(caller, vec![request])
            .await
            .pop()
            .unwrap_or_default();
        crate::observe::request_id::tag(&mut response);
        response
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        // Polled in the connection's task: its errors carry the ID of the
        // request that opened the socket.
        let executor = self.clone();
        stream::once(async move {
            let mut request = request;
            match executor.resolve(&mut request).await {
                Ok(()) => executor.stream(request, session_data),
                Err(refused) => stream::once(async move { *refused }).boxed(),
            }
        })
        .flatten()
        .map(|mut response| {
            crate::observe::request_id::tag(&mut response);
            response
        })
        .boxed()
    }
}

impl SocketExecutor {
    /// Completes a request sent by hash (`extensions.persistedQuery`) with
    /// its document, as the HTTP endpoint does; the refusal otherwise.
    async fn resolve(&self, request: &mut Request) -> Result<(), Box<Response>> {
        match self.persisted.resolve(request, self.address).await {
            Ok(()) => Ok(()),
            Err(Refusal::NotFound) => Err(Box::new(Response::from_errors(vec![
                ErrorCode::PersistedQueryNotFound.error("PersistedQueryNotFound"),
            ]))),
            Err(Refusal::Invalid(message)) => Err(Box::new(Response::from_errors(vec![
                ErrorCode::BadRequest.error(message),
            ]))),
        }
    }

    fn stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let session = session_data.as_deref();
        let viewer: Viewer = session.and_then(copied).unwrap_or_default();
        let gate = self.gate.clone();
        let caller = Caller {
            viewer,
            address: self.address,
            cart_token: session.and_then(copied),
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
        if let Some(refused) = gate.refusal(&request) {
            return stream::once(async move { refused }).boxed();
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
        if let Some(token) = caller.cart_token {
            request = request.data(token);
        }
        if let Some(allowance) = gate.allowance(caller) {
            request = request.data(allowance);
        }
        let events = gate
            .schema
            .execute_stream(request, session_data.unwrap_or_default());
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

/// The value of type `T` the connection's data holds (what
/// `connection_init` established: the viewer, a guest's cart token).
fn copied<T: Copy + Send + Sync + 'static>(data: &Data) -> Option<T> {
    data.get(&std::any::TypeId::of::<T>())
        .and_then(|value| value.downcast_ref::<T>())
        .copied()
}

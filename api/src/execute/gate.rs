//! The one gate every operation passes, whatever its transport (POST, GET,
//! WebSocket):
//! - its document is scanned and parsed once ([`crate::execute::documents`]);
//! - it spends from a complexity budget: one per HTTP request, shared by a
//!   batch's operations; one per WebSocket operation ([`crate::execute::limits`]);
//! - its cost is charged to its client's rate limit, and it is refused
//!   (`THROTTLED`) when the client cannot afford it ([`crate::execute::throttle`]);
//!   a client already in debt is refused before its document is parsed;
//! - it waits for one of `max_concurrent_requests` permits, and the wait
//!   counts towards its timeout;
//! - it runs for at most `request_timeout`, then is dropped (an open
//!   transaction rolls back) and answered `TIMEOUT`;
//! - its loads are batched ([`crate::store::batch`]) by a fresh set of loaders.
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
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::{
    BatchRequest, BatchResponse, Data, ObjectType, Request, Response, Schema, SubscriptionType,
};
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::auth::{ActingViewer, CartToken, ClientAddress, Viewer};
use crate::error::ErrorCode;
use crate::execute::documents::ParsedDocuments;
use crate::execute::limits::{Budget, Limits};
use crate::execute::throttle::{self, Allowance, Client, OperationCost, RateLimits};
use crate::execute::trusted::TrustedDocuments;
use crate::observe::counting;
use crate::observe::metrics;
use crate::store::batch::{self, MakeLoaders};

pub use super::load::LoadNow;
use super::load::{ClientTurns, Counted, Load};
pub use super::socket::{SocketExecutor, SubscriptionCaps, SubscriptionReads};

/// The schema as the gate runs it. Its roots belong to the domains, which
/// sit above the gate, so it arrives type-erased: one boxed future per
/// request.
pub trait Operations: Send + Sync + 'static {
    fn execute_batch(&self, batch: BatchRequest) -> BoxFuture<'_, BatchResponse>;
    fn execute_stream(&self, request: Request, session: Arc<Data>) -> BoxStream<'static, Response>;
}

impl<Q, M, S> Operations for Schema<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    fn execute_batch(&self, batch: BatchRequest) -> BoxFuture<'_, BatchResponse> {
        Box::pin(Schema::execute_batch(self, batch))
    }

    fn execute_stream(&self, request: Request, session: Arc<Data>) -> BoxStream<'static, Response> {
        Box::pin(self.execute_stream_with_session_data(request, session))
    }
}

/// The name metrics and logs give an operation that did not run (refused
/// before its document was parsed, or unparseable): never the client's.
const NOT_RUN: &str = "other";

/// Who sent an operation.
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    pub viewer: Viewer,
    /// The client's network address, for throttling.
    pub address: Option<IpAddr>,
    /// The guest cart token the caller holds, if any.
    pub cart_token: Option<CartToken>,
}

/// Executes operations within the limits; cheap to clone.
#[derive(Clone)]
pub struct Gate {
    pub(super) schema: Arc<dyn Operations>,
    /// Makes each request's fresh loaders.
    loaders: MakeLoaders,
    pub(super) documents: Arc<ParsedDocuments>,
    pub(super) permits: Arc<Semaphore>,
    /// Each client address's share of the permits.
    clients: ClientTurns,
    pub(super) limits: Limits,
    /// Each client's allowance of points; `None` when off.
    pub(super) rate: Option<Arc<RateLimits>>,
    pub(super) caps: SubscriptionCaps,
    /// Operations running and waiting now, for `/health`.
    pub(super) load: Arc<Load>,
    /// Open subscriptions by customer.
    pub(super) subscribers: Arc<Mutex<HashMap<i64, usize>>>,
    /// Trusted documents; in production, the only ones that run.
    pub(super) trusted: Option<Arc<TrustedDocuments>>,
}

impl Gate {
    pub fn new(
        schema: impl Operations,
        loaders: MakeLoaders,
        limits: Limits,
        rate: Option<Arc<RateLimits>>,
        caps: SubscriptionCaps,
        trusted: Option<Arc<TrustedDocuments>>,
    ) -> Gate {
        Gate {
            documents: Arc::new(ParsedDocuments::new(
                limits.text,
                limits.document_cache_bytes,
            )),
            permits: Arc::new(Semaphore::new(limits.max_concurrent_requests)),
            clients: ClientTurns::new(limits.max_concurrent_per_client),
            schema: Arc::new(schema),
            loaders,
            limits,
            rate,
            caps,
            load: Arc::default(),
            subscribers: Arc::default(),
            trusted,
        }
    }

    /// How many operations hold a permit and wait for their turn or a
    /// permit, and how many subscriptions listen for events, now.
    pub fn load(&self) -> LoadNow {
        LoadNow {
            running: self.load.running.load(Ordering::SeqCst),
            waiting: self.load.waiting.load(Ordering::SeqCst),
            listening: self.load.listening.load(Ordering::SeqCst),
        }
    }

    /// Fresh loaders for a WebSocket connection, whose subscriptions'
    /// events load through them.
    pub fn loaders(&self) -> Arc<dyn batch::RequestLoaders> {
        (self.loaders)()
    }

    /// The parsed documents, for the HTTP layer's look at a GET's operation.
    pub fn documents(&self) -> &ParsedDocuments {
        &self.documents
    }

    /// Executes `requests` (one, or a JSON-array batch sharing one budget)
    /// for `caller`; one response per request, in order. Each is counted in
    /// the metrics: its name, type, outcome and time, and the statements
    /// the request ran.
    pub async fn execute(&self, caller: Caller, requests: Vec<Request>) -> Vec<Response> {
        let started = std::time::Instant::now();
        // What needs no parse is refused first: a client already in debt,
        // a document that is not trusted. Such a document is never parsed,
        // so it costs no parse and takes no room in the parsed documents.
        let allowance = self.allowance(caller);
        let exhausted = allowance
            .as_ref()
            .and_then(|allowance| Some((allowance, allowance.exhausted()?)));
        let early: Vec<Option<Response>> = match exhausted {
            Some((allowance, wait)) => {
                let cost = OperationCost::default().extension(allowance);
                let throttled = || {
                    Response::from_errors(vec![throttle::throttled(wait)])
                        .extension("cost", cost.clone())
                };
                requests.iter().map(|_| Some(throttled())).collect()
            }
            None => requests
                .iter()
                .map(|request| self.untrusted(request))
                .collect(),
        };
        // Names as metrics and logs show them: only of documents that
        // parsed and were let in, so no client can fill the bounded label
        // set, or write into a log line, with names of its choosing.
        let operations: Vec<(Option<String>, metrics::OperationType)> = requests
            .iter()
            .zip(&early)
            .map(|(request, refused)| match refused {
                Some(_) => (Some(NOT_RUN.to_owned()), metrics::OperationType::unknown),
                None => match self.documents.operation_summary(request) {
                    Some((name, kind)) => (name, kind.into()),
                    None => (Some(NOT_RUN.to_owned()), metrics::OperationType::unknown),
                },
            })
            .collect();
        // The operation's span (in logs and traces): names, types, and the
        // cost once known.
        let names: Vec<&str> = operations
            .iter()
            .map(|(name, _)| name.as_deref().unwrap_or("anonymous"))
            .collect();
        let kinds: Vec<String> = operations
            .iter()
            .map(|(_, kind)| format!("{kind:?}"))
            .collect();
        let span = tracing::info_span!(
            "graphql",
            operation = %names.join(","),
            operation_type = %kinds.join(","),
            cost = tracing::field::Empty,
        );
        let (responses, statements) =
            counting::count_statements(self.execute_uncounted(caller, requests, early, allowance))
                .instrument(span.clone())
                .await;
        if let Some(cost) = actual_cost(&responses) {
            span.record("cost", cost);
        }
        counting::answered(&operations, &responses, statements, started.elapsed());
        responses
    }

    async fn execute_uncounted(
        &self,
        caller: Caller,
        requests: Vec<Request>,
        early: Vec<Option<Response>>,
        allowance: Option<Allowance>,
    ) -> Vec<Response> {
        // A request refused early, or whose required variables are
        // missing, is a request error and never runs; the others run
        // together.
        let answers: Vec<Option<Response>> = requests
            .iter()
            .zip(early)
            .map(|(request, early)| early.or_else(|| self.missing_variables(request)))
            .collect();
        let runnable = requests
            .into_iter()
            .zip(&answers)
            .filter(|(_, answer)| answer.is_none())
            .map(|(request, _)| request)
            .collect();
        let mut ran = self.run(caller, runnable, allowance).await.into_iter();
        answers
            .into_iter()
            .map(|answer| answer.unwrap_or_else(|| ran.next().unwrap_or_default()))
            .collect()
    }

    /// Executes `requests` within the limits.
    async fn run(
        &self,
        caller: Caller,
        requests: Vec<Request>,
        allowance: Option<Allowance>,
    ) -> Vec<Response> {
        if requests.is_empty() {
            return Vec::new();
        }
        let count = requests.len();
        let requests = requests
            .into_iter()
            .map(|request| {
                request
                    .data(OperationCost::default())
                    .data(ActingViewer::default())
            })
            .collect::<Vec<_>>();
        let batch = match <[Request; 1]>::try_from(requests) {
            Ok([request]) => BatchRequest::Single(request),
            Err(requests) => BatchRequest::Batch(requests),
        };
        let loaders = (self.loaders)();
        let mut batch = batch
            .data(Budget::new(self.limits.max_complexity))
            .data(caller.viewer);
        match &mut batch {
            BatchRequest::Single(request) => loaders.add_to(&mut request.data),
            BatchRequest::Batch(requests) => requests
                .iter_mut()
                .for_each(|request| loaders.add_to(&mut request.data)),
        }
        if let Some(address) = caller.address {
            batch = batch.data(ClientAddress(address));
        }
        if let Some(token) = caller.cart_token {
            batch = batch.data(token);
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
        .in_current_span();
        match tokio::time::timeout(self.limits.request_timeout, run).await {
            Ok(BatchResponse::Single(response)) => vec![response],
            Ok(BatchResponse::Batch(responses)) => responses,
            // The execution is dropped: an open transaction rolls back.
            Err(_) => (0..count)
                .map(|_| timed_out(self.limits.request_timeout))
                .collect(),
        }
    }

    /// Why `request` may not run at all, if it may not: its document is
    /// not trusted, or its required variables are missing.
    pub(super) fn refusal(&self, request: &Request) -> Option<Response> {
        self.untrusted(request)
            .or_else(|| self.missing_variables(request))
    }

    /// The refusal of a document that is not trusted (in production, with
    /// a list of trusted documents); needs no parse.
    fn untrusted(&self, request: &Request) -> Option<Response> {
        let trusted = self.trusted.as_ref()?;
        (!trusted.admits(&request.query)).then(|| {
            Response::from_errors(vec![ErrorCode::PersistedQueryNotInList.error(
                "This server runs only its trusted documents, and this is not one of them",
            )])
        })
    }

    /// The refusal of a request whose required variables are missing.
    fn missing_variables(&self, request: &Request) -> Option<Response> {
        let missing = self.documents.missing_variables(request);
        (!missing.is_empty()).then(|| {
            Response::from_errors(
                missing
                    .into_iter()
                    .map(|message| ErrorCode::BadUserInput.error(message))
                    .collect(),
            )
        })
    }

    /// The rate-limit allowance of `caller`, if limits are on.
    pub(super) fn allowance(&self, caller: Caller) -> Option<Allowance> {
        let client = Client::of(caller.viewer, caller.address)?;
        let allowance = self.rate.as_ref()?.allowance(client);
        // A new account spends from its address's allowance too: signing
        // up seven accounts from one address once spent 7.6 times what the
        // address may.
        match (caller.viewer, caller.address) {
            (
                Viewer::Customer {
                    new_account: true, ..
                },
                Some(address),
            ) => Some(allowance.also_from(address)),
            _ => Some(allowance),
        }
    }
}

/// What the responses' operations cost, as their `extensions.cost` says
/// (present when rate limits are on).
fn actual_cost(responses: &[Response]) -> Option<u64> {
    let costs = responses.iter().filter_map(|response| {
        let async_graphql::Value::Object(cost) = response.extensions.get("cost")? else {
            return None;
        };
        match cost.get("actualQueryCost")? {
            async_graphql::Value::Number(number) => number.as_u64(),
            _ => None,
        }
    });
    costs.reduce(|sum, cost| sum + cost)
}

fn timed_out(limit: Duration) -> Response {
    let message = format!("The request took longer than {} ms", limit.as_millis());
    Response::from_errors(vec![ErrorCode::Timeout.error(message)])
}

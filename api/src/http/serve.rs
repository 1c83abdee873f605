//! Accepting connections: how many, from whom, and for how long.
//!
//! `axum::serve` has no header-read, body-read or idle timeout and no cap on
//! connections: half-sent requests stayed open for good, and 1,100 of them
//! (past the 1,024 open-file limit) made `/live` time out while "accept
//! error: Too many open files" was logged every second. So connections are
//! accepted here and served by hyper's HTTP/1 server directly:
//! - a connection must send a complete request head within `header_timeout`
//!   of opening, and of its previous response (hyper's header read timeout
//!   also runs while a keep-alive connection idles); bodies must arrive
//!   within the body timeout, applied in the router (tower-http);
//! - at most `max_connections` are open at once, WebSockets included, and
//!   at most `max_connections_per_ip` from one address; a connection beyond
//!   either is answered 503 and closed at once, so the accept queue keeps
//!   moving. `max_connections` is kept under the process's open-file limit,
//!   which is raised to its hard limit at start;
//! - accept errors back off (10 ms doubling to 1 s) and are logged at most
//!   once a second.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// File descriptors kept free of client connections: the database pool,
/// the listener, log files and the like.
const RESERVED_FILES: u64 = 64;

/// How connections are limited.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most connections open at once (HTTP and WebSocket).
    pub max_connections: usize,
    /// Most connections from one client address; 0 for no limit (behind a
    /// proxy, every client has the proxy's address).
    pub max_connections_per_ip: usize,
    /// Longest wait for a complete request head, also between requests on a
    /// keep-alive connection.
    pub header_timeout: Duration,
}

impl ConnectionLimits {
    /// These limits with `max_connections` lowered, if need be, under the
    /// open-file limit (raised first to its hard limit).
    pub fn within_open_file_limit(mut self) -> Self {
        let files = match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(files) => files,
            Err(err) => {
                tracing::warn!(error = %err, "cannot read the open-file limit");
                return self;
            }
        };
        let room = usize::try_from(files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
        if self.max_connections > room {
            tracing::warn!(
                open_file_limit = files,
                max_connections = room,
                "lowering --max-connections under the open-file limit"
            );
            self.max_connections = room.max(1);
        }
        self
    }
}

/// The connections open now, in total and by client address.
#[derive(Clone)]
pub struct Connections {
    limits: ConnectionLimits,
    open: Arc<Mutex<Open>>,
}

#[derive(Default)]
struct Open {
    total: usize,
    by_ip: HashMap<IpAddr, usize>,
}

/// One admitted connection; dropping it frees its place.
pub struct Slot {
    open: Arc<Mutex<Open>>,
    ip: IpAddr,
}

impl Connections {
    pub fn new(limits: ConnectionLimits) -> Self {
        Connections {
            limits,
            open: Arc::default(),
        }
    }

    /// A place for a connection from `ip`, if the limits leave one.
    pub fn admit(&self, ip: IpAddr) -> Option<Slot> {
        let ip = crate::auth::counted_address(ip);
        let mut open = lock(&self.open);
        if open.total >= self.limits.max_connections {
            return None;
        }
        let from_ip = open.by_ip.entry(ip).or_default();
        if self.limits.max_connections_per_ip > 0 && *from_ip >= self.limits.max_connections_per_ip
        {
            return None;
        }
        *from_ip += 1;
        open.total += 1;
        Some(Slot {
            open: self.open.clone(),
            ip,
        })
    }

    /// How many connections are open.
    pub fn open(&self) -> usize {
        lock(&self.open).total
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = lock(&self.open);
        open.total -= 1;
        if let Some(count) = open.by_ip.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.by_ip.remove(&self.ip);
            }
        }
    }
}

fn lock(open: &Mutex<Open>) -> std::sync::MutexGuard<'_, Open> {
    open.lock()
        .expect("the connection count's lock is never held across a panic")
}

/// What a connection over the limits is told before it is closed.
const TOO_MANY_CONNECTIONS: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 108\r\n\r\n{\"errors\":[{\"message\":\"Too many connections; try again later\",\"extensions\":{\"code\":\"TOO_MANY_CONNECTIONS\"}}]}";

/// Serves `router` on `listener` until `shutdown` completes; then stops
/// accepting, asks open connections to finish their request in flight and
/// close, and returns once they have.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    connections: Connections,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(connections.limits.header_timeout);
    // Dropping the sender tells every connection to finish; `closed` then
    // completes when the last connection task has dropped its receiver.
    let (stop, stopped) = watch::channel(());
    let mut backoff = AcceptBackoff::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => { backoff.reset(); accepted }
                Err(err) => { backoff.wait(&err).await; continue; }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = connections.admit(addr.ip()) else {
            // One non-blocking send, never awaited: a client that does not
            // read the refusal must not hold up the accept loop.
            let _ = socket2::SockRef::from(&stream).send(TOO_MANY_CONNECTIONS);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service =
            router
                .clone()
                .map_request(move |mut request: axum::http::Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(addr));
                    request.map(Body::new)
                });
        let connection = http
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .with_upgrades();
        let mut stopping = stopped.clone();
        tokio::spawn(async move {
            let _slot = slot;
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopping.changed() => connection.as_mut().graceful_shutdown(),
            }
            let _ = connection.await;
        });
    }
    drop(listener);
    drop(stopped);
    stop.send_replace(());
    stop.closed().await;
    Ok(())
}

/// Waits between failed accepts (out of file descriptors, say), longer
/// each time, and logs the error at most once a second.
#[derive(Default)]
struct AcceptBackoff {
    delay: Option<Duration>,
    logged: Option<Instant>,
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    async fn wait(&mut self, err: &std::io::Error) {
        if self
            .logged
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1))
        {
            tracing::warn!(error = %err, "cannot accept connections; backing off");
            self.logged = Some(Instant::now());
        }
        let delay = self
            .delay
            .map_or(Self::FIRST, |delay| (delay * 2).min(Self::MAX));
        self.delay = Some(delay);
        tokio::time::sleep(delay).await;
    }

    fn reset(&mut self) {
        self.delay = None;
    }
}

/// The client's address, as the accept loop recorded it.
pub fn client_addr(extensions: &axum::http::Extensions) -> Option<SocketAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr)
}

impl From<&crate::Config> for ConnectionLimits {
    fn from(config: &crate::Config) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: usize::try_from(config.max_connections).unwrap_or(usize::MAX),
            max_connections_per_ip: usize::try_from(config.max_connections_per_ip)
                .unwrap_or(usize::MAX),
            header_timeout: Duration::from_millis(config.header_timeout_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_connections_in_total_and_by_address() {
        let connections = Connections::new(ConnectionLimits {
            max_connections: 3,
            max_connections_per_ip: 2,
            header_timeout: Duration::from_secs(1),
        });
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.2".parse().unwrap(), "127.0.0.3".parse().unwrap());
        let first = connections.admit(a).expect("room");
        let _second = connections.admit(a).expect("room");
        assert!(connections.admit(a).is_none(), "two per address");
        let third = connections.admit(b).expect("room for another address");
        assert!(connections.admit(b).is_none(), "three in all");
        drop(first);
        assert!(connections.admit(a).is_some(), "a freed place is reused");
        drop(third);
        assert_eq!(connections.open(), 1);
    }
}

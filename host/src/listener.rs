//! Accepting HTTP connections without letting idle or slow clients starve
//! everyone else.
//!
//! Every open connection costs a file descriptor, and the process has a
//! fixed number of them. A client that opens connections and sends nothing
//! (or a request line a byte at a time) would otherwise hold them forever, so
//! the host stops answering anyone, `/api/health` included. Three rules keep
//! the listener responsive:
//!
//! - **Timeouts.** A client must finish its request headers, and send each
//!   next piece of a request body, within [`ConnectionLimits::request_timeout`];
//!   a kept-alive connection waiting for its next request is under the same
//!   clock. Then the connection is closed.
//! - **A cap.** At most [`ConnectionLimits::max_connections`] are open,
//!   never more than the open-file limit leaves room for. A new connection at
//!   the cap closes the connection that has been idle longest (one with no
//!   request in flight, which loses nothing); only when every connection is
//!   busy is the newcomer turned away.
//! - **Keep accepting.** When the process does run out of descriptors, the
//!   listener sheds an idle connection and goes on, instead of spinning on
//!   `accept` errors.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Descriptors kept back from connections for the database, files and plugins.
const RESERVED_DESCRIPTORS: u64 = 128;
/// How long in-flight requests may run on once the server is asked to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How many connections the listener holds and how long it waits on a client.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Open connections at most (lowered further to fit the open-file limit).
    pub max_connections: usize,
    /// Longest wait for a client's request headers or the next part of its body.
    pub request_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 4096,
            request_timeout: Duration::from_secs(30),
        }
    }
}

impl ConnectionLimits {
    /// The cap that fits under `open_files`, the process's descriptor limit.
    pub fn cap_for(&self, open_files: Option<u64>) -> usize {
        match open_files {
            Some(limit) => {
                let room = limit.saturating_sub(RESERVED_DESCRIPTORS).max(16);
                self.max_connections
                    .min(usize::try_from(room).unwrap_or(usize::MAX))
            }
            None => self.max_connections,
        }
    }
}

/// Raise the soft open-file limit to the hard one, so the cap is set by what
/// the system allows rather than a conservative default of 1,024. Returns
/// the soft limit in force afterwards (`None` when it is unlimited).
pub fn raise_open_file_limit() -> Option<u64> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => return limit.maximum,
            Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
        }
    }
    limit.current
}

/// The process's soft open-file limit (`None` when unlimited).
pub fn open_file_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// Serve `router` on `listener` until `shutdown` is cancelled, then let
/// in-flight requests finish (for a bounded time).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let cap = limits.cap_for(open_file_limit());
    let open = Arc::new(Open::default());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.request_timeout);
    let turned_away = AtomicU64::new(0);
    loop {
        let accepted = tokio::select! {
            biased;
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let Some(lease) = open.admit(cap) else {
                    // Every connection is mid-request: the newcomer is the one to go.
                    if turned_away
                        .fetch_add(1, Ordering::Relaxed)
                        .is_multiple_of(1000)
                    {
                        tracing::warn!(
                            cap,
                            "connection limit reached with every connection busy; refusing new ones"
                        );
                    }
                    drop(stream);
                    continue;
                };
                let conn = Connection {
                    stream,
                    peer,
                    lease,
                    router: router.clone(),
                    body_timeout: limits.request_timeout,
                    shutdown: shutdown.clone(),
                };
                tokio::spawn(conn.run(http.clone()));
            }
            Err(e) if out_of_descriptors(&e) => {
                let shed = open.shed_oldest_idle();
                tracing::warn!(error = %e, shed, "out of file descriptors; closing an idle connection");
                // Let the closed descriptor come back before accepting again.
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
    drop(listener);
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    while !open.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

fn out_of_descriptors(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(code) if code == rustix::io::Errno::MFILE.raw_os_error()
            || code == rustix::io::Errno::NFILE.raw_os_error()
    )
}

/// One accepted connection and what it needs to serve requests.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    lease: Lease,
    router: Router,
    body_timeout: Duration,
    shutdown: CancellationToken,
}

impl Connection {
    async fn run(self, http: hyper::server::conn::http1::Builder) {
        let Connection {
            stream,
            peer,
            lease,
            router,
            body_timeout,
            shutdown,
        } = self;
        let shed = lease.shed.clone();
        let lease = Arc::new(lease);
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let router = router.clone();
            let busy = Busy::start(lease.clone());
            async move {
                let mut request = request.map(|body| {
                    Body::new(tower_http::timeout::TimeoutBody::new(body_timeout, body))
                });
                // Sign-in throttling and the audit log read the peer from here.
                request.extensions_mut().insert(ConnectInfo(peer));
                let response = match router.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                // The connection stays busy until the response body is done or dropped
                // (an event stream can last hours); the closure owns the marker.
                Ok::<_, Infallible>(response.map(|body| {
                    Body::new(body.map_frame(move |frame| {
                        let _ = &busy;
                        frame
                    }))
                }))
            }
        });
        let conn = http.serve_connection(TokioIo::new(stream), service);
        tokio::pin!(conn);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
            }
            // Shed while idle: nothing is in flight, so closing at once loses nothing.
            _ = shed.cancelled() => {}
            _ = shutdown.cancelled() => {
                conn.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(SHUTDOWN_GRACE, conn).await;
            }
        }
    }
}

/// The open connections, with which of them are idle and since when.
#[derive(Default)]
struct Open {
    slots: Mutex<Slots>,
}

#[derive(Default)]
struct Slots {
    next_id: u64,
    by_id: HashMap<u64, Slot>,
}

struct Slot {
    /// Requests in flight on the connection.
    busy: u32,
    /// When the connection last had nothing in flight (or was accepted).
    idle_since: Instant,
    shed: CancellationToken,
}

impl Open {
    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        // The bookkeeping is plain counters: a panic elsewhere cannot leave it inconsistent.
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Room for one more connection, shedding the longest-idle one at the cap;
    /// `None` when every connection is busy.
    fn admit(self: &Arc<Self>, cap: usize) -> Option<Lease> {
        let mut slots = self.lock();
        if slots.by_id.len() >= cap && !Self::shed_locked(&mut slots) {
            return None;
        }
        let id = slots.next_id;
        slots.next_id += 1;
        let shed = CancellationToken::new();
        slots.by_id.insert(
            id,
            Slot {
                busy: 0,
                idle_since: Instant::now(),
                shed: shed.clone(),
            },
        );
        Some(Lease {
            open: self.clone(),
            id,
            shed,
        })
    }

    /// Close the connection idle the longest; false when none is idle.
    fn shed_oldest_idle(&self) -> bool {
        Self::shed_locked(&mut self.lock())
    }

    fn shed_locked(slots: &mut Slots) -> bool {
        let oldest = slots
            .by_id
            .iter()
            .filter(|(_, s)| s.busy == 0)
            .min_by_key(|(_, s)| s.idle_since)
            .map(|(id, _)| *id);
        match oldest.and_then(|id| slots.by_id.remove(&id)) {
            Some(slot) => {
                slot.shed.cancel();
                true
            }
            None => false,
        }
    }

    fn is_empty(&self) -> bool {
        self.lock().by_id.is_empty()
    }
}

/// A connection's place among the open ones, given back when it closes.
struct Lease {
    open: Arc<Open>,
    id: u64,
    shed: CancellationToken,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.open.lock().by_id.remove(&self.id);
    }
}

/// A request in flight on a connection, from its head until its response is done.
struct Busy(Arc<Lease>);

impl Busy {
    fn start(lease: Arc<Lease>) -> Busy {
        if let Some(slot) = lease.open.lock().by_id.get_mut(&lease.id) {
            slot.busy += 1;
        }
        Busy(lease)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        if let Some(slot) = self.0.open.lock().by_id.get_mut(&self.0.id) {
            slot.busy = slot.busy.saturating_sub(1);
            if slot.busy == 0 {
                slot.idle_since = Instant::now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_descriptors_for_everything_else() {
        let limits = ConnectionLimits {
            max_connections: 4096,
            request_timeout: Duration::from_secs(30),
        };
        assert_eq!(limits.cap_for(Some(1024)), 1024 - 128);
        assert_eq!(limits.cap_for(Some(1_048_576)), 4096);
        assert_eq!(limits.cap_for(Some(64)), 16, "never below a usable floor");
        assert_eq!(limits.cap_for(None), 4096);
    }

    #[test]
    fn at_the_cap_the_longest_idle_connection_goes_and_busy_ones_stay() {
        let open = Arc::new(Open::default());
        let first = open.admit(2).expect("room");
        let second = Arc::new(open.admit(2).expect("room"));
        let request = Busy::start(second.clone());
        // The first is idle and oldest: it is shed to make room.
        let third = Arc::new(open.admit(2).expect("an idle one was shed"));
        assert!(first.shed.is_cancelled());
        assert!(!second.shed.is_cancelled());
        // Both open connections are mid-request: the newcomer is refused.
        let _other = Busy::start(third.clone());
        assert!(open.admit(2).is_none(), "every connection is busy");
        // The second finishes its request: idle now, it is the one shed.
        drop(request);
        assert!(open.admit(2).is_some());
        assert!(second.shed.is_cancelled());
        assert!(!third.shed.is_cancelled());
    }
}

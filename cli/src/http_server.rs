//! The local HTTP server: axum's router on hyper, with what `axum::serve` leaves out and an
//! exposed server needs: a deadline for the request head (a client that never finishes its
//! headers is dropped: slowloris), a deadline between body chunks and for the whole request,
//! and a cap on open connections (beyond it, new connections wait in the kernel's backlog).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt as _;

/// Limits of the local server.
#[derive(Debug, Clone, clap::Args)]
pub struct HttpLimits {
    /// Seconds a client may take to send a request's headers.
    #[arg(long, default_value_t = 10)]
    pub header_timeout_secs: u64,
    /// Seconds a request may take from its headers to its answer (body upload included).
    #[arg(long, default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Open connections at most; more wait to be accepted.
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
}

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &HttpLimits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let request_timeout = Duration::from_secs(limits.request_timeout_secs.max(1));
    let app = app
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            request_timeout,
        ))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            request_timeout,
        ));
    let max_connections = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let connections = Arc::new(Semaphore::new(max_connections));
    let (closing_tx, closing) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(limits.header_timeout_secs.max(1)));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit,
            () = &mut shutdown => break,
        };
        let Ok(permit) = permit else { break };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(app.clone().map_request(
            |request: axum::http::Request<Incoming>| request.map(axum::body::Body::new),
        ));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let mut closing = closing.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let result = tokio::select! {
                result = connection.as_mut() => result,
                _ = async { closing.wait_for(|closing| *closing).await.map(|_| ()) } => {
                    // Finish the request in flight, then close.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    let _ = closing_tx.send(true);
    // Every connection returns its permit when it ends.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(request_timeout, connections.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the request timeout; closing them");
    }
    Ok(())
}

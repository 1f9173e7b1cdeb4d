//! The HTTPS server: rustls (TLS 1.2 and 1.3), HTTP/1.1 keep-alive and HTTP/2 (ALPN),
//! `POST /validate`, `POST /mutate`, `GET /healthz`, `/readyz`, `/metrics`.
//!
//! Hardening: bodies over [`BODY_LIMIT`] are refused with 413, request headers must arrive
//! within [`HEADER_TIMEOUT`] and bodies within [`BODY_TIMEOUT`], a TLS handshake within
//! [`HANDSHAKE_TIMEOUT`]; plain HTTP on the TLS port fails the handshake and the connection is
//! closed. The certificate and key files are polled and reloaded when they change (as
//! cert-manager or a kubelet-projected Secret rotates them): new handshakes get the new
//! certificate, established connections are untouched. On shutdown the listener closes,
//! `/readyz` turns 503, and in-flight requests drain (up to the drain timeout). With the
//! namespace watch, `/readyz` is 503 too until the first list of Namespaces arrived.
//!
//! Logs are JSON lines on stderr: lifecycle events, denials and errors, with the request's
//! uid, operation, resource, namespace and name, never the object itself.

use std::convert::Infallible;
use std::future::Future;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde_json::json;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::metrics::{Metrics, RequestLabels};
use crate::review::{self, Endpoint};
use crate::{Config, Namespaces};

/// Largest accepted request body (the API server's own limit for admission requests is 3 MiB).
pub const BODY_LIMIT: usize = 3 * 1024 * 1024;
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the certificate files are checked for changes.
pub const CERT_POLL: Duration = Duration::from_secs(1);

/// What `tailor webhook serve` needs.
pub struct Options {
    pub listen: SocketAddr,
    pub tls_cert: PathBuf,
    pub tls_key: PathBuf,
    pub config: Config,
    pub namespaces: NamespaceSource,
    /// How long in-flight requests may take to finish after shutdown starts.
    pub drain_timeout: Duration,
}

/// Where namespace labels come from.
pub enum NamespaceSource {
    /// A fixed set (`--namespaces FILE`), for offline runs and tests.
    Fixed(Namespaces),
    /// A watch of the cluster's Namespaces (`--kubeconfig`/`--context`, or in-cluster).
    Watch(tailor_cluster::ConnectOptions),
}

struct State {
    config: Config,
    namespaces: Arc<Namespaces>,
    metrics: Metrics,
    ready: AtomicBool,
}

/// A bound server, not yet serving (so callers can read the address first).
pub struct Server {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    certs: Arc<CertStore>,
    state: Arc<State>,
    drain_timeout: Duration,
    /// The client of the namespace watch, when labels come from the cluster.
    watch: Option<kube::Client>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Certificate(String),
    #[error("cannot listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("cannot connect to the cluster for the namespace watch: {0}")]
    Cluster(String),
}

impl Server {
    pub async fn bind(options: Options) -> Result<Server, ServeError> {
        let metrics = Metrics::default();
        let certs = Arc::new(CertStore::load(&options.tls_cert, &options.tls_key).map_err(ServeError::Certificate)?);
        metrics.certificate_expiry.set(certs.expiry());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| ServeError::Certificate(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(certs.clone());
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let (namespaces, watch) = match options.namespaces {
            NamespaceSource::Fixed(namespaces) => (namespaces, None),
            NamespaceSource::Watch(connect) => (
                Namespaces::awaiting_watch(),
                Some(tailor_cluster::client(&connect).await.map_err(ServeError::Cluster)?),
            ),
        };
        let listener = TcpListener::bind(options.listen)
            .await
            .map_err(|e| ServeError::Listen(options.listen, e))?;
        Ok(Server {
            listener,
            acceptor: TlsAcceptor::from(Arc::new(tls)),
            certs,
            state: Arc::new(State {
                config: options.config,
                namespaces: Arc::new(namespaces),
                metrics,
                ready: AtomicBool::new(false),
            }),
            drain_timeout: options.drain_timeout,
            watch,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then drains in-flight requests.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Server {
            listener,
            acceptor,
            certs,
            state,
            drain_timeout,
            watch,
        } = self;
        let addr = listener.local_addr().ok();
        log("info", "listening", json!({"addr": addr.map(|a| a.to_string())}));
        let reloader = tokio::spawn(reload_certificates(certs, state.clone()));
        let namespace_watch = watch.map(|client| tokio::spawn(crate::watch::follow(client, state.namespaces.clone())));
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_TIMEOUT)
            .keep_alive(true);
        builder.http2().timer(TokioTimer::new()).max_concurrent_streams(256);
        let builder = Arc::new(builder);
        let graceful = GracefulShutdown::new();
        state.ready.store(true, Ordering::SeqCst);
        tokio::pin!(shutdown);
        loop {
            let (tcp, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // E.g. out of file descriptors: back off instead of spinning.
                        log("error", "accept failed", json!({"error": e.to_string()}));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = &mut shutdown => break,
            };
            let _ = tcp.set_nodelay(true);
            let (acceptor, builder, state) = (acceptor.clone(), builder.clone(), state.clone());
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        log(
                            "warn",
                            "TLS handshake failed",
                            json!({"peer": peer.to_string(), "error": e.to_string()}),
                        );
                        return;
                    }
                    Err(_) => {
                        log("warn", "TLS handshake timed out", json!({"peer": peer.to_string()}));
                        return;
                    }
                };
                let service = hyper::service::service_fn(move |request| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(route(request, &state).await) }
                });
                let connection = builder.serve_connection(TokioIo::new(tls), service);
                // Errors here are client-side (reset, timeout, bad framing): nothing to answer.
                let _ = watcher.watch(connection).await;
            });
        }
        drop(listener);
        state.ready.store(false, Ordering::SeqCst);
        log("info", "draining", json!({}));
        if tokio::time::timeout(drain_timeout, graceful.shutdown()).await.is_err() {
            log("warn", "drain timed out", json!({"timeout_s": drain_timeout.as_secs()}));
        }
        reloader.abort();
        if let Some(task) = namespace_watch {
            task.abort();
        }
        log("info", "stopped", json!({}));
    }
}

type Reply = Response<Full<Bytes>>;

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Reply {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    if let Ok(value) = content_type.parse() {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    response
}

async fn route(request: Request<Incoming>, state: &State) -> Reply {
    let endpoint = match (request.method(), request.uri().path()) {
        (&Method::POST, "/validate") => Endpoint::Validate,
        (&Method::POST, "/mutate") => Endpoint::Mutate,
        (&Method::GET, "/healthz") => return count(state, "health", reply(StatusCode::OK, "text/plain", "ok")),
        (&Method::GET, "/readyz") => {
            let (code, text) = if !state.ready.load(Ordering::SeqCst) {
                (StatusCode::SERVICE_UNAVAILABLE, "not serving")
            } else if !state.namespaces.is_synced() {
                (StatusCode::SERVICE_UNAVAILABLE, "namespaces not listed yet")
            } else {
                (StatusCode::OK, "ok")
            };
            return count(state, "health", reply(code, "text/plain", text));
        }
        (&Method::GET, "/metrics") => {
            let text = state.metrics.encode();
            return count(
                state,
                "metrics",
                reply(
                    StatusCode::OK,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    text,
                ),
            );
        }
        (_, "/validate" | "/mutate") => {
            return count(
                state,
                "other",
                reply(StatusCode::METHOD_NOT_ALLOWED, "text/plain", "use POST"),
            )
        }
        _ => return count(state, "other", reply(StatusCode::NOT_FOUND, "text/plain", "not found")),
    };
    let started = Instant::now();
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > BODY_LIMIT as u64) {
        return error(
            state,
            endpoint,
            StatusCode::PAYLOAD_TOO_LARGE,
            "request body over 3 MiB",
        );
    }
    let body = match tokio::time::timeout(BODY_TIMEOUT, Limited::new(request.into_body(), BODY_LIMIT).collect()).await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => {
            return error(
                state,
                endpoint,
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body over 3 MiB",
            )
        }
        Ok(Err(e)) => {
            return error(
                state,
                endpoint,
                StatusCode::BAD_REQUEST,
                &format!("cannot read body: {e}"),
            )
        }
        Err(_) => return error(state, endpoint, StatusCode::REQUEST_TIMEOUT, "request body too slow"),
    };
    let answer = review::handle(endpoint, &body, &state.config, &state.namespaces);
    state.metrics.latency.observe(started.elapsed().as_secs_f64());
    match answer {
        Ok((bytes, outcome)) => {
            let decision = match (outcome.allowed, outcome.patched) {
                (false, _) => "deny",
                (true, true) => "patch",
                (true, false) => "allow",
            };
            if !outcome.allowed {
                log(
                    "info",
                    "denied",
                    json!({"endpoint": endpoint.as_str(), "uid": outcome.uid, "operation": outcome.operation,
                           "resource": outcome.resource, "namespace": outcome.namespace, "name": outcome.name,
                           "code": outcome.code}),
                );
            }
            state
                .metrics
                .requests
                .get_or_create(&RequestLabels {
                    endpoint: endpoint.as_str().into(),
                    operation: outcome.operation,
                    decision: decision.into(),
                    code: outcome.code,
                })
                .inc();
            reply(StatusCode::OK, "application/json", bytes)
        }
        Err(bad) => error(state, endpoint, StatusCode::BAD_REQUEST, &bad.to_string()),
    }
}

fn count(state: &State, endpoint: &str, response: Reply) -> Reply {
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            endpoint: endpoint.into(),
            operation: String::new(),
            decision: String::new(),
            code: response.status().as_u16(),
        })
        .inc();
    response
}

fn error(state: &State, endpoint: Endpoint, status: StatusCode, message: &str) -> Reply {
    log(
        "warn",
        "bad request",
        json!({"endpoint": endpoint.as_str(), "code": status.as_u16(), "error": message}),
    );
    state
        .metrics
        .requests
        .get_or_create(&RequestLabels {
            endpoint: endpoint.as_str().into(),
            operation: String::new(),
            decision: "error".into(),
            code: status.as_u16(),
        })
        .inc();
    reply(status, "text/plain", format!("{message}\n"))
}

/// One JSON log line on stderr.
pub fn log(level: &str, message: &str, fields: serde_json::Value) {
    let ts = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let mut line = json!({"ts": ts, "level": level, "msg": message});
    if let (Some(line), serde_json::Value::Object(fields)) = (line.as_object_mut(), fields) {
        line.extend(fields);
    }
    // One write per line: stderr is unbuffered, and `eprintln!` of a JSON value writes each
    // piece with a syscall of its own (40% of the server's CPU at 2,000 denials/s).
    let mut text = line.to_string();
    text.push('\n');
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The serving certificate, swapped in place when its files change.
#[derive(Debug)]
struct CertStore {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<(Arc<CertifiedKey>, i64)>,
}

impl CertStore {
    fn load(cert_path: &Path, key_path: &Path) -> Result<CertStore, String> {
        let loaded = load_certified_key(cert_path, key_path)?;
        Ok(CertStore {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            current: RwLock::new(loaded),
        })
    }

    fn expiry(&self) -> i64 {
        self.current.read().unwrap_or_else(|e| e.into_inner()).1
    }

    /// Modification times and sizes of both files, to notice a rotation.
    fn stamp(&self) -> Option<[(SystemTime, u64); 2]> {
        let of = |p: &Path| {
            std::fs::metadata(p)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        };
        Some([of(&self.cert_path)?, of(&self.key_path)?])
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|e| e.into_inner()).0.clone())
    }
}

/// Reads a PEM chain and key; the key must match the leaf. Also returns the leaf's expiry.
fn load_certified_key(cert_path: &Path, key_path: &Path) -> Result<(Arc<CertifiedKey>, i64), String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let cert_pem = read(cert_path)?;
    let key_pem = read(key_path)?;
    let chain = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", cert_path.display()))?;
    let Some(leaf) = chain.first() else {
        return Err(format!("{}: no certificate found", cert_path.display()));
    };
    let expiry = x509_parser::parse_x509_certificate(leaf)
        .map_err(|e| format!("{}: {e}", cert_path.display()))?
        .1
        .validity()
        .not_after
        .timestamp();
    let key = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(|e| format!("{}: {e}", key_path.display()))?
        .ok_or_else(|| format!("{}: no private key found", key_path.display()))?;
    let provider = rustls::crypto::ring::default_provider();
    let certified = CertifiedKey::from_der(chain, key, &provider)
        .map_err(|e| format!("{} and {}: {e}", cert_path.display(), key_path.display()))?;
    Ok((Arc::new(certified), expiry))
}

async fn reload_certificates(certs: Arc<CertStore>, state: Arc<State>) {
    let mut seen = certs.stamp();
    loop {
        tokio::time::sleep(CERT_POLL).await;
        let now = certs.stamp();
        if now.is_none() || now == seen {
            continue;
        }
        // A rotation writes two files: wait for both before reading them.
        tokio::time::sleep(Duration::from_millis(100)).await;
        match load_certified_key(&certs.cert_path, &certs.key_path) {
            Ok(loaded) => {
                state.metrics.certificate_expiry.set(loaded.1);
                state.metrics.certificate_reloads.inc();
                *certs.current.write().unwrap_or_else(|e| e.into_inner()) = loaded;
                seen = certs.stamp();
                log("info", "certificate reloaded", json!({"not_after": certs.expiry()}));
            }
            Err(e) => {
                // Keep serving the old certificate; retry on the next change.
                log("error", "certificate reload failed", json!({"error": e}));
                seen = now;
            }
        }
    }
}

/// Runs the server on its own runtime until SIGTERM or SIGINT, then drains. For the CLI, which
/// has no runtime of its own.
///
/// One thread: the Deployment gives each replica one CPU and scales by replicas. A single event
/// loop keeps each request on the thread that read it, with its caches warm; the work-stealing
/// runtime handed requests between threads and woke the idle one after each, for a p99 ~10%
/// higher on `bench/webhook-load.sh`.
pub fn serve_until_signal(options: Options) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeError::Listen(options.listen, e))?;
    runtime.block_on(async {
        let server = Server::bind(options).await?;
        let listen = server
            .local_addr()
            .map_err(|e| ServeError::Listen(([0, 0, 0, 0], 0).into(), e))?;
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .map_err(|e| ServeError::Listen(listen, e))?;
        let shutdown = async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        server.run(shutdown).await;
        Ok(())
    })
}

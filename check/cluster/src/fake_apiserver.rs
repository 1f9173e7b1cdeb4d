//! A stand-in for the Kubernetes API server, for the CLI tests and `bench/cluster-scale.sh`:
//! HTTPS with its own CA (rcgen) through tokio-rustls, bearer-token authentication, and the
//! API server's answers for the reads Tailor makes — `XList` documents with
//! `metadata.resourceVersion` and `continue` tokens, `Status` objects for 401, 403 (per kind
//! and namespace), 404 (a CRD that is not installed) and 410 (a stale `continue`), and
//! `?watch=true` streams of `WatchEvent`s for the changes a test makes with [`Server::apply`]
//! and [`Server::delete`] (the webhook's namespace watch reads them).
//!
//! It serves a fixed set of objects; it is not a mock of Tailor's code, the real `kube`
//! client talks to it over real TLS.

use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio_rustls::rustls;

use crate::resources::{Resource, READ};

/// What the server holds and how it misbehaves.
#[derive(Debug, Default)]
pub struct Fixture {
    /// Complete objects (`apiVersion`, `kind`, `metadata`), served under the resource of
    /// [`READ`] with the same `apiVersion` and `kind`.
    pub objects: Vec<Value>,
    /// `(plural, namespace)` pairs answered with 403; namespace `None` forbids the cluster-wide
    /// list (and, for namespaced kinds, every namespace).
    pub forbidden: Vec<(String, Option<String>)>,
    /// Resources whose first `continue` token is answered with 410 Gone (once each).
    pub expire_first_continue: HashSet<String>,
    /// Whether the SeccompProfile CRD is installed (404 on its URLs otherwise).
    pub seccomp_profile_crd: bool,
    /// Largest page served whatever `limit` asks (0: as asked).
    pub max_page: usize,
}

/// Counters of what the server answered, for assertions.
#[derive(Debug, Default, Clone)]
pub struct Served {
    pub pages: usize,
    pub continued: usize,
    pub gone: usize,
    pub forbidden: usize,
    /// Every request path, with its query.
    pub paths: Vec<String>,
}

pub struct Server {
    pub addr: SocketAddr,
    /// The CA that signed the serving certificate (PEM).
    pub ca_pem: String,
    pub token: String,
    served: Arc<Mutex<Served>>,
    state: Arc<State>,
}

impl Server {
    /// Creates or replaces `object` (matched by kind, namespace and name) and sends `ADDED` or
    /// `MODIFIED` to the open watches of its resource, with a new resourceVersion.
    pub fn apply(&self, object: Value) {
        self.change(object, false);
    }

    /// Deletes `object` (matched by kind, namespace and name) and sends `DELETED`.
    pub fn delete(&self, object: Value) {
        self.change(object, true);
    }

    fn change(&self, mut object: Value, delete: bool) {
        let Some(resource) = crate::resources::find(
            object["apiVersion"].as_str().unwrap_or_default(),
            object["kind"].as_str().unwrap_or_default(),
        ) else {
            panic!("the fake API server does not serve {}", object["kind"]);
        };
        let version = self.state.next_resource_version();
        object["metadata"]["resourceVersion"] = json!(version);
        let same = |o: &Value| {
            o["metadata"]["name"] == object["metadata"]["name"]
                && o["metadata"]["namespace"] == object["metadata"]["namespace"]
        };
        let kind = {
            let mut by_resource = self.state.by_resource.lock().unwrap();
            let objects = by_resource.entry(resource.plural).or_default();
            let existing = objects.iter().position(same);
            match (existing, delete) {
                (Some(at), true) => {
                    objects.remove(at);
                    "DELETED"
                }
                (None, true) => return,
                (Some(at), false) => {
                    objects[at] = object.clone();
                    "MODIFIED"
                }
                (None, false) => {
                    objects.push(object.clone());
                    "ADDED"
                }
            }
        };
        let line = Bytes::from(format!("{}\n", json!({"type": kind, "object": object})));
        let namespace = object["metadata"]["namespace"].as_str().map(str::to_owned);
        // A watch whose client went away has a closed channel: drop it.
        self.state.watches.lock().unwrap().retain(|watch| {
            let in_scope =
                watch.plural == resource.plural && (watch.namespace.is_none() || watch.namespace == namespace);
            !in_scope || watch.events.send(line.clone()).is_ok()
        });
    }

    pub fn served(&self) -> Served {
        self.served.lock().unwrap().clone()
    }

    /// A kubeconfig (JSON is YAML) for this server: `certificate-authority-data` and a token.
    pub fn kubeconfig(&self, namespace: &str) -> String {
        let ca = base64::engine::general_purpose::STANDARD.encode(&self.ca_pem);
        json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "fake", "cluster": {
                "server": format!("https://{}", self.addr),
                "certificate-authority-data": ca,
            }}],
            "users": [{"name": "tailor", "user": {"token": self.token}}],
            "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "tailor", "namespace": namespace}}],
            "current-context": "fake",
        })
        .to_string()
    }
}

/// An open `?watch=true` request.
struct Watch {
    plural: &'static str,
    namespace: Option<String>,
    events: tokio::sync::mpsc::UnboundedSender<Bytes>,
}

struct State {
    /// Objects by plural resource name, in a stable order.
    by_resource: Mutex<BTreeMap<&'static str, Vec<Value>>>,
    watches: Mutex<Vec<Watch>>,
    fixture: Fixture,
    token: String,
    /// Resources whose first continue token already got its 410.
    expired: Mutex<HashSet<String>>,
    served: Arc<Mutex<Served>>,
    /// Bumped by every list: a continue token carries the one it was issued under.
    resource_version: std::sync::atomic::AtomicU64,
}

impl State {
    fn next_resource_version(&self) -> String {
        self.resource_version
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .to_string()
    }
}

/// Every response body: whole documents, or a watch's stream of event lines.
type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, Infallible>;

/// A watch response: one chunk per event line, open until the client goes away.
struct WatchBody(tokio::sync::mpsc::UnboundedReceiver<Bytes>);

impl hyper::body::Body for WatchBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Infallible>>> {
        self.0
            .poll_recv(context)
            .map(|line| line.map(|line| Ok(hyper::body::Frame::data(line))))
    }
}

/// Starts serving `fixture` on 127.0.0.1 (a free port) on the current tokio runtime.
pub async fn start(fixture: Fixture) -> std::io::Result<Server> {
    let (ca_pem, config) = tls_config();
    let mut by_resource: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    for object in &fixture.objects {
        let (api_version, kind) = (object["apiVersion"].as_str(), object["kind"].as_str());
        if let Some(resource) = READ
            .iter()
            .find(|r| Some(r.api_version().as_str()) == api_version && Some(r.kind) == kind)
        {
            by_resource.entry(resource.plural).or_default().push(object.clone());
        }
    }
    let served = Arc::new(Mutex::new(Served::default()));
    let token = "tailor-test-token".to_owned();
    let state = Arc::new(State {
        by_resource: Mutex::new(by_resource),
        watches: Mutex::default(),
        fixture,
        token: token.clone(),
        expired: Mutex::default(),
        served: served.clone(),
        resource_version: 1000.into(),
    });
    let state_for_server = state.clone();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, state) = (acceptor.clone(), state.clone());
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(stream).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |request| {
                    let state = state.clone();
                    async move { Ok::<_, Infallible>(answer(&state, request)) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(Server {
        addr,
        ca_pem,
        token,
        served,
        state: state_for_server,
    })
}

/// A CA and a serving certificate for `localhost` and 127.0.0.1 signed by it.
fn tls_config() -> (String, rustls::ServerConfig) {
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "tailor test CA");
    ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("CA certificate");
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).expect("parameters");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kube-apiserver");
    let key = rcgen::KeyPair::generate().expect("serving key");
    let cert = params.signed_by(&key, &ca).expect("serving certificate");
    let key_der = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.der().clone(), ca.der().clone()], key_der)
        .expect("serving certificate and key");
    (ca.pem(), config)
}

fn respond(code: StatusCode, body: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())).boxed_unsync())
        .expect("a valid response")
}

fn status(code: StatusCode, reason: &str, message: String, details: Value) -> Response<Body> {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "details": details, "code": code.as_u16(),
    });
    respond(code, &body)
}

/// `/api/v1[/namespaces/NS]/PLURAL[/NAME]` or `/apis/G/V[/namespaces/NS]/PLURAL[/NAME]`.
struct Route<'a> {
    resource: &'static Resource,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
}

fn route(path: &str) -> Option<Route<'_>> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segments.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(*ns), rest),
        _ => (None, rest),
    };
    let (plural, name) = match rest {
        [plural] => (*plural, None),
        [plural, name] => (*plural, Some(*name)),
        _ => return None,
    };
    let resource = READ
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)?;
    Some(Route {
        resource,
        namespace,
        name,
    })
}

fn answer(state: &State, request: Request<Incoming>) -> Response<Body> {
    let uri = request.uri().clone();
    state
        .served
        .lock()
        .unwrap()
        .paths
        .push(uri.path_and_query().map(ToString::to_string).unwrap_or_default());
    let authorized = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {}", state.token));
    if !authorized {
        return status(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized".into(),
            json!({}),
        );
    }
    if request.method() != hyper::Method::GET {
        return status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "read-only server".into(),
            json!({}),
        );
    }
    let not_found = || {
        status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource".into(),
            json!({}),
        )
    };
    let Some(route) = route(uri.path()) else {
        return not_found();
    };
    let resource = route.resource;
    if resource.optional && !state.fixture.seccomp_profile_crd {
        return not_found();
    }
    let forbidden = state
        .fixture
        .forbidden
        .iter()
        .any(|(plural, ns)| plural == resource.plural && (ns.is_none() || ns.as_deref() == route.namespace));
    if forbidden {
        state.served.lock().unwrap().forbidden += 1;
        let group = resource.group;
        let scope = match route.namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_owned(),
        };
        let verb = if route.name.is_some() { "get" } else { "list" };
        let message = format!(
            "{plural} is forbidden: User \"system:serviceaccount:tailor:tailor\" cannot {verb} resource \"{plural}\" in API group \"{group}\" {scope}",
            plural = resource.plural
        );
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            message,
            json!({"kind": resource.plural}),
        );
    }
    let query: BTreeMap<&str, &str> = uri
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .collect();
    if route.name.is_none() && matches!(query.get("watch"), Some(&"true" | &"1")) {
        // Events from now on; the client's resourceVersion is this server's latest anyway.
        let (events, receiver) = tokio::sync::mpsc::unbounded_channel();
        state.watches.lock().unwrap().push(Watch {
            plural: resource.plural,
            namespace: route.namespace.map(str::to_owned),
            events,
        });
        return Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(WatchBody(receiver).boxed_unsync())
            .expect("a valid response");
    }
    let by_resource = state.by_resource.lock().unwrap();
    let objects = by_resource.get(resource.plural).map(Vec::as_slice).unwrap_or_default();
    let in_scope =
        |object: &&Value| route.namespace.is_none() || object["metadata"]["namespace"].as_str() == route.namespace;
    if let Some(name) = route.name {
        return match objects
            .iter()
            .filter(in_scope)
            .find(|o| o["metadata"]["name"].as_str() == Some(name))
        {
            Some(object) => respond(StatusCode::OK, object),
            None => status(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("{} \"{name}\" not found", resource.plural),
                json!({"name": name, "kind": resource.plural}),
            ),
        };
    }
    let mut limit = query
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(usize::MAX);
    if state.fixture.max_page > 0 {
        limit = limit.min(state.fixture.max_page);
    }
    let start = match query.get("continue") {
        None => 0,
        Some(token) => {
            let first = state.expired.lock().unwrap().insert(resource.plural.to_owned());
            if first && state.fixture.expire_first_continue.contains(resource.plural) {
                state.served.lock().unwrap().gone += 1;
                return status(
                    StatusCode::GONE,
                    "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.".into(),
                    json!({}),
                );
            }
            state.served.lock().unwrap().continued += 1;
            match decode_token(token) {
                Some(start) => start,
                None => {
                    return status(
                        StatusCode::BAD_REQUEST,
                        "BadRequest",
                        "continue key is not valid".into(),
                        json!({}),
                    )
                }
            }
        }
    };
    let matching: Vec<&Value> = objects.iter().filter(in_scope).collect();
    let end = start.saturating_add(limit).min(matching.len());
    let resource_version = state.next_resource_version();
    let mut metadata = json!({"resourceVersion": resource_version});
    if end < matching.len() {
        metadata["continue"] = Value::String(encode_token(end));
        metadata["remainingItemCount"] = json!(matching.len() - end);
    }
    // List items carry no apiVersion and kind, as the API server sends them.
    let items: Vec<Value> = matching[start.min(end)..end]
        .iter()
        .map(|object| {
            let mut item = (*object).clone();
            if let Some(map) = item.as_object_mut() {
                map.remove("apiVersion");
                map.remove("kind");
            }
            item
        })
        .collect();
    state.served.lock().unwrap().pages += 1;
    respond(
        StatusCode::OK,
        &json!({
            "kind": format!("{}List", resource.kind),
            "apiVersion": resource.api_version(),
            "metadata": metadata,
            "items": items,
        }),
    )
}

/// Continue tokens are opaque base64 to clients, as the API server's are.
fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{{\"v\":\"meta.k8s.io/v1\",\"start\":{offset}}}"))
}

fn decode_token(token: &str) -> Option<usize> {
    let token = percent_decode(token);
    let bytes = base64::engine::general_purpose::STANDARD.decode(token).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value["start"].as_u64().map(|n| n as usize)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every object under `dir` (YAML or JSON manifests) of a kind Tailor reads, as an API server
/// would hold it: namespaced objects without a namespace land in `default`, every object gets
/// a `uid`. Unparsable documents, and objects an API server would have refused, are skipped:
/// the corpus is third-party input.
pub fn corpus_objects(dir: &std::path::Path) -> Vec<Value> {
    let (inputs, _) = tailor_manifest::files::expand(&[dir.display().to_string()]);
    let mut objects = Vec::new();
    for input in inputs {
        let Ok(text) = input.read() else { continue };
        for document in tailor_manifest::parse_stream(&text).into_iter().flatten() {
            for object in document.objects().0 {
                let Some(resource) = crate::resources::find(&object.type_meta.api_version, &object.type_meta.kind)
                else {
                    continue;
                };
                if !admissible(&object.type_meta, object.value) {
                    continue;
                }
                let mut value = object.value.clone();
                if resource.namespaced && value["metadata"]["namespace"].as_str().is_none() {
                    value["metadata"]["namespace"] = json!("default");
                }
                if !resource.namespaced {
                    if let Some(map) = value["metadata"].as_object_mut() {
                        map.remove("namespace");
                    }
                }
                value["metadata"]["uid"] = json!(format!("uid-{}", objects.len()));
                objects.push(value);
            }
        }
    }
    objects
}

/// Whether an API server would have stored `object`: a name, and fields of the right types
/// (the corpus holds unrendered templates such as `port: ${PORT}`).
fn admissible(type_meta: &tailor_kube::TypeMeta, object: &Value) -> bool {
    let named = object["metadata"]["name"].as_str().is_some_and(|name| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.".contains(&b))
    });
    let pod_decodes = match tailor_kube::PodBearingKind::classify(type_meta) {
        Some(kind) => tailor_kube::PodTemplate::extract(kind, object).is_ok(),
        None => true,
    };
    named && pod_decodes && tailor_kube::KubeObject::decode(type_meta, object).is_ok()
}

/// `count` objects cycled from `objects`, each renamed `<name>-<n>` with its own uid: a cluster
/// of any size built from real manifests.
pub fn scaled(objects: &[Value], count: usize) -> Vec<Value> {
    (0..count)
        .map(|n| {
            let mut object = objects[n % objects.len()].clone();
            let name = object["metadata"]["name"].as_str().unwrap_or_default().to_owned();
            object["metadata"]["name"] = json!(format!("{name}-{n}"));
            object["metadata"]["uid"] = json!(format!("uid-scaled-{n}"));
            object
        })
        .collect()
}

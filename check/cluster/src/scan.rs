//! Listing the cluster: paged, bounded, paced, and honest about what could not be read.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::Value;
use tailor_check::report::NotAssessed;
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

use crate::owners::{Owners, Placement};
use crate::resources::{Phase, Resource, NAMESPACES, READ};

/// One object read from the cluster, with `apiVersion` and `kind` set (list items lack them).
#[derive(Debug)]
pub struct ClusterObject {
    /// A pseudo-file naming the object: `cluster://<namespace>/<Kind>/<name>`, with an empty
    /// namespace for cluster-scoped objects (`cluster:///ClusterRole/admin`).
    pub source: String,
    pub value: Value,
}

/// Which namespaces to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `-A`: every namespace.
    AllNamespaces,
    /// `-n NS` (or the kubeconfig context's namespace, as kubectl does): namespaced kinds in
    /// this namespace, its Namespace object, and the cluster-wide RBAC that can grant rights in
    /// it (ClusterRoles, ClusterRoleBindings).
    Namespace(String),
}

#[derive(Clone, Debug)]
pub struct ScanOptions {
    pub scope: Scope,
    /// Objects per page (`limit`); kubectl's default chunk size.
    pub page_size: u32,
    /// Requests in flight at once.
    pub max_in_flight: usize,
    /// Client-side rate limit (kubectl's default QPS is 50).
    pub requests_per_second: f64,
}

impl ScanOptions {
    pub fn new(scope: Scope) -> ScanOptions {
        ScanOptions {
            scope,
            page_size: 500,
            max_in_flight: 4,
            requests_per_second: 50.0,
        }
    }
}

/// What a scan saw besides the objects it streamed.
#[derive(Debug, Default)]
pub struct Scan {
    /// Kinds (in a namespace, or cluster-wide) the credentials could not list, with why.
    pub not_assessed: Vec<NotAssessed>,
    /// Top-level owner → replicas (ReplicaSets, Jobs, Pods) folded into it.
    pub folded: BTreeMap<String, usize>,
    /// API requests made.
    pub requests: usize,
    /// Lists restarted after a `410 Gone` on a stale `continue` token.
    pub restarts: usize,
}

/// Where the credentials come from.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    /// `--kubeconfig`; without it `$KUBECONFIG`, then `~/.kube/config`, then the in-cluster
    /// service account.
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

/// A client for the cluster `options` name.
pub async fn client(options: &ConnectOptions) -> Result<Client, String> {
    let kube_options = KubeConfigOptions {
        context: options.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = match &options.kubeconfig {
        Some(path) => {
            let kubeconfig = Kubeconfig::read_from(path).map_err(|e| format!("{}: {e}", path.display()))?;
            Config::from_custom_kubeconfig(kubeconfig, &kube_options)
                .await
                .map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => match Config::from_kubeconfig(&kube_options).await {
            Ok(config) => config,
            Err(kubeconfig_error) if options.context.is_none() => Config::incluster().map_err(|incluster_error| {
                format!("no kubeconfig ({kubeconfig_error}) and not in a cluster ({incluster_error})")
            })?,
            Err(e) => return Err(e.to_string()),
        },
    };
    Client::try_from(config).map_err(|e| e.to_string())
}

/// Shared by the list tasks of one scan.
struct Shared {
    client: Client,
    options: ScanOptions,
    in_flight: Semaphore,
    pace: Pace,
    owners: Mutex<Owners>,
    scan: Mutex<Scan>,
}

/// Lists everything in [`READ`] within `options.scope` and sends each object to `sink` as its
/// page arrives (a bounded channel: a slow consumer slows the listing, memory stays flat).
/// Returns when every list is done or the receiver is gone.
pub async fn scan(client: Client, options: ScanOptions, sink: mpsc::Sender<ClusterObject>) -> Scan {
    let shared = Arc::new(Shared {
        client,
        in_flight: Semaphore::new(options.max_in_flight.max(1)),
        pace: Pace::new(options.requests_per_second),
        options,
        owners: Mutex::default(),
        scan: Mutex::default(),
    });
    for phase in [Phase::TopLevel, Phase::Intermediate, Phase::Pods] {
        let mut tasks = tokio::task::JoinSet::new();
        for resource in READ.iter().filter(|r| r.phase == phase) {
            let (shared, sink) = (shared.clone(), sink.clone());
            tasks.spawn(async move { list(&shared, resource, &sink).await });
        }
        while let Some(joined) = tasks.join_next().await {
            if let Err(panic) = joined {
                std::panic::resume_unwind(panic.into_panic());
            }
        }
    }
    let mut scan = std::mem::take(&mut *shared.scan.lock().unwrap());
    scan.folded = shared.owners.lock().unwrap().folded().clone();
    scan.not_assessed
        .sort_by(|a, b| (&a.kind, &a.namespace).cmp(&(&b.kind, &b.namespace)));
    scan
}

/// How many times a list restarts after `410 Gone` before giving up on it.
const MAX_RESTARTS: usize = 3;
/// Attempts per page for transient failures (429, 5xx, connection errors).
const ATTEMPTS: u32 = 4;

async fn list(shared: &Shared, resource: &'static Resource, sink: &mpsc::Sender<ClusterObject>) {
    let namespace = match &shared.options.scope {
        Scope::AllNamespaces => None,
        Scope::Namespace(ns) => Some(ns.as_str()),
    };
    if *resource == NAMESPACES && namespace.is_some() {
        return get_namespace(shared, namespace.unwrap_or_default(), sink).await;
    }
    let path = resource.list_path(namespace);
    let not_assessed = |reason: String| NotAssessed {
        kind: resource.kind.to_owned(),
        namespace: namespace.filter(|_| resource.namespaced).map(str::to_owned),
        reason,
    };
    let mut token: Option<String> = None;
    // Objects already sent, so that a restarted list does not send them twice.
    let mut sent: HashSet<String> = HashSet::new();
    let mut restarts = 0;
    loop {
        let mut url = format!("{path}?limit={}", shared.options.page_size);
        if let Some(token) = &token {
            url.push_str("&continue=");
            url.push_str(&percent_encode(token));
        }
        let page = match request(shared, &url).await {
            Ok(page) => page,
            Err(Failure::Status { code: 410, .. }) if token.is_some() && restarts < MAX_RESTARTS => {
                // The continue token expired (etcd compacted past it): list again from the
                // start, as client-go's pager does.
                restarts += 1;
                shared.scan.lock().unwrap().restarts += 1;
                token = None;
                continue;
            }
            Err(Failure::Status { code: 404, .. }) if resource.optional => return,
            Err(failure) => {
                shared
                    .scan
                    .lock()
                    .unwrap()
                    .not_assessed
                    .push(not_assessed(failure.reason()));
                return;
            }
        };
        let Value::Object(mut page) = page else {
            let reason = "the API server answered with something other than a list".to_owned();
            shared.scan.lock().unwrap().not_assessed.push(not_assessed(reason));
            return;
        };
        token = page
            .get("metadata")
            .and_then(|m| m.get("continue"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        let items = match page.remove("items") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        drop(page);
        for item in items {
            let Some(object) = cluster_object(resource, item) else {
                continue;
            };
            if let Some(uid) = object.value["metadata"]["uid"].as_str() {
                if !sent.insert(uid.to_owned()) {
                    continue;
                }
            }
            if resource.phase != Phase::TopLevel || is_pod_bearing(resource) {
                let placement = shared.owners.lock().unwrap().place(resource.kind, &object.value);
                if let Placement::FoldedInto(_) = placement {
                    continue;
                }
            }
            if sink.send(object).await.is_err() {
                return;
            }
        }
        if token.is_none() {
            return;
        }
    }
}

/// `-n NS`: the one Namespace, read with `get` (its labels carry the Pod Security policy).
async fn get_namespace(shared: &Shared, namespace: &str, sink: &mpsc::Sender<ClusterObject>) {
    match request(shared, &format!("/api/v1/namespaces/{namespace}")).await {
        Ok(value) => {
            if let Some(object) = cluster_object(&NAMESPACES, value) {
                let _ = sink.send(object).await;
            }
        }
        Err(failure) => shared.scan.lock().unwrap().not_assessed.push(NotAssessed {
            kind: NAMESPACES.kind.to_owned(),
            namespace: Some(namespace.to_owned()),
            reason: failure.reason(),
        }),
    }
}

fn is_pod_bearing(resource: &Resource) -> bool {
    matches!(
        resource.kind,
        "PodTemplate" | "ReplicationController" | "Deployment" | "StatefulSet" | "DaemonSet" | "CronJob"
    )
}

/// Gives a list item its type (list items have none) and drops what no analysis reads and
/// that only costs memory: managed fields, the last-applied copy of the object, status.
fn cluster_object(resource: &Resource, mut value: Value) -> Option<ClusterObject> {
    let object = value.as_object_mut()?;
    object.insert("apiVersion".to_owned(), Value::String(resource.api_version()));
    object.insert("kind".to_owned(), Value::String(resource.kind.to_owned()));
    object.remove("status");
    if let Some(Value::Object(metadata)) = object.get_mut("metadata") {
        metadata.remove("managedFields");
        if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    let metadata = &value["metadata"];
    let name = metadata["name"].as_str().unwrap_or_default();
    let namespace = metadata["namespace"].as_str().unwrap_or_default();
    let source = format!("cluster://{namespace}/{}/{name}", resource.kind);
    Some(ClusterObject { source, value })
}

enum Failure {
    /// The API server answered with an error `Status`.
    Status { code: u16, reason: String },
    /// No usable answer (connection, TLS, a body that is not JSON).
    Transport(String),
}

impl Failure {
    fn reason(self) -> String {
        match self {
            Failure::Status { reason, .. } | Failure::Transport(reason) => reason,
        }
    }
}

/// One GET, within the in-flight bound and the rate limit; transient failures are retried
/// with backoff.
async fn request(shared: &Shared, url: &str) -> Result<Value, Failure> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = {
            let _permit = shared.in_flight.acquire().await.expect("the semaphore is never closed");
            shared.pace.wait().await;
            shared.scan.lock().unwrap().requests += 1;
            let request = http::Request::get(url)
                .header(http::header::ACCEPT, "application/json")
                .body(Vec::new())
                .expect("a GET with a path is a valid request");
            shared.client.request::<Value>(request).await
        };
        let failure = match result {
            Ok(value) => return Ok(value),
            Err(kube::Error::Api(status)) => Failure::Status {
                code: status.code,
                reason: format!("{} ({}): {}", status.code, status.reason, status.message),
            },
            Err(error) => Failure::Transport(error.to_string()),
        };
        let transient = match &failure {
            Failure::Status { code, .. } => *code == 429 || *code >= 500,
            Failure::Transport(_) => true,
        };
        if !transient || attempt >= ATTEMPTS {
            return Err(failure);
        }
        tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
    }
}

/// A client-side rate limit: requests start at least `1 / rate` seconds apart.
struct Pace {
    interval: Duration,
    next: tokio::sync::Mutex<Instant>,
}

impl Pace {
    fn new(requests_per_second: f64) -> Pace {
        Pace {
            interval: Duration::from_secs_f64(1.0 / requests_per_second.max(0.001)),
            next: tokio::sync::Mutex::new(Instant::now()),
        }
    }

    async fn wait(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let at = (*next).max(Instant::now());
            *next = at + self.interval;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

/// Percent-encodes a query value (continue tokens are base64 and may hold `+`, `/`, `=`).
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

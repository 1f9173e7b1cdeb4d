//! Namespace labels kept current by a watch of Namespaces, and of nothing else: the webhook
//! never caches pods. `kube::runtime::watcher` lists the Namespaces, then watches from the
//! list's resourceVersion, re-listing (with backoff) when the watch expires or breaks.
//!
//! Each complete list replaces the whole set at once, so namespaces deleted while the watch
//! was down disappear too; until the first list arrived, [`Namespaces::is_synced`] is false
//! and `/readyz` says 503.

use std::collections::HashMap;
use std::sync::Arc;

use futures::TryStreamExt;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::Client;
use serde_json::json;
use tailor_kube::k8s_openapi::api::core::v1::Namespace;

use crate::server::log;
use crate::Namespaces;

/// Follows the cluster's Namespaces into `namespaces` until the task is dropped. Errors
/// (network, 403, 410 Gone) are logged and retried with the watcher's backoff.
pub async fn follow(client: Client, namespaces: Arc<Namespaces>) {
    let api: Api<Namespace> = Api::all(client);
    // A list in progress, swapped in whole at InitDone.
    let mut listing: HashMap<String, tailor_pss::admission::Labels> = HashMap::new();
    let events = watcher::watcher(api, watcher::Config::default()).default_backoff();
    futures::pin_mut!(events);
    loop {
        match events.try_next().await {
            Ok(Some(event)) => match event {
                Event::Init => listing.clear(),
                Event::InitApply(namespace) => {
                    if let Some((name, labels)) = name_and_labels(namespace) {
                        listing.insert(name, labels);
                    }
                }
                Event::InitDone => {
                    let count = listing.len();
                    namespaces.replace_all(std::mem::take(&mut listing));
                    log("info", "namespaces listed", json!({"count": count}));
                }
                Event::Apply(namespace) => {
                    if let Some((name, labels)) = name_and_labels(namespace) {
                        namespaces.set(&name, labels);
                    }
                }
                Event::Delete(namespace) => {
                    if let Some(name) = namespace.metadata.name {
                        namespaces.remove(&name);
                    }
                }
            },
            // The watcher's stream does not end; if it ever did, stop following.
            Ok(None) => break,
            Err(e) => log(
                "warn",
                "namespace watch failed; retrying",
                json!({"error": e.to_string()}),
            ),
        }
    }
}

fn name_and_labels(namespace: Namespace) -> Option<(String, tailor_pss::admission::Labels)> {
    let name = namespace.metadata.name?;
    Some((name, namespace.metadata.labels.unwrap_or_default()))
}

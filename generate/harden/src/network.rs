//! NetworkPolicies for an application: per namespace a default deny of both directions, and
//! per workload what its manifests imply.
//!
//! - Ingress: the ports that Services selecting the workload's pods send traffic to (a named
//!   `targetPort` stays named: NetworkPolicies resolve it against the pod), from anywhere, as a
//!   Service may be reached through an ingress controller in another namespace. A declared
//!   container port no Service targets stays closed, and the caller is told.
//! - Egress: DNS to the cluster DNS pods; other pods of the cluster (their own ingress
//!   policies decide); everything outside the cluster but the cloud metadata address, which
//!   hands out the node's cloud credentials.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use tailor_kube::k8s_openapi::api::core::v1::Service;
use tailor_kube::k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// The cloud metadata endpoint (AWS, GCP, Azure, OpenStack, ...).
pub const METADATA_CIDR: &str = "169.254.169.254/32";
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "tailor");

/// The default deny of both directions for every pod of `namespace`.
pub fn default_deny(namespace: Option<&str>) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata("default-deny", namespace),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    })
}

/// What one workload may send and receive. `labels` are its pods' labels; `services` the
/// Services of its namespace.
pub fn workload_policy(
    name: &str,
    namespace: Option<&str>,
    labels: &BTreeMap<String, String>,
    services: &[&Service],
) -> Value {
    let mut ports: Vec<Value> = Vec::new();
    for service in services.iter().filter(|s| selects(s, labels)) {
        let spec = service.spec.as_ref();
        for port in spec.and_then(|s| s.ports.as_ref()).into_iter().flatten() {
            let target = match &port.target_port {
                Some(IntOrString::Int(number)) => json!(number),
                Some(IntOrString::String(name)) => match name.parse::<i32>() {
                    Ok(number) => json!(number),
                    Err(_) => json!(name),
                },
                None => json!(port.port),
            };
            let entry = json!({"protocol": port.protocol.as_deref().unwrap_or("TCP"), "port": target});
            if !ports.contains(&entry) {
                ports.push(entry);
            }
        }
    }
    let ingress = if ports.is_empty() {
        json!([])
    } else {
        json!([{"ports": ports}])
    };
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(&format!("{name}-least-privilege"), namespace),
        "spec": {
            "podSelector": {"matchLabels": labels},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": [
                {"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                 "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                {"to": [{"namespaceSelector": {}}]},
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [METADATA_CIDR]}}]},
            ],
        },
    })
}

/// The container ports a policy built by [`workload_policy`] leaves closed: declared, but no
/// Service targets them (by number or by name).
pub fn unexposed_ports(policy: &Value, declared: &[(Option<String>, i32)]) -> Vec<String> {
    let open: Vec<&Value> = policy["spec"]["ingress"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|rule| rule["ports"].as_array().into_iter().flatten())
        .map(|port| &port["port"])
        .collect();
    declared
        .iter()
        .filter(|(name, number)| {
            !open
                .iter()
                .any(|p| p.as_i64() == Some(i64::from(*number)) || (name.is_some() && p.as_str() == name.as_deref()))
        })
        .map(|(name, number)| match name {
            Some(name) => format!("{number} ({name})"),
            None => number.to_string(),
        })
        .collect()
}

/// Whether a Service's selector picks pods with `labels` (a Service without a selector picks
/// none: its endpoints are managed by hand).
fn selects(service: &Service, labels: &BTreeMap<String, String>) -> bool {
    match service.spec.as_ref().and_then(|s| s.selector.as_ref()) {
        Some(selector) if !selector.is_empty() => selector.iter().all(|(k, v)| labels.get(k) == Some(v)),
        _ => false,
    }
}

pub fn metadata(name: &str, namespace: Option<&str>) -> Value {
    let mut metadata = json!({"name": name, "labels": {MANAGED_BY.0: MANAGED_BY.1}});
    if let Some(namespace) = namespace {
        metadata["namespace"] = json!(namespace);
    }
    metadata
}

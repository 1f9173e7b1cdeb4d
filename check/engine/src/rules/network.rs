//! NetworkPolicy and Service analysis across objects: pods that no policy selects,
//! namespaces without a policy or a default deny, GPU workloads that can reach the cloud
//! metadata API, and Services exposing unprotected pods outside the cluster.
//!
//! Everything is judged from the scanned objects only: policies applied from elsewhere are
//! unknown, so messages say "in the scanned objects".

pub mod cidr;
mod exposure;
pub mod index;
mod isolation;
mod metadata;
pub mod policies;
pub mod selectors;

use super::attack::*;
use super::text::capped_list;
use super::Rule;
use crate::report::Severity;
use crate::{Hit, Inventory};

pub(crate) const POD_NOT_SELECTED: Rule = Rule {
    id: "TLR-netpol-pod-not-selected",
    title: "Pods not selected by any NetworkPolicy",
    severity: Severity::Medium,
    rationale: "The namespace uses NetworkPolicies, but none selects these pods: they accept connections from \
        every pod in the cluster (ingress) or reach any address (egress). A compromised neighbour reaches them \
        freely, and they reach everything — the gap lateral movement looks for.",
    remediation: "Add a NetworkPolicy whose podSelector matches the pod template's labels and allows only the \
        traffic the pods need, or a default-deny policy (`podSelector: {}`) for the namespace.",
    attack: &[EXPLOITATION_OF_REMOTE_SERVICES],
    ms_threat_matrix: Some(CLUSTER_INTERNAL_NETWORKING),
};

pub(crate) const NAMESPACE_WITHOUT_POLICY: Rule = Rule {
    id: "TLR-netpol-namespace-no-policy",
    title: "Namespace without NetworkPolicy",
    severity: Severity::Medium,
    rationale: "Kubernetes allows all pod traffic until a NetworkPolicy selects a pod. With no policy for a \
        direction, every pod of the namespace accepts connections from any pod of the cluster, or connects \
        anywhere: other namespaces, node and cloud metadata endpoints, the internet.",
    remediation: "Add a default-deny NetworkPolicy to the namespace (`podSelector: {}`, `policyTypes: [Ingress, \
        Egress]`, no rules), then per-workload policies allowing the traffic each needs (egress to kube-dns \
        included).",
    attack: &[EXPLOITATION_OF_REMOTE_SERVICES, LATERAL_TOOL_TRANSFER],
    ms_threat_matrix: Some(CLUSTER_INTERNAL_NETWORKING),
};

pub(crate) const NO_DEFAULT_DENY: Rule = Rule {
    id: "TLR-netpol-no-default-deny",
    title: "Namespace without default-deny NetworkPolicy",
    severity: Severity::Low,
    rationale: "Without a catch-all policy (`podSelector: {}`) for a direction, isolation depends on every \
        workload having its own policy: a pod added later, or whose labels drift from its policy's selector, \
        runs unrestricted.",
    remediation: "Add a NetworkPolicy with `podSelector: {}` and the direction in `policyTypes` that admits \
        nothing (or only DNS for egress); the existing per-workload policies keep allowing what they allow.",
    attack: &[EXPLOITATION_OF_REMOTE_SERVICES],
    ms_threat_matrix: Some(CLUSTER_INTERNAL_NETWORKING),
};

pub(crate) const METADATA_API_REACHABLE: Rule = Rule {
    id: "TLR-netpol-gpu-metadata-egress",
    title: "GPU workload can reach the cloud metadata API",
    severity: Severity::High,
    rationale: "169.254.169.254 serves the node's cloud credentials (instance role, node service account) and \
        bootstrap secrets to any pod that can connect to it. GPU inference pods load third-party models and \
        serving code, and GPU node pools often carry broad identities (model buckets, registries): code \
        execution in such a pod becomes cloud credentials.",
    remediation: "Select the pods with an egress NetworkPolicy that leaves the address out, e.g. `to: [{ipBlock: \
        {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]` plus DNS; or use workload identity with the \
        metadata server concealed (GKE Workload Identity, EKS IMDSv2 with a hop limit of 1).",
    attack: &[CLOUD_INSTANCE_METADATA_API],
    ms_threat_matrix: None,
};

pub(crate) const EXPOSED_WITHOUT_POLICY: Rule = Rule {
    id: "TLR-svc-exposed-without-netpol",
    title: "Service exposes pods that no ingress NetworkPolicy protects",
    severity: Severity::Medium,
    rationale: "A NodePort or LoadBalancer Service makes its pods reachable from outside the cluster. With no \
        ingress policy selecting them, the pods also accept any connection on any port from every pod of the \
        cluster: one exposed, unfiltered entry point.",
    remediation: "Add an ingress NetworkPolicy selecting the pods that allows only the Service's target ports \
        (and only the sources that need them), or make the Service ClusterIP behind an Ingress or Gateway.",
    attack: &[EXTERNAL_REMOTE_SERVICES, EXPLOIT_PUBLIC_FACING_APPLICATION],
    ms_threat_matrix: Some(EXPOSED_SENSITIVE_INTERFACES),
};

pub(crate) const LOAD_BALANCER_OPEN: Rule = Rule {
    id: "TLR-svc-lb-no-source-ranges",
    title: "LoadBalancer open to any source",
    severity: Severity::Low,
    rationale: "An external LoadBalancer without `loadBalancerSourceRanges` accepts connections from the whole \
        internet, so every scanner finds the service and any weakness in it.",
    remediation: "Set `spec.loadBalancerSourceRanges` to the client networks that need the service, or make the \
        load balancer internal with your cloud's annotation.",
    attack: &[EXTERNAL_REMOTE_SERVICES],
    ms_threat_matrix: Some(EXPOSED_SENSITIVE_INTERFACES),
};

pub static RULES: &[Rule] = &[
    POD_NOT_SELECTED,
    NAMESPACE_WITHOUT_POLICY,
    NO_DEFAULT_DENY,
    METADATA_API_REACHABLE,
    EXPOSED_WITHOUT_POLICY,
    LOAD_BALANCER_OPEN,
];

/// Runs every network analysis over the objects loaded together.
pub fn analyse(inventory: &Inventory) -> Vec<(usize, Hit)> {
    let index = index::NetworkIndex::build(inventory);
    let mut hits = Vec::new();
    for (namespace, view) in &index.namespaces {
        hits.extend(isolation::check(*namespace, view));
        hits.extend(metadata::check(view));
        hits.extend(exposure::check(view));
    }
    hits
}

/// How messages name a namespace.
fn namespace_name(namespace: Option<&str>) -> String {
    match namespace {
        Some(name) => format!("namespace {name:?}"),
        None => "the target namespace (objects without metadata.namespace)".to_owned(),
    }
}

/// A list for a message: at most five items, then how many more.
fn list(items: &[String]) -> String {
    capped_list(items, 5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::text::distinct;

    #[test]
    fn rules_are_registered_and_named_by_family() {
        for rule in RULES {
            assert!(
                rule.id.starts_with("TLR-netpol-") || rule.id.starts_with("TLR-svc-"),
                "{}",
                rule.id
            );
            assert_eq!(super::super::by_id(rule.id), Some(rule));
        }
    }

    #[test]
    fn lists_are_cut_after_five_items() {
        let items: Vec<String> = (1..=7).map(|i| i.to_string()).collect();
        assert_eq!(list(&items[..2]), "1, 2");
        assert_eq!(list(&items), "1, 2, 3, 4, 5 and 2 more");
        let repeated = ["a", "b", "a", "c", "b"].map(String::from).to_vec();
        assert_eq!(distinct(repeated), ["a", "b", "c"]);
    }
}

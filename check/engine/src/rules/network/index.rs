//! The inventory seen per namespace, built once: Namespace objects and their labels,
//! NetworkPolicies, workloads with the policies selecting their pods, and Services.
//!
//! Objects without `metadata.namespace` land in whatever namespace they are applied to; they
//! are grouped together under `None`, so a policy and a workload that both leave it unset are
//! taken to share a namespace.

use std::collections::BTreeMap;

use tailor_kube::k8s_openapi::api::core::v1::Service;
use tailor_kube::{KubeObject, PodBearingKind, PodTemplate};

use super::policies::{Direction, Policy};
use super::selectors::{Labels, NO_LABELS};
use crate::{Inventory, InventoryObject, ObjectSource};

/// The label every namespace carries with its own name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

pub struct NetworkIndex<'a> {
    /// By namespace, in name order (`None` first).
    pub namespaces: BTreeMap<Option<&'a str>, NamespaceView<'a>>,
}

#[derive(Default)]
pub struct NamespaceView<'a> {
    /// The Namespace object's entry, when the input has one.
    pub namespace_object: Option<usize>,
    namespace_labels: Option<&'a Labels>,
    /// Entry and policy.
    pub policies: Vec<(usize, Policy<'a>)>,
    /// In load order.
    pub workloads: Vec<Workload<'a>>,
    /// Entry, source and Service.
    pub services: Vec<(usize, &'a ObjectSource, &'a Service)>,
}

/// A workload and the policies of its namespace that select its pods.
pub struct Workload<'a> {
    pub entry: usize,
    pub source: &'a ObjectSource,
    pub pod: &'a PodTemplate,
    /// The pod template's labels, which policies and Services select on.
    pub labels: &'a Labels,
    /// Indexes into the namespace's `policies` of those isolating the pods, per direction.
    ingress_policies: Vec<usize>,
    egress_policies: Vec<usize>,
}

impl Workload<'_> {
    pub fn policies(&self, direction: Direction) -> &[usize] {
        match direction {
            Direction::Ingress => &self.ingress_policies,
            Direction::Egress => &self.egress_policies,
        }
    }

    /// NetworkPolicies do not apply to pods on the host network.
    pub fn host_network(&self) -> bool {
        self.pod.spec.host_network == Some(true)
    }

    /// `Kind name`, as messages name it.
    pub fn describe(&self) -> String {
        describe(self.source)
    }
}

/// `Kind name` of an object.
pub fn describe(source: &ObjectSource) -> String {
    format!(
        "{} {}",
        source.type_meta.kind,
        source.name.as_deref().unwrap_or("(unnamed)")
    )
}

impl<'a> NetworkIndex<'a> {
    pub fn build(inventory: &'a Inventory) -> NetworkIndex<'a> {
        let mut namespaces: BTreeMap<Option<&'a str>, NamespaceView<'a>> = BTreeMap::new();
        for (entry_index, entry) in inventory.entries.iter().enumerate() {
            let namespace = entry.source.namespace.as_deref();
            match &entry.object {
                // A PodTemplate object runs no pod of its own.
                InventoryObject::Workload(pod) if pod.kind != PodBearingKind::PodTemplate => {
                    namespaces.entry(namespace).or_default().workloads.push(Workload {
                        entry: entry_index,
                        source: &entry.source,
                        pod,
                        labels: pod.metadata.labels.as_ref().unwrap_or(&NO_LABELS),
                        ingress_policies: Vec::new(),
                        egress_policies: Vec::new(),
                    });
                }
                InventoryObject::Workload(_) => {}
                InventoryObject::Kube(object) => match object.as_ref() {
                    KubeObject::NetworkPolicy(policy) => {
                        let name = policy.metadata.name.as_deref().unwrap_or("(unnamed)");
                        let policy = Policy::new(name, namespace, policy.spec.as_ref());
                        namespaces
                            .entry(namespace)
                            .or_default()
                            .policies
                            .push((entry_index, policy));
                    }
                    KubeObject::Service(service) => {
                        let view = namespaces.entry(namespace).or_default();
                        view.services.push((entry_index, &entry.source, service));
                    }
                    KubeObject::Namespace(object) => {
                        if let Some(name) = object.metadata.name.as_deref() {
                            let view = namespaces.entry(Some(name)).or_default();
                            view.namespace_object.get_or_insert(entry_index);
                            view.namespace_labels = object.metadata.labels.as_ref();
                        }
                    }
                    _ => {}
                },
            }
        }
        for view in namespaces.values_mut() {
            let NamespaceView {
                policies, workloads, ..
            } = view;
            for workload in workloads.iter_mut() {
                for (index, (_, policy)) in policies.iter().enumerate() {
                    if policy.selects(workload.labels) {
                        if policy.affects(Direction::Ingress) {
                            workload.ingress_policies.push(index);
                        }
                        if policy.affects(Direction::Egress) {
                            workload.egress_policies.push(index);
                        }
                    }
                }
            }
        }
        NetworkIndex { namespaces }
    }
}

impl NamespaceView<'_> {
    /// The namespace's labels as namespace selectors see them: the Namespace object's, plus
    /// the automatic name label (the only one known when the input has no Namespace object).
    pub fn labels(&self, name: Option<&str>) -> Labels {
        let mut labels = self.namespace_labels.cloned().unwrap_or_default();
        if let Some(name) = name {
            labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.to_owned());
        }
        labels
    }

    /// Whether some policy of the namespace isolates pods in `direction`.
    pub fn has_policies(&self, direction: Direction) -> bool {
        self.policies.iter().any(|(_, policy)| policy.affects(direction))
    }

    /// The workloads NetworkPolicies can apply to (not on the host network).
    pub fn pod_network_workloads(&self) -> impl Iterator<Item = &Workload<'_>> {
        self.workloads.iter().filter(|w| !w.host_network())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use serde_json::json;

    #[test]
    fn policies_select_pod_template_labels_in_their_own_namespace_only() {
        let inventory = testing::inventory(&[
            json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ml","labels":{"team":"ai"}}}),
            // The Deployment's own labels differ from its pods': policies see the pods'.
            json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ml","labels":{"app":"other"}},
                "spec":{"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}}),
            json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"web","namespace":"ml"},
                "spec":{"podSelector":{"matchLabels":{"app":"web"}},"egress":[{}]}}),
            json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"other","namespace":"ml"},
                "spec":{"podSelector":{"matchLabels":{"app":"other"}}}}),
            json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"elsewhere","namespace":"dev"},
                "spec":{"podSelector":{}}}),
            json!({"apiVersion":"v1","kind":"PodTemplate","metadata":{"name":"t","namespace":"ml"},"template":{"spec":{"containers":[{"name":"c","image":"i"}]}}}),
        ]);
        let index = NetworkIndex::build(&inventory);
        let ml = &index.namespaces[&Some("ml")];
        assert_eq!(ml.namespace_object, Some(0));
        assert_eq!(ml.workloads.len(), 1, "a PodTemplate object runs no pods");
        let web = &ml.workloads[0];
        assert_eq!(web.policies(Direction::Ingress), [0]);
        assert_eq!(web.policies(Direction::Egress), [0]);
        assert_eq!(index.namespaces[&Some("dev")].workloads.len(), 0);
        let labels = ml.labels(Some("ml"));
        assert_eq!(labels.get("team").map(String::as_str), Some("ai"));
        assert_eq!(labels.get(NAMESPACE_NAME_LABEL).map(String::as_str), Some("ml"));
        assert_eq!(index.namespaces[&Some("dev")].labels(Some("dev")).len(), 1);
    }
}

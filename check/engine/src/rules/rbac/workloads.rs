//! Which workloads run as which service account, so findings about a permission can name the
//! pods that carry it.

use std::collections::HashMap;
use std::fmt;

use tailor_kube::PodTemplate;

use super::permissions::{
    qualified, Namespace, Permissions, Subject, SubjectKind, ALL_SERVICE_ACCOUNTS, AUTHENTICATED,
};
use crate::{Inventory, InventoryObject, ObjectSource};

/// A pod-bearing object and the service account its pods run as.
#[derive(Debug)]
pub struct Workload<'a> {
    /// Its entry in the inventory.
    pub entry: usize,
    pub source: &'a ObjectSource,
    pub pod: &'a PodTemplate,
    /// Its `metadata.namespace`.
    pub namespace: Namespace<'a>,
    /// For a workload without a namespace, the one its file's bindings name for its service
    /// account: `kubectl apply -n argocd -f install.yaml` runs the unqualified StatefulSet in
    /// `argocd`, where its ClusterRoleBinding grants `argocd/argocd-application-controller`.
    pub applied_namespace: Namespace<'a>,
    pub service_account: &'a str,
}

impl Workload<'_> {
    /// The service accounts its pods may run as: in its own namespace and, when it has none,
    /// in the one its bindings name.
    pub fn subjects(&self) -> Vec<Subject> {
        let mut subjects = vec![Subject::service_account(self.namespace, self.service_account)];
        if self.applied_namespace.is_some() {
            subjects.push(Subject::service_account(self.applied_namespace, self.service_account));
        }
        subjects
    }

    /// The service account it runs as, in the namespace it runs in.
    pub fn account(&self) -> Subject {
        Subject::service_account(self.namespace.or(self.applied_namespace), self.service_account)
    }

    /// The workload as found acting as `subject`: in the service account's namespace.
    pub fn named_as(&self, subject: &Subject) -> String {
        match subject.kind {
            SubjectKind::ServiceAccount => self.named_in(subject.namespace.as_deref()),
            _ => self.to_string(),
        }
    }

    fn named_in(&self, namespace: Namespace) -> String {
        let name = self.source.name.as_deref().unwrap_or("<unnamed>");
        format!("{} {}", self.source.type_meta.kind, qualified(namespace, name))
    }
}

impl fmt::Display for Workload<'_> {
    /// e.g. `StatefulSet argocd/argocd-application-controller`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.named_in(self.namespace.or(self.applied_namespace)))
    }
}

/// The service account a pod runs as: `serviceAccountName`, else the deprecated
/// `serviceAccount`, else `default`.
pub fn service_account_name(pod: &PodTemplate) -> &str {
    [&pod.spec.service_account_name, &pod.spec.service_account]
        .into_iter()
        .find_map(|name| name.as_deref().filter(|name| !name.is_empty()))
        .unwrap_or("default")
}

/// The workloads of an inventory, indexed by service account and namespace.
#[derive(Debug)]
pub struct Workloads<'a> {
    pub all: Vec<Workload<'a>>,
    by_account: HashMap<(Namespace<'a>, &'a str), Vec<usize>>,
    by_namespace: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Workloads<'a> {
    pub fn index(inventory: &'a Inventory, permissions: &'a Permissions) -> Workloads<'a> {
        // Per file and service account name: the namespaces its bindings name for it.
        let mut named: HashMap<(&'a str, &'a str), Vec<&'a str>> = HashMap::new();
        for grant in permissions.grants() {
            let file = inventory.entries[grant.binding].source.file.as_str();
            for (_, subject) in &grant.subjects {
                if let (SubjectKind::ServiceAccount, Some(namespace)) = (subject.kind, subject.namespace.as_deref()) {
                    let namespaces = named.entry((file, subject.name.as_str())).or_default();
                    if !namespaces.contains(&namespace) {
                        namespaces.push(namespace);
                    }
                }
            }
        }
        let all: Vec<Workload<'a>> = inventory
            .entries
            .iter()
            .enumerate()
            .filter_map(|(entry, e)| {
                let InventoryObject::Workload(pod) = &e.object else {
                    return None;
                };
                let namespace = e.source.namespace.as_deref();
                let service_account = service_account_name(pod);
                let applied_namespace = match named.get(&(e.source.file.as_str(), service_account)).map(Vec::as_slice) {
                    Some(&[only]) if namespace.is_none() => Some(only),
                    _ => None,
                };
                Some(Workload {
                    entry,
                    source: &e.source,
                    pod,
                    namespace,
                    applied_namespace,
                    service_account,
                })
            })
            .collect();
        let mut by_account: HashMap<(Namespace<'a>, &'a str), Vec<usize>> = HashMap::new();
        let mut by_namespace: HashMap<&'a str, Vec<usize>> = HashMap::new();
        for (index, workload) in all.iter().enumerate() {
            let inferred = workload.applied_namespace.map(Some);
            for namespace in std::iter::once(workload.namespace).chain(inferred) {
                by_account
                    .entry((namespace, workload.service_account))
                    .or_default()
                    .push(index);
                if let Some(namespace) = namespace {
                    by_namespace.entry(namespace).or_default().push(index);
                }
            }
        }
        Workloads {
            all,
            by_account,
            by_namespace,
        }
    }

    /// The workloads whose pods act as `subject`: run as that service account, or as a
    /// member of that group.
    pub fn acting_as(&self, subject: &Subject) -> Vec<&Workload<'a>> {
        let indexes: Vec<usize> = match subject.kind {
            SubjectKind::ServiceAccount => self
                .by_account
                .get(&(subject.namespace.as_deref(), subject.name.as_str()))
                .cloned()
                .unwrap_or_default(),
            SubjectKind::Group if subject.name == ALL_SERVICE_ACCOUNTS || subject.name == AUTHENTICATED => {
                (0..self.all.len()).collect()
            }
            SubjectKind::Group => subject
                .name
                .strip_prefix(ALL_SERVICE_ACCOUNTS)
                .and_then(|rest| rest.strip_prefix(':'))
                .and_then(|namespace| self.by_namespace.get(namespace))
                .cloned()
                .unwrap_or_default(),
            SubjectKind::User => Vec::new(),
        };
        indexes.into_iter().map(|index| &self.all[index]).collect()
    }
}

/// Whether pods acting as `subject` could exist at all (service accounts and the groups
/// service accounts are in), so "no workload runs as it" is worth saying.
pub fn includes_service_accounts(subject: &Subject) -> bool {
    match subject.kind {
        SubjectKind::ServiceAccount => true,
        SubjectKind::Group => subject.name == AUTHENTICATED || subject.name.starts_with(ALL_SERVICE_ACCOUNTS),
        SubjectKind::User => false,
    }
}

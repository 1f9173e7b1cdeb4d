//! Which workloads run as which service account, so findings about a permission can name the
//! pods that carry it.

use std::collections::HashMap;
use std::fmt;

use tailor_kube::PodTemplate;

use super::permissions::{qualified, Namespace, Subject, SubjectKind, ALL_SERVICE_ACCOUNTS, AUTHENTICATED};
use crate::{Inventory, ObjectSource};

/// A pod-bearing object and the service account its pods run as.
#[derive(Debug)]
pub struct Workload<'a> {
    /// Its entry in the inventory.
    pub entry: usize,
    pub source: &'a ObjectSource,
    pub pod: &'a PodTemplate,
    pub namespace: Namespace<'a>,
    pub service_account: &'a str,
}

impl Workload<'_> {
    pub fn subject(&self) -> Subject {
        Subject::service_account(self.namespace, self.service_account)
    }
}

impl fmt::Display for Workload<'_> {
    /// e.g. `StatefulSet argocd/argocd-application-controller`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.source.name.as_deref().unwrap_or("<unnamed>");
        write!(f, "{} {}", self.source.type_meta.kind, qualified(self.namespace, name))
    }
}

/// The service account a pod runs as: `serviceAccountName`, else the deprecated
/// `serviceAccount`, else `default`.
pub fn service_account_name(pod: &PodTemplate) -> &str {
    let set = |name: &Option<String>| name.as_deref().filter(|name| !name.is_empty());
    set(&pod.spec.service_account_name)
        .or_else(|| set(&pod.spec.service_account))
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
    pub fn index(inventory: &'a Inventory) -> Workloads<'a> {
        let all: Vec<Workload<'a>> = inventory
            .entries
            .iter()
            .enumerate()
            .filter_map(|(entry, e)| match &e.object {
                crate::InventoryObject::Workload(pod) => Some(Workload {
                    entry,
                    source: &e.source,
                    pod,
                    namespace: e.source.namespace.as_deref(),
                    service_account: service_account_name(pod),
                }),
                crate::InventoryObject::Kube(_) => None,
            })
            .collect();
        let mut by_account: HashMap<(Namespace<'a>, &'a str), Vec<usize>> = HashMap::new();
        let mut by_namespace: HashMap<&'a str, Vec<usize>> = HashMap::new();
        for (index, workload) in all.iter().enumerate() {
            by_account
                .entry((workload.namespace, workload.service_account))
                .or_default()
                .push(index);
            if let Some(namespace) = workload.namespace {
                by_namespace.entry(namespace).or_default().push(index);
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

//! RBAC and service-account analysis across objects: who holds risky permissions and which
//! workloads run as them.
//!
//! - [`permissions`]: the resolver, from roles and bindings to what every subject may do,
//!   where, and through which binding (reusable beyond `check`);
//! - [`workloads`]: which workloads run as which service account;
//! - [`risks`]: `TLR-rbac-*`, risky permissions, on the bindings that grant them (and on
//!   roles no binding grants); its module documentation explains where findings go;
//! - [`service_accounts`]: `TLR-sa-*`, on the workloads.
//!
//! Judged from the scanned objects only: a binding to a role they do not define (and that is
//! not built in) is reported as unresolved rather than guessed at, and "no binding" always
//! means "none in the scanned objects". Objects without `metadata.namespace` share the
//! namespace they are applied to.
//!
//! Everything is indexed once (roles by name, grants by subject, workloads by service
//! account and namespace), so the analysis stays linear in the number of objects.

pub mod builtin;
#[cfg(test)]
mod fixtures;
pub mod permissions;
pub mod risks;
pub mod service_accounts;
pub mod workloads;

use super::Rule;
use crate::{Hit, Inventory};

pub static RULES: &[Rule] = &[
    risks::CLUSTER_ADMIN,
    risks::WILDCARD,
    risks::WILDCARD_LIMITED,
    risks::POD_EXEC,
    risks::NODES_PROXY,
    risks::READ_SECRETS_CLUSTER_WIDE,
    risks::READ_SECRETS,
    risks::ESCALATE_BIND_CLUSTER_WIDE,
    risks::ESCALATE_BIND,
    risks::IMPERSONATE_CLUSTER_WIDE,
    risks::IMPERSONATE,
    risks::CREATE_PODS,
    risks::CREATE_TOKENS,
    risks::UNRESOLVED_ROLE,
    service_accounts::DEFAULT_WITH_BINDINGS,
    service_accounts::UNUSED_TOKEN,
];

pub fn analyse(inventory: &Inventory) -> Vec<(usize, Hit)> {
    let permissions = permissions::Permissions::resolve(inventory);
    let workloads = workloads::Workloads::index(inventory, &permissions);
    let mut hits = risks::analyse(&permissions, &workloads);
    hits.extend(service_accounts::analyse(inventory, &permissions, &workloads));
    hits
}

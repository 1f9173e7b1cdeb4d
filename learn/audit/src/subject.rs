//! Whose requests to learn from or replay: a service account, a user or a group.

use std::fmt;

use serde_json::{json, Value};

use crate::event::Requester;

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubjectFilter {
    ServiceAccount { namespace: String, name: String },
    User(String),
    Group(String),
}

/// `NS:NAME` for a service account.
#[derive(Debug, thiserror::Error)]
#[error("expected NAMESPACE:NAME, got {0:?}")]
pub struct ServiceAccountSyntax(String);

impl SubjectFilter {
    pub fn service_account(spec: &str) -> Result<SubjectFilter, ServiceAccountSyntax> {
        match spec.split_once(':') {
            Some((namespace, name)) if !namespace.is_empty() && !name.is_empty() && !name.contains(':') => {
                Ok(SubjectFilter::ServiceAccount {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                })
            }
            _ => Err(ServiceAccountSyntax(spec.to_owned())),
        }
    }

    /// Whether a request by `requester` is one of this subject's.
    pub fn matches(&self, requester: &Requester) -> bool {
        match self {
            SubjectFilter::ServiceAccount { namespace, name } => requester
                .username
                .strip_prefix("system:serviceaccount:")
                .and_then(|rest| rest.split_once(':'))
                .is_some_and(|(ns, n)| ns == namespace && n == name),
            SubjectFilter::User(user) => requester.username == user,
            SubjectFilter::Group(group) => requester.in_group(group),
        }
    }

    /// The subject as a binding names it.
    pub fn rbac_subject(&self) -> Value {
        match self {
            SubjectFilter::ServiceAccount { namespace, name } => {
                json!({"kind": "ServiceAccount", "name": name, "namespace": namespace})
            }
            SubjectFilter::User(user) => json!({"kind": "User", "apiGroup": RBAC_GROUP, "name": user}),
            SubjectFilter::Group(group) => json!({"kind": "Group", "apiGroup": RBAC_GROUP, "name": group}),
        }
    }

    /// A name for generated roles: `tailor:learned:<subject>`, with characters RBAC names
    /// forbid (`/`, `%`) replaced.
    pub fn role_name(&self) -> String {
        let subject = match self {
            SubjectFilter::ServiceAccount { namespace, name } => format!("serviceaccount:{namespace}:{name}"),
            SubjectFilter::User(user) => format!("user:{user}"),
            SubjectFilter::Group(group) => format!("group:{group}"),
        };
        let name: String = subject
            .chars()
            .map(|c| if c == '/' || c == '%' { '-' } else { c })
            .collect();
        format!("tailor:learned:{name}")
    }
}

impl fmt::Display for SubjectFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubjectFilter::ServiceAccount { namespace, name } => write!(f, "ServiceAccount {namespace}/{name}"),
            SubjectFilter::User(user) => write!(f, "User {user}"),
            SubjectFilter::Group(group) => write!(f, "Group {group}"),
        }
    }
}

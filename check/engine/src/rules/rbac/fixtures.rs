//! Small RBAC objects for the tests of the RBAC analysis.

use serde_json::{json, Value};

const RBAC_V1: &str = "rbac.authorization.k8s.io/v1";

/// One rule: `rule(&[""], &["secrets"], &["get"])`.
pub fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> Value {
    json!({"apiGroups": groups, "resources": resources, "verbs": verbs})
}

pub fn role(namespace: &str, name: &str, rules: &[Value]) -> Value {
    json!({"apiVersion": RBAC_V1, "kind": "Role", "metadata": {"name": name, "namespace": namespace}, "rules": rules})
}

pub fn cluster_role(name: &str, rules: &[Value]) -> Value {
    json!({"apiVersion": RBAC_V1, "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules})
}

/// A subject: `("ServiceAccount", "name", Some("namespace"))`.
pub fn subject(kind: &str, name: &str, namespace: Option<&str>) -> Value {
    let mut subject = json!({"kind": kind, "name": name});
    if let Some(namespace) = namespace {
        subject["namespace"] = json!(namespace);
    }
    subject
}

pub fn service_account_subject(namespace: &str, name: &str) -> Value {
    subject("ServiceAccount", name, Some(namespace))
}

pub fn role_binding(namespace: &str, name: &str, role_kind: &str, role: &str, subjects: &[Value]) -> Value {
    json!({"apiVersion": RBAC_V1, "kind": "RoleBinding", "metadata": {"name": name, "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": subjects})
}

pub fn cluster_role_binding(name: &str, role: &str, subjects: &[Value]) -> Value {
    json!({"apiVersion": RBAC_V1, "kind": "ClusterRoleBinding", "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": subjects})
}

pub fn service_account(namespace: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "namespace": namespace}})
}

/// A Deployment of `namespace` running as `account` (`None`: no serviceAccountName).
pub fn deployment(namespace: Option<&str>, name: &str, account: Option<&str>) -> Value {
    let mut deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]}}}});
    if let Some(namespace) = namespace {
        deployment["metadata"]["namespace"] = json!(namespace);
    }
    if let Some(account) = account {
        deployment["spec"]["template"]["spec"]["serviceAccountName"] = json!(account);
    }
    deployment
}

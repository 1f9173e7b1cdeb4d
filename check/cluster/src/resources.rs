//! The kinds `tailor check --cluster` reads: exactly these, with `list` (and `get` on the one
//! Namespace of a `-n` scan). `deploy/rbac/` grants the same set; a test keeps them equal.

/// One listable resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    /// API group, `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    /// The plural resource name of the URL path and of RBAC rules.
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    /// Listing order: owners before what they own, so that ownership can be resolved while
    /// streaming (see [`crate::owners`]).
    pub phase: Phase,
    /// A custom resource that may not be installed: a 404 means "absent", not "not assessed".
    pub optional: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Top-level workloads and everything that owns nothing.
    TopLevel,
    /// ReplicaSets and Jobs: usually owned by a Deployment or a CronJob.
    Intermediate,
    /// Pods: owned by any of the above, or bare.
    Pods,
}

impl Resource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_owned()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The collection's URL path, across all namespaces or in one.
    pub fn list_path(&self, namespace: Option<&str>) -> String {
        let prefix = if self.group.is_empty() {
            format!("/api/{}", self.version)
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace {
            Some(ns) if self.namespaced => format!("{prefix}/namespaces/{ns}/{}", self.plural),
            _ => format!("{prefix}/{}", self.plural),
        }
    }
}

const fn resource(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    phase: Phase,
) -> Resource {
    Resource {
        group,
        version,
        plural,
        kind,
        namespaced,
        phase,
        optional: false,
    }
}

pub const NAMESPACES: Resource = resource("", "v1", "namespaces", "Namespace", false, Phase::TopLevel);

/// Every resource read. No Secrets, ConfigMaps or sub-resources (exec, logs, proxy).
pub const READ: &[Resource] = &[
    NAMESPACES,
    resource(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterroles",
        "ClusterRole",
        false,
        Phase::TopLevel,
    ),
    resource(
        "rbac.authorization.k8s.io",
        "v1",
        "clusterrolebindings",
        "ClusterRoleBinding",
        false,
        Phase::TopLevel,
    ),
    resource(
        "rbac.authorization.k8s.io",
        "v1",
        "roles",
        "Role",
        true,
        Phase::TopLevel,
    ),
    resource(
        "rbac.authorization.k8s.io",
        "v1",
        "rolebindings",
        "RoleBinding",
        true,
        Phase::TopLevel,
    ),
    resource("", "v1", "serviceaccounts", "ServiceAccount", true, Phase::TopLevel),
    resource(
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        true,
        Phase::TopLevel,
    ),
    resource("", "v1", "services", "Service", true, Phase::TopLevel),
    resource("", "v1", "resourcequotas", "ResourceQuota", true, Phase::TopLevel),
    Resource {
        optional: true,
        ..resource(
            "security-profiles-operator.x-k8s.io",
            "v1beta1",
            "seccompprofiles",
            "SeccompProfile",
            true,
            Phase::TopLevel,
        )
    },
    resource("", "v1", "podtemplates", "PodTemplate", true, Phase::TopLevel),
    resource(
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        true,
        Phase::TopLevel,
    ),
    resource("apps", "v1", "deployments", "Deployment", true, Phase::TopLevel),
    resource("apps", "v1", "statefulsets", "StatefulSet", true, Phase::TopLevel),
    resource("apps", "v1", "daemonsets", "DaemonSet", true, Phase::TopLevel),
    resource("batch", "v1", "cronjobs", "CronJob", true, Phase::TopLevel),
    resource("apps", "v1", "replicasets", "ReplicaSet", true, Phase::Intermediate),
    resource("batch", "v1", "jobs", "Job", true, Phase::Intermediate),
    resource("", "v1", "pods", "Pod", true, Phase::Pods),
];

/// The resource serving `kind` in `api_version`, if it is one Tailor reads.
pub fn find(api_version: &str, kind: &str) -> Option<&'static Resource> {
    READ.iter().find(|r| r.kind == kind && r.api_version() == api_version)
}

/// The order a scan's objects are reported in, whatever order the concurrent lists delivered
/// them: by kind (in the order of [`READ`]), then namespace, then name. Cross-object findings
/// that name several objects name them in this order, so reports are reproducible.
pub fn report_order(api_version: &str, kind: &str, namespace: Option<&str>, name: Option<&str>) -> impl Ord {
    let kind_rank = READ
        .iter()
        .position(|r| r.kind == kind && r.api_version() == api_version)
        .unwrap_or(READ.len());
    (
        kind_rank,
        namespace.unwrap_or_default().to_owned(),
        name.unwrap_or_default().to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_api_server_layout() {
        let pods = find("v1", "Pod").unwrap();
        assert_eq!(pods.list_path(None), "/api/v1/pods");
        assert_eq!(pods.list_path(Some("ml")), "/api/v1/namespaces/ml/pods");
        let roles = find("rbac.authorization.k8s.io/v1", "ClusterRole").unwrap();
        assert_eq!(
            roles.list_path(Some("ml")),
            "/apis/rbac.authorization.k8s.io/v1/clusterroles"
        );
    }

    #[test]
    fn never_reads_secrets_or_subresources() {
        for r in READ {
            assert!(
                !["secrets", "configmaps"].contains(&r.plural) && !r.plural.contains('/'),
                "{r:?}"
            );
        }
    }
}

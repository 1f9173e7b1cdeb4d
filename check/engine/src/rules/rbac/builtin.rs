//! The built-in ClusterRoles every cluster has that bindings commonly reference without the
//! input defining them: `cluster-admin`, `admin`, `edit` and `view`, with the
//! `system:aggregate-to-*` roles they aggregate, as the API server bootstraps them
//! (`plugin/pkg/auth/authorizer/rbac/bootstrappolicy`). `admin`, `edit` and `view` keep their
//! aggregation rules, so ClusterRoles of the input labelled `aggregate-to-admin` etc. extend
//! them exactly as in a cluster.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use tailor_kube::k8s_openapi::api::rbac::v1::{AggregationRule, ClusterRole, PolicyRule};
use tailor_kube::k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use tailor_kube::ObjectMeta;

const AGGREGATE_TO: &str = "rbac.authorization.k8s.io/aggregate-to-";
const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &["create", "delete", "deletecollection", "patch", "update"];
const ALL: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// `(apiGroups, resources, verbs)`.
type RuleSpec = (
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

const AGGREGATE_TO_ADMIN: &[RuleSpec] = &[
    (&["authorization.k8s.io"], &["localsubjectaccessreviews"], &["create"]),
    (&["rbac.authorization.k8s.io"], &["rolebindings", "roles"], ALL),
];

const AGGREGATE_TO_EDIT: &[RuleSpec] = &[
    (
        &[""],
        &[
            "pods/attach",
            "pods/exec",
            "pods/portforward",
            "pods/proxy",
            "secrets",
            "services/proxy",
        ],
        READ,
    ),
    (&[""], &["serviceaccounts"], &["impersonate"]),
    (
        &[""],
        &["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"],
        WRITE,
    ),
    (&[""], &["pods/eviction"], &["create"]),
    (
        &[""],
        &[
            "configmaps",
            "events",
            "persistentvolumeclaims",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "secrets",
            "serviceaccounts",
            "services",
            "services/proxy",
        ],
        WRITE,
    ),
    (&[""], &["serviceaccounts/token"], &["create"]),
    (
        &["apps"],
        &[
            "daemonsets",
            "deployments",
            "deployments/rollback",
            "deployments/scale",
            "replicasets",
            "replicasets/scale",
            "statefulsets",
            "statefulsets/scale",
        ],
        WRITE,
    ),
    (&["autoscaling"], &["horizontalpodautoscalers"], WRITE),
    (&["batch"], &["cronjobs", "jobs"], WRITE),
    (
        &["extensions"],
        &[
            "daemonsets",
            "deployments",
            "deployments/rollback",
            "deployments/scale",
            "ingresses",
            "networkpolicies",
            "replicasets",
            "replicasets/scale",
            "replicationcontrollers/scale",
        ],
        WRITE,
    ),
    (&["policy"], &["poddisruptionbudgets"], WRITE),
    (&["networking.k8s.io"], &["ingresses", "networkpolicies"], WRITE),
    (&["coordination.k8s.io"], &["leases"], ALL),
];

const AGGREGATE_TO_VIEW: &[RuleSpec] = &[
    (
        &[""],
        &[
            "configmaps",
            "endpoints",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "pods",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/status",
        ],
        READ,
    ),
    (
        &[""],
        &[
            "bindings",
            "events",
            "limitranges",
            "namespaces/status",
            "pods/log",
            "pods/status",
            "replicationcontrollers/status",
            "resourcequotas",
            "resourcequotas/status",
        ],
        READ,
    ),
    (&[""], &["namespaces"], READ),
    (&["discovery.k8s.io"], &["endpointslices"], READ),
    (
        &["apps"],
        &[
            "controllerrevisions",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "statefulsets",
            "statefulsets/scale",
            "statefulsets/status",
        ],
        READ,
    ),
    (
        &["autoscaling"],
        &["horizontalpodautoscalers", "horizontalpodautoscalers/status"],
        READ,
    ),
    (
        &["batch"],
        &["cronjobs", "cronjobs/status", "jobs", "jobs/status"],
        READ,
    ),
    (
        &["extensions"],
        &[
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "ingresses",
            "ingresses/status",
            "networkpolicies",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "replicationcontrollers/scale",
        ],
        READ,
    ),
    (
        &["policy"],
        &["poddisruptionbudgets", "poddisruptionbudgets/status"],
        READ,
    ),
    (
        &["networking.k8s.io"],
        &["ingresses", "ingresses/status", "networkpolicies"],
        READ,
    ),
];

/// The built-in ClusterRoles, in bootstrap order.
pub static CLUSTER_ROLES: LazyLock<Vec<ClusterRole>> = LazyLock::new(|| {
    let mut cluster_admin = cluster_role("cluster-admin", None, None, &[(&["*"], &["*"], &["*"])]);
    cluster_admin.rules.get_or_insert_default().push(PolicyRule {
        non_resource_urls: Some(vec!["*".to_owned()]),
        verbs: vec!["*".to_owned()],
        ..PolicyRule::default()
    });
    vec![
        cluster_admin,
        cluster_role("admin", Some("admin"), None, &[]),
        cluster_role("edit", Some("edit"), Some("admin"), &[]),
        cluster_role("view", Some("view"), Some("edit"), &[]),
        cluster_role("system:aggregate-to-admin", None, Some("admin"), AGGREGATE_TO_ADMIN),
        cluster_role("system:aggregate-to-edit", None, Some("edit"), AGGREGATE_TO_EDIT),
        cluster_role("system:aggregate-to-view", None, Some("view"), AGGREGATE_TO_VIEW),
    ]
});

/// A ClusterRole that aggregates the roles labelled `aggregate-to-<aggregates>` and is itself
/// labelled `aggregate-to-<aggregated_into>`.
fn cluster_role(
    name: &str,
    aggregates: Option<&str>,
    aggregated_into: Option<&str>,
    rules: &[RuleSpec],
) -> ClusterRole {
    let label = |target: &str| BTreeMap::from([(format!("{AGGREGATE_TO}{target}"), "true".to_owned())]);
    let strings = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    ClusterRole {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            labels: aggregated_into.map(label),
            ..ObjectMeta::default()
        },
        aggregation_rule: aggregates.map(|target| AggregationRule {
            cluster_role_selectors: Some(vec![LabelSelector {
                match_labels: Some(label(target)),
                ..LabelSelector::default()
            }]),
        }),
        rules: Some(
            rules
                .iter()
                .map(|(groups, resources, verbs)| PolicyRule {
                    api_groups: Some(strings(groups)),
                    resources: Some(strings(resources)),
                    verbs: strings(verbs),
                    ..PolicyRule::default()
                })
                .collect(),
        ),
    }
}

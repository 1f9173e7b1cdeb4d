//! Service-account rules (`TLR-sa-*`), reported on the workloads: pods sharing the `default`
//! account's permissions, and pods carrying a token no binding gives any use.
//!
//! Both look only at workloads whose pods get a token: `automountServiceAccountToken` of the
//! pod, else of the ServiceAccount object when the input has it, else `true`.
//!
//! An account "has bindings" when a binding names it, or names the group of its namespace's
//! service accounts; grants to every service account or every authenticated identity say
//! nothing about what one workload needs. A token is also in use, bindings or not, when a
//! cloud exchanges it for its own credentials (workload identity annotations on the
//! ServiceAccount) or when a container reads the automounted files.

use std::collections::HashMap;

use tailor_kube::{containers, ContainerList, FieldPath, KubeObject, PodTemplate};

use super::permissions::{Grant, Permissions, Subject, ALL_SERVICE_ACCOUNTS};
use super::workloads::{Workload, Workloads};
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::Rule;
use crate::{Hit, Inventory};

pub const DEFAULT_WITH_BINDINGS: Rule = Rule {
    id: "TLR-sa-default-with-bindings",
    title: "Workload runs as a default service account that has bindings",
    severity: Severity::Medium,
    rationale: "Every pod of a namespace that names no service account runs as `default`: whatever is bound to it is shared by all of them, so compromising any pod of the namespace yields those permissions.",
    remediation: "Create a ServiceAccount for this workload, bind the permissions to it, set serviceAccountName, and remove the bindings of `default`.",
    attack: &[VALID_ACCOUNTS_DEFAULT, STEAL_APPLICATION_ACCESS_TOKEN],
    ms_threat_matrix: Some(CONTAINER_SERVICE_ACCOUNT),
};

pub const UNUSED_TOKEN: Rule = Rule {
    id: "TLR-sa-unused-token",
    title: "Service account token mounted but no binding grants it anything",
    severity: Severity::Low,
    rationale: "A pod whose service account has no permissions does not need its API token, yet anyone who compromises the pod can use it: to explore the API (discovery is open to every authenticated identity), against any permission added to the account later, and against services that accept Kubernetes tokens.",
    remediation: "Set automountServiceAccountToken: false in the pod spec (or on the ServiceAccount); mount a projected token only in pods that call the API.",
    attack: &[STEAL_APPLICATION_ACCESS_TOKEN],
    ms_threat_matrix: Some(CONTAINER_SERVICE_ACCOUNT),
};

/// Annotations of a ServiceAccount whose token a cloud exchanges for its own credentials
/// (GKE Workload Identity, EKS IAM roles for service accounts, Azure Workload Identity): such
/// a token is used even when no binding grants the account anything.
const CLOUD_IDENTITY_ANNOTATIONS: &[&str] = &[
    "iam.gke.io/gcp-service-account",
    "eks.amazonaws.com/role-arn",
    "azure.workload.identity/client-id",
];

/// What the input says of a ServiceAccount object.
#[derive(Clone, Copy)]
struct AccountObject {
    automount: Option<bool>,
    cloud_identity: bool,
}

pub fn analyse(inventory: &Inventory, permissions: &Permissions, workloads: &Workloads) -> Vec<(usize, Hit)> {
    let accounts = account_objects(inventory);
    let mut hits = Vec::new();
    for workload in &workloads.all {
        let pod_setting = workload.pod.spec.automount_service_account_token;
        let account = [workload.namespace, workload.applied_namespace]
            .into_iter()
            .find_map(|namespace| accounts.get(&(namespace, workload.service_account)).copied());
        if !pod_setting.or(account.and_then(|a| a.automount)).unwrap_or(true) {
            continue;
        }
        let subjects = workload.subjects();
        let direct: Vec<&Grant> = subjects.iter().flat_map(|s| permissions.grants_naming(s)).collect();
        if workload.service_account == "default" && !direct.is_empty() {
            hits.push((workload.entry, default_account_hit(permissions, workload, &direct)));
        }
        // Grants to every service account or every authenticated identity say nothing about
        // what this workload needs; those to its namespace's service accounts do.
        let through_namespace = [workload.namespace, workload.applied_namespace]
            .into_iter()
            .flatten()
            .any(|namespace| {
                let group = Subject::group(&format!("{ALL_SERVICE_ACCOUNTS}:{namespace}"));
                permissions.grants_naming(&group).next().is_some()
            });
        let token_used_elsewhere =
            account.is_some_and(|a| a.cloud_identity) || inventory.entries[workload.entry].reads_service_account_files;
        if direct.is_empty() && !through_namespace && !token_used_elsewhere {
            hits.push((workload.entry, unused_token_hit(workload, pod_setting)));
        }
    }
    hits
}

/// Where the token is mounted, with the cluster's CA certificate and the namespace.
const AUTOMOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Whether a container names the automounted files in its command, arguments or environment
/// (e.g. the konnectivity agent reads the CA certificate there): turning the mount off would
/// break it. Computed when the workload enters the inventory, whose pod then no longer has
/// those fields.
pub(crate) fn reads_automounted_files(pod: &PodTemplate) -> bool {
    let names_path = |text: &String| text.contains(AUTOMOUNT_PATH);
    containers(&pod.spec)
        .filter(|c| c.list != ContainerList::Ephemeral)
        .any(|container| {
            container.command().iter().any(names_path)
                || container.args().iter().any(names_path)
                || container
                    .env()
                    .iter()
                    .filter_map(|env| env.value.as_ref())
                    .any(names_path)
        })
}

/// The ServiceAccount objects of the input, by namespace and name.
fn account_objects(inventory: &Inventory) -> HashMap<(Option<&str>, &str), AccountObject> {
    inventory
        .kube_objects()
        .filter_map(|(entry, object)| match object {
            KubeObject::ServiceAccount(account) => Some((
                (
                    entry.source.namespace.as_deref(),
                    account.metadata.name.as_deref().unwrap_or_default(),
                ),
                AccountObject {
                    automount: account.automount_service_account_token,
                    cloud_identity: account.metadata.annotations.as_ref().is_some_and(|annotations| {
                        CLOUD_IDENTITY_ANNOTATIONS.iter().any(|a| annotations.contains_key(*a))
                    }),
                },
            )),
            _ => None,
        })
        .collect()
}

fn default_account_hit(permissions: &Permissions, workload: &Workload, grants: &[&Grant]) -> Hit {
    let mut bindings: Vec<String> = Vec::new();
    for grant in grants {
        let role = match grant.role {
            Some(id) => permissions.role(id).to_string(),
            None => format!("{} {} (not in the scanned objects)", grant.role_kind, grant.role_name),
        };
        let binding = format!("{grant} ({role} {})", grant.scope);
        // The same binding loaded from several files says nothing more.
        if !bindings.contains(&binding) {
            bindings.push(binding);
        }
    }
    let namespace = match workload.namespace.or(workload.applied_namespace) {
        Some(namespace) => format!("namespace {namespace}"),
        None => "its namespace".to_owned(),
    };
    Hit {
        rule: &DEFAULT_WITH_BINDINGS,
        message: format!(
            "{workload} runs as {}, which is bound by {}: every pod of {namespace} that names no service account shares these permissions.",
            workload.account(),
            listed(&bindings)
        ),
        field: workload.pod.path.join(&FieldPath::keys(account_field(workload))),
        container: None,
    }
}

/// How many bindings a message names; the rest are counted. Every workload of a namespace
/// repeats the list, which on a large cluster would cost megabytes and read as noise.
const LISTED_BINDINGS: usize = 3;

fn listed(bindings: &[String]) -> String {
    match bindings.len().checked_sub(LISTED_BINDINGS) {
        Some(more) if more > 0 => format!("{} and {more} more", bindings[..LISTED_BINDINGS].join(", ")),
        _ => bindings.join(", "),
    }
}

/// The field of the pod that names its service account, or its spec when none does.
fn account_field(workload: &Workload) -> &'static str {
    if workload.pod.spec.service_account_name.is_some() {
        "spec.serviceAccountName"
    } else {
        "spec"
    }
}

fn unused_token_hit(workload: &Workload, pod_setting: Option<bool>) -> Hit {
    let field = if pod_setting.is_some() {
        "spec.automountServiceAccountToken"
    } else {
        account_field(workload)
    };
    Hit {
        rule: &UNUSED_TOKEN,
        message: format!(
            "{workload} mounts a token of {}, but no binding found in the scanned objects grants that account anything: the application likely never calls the Kubernetes API, while an attacker in the pod can.",
            workload.account()
        ),
        field: workload.pod.path.join(&FieldPath::keys(field)),
        container: None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::rules::rbac::fixtures::*;
    use crate::{testing, Finding};

    fn findings(objects: &[Value]) -> Vec<Finding> {
        testing::findings(objects)
            .into_iter()
            .filter(|f| f.rule.starts_with("TLR-sa-"))
            .collect()
    }

    fn ids(objects: &[Value]) -> Vec<String> {
        testing::rule_ids(objects, "TLR-sa-")
    }

    fn pod_reader_for(account: &str) -> [Value; 2] {
        [
            role("ml", "pod-reader", &[rule(&[""], &["pods"], &["get"])]),
            role_binding(
                "ml",
                "read-pods",
                "Role",
                "pod-reader",
                &[subject("ServiceAccount", account, None)],
            ),
        ]
    }

    #[test]
    fn workload_on_a_default_account_with_bindings_is_flagged() {
        let mut objects = pod_reader_for("default").to_vec();
        objects.push(deployment(Some("ml"), "api", None));
        let found = findings(&objects);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].rule, "TLR-sa-default-with-bindings");
        assert_eq!(
            (found[0].name.as_deref(), found[0].field.as_str()),
            (Some("api"), "spec.template.spec")
        );
        assert_eq!(
            found[0].message,
            "Deployment ml/api runs as ServiceAccount ml/default, which is bound by RoleBinding ml/read-pods (Role ml/pod-reader in namespace ml): every pod of namespace ml that names no service account shares these permissions."
        );
        // Naming `default` explicitly changes nothing but the line.
        objects[2] = deployment(Some("ml"), "api", Some("default"));
        assert_eq!(findings(&objects)[0].field, "spec.template.spec.serviceAccountName");
    }

    #[test]
    fn a_message_names_three_bindings_and_counts_the_rest() {
        let mut objects = vec![role("ml", "pod-reader", &[rule(&[""], &["pods"], &["get"])])];
        for n in 0..5 {
            objects.push(role_binding(
                "ml",
                &format!("read-pods-{n}"),
                "Role",
                "pod-reader",
                &[subject("ServiceAccount", "default", None)],
            ));
        }
        objects.push(deployment(Some("ml"), "api", None));
        let found = findings(&objects);
        assert_eq!(found.len(), 1, "{found:#?}");
        let message = &found[0].message;
        for n in 0..3 {
            assert!(message.contains(&format!("RoleBinding ml/read-pods-{n} ")), "{message}");
        }
        assert!(!message.contains("read-pods-3"), "{message}");
        assert!(
            message.contains("(Role ml/pod-reader in namespace ml) and 2 more: every pod"),
            "{message}"
        );
    }

    #[test]
    fn default_account_without_bindings_or_without_a_token_is_not_flagged_for_bindings() {
        let mut own_account = pod_reader_for("api").to_vec();
        own_account.push(deployment(Some("ml"), "api", Some("api")));
        assert!(ids(&own_account).is_empty());

        let mut no_token = pod_reader_for("default").to_vec();
        let mut api = deployment(Some("ml"), "api", None);
        api["spec"]["template"]["spec"]["automountServiceAccountToken"] = json!(false);
        no_token.push(api);
        assert!(ids(&no_token).is_empty());

        // In another namespace, `default` is another account.
        let mut elsewhere = pod_reader_for("default").to_vec();
        elsewhere.push(deployment(Some("web"), "api", None));
        assert_eq!(ids(&elsewhere), ["TLR-sa-unused-token"]);
    }

    #[test]
    fn token_of_an_account_without_bindings_is_flagged() {
        let found = findings(&[deployment(Some("ml"), "api", Some("api"))]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "TLR-sa-unused-token");
        assert_eq!(found[0].field, "spec.template.spec.serviceAccountName");
        assert_eq!(
            found[0].message,
            "Deployment ml/api mounts a token of ServiceAccount ml/api, but no binding found in the scanned objects grants that account anything: the application likely never calls the Kubernetes API, while an attacker in the pod can."
        );
        // The pod turning the token on overrides an account that turns it off.
        let mut forced = deployment(Some("ml"), "api", Some("api"));
        forced["spec"]["template"]["spec"]["automountServiceAccountToken"] = json!(true);
        let mut account = service_account("ml", "api");
        account["automountServiceAccountToken"] = json!(false);
        let found = findings(&[account, forced]);
        assert_eq!(found[0].field, "spec.template.spec.automountServiceAccountToken");
    }

    #[test]
    fn token_is_not_flagged_when_off_used_by_bindings_or_by_a_cloud_identity() {
        let workload = deployment(Some("ml"), "api", Some("api"));
        let mut account = service_account("ml", "api");
        account["automountServiceAccountToken"] = json!(false);
        assert!(
            ids(&[account, workload.clone()]).is_empty(),
            "the account turns the token off"
        );

        let mut bound = pod_reader_for("api").to_vec();
        bound.push(workload.clone());
        assert!(ids(&bound).is_empty());

        let namespace_group = cluster_role_binding(
            "ml-accounts",
            "view",
            &[subject("Group", "system:serviceaccounts:ml", None)],
        );
        assert!(ids(&[namespace_group, workload.clone()]).is_empty());

        let mut reads_ca = workload.clone();
        reads_ca["spec"]["template"]["spec"]["containers"][0]["args"] =
            json!(["--ca-cert=/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"]);
        assert!(
            ids(&[reads_ca]).is_empty(),
            "the container reads the automounted CA certificate"
        );

        let mut federated = service_account("ml", "api");
        federated["metadata"]["annotations"] =
            json!({"iam.gke.io/gcp-service-account": "api@project.iam.gserviceaccount.com"});
        assert!(
            ids(&[federated, workload.clone()]).is_empty(),
            "GKE Workload Identity exchanges the token"
        );

        // A grant to every service account says nothing about this workload's needs.
        let everyone = cluster_role_binding("all", "view", &[subject("Group", "system:serviceaccounts", None)]);
        assert_eq!(ids(&[everyone, workload]), ["TLR-sa-unused-token"]);
    }
}

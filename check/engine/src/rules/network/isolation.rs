//! Isolation of each namespace, per direction: no policy at all, policies but no default deny,
//! and pods that no policy selects while others are.
//!
//! A namespace with no policy for a direction is reported once, not once per pod. It is
//! reported only when the input sets the namespace up (its Namespace object, or policies of
//! its own): objects merely deployed into a namespace say nothing about the policies it holds.

use tailor_kube::FieldPath;

use super::index::{NamespaceView, Workload};
use super::policies::Direction;
use super::{list, namespace_name, NAMESPACE_WITHOUT_POLICY, NO_DEFAULT_DENY, POD_NOT_SELECTED};
use crate::rules::text::distinct;
use crate::Hit;

pub fn check(namespace: Option<&str>, view: &NamespaceView) -> Vec<(usize, Hit)> {
    let workloads: Vec<&Workload> = view.pod_network_workloads().collect();
    if workloads.is_empty() {
        return Vec::new();
    }
    let sets_up_namespace = view.namespace_object.is_some() || !view.policies.is_empty();
    let mut without_policy = Vec::new();
    let mut without_default_deny = Vec::new();
    let mut unselected: Vec<Vec<Direction>> = vec![Vec::new(); workloads.len()];
    for direction in Direction::BOTH {
        if !view.has_policies(direction) {
            if sets_up_namespace {
                without_policy.push(direction);
            }
            continue;
        }
        if !view
            .policies
            .iter()
            .any(|(_, policy)| policy.is_default_deny(direction))
        {
            without_default_deny.push(direction);
        }
        for (directions, workload) in unselected.iter_mut().zip(&workloads) {
            if workload.policies(direction).is_empty() {
                directions.push(direction);
            }
        }
    }

    let mut hits = Vec::new();
    let names = distinct(workloads.iter().map(|w| w.describe()).collect());
    if !without_policy.is_empty() {
        let message = format!(
            "No NetworkPolicy in the scanned objects restricts {} in {}: its {} workload(s) ({}) {}",
            joined(&without_policy),
            namespace_name(namespace),
            workloads.len(),
            list(&names),
            consequences(&without_policy),
        );
        hits.push(namespace_hit(
            namespace,
            view,
            workloads[0],
            &NAMESPACE_WITHOUT_POLICY,
            message,
        ));
    }
    if !without_default_deny.is_empty() {
        let message = format!(
            "{} has {} NetworkPolicies but no default deny for {} in the scanned objects (a policy with \
             `podSelector: {{}}` that admits less than everything): any pod its policies do not select runs \
             unrestricted",
            capitalised(&namespace_name(namespace)),
            joined(&without_default_deny),
            joined(&without_default_deny),
        );
        hits.push(namespace_hit(namespace, view, workloads[0], &NO_DEFAULT_DENY, message));
    }
    for (directions, workload) in unselected.iter().zip(&workloads) {
        if directions.is_empty() {
            continue;
        }
        let message = format!(
            "No {} NetworkPolicy in the scanned objects selects the pods of {} ({}), while {} has {} policies: \
             they {}",
            joined_with(directions, " or "),
            workload.describe(),
            describe_labels(workload),
            namespace_name(namespace),
            joined(directions),
            consequences(directions),
        );
        hits.push((
            workload.entry,
            Hit {
                rule: &POD_NOT_SELECTED,
                message,
                field: workload.pod.path.join(&FieldPath::keys("metadata.labels")),
                container: None,
            },
        ));
    }
    hits
}

/// A finding about the namespace: on its Namespace object when the input has one, else on
/// its first workload.
fn namespace_hit(
    namespace: Option<&str>,
    view: &NamespaceView,
    first_workload: &Workload,
    rule: &'static crate::Rule,
    message: String,
) -> (usize, Hit) {
    let (entry, field) = match (view.namespace_object, namespace) {
        (Some(entry), _) => (entry, FieldPath::keys("metadata.name")),
        (None, Some(_)) => (first_workload.entry, FieldPath::keys("metadata.namespace")),
        (None, None) => (first_workload.entry, FieldPath::keys("metadata")),
    };
    (
        entry,
        Hit {
            rule,
            message,
            field,
            container: None,
        },
    )
}

fn joined(directions: &[Direction]) -> String {
    joined_with(directions, " and ")
}

fn joined_with(directions: &[Direction], separator: &str) -> String {
    directions
        .iter()
        .map(|d| d.as_str())
        .collect::<Vec<_>>()
        .join(separator)
}

/// What an attacker gets where nothing restricts `directions`.
fn consequences(directions: &[Direction]) -> String {
    directions
        .iter()
        .map(|direction| match direction {
            Direction::Ingress => "accept connections from any pod of the cluster",
            Direction::Egress => "can connect to any address, the cloud metadata API included",
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

fn describe_labels(workload: &Workload) -> String {
    if workload.labels.is_empty() {
        return "no pod labels".to_owned();
    }
    let pairs: Vec<String> = workload.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("pod labels {}", list(&pairs))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::testing;

    fn namespace(name: &str) -> Value {
        json!({"apiVersion":"v1","kind":"Namespace","metadata":{"name":name}})
    }

    fn deployment(name: &str, namespace: &str, app: &str) -> Value {
        json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":name,"namespace":namespace},
            "spec":{"template":{"metadata":{"labels":{"app":app}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})
    }

    fn policy(name: &str, namespace: &str, spec: Value) -> Value {
        json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":name,"namespace":namespace},"spec":spec})
    }

    /// `(rule, object name, message)` of the network findings.
    fn network_findings(objects: &[Value]) -> Vec<(String, String, String)> {
        let mut found: Vec<_> = testing::findings(objects)
            .into_iter()
            .filter(|f| f.rule.starts_with("TLR-netpol-"))
            .map(|f| (f.rule.to_owned(), f.name.unwrap_or_default().to_string(), f.message))
            .collect();
        found.sort();
        found
    }

    #[test]
    fn a_namespace_set_up_without_policies_is_reported_once_on_its_namespace_object() {
        let found = network_findings(&[namespace("ml"), deployment("a", "ml", "a"), deployment("b", "ml", "b")]);
        assert_eq!(found.len(), 1, "{found:?}");
        let (rule, name, message) = &found[0];
        assert_eq!((rule.as_str(), name.as_str()), ("TLR-netpol-namespace-no-policy", "ml"));
        assert!(
            message.contains("restricts ingress and egress in namespace \"ml\""),
            "{message}"
        );
        assert!(
            message.contains("2 workload(s) (Deployment a, Deployment b)"),
            "{message}"
        );
    }

    #[test]
    fn workloads_merely_deployed_into_a_namespace_are_not_judged_by_it() {
        // No Namespace object and no policy: the namespace's policies are unknown.
        assert!(network_findings(&[deployment("a", "ml", "a")]).is_empty());
        let bare_pod = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"i"}]}});
        assert!(network_findings(&[bare_pod]).is_empty());
    }

    #[test]
    fn a_default_deny_for_both_directions_leaves_nothing_to_report() {
        let found = network_findings(&[
            namespace("ml"),
            deployment("a", "ml", "a"),
            deployment("b", "ml", "b"),
            policy(
                "deny",
                "ml",
                json!({"podSelector":{},"policyTypes":["Ingress","Egress"]}),
            ),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn gaps_are_reported_per_pod_and_the_missing_default_deny_per_namespace() {
        let found = network_findings(&[
            deployment("a", "ml", "a"),
            deployment("b", "ml", "b"),
            // Ingress only (egress defaults off): `a` is isolated, `b` is not.
            policy(
                "a",
                "ml",
                json!({"podSelector":{"matchLabels":{"app":"a"}},"ingress":[{"from":[{"podSelector":{}}]}]}),
            ),
        ]);
        let rules: Vec<(&str, &str)> = found.iter().map(|(r, n, _)| (r.as_str(), n.as_str())).collect();
        assert_eq!(
            rules,
            [
                // On the first workload: no Namespace object in the input.
                ("TLR-netpol-namespace-no-policy", "a"),
                ("TLR-netpol-no-default-deny", "a"),
                ("TLR-netpol-pod-not-selected", "b"),
            ]
        );
        assert!(
            found[0].2.contains("restricts egress in namespace \"ml\""),
            "{}",
            found[0].2
        );
        assert!(found[1].2.contains("no default deny for ingress"), "{}", found[1].2);
        assert!(found[2].2.contains("No ingress NetworkPolicy"), "{}", found[2].2);
        assert!(found[2].2.contains("pod labels app=b"), "{}", found[2].2);
    }

    #[test]
    fn policies_of_other_namespaces_and_deployment_labels_do_not_count() {
        let mut web = deployment("web", "ml", "web");
        web["metadata"]["labels"] = json!({"app": "db"});
        let found = network_findings(&[
            web,
            deployment("db", "ml", "db"),
            policy(
                "db",
                "ml",
                json!({"podSelector":{"matchLabels":{"app":"db"}},"policyTypes":["Ingress","Egress"]}),
            ),
            policy(
                "web",
                "other",
                json!({"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress","Egress"]}),
            ),
        ]);
        let unselected: Vec<&str> = found
            .iter()
            .filter(|(r, _, _)| r == "TLR-netpol-pod-not-selected")
            .map(|(_, n, m)| {
                assert!(m.contains("No ingress or egress NetworkPolicy"), "{m}");
                n.as_str()
            })
            .collect();
        assert_eq!(unselected, ["web"]);
    }

    #[test]
    fn match_expressions_select_pods_too() {
        let found = network_findings(&[
            deployment("a", "ml", "a"),
            deployment("b", "ml", "b"),
            deployment("c", "ml", "c"),
            policy(
                "not-c",
                "ml",
                json!({"podSelector":{"matchExpressions":[{"key":"app","operator":"NotIn","values":["c"]}]},
                "policyTypes":["Ingress","Egress"]}),
            ),
        ]);
        let unselected: Vec<&str> = found
            .iter()
            .filter(|(r, _, _)| r == "TLR-netpol-pod-not-selected")
            .map(|(_, n, _)| n.as_str())
            .collect();
        assert_eq!(unselected, ["c"]);
    }

    #[test]
    fn host_network_pods_are_left_to_the_pod_security_rules() {
        let mut node_agent = deployment("agent", "ml", "agent");
        node_agent["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
        let found = network_findings(&[
            node_agent,
            deployment("a", "ml", "a"),
            policy(
                "a",
                "ml",
                json!({"podSelector":{"matchLabels":{"app":"a"}},"policyTypes":["Ingress","Egress"]}),
            ),
        ]);
        assert!(found.iter().all(|(_, n, _)| n != "agent"), "{found:?}");
    }

    #[test]
    fn objects_without_namespace_share_one() {
        let bare = |name: &str| json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":name,"labels":{"app":name}},"spec":{"containers":[{"name":"c","image":"i"}]}});
        let deny_all = json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"deny"},
            "spec":{"podSelector":{},"policyTypes":["Ingress","Egress"]}});
        assert!(network_findings(&[bare("a"), bare("b"), deny_all]).is_empty());
    }
}

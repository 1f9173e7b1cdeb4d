//! The user a container runs as, after inheritance: a container's `runAsUser` and
//! `runAsNonRoot` override the pod's, and with neither the image's `USER` decides.
//!
//! Two findings, told apart: a container configured to run as UID 0 (medium), and one that
//! may run as root because nothing stops the image's default user from being root (info:
//! Pod Security `restricted` already reports it as `runAsNonRoot`, and the manifest alone
//! cannot tell). Pods with their own user namespace (`hostUsers: false`) are skipped: their
//! UID 0 is not root on the node. So are Windows pods, which have no Linux users.

use tailor_kube::{containers, FieldPath, PodTemplate};

use super::{is_windows, Hits};
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::Rule;

pub(super) const RUN_AS_ROOT: Rule = Rule {
    id: "TLR-run-as-root",
    title: "Container runs as root",
    severity: Severity::Medium,
    rationale: "A process running as UID 0 owns every root-owned file it can reach, uses every capability it is granted, and is root on the node after any container escape or through any writable host mount.",
    remediation: "Set runAsUser to a non-zero UID (pod or container level) and runAsNonRoot: true, and build the image with a non-root USER; or run the pod in its own user namespace (hostUsers: false).",
    attack: &[ESCAPE_TO_HOST, PRIVILEGE_ESCALATION_EXPLOIT],
    ms_threat_matrix: None,
};

pub(super) const MAY_RUN_AS_ROOT: Rule = Rule {
    id: "TLR-may-run-as-root",
    title: "Container may run as root (image default)",
    severity: Severity::Info,
    rationale: "Without runAsUser or runAsNonRoot: true the image's USER decides, and most images default to root; nothing in the manifest stops a root process.",
    remediation: "Set runAsNonRoot: true (the kubelet then refuses to start a root image) and runAsUser to a non-zero UID, at pod level so every container inherits them.",
    attack: &[ESCAPE_TO_HOST, PRIVILEGE_ESCALATION_EXPLOIT],
    ms_threat_matrix: None,
};

pub(super) fn check(pod: &PodTemplate, hits: &mut Hits) {
    if is_windows(pod) || pod.spec.host_users == Some(false) {
        return;
    }
    let pod_context = pod.spec.security_context.as_ref();
    let pod_user = pod_context.and_then(|sc| sc.run_as_user);
    let pod_non_root = pod_context.and_then(|sc| sc.run_as_non_root);
    for container in containers(&pod.spec) {
        let own = container.security_context();
        let own_user = own.and_then(|sc| sc.run_as_user);
        let own_non_root = own.and_then(|sc| sc.run_as_non_root);
        let non_root = own_non_root.or(pod_non_root);
        match (own_user, pod_user) {
            // The kubelet refuses to start UID 0 under runAsNonRoot: true; nothing runs.
            (Some(0), _) | (None, Some(0)) if non_root == Some(true) => {}
            (Some(0), _) => hits.add(
                &RUN_AS_ROOT,
                container.path_to("securityContext.runAsUser"),
                Some(container.name()),
                format!("{container} runs as root: its securityContext sets runAsUser: 0"),
            ),
            (None, Some(0)) => hits.add(
                &RUN_AS_ROOT,
                FieldPath::keys("spec.securityContext.runAsUser"),
                Some(container.name()),
                format!("{container} runs as root: the pod's securityContext sets runAsUser: 0 and the container does not override it"),
            ),
            (Some(_), _) | (None, Some(_)) => {}
            (None, None) if non_root == Some(true) => {}
            (None, None) => {
                let (field, why) = match (own_non_root, pod_non_root) {
                    (Some(false), _) => (container.path_to("securityContext.runAsNonRoot"), "it sets runAsNonRoot: false"),
                    (None, Some(false)) => (
                        FieldPath::keys("spec.securityContext.runAsNonRoot"),
                        "the pod sets runAsNonRoot: false",
                    ),
                    _ => (container.security_context_or_container(), "neither it nor the pod sets runAsUser or runAsNonRoot"),
                };
                hits.add(
                    &MAY_RUN_AS_ROOT,
                    field,
                    Some(container.name()),
                    format!("{container} may run as root, as its image's default user: {why}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use crate::Finding;
    use serde_json::{json, Value};

    fn findings(spec: Value) -> Vec<Finding> {
        testing::pod_findings(spec, &[&RUN_AS_ROOT, &MAY_RUN_AS_ROOT])
    }

    fn summary(found: &[Finding]) -> Vec<(&str, &str)> {
        found.iter().map(|f| (f.rule, f.field.as_str())).collect()
    }

    #[test]
    fn explicit_root_points_where_it_is_set() {
        let found = findings(json!({"containers":[{"name":"c","image":"x","securityContext":{"runAsUser":0}}]}));
        assert_eq!(
            summary(&found),
            [("TLR-run-as-root", "spec.containers[0].securityContext.runAsUser")]
        );
        assert_eq!(found[0].severity, Severity::Medium);
        assert_eq!(found[0].container.as_deref(), Some("c"));

        let found = findings(json!({"securityContext":{"runAsUser":0},"containers":[{"name":"c","image":"x"}]}));
        assert_eq!(summary(&found), [("TLR-run-as-root", "spec.securityContext.runAsUser")]);
        assert!(
            found[0].message.contains("does not override it"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn container_values_override_the_pod() {
        // Pod says root, the container overrides with a user: not root.
        let found = findings(json!({"securityContext":{"runAsUser":0},
            "containers":[{"name":"c","image":"x","securityContext":{"runAsUser":1000}}]}));
        assert!(found.is_empty(), "{found:?}");
        // Pod says a user, the container overrides with root.
        let found = findings(json!({"securityContext":{"runAsUser":1000},
            "containers":[{"name":"a","image":"x"},{"name":"b","image":"x","securityContext":{"runAsUser":0}}]}));
        assert_eq!(
            summary(&found),
            [("TLR-run-as-root", "spec.containers[1].securityContext.runAsUser")]
        );
        // The pod's runAsNonRoot covers a container without a user; the container's false
        // overrides it.
        let found = findings(json!({"securityContext":{"runAsNonRoot":true},
            "containers":[{"name":"a","image":"x"},{"name":"b","image":"x","securityContext":{"runAsNonRoot":false}}]}));
        assert_eq!(
            summary(&found),
            [("TLR-may-run-as-root", "spec.containers[1].securityContext.runAsNonRoot")]
        );
        assert_eq!(found[0].severity, Severity::Info);
    }

    #[test]
    fn image_default_user_is_reported_apart() {
        let found = findings(json!({"initContainers":[{"name":"i","image":"x"}],
            "containers":[{"name":"c","image":"x","securityContext":{}}]}));
        assert_eq!(
            summary(&found),
            [
                ("TLR-may-run-as-root", "spec.initContainers[0]"),
                ("TLR-may-run-as-root", "spec.containers[0].securityContext"),
            ]
        );
        assert!(
            found[1].message.contains("neither it nor the pod sets"),
            "{}",
            found[1].message
        );
        let found = findings(json!({"securityContext":{"runAsNonRoot":false},"containers":[{"name":"c","image":"x"}]}));
        assert_eq!(
            summary(&found),
            [("TLR-may-run-as-root", "spec.securityContext.runAsNonRoot")]
        );
    }

    #[test]
    fn nothing_when_root_cannot_run() {
        for spec in [
            // runAsNonRoot: true with UID 0: the kubelet refuses to start the container.
            json!({"securityContext":{"runAsNonRoot":true},"containers":[{"name":"c","image":"x","securityContext":{"runAsUser":0}}]}),
            // A user namespace: UID 0 inside is not root on the node.
            json!({"hostUsers":false,"containers":[{"name":"c","image":"x","securityContext":{"runAsUser":0}}]}),
            json!({"os":{"name":"windows"},"containers":[{"name":"c","image":"x"}]}),
            json!({"securityContext":{"runAsUser":1000},"containers":[{"name":"c","image":"x"}]}),
        ] {
            assert!(findings(spec.clone()).is_empty(), "{spec}");
        }
    }
}

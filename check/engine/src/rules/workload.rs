//! Workload rules that Pod Security misses, checked on one pod at a time: container runtime
//! sockets and sensitive host paths mounted from the node, dangerous capabilities and NET_RAW,
//! root users, writable root file systems, literal secrets in the environment, mutable image
//! references and missing resource limits.
//!
//! One concern per submodule; each declares its rules as constants, listed here in [`RULES`],
//! and adds its hits in a `check` function. Pod-level `securityContext` values are inherited
//! by every container that does not set its own, as the kubelet does.

mod capabilities;
mod host_paths;
mod identity;
mod images;
mod resources;
mod root_filesystem;
mod secrets;

use tailor_kube::PodTemplate;

use super::{Hits, Rule};
use crate::{Hit, WorkloadContext};

/// The workload rules, by concern.
pub static RULES: &[Rule] = &[
    host_paths::RUNTIME_SOCKET,
    host_paths::HOST_ROOT,
    host_paths::SENSITIVE_WRITABLE,
    host_paths::SENSITIVE_READ_ONLY,
    capabilities::ESCAPE,
    capabilities::DANGEROUS,
    capabilities::NET_RAW,
    identity::RUN_AS_ROOT,
    identity::MAY_RUN_AS_ROOT,
    root_filesystem::WRITABLE_ROOT_FILESYSTEM,
    secrets::CREDENTIAL,
    secrets::SECRET_LITERAL,
    images::MUTABLE_TAG,
    images::NO_DIGEST,
    resources::LIMITS_MISSING,
];

/// Every workload rule's hits on one pod.
pub fn check(context: &WorkloadContext) -> Vec<Hit> {
    let mut hits = Hits::new(context.pod);
    host_paths::check(context.pod, &mut hits);
    capabilities::check(context.pod, &mut hits);
    identity::check(context.pod, &mut hits);
    root_filesystem::check(context.pod, &mut hits);
    secrets::check(context.pod, &mut hits);
    images::check(context.pod, &mut hits);
    resources::check(context.pod, &mut hits);
    hits.into_hits()
}

/// Windows pods have no Linux users, capabilities or read-only root file systems.
pub(crate) fn is_windows(pod: &PodTemplate) -> bool {
    pod.spec.os.as_ref().is_some_and(|os| os.name == "windows")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing;

    #[test]
    fn every_workload_rule_is_registered_once() {
        for rule in super::RULES {
            assert!(rule.id.starts_with("TLR-"), "{}", rule.id);
            assert_eq!(crate::rules::by_id(rule.id), Some(rule));
        }
    }

    #[test]
    fn hit_fields_are_placed_in_the_object() {
        let cron = json!({"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"c"},
            "spec":{"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"a","image":"busybox"}]}}}}}});
        let findings = testing::findings(&[cron]);
        let image = findings.iter().find(|f| f.rule == "TLR-image-mutable-tag").unwrap();
        assert_eq!(image.field, "spec.jobTemplate.spec.template.spec.containers[0].image");
        assert_eq!(image.container.as_deref(), Some("a"));
    }
}

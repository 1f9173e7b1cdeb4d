//! `readOnlyRootFilesystem`: a container-level setting only (the pod has no such field), so
//! there is nothing to inherit.

use tailor_kube::{containers, PodTemplate};

use super::{is_windows, Hits};
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::Rule;

/// Low: it limits what an attacker does inside the container (drop tools, alter the
/// application) without crossing a boundary by itself.
pub(super) const WRITABLE_ROOT_FILESYSTEM: Rule = Rule {
    id: "TLR-root-filesystem-writable",
    title: "Root file system writable",
    severity: Severity::Low,
    rationale: "A writable root file system lets an intruder download and run tools, alter the application's code and configuration, and persist until the container is replaced.",
    remediation: "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes where the application writes (/tmp, caches).",
    attack: &[LATERAL_TOOL_TRANSFER, IMPLANT_INTERNAL_IMAGE],
    ms_threat_matrix: None,
};

pub(super) fn check(pod: &PodTemplate, hits: &mut Hits) {
    if is_windows(pod) {
        return;
    }
    for container in containers(&pod.spec) {
        let setting = container.security_context().and_then(|sc| sc.read_only_root_filesystem);
        let (field, message) = match setting {
            Some(true) => continue,
            Some(false) => (
                container.path_to("securityContext.readOnlyRootFilesystem"),
                format!("{container} sets readOnlyRootFilesystem: false"),
            ),
            None => (
                container.security_context_or_container(),
                format!("{container} does not set readOnlyRootFilesystem: true"),
            ),
        };
        hits.add(&WRITABLE_ROOT_FILESYSTEM, field, Some(container.name()), message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use serde_json::json;

    fn fields(spec: serde_json::Value) -> Vec<String> {
        testing::pod_findings(spec, &[&WRITABLE_ROOT_FILESYSTEM])
            .into_iter()
            .map(|f| f.field)
            .collect()
    }

    #[test]
    fn each_container_must_set_it() {
        let found = fields(json!({"containers":[
            {"name":"a","image":"x","securityContext":{"readOnlyRootFilesystem":true}},
            {"name":"b","image":"x","securityContext":{"readOnlyRootFilesystem":false}},
            {"name":"c","image":"x"},
            {"name":"d","image":"x","securityContext":{"runAsUser":1}}]}));
        assert_eq!(
            found,
            [
                "spec.containers[1].securityContext.readOnlyRootFilesystem",
                "spec.containers[2]",
                "spec.containers[3].securityContext",
            ]
        );
    }

    #[test]
    fn windows_pods_are_skipped() {
        assert!(fields(json!({"os":{"name":"windows"},"containers":[{"name":"c","image":"x"}]})).is_empty());
    }
}

//! CPU and memory limits, per container. Pod-level limits (`spec.resources`) bound every
//! container, so they count too. A namespace's LimitRange may supply defaults at admission;
//! it is not consulted here (one object at a time), which the rationale says.

use tailor_kube::k8s_openapi::api::core::v1::ResourceRequirements;
use tailor_kube::{containers, ContainerList, PodTemplate};

use super::Hits;
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::text::plain_list;
use crate::rules::Rule;

pub(super) const LIMITS_MISSING: Rule = Rule {
    id: "TLR-resource-limits-missing",
    title: "CPU or memory limit missing",
    severity: Severity::Low,
    rationale: "Without limits a compromised or runaway container can use the node's CPU and memory (cryptomining, denial of service to its neighbours, evictions). A LimitRange in the namespace may set defaults at admission.",
    remediation: "Set resources.limits.memory (and resources.limits.cpu where throttling is acceptable) on every container, or a LimitRange with defaults in the namespace.",
    attack: &[RESOURCE_HIJACKING, ENDPOINT_DENIAL_OF_SERVICE],
    ms_threat_matrix: None,
};

const RESOURCES: [&str; 2] = ["cpu", "memory"];

fn has_limit(requirements: Option<&ResourceRequirements>, resource: &str) -> bool {
    requirements
        .and_then(|r| r.limits.as_ref())
        .is_some_and(|limits| limits.contains_key(resource))
}

pub(super) fn check(pod: &PodTemplate, hits: &mut Hits) {
    let pod_level = pod.spec.resources.as_ref();
    // Ephemeral containers cannot have resources.
    for container in containers(&pod.spec).filter(|c| c.list != ContainerList::Ephemeral) {
        let missing: Vec<String> = RESOURCES
            .iter()
            .filter(|r| !has_limit(container.resources(), r) && !has_limit(pod_level, r))
            .map(|r| (*r).to_owned())
            .collect();
        if missing.is_empty() {
            continue;
        }
        let field = match container.resources() {
            Some(r) if r.limits.is_some() => container.path_to("resources.limits"),
            Some(_) => container.path_to("resources"),
            None => container.path(),
        };
        hits.add(
            &LIMITS_MISSING,
            field,
            Some(container.name()),
            format!("{container} has no {} limit", plain_list(&missing)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use serde_json::json;

    fn found(spec: serde_json::Value) -> Vec<(String, String)> {
        testing::pod_findings(spec, &[&LIMITS_MISSING])
            .into_iter()
            .map(|f| (f.field, f.message))
            .collect()
    }

    #[test]
    fn names_the_missing_limits_per_container() {
        let result = found(json!({
            "initContainers":[{"name":"init","image":"x"}],
            "containers":[
                {"name":"full","image":"x","resources":{"limits":{"cpu":"1","memory":"1Gi"}}},
                {"name":"memory","image":"x","resources":{"limits":{"memory":"1Gi"},"requests":{"cpu":"1"}}},
                {"name":"requests","image":"x","resources":{"requests":{"cpu":"1","memory":"1Gi"}}}],
            "ephemeralContainers":[{"name":"debug","image":"x"}]}));
        let expected = [
            (
                "spec.initContainers[0]",
                "init container \"init\" has no cpu and memory limit",
            ),
            (
                "spec.containers[1].resources.limits",
                "container \"memory\" has no cpu limit",
            ),
            (
                "spec.containers[2].resources",
                "container \"requests\" has no cpu and memory limit",
            ),
        ];
        let result: Vec<(&str, &str)> = result.iter().map(|(f, m)| (f.as_str(), m.as_str())).collect();
        assert_eq!(result, expected);
    }

    #[test]
    fn pod_level_limits_bound_every_container() {
        let result = found(json!({"resources":{"limits":{"cpu":"2","memory":"4Gi"}},
            "containers":[{"name":"a","image":"x"},{"name":"b","image":"x"}]}));
        assert!(result.is_empty(), "{result:?}");
    }
}

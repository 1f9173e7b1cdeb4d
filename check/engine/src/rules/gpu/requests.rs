//! GPU requests without a limit, or with a limit of a different amount, which the API server
//! rejects for extended resources.

use tailor_kube::PodTemplate;

use super::classify::{self, gpu_requests};
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::{Hits, Rule};

pub const REQUEST_WITHOUT_LIMIT: Rule = Rule {
    id: "TLR-gpu-request-without-limit",
    title: "GPU requested without an equal limit",
    severity: Severity::Medium,
    rationale: "GPUs are extended resources and cannot be overcommitted: Kubernetes rejects a pod that requests one without a limit, or with a request different from its limit, so the workload never runs as written and its GPU accounting is unclear.",
    remediation: "Set the GPU count in resources.limits only (the request defaults to it), or make the request equal to the limit.",
    attack: &[RESOURCE_HIJACKING],
    ms_threat_matrix: None,
};
pub(super) fn requests_without_limits(pod: &PodTemplate, hits: &mut Hits) {
    for request in gpu_requests(pod) {
        let Some(amount) = request.request else {
            continue;
        };
        let container = request.container.name();
        let resource = request.resource;
        let message = match request.limit {
            None => format!(
                "container \"{container}\" requests {resource}: {amount} without a limit: GPUs cannot be \
                 overcommitted, so the API server rejects the pod; set the count in resources.limits (the request \
                 defaults to it)"
            ),
            Some(limit) if !same_quantity(limit, amount) => format!(
                "container \"{container}\" requests {resource}: {amount} but limits it to {limit}: the API server \
                 rejects the pod, since an extended resource's request must equal its limit; set the count in \
                 resources.limits only"
            ),
            Some(_) => continue,
        };
        let field = request.container.path().key("resources").key("requests").key(resource);
        hits.add(&REQUEST_WITHOUT_LIMIT, field, Some(container), message);
    }
}

/// Whether two quantities are the same amount (`1` and `1000m`, `"2"` and `2.0`).
fn same_quantity(a: &str, b: &str) -> bool {
    match (classify::quantity_value(a), classify::quantity_value(b)) {
        (Some(x), Some(y)) => (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs()).max(1.0),
        _ => a.trim() == b.trim(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::tests::{deployment, pod_findings, rules};

    #[test]
    fn gpu_requests_must_be_set_as_limits() {
        let with = |resources: Value| {
            pod_findings(deployment(
                "d",
                None,
                json!({"containers":[{"name":"c","image":"cuda","resources": resources}]}),
            ))
        };
        let found = with(json!({"requests":{"nvidia.com/gpu":"1"}}));
        assert_eq!(rules(&found), ["TLR-gpu-request-without-limit"]);
        assert_eq!(
            found[0].field,
            "spec.template.spec.containers[0].resources.requests[\"nvidia.com/gpu\"]"
        );
        assert!(
            found[0].message.contains("requests nvidia.com/gpu: 1 without a limit"),
            "{}",
            found[0].message
        );

        let found = with(json!({"requests":{"nvidia.com/mig-1g.5gb":1},"limits":{"nvidia.com/mig-1g.5gb":2}}));
        assert_eq!(rules(&found), ["TLR-gpu-request-without-limit"]);
        assert!(found[0].message.contains("but limits it to 2"), "{}", found[0].message);
        let found = with(json!({"requests":{"amd.com/gpu":1}}));
        assert_eq!(rules(&found), ["TLR-gpu-request-without-limit"]);

        assert!(with(json!({"limits":{"nvidia.com/gpu":1}})).is_empty());
        assert!(with(json!({"limits":{"nvidia.com/gpu":"1"},"requests":{"nvidia.com/gpu":1}})).is_empty());
        assert!(
            with(json!({"limits":{"gpu.intel.com/i915":"1000m"},"requests":{"gpu.intel.com/i915":"1"}})).is_empty()
        );
    }

    #[test]
    fn quantities_compare_by_value() {
        use super::classify::quantity_value;
        assert_eq!(quantity_value("1"), Some(1.0));
        assert_eq!(quantity_value("1500m"), Some(1.5));
        assert_eq!(quantity_value("2Ki"), Some(2048.0));
        assert_eq!(quantity_value("1e3"), Some(1000.0));
        assert_eq!(quantity_value("x"), None);
        assert!(super::same_quantity("1", "1000m"));
        assert!(!super::same_quantity("1", "2"));
    }
}

//! GPUs exposed through the NVIDIA runtime's environment (or runtime class) in containers that
//! request no GPU.

use tailor_kube::{FieldPath, PodTemplate};

use super::classify::{self, declared_containers, gpu_allocations};
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::{Hits, Rule};

pub const ENV_LEAK: Rule = Rule {
    id: "TLR-gpu-env-leak",
    title: "GPUs exposed through the NVIDIA runtime without a GPU request",
    severity: Severity::High,
    rationale: "The NVIDIA container runtime injects the GPUs that NVIDIA_VISIBLE_DEVICES names (CUDA images set it to all). In a container that requests no GPU, that bypasses the device plugin: it uses GPUs the scheduler never allotted, other tenants' included, unaccounted by quotas.",
    remediation: "Request the GPU in resources.limits; in containers that need none, set NVIDIA_VISIBLE_DEVICES=void (or none for driver utilities only).",
    attack: &[RESOURCE_HIJACKING],
    ms_threat_matrix: None,
};
/// NVIDIA_VISIBLE_DEVICES / NVIDIA_DRIVER_CAPABILITIES in containers that request no GPU, and
/// the NVIDIA runtime class on a pod where no container does. Providers set these on purpose
/// and are not checked.
pub(super) fn env_leaks(pod: &PodTemplate, hits: &mut Hits) {
    let requests = gpu_allocations(pod);
    let mut sets_nvidia_env = false;
    for container in declared_containers(pod) {
        let name = container.name();
        if requests.iter().any(|r| r.container.path() == container.path()) {
            continue;
        }
        let env = container.path().key("env");
        let visible = classify::visible_devices(&container);
        let capabilities = classify::env_var(&container, "NVIDIA_DRIVER_CAPABILITIES");
        sets_nvidia_env |= visible.is_some() || capabilities.is_some();
        match (visible, capabilities) {
            (Some((index, classify::VisibleDevices::Devices(value))), _) => {
                let scope = if value.eq_ignore_ascii_case("all") {
                    "every GPU of the node".to_owned()
                } else {
                    format!("GPUs {value}")
                };
                let message = format!(
                    "container \"{name}\" sets NVIDIA_VISIBLE_DEVICES={value} but requests no GPU: with the NVIDIA \
                     runtime it sees {scope}, which the scheduler never allotted to it (GPUs held by other pods \
                     included); request nvidia.com/gpu in resources.limits if it needs a GPU, or set \
                     NVIDIA_VISIBLE_DEVICES=void if it does not"
                );
                hits.add(&ENV_LEAK, env.index(index).key("value"), Some(name), message);
            }
            (None, Some((index, var))) => {
                let value = var.value.as_deref().unwrap_or("(from a reference)");
                let message = format!(
                    "container \"{name}\" sets NVIDIA_DRIVER_CAPABILITIES={value} but requests no GPU and does not opt \
                     out with NVIDIA_VISIBLE_DEVICES=void: with the NVIDIA runtime, an image that sets \
                     NVIDIA_VISIBLE_DEVICES (every CUDA image sets it to all) then sees every GPU of the node, none \
                     of them allotted by the scheduler; request nvidia.com/gpu in resources.limits, or set \
                     NVIDIA_VISIBLE_DEVICES=void"
                );
                hits.add(&ENV_LEAK, env.index(index), Some(name), message);
            }
            _ => {}
        }
    }
    if requests.is_empty() && !sets_nvidia_env && classify::is_nvidia_runtime_class(pod) {
        let class = pod.spec.runtime_class_name.as_deref().unwrap_or_default();
        let message = format!(
            "the pod runs with runtimeClassName {class} but no container requests a GPU: the NVIDIA runtime then \
             exposes the GPUs the image's NVIDIA_VISIBLE_DEVICES names (all, in every CUDA image), none of them \
             allotted by the scheduler; request nvidia.com/gpu in resources.limits, or drop the runtime class"
        );
        hits.add(&ENV_LEAK, FieldPath::keys("spec.runtimeClassName"), None, message);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::tests::{daemonset, gpu_container, pod_findings, rules};

    #[test]
    fn gpu_environment_without_a_gpu_request_is_a_leak_but_opting_out_is_not() {
        let env = |value: &str| json!([{"name":"NVIDIA_VISIBLE_DEVICES","value": value}]);
        let pod = |containers: Value| json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ml"},"spec":{"containers": containers}});

        let found = pod_findings(pod(json!([{"name":"miner","image":"cuda","env": env("all")}])));
        assert_eq!(rules(&found), ["TLR-gpu-env-leak"]);
        assert_eq!(found[0].field, "spec.containers[0].env[0].value");
        assert!(
            found[0].message.contains("sees every GPU of the node"),
            "{}",
            found[0].message
        );

        let found = pod_findings(pod(
            json!([{"name":"c","image":"cuda","env": env("GPU-0f2a,GPU-77c1")}]),
        ));
        assert!(
            found[0].message.contains("sees GPUs GPU-0f2a,GPU-77c1"),
            "{}",
            found[0].message
        );
        let found = pod_findings(pod(json!([{"name":"c","image":"cuda","env": env("0,1")}])));
        assert_eq!(rules(&found), ["TLR-gpu-env-leak"]);

        for opt_out in ["void", "none", ""] {
            assert!(
                pod_findings(pod(json!([{"name":"c","image":"cuda","env": env(opt_out)}]))).is_empty(),
                "{opt_out:?}"
            );
        }
        // The last definition wins, as in Kubernetes.
        let redefined =
            json!([{"name":"NVIDIA_VISIBLE_DEVICES","value":"all"},{"name":"NVIDIA_VISIBLE_DEVICES","value":"void"}]);
        assert!(pod_findings(pod(json!([{"name":"c","image":"cuda","env": redefined}]))).is_empty());
        // A value from elsewhere is not judged.
        let indirect =
            json!([{"name":"NVIDIA_VISIBLE_DEVICES","valueFrom":{"configMapKeyRef":{"name":"m","key":"k"}}}]);
        assert!(pod_findings(pod(json!([{"name":"c","image":"cuda","env": indirect}]))).is_empty());

        // Driver capabilities alone rely on the image's NVIDIA_VISIBLE_DEVICES; with void they are harmless.
        let capabilities = json!([{"name":"NVIDIA_DRIVER_CAPABILITIES","value":"compute,utility"}]);
        let found = pod_findings(pod(json!([{"name":"c","image":"cuda","env": capabilities}])));
        assert_eq!(rules(&found), ["TLR-gpu-env-leak"]);
        assert_eq!(found[0].field, "spec.containers[0].env[0]");
        let opted_out = json!([{"name":"NVIDIA_DRIVER_CAPABILITIES","value":"utility"},{"name":"NVIDIA_VISIBLE_DEVICES","value":"none"}]);
        assert!(pod_findings(pod(json!([{"name":"c","image":"cuda","env": opted_out}]))).is_empty());

        // In a GPU pod, only the sidecar that requests no GPU leaks; a zero request is no request.
        let found = pod_findings(pod(json!([
            gpu_container("server", json!({"env": env("all")})),
            {"name":"sidecar","image":"cuda","env": env("all"),"resources":{"limits":{"nvidia.com/gpu":0}}}])));
        assert_eq!(rules(&found), ["TLR-gpu-env-leak"]);
        assert_eq!(found[0].container.as_deref(), Some("sidecar"));

        // The NVIDIA runtime class with no GPU request exposes what the image names.
        let runtime = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"runtimeClassName":"nvidia","containers":[{"name":"c","image":"cuda"}]}});
        let found = pod_findings(runtime);
        assert_eq!(rules(&found), ["TLR-gpu-env-leak"]);
        assert_eq!(found[0].field, "spec.runtimeClassName");

        // Providers set these on purpose.
        let plugin = daemonset(
            "nvidia-device-plugin-daemonset",
            json!({"containers":[{"name":"nvidia-device-plugin",
            "image":"nvcr.io/nvidia/k8s-device-plugin:v0.20.0","env":[{"name":"NVIDIA_VISIBLE_DEVICES","value":"all"},
            {"name":"NVIDIA_DRIVER_CAPABILITIES","value":"all"}],
            "securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}),
        );
        assert!(pod_findings(plugin).is_empty());
    }
}

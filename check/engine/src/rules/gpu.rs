//! GPU rules: device access outside the device plugin, GPUs exposed through the NVIDIA
//! runtime's environment, privileged GPU consumers, GPU requests without limits, writable model
//! volumes, and GPU workloads in namespaces without a GPU quota.
//!
//! Every rule first asks [`classify()`] what the workload is to the GPU stack. Consumers
//! (inference and training pods) get the device plugin's allocation and need nothing more, so
//! device nodes, privileged mode and SYS_ADMIN on them are reported as escalation paths.
//! Providers (driver, toolkit, device plugin, feature discovery, DCGM, MIG manager, validator)
//! genuinely need some of it: for them the findings say what the component needs and the
//! narrowest setup that still works, at `info` (or `low` where the vendor's own manifests run
//! it with less).
pub mod classify;
mod devices;
mod env_leak;
mod model_volumes;
mod privilege;
mod quota;
mod requests;

use tailor_kube::k8s_openapi::api::core::v1::{Volume, VolumeMount};
use tailor_kube::{ContainerView, FieldPath, PodTemplate};

pub use classify::{classify, Classification, Component, Role, Vendor};
use classify::{declared_containers, gpu_allocations, GpuRequest};
pub use devices::{DEVICE_HOSTPATH, PROVIDER_DEVICE_HOSTPATH};
pub use env_leak::ENV_LEAK;
pub use model_volumes::WRITABLE_MODEL_VOLUME;
pub use privilege::{CONSUMER_PRIVILEGED, PROVIDER_EXCESS_PRIVILEGE, PROVIDER_PRIVILEGED};
pub use quota::NO_RESOURCE_QUOTA;
pub use requests::REQUEST_WITHOUT_LIMIT;

use super::{Hits, Rule};
use crate::{Hit, Inventory, WorkloadContext};

/// The GPU rules.
pub static RULES: &[Rule] = &[
    DEVICE_HOSTPATH,
    PROVIDER_DEVICE_HOSTPATH,
    ENV_LEAK,
    CONSUMER_PRIVILEGED,
    PROVIDER_PRIVILEGED,
    PROVIDER_EXCESS_PRIVILEGE,
    REQUEST_WITHOUT_LIMIT,
    WRITABLE_MODEL_VOLUME,
    NO_RESOURCE_QUOTA,
];

/// The per-pod GPU rules.
pub fn check(context: &WorkloadContext) -> Vec<Hit> {
    let pod = context.pod;
    let gpu = classify(pod, context.source.name.as_deref());
    let mut hits = Hits::new(pod);
    requests::requests_without_limits(pod, &mut hits);
    match gpu.role {
        Role::Consumer => {
            env_leak::env_leaks(pod, &mut hits);
            devices::consumer_devices(pod, &gpu, &mut hits);
            privilege::consumer_privileges(pod, &gpu, &mut hits);
            model_volumes::writable_model_volumes(context, &mut hits);
        }
        Role::Provider(component) => {
            devices::provider_devices(pod, &gpu, &mut hits);
            privilege::provider_privileges(pod, &gpu, component, &mut hits);
        }
        Role::None => env_leak::env_leaks(pod, &mut hits),
    }
    hits.hits
}

/// Fields of a workload that [`analyse`] points at (relative to the pod): its GPU requests.
pub fn analysed_fields(pod: &PodTemplate) -> Vec<FieldPath> {
    gpu_allocations(pod).iter().map(GpuRequest::field).collect()
}

/// GPU consumers in namespaces whose loaded ResourceQuotas do not cap their GPU resource.
/// Objects without a namespace land wherever they are applied, beside ResourceQuotas without a
/// namespace loaded with them; if none is, they are reported once, on the first of them.
pub fn analyse(inventory: &Inventory) -> Vec<(usize, Hit)> {
    quota::analyse(inventory)
}

/// How a workload of `vendor` gets its GPU from the device plugin.
fn device_plugin_route(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Nvidia => {
            "request nvidia.com/gpu in resources.limits (with runtimeClassName: nvidia where the NVIDIA runtime is not \
             the node's default): the device plugin then gives the container exactly the GPUs it was allotted"
        }
        Vendor::Amd => {
            "request amd.com/gpu in resources.limits: AMD's device plugin then passes /dev/kfd and only the allotted \
             /dev/dri nodes"
        }
        Vendor::Intel => {
            "request gpu.intel.com/i915 (or gpu.intel.com/xe) in resources.limits: Intel's GPU plugin then passes only \
             the allotted /dev/dri nodes"
        }
        Vendor::Unknown => {
            "request the GPU vendor's device plugin resource (nvidia.com/gpu, amd.com/gpu, gpu.intel.com/i915) in \
             resources.limits instead"
        }
    }
}

/// The mounts of `volume`, with their containers.
fn mounts<'p>(pod: &'p PodTemplate, volume: &Volume) -> Vec<(ContainerView<'p>, &'p VolumeMount)> {
    declared_containers(pod)
        .flat_map(|c| {
            let mounts = c.volume_mounts().iter();
            mounts.filter(|m| m.name == volume.name).map(move |m| (c, m))
        })
        .collect()
}

fn is_read_only(mount: &VolumeMount) -> bool {
    mount.read_only == Some(true)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::{testing, Finding};

    pub(super) fn gpu_findings(objects: &[Value]) -> Vec<Finding> {
        let mut found: Vec<Finding> = testing::findings(objects)
            .into_iter()
            .filter(|f| f.rule.starts_with("TLR-gpu-"))
            .collect();
        found.sort_by(|a, b| (&a.rule, &a.field).cmp(&(&b.rule, &b.field)));
        found
    }

    pub(super) fn rules(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.rule).collect()
    }

    /// Per-object GPU findings only (the quota analysis left out).
    pub(super) fn pod_findings(object: Value) -> Vec<Finding> {
        gpu_findings(&[object])
            .into_iter()
            .filter(|f| f.rule != "TLR-gpu-no-resource-quota")
            .collect()
    }

    pub(super) fn deployment(name: &str, namespace: Option<&str>, spec: Value) -> Value {
        let mut metadata = json!({"name": name});
        if let Some(namespace) = namespace {
            metadata["namespace"] = json!(namespace);
        }
        json!({"apiVersion":"apps/v1","kind":"Deployment","metadata": metadata,
            "spec":{"template":{"metadata":{"labels":{"app": name}},"spec": spec}}})
    }

    pub(super) fn daemonset(name: &str, spec: Value) -> Value {
        json!({"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name": name,"namespace":"gpu-operator"},
            "spec":{"template":{"metadata":{"labels":{"app": name}},"spec": spec}}})
    }

    pub(super) fn gpu_container(name: &str, extra: Value) -> Value {
        let mut container = json!({"name": name, "image":"vllm/vllm-openai:v0.10.0",
            "resources":{"limits":{"nvidia.com/gpu": 1}}});
        container
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        container
    }

    #[test]
    fn every_gpu_rule_is_registered() {
        for rule in super::RULES {
            assert!(rule.id.starts_with("TLR-gpu-"), "{}", rule.id);
            assert_eq!(crate::rules::by_id(rule.id), Some(rule));
        }
    }
}

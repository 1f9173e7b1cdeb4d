//! GPU device nodes mounted from the host: consumers are told to use the device plugin
//! instead, providers are given the narrowest mount that still works.

use tailor_kube::k8s_openapi::api::core::v1::VolumeMount;
use tailor_kube::{ContainerView, FieldPath, PodTemplate};

use super::classify::{gpu_allocations, host_paths, DevicePath};
use super::{device_plugin_route, is_read_only, mounts, Classification, Vendor};
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::text::quoted_list;
use crate::rules::{Hits, Rule};

pub const DEVICE_HOSTPATH: Rule = Rule {
    id: "TLR-gpu-device-hostpath",
    title: "GPU device nodes mounted from the host",
    severity: Severity::High,
    rationale: "A hostPath to /dev/nvidia*, /dev/dri, /dev/kfd or /dev hands a workload GPUs the scheduler never allotted to it: it can use, and read the memory of, GPUs that other pods hold, outside any quota or isolation.",
    remediation: "Remove the hostPath and request the GPU from the device plugin in resources.limits (nvidia.com/gpu with runtimeClassName: nvidia where the NVIDIA runtime is not the default, amd.com/gpu, gpu.intel.com/i915).",
    attack: &[ESCAPE_TO_HOST, RESOURCE_HIJACKING],
    ms_threat_matrix: Some(WRITABLE_HOSTPATH_MOUNT),
};

pub const PROVIDER_DEVICE_HOSTPATH: Rule = Rule {
    id: "TLR-gpu-provider-device-hostpath",
    title: "GPU provider mounts device nodes",
    severity: Severity::Info,
    rationale: "Node-level GPU plumbing (device plugins, labellers, health checkers) must reach the devices it manages, but a writable /dev or device directory gives a compromised agent every device of the node.",
    remediation: "Mount only the device directory the component manages, read-only (or let the NVIDIA runtime inject the GPUs); never the whole /dev.",
    attack: &[ESCAPE_TO_HOST],
    ms_threat_matrix: Some(WRITABLE_HOSTPATH_MOUNT),
};
/// The single container in `mounts`, if only one mounts the volume.
fn single<'p>(mounts: &[(ContainerView<'p>, &VolumeMount)]) -> Option<&'p str> {
    match mounts {
        [(only, _)] => Some(only.name()),
        _ => None,
    }
}

fn volume_field(index: usize) -> FieldPath {
    FieldPath::keys("spec.volumes").index(index).key("hostPath").key("path")
}

pub(super) fn consumer_devices(pod: &PodTemplate, gpu: &Classification, hits: &mut Hits) {
    let requests = gpu_allocations(pod);
    for (index, volume, path) in host_paths(pod) {
        let Some(device) = DevicePath::of(path) else {
            continue;
        };
        let mounts = mounts(pod, volume);
        if mounts.is_empty() {
            continue;
        }
        let what = if device.is_gpu_specific() {
            "GPU device nodes outside the device plugin"
        } else {
            "every device node of the node, GPUs and disks included"
        };
        let allotted = match requests.first() {
            Some(request) => format!(
                " It already requests {}: the device plugin provides that GPU, and the mount only adds the others.",
                request.describe()
            ),
            None => String::new(),
        };
        let message = format!(
            "{} mounts the host's {path} (volume \"{}\", in container {}): {what}; the scheduler never allots these, \
             so the pod can use GPUs that other pods hold. Remove the hostPath and {}.{allotted}",
            gpu.describe(),
            volume.name,
            quoted_list(mounts.iter().map(|(c, _)| c.name())),
            device_plugin_route(gpu.vendor),
        );
        hits.add(&DEVICE_HOSTPATH, volume_field(index), single(&mounts), message);
    }
}

pub(super) fn provider_devices(pod: &PodTemplate, gpu: &Classification, hits: &mut Hits) {
    for (index, volume, path) in host_paths(pod) {
        let Some(device) = DevicePath::of(path) else {
            continue;
        };
        let mounts = mounts(pod, volume);
        let writable: Vec<&str> = mounts
            .iter()
            .filter(|(_, m)| !is_read_only(m))
            .map(|(c, _)| c.name())
            .collect();
        // A GPU device directory mounted read-only is already the narrowest form.
        if mounts.is_empty() || (device.is_gpu_specific() && writable.is_empty()) {
            continue;
        }
        let access = if writable.is_empty() {
            "read-only".to_owned()
        } else {
            format!("writable in container {}", quoted_list(writable.iter().copied()))
        };
        let scope = if device.is_gpu_specific() {
            "read access is enough to enumerate them"
        } else {
            "but /dev holds every device of the node (disks, memory, terminals), not only its GPUs"
        };
        let narrowest = match gpu.vendor {
            Vendor::Nvidia => {
                "let the NVIDIA runtime inject the GPUs (NVIDIA_VISIBLE_DEVICES=all) instead of a hostPath"
            }
            Vendor::Amd => "mount only /dev/kfd and /dev/dri, read-only",
            Vendor::Intel => "mount only /dev/dri, read-only, as Intel's GPU plugin does",
            Vendor::Unknown => "mount only the GPU device directory it manages, read-only",
        };
        let message = format!(
            "{} mounts the host's {path} (volume \"{}\", {access}): a provider does need to reach the devices it \
             manages, {scope}. Narrowest form: {narrowest}.",
            gpu.describe(),
            volume.name,
        );
        hits.add(&PROVIDER_DEVICE_HOSTPATH, volume_field(index), single(&mounts), message);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::tests::{daemonset, deployment, gpu_container, pod_findings, rules};

    #[test]
    fn consumers_mounting_gpu_device_nodes_are_told_to_use_the_device_plugin() {
        let nvidia = deployment(
            "llm",
            Some("ml"),
            json!({
            "containers":[gpu_container("server", json!({"volumeMounts":[{"name":"nv","mountPath":"/dev/nvidia0"}]}))],
            "volumes":[{"name":"nv","hostPath":{"path":"/dev/nvidia0"}},{"name":"unused","hostPath":{"path":"/dev/nvidiactl"}}]}),
        );
        let found = pod_findings(nvidia);
        assert_eq!(
            rules(&found),
            ["TLR-gpu-device-hostpath"],
            "an unmounted volume is not reported"
        );
        let finding = &found[0];
        assert_eq!(finding.field, "spec.template.spec.volumes[0].hostPath.path");
        assert_eq!(finding.container.as_deref(), Some("server"));
        assert_eq!(finding.severity, crate::Severity::High);
        assert!(
            finding
                .message
                .contains("request nvidia.com/gpu in resources.limits (with runtimeClassName: nvidia"),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains("It already requests nvidia.com/gpu: 1"),
            "{}",
            finding.message
        );

        // AMD through /dev/kfd, without any request: a consumer all the same.
        let amd = deployment(
            "rocm",
            None,
            json!({
            "containers":[{"name":"pytorch","image":"rocm/pytorch:latest","volumeMounts":[{"name":"kfd","mountPath":"/dev/kfd"}]}],
            "volumes":[{"name":"kfd","hostPath":{"path":"/dev/kfd"}}]}),
        );
        let found = pod_findings(amd);
        assert_eq!(rules(&found), ["TLR-gpu-device-hostpath"]);
        assert!(found[0].message.contains("request amd.com/gpu"), "{}", found[0].message);

        // The whole /dev on an Intel GPU consumer.
        let intel = deployment(
            "xpu",
            None,
            json!({
            "containers":[{"name":"c","image":"intel/intel-extension-for-pytorch:xpu","resources":{"limits":{"gpu.intel.com/i915":1}},
                "volumeMounts":[{"name":"dev","mountPath":"/dev"}]}],
            "volumes":[{"name":"dev","hostPath":{"path":"/dev/"}}]}),
        );
        let found = pod_findings(intel);
        assert_eq!(rules(&found), ["TLR-gpu-device-hostpath"]);
        assert!(
            found[0].message.contains("every device node of the node"),
            "{}",
            found[0].message
        );
        assert!(found[0].message.contains("gpu.intel.com/i915"), "{}", found[0].message);

        // /dev on a workload with nothing to do with GPUs is the workload rules' business.
        let qat = deployment(
            "qat",
            None,
            json!({
            "containers":[{"name":"c","image":"openssl-qat-engine","resources":{"limits":{"qat.intel.com/generic":1}},
                "volumeMounts":[{"name":"dev","mountPath":"/dev"}]}],
            "volumes":[{"name":"dev","hostPath":{"path":"/dev"}}]}),
        );
        assert!(pod_findings(qat).is_empty());
    }

    #[test]
    fn providers_mounting_devices_get_the_narrowest_form_unless_they_have_it() {
        let labeller = daemonset(
            "amdgpu-labeller-daemonset",
            json!({
            "containers":[{"name":"amdgpu-lr-cntr","image":"rocm/k8s-device-plugin:labeller-latest","volumeMounts":[{"name":"dev","mountPath":"/dev"}]}],
            "volumes":[{"name":"dev","hostPath":{"path":"/dev"}}]}),
        );
        let found = pod_findings(labeller);
        assert_eq!(rules(&found), ["TLR-gpu-provider-device-hostpath"]);
        assert_eq!(found[0].severity, crate::Severity::Info);
        assert!(
            found[0]
                .message
                .starts_with("GPU provider (AMD GPU feature discovery: name amdgpu-labeller-daemonset)"),
            "{}",
            found[0].message
        );
        assert!(
            found[0].message.contains("mount only /dev/kfd and /dev/dri, read-only"),
            "{}",
            found[0].message
        );

        let plugin = |read_only: bool| {
            daemonset(
                "intel-gpu-plugin",
                json!({
                "containers":[{"name":"intel-gpu-plugin","image":"intel/intel-gpu-plugin:devel",
                    "securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}},
                    "volumeMounts":[{"name":"devfs","mountPath":"/dev/dri","readOnly": read_only},
                        {"name":"kubeletsockets","mountPath":"/var/lib/kubelet/device-plugins"}]}],
                "volumes":[{"name":"devfs","hostPath":{"path":"/dev/dri"}},{"name":"kubeletsockets","hostPath":{"path":"/var/lib/kubelet/device-plugins"}}]}),
            )
        };
        assert!(
            pod_findings(plugin(true)).is_empty(),
            "Intel's own plugin is already as narrow as it gets"
        );
        let found = pod_findings(plugin(false));
        assert_eq!(rules(&found), ["TLR-gpu-provider-device-hostpath"]);
        assert!(
            found[0].message.contains("writable in container \"intel-gpu-plugin\""),
            "{}",
            found[0].message
        );
    }
}

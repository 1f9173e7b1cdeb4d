//! Privileged mode and SYS_ADMIN: reported as escalation paths on GPU consumers, and as what a
//! provider holds (or holds without needing it) on GPU providers.

use tailor_kube::{ContainerView, FieldPath, PodTemplate};

use super::classify::{declared_containers, host_paths, normalize_path};
use super::{device_plugin_route, is_read_only, mounts, Classification, Component};
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::capabilities;
use crate::rules::text::{plain_list, quoted_list};
use crate::rules::{Hits, Rule};

pub const CONSUMER_PRIVILEGED: Rule = Rule {
    id: "TLR-gpu-consumer-privileged",
    title: "GPU consumer runs privileged or with SYS_ADMIN",
    severity: Severity::High,
    rationale: "A pod that only uses GPUs gets them from the device plugin. Privileged mode or SYS_ADMIN adds every device of the node and the means to escape to it, which inference servers, often exposed to untrusted input, never need.",
    remediation: "Remove privileged and SYS_ADMIN; request the GPU in resources.limits and set runtimeClassName: nvidia where the NVIDIA runtime is not the node's default.",
    attack: &[ESCAPE_TO_HOST],
    ms_threat_matrix: Some(PRIVILEGED_CONTAINER),
};

pub const PROVIDER_PRIVILEGED: Rule = Rule {
    id: "TLR-gpu-provider-privileged",
    title: "GPU provider runs privileged: what it needs",
    severity: Severity::Info,
    rationale: "Drivers, container toolkits and MIG managers change the node itself and genuinely need privileged mode; the finding records what such a provider holds, so that it runs only where it must and with nothing more.",
    remediation: "Keep the provider on GPU nodes, in a namespace that alone may run privileged pods, with host paths read-only where it allows; preinstall drivers and the toolkit in the node image where you can.",
    attack: &[ESCAPE_TO_HOST],
    ms_threat_matrix: Some(PRIVILEGED_CONTAINER),
};

pub const PROVIDER_EXCESS_PRIVILEGE: Rule = Rule {
    id: "TLR-gpu-provider-excess-privilege",
    title: "GPU provider runs privileged without needing it",
    severity: Severity::Low,
    rationale: "Device plugins, GPU feature discovery and DCGM run on every GPU node; their vendors' own manifests run them without privileged mode, so privileged here only widens what a compromise of the agent reaches.",
    remediation: "Drop privileged; give the component the narrow setup its vendor documents (SYS_ADMIN only for MIG or profiling metrics, the kubelet socket directories as the only writable host paths).",
    attack: &[ESCAPE_TO_HOST],
    ms_threat_matrix: Some(PRIVILEGED_CONTAINER),
};
/// What a container holds beyond a plain container: privileged mode, or SYS_ADMIN (alone or
/// through ALL), at the field that grants it.
enum Privilege {
    Privileged(FieldPath),
    Capability(String, FieldPath),
}

fn privileges(container: &ContainerView) -> Vec<Privilege> {
    let Some(context) = container.security_context() else {
        return Vec::new();
    };
    let field = container.path().key("securityContext");
    if context.privileged == Some(true) {
        return vec![Privilege::Privileged(field.key("privileged"))];
    }
    let added = context
        .capabilities
        .as_ref()
        .and_then(|c| c.add.as_deref())
        .unwrap_or_default();
    added
        .iter()
        .enumerate()
        .map(|(i, cap)| (i, capabilities::canonical(cap)))
        .filter(|(_, cap)| cap == "SYS_ADMIN" || cap == "ALL")
        .map(|(i, cap)| Privilege::Capability(cap, field.clone().key("capabilities").key("add").index(i)))
        .collect()
}

pub(super) fn consumer_privileges(pod: &PodTemplate, gpu: &Classification, hits: &mut Hits) {
    let route = device_plugin_route(gpu.vendor);
    for container in declared_containers(pod) {
        let name = container.name();
        for privilege in privileges(&container) {
            let (field, message) = match privilege {
                Privilege::Privileged(field) => (
                    field,
                    format!(
                        "container \"{name}\" of this {} runs privileged: a GPU consumer needs only the GPUs the \
                         device plugin allots, while privileged mode hands it every device of the node and root on \
                         the host. Drop privileged and {route}",
                        gpu.describe()
                    ),
                ),
                Privilege::Capability(capability, field) => {
                    let what = if capability == "ALL" {
                        "ALL capabilities, SYS_ADMIN included"
                    } else {
                        "SYS_ADMIN"
                    };
                    (
                        field,
                        format!(
                            "container \"{name}\" of this {} adds {what}: using a GPU does not need it (only MIG \
                             repartitioning and DCGM profiling metrics do, which belong to node-level providers), \
                             and SYS_ADMIN allows mounts and most container escapes. Remove it and {route}",
                            gpu.describe()
                        ),
                    )
                }
            };
            hits.add(&CONSUMER_PRIVILEGED, field, Some(name), message);
        }
    }
}

pub(super) fn provider_privileges(pod: &PodTemplate, gpu: &Classification, component: Component, hits: &mut Hits) {
    let mut privileged = Vec::new();
    let mut capabilities = Vec::new();
    let mut first_field = None;
    for container in declared_containers(pod) {
        for privilege in privileges(&container) {
            let field = match privilege {
                Privilege::Privileged(field) => {
                    privileged.push(container);
                    field
                }
                Privilege::Capability(capability, field) => {
                    capabilities.push(format!("{capability} in \"{}\"", container.name()));
                    field
                }
            };
            first_field.get_or_insert((field, container.name()));
        }
    }
    let Some((field, first)) = first_field else {
        return;
    };
    let container = (privileged.len() + capabilities.len() == 1).then_some(first);
    let privileged_list = match privileged.as_slice() {
        [] => None,
        [one] => Some(format!("privileged container \"{}\"", one.name())),
        many => Some(format!(
            "{} privileged containers ({})",
            many.len(),
            quoted_list(many.iter().map(ContainerView::name))
        )),
    };
    let mut holdings: Vec<String> = privileged_list.into_iter().chain(capabilities).collect();
    holdings.extend(provider_holdings(pod));
    let holdings = plain_list(&holdings);
    let (needs, narrowest) = (component.needs(gpu.vendor), component.narrowest());
    // Bidirectional mount propagation is only allowed in privileged containers.
    let (bound, optional): (Vec<ContainerView>, Vec<ContainerView>) =
        privileged.iter().partition(|c| has_bidirectional_mount(c));
    let excess = !optional.is_empty() && component.needs_privileged(gpu.vendor, pod) == Some(false);
    if !excess {
        let message = format!(
            "{} holds {holdings}. What it genuinely needs: {needs}. Narrowest setup: {narrowest}.",
            gpu.describe()
        );
        hits.add(&PROVIDER_PRIVILEGED, field, container, message);
        return;
    }
    let kept = match bound.as_slice() {
        [] => String::new(),
        bound => format!(
            " ({} keeps it for Bidirectional mount propagation, which requires it)",
            quoted_list(bound.iter().map(ContainerView::name))
        ),
    };
    let message = format!(
        "{} holds {holdings}, but {} does not need privileged mode in {}{kept}: {needs}. Narrowest setup: \
         {narrowest}.",
        gpu.describe(),
        component.name(gpu.vendor),
        quoted_list(optional.iter().map(ContainerView::name)),
    );
    hits.add(&PROVIDER_EXCESS_PRIVILEGE, field, container, message);
}

fn has_bidirectional_mount(container: &ContainerView) -> bool {
    container
        .volume_mounts()
        .iter()
        .any(|m| m.mount_propagation.as_deref() == Some("Bidirectional"))
}

/// Host namespaces, the host's root file system and other host paths a provider holds.
fn provider_holdings(pod: &PodTemplate) -> Vec<String> {
    let spec = &pod.spec;
    let mut held: Vec<String> = [
        (spec.host_pid, "hostPID"),
        (spec.host_ipc, "hostIPC"),
        (spec.host_network, "hostNetwork"),
    ]
    .into_iter()
    .filter(|(set, _)| *set == Some(true))
    .map(|(_, name)| name.to_owned())
    .collect();
    let mut others = Vec::new();
    for (_, volume, path) in host_paths(pod) {
        let path = normalize_path(path);
        if path != "/" {
            others.push(path);
            continue;
        }
        // Where the host's / is mounted, and how, with the containers mounting it so.
        let mut places: Vec<(String, Vec<&str>)> = Vec::new();
        for (container, mount) in mounts(pod, volume) {
            let access = if is_read_only(mount) { "read-only" } else { "writable" };
            let place = format!("at {}, {access}", mount.mount_path);
            match places.iter_mut().find(|(p, _)| *p == place) {
                Some((_, names)) => names.push(container.name()),
                None => places.push((place, vec![container.name()])),
            }
        }
        let places: Vec<String> = places
            .iter()
            .map(|(place, names)| format!("{place}, in {}", quoted_list(names.iter().copied())))
            .collect();
        match places.as_slice() {
            [] => held.push("the host's / (not mounted)".to_owned()),
            places => held.push(format!("the host's / ({})", places.join("; "))),
        }
    }
    let other = if held.iter().any(|h| h.starts_with("the host's /")) {
        "other "
    } else {
        ""
    };
    match others.as_slice() {
        [] => {}
        [one] => held.push(format!("{other}host path {one}")),
        many => {
            let shown: Vec<&str> = many.iter().take(4).map(String::as_str).collect();
            let more = if many.len() > shown.len() { ", …" } else { "" };
            held.push(format!("{} {other}host paths ({}{more})", many.len(), shown.join(", ")));
        }
    }
    held
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::tests::{daemonset, deployment, gpu_container, pod_findings, rules};

    #[test]
    fn privileged_or_sys_admin_gpu_consumers_are_high() {
        let found = pod_findings(deployment(
            "llm",
            None,
            json!({"containers":[
            gpu_container("server", json!({"securityContext":{"privileged":true}})),
            {"name":"helper","image":"busybox","securityContext":{"capabilities":{"add":["NET_BIND_SERVICE","cap_sys_admin"]}}},
            {"name":"all","image":"busybox","securityContext":{"capabilities":{"add":["all"]}}}]}),
        ));
        assert_eq!(rules(&found), ["TLR-gpu-consumer-privileged"; 3]);
        let fields: Vec<&str> = found.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "spec.template.spec.containers[0].securityContext.privileged",
                "spec.template.spec.containers[1].securityContext.capabilities.add[1]",
                "spec.template.spec.containers[2].securityContext.capabilities.add[0]",
            ]
        );
        assert_eq!(found[0].severity, crate::Severity::High);
        assert!(
            found[0]
                .message
                .contains("GPU consumer (requests nvidia.com/gpu: 1 in container \"server\")"),
            "{}",
            found[0].message
        );
        assert!(
            found[0]
                .message
                .contains("Drop privileged and request nvidia.com/gpu in resources.limits"),
            "{}",
            found[0].message
        );
        assert!(found[1].message.contains("adds SYS_ADMIN"), "{}", found[1].message);
        assert!(
            found[2].message.contains("adds ALL capabilities, SYS_ADMIN included"),
            "{}",
            found[2].message
        );

        // MIG consumers are consumers too; a privileged pod without GPUs is not a GPU finding.
        let mig = pod_findings(deployment(
            "mig",
            None,
            json!({"containers":[{"name":"c","image":"cuda",
            "resources":{"limits":{"nvidia.com/mig-1g.5gb":1}},"securityContext":{"privileged":true}}]}),
        ));
        assert_eq!(rules(&mig), ["TLR-gpu-consumer-privileged"]);
        let plain = pod_findings(deployment(
            "web",
            None,
            json!({"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}),
        ));
        assert!(plain.is_empty());
    }

    #[test]
    fn the_driver_is_a_privileged_provider_and_the_message_says_what_it_holds() {
        let driver = daemonset(
            "nvidia-driver-daemonset",
            json!({"hostPID":true,
            "initContainers":[{"name":"k8s-driver-manager","image":"FILLED BY THE OPERATOR","securityContext":{"privileged":true},
                "volumeMounts":[{"name":"host-root","mountPath":"/host","readOnly":true}]}],
            "containers":[{"name":"nvidia-driver-ctr","image":"FILLED BY THE OPERATOR","securityContext":{"privileged":true},
                "volumeMounts":[{"name":"run-nvidia","mountPath":"/run/nvidia","mountPropagation":"Bidirectional"}]}],
            "volumes":[{"name":"run-nvidia","hostPath":{"path":"/run/nvidia"}},{"name":"host-root","hostPath":{"path":"/"}}]}),
        );
        let found = pod_findings(driver);
        assert_eq!(rules(&found), ["TLR-gpu-provider-privileged"]);
        let finding = &found[0];
        assert_eq!(finding.severity, crate::Severity::Info);
        assert_eq!(
            finding.field,
            "spec.template.spec.initContainers[0].securityContext.privileged"
        );
        assert_eq!(finding.container, None, "two containers are privileged");
        assert_eq!(
            finding.message.split(". What").next().unwrap(),
            "GPU provider (NVIDIA GPU driver: name nvidia-driver-daemonset; hostPath /run/nvidia) holds 2 privileged \
             containers (\"k8s-driver-manager\" and \"nvidia-driver-ctr\"), hostPID, the host's / (at /host, \
             read-only, in \"k8s-driver-manager\") and other host path /run/nvidia"
        );
        assert!(finding
            .message
            .contains("What it genuinely needs: it builds and loads GPU kernel modules"));
        assert!(finding
            .message
            .contains("Narrowest setup: preinstall the driver in the node image"));
    }

    #[test]
    fn providers_that_their_vendor_runs_unprivileged_are_low_and_sys_admin_for_dcgm_is_info() {
        let plugin = |env: Value| {
            daemonset(
                "nvidia-device-plugin-daemonset",
                json!({"containers":[{"name":"nvidia-device-plugin-ctr",
                "image":"nvcr.io/nvidia/k8s-device-plugin:v0.20.0","env": env,"securityContext":{"privileged":true},
                "volumeMounts":[{"name":"dp","mountPath":"/var/lib/kubelet/device-plugins"}]}],
                "volumes":[{"name":"dp","hostPath":{"path":"/var/lib/kubelet/device-plugins"}}]}),
            )
        };
        let found = pod_findings(plugin(json!([])));
        assert_eq!(rules(&found), ["TLR-gpu-provider-excess-privilege"]);
        assert_eq!(found[0].severity, crate::Severity::Low);
        assert!(
            found[0]
                .message
                .contains("but NVIDIA device plugin does not need privileged mode in \"nvidia-device-plugin-ctr\""),
            "{}",
            found[0].message
        );
        assert!(
            found[0].message.contains("drop ALL capabilities"),
            "{}",
            found[0].message
        );
        // compatWithCPUManager: device specs are passed, which takes privileged mode.
        let found = pod_findings(plugin(json!([{"name":"PASS_DEVICE_SPECS","value":"true"}])));
        assert_eq!(rules(&found), ["TLR-gpu-provider-privileged"]);

        let exporter = daemonset(
            "dcgm-exporter",
            json!({"containers":[{"name":"dcgm-exporter",
            "image":"nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless",
            "securityContext":{"capabilities":{"add":["SYS_ADMIN"],"drop":["ALL"]}},
            "volumeMounts":[{"name":"pod-gpu-resources","mountPath":"/var/lib/kubelet/pod-resources","readOnly":true}]}],
            "volumes":[{"name":"pod-gpu-resources","hostPath":{"path":"/var/lib/kubelet/pod-resources"}}]}),
        );
        let found = pod_findings(exporter);
        assert_eq!(rules(&found), ["TLR-gpu-provider-privileged"]);
        assert_eq!(
            found[0].field,
            "spec.template.spec.containers[0].securityContext.capabilities.add[0]"
        );
        assert!(
            found[0].message.contains("holds SYS_ADMIN in \"dcgm-exporter\""),
            "{}",
            found[0].message
        );
        assert!(
            found[0].message.contains("SYS_ADMIN only for profiling metrics"),
            "{}",
            found[0].message
        );

        // A privileged container with Bidirectional propagation needs privileged mode whatever the component.
        let dcgm = daemonset(
            "nvidia-dcgm",
            json!({"containers":[{"name":"nvidia-dcgm-ctr","image":"FILLED",
            "securityContext":{"privileged":true},
            "volumeMounts":[{"name":"run-nvidia","mountPath":"/run/nvidia","mountPropagation":"Bidirectional"}]}],
            "volumes":[{"name":"run-nvidia","hostPath":{"path":"/run/nvidia"}}]}),
        );
        assert_eq!(rules(&pod_findings(dcgm)), ["TLR-gpu-provider-privileged"]);
    }
}

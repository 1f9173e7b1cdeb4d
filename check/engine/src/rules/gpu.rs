//! GPU rules: device access outside the device plugin, GPUs exposed through the NVIDIA
//! runtime's environment, privileged GPU consumers, GPU requests without limits, writable model
//! volumes, and GPU workloads in namespaces without a GPU quota.
//!
//! Every rule first asks [`classify`] what the workload is to the GPU stack. Consumers
//! (inference and training pods) get the device plugin's allocation and need nothing more, so
//! device nodes, privileged mode and SYS_ADMIN on them are reported as escalation paths.
//! Providers (driver, toolkit, device plugin, feature discovery, DCGM, MIG manager, validator)
//! genuinely need some of it: for them the findings say what the component needs and the
//! narrowest setup that still works, at `info` (or `low` where the vendor's own manifests run
//! it with less).

pub mod classify;

use std::collections::HashMap;

use serde_json::Value;
use tailor_kube::k8s_openapi::api::core::v1::{ResourceQuota, ResourceQuotaSpec, Volume, VolumeMount};
use tailor_kube::{containers_in, ContainerList, ContainerView, FieldPath, KubeObject, PodBearingKind, PodTemplate};

pub use classify::{classify, Classification, Component, Role, Vendor};
use classify::{
    declared_containers, gpu_allocations, gpu_requests, host_paths, normalize_path, DevicePath, GpuRequest,
};

use super::attack::*;
use super::capabilities;
use super::text::{capped_list, plain_list, quoted_list};
use super::{Hits, Rule};
use crate::report::Severity;
use crate::{Hit, Inventory, InventoryObject, WorkloadContext};

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

pub const ENV_LEAK: Rule = Rule {
    id: "TLR-gpu-env-leak",
    title: "GPUs exposed through the NVIDIA runtime without a GPU request",
    severity: Severity::High,
    rationale: "The NVIDIA container runtime injects the GPUs that NVIDIA_VISIBLE_DEVICES names (CUDA images set it to all). In a container that requests no GPU, that bypasses the device plugin: it uses GPUs the scheduler never allotted, other tenants' included, unaccounted by quotas.",
    remediation: "Request the GPU in resources.limits; in containers that need none, set NVIDIA_VISIBLE_DEVICES=void (or none for driver utilities only).",
    attack: &[RESOURCE_HIJACKING],
    ms_threat_matrix: None,
};

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

pub const REQUEST_WITHOUT_LIMIT: Rule = Rule {
    id: "TLR-gpu-request-without-limit",
    title: "GPU requested without an equal limit",
    severity: Severity::Medium,
    rationale: "GPUs are extended resources and cannot be overcommitted: Kubernetes rejects a pod that requests one without a limit, or with a request different from its limit, so the workload never runs as written and its GPU accounting is unclear.",
    remediation: "Set the GPU count in resources.limits only (the request defaults to it), or make the request equal to the limit.",
    attack: &[RESOURCE_HIJACKING],
    ms_threat_matrix: None,
};

pub const WRITABLE_MODEL_VOLUME: Rule = Rule {
    id: "TLR-gpu-writable-model-volume",
    title: "Model weights on a writable shared volume",
    severity: Severity::Medium,
    rationale: "A server that can write the volume its weights come from can poison the model that later starts and other replicas load; pickle-based checkpoints run code when loaded. Caches the server fills itself must be writable, and are reported only when several pods share them; Jobs, which train or download models, are expected to write them.",
    remediation: "Mount model volumes readOnly: true and write weights from a separate Job; give each pod its own download cache, or fill a shared cache once and mount it read-only.",
    attack: &[IMPLANT_INTERNAL_IMAGE],
    ms_threat_matrix: None,
};

pub const NO_RESOURCE_QUOTA: Rule = Rule {
    id: "TLR-gpu-no-resource-quota",
    title: "GPU workload in a namespace without a GPU quota",
    severity: Severity::Medium,
    rationale: "Without a ResourceQuota on requests.<gpu resource>, anyone who can create pods in the namespace can claim every GPU of the cluster: GPU time is what cryptominers and model thieves look for.",
    remediation: "Add a ResourceQuota to the namespace with hard requests.nvidia.com/gpu (or the vendor's resource) set to what the namespace may use. Only the requests. prefix counts for extended resources.",
    attack: &[RESOURCE_HIJACKING],
    ms_threat_matrix: None,
};

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
    requests_without_limits(pod, &mut hits);
    match gpu.role {
        Role::Consumer => {
            env_leaks(pod, &mut hits);
            consumer_devices(pod, &gpu, &mut hits);
            consumer_privileges(pod, &gpu, &mut hits);
            writable_model_volumes(context, &mut hits);
        }
        Role::Provider(component) => {
            provider_devices(pod, &gpu, &mut hits);
            provider_privileges(pod, &gpu, component, &mut hits);
        }
        Role::None => env_leaks(pod, &mut hits),
    }
    hits.hits
}

/// Fields of a workload that [`analyse`] points at (relative to the pod): its GPU requests.
pub fn analysed_fields(pod: &PodTemplate) -> Vec<FieldPath> {
    gpu_allocations(pod).iter().map(GpuRequest::field).collect()
}

fn requests_without_limits(pod: &PodTemplate, hits: &mut Hits) {
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

/// NVIDIA_VISIBLE_DEVICES / NVIDIA_DRIVER_CAPABILITIES in containers that request no GPU, and
/// the NVIDIA runtime class on a pod where no container does. Providers set these on purpose
/// and are not checked.
fn env_leaks(pod: &PodTemplate, hits: &mut Hits) {
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

fn consumer_devices(pod: &PodTemplate, gpu: &Classification, hits: &mut Hits) {
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

fn provider_devices(pod: &PodTemplate, gpu: &Classification, hits: &mut Hits) {
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

fn consumer_privileges(pod: &PodTemplate, gpu: &Classification, hits: &mut Hits) {
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

fn provider_privileges(pod: &PodTemplate, gpu: &Classification, component: Component, hits: &mut Hits) {
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

/// Words in a volume's name or mount path that say it holds model weights.
const MODEL_WORDS: [&str; 13] = [
    "model",
    "weight",
    "checkpoint",
    "ckpt",
    "huggingface",
    "hf-cache",
    "hf_cache",
    "hf-home",
    "nim-cache",
    "/opt/nim/.cache",
    "lora",
    "safetensors",
    "gguf",
];

/// Environment variables that point servers at their download cache.
const CACHE_VARIABLES: [&str; 9] = [
    "NIM_CACHE_PATH",
    "HF_HOME",
    "HF_HUB_CACHE",
    "HUGGINGFACE_HUB_CACHE",
    "TRANSFORMERS_CACHE",
    "VLLM_CACHE_ROOT",
    "TORCH_HOME",
    "XDG_CACHE_HOME",
    "HF_DATASETS_CACHE",
];

/// The storage behind a volume, when it outlives the pod or is shared beyond it (not
/// emptyDir, ephemeral claims or API-backed volumes, which are per pod or read-only).
fn persistent_storage(volume: &Volume) -> Option<String> {
    if let Some(claim) = &volume.persistent_volume_claim {
        return Some(format!("persistentVolumeClaim \"{}\"", claim.claim_name));
    }
    if let Some(host) = &volume.host_path {
        return Some(format!("hostPath {}", host.path));
    }
    if let Some(nfs) = &volume.nfs {
        return Some(format!("NFS {}:{}", nfs.server, nfs.path));
    }
    if let Some(csi) = &volume.csi {
        return Some(format!("CSI volume of {}", csi.driver));
    }
    let shared = [
        volume.cephfs.is_some(),
        volume.glusterfs.is_some(),
        volume.azure_file.is_some(),
        volume.azure_disk.is_some(),
        volume.gce_persistent_disk.is_some(),
        volume.aws_elastic_block_store.is_some(),
        volume.iscsi.is_some(),
        volume.rbd.is_some(),
        volume.fc.is_some(),
        volume.cinder.is_some(),
        volume.flex_volume.is_some(),
        volume.portworx_volume.is_some(),
        volume.vsphere_volume.is_some(),
    ];
    shared.contains(&true).then(|| "network volume".to_owned())
}

/// How many pods of the workload run at once: `None` for one per node (DaemonSet).
fn replicas(kind: PodBearingKind, object: &Value) -> Option<u64> {
    let count = |path: &str| {
        let value = tailor_kube::workload::lookup(object, &FieldPath::keys(path));
        Some(value.and_then(Value::as_u64).unwrap_or(1))
    };
    match kind {
        PodBearingKind::Pod | PodBearingKind::PodTemplate => Some(1),
        PodBearingKind::DaemonSet => None,
        PodBearingKind::Job => count("spec.parallelism"),
        PodBearingKind::CronJob => count("spec.jobTemplate.spec.parallelism"),
        _ => count("spec.replicas"),
    }
}

/// Serving workloads only: Jobs train, fine-tune or download models and are expected to write
/// them.
fn writable_model_volumes(context: &WorkloadContext, hits: &mut Hits) {
    let pod = context.pod;
    if matches!(pod.kind, PodBearingKind::Job | PodBearingKind::CronJob) {
        return;
    }
    let volumes = pod.spec.volumes.as_deref().unwrap_or_default();
    let replicas = replicas(pod.kind, context.object);
    // Init containers are where weights are usually written; the serving containers read.
    for container in containers_in(&pod.spec, ContainerList::Regular) {
        let name = container.name();
        for (index, mount) in container.volume_mounts().iter().enumerate() {
            let path = mount.mount_path.as_str();
            let text = format!("{} {}", mount.name, path).to_ascii_lowercase();
            let cache_path = is_cache_path(container, path);
            if is_read_only(mount) || !(cache_path || MODEL_WORDS.iter().any(|w| text.contains(w))) {
                continue;
            }
            let volume = volumes.iter().find(|v| v.name == mount.name);
            let storage = match volume {
                Some(volume) => persistent_storage(volume),
                // A StatefulSet's volumeClaimTemplates: one claim per replica.
                None if pod.kind == PodBearingKind::StatefulSet => {
                    Some(format!("the claim of volumeClaimTemplate \"{}\"", mount.name))
                }
                None => None,
            };
            let Some(storage) = storage else {
                continue;
            };
            let cache = cache_path || text.contains("cache");
            let field = container.path().key("volumeMounts").index(index);
            let message = if !cache {
                format!(
                    "container \"{name}\" mounts {storage} (volume \"{}\") at {path} writable: a compromised server \
                     can rewrite the weights that later starts and other pods using the volume load, and pickle-based \
                     checkpoints (.bin, .pt) run code when loaded. Set readOnly: true on the mount and write the \
                     weights from a separate Job or an init container",
                    mount.name
                )
            } else {
                let host = volume.is_some_and(|v| v.host_path.is_some());
                let per_replica = volume.is_none();
                let sharing = match replicas {
                    _ if host => "every pod on the node that mounts the same path".to_owned(),
                    _ if per_replica => continue,
                    None => "every pod of the DaemonSet".to_owned(),
                    Some(n) if n > 1 => format!("{n} replicas"),
                    Some(_) => continue,
                };
                format!(
                    "container \"{name}\" mounts the model cache {storage} (volume \"{}\") at {path} writable, shared \
                     by {sharing}: the server downloads into it, so it must be writable for a first start, but one \
                     compromised pod can then poison the weights all the others load. Fill the cache once from a Job \
                     and mount it readOnly, or give each pod its own cache (volumeClaimTemplates, an ephemeral \
                     volume or emptyDir)",
                    mount.name
                )
            };
            hits.add(&WRITABLE_MODEL_VOLUME, field, Some(name), message);
        }
    }
}

/// Whether `path` holds the download cache the container's environment points at.
fn is_cache_path(container: ContainerView, path: &str) -> bool {
    let path = normalize_path(path);
    CACHE_VARIABLES.iter().any(|variable| {
        classify::env_var(&container, variable)
            .and_then(|(_, var)| var.value.as_deref())
            .is_some_and(|value| {
                let value = normalize_path(value);
                value == path || value.starts_with(&format!("{path}/")) || path.starts_with(&format!("{value}/"))
            })
    })
}

/// GPU consumers in namespaces whose loaded ResourceQuotas do not cap their GPU resource.
/// Objects without a namespace land wherever they are applied, beside ResourceQuotas without a
/// namespace loaded with them; if none is, they are reported once, on the first of them.
pub fn analyse(inventory: &Inventory) -> Vec<(usize, Hit)> {
    let mut quotas: HashMap<Option<&str>, Vec<&ResourceQuota>> = HashMap::new();
    for entry in &inventory.entries {
        if let InventoryObject::Kube(KubeObject::ResourceQuota(quota)) = &entry.object {
            quotas.entry(entry.source.namespace.as_deref()).or_default().push(quota);
        }
    }
    let mut hits = Vec::new();
    let mut without_namespace: Vec<(usize, Vec<GpuRequest>, &PodTemplate, String)> = Vec::new();
    for (index, entry) in inventory.entries.iter().enumerate() {
        let InventoryObject::Workload(pod) = &entry.object else {
            continue;
        };
        let requests = gpu_allocations(pod);
        if requests.is_empty() {
            continue;
        }
        let namespace = entry.source.namespace.as_deref();
        let in_namespace = quotas.get(&namespace).map(Vec::as_slice).unwrap_or_default();
        let Some(gap) = quota_gap(in_namespace, pod, &requests) else {
            continue;
        };
        let Some(namespace) = namespace else {
            without_namespace.push((index, requests, pod, gap));
            continue;
        };
        let message = format!(
            "GPU consumer requests {} in namespace \"{namespace}\", and {gap}: anyone who can create pods in \
             \"{namespace}\" can claim every GPU of the cluster. Add a ResourceQuota to \"{namespace}\" with hard {} \
             set to what the namespace may use",
            describe_requests(&requests),
            quota_keys(&requests),
        );
        hits.push((index, quota_hit(pod, &requests, message)));
    }
    if let Some(((index, requests, pod, gap), others)) = without_namespace.split_first() {
        let names: Vec<String> = others
            .iter()
            .map(|(i, _, _, _)| {
                let source = &inventory.entries[*i].source;
                format!(
                    "{}/{}",
                    source.type_meta.kind,
                    source.name.as_deref().unwrap_or("(unnamed)")
                )
            })
            .collect();
        let company = match names.len() {
            0 => "it".to_owned(),
            1 => format!("it and {}", names[0]),
            n if n <= 3 => format!(
                "it and {n} other GPU workloads without a namespace ({})",
                plain_list(&names)
            ),
            n => format!(
                "it and {n} other GPU workloads without a namespace ({})",
                capped_list(&names, 3)
            ),
        };
        let quotas_beside = if quotas.contains_key(&None) {
            format!("among the ResourceQuotas without a namespace loaded beside {company}, {gap}")
        } else {
            format!("no ResourceQuota without a namespace is loaded beside {company}")
        };
        let message = format!(
            "GPU consumer requests {} and sets no namespace, and {quotas_beside}: unless the namespace they are \
             applied to has a ResourceQuota with hard {}, anyone who can create pods there can claim every GPU of the \
             cluster",
            describe_requests(requests),
            quota_keys(requests),
        );
        hits.push((*index, quota_hit(pod, requests, message)));
    }
    hits
}

fn quota_hit(pod: &PodTemplate, requests: &[GpuRequest], message: String) -> Hit {
    Hit {
        rule: &NO_RESOURCE_QUOTA,
        message,
        field: pod.path.join(&requests[0].field()),
        container: Some(requests[0].container.name().to_owned()),
    }
}

/// `nvidia.com/gpu: 1 (container "vllm")`, one entry per request.
fn describe_requests(requests: &[GpuRequest]) -> String {
    let described: Vec<String> = requests
        .iter()
        .map(|r| format!("{} (container \"{}\")", r.describe(), r.container.name()))
        .collect();
    plain_list(&described)
}

/// The distinct GPU resources requested, as quota keys: `requests.nvidia.com/gpu`.
fn resources<'r>(requests: &[GpuRequest<'r>]) -> Vec<&'r str> {
    let mut resources: Vec<&str> = requests.iter().map(|r| r.resource).collect();
    resources.sort_unstable();
    resources.dedup();
    resources
}

fn quota_keys(requests: &[GpuRequest]) -> String {
    let keys: Vec<String> = resources(requests).iter().map(|r| format!("requests.{r}")).collect();
    plain_list(&keys).replace(" and ", " or ")
}

/// Why no quota of the namespace caps the pod's GPUs (`None` when one does): no quota at
/// all, quotas that do not select the pod, or keys that quota never counts for extended
/// resources (`limits.nvidia.com/gpu`, bare `nvidia.com/gpu`).
fn quota_gap(quotas: &[&ResourceQuota], pod: &PodTemplate, requests: &[GpuRequest]) -> Option<String> {
    let resources = resources(requests);
    let mut near_misses = Vec::new();
    for quota in quotas {
        let Some(spec) = &quota.spec else {
            continue;
        };
        let hard = spec.hard.as_ref();
        let name = quota.metadata.name.as_deref().unwrap_or("(unnamed)");
        let caps = |key: String| hard.is_some_and(|h| h.contains_key(&key));
        let covered = resources.iter().any(|r| caps(format!("requests.{r}")));
        if covered && selects(spec, pod) {
            return None;
        }
        if covered {
            near_misses.push(format!(
                "ResourceQuota \"{name}\" caps it only for pods its scopes select, not this one"
            ));
        }
        for resource in &resources {
            for key in [format!("limits.{resource}"), resource.to_string()] {
                if caps(key.clone()) {
                    near_misses.push(format!(
                        "ResourceQuota \"{name}\" sets {key}, which quota never counts for extended resources (only \
                         requests.{resource} is)"
                    ));
                }
            }
        }
    }
    let keys = quota_keys(requests);
    Some(match (quotas.is_empty(), near_misses.is_empty()) {
        (true, _) => format!("no ResourceQuota loaded for it caps {keys}"),
        (false, true) => format!("none of the ResourceQuotas loaded for it caps {keys}"),
        (false, false) => format!("no ResourceQuota caps {keys}: {}", near_misses.join("; ")),
    })
}

/// Whether a quota's scopes select the pod (scopes Tailor cannot evaluate are taken to match).
fn selects(spec: &ResourceQuotaSpec, pod: &PodTemplate) -> bool {
    let plain = spec
        .scopes
        .iter()
        .flatten()
        .all(|scope| scope_matches(scope, "Exists", &[], pod));
    let expressions = spec
        .scope_selector
        .iter()
        .flat_map(|s| s.match_expressions.iter().flatten());
    plain
        && expressions
            .into_iter()
            .all(|e| scope_matches(&e.scope_name, &e.operator, e.values.as_deref().unwrap_or_default(), pod))
}

fn scope_matches(scope: &str, operator: &str, values: &[String], pod: &PodTemplate) -> bool {
    let spec = &pod.spec;
    match scope {
        "Terminating" => spec.active_deadline_seconds.is_some(),
        "NotTerminating" => spec.active_deadline_seconds.is_none(),
        "BestEffort" => is_best_effort(pod),
        "NotBestEffort" => !is_best_effort(pod),
        "PriorityClass" => {
            let class = spec.priority_class_name.as_deref();
            match operator {
                "In" => class.is_some_and(|c| values.iter().any(|v| v == c)),
                "NotIn" => class.is_none_or(|c| !values.iter().any(|v| v == c)),
                "DoesNotExist" => class.is_none(),
                _ => class.is_some(),
            }
        }
        _ => true,
    }
}

/// BestEffort QoS: no container requests or limits CPU or memory (extended resources do not count).
fn is_best_effort(pod: &PodTemplate) -> bool {
    !declared_containers(pod).any(|c| {
        c.resources().is_some_and(|r| {
            [&r.limits, &r.requests]
                .into_iter()
                .flatten()
                .any(|m| m.contains_key("cpu") || m.contains_key("memory"))
        })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::{testing, Finding};

    fn gpu_findings(objects: &[Value]) -> Vec<Finding> {
        let mut found: Vec<Finding> = testing::findings(objects)
            .into_iter()
            .filter(|f| f.rule.starts_with("TLR-gpu-"))
            .collect();
        found.sort_by(|a, b| (&a.rule, &a.field).cmp(&(&b.rule, &b.field)));
        found
    }

    fn rules(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.rule.as_str()).collect()
    }

    /// Per-object GPU findings only (the quota analysis left out).
    fn pod_findings(object: Value) -> Vec<Finding> {
        gpu_findings(&[object])
            .into_iter()
            .filter(|f| f.rule != "TLR-gpu-no-resource-quota")
            .collect()
    }

    fn deployment(name: &str, namespace: Option<&str>, spec: Value) -> Value {
        let mut metadata = json!({"name": name});
        if let Some(namespace) = namespace {
            metadata["namespace"] = json!(namespace);
        }
        json!({"apiVersion":"apps/v1","kind":"Deployment","metadata": metadata,
            "spec":{"template":{"metadata":{"labels":{"app": name}},"spec": spec}}})
    }

    fn daemonset(name: &str, spec: Value) -> Value {
        json!({"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name": name,"namespace":"gpu-operator"},
            "spec":{"template":{"metadata":{"labels":{"app": name}},"spec": spec}}})
    }

    fn gpu_container(name: &str, extra: Value) -> Value {
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

    #[test]
    fn writable_model_volumes_on_serving_workloads_are_reported() {
        let serving = |mount: Value, volume: Value, replicas: u64| {
            let mut object = deployment(
                "llm",
                None,
                json!({"containers":[gpu_container("server", json!({"volumeMounts":[mount]}))],
                "volumes":[volume]}),
            );
            object["spec"]["replicas"] = json!(replicas);
            pod_findings(object)
        };
        let pvc = json!({"name":"models","persistentVolumeClaim":{"claimName":"llama-weights"}});
        let found = serving(json!({"name":"models","mountPath":"/models"}), pvc.clone(), 1);
        assert_eq!(rules(&found), ["TLR-gpu-writable-model-volume"]);
        assert_eq!(found[0].field, "spec.template.spec.containers[0].volumeMounts[0]");
        assert!(
            found[0]
                .message
                .contains("mounts persistentVolumeClaim \"llama-weights\" (volume \"models\") at /models writable"),
            "{}",
            found[0].message
        );
        assert!(serving(
            json!({"name":"models","mountPath":"/models","readOnly":true}),
            pvc.clone(),
            1
        )
        .is_empty());
        // Per-pod storage is not shared.
        assert!(serving(
            json!({"name":"models","mountPath":"/models"}),
            json!({"name":"models","emptyDir":{}}),
            4
        )
        .is_empty());
        // A download cache must be writable; it is reported only when pods share it.
        let cache = json!({"name":"hf","persistentVolumeClaim":{"claimName":"hf"}});
        let mount = json!({"name":"hf","mountPath":"/root/.cache/huggingface"});
        assert!(serving(mount.clone(), cache.clone(), 1).is_empty());
        let found = serving(mount, cache, 3);
        assert_eq!(rules(&found), ["TLR-gpu-writable-model-volume"]);
        assert!(
            found[0].message.contains("shared by 3 replicas"),
            "{}",
            found[0].message
        );
        let host_cache = serving(
            json!({"name":"nim","mountPath":"/opt/nim/.cache"}),
            json!({"name":"nim","hostPath":{"path":"/var/nim"}}),
            1,
        );
        assert!(
            host_cache[0]
                .message
                .contains("every pod on the node that mounts the same path"),
            "{}",
            host_cache[0].message
        );

        // The cache the server's environment points at, under a neutral name.
        let mut nim = deployment(
            "nim",
            None,
            json!({"containers":[gpu_container("nim", json!({
            "env":[{"name":"NIM_CACHE_PATH","value":"/mnt/models/cache"}],
            "volumeMounts":[{"name":"store","mountPath":"/mnt/models"}]}))],
            "volumes":[{"name":"store","nfs":{"server":"nfs","path":"/nim"}}]}),
        );
        assert!(pod_findings(nim.clone()).is_empty());
        nim["spec"]["replicas"] = json!(2);
        assert!(pod_findings(nim)[0].message.contains("the model cache NFS nfs:/nim"));

        // Jobs write the models they train or download.
        let job = json!({"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"finetune"},"spec":{"template":{"spec":{
            "containers":[gpu_container("train", json!({"volumeMounts":[{"name":"models","mountPath":"/models"}]}))],
            "volumes":[pvc]}}}});
        assert!(pod_findings(job).is_empty());
        // A StatefulSet's claim templates hold weights per replica.
        let sts = json!({"apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"s"},"spec":{"template":{"spec":{
            "containers":[gpu_container("server", json!({"volumeMounts":[{"name":"weights","mountPath":"/weights"}]}))]}},
            "volumeClaimTemplates":[{"metadata":{"name":"weights"}}]}});
        assert_eq!(rules(&pod_findings(sts)), ["TLR-gpu-writable-model-volume"]);
    }

    fn quota(namespace: Option<&str>, hard: Value, scope_selector: Option<Value>) -> Value {
        let mut object =
            json!({"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"gpu"},"spec":{"hard": hard}});
        if let Some(namespace) = namespace {
            object["metadata"]["namespace"] = json!(namespace);
        }
        if let Some(selector) = scope_selector {
            object["spec"]["scopeSelector"] = selector;
        }
        object
    }

    fn quota_findings(objects: &[Value]) -> Vec<Finding> {
        gpu_findings(objects)
            .into_iter()
            .filter(|f| f.rule == "TLR-gpu-no-resource-quota")
            .collect()
    }

    #[test]
    fn gpu_consumers_need_a_quota_on_requests_of_their_gpu_resource() {
        let llm = deployment(
            "llm",
            Some("ml"),
            json!({"containers":[gpu_container("server", json!({}))]}),
        );
        let found = quota_findings(std::slice::from_ref(&llm));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].field,
            "spec.template.spec.containers[0].resources.limits[\"nvidia.com/gpu\"]"
        );
        assert_eq!(found[0].attack, ["T1496"]);
        assert!(
            found[0]
                .message
                .contains("in namespace \"ml\", and no ResourceQuota loaded for it caps requests.nvidia.com/gpu"),
            "{}",
            found[0].message
        );

        assert!(quota_findings(&[
            llm.clone(),
            quota(Some("ml"), json!({"requests.nvidia.com/gpu": 4}), None)
        ])
        .is_empty());
        assert_eq!(
            quota_findings(&[
                llm.clone(),
                quota(Some("other"), json!({"requests.nvidia.com/gpu": 4}), None)
            ])
            .len(),
            1
        );

        // limits.<extended resource> is accepted by the API server but never counted.
        let found = quota_findings(&[
            llm.clone(),
            quota(Some("ml"), json!({"limits.nvidia.com/gpu": 4, "pods": 10}), None),
        ]);
        assert!(
            found[0]
                .message
                .contains("ResourceQuota \"gpu\" sets limits.nvidia.com/gpu, which quota never counts"),
            "{}",
            found[0].message
        );

        // A quota scoped to another priority class does not cap this pod.
        let scoped = json!({"matchExpressions":[{"scopeName":"PriorityClass","operator":"In","values":["batch"]}]});
        let found = quota_findings(&[
            llm.clone(),
            quota(Some("ml"), json!({"requests.nvidia.com/gpu": 4}), Some(scoped.clone())),
        ]);
        assert!(
            found[0].message.contains("caps it only for pods its scopes select"),
            "{}",
            found[0].message
        );
        let mut batch = llm.clone();
        batch["spec"]["template"]["spec"]["priorityClassName"] = json!("batch");
        assert!(quota_findings(&[
            batch,
            quota(Some("ml"), json!({"requests.nvidia.com/gpu": 4}), Some(scoped))
        ])
        .is_empty());

        // Other vendors: the quota key follows the resource.
        let amd = deployment(
            "rocm",
            Some("ml"),
            json!({"containers":[{"name":"c","image":"rocm/pytorch","resources":{"limits":{"amd.com/gpu":1}}}]}),
        );
        assert!(quota_findings(std::slice::from_ref(&amd))[0]
            .message
            .contains("requests.amd.com/gpu"));
        assert_eq!(
            quota_findings(&[amd, quota(Some("ml"), json!({"requests.nvidia.com/gpu": 4}), None)]).len(),
            1
        );

        // Providers and pods asking for zero GPUs use none.
        let zero = deployment(
            "cpu",
            Some("ml"),
            json!({"containers":[{"name":"c","image":"x","resources":{"limits":{"nvidia.com/gpu":0}}}]}),
        );
        assert!(quota_findings(&[zero]).is_empty());
    }

    #[test]
    fn workloads_without_a_namespace_are_reported_once() {
        let a = deployment("a", None, json!({"containers":[gpu_container("server", json!({}))]}));
        let b = deployment("b", None, json!({"containers":[gpu_container("server", json!({}))]}));
        let found = quota_findings(&[a.clone(), b.clone()]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name.as_deref(), Some("a"));
        assert!(
            found[0].message.contains(
                "sets no namespace, and no ResourceQuota without a namespace is loaded beside it and Deployment/b"
            ),
            "{}",
            found[0].message
        );
        // A quota without a namespace is applied beside them, to the same namespace.
        assert!(quota_findings(&[a.clone(), b, quota(None, json!({"requests.nvidia.com/gpu": 2}), None)]).is_empty());
        let found = quota_findings(&[a, quota(None, json!({"limits.nvidia.com/gpu": 2}), None)]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains(
                "among the ResourceQuotas without a namespace loaded beside it, no ResourceQuota caps \
                 requests.nvidia.com/gpu: ResourceQuota \"gpu\" sets limits.nvidia.com/gpu"
            ),
            "{}",
            found[0].message
        );
    }
}

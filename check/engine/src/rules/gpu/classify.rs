//! What a workload is to the GPU stack: a **consumer** (it runs on GPUs: inference servers,
//! training jobs), a **provider** (node-level GPU plumbing: driver, container toolkit, device
//! plugin, feature discovery, DCGM, MIG manager, validator) or neither, with the evidence for
//! the verdict so that messages can explain it.
//!
//! The same pod spec means different things for the two roles: `privileged` on an inference
//! pod is an escape hatch it never needs, on the driver DaemonSet it is how kernel modules get
//! loaded. Rules, and later `harden`, ask [`classify`] first.
//!
//! Providers are recognised by what they are (images, names and labels such as
//! `nvcr.io/nvidia/k8s-device-plugin`, `nvidia-driver-daemonset`, `app=gpu-feature-discovery`;
//! gpu-operator's own manifests leave images as "FILLED BY THE OPERATOR", so names and labels
//! matter) and by the node plumbing they mount (`/var/lib/kubelet/device-plugins`,
//! `/run/nvidia`, GPU device nodes). A workload that asks the scheduler for a GPU is a consumer,
//! whatever its image.

use tailor_kube::k8s_openapi::api::core::v1::{EnvVar, Volume};
use tailor_kube::{containers, containers_in, ContainerList, ContainerView, FieldPath, PodBearingKind, PodTemplate};

/// The role of a workload in the GPU stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Runs on GPUs: requests a GPU resource, or reaches GPUs through the NVIDIA runtime's
    /// environment or host device nodes.
    Consumer,
    /// Node-level GPU plumbing.
    Provider(Component),
    /// Nothing to do with GPUs.
    None,
}

/// The kinds of GPU providers, each with what it genuinely needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// Builds and loads the GPU kernel modules (NVIDIA driver container, vGPU manager, driver
    /// manager, peermem/GDS/GDRCopy, cloud driver installers).
    Driver,
    /// Installs the NVIDIA container runtime on the node.
    ContainerToolkit,
    /// Advertises GPUs to the kubelet (NVIDIA, AMD, Intel, sandbox device plugins).
    DevicePlugin,
    /// Labels nodes with GPU properties (GPU feature discovery, node-feature-discovery, AMD
    /// labeller).
    FeatureDiscovery,
    /// GPU telemetry (DCGM host engine, DCGM exporter).
    Monitoring,
    /// Repartitions GPUs into MIG devices.
    MigManager,
    /// gpu-operator's validators.
    Validator,
    /// Other node-level GPU configuration (MPS control daemon, vGPU device manager, VFIO, CC and
    /// Kata managers, sandbox (VFIO passthrough) device plugins, DRA kubelet plugin, library
    /// installers, unrecognised GPU DaemonSets).
    NodeAgent,
}

/// The GPU vendor a workload is built around, as far as its manifest tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vendor {
    Nvidia,
    Amd,
    Intel,
    Unknown,
}

/// One reason for a classification, at the field that shows it (relative to the pod; `None`
/// for the name of the object, which lies outside its pod).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub field: Option<FieldPath>,
    pub detail: String,
}

#[derive(Clone, Debug)]
pub struct Classification {
    pub role: Role,
    pub vendor: Vendor,
    /// Why, strongest reason first.
    pub evidence: Vec<Evidence>,
}

impl Classification {
    /// The role and its strongest reasons, for messages: e.g. `GPU provider (NVIDIA driver:
    /// label app=nvidia-driver-daemonset)`.
    pub fn describe(&self) -> String {
        let reasons: Vec<&str> = self.evidence.iter().take(2).map(|e| e.detail.as_str()).collect();
        let reasons = reasons.join("; ");
        match self.role {
            Role::Consumer => format!("GPU consumer ({reasons})"),
            Role::Provider(component) => {
                format!("GPU provider ({}: {reasons})", component.name(self.vendor))
            }
            Role::None => "not a GPU workload".to_owned(),
        }
    }
}

impl Component {
    /// What it is, e.g. `NVIDIA device plugin`.
    pub fn name(self, vendor: Vendor) -> String {
        let what = match self {
            Component::Driver => "GPU driver",
            Component::ContainerToolkit => "container toolkit",
            Component::DevicePlugin => "device plugin",
            Component::FeatureDiscovery => "GPU feature discovery",
            Component::Monitoring => "GPU telemetry (DCGM)",
            Component::MigManager => "MIG manager",
            Component::Validator => "GPU operator validator",
            Component::NodeAgent => "GPU node agent",
        };
        match vendor {
            Vendor::Nvidia => format!("NVIDIA {what}"),
            Vendor::Amd => format!("AMD {what}"),
            Vendor::Intel => format!("Intel {what}"),
            Vendor::Unknown => what.to_owned(),
        }
    }

    /// What the component genuinely needs from the node, and why; the vendor's own manifests
    /// tell where privileged mode is optional.
    pub fn needs(self, vendor: Vendor) -> String {
        let (generic, nvidia) = match self {
            Component::Driver => (
                "it builds and loads GPU kernel modules and keeps them loaded, which takes privileged mode (module \
                 loading, device nodes, Bidirectional mount propagation of the driver root); hostPID lets its driver \
                 manager find and stop GPU clients on the host before it unloads the modules",
                "",
            ),
            Component::ContainerToolkit => (
                "it installs the NVIDIA container runtime on the host and edits the container runtime's \
                 configuration, then signals the runtime to reload: that takes write access to the install and \
                 configuration directories, hostPID and privileged mode",
                "",
            ),
            Component::DevicePlugin => (
                "it registers with the kubelet through /var/lib/kubelet/device-plugins and enumerates the devices it \
                 advertises",
                "; NVIDIA's Helm chart runs it privileged only to pass device specs for the static CPU manager \
                 (PASS_DEVICE_SPECS, compatWithCPUManager) or to run MPS, and adds SYS_ADMIN only to enumerate MIG \
                 devices",
            ),
            Component::FeatureDiscovery => (
                "it reads device properties and publishes them as node labels",
                " (through NVML, into node-feature-discovery's features.d); NVIDIA's Helm chart adds SYS_ADMIN only \
                 with a MIG strategy and never runs it privileged",
            ),
            Component::Monitoring => (
                "it reads telemetry of every GPU on the node and maps GPUs to pods through the kubelet's \
                 pod-resources socket",
                "; DCGM needs SYS_ADMIN only for profiling metrics (DCGM_FI_PROF_*), never privileged mode",
            ),
            Component::MigManager => (
                "it repartitions GPUs into MIG devices, which takes privileged mode and hostPID: it stops and \
                 restarts the GPU clients on the host around each reconfiguration",
                "",
            ),
            Component::Validator => (
                "it checks the driver, toolkit, CUDA and device plugin on each node and creates the /dev/char \
                 symlinks the runtime relies on, which gpu-operator does in privileged containers",
                "",
            ),
            Component::NodeAgent => (
                "it configures GPUs or the node for GPU use (MPS, vGPU, VFIO, confidential computing, DRA, \
                 libraries), which usually takes privileged access to the host's devices",
                "",
            ),
        };
        let vendor_note = match (self, vendor) {
            (_, Vendor::Nvidia) => nvidia,
            (Component::DevicePlugin, Vendor::Intel) => {
                "; Intel's GPU plugin does this unprivileged, with /dev/dri and /sys/class/drm mounted read-only"
            }
            _ => "",
        };
        format!("{generic}{vendor_note}")
    }

    /// The narrowest setup that still does the job.
    pub fn narrowest(self) -> &'static str {
        match self {
            Component::Driver => {
                "preinstall the driver in the node image (or use the provider's preinstalled driver; gpu-operator: \
                 driver.enabled=false) so that nothing privileged runs per node; otherwise run it only on GPU \
                 nodes, in a namespace that alone may run privileged pods, with host paths read-only wherever \
                 the driver allows"
            }
            Component::ContainerToolkit => {
                "install nvidia-container-toolkit in the node image (gpu-operator: toolkit.enabled=false); \
                 otherwise mount only the toolkit's install directory and the runtime's configuration \
                 directory, not the host's /"
            }
            Component::DevicePlugin => {
                "mount only /var/lib/kubelet/device-plugins (and the device directories it enumerates, read-only), \
                 set allowPrivilegeEscalation: false and drop ALL capabilities, as NVIDIA's nvidia-device-plugin.yml \
                 and Intel's GPU plugin do"
            }
            Component::FeatureDiscovery => {
                "drop ALL capabilities (NVIDIA: add SYS_ADMIN only with a MIG strategy), keep the label output \
                 directory as the only writable host path and mount /sys read-only"
            }
            Component::Monitoring => {
                "drop ALL capabilities, add SYS_ADMIN only if you collect profiling metrics, and mount \
                 /var/lib/kubelet/pod-resources read-only, as NVIDIA's dcgm-exporter.yaml does"
            }
            Component::MigManager => {
                "run it only on MIG-capable nodes (nodeSelector on nvidia.com/mig.config), or not at all where \
                 partitions are fixed when nodes are provisioned"
            }
            Component::Validator | Component::NodeAgent => {
                "run it only on the nodes that need it (nodeSelector), in a namespace that alone may run \
                 privileged pods, with host paths read-only wherever it allows"
            }
        }
    }

    /// Whether the component needs privileged mode in `pod`; `None` where the manifest does not
    /// tell (the rules then take the provider's word for it).
    pub fn needs_privileged(self, vendor: Vendor, pod: &PodTemplate) -> Option<bool> {
        match (self, vendor) {
            // NVIDIA's own chart: privileged only for compatWithCPUManager (PASS_DEVICE_SPECS);
            // gpu-operator's plugin also runs MPS. Intel's plugins run unprivileged.
            (Component::DevicePlugin, Vendor::Nvidia) => Some(passes_device_specs(pod) || runs_mps(pod)),
            (Component::DevicePlugin, Vendor::Intel) => Some(false),
            (Component::FeatureDiscovery | Component::Monitoring, Vendor::Nvidia) => Some(false),
            (Component::DevicePlugin | Component::FeatureDiscovery | Component::Monitoring, _) => None,
            _ => Some(true),
        }
    }
}

/// The containers the GPU rules look at: init containers, then containers. Ephemeral
/// containers are added through the API, not in manifests, and cannot request resources; they
/// are left out.
pub fn declared_containers(pod: &PodTemplate) -> impl Iterator<Item = ContainerView<'_>> {
    containers(&pod.spec).filter(|c| c.list != ContainerList::Ephemeral)
}

/// Whether an extended resource name is a GPU (or a share of one): `nvidia.com/gpu`,
/// `nvidia.com/mig-1g.5gb`, `amd.com/gpu`, `gpu.intel.com/i915`, HAMi's `nvidia.com/gpumem`,
/// other vendors' `*/vgpu`, `*/sgpu`. NVIDIA's NIC resources (`nvidia.com/rdma_*`,
/// `nvidia.com/hostdev`) are not GPUs.
pub fn is_gpu_resource(name: &str) -> bool {
    let Some((domain, resource)) = name.split_once('/') else {
        return false;
    };
    let resource = resource.to_ascii_lowercase();
    domain.eq_ignore_ascii_case("gpu.intel.com")
        || resource.contains("gpu")
        || (domain.eq_ignore_ascii_case("nvidia.com") && resource.starts_with("mig-"))
}

/// One GPU resource a container asks for.
#[derive(Clone, Debug)]
pub struct GpuRequest<'p> {
    pub container: ContainerView<'p>,
    pub resource: &'p str,
    pub limit: Option<&'p str>,
    pub request: Option<&'p str>,
}

impl GpuRequest<'_> {
    /// The field that sets the amount: the limit when there is one (the scheduler uses it
    /// for extended resources), else the request.
    pub fn field(&self) -> FieldPath {
        let list = if self.limit.is_some() { "limits" } else { "requests" };
        self.container.path().key("resources").key(list).key(self.resource)
    }

    /// Whether it asks for no GPU at all.
    pub fn is_zero(&self) -> bool {
        self.limit.or(self.request).and_then(quantity_value) == Some(0.0)
    }

    /// `nvidia.com/gpu: 2`
    pub fn describe(&self) -> String {
        format!("{}: {}", self.resource, self.limit.or(self.request).unwrap_or_default())
    }
}

/// The GPU resources each container requests or limits.
pub fn gpu_requests(pod: &PodTemplate) -> Vec<GpuRequest<'_>> {
    let mut found = Vec::new();
    for container in declared_containers(pod) {
        let Some(resources) = container.resources() else {
            continue;
        };
        let (limits, requests) = (resources.limits.as_ref(), resources.requests.as_ref());
        let mut names: Vec<&str> = limits
            .into_iter()
            .chain(requests)
            .flatten()
            .map(|(name, _)| name.as_str())
            .filter(|name| is_gpu_resource(name))
            .collect();
        names.sort_unstable();
        names.dedup();
        found.extend(names.into_iter().map(|resource| GpuRequest {
            container,
            resource,
            limit: limits.and_then(|m| m.get(resource)).map(|q| q.0.as_str()),
            request: requests.and_then(|m| m.get(resource)).map(|q| q.0.as_str()),
        }));
    }
    found
}

/// The GPU requests the device plugin actually allots: those asking for more than zero
/// (`nvidia.com/gpu: 0` keeps a pod off GPUs).
pub fn gpu_allocations(pod: &PodTemplate) -> Vec<GpuRequest<'_>> {
    gpu_requests(pod).into_iter().filter(|r| !r.is_zero()).collect()
}

/// A Kubernetes quantity as a number: decimal and binary SI suffixes and exponents.
pub fn quantity_value(quantity: &str) -> Option<f64> {
    let quantity = quantity.trim();
    let split = quantity
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '+' | '-')))
        .unwrap_or(quantity.len());
    let (number, suffix) = quantity.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exponent => 10f64.powi(exponent.strip_prefix(['e', 'E'])?.parse().ok()?),
    };
    Some(number * scale)
}

/// What `NVIDIA_VISIBLE_DEVICES` asks the NVIDIA runtime for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VisibleDevices<'p> {
    /// `void`, `none` or empty: no GPU (the documented opt-out).
    OptOut,
    /// `all`, indices or UUIDs.
    Devices(&'p str),
    /// Set from a ConfigMap, Secret or field: the value is not in the manifest.
    Indirect,
}

/// The container's effective definition of an environment variable (the last one wins, as in
/// Kubernetes) with its index in `env`.
pub fn env_var<'c>(container: &ContainerView<'c>, name: &str) -> Option<(usize, &'c EnvVar)> {
    container.env().iter().enumerate().rfind(|(_, var)| var.name == name)
}

/// `NVIDIA_VISIBLE_DEVICES` as the container sets it, with the index of its definition.
pub fn visible_devices<'c>(container: &ContainerView<'c>) -> Option<(usize, VisibleDevices<'c>)> {
    let (index, var) = env_var(container, "NVIDIA_VISIBLE_DEVICES")?;
    let value = match (&var.value, &var.value_from) {
        (_, Some(_)) => VisibleDevices::Indirect,
        (Some(value), None) => match value.trim() {
            v if v.is_empty() || v.eq_ignore_ascii_case("void") || v.eq_ignore_ascii_case("none") => {
                VisibleDevices::OptOut
            }
            v => VisibleDevices::Devices(v),
        },
        (None, None) => VisibleDevices::OptOut,
    };
    Some((index, value))
}

/// A runtime class that runs containers with the NVIDIA runtime (`nvidia`, `nvidia-cdi`,
/// `nvidia-legacy`, Kata's `kata-qemu-nvidia-gpu`).
pub fn is_nvidia_runtime_class(pod: &PodTemplate) -> bool {
    pod.spec
        .runtime_class_name
        .as_deref()
        .is_some_and(|name| name.to_ascii_lowercase().contains("nvidia"))
}

/// The GPU device nodes a host path reaches: `/dev/nvidia*`, `/dev/dri[/...]`, `/dev/kfd`, or
/// the whole `/dev`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevicePath {
    Nvidia,
    Dri,
    Kfd,
    AllDevices,
}

impl DevicePath {
    pub fn of(host_path: &str) -> Option<DevicePath> {
        let path = normalize_path(host_path);
        let name = path.strip_prefix("/dev")?;
        match name {
            "" => Some(DevicePath::AllDevices),
            n if n.starts_with("/nvidia") => Some(DevicePath::Nvidia),
            n if n == "/dri" || n.starts_with("/dri/") => Some(DevicePath::Dri),
            "/kfd" => Some(DevicePath::Kfd),
            _ => None,
        }
    }

    /// Whether it names GPU devices only (not every device of the node).
    pub fn is_gpu_specific(self) -> bool {
        self != DevicePath::AllDevices
    }
}

/// `//dev/./dri/` → `/dev/dri`: host paths as the kubelet resolves them, for matching.
pub fn normalize_path(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    format!("/{}", parts.join("/"))
}

/// A hostPath volume of the pod, with its index in `spec.volumes`.
pub fn host_paths(pod: &PodTemplate) -> impl Iterator<Item = (usize, &Volume, &str)> {
    pod.spec
        .volumes
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, v)| v.host_path.as_ref().map(|h| (i, v, h.path.as_str())))
}

/// Classifies a workload; `object_name` is the name of the object carrying the pod.
pub fn classify(pod: &PodTemplate, object_name: Option<&str>) -> Classification {
    let names = names(pod, object_name);
    let text = gpu_text(pod, &names);
    let vendor = vendor(&text);
    let requests = gpu_allocations(pod);
    if !requests.is_empty() {
        let evidence = requests
            .iter()
            .map(|r| Evidence {
                field: Some(r.field()),
                detail: format!("requests {} in container \"{}\"", r.describe(), r.container.name()),
            })
            .collect();
        return Classification {
            role: Role::Consumer,
            vendor,
            evidence,
        };
    }
    let gpu_hint = GPU_WORDS.iter().any(|word| text.contains(word));
    let mut evidence = Vec::new();
    let mut component = None;
    // Names tell node plumbing only on DaemonSets: a Deployment named like a validator is an
    // application.
    if gpu_hint && pod.kind == PodBearingKind::DaemonSet {
        if let Some((name, found)) = names.iter().find_map(|n| component_named(&n.text).map(|c| (n, c))) {
            evidence.push(Evidence {
                field: name.field.clone(),
                detail: name.describe(),
            });
            component = Some(found);
        }
    }
    let plumbing = plumbing(pod, gpu_hint);
    component = component.or_else(|| plumbing.iter().find_map(|(_, c)| *c));
    evidence.extend(plumbing.into_iter().map(|(e, _)| e));
    let access = gpu_access(pod);
    if let Some(component) = component {
        return Classification {
            role: Role::Provider(component),
            vendor,
            evidence,
        };
    }
    // A DaemonSet that reaches GPUs without asking the scheduler for one is node plumbing.
    if !access.is_empty() {
        let role = if pod.kind == PodBearingKind::DaemonSet {
            Role::Provider(Component::NodeAgent)
        } else {
            Role::Consumer
        };
        return Classification {
            role,
            vendor,
            evidence: access,
        };
    }
    Classification {
        role: Role::None,
        vendor,
        evidence: Vec::new(),
    }
}

/// A name-like string of the workload that may tell what it is.
struct Name {
    what: &'static str,
    text: String,
    field: Option<FieldPath>,
}

impl Name {
    fn describe(&self) -> String {
        format!("{} {}", self.what, self.text)
    }
}

/// The object's name, its pod's identifying labels, then container images and names (regular
/// containers before init containers, so a helper init container does not name the workload).
fn names(pod: &PodTemplate, object_name: Option<&str>) -> Vec<Name> {
    let mut names = Vec::new();
    if let Some(name) = object_name {
        names.push(Name {
            what: "name",
            text: name.to_owned(),
            field: None,
        });
    }
    const LABELS: [&str; 5] = [
        "app",
        "app.kubernetes.io/name",
        "app.kubernetes.io/component",
        "name",
        "k8s-app",
    ];
    if let Some(labels) = &pod.metadata.labels {
        for key in LABELS {
            if let Some(value) = labels.get(key) {
                names.push(Name {
                    what: "label",
                    text: format!("{key}={value}"),
                    field: Some(FieldPath::keys("metadata.labels").key(key)),
                });
            }
        }
    }
    let mut ordered: Vec<ContainerView> = containers_in(&pod.spec, ContainerList::Regular).collect();
    ordered.extend(containers_in(&pod.spec, ContainerList::Init));
    for container in &ordered {
        if let Some(image) = container.image() {
            names.push(Name {
                what: "image",
                text: image.to_owned(),
                field: Some(container.path().key("image")),
            });
        }
        names.push(Name {
            what: "container",
            text: container.name().to_owned(),
            field: Some(container.path().key("name")),
        });
    }
    names
}

/// Provider name patterns, most specific first. They only count in a workload that has
/// something to do with GPUs ([`GPU_WORDS`]), so Intel's QAT plugin or a plain
/// node-feature-discovery are not taken for GPU providers.
const COMPONENT_PATTERNS: &[(&str, Component)] = &[
    ("mps-control-daemon", Component::NodeAgent),
    ("vgpu-device-manager", Component::NodeAgent),
    ("dra-driver", Component::NodeAgent),
    ("kata-manager", Component::NodeAgent),
    ("cc-manager", Component::NodeAgent),
    ("vfio-manager", Component::NodeAgent),
    ("node-status-exporter", Component::NodeAgent),
    ("sandbox-device-plugin", Component::NodeAgent),
    ("container-toolkit", Component::ContainerToolkit),
    ("driver-manager", Component::Driver),
    ("vgpu-manager", Component::Driver),
    ("nvidia-driver", Component::Driver),
    ("nvidia/driver", Component::Driver),
    ("gpu-driver", Component::Driver),
    ("driver-installer", Component::Driver),
    ("nvidia-installer", Component::Driver),
    ("peermem", Component::Driver),
    ("gdrdrv", Component::Driver),
    ("nvidia-fs", Component::Driver),
    ("mig-manager", Component::MigManager),
    ("dcgm", Component::Monitoring),
    ("metrics-exporter", Component::Monitoring),
    ("feature-discovery", Component::FeatureDiscovery),
    ("nfd-worker", Component::FeatureDiscovery),
    ("labeller", Component::FeatureDiscovery),
    ("validator", Component::Validator),
    ("device-plugin", Component::DevicePlugin),
    ("gpu-plugin", Component::DevicePlugin),
    ("amdgpu-dp", Component::DevicePlugin),
];

fn component_named(text: &str) -> Option<Component> {
    let text = text.to_ascii_lowercase();
    COMPONENT_PATTERNS
        .iter()
        .find(|(pattern, _)| text.contains(pattern))
        .map(|(_, c)| *c)
}

/// Words that tie a workload to GPUs.
const GPU_WORDS: [&str; 9] = [
    "nvidia", "gpu", "cuda", "dcgm", "rocm", "amdgpu", "i915", "/dev/dri", "/dev/kfd",
];

/// Everything in the workload that may name a GPU vendor or GPU plumbing, lower-cased: names,
/// images and labels, GPU resources, node selection, tolerations, host paths and the names of
/// NVIDIA environment variables.
fn gpu_text(pod: &PodTemplate, names: &[Name]) -> String {
    let spec = &pod.spec;
    let mut parts: Vec<&str> = names.iter().map(|n| n.text.as_str()).collect();
    let requests = gpu_requests(pod);
    parts.extend(requests.iter().map(|r| r.resource));
    parts.extend(
        spec.node_selector
            .iter()
            .flatten()
            .flat_map(|(k, v)| [k.as_str(), v.as_str()]),
    );
    parts.extend(spec.tolerations.iter().flatten().filter_map(|t| t.key.as_deref()));
    parts.extend(host_paths(pod).map(|(_, _, path)| path));
    parts.extend(
        declared_containers(pod)
            .flat_map(|c| c.env())
            .map(|e| e.name.as_str())
            .filter(|name| name.starts_with("NVIDIA_")),
    );
    parts.join(" ").to_ascii_lowercase()
}

/// Host plumbing that only GPU providers mount, with the component it suggests.
fn plumbing(pod: &PodTemplate, gpu_hint: bool) -> Vec<(Evidence, Option<Component>)> {
    let mut found = Vec::new();
    for (index, _, path) in host_paths(pod) {
        let path = normalize_path(path);
        let component = match path.as_str() {
            "/var/lib/kubelet/device-plugins" if gpu_hint => Some(Component::DevicePlugin),
            "/var/lib/kubelet/pod-resources" if gpu_hint => Some(Component::Monitoring),
            p if p == "/run/nvidia" || p.starts_with("/run/nvidia/") || p.starts_with("/run/nvidia-") => {
                Some(Component::NodeAgent)
            }
            // GKE's NVIDIA driver and library directory (e.g. its NCCL installer writes here).
            p if p.starts_with("/home/kubernetes/bin/nvidia") => Some(Component::NodeAgent),
            _ => None,
        };
        if component.is_some() {
            found.push((
                Evidence {
                    field: Some(FieldPath::keys("spec.volumes").index(index).key("hostPath").key("path")),
                    detail: format!("hostPath {path}"),
                },
                component,
            ));
        }
    }
    found
}

/// Ways the pod reaches GPUs without asking the scheduler for one: the NVIDIA runtime class,
/// `NVIDIA_VISIBLE_DEVICES` naming devices, host GPU device nodes.
fn gpu_access(pod: &PodTemplate) -> Vec<Evidence> {
    let mut found = Vec::new();
    if is_nvidia_runtime_class(pod) {
        found.push(Evidence {
            field: Some(FieldPath::keys("spec.runtimeClassName")),
            detail: format!(
                "runtimeClassName {}",
                pod.spec.runtime_class_name.as_deref().unwrap_or_default()
            ),
        });
    }
    for container in declared_containers(pod) {
        if let Some((index, VisibleDevices::Devices(value))) = visible_devices(&container) {
            found.push(Evidence {
                field: Some(container.path().key("env").index(index).key("value")),
                detail: format!("NVIDIA_VISIBLE_DEVICES={value} in container \"{}\"", container.name()),
            });
        }
    }
    for (index, _, path) in host_paths(pod) {
        if DevicePath::of(path).is_some_and(DevicePath::is_gpu_specific) {
            found.push(Evidence {
                field: Some(FieldPath::keys("spec.volumes").index(index).key("hostPath").key("path")),
                detail: format!("hostPath {path}"),
            });
        }
    }
    found
}

/// The vendor that the workload's [`gpu_text`] points at.
fn vendor(text: &str) -> Vendor {
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    if has(&["nvidia", "nvcr.io", "dcgm", "cuda"]) {
        Vendor::Nvidia
    } else if has(&["amd.com", "amdgpu", "rocm", "/dev/kfd"]) {
        Vendor::Amd
    } else if has(&["intel", "i915"]) {
        Vendor::Intel
    } else {
        Vendor::Unknown
    }
}

/// NVIDIA's device plugin passes device specs (for the static CPU manager) when
/// `PASS_DEVICE_SPECS` is true or `--pass-device-specs` is given.
fn passes_device_specs(pod: &PodTemplate) -> bool {
    declared_containers(pod).any(|c| {
        let from_env = env_var(&c, "PASS_DEVICE_SPECS")
            .and_then(|(_, var)| var.value.as_deref())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let from_args = c.args().iter().chain(c.command()).any(|a| {
            let a = a.trim();
            a == "--pass-device-specs" || a.eq_ignore_ascii_case("--pass-device-specs=true")
        });
        from_env || from_args
    })
}

/// gpu-operator's device plugin also runs the MPS control plane (`MPS_ROOT`).
fn runs_mps(pod: &PodTemplate) -> bool {
    declared_containers(pod).any(|c| env_var(&c, "MPS_ROOT").is_some())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::testing;

    fn pod_spec(spec: Value) -> PodTemplate {
        testing::pod(&json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec": spec}))
    }

    fn daemonset(name: &str, labels: Value, spec: Value) -> PodTemplate {
        testing::pod(
            &json!({"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name": name},
            "spec":{"template":{"metadata":{"labels": labels},"spec": spec}}}),
        )
    }

    fn role(pod: &PodTemplate, name: &str) -> Role {
        classify(pod, Some(name)).role
    }

    #[test]
    fn gpu_resources_of_every_vendor_and_mig_are_recognised() {
        for name in [
            "nvidia.com/gpu",
            "nvidia.com/mig-1g.5gb",
            "nvidia.com/gpu.shared",
            "nvidia.com/gpumem",
            "amd.com/gpu",
            "gpu.intel.com/i915",
            "gpu.intel.com/millicores",
            "metax-tech.com/sgpu",
            "iluvatar.ai/BI-V100-vgpu",
        ] {
            assert!(is_gpu_resource(name), "{name}");
        }
        for name in [
            "cpu",
            "memory",
            "nvidia.com/hostdev",
            "nvidia.com/rdma_shared_device_a",
            "qat.intel.com/generic",
            "google.com/tpu",
        ] {
            assert!(!is_gpu_resource(name), "{name}");
        }
    }

    #[test]
    fn a_pod_requesting_a_gpu_is_a_consumer_with_the_request_as_evidence() {
        let pod = pod_spec(json!({"containers":[{"name":"vllm","image":"vllm/vllm-openai",
            "resources":{"limits":{"nvidia.com/mig-3g.20gb":1}}}]}));
        let classification = classify(&pod, Some("p"));
        assert_eq!(classification.role, Role::Consumer);
        assert_eq!(classification.vendor, Vendor::Nvidia);
        assert_eq!(
            classification.evidence[0]
                .field
                .as_ref()
                .map(FieldPath::to_string)
                .as_deref(),
            Some("spec.containers[0].resources.limits[\"nvidia.com/mig-3g.20gb\"]")
        );
        assert_eq!(
            classification.describe(),
            "GPU consumer (requests nvidia.com/mig-3g.20gb: 1 in container \"vllm\")"
        );

        let amd = pod_spec(
            json!({"containers":[{"name":"c","image":"rocm/pytorch","resources":{"limits":{"amd.com/gpu":1}}}]}),
        );
        assert_eq!(
            (role(&amd, "p"), classify(&amd, None).vendor),
            (Role::Consumer, Vendor::Amd)
        );
        let intel = pod_spec(
            json!({"containers":[{"name":"c","image":"x","resources":{"requests":{"gpu.intel.com/i915":1}}}]}),
        );
        assert_eq!(
            (role(&intel, "p"), classify(&intel, None).vendor),
            (Role::Consumer, Vendor::Intel)
        );
    }

    #[test]
    fn gpu_access_without_a_request_makes_a_consumer_but_opting_out_does_not() {
        let runtime = pod_spec(json!({"runtimeClassName":"nvidia","containers":[{"name":"c","image":"cuda"}]}));
        assert_eq!(role(&runtime, "p"), Role::Consumer);
        let env = pod_spec(
            json!({"containers":[{"name":"c","image":"x","env":[{"name":"NVIDIA_VISIBLE_DEVICES","value":"all"}]}]}),
        );
        assert_eq!(role(&env, "p"), Role::Consumer);
        let device = pod_spec(
            json!({"containers":[{"name":"c","image":"x"}],"volumes":[{"name":"d","hostPath":{"path":"/dev/dri"}}]}),
        );
        assert_eq!(role(&device, "p"), Role::Consumer);
        for value in ["void", "none", "", "VOID"] {
            let opted_out = pod_spec(
                json!({"containers":[{"name":"c","image":"x","env":[{"name":"NVIDIA_VISIBLE_DEVICES","value": value}]}]}),
            );
            assert_eq!(role(&opted_out, "p"), Role::None, "{value:?}");
        }
        let plain = pod_spec(json!({"containers":[{"name":"web","image":"nginx"}]}));
        assert_eq!(role(&plain, "p"), Role::None);
    }

    #[test]
    fn providers_are_recognised_by_image_name_label_or_plumbing() {
        let plugin = daemonset(
            "nvidia-device-plugin-daemonset",
            json!({"name":"nvidia-device-plugin-ds"}),
            json!({"containers":[{"name":"nvidia-device-plugin-ctr","image":"nvcr.io/nvidia/k8s-device-plugin:v0.20.0"}]}),
        );
        assert_eq!(
            role(&plugin, "nvidia-device-plugin-daemonset"),
            Role::Provider(Component::DevicePlugin)
        );

        // gpu-operator's assets: no image, but names and labels.
        let driver = daemonset(
            "nvidia-driver-daemonset",
            json!({"app":"nvidia-driver-daemonset"}),
            json!({"hostPID":true,
            "initContainers":[{"name":"k8s-driver-manager","image":"FILLED BY THE OPERATOR"}],
            "containers":[{"name":"nvidia-driver-ctr","image":"FILLED BY THE OPERATOR"}]}),
        );
        let classification = classify(&driver, Some("nvidia-driver-daemonset"));
        assert_eq!(classification.role, Role::Provider(Component::Driver));
        assert_eq!(
            classification.describe(),
            "GPU provider (NVIDIA GPU driver: name nvidia-driver-daemonset)"
        );

        // A validation init container does not make the device plugin a toolkit.
        let operator_plugin = daemonset(
            "nvidia-device-plugin-daemonset",
            json!({"app":"nvidia-device-plugin-daemonset"}),
            json!({"initContainers":[{"name":"toolkit-validation","image":"FILLED"}],"containers":[{"name":"nvidia-device-plugin","image":"FILLED"}]}),
        );
        assert_eq!(
            role(&operator_plugin, "nvidia-device-plugin-daemonset"),
            Role::Provider(Component::DevicePlugin)
        );

        let toolkit = daemonset(
            "nvidia-container-toolkit-daemonset",
            json!({}),
            json!({"containers":[{"name":"c","image":"FILLED"}]}),
        );
        assert_eq!(
            role(&toolkit, "nvidia-container-toolkit-daemonset"),
            Role::Provider(Component::ContainerToolkit)
        );
        let exporter = daemonset(
            "dcgm-exporter",
            json!({}),
            json!({"containers":[{"name":"dcgm-exporter","image":"nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3"}]}),
        );
        assert_eq!(role(&exporter, "dcgm-exporter"), Role::Provider(Component::Monitoring));
        let mig = daemonset(
            "nvidia-mig-manager",
            json!({}),
            json!({"containers":[{"name":"nvidia-mig-manager","image":"FILLED"}]}),
        );
        assert_eq!(role(&mig, "nvidia-mig-manager"), Role::Provider(Component::MigManager));
        let amd = daemonset(
            "amdgpu-device-plugin-daemonset",
            json!({}),
            json!({"containers":[{"name":"amdgpu-dp-cntr","image":"rocm/k8s-device-plugin"}]}),
        );
        let classification = classify(&amd, Some("amdgpu-device-plugin-daemonset"));
        assert_eq!(
            (classification.role, classification.vendor),
            (Role::Provider(Component::DevicePlugin), Vendor::Amd)
        );
        let intel = daemonset(
            "intel-gpu-plugin",
            json!({}),
            json!({"containers":[{"name":"intel-gpu-plugin","image":"intel/intel-gpu-plugin:devel"}]}),
        );
        let classification = classify(&intel, Some("intel-gpu-plugin"));
        assert_eq!(
            (classification.role, classification.vendor),
            (Role::Provider(Component::DevicePlugin), Vendor::Intel)
        );

        // An unnamed plugin is known by the kubelet socket directory it mounts.
        let unnamed = daemonset(
            "agent",
            json!({}),
            json!({"containers":[{"name":"a","image":"example/agent",
            "env":[{"name":"NVIDIA_VISIBLE_DEVICES","value":"all"}]}],
            "volumes":[{"name":"dp","hostPath":{"path":"/var/lib/kubelet/device-plugins/"}}]}),
        );
        assert_eq!(role(&unnamed, "agent"), Role::Provider(Component::DevicePlugin));
    }

    #[test]
    fn a_gpu_daemonset_is_plumbing_but_non_gpu_device_plugins_are_not_gpu_providers() {
        let agent = daemonset(
            "telemetry",
            json!({}),
            json!({"containers":[{"name":"a","image":"example/agent",
            "env":[{"name":"NVIDIA_VISIBLE_DEVICES","value":"all"}]}]}),
        );
        assert_eq!(role(&agent, "telemetry"), Role::Provider(Component::NodeAgent));
        let qat = daemonset(
            "intel-qat-plugin",
            json!({}),
            json!({"containers":[{"name":"intel-qat-plugin","image":"intel/intel-qat-plugin:devel"}],
            "volumes":[{"name":"k","hostPath":{"path":"/var/lib/kubelet/device-plugins"}}]}),
        );
        assert_eq!(role(&qat, "intel-qat-plugin"), Role::None);
        let logs = daemonset(
            "fluent-bit",
            json!({}),
            json!({"tolerations":[{"operator":"Exists"}],"containers":[{"name":"f","image":"fluent/fluent-bit"}]}),
        );
        assert_eq!(role(&logs, "fluent-bit"), Role::None);
    }

    #[test]
    fn only_daemonsets_are_named_into_providers() {
        let app = testing::pod(
            &json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"gpu-model-validator"},
            "spec":{"template":{"spec":{"containers":[{"name":"validator","image":"nvcr.io/nvidia/tritonserver:24.04-py3",
            "env":[{"name":"NVIDIA_VISIBLE_DEVICES","value":"all"}]}]}}}}),
        );
        assert_eq!(role(&app, "gpu-model-validator"), Role::Consumer);
        // Node plumbing mounts still make a provider of any kind.
        let plugin = pod_spec(json!({"containers":[{"name":"c","image":"example/gpu-plugin"}],
            "volumes":[{"name":"dp","hostPath":{"path":"/var/lib/kubelet/device-plugins"}}]}));
        assert_eq!(role(&plugin, "p"), Role::Provider(Component::DevicePlugin));
    }

    #[test]
    fn requesting_a_gpu_wins_over_a_provider_image() {
        let test = testing::pod(
            &json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"nvidia-plugin-test"},
            "spec":{"template":{"spec":{"containers":[{"name":"t","image":"nvcr.io/nvidia/cloud-native/gpu-operator-validator:v1.10.1",
            "resources":{"limits":{"nvidia.com/gpu":1}}}]}}}}),
        );
        assert_eq!(role(&test, "nvidia-plugin-test"), Role::Consumer);
    }

    #[test]
    fn privileged_needs_follow_the_vendors_own_manifests() {
        let plugin = |env: Value| {
            daemonset(
                "nvidia-device-plugin-daemonset",
                json!({}),
                json!({"containers":[{"name":"c","image":"nvcr.io/nvidia/k8s-device-plugin","env": env}]}),
            )
        };
        let needs = |pod: &PodTemplate| Component::DevicePlugin.needs_privileged(Vendor::Nvidia, pod);
        assert_eq!(needs(&plugin(json!([]))), Some(false));
        assert_eq!(
            needs(&plugin(json!([{"name":"PASS_DEVICE_SPECS","value":"true"}]))),
            Some(true)
        );
        assert_eq!(
            needs(&plugin(json!([{"name":"PASS_DEVICE_SPECS","value":"false"}]))),
            Some(false)
        );
        assert_eq!(
            needs(&plugin(json!([{"name":"MPS_ROOT","value":"/run/nvidia/mps"}]))),
            Some(true)
        );
        assert_eq!(
            Component::Driver.needs_privileged(Vendor::Nvidia, &plugin(json!([]))),
            Some(true)
        );
        assert_eq!(
            Component::Monitoring.needs_privileged(Vendor::Nvidia, &plugin(json!([]))),
            Some(false)
        );
        assert_eq!(
            Component::DevicePlugin.needs_privileged(Vendor::Amd, &plugin(json!([]))),
            None
        );
    }

    #[test]
    fn device_paths_are_matched_after_normalisation() {
        assert_eq!(DevicePath::of("/dev/nvidia0"), Some(DevicePath::Nvidia));
        assert_eq!(DevicePath::of("/dev/nvidia-caps"), Some(DevicePath::Nvidia));
        assert_eq!(DevicePath::of("//dev/./dri/"), Some(DevicePath::Dri));
        assert_eq!(DevicePath::of("/dev/dri/renderD128"), Some(DevicePath::Dri));
        assert_eq!(DevicePath::of("/dev/kfd"), Some(DevicePath::Kfd));
        assert_eq!(DevicePath::of("/dev/"), Some(DevicePath::AllDevices));
        assert_eq!(DevicePath::of("/dev/drive"), None);
        assert_eq!(DevicePath::of("/dev/shm"), None);
        assert_eq!(DevicePath::of("/devices"), None);
    }
}

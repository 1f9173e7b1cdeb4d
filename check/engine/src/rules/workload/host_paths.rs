//! Host paths a pod mounts from its node: container runtime sockets (and the directories that
//! hold them), the node's root file system, and node directories that hold credentials or
//! code the node runs as root.
//!
//! What counts is what a container can reach: each hostPath volume is judged per path it is
//! actually mounted at (a `subPath` narrows it; an unmounted volume exposes nothing), and it is
//! read-only only where every container that mounts it sets `readOnly: true`. Paths are
//! compared after lexical normalisation (`//`, `.`, `..`, trailing slashes), with `/var/run`
//! read as `/run`, which it is a symlink to on every current distribution.

use tailor_kube::k8s_openapi::api::core::v1::VolumeMount;
use tailor_kube::{containers, ContainerView, FieldPath, PodTemplate};

use super::Hits;
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::text::plain_list;
use crate::rules::Rule;

pub(super) const RUNTIME_SOCKET: Rule = Rule {
    id: "TLR-runtime-socket",
    title: "Container runtime socket mounted from the host",
    severity: Severity::Critical,
    rationale: "The container runtime's API socket (docker, containerd, cri-o, podman, cri-dockerd) controls every container on the node: whoever can connect to it starts a privileged container with the host's root file system, runs commands in any other container and reads their environments. A read-only mount does not help: connecting to a socket is not a write to the file system. Mounting a directory that holds the socket (/run, /var/run, /run/containerd) exposes it just the same.",
    remediation: "Remove the hostPath volume. Agents that need container metadata should read it from the Kubernetes API or the kubelet; if a socket is truly required, run the agent on dedicated nodes, in its own namespace, with an exemption that states why.",
    attack: &[ESCAPE_TO_HOST, DEPLOY_CONTAINER, CONTAINER_ADMINISTRATION_COMMAND, CONTAINER_API],
    ms_threat_matrix: Some(WRITABLE_HOSTPATH_MOUNT),
};

pub(super) const HOST_ROOT: Rule = Rule {
    id: "TLR-host-root-mount",
    title: "Node root file system mounted",
    severity: Severity::Critical,
    rationale: "The node's root file system holds the kubelet's credentials, every pod's Secrets and service account tokens, the container runtime sockets and every binary the node runs as root. Writable, it is root on the node; read-only, every credential is still readable, a root process can still connect to the runtime sockets and write to device nodes, and without recursiveReadOnly the file systems mounted below / stay writable.",
    remediation: "Mount only the host paths the workload needs, read-only and with recursiveReadOnly: Enabled. A node agent that must see the whole host belongs in a dedicated namespace with an exemption that states why.",
    attack: &[ESCAPE_TO_HOST, CREDENTIALS_IN_FILES],
    ms_threat_matrix: Some(WRITABLE_HOSTPATH_MOUNT),
};

pub(super) const SENSITIVE_WRITABLE: Rule = Rule {
    id: "TLR-sensitive-host-path-writable",
    title: "Sensitive host path mounted writable",
    severity: Severity::High,
    rationale: "Writing to node directories such as /etc, /proc, /var/lib/kubelet, /lib/modules, /opt/cni/bin or /var/log lets a pod plant code the node runs as root (cron jobs, systemd units, kernel modules, CNI plugins, static pods, core_pattern) or read any host file through symlinks the kubelet follows when it serves logs.",
    remediation: "Set readOnly: true (and recursiveReadOnly: Enabled) on every volumeMount of the volume, narrow the hostPath to the file the workload needs, or use a volume type that does not touch the node.",
    attack: &[ESCAPE_TO_HOST],
    ms_threat_matrix: Some(WRITABLE_HOSTPATH_MOUNT),
};

pub(super) const SENSITIVE_READ_ONLY: Rule = Rule {
    id: "TLR-sensitive-host-path-read-only",
    title: "Sensitive host path mounted read-only",
    severity: Severity::Medium,
    rationale: "Some node directories expose credentials even read-only (the kubelet's certificate, every pod's Secrets, etcd's data, SSH keys, logs), and some are not really read-only: device nodes under /dev and the host file systems reached through /proc/<pid>/root ignore the mount's read-only flag.",
    remediation: "Narrow the mount to the files the workload needs, or get the information from the Kubernetes API; set recursiveReadOnly: Enabled so that file systems mounted below the path are read-only too.",
    attack: &[CREDENTIALS_IN_FILES, ESCAPE_TO_HOST],
    ms_threat_matrix: None,
};

/// Where container runtimes put their API sockets (after `/var/run` → `/run`).
const SOCKET_LOCATIONS: &[(&str, &str)] = &[
    ("/run/docker.sock", "docker"),
    ("/run/cri-dockerd.sock", "cri-dockerd"),
    ("/run/containerd/containerd.sock", "containerd"),
    ("/run/crio/crio.sock", "cri-o"),
    ("/run/k3s/containerd/containerd.sock", "k3s containerd"),
    ("/run/podman/podman.sock", "podman"),
    ("/var/snap/microk8s/common/run/containerd.sock", "MicroK8s containerd"),
];

/// Socket file names, wherever they are (e.g. `/run/host-containerd/containerd.sock`,
/// `/run/user/1000/podman/podman.sock`).
const SOCKET_FILES: &[(&str, &str)] = &[
    ("docker.sock", "docker"),
    ("dockershim.sock", "dockershim"),
    ("cri-dockerd.sock", "cri-dockerd"),
    ("containerd.sock", "containerd"),
    ("crio.sock", "cri-o"),
    ("podman.sock", "podman"),
];

/// Windows named pipes of container runtimes (lower case, `\` separators).
const SOCKET_PIPES: &[(&str, &str)] = &[
    (r"\\.\pipe\docker_engine", "docker"),
    (r"\\.\pipe\containerd-containerd", "containerd"),
];

/// A node directory worth protecting: what it holds, what writing to it gains, and what it
/// still exposes read-only (`None` where reading it is harmless).
struct SensitivePath {
    path: &'static str,
    holds: &'static str,
    if_writable: &'static str,
    if_read_only: Option<&'static str>,
}

const fn sensitive(
    path: &'static str,
    holds: &'static str,
    if_writable: &'static str,
    if_read_only: Option<&'static str>,
) -> SensitivePath {
    SensitivePath {
        path,
        holds,
        if_writable,
        if_read_only,
    }
}

/// What a privileged container has anyway: the runtime gives it every host device, so a
/// hostPath of /dev adds nothing that `PSS-privileged` does not already report.
const GRANTED_BY_PRIVILEGED: &[&str] = &["/dev"];

/// A mount of a path counts when it is the path or one of its ancestors (which contains it);
/// deeper paths (`/etc/localtime`, `/var/lib/kubelet/device-plugins`) are listed where they
/// matter on their own.
const SENSITIVE_PATHS: &[SensitivePath] = &[
    sensitive("/proc", "every host process",
        "kernel settings under /proc/sys (kernel.core_pattern runs a program as root on the node) and every process's file system through /proc/<pid>/root can be written",
        Some("/proc/<pid>/root leads into each host process's file system, where the read-only flag does not apply, and process command lines and environments can be read")),
    sensitive("/proc/sys", "kernel settings",
        "kernel.core_pattern and similar settings run programs as root on the node", None),
    sensitive("/sys", "the node's kernel, device and cgroup settings",
        "changing them reconfigures the node (cgroup v1's release_agent runs a program as root on it)", None),
    sensitive("/sys/fs/cgroup", "the node's cgroups",
        "cgroup v1's release_agent runs a program as root on the node, and every container's limits can be changed", None),
    sensitive("/sys/kernel", "kernel debug, tracing and security interfaces",
        "kprobes and debugfs reach kernel memory and every process", None),
    sensitive("/dev", "the node's devices (disks, memory, GPUs)",
        "raw disks and memory of the node can be written wherever the device cgroup allows it",
        Some("device nodes stay writable through a read-only mount; only the device cgroup protects them")),
    sensitive("/etc", "the node's configuration and credentials (/etc/kubernetes, /etc/shadow, cron, systemd units)",
        "a cron job, systemd unit or static pod manifest written there runs as root on the node",
        Some("the kubeconfigs in /etc/kubernetes and the password hashes in /etc/shadow can be read")),
    sensitive("/etc/kubernetes", "the node's kubeconfigs, static pod manifests and, on control-plane nodes, the cluster CA keys",
        "a static pod manifest written there runs any pod, privileged, on the node",
        Some("the kubelet's kubeconfig and, on control-plane nodes, the CA keys (which sign any identity) can be read")),
    sensitive("/etc/cni/net.d", "the CNI configuration",
        "it chooses the CNI plugins the runtime runs as root for every new pod", None),
    sensitive("/opt/cni/bin", "the CNI plugins",
        "a planted plugin runs as root for every new pod on the node", None),
    sensitive("/boot", "the kernel and boot loader",
        "a modified kernel or boot configuration runs at the next boot", None),
    sensitive("/lib/modules", "kernel modules",
        "a planted module runs in the kernel when it is loaded", None),
    sensitive("/usr/lib/modules", "kernel modules",
        "a planted module runs in the kernel when it is loaded", None),
    sensitive("/usr", "the node's programs and libraries",
        "a replaced program or library runs as root on the node", None),
    sensitive("/usr/libexec/kubernetes/kubelet-plugins", "FlexVolume drivers",
        "a planted driver is run as root by the kubelet", None),
    sensitive("/bin", "the node's programs", "a replaced program runs as root on the node", None),
    sensitive("/sbin", "the node's system programs", "a replaced program runs as root on the node", None),
    sensitive("/lib", "the node's libraries", "a replaced library runs as root on the node", None),
    sensitive("/lib64", "the node's libraries", "a replaced library runs as root on the node", None),
    sensitive("/root", "root's SSH keys, kubeconfigs and shell history",
        "authorized_keys and shell profiles give root logins on the node",
        Some("root's SSH keys and kubeconfigs can be read")),
    sensitive("/home", "users' SSH keys, kubeconfigs and shell history",
        "authorized_keys and shell profiles give logins on the node",
        Some("users' SSH keys and kubeconfigs can be read")),
    sensitive("/var/lib/kubelet", "the kubelet's credentials and every pod's volumes, Secrets and service account tokens",
        "other pods' volumes and the kubelet's plugin sockets can be tampered with",
        Some("the kubelet's client certificate and every pod's Secrets and service account tokens on the node can be read")),
    sensitive("/var/lib/kubelet/pki", "the kubelet's certificates and keys",
        "the kubelet's identity can be replaced",
        Some("the kubelet's client certificate and key (the node's credentials) can be read")),
    sensitive("/var/lib/kubelet/pods", "every pod's volumes, Secrets and service account tokens on the node",
        "other pods' volumes can be tampered with",
        Some("every pod's Secrets and service account tokens on the node can be read")),
    sensitive("/var/lib/etcd", "etcd's data: every object and Secret of the cluster",
        "any object of the cluster, RBAC included, can be rewritten",
        Some("every Secret of the cluster can be read")),
    sensitive("/var/log", "the node's and every pod's logs",
        "symlinks planted under /var/log make the kubelet read any host file when it serves logs",
        Some("every pod's logs, which often carry tokens and personal data, can be read")),
    sensitive("/var/lib/docker", "every container's file system and image layers",
        "other containers and cached images can be altered",
        Some("every container's files can be read")),
    sensitive("/var/lib/containerd", "every container's file system and image layers",
        "other containers and cached images can be altered",
        Some("every container's files can be read")),
];

pub(super) fn check(pod: &PodTemplate, hits: &mut Hits) {
    let volumes = pod.spec.volumes.as_deref().unwrap_or_default();
    let all: Vec<ContainerView> = containers(&pod.spec).collect();
    for (index, volume) in volumes.iter().enumerate() {
        let Some(host_path) = &volume.host_path else {
            continue;
        };
        let field = FieldPath::keys("spec.volumes").index(index).key("hostPath").key("path");
        for exposure in exposures(&volume.name, &host_path.path, &all) {
            report(&exposure, &volume.name, &field, hits);
        }
    }
}

/// One container's mount of a hostPath volume.
struct Mount<'a> {
    container: &'a ContainerView<'a>,
    mount: &'a VolumeMount,
}

impl Mount<'_> {
    fn read_only(&self) -> bool {
        self.mount.read_only == Some(true)
    }

    /// Whether file systems mounted below the path are read-only too.
    fn recursive(&self) -> bool {
        matches!(
            self.mount.recursive_read_only.as_deref(),
            Some("Enabled" | "IfPossible")
        )
    }
}

/// A host path as containers reach it: the volume's path, or a subPath of it.
struct Exposure<'a> {
    /// Normalised for matching (or a Windows pipe name as written).
    path: String,
    /// As written, cleaned of `//`, `.` and `..`, for messages.
    shown: String,
    /// The volume's path, when a subPath narrows it.
    volume_path: Option<String>,
    mounts: Vec<Mount<'a>>,
}

/// The host paths a hostPath volume exposes, with the mounts that reach each.
fn exposures<'a>(volume: &str, host_path: &str, all: &'a [ContainerView<'a>]) -> Vec<Exposure<'a>> {
    let mut exposures: Vec<Exposure> = Vec::new();
    for container in all {
        for mount in container.volume_mounts().iter().filter(|m| m.name == volume) {
            // A subPathExpr depends on the pod's environment: the whole volume is assumed.
            let sub_path = mount
                .sub_path
                .as_deref()
                .filter(|s| !s.is_empty() && mount.sub_path_expr.is_none());
            let (shown, volume_path) = match sub_path {
                _ if is_windows_path(host_path) => (host_path.to_owned(), None),
                Some(sub_path) => (clean(&format!("{host_path}/{sub_path}")), Some(clean(host_path))),
                None => (clean(host_path), None),
            };
            let path = if is_windows_path(&shown) {
                shown.clone()
            } else {
                normalise(&shown)
            };
            let mount = Mount { container, mount };
            match exposures.iter_mut().find(|e| e.path == path) {
                Some(exposure) => exposure.mounts.push(mount),
                None => exposures.push(Exposure {
                    path,
                    shown,
                    volume_path,
                    mounts: vec![mount],
                }),
            }
        }
    }
    exposures
}

fn report(exposure: &Exposure, volume: &str, field: &FieldPath, hits: &mut Hits) {
    let path = exposure.path.as_str();
    let writable: Vec<&Mount> = exposure.mounts.iter().filter(|m| !m.read_only()).collect();
    let is_writable = !writable.is_empty();
    let container = if is_writable {
        single_container(writable.iter().copied())
    } else {
        single_container(exposure.mounts.iter())
    };
    let mode = if is_writable { "writable" } else { "read-only" };
    let sub_path = match &exposure.volume_path {
        Some(volume_path) => format!(" (a subPath of {volume_path})"),
        None => String::new(),
    };
    // `mounts <what><path> <mode>, in container "a" at /x`
    let mounted = |what: &str| {
        format!(
            "hostPath volume {volume:?} mounts {what}{}{sub_path} {mode}, {}",
            exposure.shown,
            mounts_phrase(&exposure.mounts)
        )
    };
    // Read-only bind mounts leave the file systems mounted below them writable.
    let not_recursive = if !is_writable && exposure.mounts.iter().any(|m| !m.recursive()) {
        "; without recursiveReadOnly: Enabled the file systems mounted below it stay writable"
    } else {
        ""
    };

    if path == "/" {
        let head = mounted("the node's root file system ");
        let message = if is_writable {
            format!("{head}: every file of the node, the kubelet's credentials, every pod's Secrets and the container runtime sockets; writing anywhere (cron, systemd units, /etc/kubernetes/manifests) runs code as root on the node")
        } else {
            format!("{head}: every file of the node can be read (the kubelet's credentials, every pod's Secrets), and the read-only flag stops neither a root process connecting to the container runtime sockets under /run nor writing to device nodes{not_recursive}")
        };
        hits.add(&HOST_ROOT, field.clone(), container, message);
        return;
    }

    let runtimes = runtime_sockets(path);
    if !runtimes.is_empty() {
        let read_only_note = if is_writable {
            ""
        } else {
            "; the read-only flag does not stop anyone connecting to a socket"
        };
        let message = if runtimes.len() == 1 && is_socket_file(path) {
            format!(
                "{}: whoever connects to it starts privileged containers and runs commands in any container on the node{read_only_note}",
                mounted(&format!("the {} socket ", runtimes[0]))
            )
        } else {
            format!(
                "{}; it holds the sockets of {}: whoever connects to one starts privileged containers and runs commands in any container on the node{read_only_note}",
                mounted(""),
                plain_list(&runtimes)
            )
        };
        hits.add(&RUNTIME_SOCKET, field.clone(), container, message);
    }

    let only_privileged = exposure.mounts.iter().all(|m| m.container.is_privileged());
    let matches: Vec<&SensitivePath> = sensitive_paths(path)
        .into_iter()
        .filter(|s| !(only_privileged && GRANTED_BY_PRIVILEGED.contains(&s.path)))
        .collect();
    let (rule, parts): (&'static Rule, Vec<String>) = if is_writable {
        let parts = matches
            .iter()
            .map(|s| describe(s, path, Some(s.holds), s.if_writable))
            .collect();
        (&SENSITIVE_WRITABLE, parts)
    } else {
        let parts = matches
            .iter()
            .filter_map(|s| s.if_read_only.map(|exposed| describe(s, path, None, exposed)))
            .collect();
        (&SENSITIVE_READ_ONLY, parts)
    };
    if !parts.is_empty() {
        let tail = if is_writable { "" } else { not_recursive };
        let joiner = if matches.len() == 1 && matches[0].path == path {
            ": "
        } else {
            "; it contains "
        };
        hits.add(
            rule,
            field.clone(),
            container,
            format!("{}{joiner}{}{tail}", mounted(""), parts.join("; ")),
        );
    }
}

/// `holds; consequence` for the path itself, `path (holds; consequence)` for what an ancestor
/// contains (without `holds` where the consequence says it all).
fn describe(sensitive: &SensitivePath, mounted: &str, holds: Option<&str>, consequence: &str) -> String {
    let text = match holds {
        Some(holds) => format!("{holds}; {consequence}"),
        None => consequence.to_owned(),
    };
    if sensitive.path == mounted {
        text
    } else {
        format!("{} ({text})", sensitive.path)
    }
}

/// `in container "a" at /host`, `in containers "a" and "b" at /var/log`, `in init container
/// "i" at /x and container "c" at /x (read-only)`: mounts at the same place are grouped, and
/// read-only ones marked where modes differ.
fn mounts_phrase(mounts: &[Mount]) -> String {
    let mixed = mounts.iter().any(|m| m.read_only()) && mounts.iter().any(|m| !m.read_only());
    let mut groups: Vec<(&str, bool, Vec<&ContainerView>)> = Vec::new();
    for m in mounts {
        let place = (m.mount.mount_path.as_str(), m.read_only());
        match groups
            .iter_mut()
            .find(|(path, read_only, _)| (*path, *read_only) == place)
        {
            Some((_, _, views)) => views.push(m.container),
            None => groups.push((place.0, place.1, vec![m.container])),
        }
    }
    let parts: Vec<String> = groups
        .iter()
        .map(|(path, read_only, views)| {
            let read_only = if mixed && *read_only { " (read-only)" } else { "" };
            format!("{} at {path}{read_only}", containers_phrase(views))
        })
        .collect();
    format!("in {}", plain_list(&parts))
}

/// `container "a"`, `containers "a" and "b"`, `init container "i" and container "c"`.
fn containers_phrase(views: &[&ContainerView]) -> String {
    match views {
        [one] => one.to_string(),
        [first, ..] if views.iter().all(|v| v.list == first.list) => {
            let names: Vec<String> = views.iter().map(|v| format!("{:?}", v.name())).collect();
            format!("{}s {}", first.list.noun(), plain_list(&names))
        }
        _ => plain_list(&views.iter().map(|v| v.to_string()).collect::<Vec<_>>()),
    }
}

/// The container concerned, when only one is.
fn single_container<'a>(mut mounts: impl Iterator<Item = &'a Mount<'a>>) -> Option<&'a str> {
    let first = mounts.next()?.container.name();
    mounts.all(|m| m.container.name() == first).then_some(first)
}

fn is_windows_path(path: &str) -> bool {
    path.contains('\\')
}

/// A host path with `//`, `.`, `..` and trailing slashes resolved, absolute. The API server
/// rejects `..` in hostPath paths; resolving it anyway keeps the check sound for objects that
/// never went through validation.
fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// A cleaned host path with `/var/run` read as `/run`, for matching.
fn normalise(path: &str) -> String {
    let cleaned = clean(path);
    match cleaned.strip_prefix("/var/run") {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("/run{rest}"),
        _ => cleaned,
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn is_socket_file(path: &str) -> bool {
    SOCKET_FILES.iter().any(|(file, _)| file_name(path) == *file)
        || SOCKET_PIPES.iter().any(|(pipe, _)| path.eq_ignore_ascii_case(pipe))
}

/// The runtimes whose socket `path` (normalised, not `/`) is, or holds.
fn runtime_sockets(path: &str) -> Vec<String> {
    if is_windows_path(path) {
        let pipe = path.replace('/', "\\").to_ascii_lowercase();
        return SOCKET_PIPES
            .iter()
            .filter(|(p, _)| pipe == *p)
            .map(|(_, runtime)| (*runtime).to_owned())
            .collect();
    }
    if let Some((_, runtime)) = SOCKET_LOCATIONS.iter().find(|(location, _)| *location == path) {
        return vec![(*runtime).to_owned()];
    }
    if let Some((_, runtime)) = SOCKET_FILES.iter().find(|(file, _)| file_name(path) == *file) {
        return vec![(*runtime).to_owned()];
    }
    let mut runtimes: Vec<String> = Vec::new();
    for (location, runtime) in SOCKET_LOCATIONS {
        if is_ancestor(path, location) && !runtimes.iter().any(|r| r == runtime) {
            runtimes.push((*runtime).to_owned());
        }
    }
    runtimes
}

/// The sensitive paths `path` is or contains, without those another match already contains.
fn sensitive_paths(path: &str) -> Vec<&'static SensitivePath> {
    if is_windows_path(path) {
        return Vec::new();
    }
    let matches: Vec<&SensitivePath> = SENSITIVE_PATHS
        .iter()
        .filter(|s| s.path == path || is_ancestor(path, s.path))
        .collect();
    matches
        .iter()
        .copied()
        .filter(|s| !matches.iter().any(|other| is_ancestor(other.path, s.path)))
        .collect()
}

/// Whether `ancestor` strictly contains `path` (both normalised).
fn is_ancestor(ancestor: &str, path: &str) -> bool {
    ancestor == "/" && path != "/"
        || path.len() > ancestor.len() && path.starts_with(ancestor) && path.as_bytes()[ancestor.len()] == b'/'
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use crate::Finding;
    use serde_json::{json, Value};

    fn pod(volumes: Value, mounts: Value) -> Value {
        json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
            "spec":{"containers":[{"name":"agent","image":"x","volumeMounts":mounts}],"volumes":volumes}})
    }

    fn host_path_findings(object: Value) -> Vec<Finding> {
        testing::findings(&[object])
            .into_iter()
            .filter(|f| {
                [
                    RUNTIME_SOCKET.id,
                    HOST_ROOT.id,
                    SENSITIVE_WRITABLE.id,
                    SENSITIVE_READ_ONLY.id,
                ]
                .contains(&f.rule)
            })
            .collect()
    }

    fn rules(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn normalises_paths_lexically() {
        assert_eq!(normalise("/"), "/");
        assert_eq!(normalise("//"), "/");
        assert_eq!(normalise("/etc/"), "/etc");
        assert_eq!(normalise("/var//lib/./kubelet/"), "/var/lib/kubelet");
        assert_eq!(normalise("/var/lib/../../etc"), "/etc");
        assert_eq!(normalise("/../.."), "/");
        assert_eq!(normalise("/var/run/docker.sock"), "/run/docker.sock");
        assert_eq!(normalise("/var/run"), "/run");
        assert_eq!(normalise("/var/runtime"), "/var/runtime");
        assert_eq!(normalise("/var/run/.."), "/var");
        // Messages show the path as written, only cleaned.
        assert_eq!(clean("/var/run//docker.sock/"), "/var/run/docker.sock");
    }

    #[test]
    fn recognises_sockets_by_location_name_and_parent_directory() {
        assert_eq!(runtime_sockets("/run/docker.sock"), ["docker"]);
        assert_eq!(
            runtime_sockets("/run/k3s/containerd/containerd.sock"),
            ["k3s containerd"]
        );
        assert_eq!(runtime_sockets("/run/host-containerd/containerd.sock"), ["containerd"]);
        assert_eq!(
            runtime_sockets("/var/snap/microk8s/common/run/containerd.sock"),
            ["MicroK8s containerd"]
        );
        assert_eq!(runtime_sockets("/run/containerd"), ["containerd"]);
        assert_eq!(runtime_sockets("/run/k3s"), ["k3s containerd"]);
        assert_eq!(
            runtime_sockets("/run"),
            [
                "docker",
                "cri-dockerd",
                "containerd",
                "cri-o",
                "k3s containerd",
                "podman"
            ]
        );
        assert_eq!(runtime_sockets("/run/dockershim.sock"), ["dockershim"]);
        assert_eq!(runtime_sockets(r"\\.\pipe\docker_engine"), ["docker"]);
        assert!(runtime_sockets("/run/nvidia").is_empty());
        assert!(runtime_sockets("/run/containerd-shim").is_empty());
        assert!(runtime_sockets("/var/lib/docker").is_empty());
    }

    #[test]
    fn socket_mounts_are_critical_even_read_only() {
        let findings = host_path_findings(pod(
            json!([{"name":"sock","hostPath":{"path":"/var/run/docker.sock/"}}]),
            json!([{"name":"sock","mountPath":"/var/run/docker.sock","readOnly":true}]),
        ));
        assert_eq!(rules(&findings), ["TLR-runtime-socket"]);
        let f = &findings[0];
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.field, "spec.volumes[0].hostPath.path");
        assert_eq!(f.container.as_deref(), Some("agent"));
        assert!(f.message.contains("mounts the docker socket /var/run/docker.sock read-only, in container \"agent\" at /var/run/docker.sock:"), "{}", f.message);
        assert!(f.message.contains("does not stop anyone connecting"), "{}", f.message);
    }

    #[test]
    fn windows_named_pipes_are_runtime_sockets() {
        let findings = host_path_findings(pod(
            json!([{"name":"pipe","hostPath":{"path":"\\\\.\\pipe\\docker_engine"}}]),
            json!([{"name":"pipe","mountPath":"\\\\.\\pipe\\docker_engine"}]),
        ));
        assert_eq!(rules(&findings), ["TLR-runtime-socket"]);
        assert!(
            findings[0]
                .message
                .contains(r"mounts the docker socket \\.\pipe\docker_engine writable"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn a_parent_directory_exposes_the_sockets_it_holds() {
        let findings = host_path_findings(pod(
            json!([{"name":"run","hostPath":{"path":"/var/run"}}]),
            json!([{"name":"run","mountPath":"/host/run"}]),
        ));
        assert_eq!(rules(&findings), ["TLR-runtime-socket"]);
        assert!(
            findings[0].message.contains(
                "mounts /var/run writable, in container \"agent\" at /host/run; it holds the sockets of docker"
            ),
            "{}",
            findings[0].message
        );
        assert!(findings[0].message.contains("cri-o"), "{}", findings[0].message);
    }

    #[test]
    fn a_sub_path_narrows_what_is_exposed() {
        // The volume is /var/run, but the container only reaches the docker socket.
        let findings = host_path_findings(pod(
            json!([{"name":"run","hostPath":{"path":"/var/run"}}]),
            json!([{"name":"run","mountPath":"/docker.sock","subPath":"docker.sock"}]),
        ));
        assert_eq!(rules(&findings), ["TLR-runtime-socket"]);
        assert!(
            findings[0]
                .message
                .contains("mounts the docker socket /var/run/docker.sock (a subPath of /var/run) writable"),
            "{}",
            findings[0].message
        );
        // …and / narrowed to a time zone file is harmless.
        let findings = host_path_findings(pod(
            json!([{"name":"root","hostPath":{"path":"/"}}]),
            json!([{"name":"root","mountPath":"/etc/localtime","subPath":"etc/localtime","readOnly":true}]),
        ));
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn unmounted_volumes_expose_nothing() {
        let findings = host_path_findings(pod(json!([{"name":"root","hostPath":{"path":"/"}}]), json!([])));
        assert!(findings.is_empty(), "{findings:?}");
    }

    #[test]
    fn host_root_is_critical_and_says_whether_it_is_read_only() {
        let writable = host_path_findings(pod(
            json!([{"name":"root","hostPath":{"path":"//"}}]),
            json!([{"name":"root","mountPath":"/host"}]),
        ));
        assert_eq!(rules(&writable), ["TLR-host-root-mount"]);
        assert!(
            writable[0]
                .message
                .contains("mounts the node's root file system / writable"),
            "{}",
            writable[0].message
        );

        let read_only = host_path_findings(pod(
            json!([{"name":"root","hostPath":{"path":"/"}}]),
            json!([{"name":"root","mountPath":"/host","readOnly":true}]),
        ));
        assert_eq!(rules(&read_only), ["TLR-host-root-mount"]);
        assert!(
            read_only[0]
                .message
                .contains("mounts the node's root file system / read-only, in container \"agent\" at /host:"),
            "{}",
            read_only[0].message
        );
        assert!(
            read_only[0].message.contains("without recursiveReadOnly"),
            "{}",
            read_only[0].message
        );

        let recursive = host_path_findings(pod(
            json!([{"name":"root","hostPath":{"path":"/"}}]),
            json!([{"name":"root","mountPath":"/host","readOnly":true,"recursiveReadOnly":"Enabled"}]),
        ));
        assert!(
            !recursive[0].message.contains("without recursiveReadOnly"),
            "{}",
            recursive[0].message
        );
    }

    #[test]
    fn read_only_only_when_every_mount_is() {
        let object = json!({"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"d"},"spec":{"template":{"spec":{
            "initContainers":[{"name":"loader","image":"x","volumeMounts":[{"name":"etc","mountPath":"/host/etc"}]}],
            "containers":[{"name":"agent","image":"x","volumeMounts":[{"name":"etc","mountPath":"/host/etc","readOnly":true}]}],
            "volumes":[{"name":"etc","hostPath":{"path":"/etc/"}}]}}}});
        let findings = host_path_findings(object);
        assert_eq!(rules(&findings), ["TLR-sensitive-host-path-writable"]);
        let f = &findings[0];
        assert_eq!(f.severity, Severity::High);
        assert_eq!(f.field, "spec.template.spec.volumes[0].hostPath.path");
        // The writable mount is the loader's.
        assert_eq!(f.container.as_deref(), Some("loader"));
        assert!(
            f.message
                .contains("init container \"loader\" at /host/etc and container \"agent\" at /host/etc (read-only)"),
            "{}",
            f.message
        );
        assert!(f.message.contains("runs as root on the node"), "{}", f.message);
    }

    #[test]
    fn read_only_sensitive_paths_say_what_is_still_exposed() {
        let findings = host_path_findings(pod(
            json!([{"name":"kubelet","hostPath":{"path":"/var/lib/kubelet"}},
                   {"name":"sys","hostPath":{"path":"/sys"}},
                   {"name":"dev","hostPath":{"path":"/dev"}}]),
            json!([{"name":"kubelet","mountPath":"/k","readOnly":true},
                   {"name":"sys","mountPath":"/s","readOnly":true},
                   {"name":"dev","mountPath":"/d","readOnly":true}]),
        ));
        // A read-only /sys exposes nothing worth a finding.
        assert_eq!(
            rules(&findings),
            ["TLR-sensitive-host-path-read-only", "TLR-sensitive-host-path-read-only"]
        );
        assert_eq!(findings[0].severity, Severity::Medium);
        assert!(
            findings[0]
                .message
                .contains("service account tokens on the node can be read"),
            "{}",
            findings[0].message
        );
        assert_eq!(findings[1].field, "spec.volumes[2].hostPath.path");
        assert!(
            findings[1].message.contains("device nodes stay writable"),
            "{}",
            findings[1].message
        );
    }

    #[test]
    fn ancestors_count_and_harmless_descendants_do_not() {
        let findings = host_path_findings(pod(
            json!([{"name":"var","hostPath":{"path":"/var"}},
                   {"name":"tz","hostPath":{"path":"/etc/localtime"}},
                   {"name":"plugins","hostPath":{"path":"/var/lib/kubelet/device-plugins"}},
                   {"name":"pki","hostPath":{"path":"/var/lib/kubelet/pki"}}]),
            json!([{"name":"var","mountPath":"/var-host"},
                   {"name":"tz","mountPath":"/etc/localtime"},
                   {"name":"plugins","mountPath":"/p"},
                   {"name":"pki","mountPath":"/pki","readOnly":true}]),
        ));
        assert_eq!(
            rules(&findings),
            [
                "TLR-runtime-socket",
                "TLR-sensitive-host-path-writable",
                "TLR-sensitive-host-path-read-only"
            ]
        );
        // /var holds MicroK8s' socket directory; the kubelet, etcd, logs and runtimes' state,
        // each named once (the kubelet's pki is inside /var/lib/kubelet).
        let var = &findings[1].message;
        assert!(var.contains("; it contains /var/lib/kubelet ("), "{var}");
        assert!(var.contains("/var/log ("), "{var}");
        assert!(!var.contains("/var/lib/kubelet/pki"), "{var}");
        assert!(
            findings[2].message.contains("the node's credentials"),
            "{}",
            findings[2].message
        );
    }

    #[test]
    fn a_volume_mounted_by_several_containers_names_none() {
        let object = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{
            "containers":[{"name":"a","image":"x","volumeMounts":[{"name":"logs","mountPath":"/l"}]},
                          {"name":"b","image":"x","volumeMounts":[{"name":"logs","mountPath":"/l"}]}],
            "volumes":[{"name":"logs","hostPath":{"path":"/var/log"}}]}});
        let findings = host_path_findings(object);
        assert_eq!(rules(&findings), ["TLR-sensitive-host-path-writable"]);
        assert_eq!(findings[0].container, None);
        assert!(
            findings[0]
                .message
                .contains("mounts /var/log writable, in containers \"a\" and \"b\" at /l: ")
                && findings[0].message.contains("symlinks planted"),
            "{}",
            findings[0].message
        );
    }

    #[test]
    fn privileged_containers_have_every_device_anyway() {
        let object = |privileged: bool| {
            json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{
                "containers":[{"name":"plugin","image":"x","securityContext":{"privileged":privileged},
                    "volumeMounts":[{"name":"dev","mountPath":"/dev"},{"name":"etc","mountPath":"/host/etc"}]}],
                "volumes":[{"name":"dev","hostPath":{"path":"/dev"}},{"name":"etc","hostPath":{"path":"/etc"}}]}})
        };
        let fields = |findings: Vec<Finding>| findings.into_iter().map(|f| f.field).collect::<Vec<_>>();
        // /dev is left to PSS-privileged; /etc is still the node's configuration.
        assert_eq!(
            fields(host_path_findings(object(true))),
            ["spec.volumes[1].hostPath.path"]
        );
        assert_eq!(
            fields(host_path_findings(object(false))),
            ["spec.volumes[0].hostPath.path", "spec.volumes[1].hostPath.path"]
        );
    }

    #[test]
    fn ordinary_host_paths_are_left_to_pod_security() {
        let findings = host_path_findings(pod(
            json!([{"name":"data","hostPath":{"path":"/mnt/disks/ssd0"}},
                   {"name":"nvidia","hostPath":{"path":"/run/nvidia"}}]),
            json!([{"name":"data","mountPath":"/data"},{"name":"nvidia","mountPath":"/run/nvidia"}]),
        ));
        assert!(findings.is_empty(), "{findings:?}");
    }
}

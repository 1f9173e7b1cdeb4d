//! The securityContext edits of one pod, made on the pod's JSON (`metadata` + `spec`) so that
//! everything else stays byte-for-byte what the user wrote.
//!
//! Two modes:
//! - [`Mode::Full`]: every setting of the restricted level and the hardening beyond it
//!   (read-only root file system with writable `emptyDir`s, dropped capabilities, no token);
//! - [`Mode::Compensating`]: for a workload that cannot reach the target anyway (host
//!   namespaces, host paths, privileged plumbing), only what cannot break a node agent:
//!   `privileged` removed where the workload provably does not need it, a seccomp profile,
//!   `allowPrivilegeEscalation: false` on unprivileged containers, no unused token.

use serde_json::{json, Map, Value};
use tailor_check::rules::gpu::{Classification, Role};
use tailor_kube::PodTemplate;

use crate::value::{array_entry, object_entry, set};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Full,
    Compensating,
}

/// What to do to one pod besides the securityContext settings every pod gets.
pub struct PodPlan<'a> {
    pub mode: Mode,
    pub classification: &'a Classification,
    /// The kubelet-relative `Localhost` profile recorded for a container, if any.
    pub localhost_profile: &'a dyn Fn(&str) -> Option<String>,
    /// Turn the service-account token off (the account needs no API access).
    pub drop_token: bool,
    /// Run as this (dedicated) service account instead of `default`.
    pub service_account: Option<&'a str>,
}

/// What was changed, and what a person should verify before rolling it out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Edits {
    pub changes: Vec<String>,
    pub verify: Vec<String>,
}

/// The memory-backed volume a GPU consumer gets at /dev/shm instead of the host's IPC namespace.
pub const SHM_VOLUME: &str = "tailor-dshm";

/// The volume that backs `/tmp` once the root file system is read-only.
pub const TMP_VOLUME: &str = "tailor-tmp";

/// Environment variables that name directories a program writes to: with a read-only root
/// file system they need a writable volume.
const WRITABLE_PATH_ENV: &[&str] = &[
    "HOME",
    "TMPDIR",
    "XDG_CACHE_HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "HF_HOME",
    "HUGGINGFACE_HUB_CACHE",
    "TRANSFORMERS_CACHE",
    "TORCH_HOME",
    "NUMBA_CACHE_DIR",
    "TRITON_CACHE_DIR",
    "MPLCONFIGDIR",
    "NIM_CACHE_PATH",
];

const CONTAINER_LISTS: [&str; 2] = ["initContainers", "containers"];

/// Whether `privileged` can go: GPU consumers get their GPUs from the device plugin, and the
/// providers whose vendors run them unprivileged (tailor-check's GPU classifier knows which).
pub fn may_drop_privileged(classification: &Classification, pod: &PodTemplate) -> bool {
    match classification.role {
        Role::Consumer => true,
        Role::Provider(component) => component.needs_privileged(classification.vendor, pod) == Some(false),
        Role::None => false,
    }
}

/// Hardens `pod_value` (the object holding the pod's `metadata` and `spec`) according to
/// `plan`; `pod` is the same pod, typed, as read before any edit.
pub fn harden(pod_value: &mut Value, pod: &PodTemplate, plan: &PodPlan) -> Edits {
    let mut edits = Edits::default();
    let Some(pod_map) = pod_value.as_object_mut() else {
        return edits;
    };
    let spec = object_entry(pod_map, "spec");
    let drop_privileged = may_drop_privileged(plan.classification, pod);
    // GPU consumers get GPUs from the device plugin: host namespaces and extra capabilities
    // are tutorial habits there, not needs (shared memory comes from a memory emptyDir).
    let consumer = plan.mode == Mode::Full && plan.classification.role == Role::Consumer;
    let shm_from_host = consumer && spec.get("hostIPC").and_then(Value::as_bool) == Some(true);
    if consumer {
        for key in ["hostNetwork", "hostIPC", "hostPID"] {
            if spec.get(key).and_then(Value::as_bool) == Some(true) {
                spec.remove(key);
                edits
                    .changes
                    .push(format!("pod: {key} removed (GPU consumer: it needs no host namespace)"));
            }
        }
        if spec.get("hostNetwork").is_none() && pod.spec.host_network == Some(true) {
            edits.verify.push(
                "it now runs on the pod network: clients reach it through a Service, and multi-node NCCL/RCCL \
                 traffic needs the pod network (or a secondary network)"
                    .to_owned(),
            );
        }
    }
    let mut shm_volume = false;
    // Notes made while `edits` is borrowed by a container's `note`.
    let mut edits_verify = Vec::new();
    let pod_user = spec
        .get("securityContext")
        .and_then(|sc| sc.get("runAsUser"))
        .and_then(Value::as_i64);
    let mut non_root_containers = Vec::new();
    let mut root_containers = Vec::new();
    let mut writable_paths: Vec<(String, String)> = Vec::new();

    for list in CONTAINER_LISTS {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for (index, container) in containers.iter_mut().enumerate() {
            let Some(container) = container.as_object_mut() else {
                continue;
            };
            let name = container.get("name").and_then(Value::as_str).unwrap_or("").to_owned();
            let low_ports = low_ports(container);
            let mounts = mount_paths(container);
            let env_paths = declared_writable_paths(container, &mounts);
            let context = object_entry(container, "securityContext");
            let mut note = |text: String| edits.changes.push(format!("container {name:?}: {text}"));

            let privileged = context.get("privileged").and_then(Value::as_bool) == Some(true);
            let privileged_after = if privileged && drop_privileged {
                context.remove("privileged");
                note(format!("privileged removed: {}", plan.classification.describe()));
                if let Role::Provider(component) = plan.classification.role {
                    edits_verify.push(format!(
                        "container {name:?} runs without privileged mode, as its vendor ships it; what it needs: {}",
                        component.needs(plan.classification.vendor)
                    ));
                }
                false
            } else {
                privileged
            };
            let mut adds = capability_adds(context);
            if consumer {
                let dropped = remove_adds(context, |c| c != "NET_BIND_SERVICE");
                if !dropped.is_empty() {
                    note(format!(
                        "capabilities {} no longer added (GPU consumer: the device plugin gives it its GPUs)",
                        dropped.join(", ")
                    ));
                    adds.retain(|c| c == "NET_BIND_SERVICE");
                }
            }
            if !privileged_after && !adds.iter().any(|c| c == "SYS_ADMIN") {
                // The API rejects allowPrivilegeEscalation: false next to privileged or
                // CAP_SYS_ADMIN.
                if set(context, "allowPrivilegeEscalation", Value::Bool(false)) {
                    note("allowPrivilegeEscalation: false".to_owned());
                }
            }
            if let Some(profile) = (plan.localhost_profile)(&name) {
                let localhost = json!({"type": "Localhost", "localhostProfile": profile});
                if set(context, "seccompProfile", localhost) {
                    note(format!(
                        "seccomp profile Localhost {profile} (recorded with tailor record)"
                    ));
                    edits.verify.push(format!(
                        "install the recorded profile on every node as /var/lib/kubelet/seccomp/{profile} \
                         (or through the Security Profiles Operator) before rolling out container {name:?}"
                    ));
                }
            } else if profile_type(context.get("seccompProfile")) == Some("Unconfined") {
                context.insert("seccompProfile".to_owned(), json!({"type": "RuntimeDefault"}));
                note("seccomp profile RuntimeDefault instead of Unconfined".to_owned());
            }
            if privileged_after {
                edits.verify.push(format!(
                    "container {name:?} stays privileged: containerd and CRI-O ignore its seccomp profile, so its \
                     host access is the exemption's to justify"
                ));
            }

            let user = context.get("runAsUser").and_then(Value::as_i64).or(pod_user);
            let refuses_non_root = context.get("runAsNonRoot").and_then(Value::as_bool) == Some(false);
            if user == Some(0) || refuses_non_root {
                root_containers.push(name.clone());
            } else {
                non_root_containers.push((list, index, name.clone(), user));
            }

            if plan.mode != Mode::Full {
                continue;
            }
            if shm_from_host && !covered(&mounts, "/dev/shm") {
                array_entry(container, "volumeMounts").push(json!({"name": SHM_VOLUME, "mountPath": "/dev/shm"}));
                note(format!(
                    "memory emptyDir {SHM_VOLUME} at /dev/shm instead of the host's IPC namespace"
                ));
                shm_volume = true;
            }
            let Some(context) = container.get_mut("securityContext").and_then(Value::as_object_mut) else {
                continue;
            };
            let capabilities = object_entry(context, "capabilities");
            let drop = array_entry(capabilities, "drop");
            if !drop.iter().any(|c| c.as_str() == Some("ALL")) {
                *drop = vec![json!("ALL")];
                note("capabilities: drop ALL".to_owned());
            }
            if !low_ports.is_empty() && !adds.iter().any(|c| c == "NET_BIND_SERVICE") {
                array_entry(capabilities, "add").push(json!("NET_BIND_SERVICE"));
                note(format!(
                    "capabilities: add NET_BIND_SERVICE (it listens on port {})",
                    low_ports[0]
                ));
            }
            let unjustified: Vec<&String> = adds.iter().filter(|c| *c != "NET_BIND_SERVICE").collect();
            if !unjustified.is_empty() {
                edits.verify.push(format!(
                    "container {name:?} adds {}: kept, as the manifest asks for it; restricted allows only \
                     NET_BIND_SERVICE",
                    join(&unjustified)
                ));
            }
            if context.get("readOnlyRootFilesystem").and_then(Value::as_bool) != Some(false)
                && set(context, "readOnlyRootFilesystem", Value::Bool(true))
            {
                note("readOnlyRootFilesystem: true".to_owned());
                let mut writable = Vec::new();
                if !covered(&mounts, "/tmp") {
                    writable.push((TMP_VOLUME.to_owned(), "/tmp".to_owned()));
                }
                writable.extend(env_paths);
                for (volume, path) in writable {
                    array_entry(container, "volumeMounts").push(json!({"name": volume, "mountPath": path}));
                    edits
                        .changes
                        .push(format!("container {name:?}: writable emptyDir {volume} at {path}"));
                    if !writable_paths.iter().any(|(v, _)| *v == volume) {
                        writable_paths.push((volume, path));
                    }
                }
                edits.verify.push(format!(
                    "container {name:?} now has a read-only root file system: check that it writes only to /tmp, its \
                     volumes and the paths its environment names"
                ));
            }
        }
    }

    edits.verify.append(&mut edits_verify);
    if shm_volume {
        array_entry(spec, "volumes").push(json!({"name": SHM_VOLUME, "emptyDir": {"medium": "Memory"}}));
        edits.verify.push(format!(
            "size the shared memory ({SHM_VOLUME}: emptyDir medium Memory, counted against the memory limit) \
             for the model's inter-process traffic; set sizeLimit if needed"
        ));
    }
    if !writable_paths.is_empty() {
        let volumes = array_entry(spec, "volumes");
        for (volume, _) in &writable_paths {
            volumes.push(json!({"name": volume, "emptyDir": {}}));
        }
    }

    let pod_context = object_entry(spec, "securityContext");
    if profile_type(pod_context.get("seccompProfile")).is_none_or(|t| t == "Unconfined")
        && set(pod_context, "seccompProfile", json!({"type": "RuntimeDefault"}))
    {
        edits.changes.push("pod: seccomp profile RuntimeDefault".to_owned());
    }
    if plan.mode == Mode::Full {
        run_as_non_root(spec, &non_root_containers, &root_containers, &mut edits);
    }
    if plan.drop_token && set(spec, "automountServiceAccountToken", Value::Bool(false)) {
        edits
            .changes
            .push("pod: automountServiceAccountToken: false (its service account has no API permissions)".to_owned());
    }
    if let Some(account) = plan.service_account {
        spec.insert("serviceAccountName".to_owned(), json!(account));
        spec.remove("serviceAccount");
        edits.changes.push(format!(
            "pod: runs as its own ServiceAccount {account} instead of default"
        ));
    }
    edits
}

/// `runAsNonRoot: true` at pod level when every container can take it, else on each container
/// that can. An explicit non-root `runAsUser` is kept; where the user is unknown, the image's
/// `USER` decides whether the kubelet starts the container, which only its owner can check.
fn run_as_non_root(
    spec: &mut Map<String, Value>,
    non_root: &[(&str, usize, String, Option<i64>)],
    root: &[String],
    edits: &mut Edits,
) {
    for (_, _, name, user) in non_root {
        if user.is_none() {
            edits.verify.push(format!(
                "container {name:?}: the image's user is unknown; check that it runs as a numeric non-root UID \
                 (e.g. `docker inspect -f '{{{{.Config.User}}}}' IMAGE`), or set runAsUser, or the kubelet will \
                 refuse to start it"
            ));
        }
    }
    for name in root {
        edits.verify.push(format!(
            "container {name:?} is declared to run as root (runAsUser: 0 or runAsNonRoot: false): kept"
        ));
    }
    if root.is_empty() {
        if set(object_entry(spec, "securityContext"), "runAsNonRoot", Value::Bool(true)) {
            edits.changes.push("pod: runAsNonRoot: true".to_owned());
        }
        return;
    }
    for (list, index, name, _) in non_root {
        let Some(container) = spec
            .get_mut(*list)
            .and_then(|l| l.get_mut(*index))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        if set(
            object_entry(container, "securityContext"),
            "runAsNonRoot",
            Value::Bool(true),
        ) {
            edits.changes.push(format!("container {name:?}: runAsNonRoot: true"));
        }
    }
}

fn profile_type(profile: Option<&Value>) -> Option<&str> {
    profile?.get("type")?.as_str()
}

fn capability_adds(context: &Map<String, Value>) -> Vec<String> {
    context
        .get("capabilities")
        .and_then(|c| c.get("add"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|c| c.trim_start_matches("CAP_").to_owned())
        .collect()
}

/// Removes the added capabilities `matches` selects; returns them.
fn remove_adds(context: &mut Map<String, Value>, matches: impl Fn(&str) -> bool) -> Vec<String> {
    let Some(capabilities) = context.get_mut("capabilities").and_then(Value::as_object_mut) else {
        return Vec::new();
    };
    let Some(add) = capabilities.get_mut("add").and_then(Value::as_array_mut) else {
        return Vec::new();
    };
    let mut removed = Vec::new();
    add.retain(|c| {
        let name = c.as_str().unwrap_or_default().trim_start_matches("CAP_");
        let keep = !matches(name);
        if !keep {
            removed.push(name.to_owned());
        }
        keep
    });
    if add.is_empty() && !removed.is_empty() {
        capabilities.remove("add");
    }
    removed
}

/// Container ports below 1024, which a non-root process binds only with NET_BIND_SERVICE.
fn low_ports(container: &Map<String, Value>) -> Vec<i64> {
    container
        .get("ports")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("containerPort").and_then(Value::as_i64))
        .filter(|&p| p > 0 && p < 1024)
        .collect()
}

fn mount_paths(container: &Map<String, Value>) -> Vec<String> {
    container
        .get("volumeMounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| m.get("mountPath").and_then(Value::as_str))
        .map(|p| p.trim_end_matches('/').to_owned())
        .collect()
}

/// Whether `path` is on one of the mounts (or is one).
fn covered(mounts: &[String], path: &str) -> bool {
    mounts
        .iter()
        .any(|m| path == m || m.is_empty() || path.strip_prefix(m.as_str()).is_some_and(|rest| rest.starts_with('/')))
}

/// Directories the environment names as writable (`HOME`, caches) that no volume covers,
/// each with the name of the emptyDir that will back it.
fn declared_writable_paths(container: &Map<String, Value>, mounts: &[String]) -> Vec<(String, String)> {
    let mut paths: Vec<String> = Vec::new();
    for env in container.get("env").and_then(Value::as_array).into_iter().flatten() {
        let (Some(name), Some(value)) = (
            env.get("name").and_then(Value::as_str),
            env.get("value").and_then(Value::as_str),
        ) else {
            continue;
        };
        let path = value.trim_end_matches('/');
        if WRITABLE_PATH_ENV.contains(&name)
            && path.starts_with('/')
            && path.len() > 1
            && !path.contains("$(")
            && !covered(mounts, path)
            && !covered(&paths, path)
            && path != "/tmp"
        {
            paths.push(path.to_owned());
        }
    }
    paths
        .into_iter()
        .map(|path| (writable_volume_name(&path), path))
        .collect()
}

/// `tailor-w-` and the path as a DNS label: `/opt/cache` → `tailor-w-opt-cache`.
fn writable_volume_name(path: &str) -> String {
    let mut name = String::from("tailor-w");
    for c in path.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    let mut name: String = name.chars().take(63).collect();
    while name.ends_with('-') {
        name.pop();
    }
    name
}

fn join(items: &[&String]) -> String {
    items.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names_are_dns_labels() {
        assert_eq!(writable_volume_name("/opt/Cache_dir/"), "tailor-w-opt-cache-dir");
        assert!(writable_volume_name(&"/a".repeat(80)).len() <= 63);
    }

    #[test]
    fn covered_by_mount_prefix_only_at_path_boundaries() {
        let mounts = vec!["/data".to_owned()];
        assert!(covered(&mounts, "/data/cache"));
        assert!(!covered(&mounts, "/database"));
    }
}

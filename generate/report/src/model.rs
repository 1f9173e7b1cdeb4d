//! `tailor model`: the security model of an application, the way a careful SECURITY.md
//! states it. For every component (pod-bearing object): the Pod Security level it meets, the
//! service account it runs as and what RBAC grants that account (bindings resolved, aggregated
//! ClusterRoles included), host namespaces, hostPath mounts with what each gives an attacker,
//! and per container privileged mode, capabilities, user, read-only root file system,
//! seccomp and AppArmor; its ports, the Services that expose it and the NetworkPolicies that
//! select it.
//!
//! Built from what `tailor check` already computed, so the model and the findings never
//! disagree: the check's [`Inventory`] (typed pods, RBAC, Services, NetworkPolicies), its
//! RBAC permission resolver and NetworkPolicy semantics, and the [`Report`] (Pod Security
//! levels, and the host-path findings, whose messages say what a path gives an attacker).

use std::fmt::Write as _;

use serde::Serialize;
use tailor_check::rules::network::policies::{Direction, Policy};
use tailor_check::rules::network::selectors::{self, Labels};
use tailor_check::rules::rbac::permissions::{EffectiveRule, Permissions, Subject};
use tailor_check::rules::rbac::workloads::service_account_name;
use tailor_check::{Inventory, Report};
use tailor_kube::k8s_openapi::api::core::v1::{PodSecurityContext, SecurityContext};
use tailor_kube::{containers, ContainerList, ContainerView, FieldPath, KubeObject, PodTemplate};

use crate::markdown::cell;
use crate::SourcePaths;

pub const SCHEMA: &str = "tailor.model/v1";

/// Rules whose findings say what a hostPath gives an attacker.
const HOST_PATH_RULES: &[&str] = &[
    "TLR-runtime-socket",
    "TLR-host-root-mount",
    "TLR-sensitive-host-path-writable",
    "TLR-sensitive-host-path-read-only",
];

#[derive(Debug, Serialize)]
pub struct SecurityModel {
    pub schema: &'static str,
    pub components: Vec<Component>,
}

/// One workload and every privilege it holds.
#[derive(Debug, Serialize)]
pub struct Component {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub file: String,
    pub line: u32,
    /// The strictest Pod Security level it meets, and what keeps it from the next one.
    pub pss_level: String,
    pub pss_blocking: Vec<String>,
    pub service_account: String,
    /// Whether the account's token is mounted into the pod.
    pub token_mounted: bool,
    pub rbac: Vec<RbacGrant>,
    pub host_namespaces: Vec<String>,
    pub host_paths: Vec<HostPathMount>,
    pub containers: Vec<ContainerPrivileges>,
    pub ports: Vec<String>,
    pub services: Vec<String>,
    pub network_policies: NetworkPolicies,
}

/// What one binding gives the component's account.
#[derive(Debug, Serialize)]
pub struct RbacGrant {
    /// e.g. `ClusterRoleBinding x → ClusterRole y`.
    pub via: String,
    /// `cluster-wide` or `in namespace N`.
    pub scope: String,
    /// Each rule as `verbs on resources`.
    pub rules: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct HostPathMount {
    pub volume: String,
    pub path: String,
    /// `container "c" at /mnt (read-only)`, one per mount.
    pub mounts: Vec<String>,
    /// Whether every mount is read-only.
    pub read_only: bool,
    /// What the path gives an attacker, where a rule knows it.
    pub gives: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ContainerPrivileges {
    /// `container "c"`, `init container "i"`.
    pub container: String,
    pub image: Option<String>,
    pub privileged: bool,
    pub allow_privilege_escalation: Option<bool>,
    pub capabilities_added: Vec<String>,
    pub capabilities_dropped: Vec<String>,
    /// The user it runs as, after pod-level inheritance.
    pub user: String,
    pub read_only_root_filesystem: bool,
    pub seccomp: String,
    pub apparmor: String,
}

#[derive(Debug, Default, Serialize)]
pub struct NetworkPolicies {
    pub ingress: Vec<String>,
    pub egress: Vec<String>,
}

/// The model of every workload of a checked input.
pub fn build(report: &Report, inventory: &Inventory, paths: &SourcePaths) -> SecurityModel {
    let permissions = Permissions::resolve(inventory);
    let components = inventory
        .entries
        .iter()
        .filter_map(|entry| Some((entry, entry.whole_pod()?)))
        .map(|(entry, pod)| {
            // The model reads volumes, ports and mounts: the whole pod, not the analyses' part.
            let pod = pod.as_ref();
            let object = &report.objects[entry.object_index];
            let namespace = entry.source.namespace.as_deref();
            let labels: Labels = pod.metadata.labels.clone().unwrap_or_default();
            let account = service_account_name(pod);
            let pss = object.pss.as_ref();
            Component {
                kind: object.kind.to_string(),
                namespace: object.namespace.as_deref().map(str::to_owned),
                name: object.name.as_deref().map(str::to_owned),
                file: paths.relative(&object.file),
                line: object.line,
                pss_level: pss.map(|p| p.level.as_str().to_owned()).unwrap_or_default(),
                pss_blocking: pss
                    .map(|p| {
                        p.blocking_baseline
                            .iter()
                            .chain(&p.blocking_restricted)
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default(),
                service_account: match namespace {
                    Some(ns) => format!("{ns}/{account}"),
                    None => account.to_owned(),
                },
                token_mounted: token_mounted(inventory, pod, namespace, account),
                rbac: rbac(&permissions, &Subject::service_account(namespace, account)),
                host_namespaces: host_namespaces(pod),
                host_paths: host_paths(report, entry.object_index, pod),
                containers: containers(&pod.spec).map(|c| container_privileges(pod, &c)).collect(),
                ports: ports(pod),
                services: services(inventory, namespace, &labels),
                network_policies: network_policies(inventory, namespace, &labels),
            }
        })
        .collect();
    SecurityModel {
        schema: SCHEMA,
        components,
    }
}

/// `automountServiceAccountToken` of the pod, else of its ServiceAccount when loaded, else
/// true (the API server's default).
fn token_mounted(inventory: &Inventory, pod: &PodTemplate, namespace: Option<&str>, account: &str) -> bool {
    if let Some(automount) = pod.spec.automount_service_account_token {
        return automount;
    }
    inventory
        .kube_objects()
        .find_map(|(entry, object)| match object {
            KubeObject::ServiceAccount(sa)
                if entry.source.name.as_deref() == Some(account) && entry.source.namespace.as_deref() == namespace =>
            {
                sa.automount_service_account_token
            }
            _ => None,
        })
        .unwrap_or(true)
}

fn rbac(permissions: &Permissions, subject: &Subject) -> Vec<RbacGrant> {
    let rules = permissions.effective_rules(subject);
    let mut grants: Vec<RbacGrant> = Vec::new();
    for grant in permissions.grants_to(subject) {
        let role = match grant.role {
            Some(id) => permissions.role(id).to_string(),
            None => format!(
                "{:?} {} (not among the inputs: unknown rules)",
                grant.role_kind, grant.role_name
            ),
        };
        let mut named = String::new();
        if !grant.subjects.iter().any(|(_, s)| s == subject) {
            // Granted to a group the account is in.
            let groups: Vec<String> = grant
                .subjects
                .iter()
                .filter(|(_, s)| subject.implicit_groups().contains(s))
                .map(|(_, s)| s.to_string())
                .collect();
            let _ = write!(named, " (to {})", groups.join(", "));
        }
        grants.push(RbacGrant {
            via: format!("{grant} → {role}{named}"),
            scope: grant.scope.to_string(),
            rules: rules
                .iter()
                .filter(|r| std::ptr::eq(r.grant, grant))
                .map(describe_rule)
                .collect(),
        });
    }
    grants
}

/// `get, list, watch on pods, nodes (core)`; `get on /healthz`.
fn describe_rule(effective: &EffectiveRule) -> String {
    let rule = effective.rule.rule;
    let verbs = rule.verbs.join(", ");
    if let Some(urls) = rule.non_resource_urls.as_ref().filter(|u| !u.is_empty()) {
        return format!("{verbs} on {}", urls.join(", "));
    }
    let resources = rule.resources.as_deref().unwrap_or_default().join(", ");
    let groups: Vec<&str> = rule
        .api_groups
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|g| if g.is_empty() { "core" } else { g.as_str() })
        .collect();
    let names = rule
        .resource_names
        .as_ref()
        .filter(|n| !n.is_empty())
        .map(|n| format!(" named {}", n.join(", ")))
        .unwrap_or_default();
    format!("{verbs} on {resources}{names} ({})", groups.join(", "))
}

fn host_namespaces(pod: &PodTemplate) -> Vec<String> {
    let spec = &pod.spec;
    [
        (spec.host_network, "hostNetwork"),
        (spec.host_pid, "hostPID"),
        (spec.host_ipc, "hostIPC"),
    ]
    .into_iter()
    .filter(|(set, _)| *set == Some(true))
    .map(|(_, name)| name.to_owned())
    .collect()
}

fn host_paths(report: &Report, object_index: usize, pod: &PodTemplate) -> Vec<HostPathMount> {
    let volumes = pod.spec.volumes.as_deref().unwrap_or_default();
    volumes
        .iter()
        .enumerate()
        .filter_map(|(index, volume)| {
            let host_path = volume.host_path.as_ref()?;
            let mut mounts: Vec<String> = Vec::new();
            let mut read_only = true;
            for container in containers(&pod.spec) {
                for mount in container.volume_mounts().iter().filter(|m| m.name == volume.name) {
                    let ro = mount.read_only == Some(true);
                    read_only &= ro;
                    mounts.push(format!(
                        "{container} at {}{}",
                        mount.mount_path,
                        if ro { " (read-only)" } else { " (writable)" }
                    ));
                }
            }
            let field = pod
                .path
                .join(&FieldPath::keys("spec.volumes").index(index).key("hostPath").key("path"))
                .to_string();
            let gives = report
                .findings
                .iter()
                .find(|f| f.object == object_index && f.field == field && HOST_PATH_RULES.contains(&f.rule))
                .map(|f| consequence(&f.message));
            let read_only = read_only && !mounts.is_empty();
            Some(HostPathMount {
                volume: volume.name.clone(),
                path: host_path.path.clone(),
                mounts,
                read_only,
                gives,
            })
        })
        .collect()
}

/// The consequence in a host-path finding (`hostPath volume "v" mounts P, in container "c" at
/// M: CONSEQUENCE`).
fn consequence(message: &str) -> String {
    message
        .find(" at ")
        .and_then(|at| message[at..].find(": ").map(|colon| at + colon + 2))
        .map(|start| message[start..].to_owned())
        .unwrap_or_else(|| message.to_owned())
}

fn container_privileges(pod: &PodTemplate, container: &ContainerView) -> ContainerPrivileges {
    let sc: Option<&SecurityContext> = container.security_context();
    let pod_sc: Option<&PodSecurityContext> = pod.spec.security_context.as_ref();
    let capabilities = sc.and_then(|sc| sc.capabilities.as_ref());
    let run_as_user = sc.and_then(|sc| sc.run_as_user).or(pod_sc.and_then(|p| p.run_as_user));
    let run_as_non_root = sc
        .and_then(|sc| sc.run_as_non_root)
        .or(pod_sc.and_then(|p| p.run_as_non_root));
    let user = match (run_as_user, run_as_non_root) {
        (Some(0), _) => "root (runAsUser 0)".to_owned(),
        (Some(uid), _) => format!("uid {uid}"),
        (None, Some(true)) => "non-root (the image's user; the kubelet refuses root)".to_owned(),
        (None, _) => "the image's user (root unless the image sets one)".to_owned(),
    };
    let seccomp = sc
        .and_then(|sc| sc.seccomp_profile.as_ref())
        .or(pod_sc.and_then(|p| p.seccomp_profile.as_ref()))
        .map(|profile| match profile.localhost_profile.as_deref() {
            Some(path) => format!("{} ({path})", profile.type_),
            None => profile.type_.clone(),
        });
    let seccomp = match (seccomp, container.is_privileged()) {
        (_, true) => "none (privileged containers run unconfined)".to_owned(),
        (Some(profile), false) => profile,
        (None, false) => "not set: Unconfined, unless the kubelet runs with seccompDefault".to_owned(),
    };
    let annotation = format!("container.apparmor.security.beta.kubernetes.io/{}", container.name());
    let apparmor = sc
        .and_then(|sc| sc.app_armor_profile.as_ref())
        .or(pod_sc.and_then(|p| p.app_armor_profile.as_ref()))
        .map(|profile| match profile.localhost_profile.as_deref() {
            Some(path) => format!("{} ({path})", profile.type_),
            None => profile.type_.clone(),
        })
        .or_else(|| {
            pod.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(&annotation))
                .map(|value| format!("{value} (annotation)"))
        })
        .unwrap_or_else(|| "not set: the runtime's default profile where the node has AppArmor".to_owned());
    let apparmor = if container.is_privileged() {
        "none (privileged containers run unconfined)".to_owned()
    } else {
        apparmor
    };
    ContainerPrivileges {
        container: container.to_string(),
        image: container.image().map(str::to_owned),
        privileged: container.is_privileged(),
        allow_privilege_escalation: sc.and_then(|sc| sc.allow_privilege_escalation),
        capabilities_added: capabilities.and_then(|c| c.add.clone()).unwrap_or_default(),
        capabilities_dropped: capabilities.and_then(|c| c.drop.clone()).unwrap_or_default(),
        user,
        read_only_root_filesystem: sc.and_then(|sc| sc.read_only_root_filesystem) == Some(true),
        seccomp,
        apparmor,
    }
}

fn ports(pod: &PodTemplate) -> Vec<String> {
    containers(&pod.spec)
        .filter(|c| c.list != ContainerList::Ephemeral)
        .flat_map(|c| {
            c.ports().iter().map(move |port| {
                let protocol = port.protocol.as_deref().unwrap_or("TCP");
                let name = port.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
                let host = port
                    .host_port
                    .map(|h| format!(", hostPort {h} on the node"))
                    .unwrap_or_default();
                format!("{} {}/{protocol}{name}{host}", c.name(), port.container_port)
            })
        })
        .collect()
}

fn services(inventory: &Inventory, namespace: Option<&str>, labels: &Labels) -> Vec<String> {
    inventory
        .kube_objects()
        .filter_map(|(entry, object)| {
            let KubeObject::Service(service) = object else {
                return None;
            };
            let spec = service.spec.as_ref()?;
            if entry.source.namespace.as_deref() != namespace
                || !selectors::service_selects(spec.selector.as_ref(), labels)
            {
                return None;
            }
            let kind = spec.type_.as_deref().unwrap_or("ClusterIP");
            let ports: Vec<String> = spec
                .ports
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    let node = p.node_port.map(|n| format!(" (node port {n})")).unwrap_or_default();
                    format!("{}/{}{node}", p.port, p.protocol.as_deref().unwrap_or("TCP"))
                })
                .collect();
            let name = entry.source.name.as_deref().unwrap_or("<unnamed>");
            Some(format!("{name} ({kind}: {})", ports.join(", ")))
        })
        .collect()
}

fn network_policies(inventory: &Inventory, namespace: Option<&str>, labels: &Labels) -> NetworkPolicies {
    let mut selected = NetworkPolicies::default();
    for (entry, object) in inventory.kube_objects() {
        let KubeObject::NetworkPolicy(policy) = object else {
            continue;
        };
        let name = entry.source.name.as_deref().unwrap_or("<unnamed>");
        let policy = Policy::new(name, entry.source.namespace.as_deref(), policy.spec.as_ref());
        if policy.namespace != namespace || !policy.selects(labels) {
            continue;
        }
        for direction in Direction::BOTH {
            if policy.affects(direction) {
                let list = match direction {
                    Direction::Ingress => &mut selected.ingress,
                    Direction::Egress => &mut selected.egress,
                };
                list.push(name.to_owned());
            }
        }
    }
    selected
}

/// The model as JSON.
pub fn write_json(model: &SecurityModel, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, model)?;
    out.write_all(b"\n")
}

/// The model as Markdown, ready to paste into SECURITY.md: an overview table, then one table
/// per component.
pub fn markdown(model: &SecurityModel) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## Security model\n");
    let _ = writeln!(
        md,
        "What each component of this application may do, as its manifests grant it (generated by `tailor model`).\n"
    );
    let _ = writeln!(
        md,
        "| component | Pod Security level | service account | RBAC bindings | host namespaces | hostPath mounts | privileged containers |\n|---|---|---|---:|---|---:|---|"
    );
    for c in &model.components {
        let privileged: Vec<&str> = c
            .containers
            .iter()
            .filter(|p| p.privileged)
            .map(|p| p.container.as_str())
            .collect();
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&component_name(c)),
            c.pss_level,
            cell(&c.service_account),
            c.rbac.len(),
            none_if_empty(&c.host_namespaces.join(", ")),
            c.host_paths.len(),
            cell(&none_if_empty(&privileged.join(", ")))
        );
    }
    for c in &model.components {
        let _ = writeln!(md, "\n### {}\n", cell(&component_name(c)));
        let _ = writeln!(md, "Defined in `{}:{}`.\n", c.file, c.line);
        let _ = writeln!(md, "| privilege | this component |\n|---|---|");
        let mut row = |label: &str, value: String| {
            let _ = writeln!(md, "| {label} | {value} |");
        };
        let level = if c.pss_blocking.is_empty() {
            format!("**{}**", c.pss_level)
        } else {
            format!(
                "**{}** (next level blocked by: {})",
                c.pss_level,
                cell(&c.pss_blocking.join(", "))
            )
        };
        row("Pod Security level met", level);
        row(
            "Service account",
            format!(
                "{} (token {})",
                cell(&c.service_account),
                if c.token_mounted { "mounted" } else { "not mounted" }
            ),
        );
        let rbac = if c.rbac.is_empty() {
            "none bound among the inputs".to_owned()
        } else {
            c.rbac
                .iter()
                .map(|g| {
                    let rules = if g.rules.is_empty() {
                        "rules unknown".to_owned()
                    } else {
                        g.rules.join("; ")
                    };
                    cell(&format!("{} ({}): {rules}", g.via, g.scope))
                })
                .collect::<Vec<_>>()
                .join("<br>")
        };
        row("RBAC", rbac);
        row("Host namespaces", none_if_empty(&c.host_namespaces.join(", ")));
        let privileged = c.containers.iter().any(|p| p.privileged);
        let host_paths = c
            .host_paths
            .iter()
            .map(|h| {
                let gives = h.gives.as_deref().map(|g| format!(" — {g}")).unwrap_or_default();
                let access = match (h.mounts.is_empty(), h.read_only, privileged) {
                    (true, _, _) => "declared, mounted by no container".to_owned(),
                    (false, true, false) => format!("read-only: {}", h.mounts.join("; ")),
                    (false, true, true) => format!(
                        "read-only, though a privileged container can remount it writable: {}",
                        h.mounts.join("; ")
                    ),
                    (false, false, _) => format!("writable: {}", h.mounts.join("; ")),
                };
                cell(&format!("`{}` ({access}){gives}", h.path))
            })
            .collect::<Vec<_>>()
            .join("<br>");
        row("hostPath mounts", none_if_empty(&host_paths));
        let per_container = |describe: &dyn Fn(&ContainerPrivileges) -> String| {
            c.containers
                .iter()
                .map(|p| cell(&format!("{}: {}", p.container, describe(p))))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        row(
            "Privileged",
            per_container(&|p| {
                if p.privileged {
                    "**yes**".to_owned()
                } else {
                    "no".to_owned()
                }
            }),
        );
        row(
            "Capabilities",
            per_container(&|p| {
                if p.privileged {
                    return "**all** (privileged)".to_owned();
                }
                let added = if p.capabilities_added.is_empty() {
                    "adds none".to_owned()
                } else {
                    format!("adds {}", p.capabilities_added.join(", "))
                };
                let dropped = if p.capabilities_dropped.is_empty() {
                    "drops none (runtime defaults kept)".to_owned()
                } else {
                    format!("drops {}", p.capabilities_dropped.join(", "))
                };
                format!("{added}; {dropped}")
            }),
        );
        row(
            "Privilege escalation",
            per_container(&|p| match (p.privileged, p.allow_privilege_escalation) {
                (true, _) => "allowed (privileged)".to_owned(),
                (false, Some(false)) => "blocked (allowPrivilegeEscalation: false)".to_owned(),
                (false, _) => "allowed (not set to false)".to_owned(),
            }),
        );
        row("User", per_container(&|p| p.user.clone()));
        row(
            "Read-only root file system",
            per_container(&|p| {
                if p.read_only_root_filesystem {
                    "yes".to_owned()
                } else {
                    "no".to_owned()
                }
            }),
        );
        row("seccomp", per_container(&|p| p.seccomp.clone()));
        row("AppArmor", per_container(&|p| p.apparmor.clone()));
        row("Ports", cell(&none_if_empty(&c.ports.join(", "))));
        row(
            "Exposed by Services",
            cell(&if c.services.is_empty() {
                "none among the inputs".to_owned()
            } else {
                c.services.join(", ")
            }),
        );
        let policies = |names: &[String], direction: &str| {
            if names.is_empty() {
                format!("{direction}: none selects it (all traffic allowed)")
            } else {
                format!("{direction}: {}", names.join(", "))
            }
        };
        row(
            "NetworkPolicies",
            cell(&format!(
                "{}; {}",
                policies(&c.network_policies.ingress, "ingress"),
                policies(&c.network_policies.egress, "egress")
            )),
        );
    }
    md
}

fn component_name(c: &Component) -> String {
    let name = c.name.as_deref().unwrap_or("<unnamed>");
    match &c.namespace {
        Some(ns) => format!("{} {ns}/{name}", c.kind),
        None => format!("{} {name}", c.kind),
    }
}

fn none_if_empty(text: &str) -> String {
    if text.is_empty() {
        "none".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_consequence_follows_the_mount_point() {
        assert_eq!(
            consequence("hostPath volume \"sock\" mounts /run/containerd/containerd.sock, in container \"a\" at /run/c.sock: control of every container on the node"),
            "control of every container on the node"
        );
        assert_eq!(consequence("no mount point here"), "no mount point here");
    }
}

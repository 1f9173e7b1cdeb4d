//! Pod Security Standards checks as rules `PSS-<check ID>` (the reference library's check
//! IDs, e.g. `PSS-allowPrivilegeEscalation`), each mapped to MITRE ATT&CK for Containers.

use super::attack::*;
use super::Rule;
use crate::report::Severity;

macro_rules! pss_rule {
    ($id:literal, $severity:ident, $title:literal, $rationale:literal, $remediation:literal, [$($t:expr),*]) => {
        pss_rule!($id, $severity, $title, $rationale, $remediation, [$($t),*], None)
    };
    ($id:literal, $severity:ident, $title:literal, $rationale:literal, $remediation:literal, [$($t:expr),*], $ms:expr) => {
        Rule {
            id: concat!("PSS-", $id),
            title: $title,
            severity: Severity::$severity,
            rationale: $rationale,
            remediation: $remediation,
            attack: &[$($t),*],
            ms_threat_matrix: $ms,
        }
    };
}

/// The Pod Security rules, sorted by ID.
pub static RULES: &[Rule] = &[
    pss_rule!("allowPrivilegeEscalation", Medium, "Privilege escalation allowed",
        "Without no_new_privs a process can gain privileges through setuid binaries or file capabilities and exploit them.",
        "Set securityContext.allowPrivilegeEscalation: false on every container.",
        [SETUID_SETGID, PRIVILEGE_ESCALATION_EXPLOIT]),
    pss_rule!("appArmorProfile", Medium, "AppArmor disabled or overridden",
        "An unconfined AppArmor profile removes a mandatory access control layer that blocks many container escapes.",
        "Remove the Unconfined AppArmor profile; use RuntimeDefault or a Localhost profile.",
        [DISABLE_DEFENSES, ESCAPE_TO_HOST]),
    pss_rule!("capabilities_baseline", High, "Non-default capabilities added",
        "Capabilities beyond the runtime's default set (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, ...) give kernel powers that lead to host compromise.",
        "Remove the added capabilities outside the default set; grant only what the workload provably needs.",
        [ESCAPE_TO_HOST, ROOTKIT]),
    pss_rule!("capabilities_restricted", Medium, "Capabilities not dropped",
        "Containers keep the runtime's default capabilities (e.g. NET_RAW, CHOWN, SETUID) unless they drop ALL.",
        "Set securityContext.capabilities.drop: [\"ALL\"] and add back at most NET_BIND_SERVICE.",
        [ESCAPE_TO_HOST]),
    pss_rule!("hostNamespaces", High, "Host namespaces shared",
        "hostPID/hostIPC expose every process and IPC object of the node; hostNetwork exposes node-local services and lets the pod sniff traffic.",
        "Remove hostNetwork, hostPID and hostIPC (or set them to false).",
        [ESCAPE_TO_HOST, NETWORK_SNIFFING]),
    pss_rule!("hostPathVolumes", High, "hostPath volume",
        "A hostPath volume mounts the node's file system into the pod: writable host paths let it take over the node.",
        "Replace hostPath volumes with persistentVolumeClaim, configMap, secret, emptyDir or CSI volumes.",
        [ESCAPE_TO_HOST], Some(WRITABLE_HOSTPATH_MOUNT)),
    pss_rule!("hostPorts", Medium, "hostPort used",
        "A hostPort binds the node's network interface, bypassing Services and NetworkPolicies scoped to pods.",
        "Remove hostPort and expose the container through a Service.",
        [NETWORK_SNIFFING]),
    pss_rule!("hostProbesAndHostLifecycle", Low, "Probe or lifecycle handler targets a host",
        "Probes and lifecycle hooks with a host field make the kubelet send requests to arbitrary addresses (SSRF from the node).",
        "Remove the host field from httpGet and tcpSocket probes and lifecycle handlers.",
        []),
    pss_rule!("privileged", Critical, "Privileged container",
        "A privileged container has every capability and every host device: it is root on the node.",
        "Remove securityContext.privileged (or set it to false); grant specific capabilities or devices instead.",
        [ESCAPE_TO_HOST], Some(PRIVILEGED_CONTAINER)),
    pss_rule!("procMount", Medium, "Unmasked /proc",
        "An unmasked /proc exposes kernel interfaces that the runtime normally hides from containers.",
        "Remove securityContext.procMount or set it to Default.",
        [ESCAPE_TO_HOST]),
    pss_rule!("procMount_restricted", Medium, "Unmasked /proc",
        "An unmasked /proc exposes kernel interfaces that the runtime normally hides from containers.",
        "Remove securityContext.procMount or set it to Default.",
        [ESCAPE_TO_HOST]),
    pss_rule!("restrictedVolumes", Medium, "Volume type not allowed by restricted",
        "Only ephemeral and API-backed volume types are safe to allow for any user; others mount node or network storage directly.",
        "Use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes.",
        [ESCAPE_TO_HOST]),
    pss_rule!("runAsNonRoot", Medium, "May run as root",
        "A container running as UID 0 is root inside the container, and root on the node after any escape.",
        "Set securityContext.runAsNonRoot: true (pod or container level) and use an image with a non-root user.",
        [ESCAPE_TO_HOST, PRIVILEGE_ESCALATION_EXPLOIT]),
    pss_rule!("runAsUser", Medium, "Runs as UID 0",
        "runAsUser: 0 runs the container as root.",
        "Set runAsUser to a non-zero UID or remove it.",
        [ESCAPE_TO_HOST, PRIVILEGE_ESCALATION_EXPLOIT]),
    pss_rule!("seLinuxOptions", Medium, "Custom SELinux options",
        "Custom SELinux types, users or roles can lift the confinement of the container_t domain.",
        "Remove seLinuxOptions.user and .role and use one of the container_* types.",
        [DISABLE_DEFENSES, ESCAPE_TO_HOST]),
    pss_rule!("seccompProfile_baseline", Medium, "Seccomp disabled",
        "An Unconfined seccomp profile exposes every system call, including those behind most kernel container escapes.",
        "Set seccompProfile.type to RuntimeDefault or Localhost.",
        [DISABLE_DEFENSES, ESCAPE_TO_HOST]),
    pss_rule!("seccompProfile_restricted", Medium, "No seccomp profile",
        "Without a seccomp profile a container can make every system call, including those behind most kernel container escapes.",
        "Set spec.securityContext.seccompProfile.type: RuntimeDefault (or a Localhost profile recorded with `tailor record`).",
        [DISABLE_DEFENSES, ESCAPE_TO_HOST]),
    pss_rule!("sysctls", Medium, "Unsafe sysctls",
        "Sysctls outside the namespaced safe set change kernel settings for the whole node.",
        "Remove the sysctls outside the safe set.",
        [ESCAPE_TO_HOST]),
    pss_rule!("windowsHostProcess", Critical, "Windows HostProcess container",
        "A HostProcess container runs directly on the Windows node with host privileges.",
        "Remove windowsOptions.hostProcess.",
        [ESCAPE_TO_HOST]),
];

/// The rule of a Pod Security check ID.
pub fn rule_for_check(check: &str) -> &'static Rule {
    RULES
        .iter()
        .find(|rule| rule.id.strip_prefix("PSS-") == Some(check))
        .unwrap_or_else(|| panic!("no rule for Pod Security check {check:?}: the registry is out of date"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tailor_pss::{Level, Version};

    #[test]
    fn every_pss_check_at_every_version_has_a_rule() {
        for minor in 0..=tailor_pss::MAX_VERSION.minor() {
            for level in [Level::Baseline, Level::Restricted] {
                for check in tailor_pss::check_ids(level, Version::V1(minor)) {
                    rule_for_check(check);
                }
            }
        }
    }
}

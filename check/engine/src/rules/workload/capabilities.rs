//! Linux capabilities by name: those that escape the container, those that hand over kernel or
//! other processes' data, and NET_RAW, which every container keeps unless it drops it.
//!
//! Names are compared as container runtimes read them: in any case, with or without the
//! `CAP_` prefix (Pod Security compares them literally). Privileged containers are left to
//! `PSS-privileged`: they hold every capability whatever they add or drop.

use tailor_kube::{containers, ContainerView, PodTemplate};

use super::{is_windows, Hits};
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::capabilities::canonical;
use crate::rules::Rule;

pub(super) const ESCAPE: Rule = Rule {
    id: "TLR-capability-escape",
    title: "Capability that escapes the container",
    severity: Severity::Critical,
    rationale: "SYS_ADMIN (mount, cgroup release_agent, namespaces, most of what privileged mode allows) and SYS_MODULE (loading kernel modules) are each enough to take over the node; adding ALL grants both.",
    remediation: "Remove the capability from securityContext.capabilities.add. If the workload manages host devices or kernel state, give that job to a dedicated, reviewed node agent rather than the application.",
    attack: &[ESCAPE_TO_HOST, ROOTKIT],
    ms_threat_matrix: Some(PRIVILEGED_CONTAINER),
};

pub(super) const DANGEROUS: Rule = Rule {
    id: "TLR-capability-dangerous",
    title: "Dangerous capability added",
    severity: Severity::High,
    rationale: "SYS_PTRACE, BPF, PERFMON, NET_ADMIN, DAC_READ_SEARCH and SYS_RAWIO each open a path to other processes' memory, the kernel, host files or the network beyond the container.",
    remediation: "Remove the capability from securityContext.capabilities.add, drop ALL, and add back only what the workload provably needs (usually at most NET_BIND_SERVICE).",
    attack: &[ESCAPE_TO_HOST, PRIVILEGE_ESCALATION_EXPLOIT, NETWORK_SNIFFING],
    ms_threat_matrix: None,
};

pub(super) const NET_RAW: Rule = Rule {
    id: "TLR-net-raw-not-dropped",
    title: "NET_RAW capability kept",
    severity: Severity::Low,
    rationale: "Container runtimes grant NET_RAW by default: raw sockets let a compromised container forge packets, spoof ARP and DNS answers to its neighbours on the node and probe the network.",
    remediation: "Set securityContext.capabilities.drop: [\"ALL\"] (or at least NET_RAW) and do not add NET_RAW back; ping works without it on current kernels (net.ipv4.ping_group_range).",
    attack: &[NETWORK_SNIFFING],
    ms_threat_matrix: None,
};

/// The capabilities reported by name, with what each gives, and whether it escapes the
/// container outright.
const REPORTED: &[(&str, bool, &str)] = &[
    ("ALL", true, "every capability, SYS_ADMIN and SYS_MODULE included"),
    ("SYS_ADMIN", true, "mounts, namespaces, cgroup release_agent and most of what privileged mode allows: the classic container escape"),
    ("SYS_MODULE", true, "loading kernel modules, i.e. arbitrary code in the node's kernel"),
    ("SYS_PTRACE", false, "tracing and injecting code into the other processes it can see (the whole pod's with shareProcessNamespace)"),
    ("BPF", false, "loading eBPF programs that read kernel memory and other processes' data"),
    ("PERFMON", false, "performance monitoring and eBPF tracing that expose kernel and other processes' data"),
    ("NET_ADMIN", false, "reconfiguring interfaces, routes and firewall rules and intercepting traffic in the pod's network namespace"),
    ("DAC_READ_SEARCH", false, "bypassing read permissions and opening files by handle (open_by_handle_at), which reads host files outside the container"),
    ("SYS_RAWIO", false, "raw I/O ports and memory (iopl, /dev/mem): reading and writing the node's memory and devices"),
];

pub(super) fn check(pod: &PodTemplate, hits: &mut Hits) {
    if is_windows(pod) {
        return;
    }
    let host_network = pod.spec.host_network == Some(true);
    let host_pid = pod.spec.host_pid == Some(true);
    for container in containers(&pod.spec).filter(|c| !c.is_privileged()) {
        let capabilities = container.security_context().and_then(|sc| sc.capabilities.as_ref());
        let added = capabilities.and_then(|c| c.add.as_deref()).unwrap_or_default();
        let dropped: Vec<String> = capabilities
            .and_then(|c| c.drop.as_deref())
            .unwrap_or_default()
            .iter()
            .map(|d| canonical(d))
            .collect();
        for (index, name) in added.iter().enumerate() {
            let capability = canonical(name);
            let Some((_, escapes, gives)) = REPORTED.iter().find(|(cap, _, _)| *cap == capability) else {
                continue;
            };
            let context = match capability.as_str() {
                "NET_ADMIN" if host_network => " — and the pod uses hostNetwork, so these are the node's",
                "SYS_PTRACE" if host_pid => " — and the pod uses hostPID, so every process of the node is in reach",
                _ => "",
            };
            let rule = if *escapes { &ESCAPE } else { &DANGEROUS };
            hits.add(
                rule,
                container.path_to("securityContext.capabilities.add").index(index),
                Some(container.name()),
                format!("{container} adds {capability}: {gives}{context}"),
            );
        }
        net_raw(&container, added, &dropped, hits);
    }
}

fn net_raw(container: &ContainerView, added: &[String], dropped: &[String], hits: &mut Hits) {
    let dropped_by_name = dropped.iter().any(|d| d == "NET_RAW");
    if dropped_by_name {
        return;
    }
    // Runtimes clear the set on `drop: [ALL]`, then add, then drop the named ones.
    if let Some(index) = added
        .iter()
        .position(|a| matches!(canonical(a).as_str(), "NET_RAW" | "ALL"))
    {
        hits.add(
            &NET_RAW,
            container.path_to("securityContext.capabilities.add").index(index),
            Some(container.name()),
            format!(
                "{container} adds {}, which lets it forge packets and spoof its neighbours on the node",
                canonical(&added[index])
            ),
        );
    } else if !dropped.iter().any(|d| d == "ALL") {
        let field = if dropped.is_empty() {
            container.security_context_or_container()
        } else {
            container.path_to("securityContext.capabilities.drop")
        };
        hits.add(
            &NET_RAW,
            field,
            Some(container.name()),
            format!("{container} keeps NET_RAW (it drops neither ALL nor NET_RAW), which lets it forge packets and spoof its neighbours on the node"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;
    use crate::Finding;
    use serde_json::{json, Value};

    fn findings(spec: Value) -> Vec<Finding> {
        testing::pod_findings(spec, &[&ESCAPE, &DANGEROUS, &NET_RAW])
    }

    fn with_capabilities(capabilities: Value) -> Value {
        json!({"containers":[{"name":"c","image":"x","securityContext":{"capabilities":capabilities}}]})
    }

    #[test]
    fn names_are_read_like_runtimes_do() {
        assert_eq!(canonical("cap_sys_admin"), "SYS_ADMIN");
        assert_eq!(canonical("Sys_Ptrace"), "SYS_PTRACE");
        assert_eq!(canonical(" NET_RAW "), "NET_RAW");
        let found = findings(with_capabilities(
            json!({"add":["cap_sys_admin","Sys_Ptrace","CHOWN"],"drop":["ALL"]}),
        ));
        let summary: Vec<(&str, &str)> = found.iter().map(|f| (f.rule, f.field.as_str())).collect();
        assert_eq!(
            summary,
            [
                (
                    "TLR-capability-escape",
                    "spec.containers[0].securityContext.capabilities.add[0]"
                ),
                (
                    "TLR-capability-dangerous",
                    "spec.containers[0].securityContext.capabilities.add[1]"
                ),
            ]
        );
        assert_eq!(found[0].severity, Severity::Critical);
        assert!(
            found[0].message.starts_with("container \"c\" adds SYS_ADMIN: mounts"),
            "{}",
            found[0].message
        );
        assert_eq!(found[1].container.as_deref(), Some("c"));
    }

    #[test]
    fn wording_follows_host_namespaces() {
        let found = findings(json!({"hostNetwork":true,"containers":[{"name":"cni","image":"x",
            "securityContext":{"capabilities":{"add":["NET_ADMIN"],"drop":["ALL"]}}}]}));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("hostNetwork, so these are the node's"),
            "{}",
            found[0].message
        );
        let found = findings(with_capabilities(json!({"add":["NET_ADMIN"],"drop":["ALL"]})));
        assert!(!found[0].message.contains("hostNetwork"), "{}", found[0].message);
    }

    #[test]
    fn adding_all_escapes_and_keeps_net_raw() {
        let found = findings(with_capabilities(json!({"add":["ALL"],"drop":["ALL"]})));
        let rules: Vec<&str> = found.iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["TLR-capability-escape", "TLR-net-raw-not-dropped"]);
    }

    #[test]
    fn net_raw_is_kept_unless_dropped() {
        // No securityContext at all: the runtime's default set, NET_RAW included.
        let found = findings(json!({"containers":[{"name":"c","image":"x"}]}));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "TLR-net-raw-not-dropped");
        assert_eq!(found[0].severity, Severity::Low);
        assert_eq!(found[0].field, "spec.containers[0]");
        // Dropping something else points at the drop list.
        let found = findings(with_capabilities(json!({"drop":["CHOWN"]})));
        assert_eq!(found[0].field, "spec.containers[0].securityContext.capabilities.drop");
        // Dropping ALL or NET_RAW (any spelling) is enough.
        for drop in [json!(["ALL"]), json!(["cap_net_raw"]), json!(["all"])] {
            assert!(findings(with_capabilities(json!({"drop":drop}))).is_empty(), "{drop}");
        }
        // Adding it back after dropping ALL keeps it; dropping it by name removes it again.
        let found = findings(with_capabilities(json!({"add":["NET_RAW"],"drop":["ALL"]})));
        assert_eq!(found[0].field, "spec.containers[0].securityContext.capabilities.add[0]");
        assert!(found[0].message.contains("adds NET_RAW"), "{}", found[0].message);
        assert!(findings(with_capabilities(json!({"add":["NET_RAW"],"drop":["NET_RAW"]}))).is_empty());
    }

    #[test]
    fn privileged_and_windows_containers_are_left_alone() {
        let privileged = json!({"containers":[{"name":"c","image":"x",
            "securityContext":{"privileged":true,"capabilities":{"add":["SYS_ADMIN"]}}}]});
        assert!(findings(privileged).is_empty());
        let windows = json!({"os":{"name":"windows"},"containers":[{"name":"c","image":"x"}]});
        assert!(findings(windows).is_empty());
    }

    #[test]
    fn every_container_list_is_checked() {
        let found = findings(json!({
            "initContainers":[{"name":"init","image":"x","securityContext":{"capabilities":{"add":["SYS_MODULE"],"drop":["ALL"]}}}],
            "containers":[{"name":"c","image":"x","securityContext":{"capabilities":{"drop":["ALL"]}}}],
            "ephemeralContainers":[{"name":"debug","image":"x","securityContext":{"capabilities":{"add":["SYS_PTRACE"],"drop":["ALL"]}}}]}));
        let summary: Vec<(&str, Option<&str>)> = found.iter().map(|f| (f.rule, f.container.as_deref())).collect();
        assert_eq!(
            summary,
            [
                ("TLR-capability-escape", Some("init")),
                ("TLR-capability-dangerous", Some("debug"))
            ]
        );
        assert!(
            found[1].message.starts_with("ephemeral container \"debug\""),
            "{}",
            found[1].message
        );
    }
}

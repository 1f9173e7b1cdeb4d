//! Localhost seccomp profiles, scored: for every container whose effective profile (its own
//! `securityContext.seccompProfile`, else the pod's) is `Localhost`, what the referenced
//! profile really lets the container do, when Tailor has the profile
//! ([`crate::seccomp_profiles`]): how many syscalls it allows against the runtime default,
//! which dangerous ones it still allows and whether the container's capabilities make them
//! usable (`tailor_seccomp::score`).
//!
//! Privileged containers are a case of their own: containerd and CRI-O apply no seccomp
//! profile to them (containerd skips it outright; CRI-O applies only its node-wide
//! `privileged_seccomp_profile`), so a tight profile on a privileged container protects
//! nothing. That is reported whether or not the profile is at hand.
//!
//! A profile is reported missing only where Tailor could know: a copy of the kubelet's seccomp
//! root was given and neither it nor a loaded `SeccompProfile` object has it.

use std::collections::BTreeSet;

use tailor_kube::{containers, ContainerView, FieldPath, PodTemplate};
use tailor_seccomp::Score;

use super::attack::*;
use super::capabilities::held;
use super::text::{capped_list, plain_list};
use super::workload::is_windows;
use super::{Hits, Rule};
use crate::report::Severity;
use crate::seccomp_profiles::{LocalSeccompProfiles, Resolution};
use crate::{Hit, Inventory, InventoryObject};

pub const PROFILE: Rule = Rule {
    id: "TLR-seccomp-localhost-profile",
    title: "Localhost seccomp profile: no dangerous syscall within reach",
    severity: Severity::Info,
    rationale: "A profile tailored to the workload is the narrowest syscall boundary Kubernetes offers; its score (allowed syscalls against the runtime default, dangerous syscalls left) says how much of the kernel an attacker in the container can still reach.",
    remediation: "Nothing to fix. Keep the profile recorded from the current version of the workload (`tailor record`), and score it again when it changes (`tailor seccomp score`).",
    attack: &[ESCAPE_TO_HOST, PRIVILEGE_ESCALATION_EXPLOIT],
    ms_threat_matrix: None,
};

pub const DANGEROUS: Rule = Rule {
    id: "TLR-seccomp-localhost-dangerous",
    title: "Localhost seccomp profile leaves dangerous syscalls within reach",
    severity: Severity::Medium,
    rationale: "Syscalls such as keyctl, io_uring_*, userfaultfd or unshare need no capability and open kernel code that is not namespaced or is a frequent source of kernel exploits: a profile that allows them leaves the kernel's attack surface open, however short it is.",
    remediation: "Remove the syscalls the workload does not use from the profile (record it again with `tailor record` and compare with `tailor seccomp diff`); where the workload needs one, keep it and note why.",
    attack: &[PRIVILEGE_ESCALATION_EXPLOIT, ESCAPE_TO_HOST],
    ms_threat_matrix: None,
};

pub const UNLOCKED: Rule = Rule {
    id: "TLR-seccomp-localhost-unlocked",
    title: "Localhost seccomp profile allows syscalls the container's capabilities unlock",
    severity: Severity::High,
    rationale: "A profile allowing mount, unshare, setns, bpf, ptrace, init_module or open_by_handle_at to a container that holds the capability unlocking them (SYS_ADMIN, BPF, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH, …) leaves the classic container escapes open: the filter is no boundary for them.",
    remediation: "Drop the capability (capabilities.drop: [\"ALL\"], then add back only what the workload needs), or remove the syscall from the profile; where the workload needs both, move that job to a dedicated, reviewed node agent.",
    attack: &[ESCAPE_TO_HOST, PRIVILEGE_ESCALATION_EXPLOIT],
    ms_threat_matrix: Some(PRIVILEGED_CONTAINER),
};

pub const PRIVILEGED_IGNORED: Rule = Rule {
    id: "TLR-seccomp-privileged-ignored",
    title: "Seccomp profile on a privileged container is not applied",
    severity: Severity::High,
    rationale: "containerd and CRI-O run privileged containers without any seccomp filter, whatever seccompProfile says (CRI-O applies only its node-wide privileged_seccomp_profile): the container makes every syscall with every capability, and a tailored profile that looks like its boundary protects nothing.",
    remediation: "Remove privileged: true and add only the capabilities the workload needs (capabilities.drop: [\"ALL\"], then add): the Localhost profile is then applied, and the kernel's syscall filter becomes the real boundary. Score the result with `tailor seccomp score`.",
    attack: &[DISABLE_DEFENSES, ESCAPE_TO_HOST],
    ms_threat_matrix: Some(PRIVILEGED_CONTAINER),
};

pub const MISSING: Rule = Rule {
    id: "TLR-seccomp-localhost-missing",
    title: "Localhost seccomp profile not found",
    severity: Severity::Medium,
    rationale: "The runtime reads a Localhost profile from the node when it creates the container; when the file is not there the container never starts (CreateContainerError), and the usual quick fix under pressure is to switch the profile off.",
    remediation: "Install the profile on every node that may run the pod (under /var/lib/kubelet/seccomp, or as a Security Profiles Operator SeccompProfile, which lands at operator/<namespace>/<name>.json), or correct localhostProfile to the path it has there.",
    attack: &[DISABLE_DEFENSES],
    ms_threat_matrix: None,
};

pub static RULES: &[Rule] = &[PROFILE, DANGEROUS, UNLOCKED, PRIVILEGED_IGNORED, MISSING];

/// How many syscalls a message names before "and N more".
const SHOWN: usize = 8;

/// A container whose effective seccomp profile is `Localhost`.
struct LocalhostReference<'p> {
    container: ContainerView<'p>,
    /// `localhostProfile`: the path below the kubelet's seccomp root.
    profile: &'p str,
    /// Where it is written, relative to the pod (the container's own, or the pod's).
    field: FieldPath,
}

/// The containers of `pod` that run under a `Localhost` profile (the container's own
/// `seccompProfile` replaces the pod's; Windows pods have no seccomp).
fn localhost_references(pod: &PodTemplate) -> Vec<LocalhostReference<'_>> {
    if is_windows(pod) {
        return Vec::new();
    }
    let pod_level = pod
        .spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.seccomp_profile.as_ref());
    containers(&pod.spec)
        .filter_map(|container| {
            let (profile, field) = match container.security_context().and_then(|sc| sc.seccomp_profile.as_ref()) {
                Some(own) => (own, container.path_to("securityContext.seccompProfile")),
                None => (pod_level?, FieldPath::keys("spec.securityContext.seccompProfile")),
            };
            if profile.type_ != "Localhost" {
                return None;
            }
            Some(LocalhostReference {
                container,
                profile: profile.localhost_profile.as_deref()?,
                field: field.key("localhostProfile"),
            })
        })
        .collect()
}

/// Every `localhostProfile` the loaded workloads' containers run under: what a copy of the
/// kubelet's seccomp root is searched for.
pub fn referenced_profiles(inventory: &Inventory) -> BTreeSet<String> {
    inventory
        .workloads()
        .flat_map(|(_, pod)| localhost_references(pod).into_iter().map(|r| r.profile.to_owned()))
        .collect()
}

/// Fields of a workload the findings point at, relative to the pod.
pub fn analysed_fields(pod: &PodTemplate) -> Vec<FieldPath> {
    localhost_references(pod)
        .into_iter()
        .flat_map(|r| [r.container.path_to("securityContext.privileged"), r.field])
        .collect()
}

/// The hits on every workload of the inventory, with the index of its entry.
pub fn analyse(inventory: &Inventory) -> Vec<(usize, Hit)> {
    let mut found = Vec::new();
    for (index, entry) in inventory.entries.iter().enumerate() {
        let InventoryObject::Workload(pod) = &entry.object else {
            continue;
        };
        let mut hits = Hits::new(pod);
        for reference in localhost_references(pod) {
            check(&reference, &inventory.seccomp_profiles, &mut hits);
        }
        found.extend(hits.into_hits().into_iter().map(|hit| (index, hit)));
    }
    found
}

fn check(reference: &LocalhostReference, profiles: &LocalSeccompProfiles, hits: &mut Hits) {
    let container = &reference.container;
    let resolution = profiles.resolve(reference.profile);
    let subject = format!("{container} runs under Localhost profile \"{}\"", reference.profile);
    if container.is_privileged() {
        privileged(reference, &subject, &resolution, hits);
        return;
    }
    match resolution {
        Resolution::Found { profile, origin } => {
            let score = tailor_seccomp::score(profile, None, &held(container));
            let rule = if unlocked(&score).is_empty() {
                if score.dangerous.iter().any(|d| d.reachable) {
                    &DANGEROUS
                } else {
                    &PROFILE
                }
            } else {
                &UNLOCKED
            };
            let message = format!("{subject} ({origin}): {}; {}", surface(&score), dangers(&score));
            hits.add(rule, reference.field.clone(), Some(container.name()), message);
        }
        Resolution::Missing { looked_at } => hits.add(
            &MISSING,
            reference.field.clone(),
            Some(container.name()),
            format!("{subject}, which is not at {looked_at} and no loaded SeccompProfile provides: the runtime will refuse to create the container (CreateContainerError)"),
        ),
        Resolution::Unknown => {}
    }
}

/// A privileged container: the runtime ignores the profile. What the profile would still allow
/// once `privileged` is dropped tells whether it is worth the move.
fn privileged(reference: &LocalhostReference, subject: &str, resolution: &Resolution, hits: &mut Hits) {
    let container = &reference.container;
    let mut message = format!(
        "{subject} but is privileged: containerd and CRI-O apply no seccomp profile to privileged containers, so it makes every syscall with every capability"
    );
    match resolution {
        Resolution::Found { profile, origin } => {
            let score = tailor_seccomp::score(profile, None, &held(container));
            let allowed: Vec<String> = score.dangerous.iter().map(|d| d.syscall.clone()).collect();
            let still = if allowed.is_empty() {
                "it allows no dangerous syscall".to_owned()
            } else {
                format!("with every capability it would still allow {}", capped_list(&allowed, SHOWN))
            };
            message.push_str(&format!(
                ". Only without privileged: true does the kernel's syscall filter become the real boundary: the profile ({origin}) {}, and {still}",
                surface(&score)
            ));
        }
        Resolution::Missing { looked_at } => message.push_str(&format!(
            "; the runtime does not even read the profile, which is not at {looked_at}: dropping privileged: true will make the container fail to start until it is installed"
        )),
        Resolution::Unknown => {}
    }
    hits.add(
        &PRIVILEGED_IGNORED,
        container.path_to("securityContext.privileged"),
        Some(container.name()),
        message,
    );
}

/// The dangerous syscalls usable through a capability the container holds.
fn unlocked(score: &Score) -> Vec<&tailor_seccomp::score::Dangerous> {
    score
        .dangerous
        .iter()
        .filter(|d| d.reachable && d.capabilities.iter().any(|cap| score.capabilities.contains(cap)))
        .collect()
}

/// `allows 52 syscalls on x86_64, 14% of the runtime default's 364`.
fn surface(score: &Score) -> String {
    let plural = if score.allowed == 1 { "" } else { "s" };
    format!(
        "allows {} syscall{plural} on {}, {}% of the runtime default's {}",
        score.allowed, score.architecture, score.percent_of_runtime_default, score.runtime_default
    )
}

/// The dangerous syscalls the profile allows: those within reach with why, then the others.
fn dangers(score: &Score) -> String {
    if score.dangerous.is_empty() {
        return "no dangerous syscall allowed".to_owned();
    }
    let (reachable, out_of_reach): (Vec<_>, Vec<_>) = score.dangerous.iter().partition(|d| d.reachable);
    let mut parts = Vec::new();
    if !reachable.is_empty() {
        let described: Vec<String> = reachable
            .iter()
            .map(|d| {
                let why = d.reachability.strip_prefix("yes: ").unwrap_or(&d.reachability);
                format!("{} ({why})", d.syscall)
            })
            .collect();
        parts.push(format!(
            "dangerous syscalls within reach: {}",
            capped_list(&described, SHOWN)
        ));
    }
    if !out_of_reach.is_empty() {
        let names: Vec<String> = out_of_reach.iter().map(|d| d.syscall.clone()).collect();
        parts.push(format!(
            "allowed but out of reach without their capabilities: {}",
            capped_list(&names, SHOWN)
        ));
    }
    plain_list(&parts)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};
    use tailor_seccomp::{Arch, Profile};

    use super::*;
    use crate::seccomp_profiles::{NodeFile, OperatorProfile};
    use crate::{testing, Finding};

    fn allow(names: &[&str]) -> Profile {
        Profile::allow_list(Arch::X86_64, names.iter().map(|n| n.to_string()))
    }

    /// The seccomp findings on `objects`, with `profiles` available.
    fn findings_with(objects: &[Value], profiles: LocalSeccompProfiles) -> Vec<Finding> {
        let mut inventory = testing::inventory(objects);
        inventory.seccomp_profiles = profiles;
        crate::analyse(&inventory)
            .into_iter()
            .map(|(_, finding)| finding)
            .filter(|f| RULES.iter().any(|rule| rule.id == f.rule))
            .collect()
    }

    fn on_disk(reference: &str, profile: Profile) -> LocalSeccompProfiles {
        let mut profiles = LocalSeccompProfiles::default();
        let path = format!("seccomp/{reference}");
        profiles.add_node_file(reference, NodeFile::Found { profile, path });
        profiles
    }

    fn pod(spec: Value) -> Value {
        json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ml"},"spec":spec})
    }

    fn localhost(path: &str) -> Value {
        json!({"type":"Localhost","localhostProfile":path})
    }

    const TIGHT: &[&str] = &["read", "write", "exit_group", "futex", "epoll_wait", "accept4"];

    #[test]
    fn pod_level_profile_is_inherited_and_container_level_overrides_it() {
        let spec = json!({"securityContext":{"seccompProfile":localhost("pod.json")},
            "containers":[
                {"name":"inherits","image":"x"},
                {"name":"own","image":"x","securityContext":{"seccompProfile":localhost("own.json")}},
                {"name":"default","image":"x","securityContext":{"seccompProfile":{"type":"RuntimeDefault"}}}]});
        let mut profiles = on_disk("pod.json", allow(TIGHT));
        profiles.add_node_file(
            "own.json",
            NodeFile::Found {
                profile: allow(&["read"]),
                path: "seccomp/own.json".to_owned(),
            },
        );
        let found = findings_with(&[pod(spec)], profiles);
        let summary: Vec<(&str, Option<&str>, &str)> = found
            .iter()
            .map(|f| (f.rule, f.container.as_deref(), f.field.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "TLR-seccomp-localhost-profile",
                    Some("inherits"),
                    "spec.securityContext.seccompProfile.localhostProfile"
                ),
                (
                    "TLR-seccomp-localhost-profile",
                    Some("own"),
                    "spec.containers[1].securityContext.seccompProfile.localhostProfile"
                ),
            ]
        );
        assert_eq!(found[0].severity, Severity::Info);
        assert!(
            found[0]
                .message
                .contains("\"pod.json\" (seccomp/pod.json): allows 6 syscalls on x86_64"),
            "{}",
            found[0].message
        );
        assert!(
            found[0].message.ends_with("no dangerous syscall allowed"),
            "{}",
            found[0].message
        );
        assert!(found[1].message.contains("allows 1 syscall on"), "{}", found[1].message);
    }

    #[test]
    fn operator_objects_provide_profiles_by_namespace_and_name() {
        let deployment = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","namespace":"ml"},
            "spec":{"template":{"spec":{"securityContext":{"seccompProfile":localhost("operator/ml/httpd.json")},
                "containers":[{"name":"httpd","image":"x"}]}}}});
        let mut profiles = LocalSeccompProfiles::default();
        profiles.add_operator_profile(OperatorProfile {
            namespace: Some("ml".to_owned()),
            name: "httpd".to_owned(),
            profile: allow(&["read", "keyctl"]),
            origin: "profiles.yaml:3".to_owned(),
        });
        let found = findings_with(std::slice::from_ref(&deployment), profiles);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "TLR-seccomp-localhost-dangerous");
        assert_eq!(found[0].severity, Severity::Medium);
        assert_eq!(
            found[0].field,
            "spec.template.spec.securityContext.seccompProfile.localhostProfile"
        );
        assert!(
            found[0]
                .message
                .contains("(SeccompProfile ml/httpd at profiles.yaml:3)"),
            "{}",
            found[0].message
        );
        assert!(
            found[0].message.contains("within reach: keyctl (needs no capability)"),
            "{}",
            found[0].message
        );
        // Without the object nothing is known, so nothing is said.
        assert!(findings_with(&[deployment], LocalSeccompProfiles::default()).is_empty());
    }

    #[test]
    fn capabilities_unlock_dangerous_syscalls() {
        let profile = || on_disk("admin.json", allow(&["read", "mount", "bpf"]));
        let with_capabilities = |capabilities: Value| {
            pod(json!({"containers":[{"name":"c","image":"x","securityContext":{
                "seccompProfile":localhost("admin.json"),"capabilities":capabilities}}]}))
        };
        let without = findings_with(&[with_capabilities(json!({"drop":["ALL"]}))], profile());
        assert_eq!(
            without[0].rule, "TLR-seccomp-localhost-profile",
            "{}",
            without[0].message
        );
        assert!(
            without[0]
                .message
                .contains("out of reach without their capabilities: bpf, mount"),
            "{}",
            without[0].message
        );
        let admin = findings_with(
            &[with_capabilities(json!({"add":["SYS_ADMIN"],"drop":["ALL"]}))],
            profile(),
        );
        assert_eq!(admin[0].rule, "TLR-seccomp-localhost-unlocked");
        assert_eq!(admin[0].severity, Severity::High);
        assert!(
            admin[0].message.contains("mount (the container holds CAP_SYS_ADMIN)"),
            "{}",
            admin[0].message
        );
        // Dropped again by name: out of reach.
        let dropped = findings_with(
            &[with_capabilities(json!({"add":["SYS_ADMIN"],"drop":["sys_admin"]}))],
            profile(),
        );
        assert_eq!(
            dropped[0].rule, "TLR-seccomp-localhost-profile",
            "{}",
            dropped[0].message
        );
    }

    #[test]
    fn privileged_containers_are_reported_as_unfiltered() {
        let spec = json!({"containers":[{"name":"agent","image":"x","securityContext":{
            "privileged":true,"seccompProfile":localhost("profiles/agent.json")}}]});
        let found = findings_with(
            &[pod(spec.clone())],
            on_disk("profiles/agent.json", allow(&["read", "mount", "write"])),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "TLR-seccomp-privileged-ignored");
        assert_eq!(found[0].field, "spec.containers[0].securityContext.privileged");
        let message = &found[0].message;
        assert!(
            message.contains("containerd and CRI-O apply no seccomp profile to privileged containers"),
            "{message}"
        );
        assert!(
            message.contains("the kernel's syscall filter become the real boundary"),
            "{message}"
        );
        assert!(message.contains("allows 3 syscalls"), "{message}");
        assert!(
            message.ends_with("with every capability it would still allow mount"),
            "{message}"
        );
        // Known from the manifest alone, profile or not.
        let unknown = findings_with(&[pod(spec)], LocalSeccompProfiles::default());
        assert_eq!(unknown[0].rule, "TLR-seccomp-privileged-ignored");
    }

    #[test]
    fn missing_only_where_known() {
        let spec = json!({"containers":[{"name":"c","image":"x","securityContext":{"seccompProfile":localhost("gone.json")}}]});
        let mut profiles = LocalSeccompProfiles::default();
        profiles.add_node_file(
            "gone.json",
            NodeFile::Missing {
                path: "seccomp/gone.json".to_owned(),
            },
        );
        let found = findings_with(&[pod(spec.clone())], profiles);
        assert_eq!(found[0].rule, "TLR-seccomp-localhost-missing");
        assert!(
            found[0].message.contains("not at seccomp/gone.json"),
            "{}",
            found[0].message
        );
        assert!(findings_with(&[pod(spec)], LocalSeccompProfiles::default()).is_empty());
    }

    #[test]
    fn windows_pods_and_other_profile_types_are_left_alone() {
        let windows = json!({"os":{"name":"windows"},"securityContext":{"seccompProfile":localhost("a.json")},
            "containers":[{"name":"c","image":"x"}]});
        assert!(findings_with(&[pod(windows)], on_disk("a.json", allow(TIGHT))).is_empty());
        let runtime_default = json!({"securityContext":{"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"c","image":"x"}]});
        assert!(findings_with(&[pod(runtime_default)], on_disk("a.json", allow(TIGHT))).is_empty());
    }

    #[test]
    fn every_seccomp_rule_is_registered() {
        for rule in RULES {
            assert_eq!(crate::rules::by_id(rule.id), Some(rule));
        }
    }
}

//! `capabilities_baseline` (baseline, v1.0+): containers may only add capabilities from the
//! default container runtime set. `drop` is ignored. Replaced at restricted from v1.22 by
//! `capabilities_restricted`.

use std::collections::BTreeSet;

use tailor_kube::{containers, ObjectMeta, PodSpec};

use super::message::{quote_list, Setters};
use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "capabilities_baseline";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck::new(Version::V1(0), capabilities_baseline_1_0)],
};

/// Exact, case-sensitive names: no `CAP_` prefix, no lowercase.
const ALLOWED_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn capabilities_baseline_1_0(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut bad = Setters::default();
    let mut forbidden = BTreeSet::new();
    for c in containers(spec) {
        let added = c
            .security_context()
            .and_then(|sc| sc.capabilities.as_ref())
            .and_then(|caps| caps.add.as_deref())
            .unwrap_or_default();
        let mut fields = Vec::new();
        for (j, capability) in added.iter().enumerate() {
            if !ALLOWED_CAPABILITIES.contains(&capability.as_str()) {
                forbidden.insert(capability.as_str());
                fields.push(c.path_to("securityContext.capabilities.add").index(j));
            }
        }
        if !fields.is_empty() {
            bad.container_fields(c.name(), fields);
        }
    }
    if bad.is_empty() {
        return CheckResult::ALLOWED;
    }
    let detail = format!(
        "{} must not include {} in securityContext.capabilities.add",
        bad.phrase(),
        quote_list(&forbidden)
    );
    CheckResult::forbidden("non-default capabilities", detail, bad.fields)
}

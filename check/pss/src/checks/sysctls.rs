//! `sysctls` (baseline): only the safe sysctls may be set in `spec.securityContext.sysctls`.
//! The safe set grows at v1.27, v1.29, v1.32 and v1.37; names match exactly (the slash form
//! `net/ipv4/…` is not normalised) and values are never inspected.

use tailor_kube::{FieldPath, ObjectMeta, PodSpec};

use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "sysctls";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[
        VersionedCheck::new(Version::V1(0), sysctls_1_0),
        VersionedCheck::new(Version::V1(27), sysctls_1_27),
        VersionedCheck::new(Version::V1(29), sysctls_1_29),
        VersionedCheck::new(Version::V1(32), sysctls_1_32),
        VersionedCheck::new(Version::V1(37), sysctls_1_37),
    ],
};

/// The safe sysctls and the version each became safe in.
const SAFE_SYSCTLS: [(&str, Version); 14] = [
    ("kernel.shm_rmid_forced", Version::V1(0)),
    ("net.ipv4.ip_local_port_range", Version::V1(0)),
    ("net.ipv4.tcp_syncookies", Version::V1(0)),
    ("net.ipv4.ping_group_range", Version::V1(0)),
    ("net.ipv4.ip_unprivileged_port_start", Version::V1(0)),
    ("net.ipv4.ip_local_reserved_ports", Version::V1(27)),
    ("net.ipv4.tcp_keepalive_time", Version::V1(29)),
    ("net.ipv4.tcp_fin_timeout", Version::V1(29)),
    ("net.ipv4.tcp_keepalive_intvl", Version::V1(29)),
    ("net.ipv4.tcp_keepalive_probes", Version::V1(29)),
    ("net.ipv4.tcp_rmem", Version::V1(32)),
    ("net.ipv4.tcp_wmem", Version::V1(32)),
    ("net.ipv4.tcp_slow_start_after_idle", Version::V1(37)),
    ("net.ipv4.tcp_notsent_lowat", Version::V1(37)),
];

fn sysctls_1_0(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    forbid_unsafe_sysctls(spec, Version::V1(0))
}

fn sysctls_1_27(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    forbid_unsafe_sysctls(spec, Version::V1(27))
}

fn sysctls_1_29(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    forbid_unsafe_sysctls(spec, Version::V1(29))
}

fn sysctls_1_32(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    forbid_unsafe_sysctls(spec, Version::V1(32))
}

fn sysctls_1_37(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    forbid_unsafe_sysctls(spec, Version::V1(37))
}

fn safe_at(name: &str, version: Version) -> bool {
    SAFE_SYSCTLS
        .iter()
        .any(|&(safe, since)| safe == name && since <= version)
}

/// The rule of the implementation introduced at `version`. Forbidden names are listed in spec
/// order, duplicates kept, unquoted.
fn forbid_unsafe_sysctls(spec: &PodSpec, version: Version) -> CheckResult {
    let sysctls = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.sysctls.as_deref())
        .unwrap_or_default();
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for (i, sysctl) in sysctls.iter().enumerate() {
        if !safe_at(&sysctl.name, version) {
            names.push(sysctl.name.as_str());
            fields.push(FieldPath::keys("spec.securityContext.sysctls").index(i).key("name"));
        }
    }
    if names.is_empty() {
        return CheckResult::ALLOWED;
    }
    CheckResult::forbidden("forbidden sysctls", names.join(", "), fields)
}

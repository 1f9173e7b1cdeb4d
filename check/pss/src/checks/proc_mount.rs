//! `procMount` (baseline): containers must not set a `securityContext.procMount` other than
//! `Default`. From v1.35 user-namespace pods (`hostUsers: false`) are exempt; at restricted
//! v1.35+ it is replaced by `procMount_restricted`, which keeps the unconditional rule.

use std::collections::BTreeSet;

use tailor_kube::{containers, ObjectMeta, PodSpec};

use super::message::{quote_list, Setters};
use super::{is_user_namespace_pod, Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "procMount";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[
        VersionedCheck::new(Version::V1(0), proc_mount_1_0),
        VersionedCheck::new(Version::V1(35), proc_mount_1_35),
    ],
};

/// The rule both checks share: a set `procMount` must be exactly `Default` (`Unmasked`, an
/// empty string or anything else is forbidden).
pub(crate) fn forbid_non_default_proc_mount(spec: &PodSpec) -> CheckResult {
    let mut bad = Setters::default();
    let mut forbidden = BTreeSet::new();
    for c in containers(spec) {
        if let Some(proc_mount) = c.security_context().and_then(|sc| sc.proc_mount.as_deref()) {
            if proc_mount != "Default" {
                forbidden.insert(proc_mount);
                bad.container(c.name(), c.path_to("securityContext.procMount"));
            }
        }
    }
    if bad.is_empty() {
        return CheckResult::ALLOWED;
    }
    let detail = format!(
        "{} must not set securityContext.procMount to {}",
        bad.phrase(),
        quote_list(&forbidden)
    );
    CheckResult::forbidden("procMount", detail, bad.fields)
}

fn proc_mount_1_0(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    forbid_non_default_proc_mount(spec)
}

fn proc_mount_1_35(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    if is_user_namespace_pod(spec) {
        return CheckResult::ALLOWED;
    }
    forbid_non_default_proc_mount(spec)
}

//! `privileged` (baseline, v1.0+): no container may set `securityContext.privileged: true`.
//! There is no pod-level field, and Windows pods are not exempt.

use tailor_kube::{containers, ObjectMeta, PodSpec};

use super::message::Setters;
use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "privileged";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck::new(Version::V1(0), privileged_1_0)],
};

fn privileged_1_0(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut bad = Setters::default();
    for c in containers(spec) {
        if c.security_context().and_then(|sc| sc.privileged) == Some(true) {
            bad.container(c.name(), c.path_to("securityContext.privileged"));
        }
    }
    if bad.is_empty() {
        return CheckResult::ALLOWED;
    }
    let detail = format!("{} must not set securityContext.privileged=true", bad.phrase());
    CheckResult::forbidden("privileged", detail, bad.fields)
}

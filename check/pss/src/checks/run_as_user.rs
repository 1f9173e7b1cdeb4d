//! `runAsUser` (restricted, v1.23+): neither the pod nor any container may set
//! `runAsUser: 0`. From v1.35 user-namespace pods (`hostUsers: false`) are exempt.

use tailor_kube::{containers, FieldPath, ObjectMeta, PodSpec};

use super::message::Setters;
use super::{is_user_namespace_pod, Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "runAsUser";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[
        VersionedCheck::new(Version::V1(23), run_as_user_1_23),
        VersionedCheck::new(Version::V1(35), run_as_user_1_35),
    ],
};

fn run_as_user_1_23(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut bad = Setters::default();
    if spec.security_context.as_ref().and_then(|sc| sc.run_as_user) == Some(0) {
        bad.pod(FieldPath::keys("spec.securityContext.runAsUser"));
    }
    for c in containers(spec) {
        if c.security_context().and_then(|sc| sc.run_as_user) == Some(0) {
            bad.container(c.name(), c.path_to("securityContext.runAsUser"));
        }
    }
    if bad.is_empty() {
        return CheckResult::ALLOWED;
    }
    let detail = format!("{} must not set runAsUser=0", bad.phrase());
    CheckResult::forbidden("runAsUser=0", detail, bad.fields)
}

fn run_as_user_1_35(meta: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    if is_user_namespace_pod(spec) {
        return CheckResult::ALLOWED;
    }
    run_as_user_1_23(meta, spec)
}

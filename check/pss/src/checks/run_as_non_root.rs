//! `runAsNonRoot` (restricted, v1.0+): containers must run with `runAsNonRoot: true`, set on
//! the pod or on each container (`runAsUser` is not consulted). Explicit `false` values hide
//! the implicit (unset) ones. From v1.35 user-namespace pods (`hostUsers: false`) are exempt.
//! Windows pods are not.

use tailor_kube::{containers, FieldPath, ObjectMeta, PodSpec};

use super::message::Setters;
use super::{is_user_namespace_pod, Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "runAsNonRoot";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[
        VersionedCheck::new(Version::V1(0), run_as_non_root_1_0),
        VersionedCheck::new(Version::V1(35), run_as_non_root_1_35),
    ],
};

fn run_as_non_root_1_0(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut explicit = Setters::default();
    let mut implicit = Setters::default();
    let pod_value = spec.security_context.as_ref().and_then(|sc| sc.run_as_non_root);
    if pod_value == Some(false) {
        explicit.pod(FieldPath::keys("spec.securityContext.runAsNonRoot"));
    }
    let pod_covers_containers = pod_value == Some(true);
    for c in containers(spec) {
        match c.security_context().and_then(|sc| sc.run_as_non_root) {
            Some(false) => explicit.container(c.name(), c.path_to("securityContext.runAsNonRoot")),
            Some(true) => {}
            None if !pod_covers_containers => implicit.container(c.name(), c.security_context_or_container()),
            None => {}
        }
    }
    if !explicit.is_empty() {
        let detail = format!("{} must not set securityContext.runAsNonRoot=false", explicit.phrase());
        return CheckResult::forbidden("runAsNonRoot != true", detail, explicit.fields);
    }
    if !implicit.is_empty() {
        let detail = format!(
            "pod or {} must set securityContext.runAsNonRoot=true",
            implicit.phrase()
        );
        return CheckResult::forbidden("runAsNonRoot != true", detail, implicit.fields);
    }
    CheckResult::ALLOWED
}

fn run_as_non_root_1_35(meta: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    if is_user_namespace_pod(spec) {
        return CheckResult::ALLOWED;
    }
    run_as_non_root_1_0(meta, spec)
}

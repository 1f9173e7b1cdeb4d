//! `allowPrivilegeEscalation` (restricted): every container must set
//! `securityContext.allowPrivilegeEscalation: false`. Introduced in v1.8; from v1.25 Windows
//! pods are exempt. Unset fails like `true` does.

use tailor_kube::{containers, ObjectMeta, PodSpec};

use super::message::Setters;
use super::{is_windows_pod, Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "allowPrivilegeEscalation";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[
        VersionedCheck::new(Version::V1(8), allow_privilege_escalation_1_8),
        VersionedCheck::new(Version::V1(25), allow_privilege_escalation_1_25),
    ],
};

fn allow_privilege_escalation_1_8(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut bad = Setters::default();
    for c in containers(spec) {
        let value = c.security_context().and_then(|sc| sc.allow_privilege_escalation);
        if value != Some(false) {
            let field = match value {
                Some(_) => c.path_to("securityContext.allowPrivilegeEscalation"),
                None => c.security_context_or_container(),
            };
            bad.container(c.name(), field);
        }
    }
    if bad.is_empty() {
        return CheckResult::ALLOWED;
    }
    let detail = format!(
        "{} must set securityContext.allowPrivilegeEscalation=false",
        bad.phrase()
    );
    CheckResult::forbidden("allowPrivilegeEscalation != false", detail, bad.fields)
}

fn allow_privilege_escalation_1_25(meta: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    if is_windows_pod(spec) {
        return CheckResult::ALLOWED;
    }
    allow_privilege_escalation_1_8(meta, spec)
}

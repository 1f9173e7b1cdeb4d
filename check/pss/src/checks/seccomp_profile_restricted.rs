//! `seccompProfile_restricted` (restricted, v1.19+; replaces `seccompProfile_baseline`):
//! seccomp must be `RuntimeDefault` or `Localhost`, set at pod level or on every container.
//! Explicitly bad values hide the implicit (unset) ones. From v1.25 Windows pods are exempt.

use std::collections::BTreeSet;

use tailor_kube::{containers, FieldPath, ObjectMeta, PodSpec};

use super::message::{quote_list, Setters};
use super::seccomp_profile_baseline::{self, forbidden_profile};
use super::{is_windows_pod, Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "seccompProfile_restricted";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[
        VersionedCheck::new(Version::V1(19), seccomp_profile_restricted_1_19)
            .overriding(&[seccomp_profile_baseline::ID]),
        VersionedCheck::new(Version::V1(25), seccomp_profile_restricted_1_25)
            .overriding(&[seccomp_profile_baseline::ID]),
    ],
};

fn seccomp_profile_restricted_1_19(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut explicit = Setters::default();
    let mut implicit = Setters::default();
    let mut bad_types = BTreeSet::new();
    let mut pod_covers_containers = false;
    if let Some(profile) = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.seccomp_profile.as_ref())
    {
        if forbidden_profile(&profile) {
            bad_types.insert(profile.type_.as_str());
            explicit.pod(FieldPath::keys("spec.securityContext.seccompProfile.type"));
        } else {
            pod_covers_containers = true;
        }
    }
    for c in containers(spec) {
        match c.security_context().and_then(|sc| sc.seccomp_profile.as_ref()) {
            Some(profile) if forbidden_profile(&profile) => {
                bad_types.insert(profile.type_.as_str());
                explicit.container(c.name(), c.path_to("securityContext.seccompProfile.type"));
            }
            Some(_) => {}
            None if !pod_covers_containers => implicit.container(c.name(), c.security_context_or_container()),
            None => {}
        }
    }
    if !explicit.is_empty() {
        let detail = format!(
            "{} must not set securityContext.seccompProfile.type to {}",
            explicit.phrase(),
            quote_list(&bad_types)
        );
        return CheckResult::forbidden("seccompProfile", detail, explicit.fields);
    }
    if !implicit.is_empty() {
        let detail = format!(
            r#"pod or {} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost""#,
            implicit.phrase()
        );
        return CheckResult::forbidden("seccompProfile", detail, implicit.fields);
    }
    CheckResult::ALLOWED
}

fn seccomp_profile_restricted_1_25(meta: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    if is_windows_pod(spec) {
        return CheckResult::ALLOWED;
    }
    seccomp_profile_restricted_1_19(meta, spec)
}

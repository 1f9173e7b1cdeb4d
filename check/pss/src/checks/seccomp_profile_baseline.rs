//! `seccompProfile_baseline` (baseline): seccomp must not be unconfined. v1.0 to v1.18 read
//! the alpha annotations; from v1.19 only the `seccompProfile` fields count. Replaced at
//! restricted from v1.19 by `seccompProfile_restricted`.

use std::collections::{BTreeMap, BTreeSet};

use tailor_kube::k8s_openapi::api::core::v1::SeccompProfile;
use tailor_kube::{containers, FieldPath, ObjectMeta, PodSpec};

use super::message::{go_quote, pluralize, quote_list, Setters};
use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "seccompProfile_baseline";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[
        VersionedCheck::new(Version::V1(0), seccomp_profile_baseline_1_0),
        VersionedCheck::new(Version::V1(19), seccomp_profile_baseline_1_19),
    ],
};

const POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

/// A present `seccompProfile` must have type `RuntimeDefault` or `Localhost`; `Unconfined`,
/// an empty string or anything else is forbidden. Shared with the restricted check.
pub(crate) fn forbidden_profile(profile: &&SeccompProfile) -> bool {
    !matches!(profile.type_.as_str(), "RuntimeDefault" | "Localhost")
}

fn allowed_annotation_value(value: &str) -> bool {
    value == "runtime/default" || value == "docker/default" || value.starts_with("localhost/")
}

/// The pod annotation, and the container annotations of containers that exist (annotations
/// naming no container are ignored).
fn seccomp_profile_baseline_1_0(meta: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let Some(annotations) = meta.annotations.as_ref() else {
        return CheckResult::ALLOWED;
    };
    // `key="value"` entries as a sorted set, each with its annotation's path.
    let mut forbidden: BTreeMap<String, FieldPath> = BTreeMap::new();
    let mut inspect = |key: &str| {
        if let Some(value) = annotations.get(key).filter(|v| !allowed_annotation_value(v)) {
            forbidden
                .entry(format!("{key}={}", go_quote(value)))
                .or_insert_with(|| FieldPath::keys("metadata.annotations").key(key));
        }
    };
    inspect(POD_ANNOTATION);
    for c in containers(spec) {
        inspect(&format!("{CONTAINER_ANNOTATION_PREFIX}{}", c.name()));
    }
    if forbidden.is_empty() {
        return CheckResult::ALLOWED;
    }
    let detail = format!(
        "forbidden {} {}",
        pluralize("annotation", "annotations", forbidden.len()),
        forbidden.keys().map(String::as_str).collect::<Vec<_>>().join(", ")
    );
    CheckResult::forbidden("seccompProfile", detail, forbidden.into_values().collect())
}

fn seccomp_profile_baseline_1_19(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut bad = Setters::default();
    let mut bad_types = BTreeSet::new();
    let pod_profile = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.seccomp_profile.as_ref());
    if let Some(profile) = pod_profile.filter(forbidden_profile) {
        bad_types.insert(profile.type_.as_str());
        bad.pod(FieldPath::keys("spec.securityContext.seccompProfile.type"));
    }
    for c in containers(spec) {
        let profile = c.security_context().and_then(|sc| sc.seccomp_profile.as_ref());
        if let Some(profile) = profile.filter(forbidden_profile) {
            bad_types.insert(profile.type_.as_str());
            bad.container(c.name(), c.path_to("securityContext.seccompProfile.type"));
        }
    }
    if bad.is_empty() {
        return CheckResult::ALLOWED;
    }
    let detail = format!(
        "{} must not set securityContext.seccompProfile.type to {}",
        bad.phrase(),
        quote_list(&bad_types)
    );
    CheckResult::forbidden("seccompProfile", detail, bad.fields)
}

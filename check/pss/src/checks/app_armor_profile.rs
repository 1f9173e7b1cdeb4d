//! `appArmorProfile` (baseline, v1.0+, one implementation): the AppArmor profile fields of the
//! pod and of every container, and every `container.apparmor.security.beta.kubernetes.io/*`
//! annotation (even for containers that do not exist), must not select an unconfined or
//! unknown profile.

use std::collections::BTreeSet;

use tailor_kube::k8s_openapi::api::core::v1::AppArmorProfile;
use tailor_kube::{containers, FieldPath, ObjectMeta, PodSpec};

use super::message::{go_quote, pluralize, quote_list, Setters};
use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "appArmorProfile";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck::new(Version::V1(0), app_armor_profile_1_0)],
};

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

/// A present profile must be `RuntimeDefault` or `Localhost` (an absent one is fine).
fn forbidden_profile(profile: &&AppArmorProfile) -> bool {
    !matches!(profile.type_.as_str(), "RuntimeDefault" | "Localhost")
}

/// Empty, `runtime/default`, or any `localhost/…` profile.
fn allowed_annotation_value(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

fn app_armor_profile_1_0(meta: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut bad = Setters::default();
    let mut bad_types = BTreeSet::new();

    let pod_profile = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.app_armor_profile.as_ref());
    if let Some(profile) = pod_profile.filter(forbidden_profile) {
        bad_types.insert(profile.type_.as_str());
        bad.pod(FieldPath::keys("spec.securityContext.appArmorProfile.type"));
    }
    for c in containers(spec) {
        let profile = c.security_context().and_then(|sc| sc.app_armor_profile.as_ref());
        if let Some(profile) = profile.filter(forbidden_profile) {
            bad_types.insert(profile.type_.as_str());
            bad.container(c.name(), c.path_to("securityContext.appArmorProfile.type"));
        }
    }

    // `key="value"` entries, sorted as whole strings (not by key).
    let mut bad_annotations: Vec<(String, &str)> = meta
        .annotations
        .iter()
        .flatten()
        .filter(|(key, value)| key.starts_with(ANNOTATION_PREFIX) && !allowed_annotation_value(value))
        .map(|(key, value)| (format!("{key}={}", go_quote(value)), key.as_str()))
        .collect();
    bad_annotations.sort();

    if bad.is_empty() && bad_annotations.is_empty() {
        return CheckResult::ALLOWED;
    }
    // Field values first (sorted set), then the annotation entries appended.
    let mut bad_values: Vec<&str> = bad_types.into_iter().collect();
    bad_values.extend(bad_annotations.iter().map(|(entry, _)| entry.as_str()));
    let annotations_setter =
        (!bad_annotations.is_empty()).then(|| pluralize("annotation", "annotations", bad_annotations.len()));
    let detail = format!(
        "{} must not set AppArmor profile type to {}",
        bad.phrase_with(annotations_setter),
        quote_list(&bad_values)
    );
    let reason = pluralize(
        "forbidden AppArmor profile",
        "forbidden AppArmor profiles",
        bad_values.len(),
    );
    let mut fields = bad.fields;
    fields.extend(
        bad_annotations
            .iter()
            .map(|(_, key)| FieldPath::keys("metadata.annotations").key(*key)),
    );
    CheckResult::forbidden(reason, detail, fields)
}

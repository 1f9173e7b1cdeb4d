//! `seLinuxOptions` (baseline): the pod's and every container's `seLinuxOptions` must use an
//! allowed `type` and set neither `user` nor `role` (`level` is never inspected). v1.31 adds
//! `container_engine_t` to the allowed types.

use std::collections::BTreeSet;

use tailor_kube::k8s_openapi::api::core::v1::SELinuxOptions;
use tailor_kube::{containers, FieldPath, ObjectMeta, PodSpec};

use super::message::{pluralize, quote_list, Setters};
use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "seLinuxOptions";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[
        VersionedCheck::new(Version::V1(0), se_linux_options_1_0),
        VersionedCheck::new(Version::V1(31), se_linux_options_1_31),
    ],
};

/// Allowed `type` values and the version each is allowed from (empty means unset).
const ALLOWED_TYPES: [(&str, Version); 5] = [
    ("", Version::V1(0)),
    ("container_t", Version::V1(0)),
    ("container_init_t", Version::V1(0)),
    ("container_kvm_t", Version::V1(0)),
    ("container_engine_t", Version::V1(31)),
];

fn se_linux_options_1_0(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    forbid_se_linux_options(spec, Version::V1(0))
}

fn se_linux_options_1_31(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    forbid_se_linux_options(spec, Version::V1(31))
}

fn allowed_type(selinux_type: &str, version: Version) -> bool {
    ALLOWED_TYPES
        .iter()
        .any(|&(allowed, since)| allowed == selinux_type && since <= version)
}

/// What is wrong across all the options objects of a pod.
#[derive(Default)]
struct Problems<'a> {
    types: BTreeSet<&'a str>,
    user: bool,
    role: bool,
}

impl<'a> Problems<'a> {
    /// Records the problems of one options object at `path`; returns the offending fields
    /// (empty when the object is fine).
    fn inspect(
        &mut self,
        options: &'a SELinuxOptions,
        version: Version,
        path: impl Fn() -> FieldPath,
    ) -> Vec<FieldPath> {
        let mut fields = Vec::new();
        let selinux_type = options.type_.as_deref().unwrap_or_default();
        if !allowed_type(selinux_type, version) {
            self.types.insert(selinux_type);
            fields.push(path().key("type"));
        }
        if options.user.as_deref().is_some_and(|u| !u.is_empty()) {
            self.user = true;
            fields.push(path().key("user"));
        }
        if options.role.as_deref().is_some_and(|r| !r.is_empty()) {
            self.role = true;
            fields.push(path().key("role"));
        }
        fields
    }
}

/// The rule of the implementation introduced at `version`.
fn forbid_se_linux_options(spec: &PodSpec, version: Version) -> CheckResult {
    let mut problems = Problems::default();
    let mut bad = Setters::default();
    let pod_options = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.se_linux_options.as_ref());
    if let Some(options) = pod_options {
        let fields = problems.inspect(options, version, || {
            FieldPath::keys("spec.securityContext.seLinuxOptions")
        });
        if !fields.is_empty() {
            bad.pod_fields(fields);
        }
    }
    for c in containers(spec) {
        if let Some(options) = c.security_context().and_then(|sc| sc.se_linux_options.as_ref()) {
            let fields = problems.inspect(options, version, || c.path_to("securityContext.seLinuxOptions"));
            if !fields.is_empty() {
                bad.container_fields(c.name(), fields);
            }
        }
    }
    if bad.is_empty() {
        return CheckResult::ALLOWED;
    }
    let mut parts = Vec::with_capacity(3);
    if !problems.types.is_empty() {
        parts.push(format!(
            "{} {}",
            pluralize("type", "types", problems.types.len()),
            quote_list(&problems.types)
        ));
    }
    if problems.user {
        parts.push("user may not be set".to_owned());
    }
    if problems.role {
        parts.push("role may not be set".to_owned());
    }
    let detail = format!(
        "{} set forbidden securityContext.seLinuxOptions: {}",
        bad.phrase(),
        parts.join("; ")
    );
    CheckResult::forbidden("seLinuxOptions", detail, bad.fields)
}

//! The Pod Security checks, one module per check ID.
//!
//! Like the reference library, a check is an ID, a level and a list of *versioned
//! implementations*: each applies from its `min_version` up to the next one's, and may name
//! baseline checks that it replaces at the restricted level (see [`crate::registry`]). An
//! implementation is a plain function of the pod's metadata and spec; it returns a
//! [`CheckResult`] whose reason and detail are byte-for-byte the reference text.
//!
//! Shared pieces: `tailor_kube::containers` walks the containers in the reference order and
//! names their field paths; `message` holds the text helpers (pluralisation, quote lists, Go
//! `%q`, setter phrases) every message is built from.

use tailor_kube::{FieldPath, ObjectMeta, PodSpec};

use crate::{Level, Version};

pub(crate) mod message;

pub mod allow_privilege_escalation;
pub mod app_armor_profile;
pub mod capabilities_baseline;
pub mod capabilities_restricted;
pub mod host_namespaces;
pub mod host_path_volumes;
pub mod host_ports;
pub mod host_probes_and_host_lifecycle;
pub mod privileged;
pub mod proc_mount;
pub mod proc_mount_restricted;
pub mod restricted_volumes;
pub mod run_as_non_root;
pub mod run_as_user;
pub mod se_linux_options;
pub mod seccomp_profile_baseline;
pub mod seccomp_profile_restricted;
pub mod sysctls;
pub mod windows_host_process;

/// The outcome of one check implementation on one pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckResult {
    pub allowed: bool,
    /// Short reason (empty when allowed), e.g. `host namespaces`.
    pub reason: String,
    /// Specifics (may be empty), e.g. `hostNetwork=true`.
    pub detail: String,
    /// The offending fields, relative to the pod; for a missing field, the nearest object
    /// that exists and must carry it.
    pub fields: Vec<FieldPath>,
}

impl CheckResult {
    /// Allowed. Allocation-free, since almost every check on almost every pod ends here.
    pub const ALLOWED: CheckResult = CheckResult {
        allowed: true,
        reason: String::new(),
        detail: String::new(),
        fields: Vec::new(),
    };

    pub fn forbidden(reason: &str, detail: String, fields: Vec<FieldPath>) -> CheckResult {
        CheckResult {
            allowed: false,
            reason: reason.to_owned(),
            detail,
            fields,
        }
    }
}

/// A check implementation.
pub type CheckFn = fn(&ObjectMeta, &PodSpec) -> CheckResult;

/// One implementation of a check and the versions it applies from.
#[derive(Clone, Copy, Debug)]
pub struct VersionedCheck {
    /// The first policy version this implementation applies to (never `latest`).
    pub min_version: Version,
    pub check: CheckFn,
    /// IDs of baseline checks this (restricted) implementation replaces while it is active.
    pub overrides: &'static [&'static str],
}

impl VersionedCheck {
    pub const fn new(min_version: Version, check: CheckFn) -> VersionedCheck {
        VersionedCheck {
            min_version,
            check,
            overrides: &[],
        }
    }

    pub const fn overriding(self, overrides: &'static [&'static str]) -> VersionedCheck {
        VersionedCheck { overrides, ..self }
    }
}

/// A Pod Security check: its ID, its level and its implementations in ascending version order.
#[derive(Debug)]
pub struct Check {
    pub id: &'static str,
    pub level: Level,
    pub versions: &'static [VersionedCheck],
}

impl Check {
    /// The implementation active at the numbered policy version `version`: the last one whose
    /// minimum version is not newer. `None` before the check was introduced.
    pub fn at(&self, version: Version) -> Option<&'static VersionedCheck> {
        self.versions.iter().rev().find(|v| v.min_version <= version)
    }
}

/// Every registered check, in no particular order (the registry sorts them).
pub static ALL: [&Check; 19] = [
    &allow_privilege_escalation::CHECK,
    &app_armor_profile::CHECK,
    &capabilities_baseline::CHECK,
    &capabilities_restricted::CHECK,
    &host_namespaces::CHECK,
    &host_path_volumes::CHECK,
    &host_ports::CHECK,
    &host_probes_and_host_lifecycle::CHECK,
    &privileged::CHECK,
    &proc_mount::CHECK,
    &proc_mount_restricted::CHECK,
    &restricted_volumes::CHECK,
    &run_as_non_root::CHECK,
    &run_as_user::CHECK,
    &se_linux_options::CHECK,
    &seccomp_profile_baseline::CHECK,
    &seccomp_profile_restricted::CHECK,
    &sysctls::CHECK,
    &windows_host_process::CHECK,
];

/// `spec.os.name` is exactly `windows`: the three v1.25+ Windows exemptions key on this.
pub(crate) fn is_windows_pod(spec: &PodSpec) -> bool {
    spec.os.as_ref().is_some_and(|os| os.name == "windows")
}

/// `spec.hostUsers` is present and `false` (absent means true): the v1.35+ relaxations.
pub(crate) fn is_user_namespace_pod(spec: &PodSpec) -> bool {
    spec.host_users == Some(false)
}

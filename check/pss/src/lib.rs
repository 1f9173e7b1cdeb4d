//! # tailor-pss: the Pod Security Standards, exactly as admission applies them
//!
//! A re-implementation of the reference `k8s.io/pod-security-admission` policy library:
//! levels (`privileged`, `baseline`, `restricted`), policy versions `v1.0` … `v1.37` and
//! `latest`, one small module per check under [`checks`], each check a list of versioned
//! behaviours, and a [`registry`] that picks the behaviour active at a version, applies
//! restricted's overrides of baseline checks and runs them in the reference order. Reasons,
//! details and the aggregated message are byte-for-byte those of the admission plugin.
//!
//! Input is a pod's metadata and spec *after* the API-server defaulting admission relies on
//! (`tailor_kube::defaults`). Pure: no I/O, no async. Depends on `tailor-kube` only.
//!
//! Entry points: [`evaluate`] (one level and version), [`strictest_level`], [`check_ids`] (what
//! runs, in order) and [`check_result`] (one check implementation alone, as the upstream unit
//! tests call it). Every [`Violation`] also names the offending fields, so a finding can be
//! pointed at a line of the manifest.

mod level;
mod version;

pub use level::Level;
pub use version::{Version, MAX_VERSION};

use tailor_kube::{FieldPath, ObjectMeta, PodSpec};

/// One check that forbids the pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Check ID, e.g. `allowPrivilegeEscalation`, `capabilities_restricted`.
    pub check: &'static str,
    pub reason: String,
    pub detail: String,
    /// The offending fields, relative to the pod (`spec.…`, `metadata.annotations.…`); for a
    /// missing field, the object that must carry it (e.g. the container).
    pub fields: Vec<FieldPath>,
}

/// The result of evaluating one pod at one level and version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evaluation {
    pub level: Level,
    /// The version as requested (shown in messages as given).
    pub version: Version,
    /// The numbered policy version actually applied (`latest` and newer versions are capped).
    pub policy_version: Version,
    /// Forbidding checks in the reference evaluation order.
    pub violations: Vec<Violation>,
}

impl Evaluation {
    pub fn allowed(&self) -> bool {
        self.violations.is_empty()
    }

    /// Reasons in order, an empty one written as `unknown forbidden reason`.
    pub fn reasons(&self) -> Vec<&str> {
        self.violations
            .iter()
            .map(|v| {
                if v.reason.is_empty() {
                    "unknown forbidden reason"
                } else {
                    v.reason.as_str()
                }
            })
            .collect()
    }

    /// Reasons joined with `", "` (what the namespace dry-run groups by).
    pub fn aggregate_reason(&self) -> String {
        self.reasons().join(", ")
    }

    /// `reason (detail)` for each violation, joined with `", "`.
    pub fn aggregate_detail(&self) -> String {
        let mut out = String::new();
        for (i, (v, reason)) in self.violations.iter().zip(self.reasons()).enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(reason);
            if !v.detail.is_empty() {
                out.push_str(" (");
                out.push_str(&v.detail);
                out.push(')');
            }
        }
        out
    }

    /// The text admission puts after `forbidden: `, or `""` when allowed:
    /// `violates PodSecurity "restricted:latest": <aggregated detail>`.
    pub fn message(&self) -> String {
        if self.allowed() {
            return String::new();
        }
        format!(
            "violates PodSecurity \"{}:{}\": {}",
            self.level,
            self.version,
            self.aggregate_detail()
        )
    }
}

pub mod admission;
pub mod checks;
pub mod registry;

pub use checks::CheckResult;
pub use registry::{check_ids, check_result, evaluate};

/// The strictest level `pod` satisfies at `version`, and the evaluation of the next stricter
/// level that it fails (`None` when it meets `restricted`).
pub fn strictest_level(version: Version, metadata: &ObjectMeta, spec: &PodSpec) -> (Level, Option<Evaluation>) {
    let baseline = evaluate(Level::Baseline, version, metadata, spec);
    if !baseline.allowed() {
        return (Level::Privileged, Some(baseline));
    }
    let restricted = evaluate(Level::Restricted, version, metadata, spec);
    if !restricted.allowed() {
        return (Level::Baseline, Some(restricted));
    }
    (Level::Restricted, None)
}

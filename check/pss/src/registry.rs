//! The check registry. (Filled in by the PSS engine work.)
use crate::{Evaluation, Level, Version};
use tailor_kube::{ObjectMeta, PodSpec};

/// Evaluates a pod at `level` and `version`, exactly as the admission library does.
pub fn evaluate(level: Level, version: Version, metadata: &ObjectMeta, spec: &PodSpec) -> Evaluation {
    let _ = (metadata, spec);
    Evaluation {
        level,
        version,
        policy_version: version.policy(),
        violations: Vec::new(),
    }
}

//! `hostNamespaces` (baseline, v1.0+): `spec.hostNetwork`, `spec.hostPID` and `spec.hostIPC`
//! must not be `true`.

use tailor_kube::{FieldPath, ObjectMeta, PodSpec};

use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "hostNamespaces";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck::new(Version::V1(0), host_namespaces_1_0)],
};

fn host_namespaces_1_0(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    // Always reported in this order, whatever the manifest's order.
    let namespaces = [
        ("hostNetwork", spec.host_network),
        ("hostPID", spec.host_pid),
        ("hostIPC", spec.host_ipc),
    ];
    let mut shared = Vec::new();
    let mut fields = Vec::new();
    for (field, value) in namespaces {
        if value == Some(true) {
            shared.push(format!("{field}=true"));
            fields.push(FieldPath::keys("spec").key(field));
        }
    }
    if shared.is_empty() {
        return CheckResult::ALLOWED;
    }
    CheckResult::forbidden("host namespaces", shared.join(", "), fields)
}

//! `hostPathVolumes` (baseline, v1.0+): no `hostPath` volumes. At restricted it is always
//! replaced by `restrictedVolumes`.

use tailor_kube::{FieldPath, ObjectMeta, PodSpec};

use super::message::{pluralize, quote_list};
use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "hostPathVolumes";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck::new(Version::V1(0), host_path_volumes_1_0)],
};

fn host_path_volumes_1_0(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut names = Vec::new();
    let mut fields = Vec::new();
    for (i, volume) in spec.volumes.iter().flatten().enumerate() {
        if volume.host_path.is_some() {
            names.push(volume.name.as_str());
            fields.push(FieldPath::keys("spec.volumes").index(i).key("hostPath"));
        }
    }
    if names.is_empty() {
        return CheckResult::ALLOWED;
    }
    let detail = format!("{} {}", pluralize("volume", "volumes", names.len()), quote_list(&names));
    CheckResult::forbidden("hostPath volumes", detail, fields)
}

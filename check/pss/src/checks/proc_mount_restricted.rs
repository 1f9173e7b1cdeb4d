//! `procMount_restricted` (restricted, v1.35+; replaces `procMount`): the unconditional
//! `procMount` rule, whatever `hostUsers` says, so restricted never allows `Unmasked`.

use tailor_kube::{ObjectMeta, PodSpec};

use super::proc_mount::{self, forbid_non_default_proc_mount};
use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "procMount_restricted";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[VersionedCheck::new(Version::V1(35), proc_mount_restricted_1_35).overriding(&[proc_mount::ID])],
};

fn proc_mount_restricted_1_35(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    forbid_non_default_proc_mount(spec)
}

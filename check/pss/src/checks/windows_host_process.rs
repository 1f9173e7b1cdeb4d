//! `windowsHostProcess` (baseline, v1.0+): neither the pod nor any container may set
//! `securityContext.windowsOptions.hostProcess: true`.

use tailor_kube::{containers, FieldPath, ObjectMeta, PodSpec};

use super::message::Setters;
use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "windowsHostProcess";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck::new(Version::V1(0), windows_host_process_1_0)],
};

fn windows_host_process_1_0(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut bad = Setters::default();
    let pod_host_process = spec
        .security_context
        .as_ref()
        .and_then(|sc| sc.windows_options.as_ref())
        .and_then(|w| w.host_process);
    if pod_host_process == Some(true) {
        bad.pod(FieldPath::keys("spec.securityContext.windowsOptions.hostProcess"));
    }
    for c in containers(spec) {
        let host_process = c
            .security_context()
            .and_then(|sc| sc.windows_options.as_ref())
            .and_then(|w| w.host_process);
        if host_process == Some(true) {
            bad.container(c.name(), c.path_to("securityContext.windowsOptions.hostProcess"));
        }
    }
    if bad.is_empty() {
        return CheckResult::ALLOWED;
    }
    let detail = format!(
        "{} must not set securityContext.windowsOptions.hostProcess=true",
        bad.phrase()
    );
    CheckResult::forbidden("hostProcess", detail, bad.fields)
}

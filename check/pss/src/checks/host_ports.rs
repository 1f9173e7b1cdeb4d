//! `hostPorts` (baseline, v1.0+): no container port may set a non-zero `hostPort`.

use std::collections::BTreeSet;

use tailor_kube::{containers, ObjectMeta, PodSpec};

use super::message::{pluralize, Setters};
use super::{Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "hostPorts";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Baseline,
    versions: &[VersionedCheck::new(Version::V1(0), host_ports_1_0)],
};

fn host_ports_1_0(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut bad = Setters::default();
    // Distinct ports sorted as decimal strings ("10000" before "8080"), like the reference.
    let mut ports = BTreeSet::new();
    for c in containers(spec) {
        let mut fields = Vec::new();
        for (j, port) in c.ports().iter().enumerate() {
            let host_port = port.host_port.unwrap_or(0);
            if host_port != 0 {
                ports.insert(host_port.to_string());
                fields.push(c.path_to("ports").index(j).key("hostPort"));
            }
        }
        if !fields.is_empty() {
            bad.container_fields(c.name(), fields);
        }
    }
    if bad.is_empty() {
        return CheckResult::ALLOWED;
    }
    let detail = format!(
        "{} {} {} {}",
        bad.phrase(),
        pluralize("uses", "use", bad.container_count()),
        pluralize("hostPort", "hostPorts", ports.len()),
        ports.into_iter().collect::<Vec<_>>().join(", "),
    );
    CheckResult::forbidden("hostPort", detail, bad.fields)
}

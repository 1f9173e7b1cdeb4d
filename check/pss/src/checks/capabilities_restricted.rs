//! `capabilities_restricted` (restricted, v1.22+; replaces `capabilities_baseline`): every
//! container must drop `ALL` and may add only `NET_BIND_SERVICE`. From v1.25 Windows pods are
//! exempt.

use std::collections::BTreeSet;

use tailor_kube::{containers, ObjectMeta, PodSpec};

use super::message::{quote_list, Setters};
use super::{capabilities_baseline, is_windows_pod, Check, CheckResult, VersionedCheck};
use crate::{Level, Version};

pub const ID: &str = "capabilities_restricted";

pub static CHECK: Check = Check {
    id: ID,
    level: Level::Restricted,
    versions: &[
        VersionedCheck::new(Version::V1(22), capabilities_restricted_1_22).overriding(&[capabilities_baseline::ID]),
        VersionedCheck::new(Version::V1(25), capabilities_restricted_1_25).overriding(&[capabilities_baseline::ID]),
    ],
};

fn capabilities_restricted_1_22(_: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    let mut missing_drop_all = Setters::default();
    let mut adding_forbidden = Setters::default();
    let mut forbidden = BTreeSet::new();
    for c in containers(spec) {
        let Some(caps) = c.security_context().and_then(|sc| sc.capabilities.as_ref()) else {
            // Nothing else is checked for a container without capabilities.
            missing_drop_all.container(c.name(), c.security_context_or_container());
            continue;
        };
        // Exactly `ALL`: neither `all` nor every capability by name counts.
        if !caps.drop.iter().flatten().any(|d| d == "ALL") {
            let field = match caps.drop {
                Some(_) => c.path_to("securityContext.capabilities.drop"),
                None => c.path_to("securityContext.capabilities"),
            };
            missing_drop_all.container(c.name(), field);
        }
        let mut fields = Vec::new();
        for (j, capability) in caps.add.iter().flatten().enumerate() {
            if capability != "NET_BIND_SERVICE" {
                forbidden.insert(capability.as_str());
                fields.push(c.path_to("securityContext.capabilities.add").index(j));
            }
        }
        if !fields.is_empty() {
            adding_forbidden.container_fields(c.name(), fields);
        }
    }
    let mut details = Vec::with_capacity(2);
    if !missing_drop_all.is_empty() {
        details.push(format!(
            r#"{} must set securityContext.capabilities.drop=["ALL"]"#,
            missing_drop_all.phrase()
        ));
    }
    if !adding_forbidden.is_empty() {
        details.push(format!(
            "{} must not include {} in securityContext.capabilities.add",
            adding_forbidden.phrase(),
            quote_list(&forbidden)
        ));
    }
    if details.is_empty() {
        return CheckResult::ALLOWED;
    }
    let mut fields = missing_drop_all.fields;
    fields.extend(adding_forbidden.fields);
    CheckResult::forbidden("unrestricted capabilities", details.join("; "), fields)
}

fn capabilities_restricted_1_25(meta: &ObjectMeta, spec: &PodSpec) -> CheckResult {
    if is_windows_pod(spec) {
        return CheckResult::ALLOWED;
    }
    capabilities_restricted_1_22(meta, spec)
}

//! The rule registry: every finding Tailor reports is tied to one [`Rule`] with a stable ID,
//! a severity, ATT&CK for Containers techniques and a remediation.
//!
//! Each family of rules lives in its own module with its own `RULES` table; [`all`] chains
//! them, and a test keeps IDs unique. What the families share: `Hits` for the rules that look
//! at one pod, `capabilities` for capability names and `text` for the wording of messages.

pub mod attack;
mod capabilities;
pub mod gpu;
pub mod network;
pub mod pss;
pub mod rbac;
pub mod seccomp;
mod text;
pub mod workload;

use tailor_kube::{FieldPath, PodTemplate};

use crate::report::Severity;
use crate::Hit;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Stable ID, e.g. `PSS-privileged`, `TLR-RUNTIME-SOCKET`.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Why it matters: what an attacker gains.
    pub rationale: &'static str,
    pub remediation: &'static str,
    /// MITRE ATT&CK technique IDs (Containers matrix).
    pub attack: &'static [&'static str],
    /// Microsoft Threat Matrix for Kubernetes technique ID, where one exists.
    pub ms_threat_matrix: Option<&'static str>,
}

/// Every rule of every family.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    [
        pss::RULES,
        workload::RULES,
        gpu::RULES,
        rbac::RULES,
        network::RULES,
        seccomp::RULES,
    ]
    .into_iter()
    .flatten()
    .chain(std::iter::once(&crate::exemptions::EXPIRED_RULE))
}

/// Looks a rule up by ID.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    all().find(|rule| rule.id == id)
}

/// Collects the hits of the rules that look at one pod, placing fields (relative to the pod)
/// in the object.
pub(crate) struct Hits<'p> {
    pod: &'p PodTemplate,
    hits: Vec<Hit>,
}

impl<'p> Hits<'p> {
    pub fn new(pod: &'p PodTemplate) -> Self {
        Hits { pod, hits: Vec::new() }
    }

    pub fn add(&mut self, rule: &'static Rule, field: FieldPath, container: Option<&str>, message: String) {
        self.hits.push(Hit {
            rule,
            message,
            field: self.pod.path.join(&field),
            container: container.map(str::to_owned),
        });
    }

    pub fn into_hits(self) -> Vec<Hit> {
        self.hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_rules_are_complete() {
        let mut ids: Vec<&str> = all().map(|r| r.id).collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "rule IDs must be unique");
        for rule in all() {
            assert!(
                !rule.title.is_empty() && !rule.rationale.is_empty() && !rule.remediation.is_empty(),
                "{}",
                rule.id
            );
            for technique in rule.attack {
                assert!(
                    attack::name(technique).is_some(),
                    "{}: unknown ATT&CK technique {technique}",
                    rule.id
                );
            }
        }
    }
}

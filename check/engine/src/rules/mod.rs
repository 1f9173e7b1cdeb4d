//! The rule registry: every finding Tailor reports is tied to one [`Rule`] with a stable ID,
//! a severity, ATT&CK for Containers techniques and a remediation.
//!
//! Each family of rules lives in its own module with its own `RULES` table; [`all`] chains
//! them, and a test keeps IDs unique.

pub mod attack;
pub mod gpu;
pub mod network;
pub mod pss;
pub mod rbac;
pub mod workload;

use crate::report::Severity;

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
    [pss::RULES, workload::RULES, gpu::RULES, rbac::RULES, network::RULES]
        .into_iter()
        .flatten()
        .chain(std::iter::once(&crate::exemptions::EXPIRED_RULE))
}

/// Looks a rule up by ID.
pub fn by_id(id: &str) -> Option<&'static Rule> {
    all().find(|rule| rule.id == id)
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

//! The ATT&CK tactics of the techniques rules cite, for the heat map of the HTML report.
//! Technique IDs and names live in `tailor_check::rules::attack`; this adds only what a
//! technique is used for (its tactics, as the ATT&CK for Containers matrix lists them).

use tailor_check::rules::attack as technique;

/// ATT&CK for Containers tactics, in the matrix's column order.
pub const TACTICS: &[&str] = &[
    "Initial Access",
    "Execution",
    "Persistence",
    "Privilege Escalation",
    "Defense Evasion",
    "Credential Access",
    "Discovery",
    "Lateral Movement",
    "Impact",
];

const TACTICS_OF: &[(&str, &[&str])] = &[
    (technique::ESCAPE_TO_HOST, &["Privilege Escalation"]),
    (technique::DEPLOY_CONTAINER, &["Execution", "Defense Evasion"]),
    (technique::CONTAINER_ADMINISTRATION_COMMAND, &["Execution"]),
    (technique::PRIVILEGE_ESCALATION_EXPLOIT, &["Privilege Escalation"]),
    (technique::SETUID_SETGID, &["Privilege Escalation", "Defense Evasion"]),
    (technique::DISABLE_DEFENSES, &["Defense Evasion"]),
    (technique::NETWORK_SNIFFING, &["Credential Access", "Discovery"]),
    (technique::ROOTKIT, &["Defense Evasion"]),
    (technique::STEAL_APPLICATION_ACCESS_TOKEN, &["Credential Access"]),
    (technique::CONTAINER_API, &["Credential Access"]),
    (technique::CLOUD_INSTANCE_METADATA_API, &["Credential Access"]),
    (technique::CREDENTIALS_IN_FILES, &["Credential Access"]),
    (
        technique::ADDITIONAL_CONTAINER_CLUSTER_ROLES,
        &["Persistence", "Privilege Escalation"],
    ),
    (technique::RESOURCE_HIJACKING, &["Impact"]),
    (
        technique::VALID_ACCOUNTS_DEFAULT,
        &[
            "Initial Access",
            "Persistence",
            "Privilege Escalation",
            "Defense Evasion",
        ],
    ),
    (technique::EXTERNAL_REMOTE_SERVICES, &["Initial Access", "Persistence"]),
    (technique::EXPLOIT_PUBLIC_FACING_APPLICATION, &["Initial Access"]),
    (technique::IMPLANT_INTERNAL_IMAGE, &["Persistence"]),
    (technique::ENDPOINT_DENIAL_OF_SERVICE, &["Impact"]),
    (technique::CONTAINER_AND_RESOURCE_DISCOVERY, &["Discovery"]),
    (technique::MALICIOUS_IMAGE, &["Execution"]),
    (technique::LATERAL_TOOL_TRANSFER, &["Lateral Movement"]),
    (technique::EXPLOITATION_OF_REMOTE_SERVICES, &["Lateral Movement"]),
];

/// The tactics a technique serves (empty for an ID not in the matrix, e.g. a Microsoft
/// Threat Matrix ID).
pub fn tactics(technique_id: &str) -> &'static [&'static str] {
    TACTICS_OF
        .iter()
        .find(|(id, _)| *id == technique_id)
        .map(|(_, tactics)| *tactics)
        .unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_technique_rules_cite_has_known_tactics() {
        for (id, _) in technique::TECHNIQUES {
            let tactics = tactics(id);
            assert!(!tactics.is_empty(), "{id} has no tactic");
            assert!(tactics.iter().all(|t| TACTICS.contains(t)), "{id}: {tactics:?}");
        }
    }
}

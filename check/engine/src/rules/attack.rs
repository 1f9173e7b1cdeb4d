//! MITRE ATT&CK for Containers techniques and Microsoft Threat Matrix for Kubernetes IDs that
//! rules refer to, with their names, so reports can show more than a bare ID.

pub const ESCAPE_TO_HOST: &str = "T1611";
pub const DEPLOY_CONTAINER: &str = "T1610";
pub const CONTAINER_ADMINISTRATION_COMMAND: &str = "T1609";
pub const PRIVILEGE_ESCALATION_EXPLOIT: &str = "T1068";
pub const SETUID_SETGID: &str = "T1548.001";
pub const DISABLE_DEFENSES: &str = "T1562.001";
pub const NETWORK_SNIFFING: &str = "T1040";
pub const ROOTKIT: &str = "T1014";
pub const STEAL_APPLICATION_ACCESS_TOKEN: &str = "T1528";
pub const CONTAINER_API: &str = "T1552.007";
pub const CLOUD_INSTANCE_METADATA_API: &str = "T1552.005";
pub const CREDENTIALS_IN_FILES: &str = "T1552.001";
pub const ADDITIONAL_CONTAINER_CLUSTER_ROLES: &str = "T1098.006";
pub const RESOURCE_HIJACKING: &str = "T1496";
pub const VALID_ACCOUNTS_DEFAULT: &str = "T1078.001";
pub const EXTERNAL_REMOTE_SERVICES: &str = "T1133";
pub const EXPLOIT_PUBLIC_FACING_APPLICATION: &str = "T1190";
pub const IMPLANT_INTERNAL_IMAGE: &str = "T1525";
pub const ENDPOINT_DENIAL_OF_SERVICE: &str = "T1499";
pub const CONTAINER_AND_RESOURCE_DISCOVERY: &str = "T1613";
pub const MALICIOUS_IMAGE: &str = "T1204.003";
pub const LATERAL_TOOL_TRANSFER: &str = "T1570";
pub const EXPLOITATION_OF_REMOTE_SERVICES: &str = "T1210";

/// ATT&CK technique names, by ID.
pub const TECHNIQUES: &[(&str, &str)] = &[
    (ROOTKIT, "Rootkit"),
    (NETWORK_SNIFFING, "Network Sniffing"),
    (PRIVILEGE_ESCALATION_EXPLOIT, "Exploitation for Privilege Escalation"),
    (VALID_ACCOUNTS_DEFAULT, "Valid Accounts: Default Accounts"),
    (
        ADDITIONAL_CONTAINER_CLUSTER_ROLES,
        "Account Manipulation: Additional Container Cluster Roles",
    ),
    (EXTERNAL_REMOTE_SERVICES, "External Remote Services"),
    (EXPLOIT_PUBLIC_FACING_APPLICATION, "Exploit Public-Facing Application"),
    (RESOURCE_HIJACKING, "Resource Hijacking"),
    (ENDPOINT_DENIAL_OF_SERVICE, "Endpoint Denial of Service"),
    (IMPLANT_INTERNAL_IMAGE, "Implant Internal Image"),
    (STEAL_APPLICATION_ACCESS_TOKEN, "Steal Application Access Token"),
    (SETUID_SETGID, "Abuse Elevation Control Mechanism: Setuid and Setgid"),
    (CREDENTIALS_IN_FILES, "Unsecured Credentials: Credentials In Files"),
    (
        CLOUD_INSTANCE_METADATA_API,
        "Unsecured Credentials: Cloud Instance Metadata API",
    ),
    (CONTAINER_API, "Unsecured Credentials: Container API"),
    (DISABLE_DEFENSES, "Impair Defenses: Disable or Modify Tools"),
    (CONTAINER_ADMINISTRATION_COMMAND, "Container Administration Command"),
    (DEPLOY_CONTAINER, "Deploy Container"),
    (ESCAPE_TO_HOST, "Escape to Host"),
    (CONTAINER_AND_RESOURCE_DISCOVERY, "Container and Resource Discovery"),
    (MALICIOUS_IMAGE, "User Execution: Malicious Image"),
    (LATERAL_TOOL_TRANSFER, "Lateral Tool Transfer"),
    (EXPLOITATION_OF_REMOTE_SERVICES, "Exploitation of Remote Services"),
];

pub fn name(technique: &str) -> Option<&'static str> {
    TECHNIQUES
        .iter()
        .find(|(id, _)| *id == technique)
        .map(|(_, name)| *name)
}

// Microsoft Threat Matrix for Kubernetes.
pub const EXPOSED_SENSITIVE_INTERFACES: &str = "MS-TA9005";
pub const EXEC_INTO_CONTAINER: &str = "MS-TA9006";
pub const NEW_CONTAINER: &str = "MS-TA9008";
pub const WRITABLE_HOSTPATH_MOUNT: &str = "MS-TA9013";
pub const CONTAINER_SERVICE_ACCOUNT: &str = "MS-TA9016";
pub const PRIVILEGED_CONTAINER: &str = "MS-TA9018";
pub const CLUSTER_ADMIN_BINDING: &str = "MS-TA9019";
pub const LIST_K8S_SECRETS: &str = "MS-TA9025";
pub const CLUSTER_INTERNAL_NETWORKING: &str = "MS-TA9034";

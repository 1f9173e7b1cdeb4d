//! Risky RBAC permissions (`TLR-rbac-*`) and who holds them.
//!
//! How findings are placed, to say each thing once:
//! - one finding per (binding, risk), at the binding's `roleRef.name`, naming the subjects,
//!   the workloads that run as them, the role and the `rules[i]` that grant it. The binding
//!   is where a permission reaches someone, the one place that names both who and what, and
//!   the only place at all for the built-in roles; a role bound three times gives three
//!   findings because three sets of subjects hold it;
//! - one finding per (role, risk), at its first `rules[i]`, for a Role or ClusterRole that
//!   no binding of the input grants (directly or through aggregation): it is ready to be
//!   bound, and often is, in a part of the installation not scanned;
//! - a binding to `cluster-admin` is one critical finding and nothing else: the role is all
//!   wildcards;
//! - a rule with `*` in `resources` or `apiGroups` has no enumerable extent: it is reported
//!   once as a wildcard, whose message lists the risks it includes (high when it includes
//!   one, low when it only reaches beyond what is named today), rather than as each of them.
//!   A `*` in `verbs` on named resources is enumerable: it is reported as the risks it
//!   amounts to (`*` on `clusterroles` is escalate and bind), and as a low wildcard only
//!   when it amounts to none.
//!
//! A grant through a RoleBinding applies in one namespace, so permissions on cluster-scoped
//! resources (`nodes/proxy`, impersonating users and groups, escalating ClusterRoles) are
//! ignored there. Rules limited by `resourceNames` do not count for risks whose danger is
//! reaching every object of a kind (reading a few named Secrets is least privilege), but do
//! for binding roles and impersonation, where one name is enough.

use std::collections::BTreeMap;

use tailor_kube::k8s_openapi::api::rbac::v1::PolicyRule;
use tailor_kube::FieldPath;

use super::permissions::{
    group_matches, resource_matches, verb_matches, Grant, GrantedRule, Permissions, RoleDef, RoleId, RoleKind, Subject,
    SubjectKind, MASTERS,
};
use super::workloads::{includes_service_accounts, Workloads};
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::text::{capped_list, distinct};
use crate::rules::Rule;
use crate::Hit;

pub const CLUSTER_ADMIN: Rule = Rule {
    id: "TLR-rbac-cluster-admin",
    title: "Binding to cluster-admin or system:masters",
    severity: Severity::Critical,
    rationale: "cluster-admin allows every verb on every resource: whoever holds it (or a pod running as it) owns the cluster, every Secret and every node. Members of the group system:masters bypass RBAC altogether and cannot be restricted by removing bindings.",
    remediation: "Bind a ClusterRole (or, better, a namespaced Role) listing only the resources and verbs the subject uses; keep cluster-admin and system:masters for break-glass human access.",
    attack: &[ADDITIONAL_CONTAINER_CLUSTER_ROLES],
    ms_threat_matrix: Some(CLUSTER_ADMIN_BINDING),
};

pub const WILDCARD: Rule = Rule {
    id: "TLR-rbac-wildcard",
    title: "Wildcard RBAC rule that includes risky permissions",
    severity: Severity::High,
    rationale: "A `*` in resources or apiGroups grants every resource of the API groups, including Secrets, pods/exec and role bindings, and every resource added later: the holder can usually escalate to whatever it likes.",
    remediation: "Replace the wildcards with the explicit apiGroups, resources and verbs the subject uses (audit logs or `kubectl auth can-i --list` show them).",
    attack: &[
        ADDITIONAL_CONTAINER_CLUSTER_ROLES,
        CONTAINER_API,
        CONTAINER_ADMINISTRATION_COMMAND,
        DEPLOY_CONTAINER,
    ],
    ms_threat_matrix: None,
};

pub const WILDCARD_LIMITED: Rule = Rule {
    id: "TLR-rbac-wildcard-limited",
    title: "Wildcard RBAC rule limited to harmless resources today",
    severity: Severity::Low,
    rationale: "A `*` grants every verb or resource of its API groups, including those added by later versions or CRDs: permissions nobody reviewed. What it reaches today includes nothing risky.",
    remediation: "List the resources and verbs explicitly instead of `*`.",
    attack: &[ADDITIONAL_CONTAINER_CLUSTER_ROLES],
    ms_threat_matrix: None,
};

pub const POD_EXEC: Rule = Rule {
    id: "TLR-rbac-pod-exec",
    title: "Can exec, attach or port-forward into pods",
    severity: Severity::High,
    rationale: "pods/exec and pods/attach run commands in any container the grant covers, with its service account token and mounted Secrets; pods/portforward reaches ports no Service or NetworkPolicy exposes.",
    remediation: "Remove create/get on pods/exec, pods/attach and pods/portforward; use logs, metrics or a debugging workflow with separate, audited access.",
    attack: &[CONTAINER_ADMINISTRATION_COMMAND],
    ms_threat_matrix: Some(EXEC_INTO_CONTAINER),
};

pub const NODES_PROXY: Rule = Rule {
    id: "TLR-rbac-nodes-proxy",
    title: "Can reach the kubelet API through nodes/proxy",
    severity: Severity::High,
    rationale: "nodes/proxy proxies to the kubelet API of every node: it can run commands in any container on any node (a plain GET upgraded to a websocket is enough), bypassing admission control and the API server's exec audit events.",
    remediation: "Remove nodes/proxy; monitoring agents need only nodes/metrics and nodes/stats.",
    attack: &[CONTAINER_ADMINISTRATION_COMMAND, ESCAPE_TO_HOST],
    ms_threat_matrix: None,
};

pub const READ_SECRETS_CLUSTER_WIDE: Rule = Rule {
    id: "TLR-rbac-read-secrets-cluster-wide",
    title: "Can read Secrets in every namespace",
    severity: Severity::High,
    rationale: "Reading Secrets cluster-wide yields every credential the cluster stores, including service account tokens of controllers with more privileges. list and watch return the Secrets' data, not only their names.",
    remediation: "Grant Secret access in a Role of the namespace that needs it, with get on named Secrets (resourceNames) instead of list/watch.",
    attack: &[CONTAINER_API],
    ms_threat_matrix: Some(LIST_K8S_SECRETS),
};

pub const READ_SECRETS: Rule = Rule {
    id: "TLR-rbac-read-secrets",
    title: "Can read Secrets in a namespace",
    severity: Severity::Medium,
    rationale: "Reading a namespace's Secrets yields every credential stored there, including service account tokens of the namespace's other workloads. list and watch return the Secrets' data, not only their names.",
    remediation: "Restrict the rule to get on the Secrets the subject needs (resourceNames), without list and watch.",
    attack: &[CONTAINER_API],
    ms_threat_matrix: Some(LIST_K8S_SECRETS),
};

pub const ESCALATE_BIND_CLUSTER_WIDE: Rule = Rule {
    id: "TLR-rbac-escalate-bind-cluster-wide",
    title: "Can grant itself any permission cluster-wide (escalate/bind)",
    severity: Severity::Critical,
    rationale: "escalate lets the holder write roles with permissions it does not hold; bind lets it bind any role, cluster-admin included. Cluster-wide, either is cluster-admin one API call away.",
    remediation: "Remove escalate and bind; if the subject manages RBAC, limit bind to named roles with resourceNames.",
    attack: &[ADDITIONAL_CONTAINER_CLUSTER_ROLES],
    ms_threat_matrix: None,
};

pub const ESCALATE_BIND: Rule = Rule {
    id: "TLR-rbac-escalate-bind",
    title: "Can grant itself any permission in a namespace (escalate/bind)",
    severity: Severity::High,
    rationale: "escalate lets the holder write Roles with permissions it does not hold; bind lets it bind any role there, cluster-admin included: full control of the namespace, its Secrets and service accounts.",
    remediation: "Remove escalate and bind; if the subject manages RBAC, limit bind to named roles with resourceNames.",
    attack: &[ADDITIONAL_CONTAINER_CLUSTER_ROLES],
    ms_threat_matrix: None,
};

pub const IMPERSONATE_CLUSTER_WIDE: Rule = Rule {
    id: "TLR-rbac-impersonate-cluster-wide",
    title: "Can impersonate users, groups or any service account",
    severity: Severity::Critical,
    rationale: "Impersonation acts with another identity's permissions: impersonating a user or group (system:masters) or a controller's service account is cluster-admin.",
    remediation: "Remove impersonate, or limit it with resourceNames to the identities the subject must act as.",
    attack: &[ADDITIONAL_CONTAINER_CLUSTER_ROLES],
    ms_threat_matrix: None,
};

pub const IMPERSONATE: Rule = Rule {
    id: "TLR-rbac-impersonate",
    title: "Can impersonate the service accounts of a namespace",
    severity: Severity::High,
    rationale: "Impersonating a service account acts with all its permissions: the holder gets the union of every service account's permissions in the namespace.",
    remediation: "Remove impersonate, or limit it with resourceNames to the service accounts the subject must act as.",
    attack: &[ADDITIONAL_CONTAINER_CLUSTER_ROLES],
    ms_threat_matrix: None,
};

pub const CREATE_PODS: Rule = Rule {
    id: "TLR-rbac-create-pods",
    title: "Can start pods (directly or through workload controllers)",
    severity: Severity::High,
    rationale: "A new pod can mount any Secret and run as any service account of its namespace, and run privileged with host mounts where Pod Security admission allows: creating pods, or controllers that create them, is privilege escalation.",
    remediation: "Remove create on pods and create/update/patch on workload controllers, or confine the grant to a namespace that enforces the restricted Pod Security level and holds no privileged service accounts.",
    attack: &[DEPLOY_CONTAINER],
    ms_threat_matrix: Some(NEW_CONTAINER),
};

pub const CREATE_TOKENS: Rule = Rule {
    id: "TLR-rbac-create-tokens",
    title: "Can mint service account tokens",
    severity: Severity::High,
    rationale: "create on serviceaccounts/token issues a token for any service account the grant covers: the holder acts with that account's permissions, and a token outlives the pod that requested it.",
    remediation: "Remove create on serviceaccounts/token, or limit it with resourceNames to the service accounts the subject must act as.",
    attack: &[STEAL_APPLICATION_ACCESS_TOKEN],
    ms_threat_matrix: Some(CONTAINER_SERVICE_ACCOUNT),
};

pub const UNRESOLVED_ROLE: Rule = Rule {
    id: "TLR-rbac-unresolved-role",
    title: "Binding to a role not in the scanned objects",
    severity: Severity::Info,
    rationale: "The binding grants a role that neither the scanned objects define nor is one of the built-in roles Tailor knows (cluster-admin, admin, edit, view): what it grants was not analysed, so the other RBAC findings may be incomplete.",
    remediation: "Scan the role together with its binding (or check it in the cluster with `kubectl get clusterrole NAME -o yaml`).",
    attack: &[],
    ms_threat_matrix: None,
};

/// Permissions on resources of one API group.
struct Permission {
    group: &'static str,
    resources: &'static [&'static str],
    verbs: &'static [&'static str],
    /// Whether it exists only cluster-wide (cluster-scoped resources), so a RoleBinding
    /// cannot grant it.
    cluster_only: bool,
}

/// A kind of risky permission.
struct Risk {
    /// What the holder can do, completing "lets X …".
    action: &'static str,
    cluster_wide: &'static Rule,
    namespaced: &'static Rule,
    permissions: &'static [Permission],
    /// Whether `resourceNames` confines the risk to a few chosen objects.
    names_limit: bool,
    /// Said when one of the verbs is granted.
    note: Option<(&'static [&'static str], &'static str)>,
}

const RBAC: &str = "rbac.authorization.k8s.io";
const CONTROLLER_WRITE: &[&str] = &["create", "update", "patch"];

static RISKS: &[Risk] = &[
    Risk {
        action: "exec, attach or port-forward into pods",
        cluster_wide: &POD_EXEC,
        namespaced: &POD_EXEC,
        permissions: &[Permission {
            group: "",
            resources: &["pods/exec", "pods/attach", "pods/portforward"],
            verbs: &["create", "get"],
            cluster_only: false,
        }],
        names_limit: true,
        note: None,
    },
    Risk {
        action: "reach the kubelet API of every node through nodes/proxy",
        cluster_wide: &NODES_PROXY,
        namespaced: &NODES_PROXY,
        permissions: &[Permission {
            group: "",
            resources: &["nodes/proxy"],
            verbs: &["get", "create", "update", "patch", "delete"],
            cluster_only: true,
        }],
        names_limit: true,
        note: None,
    },
    Risk {
        action: "read Secrets",
        cluster_wide: &READ_SECRETS_CLUSTER_WIDE,
        namespaced: &READ_SECRETS,
        permissions: &[Permission {
            group: "",
            resources: &["secrets"],
            verbs: &["get", "list", "watch"],
            cluster_only: false,
        }],
        names_limit: true,
        note: Some((
            &["list", "watch"],
            "list and watch return every Secret's data, not only names",
        )),
    },
    Risk {
        action: "grant itself permissions it does not hold (escalate/bind)",
        cluster_wide: &ESCALATE_BIND_CLUSTER_WIDE,
        namespaced: &ESCALATE_BIND,
        permissions: &[
            Permission {
                group: RBAC,
                resources: &["roles"],
                verbs: &["escalate", "bind"],
                cluster_only: false,
            },
            // Binding a ClusterRole in a namespace is checked in that namespace; editing one
            // is not.
            Permission {
                group: RBAC,
                resources: &["clusterroles"],
                verbs: &["bind"],
                cluster_only: false,
            },
            Permission {
                group: RBAC,
                resources: &["clusterroles"],
                verbs: &["escalate"],
                cluster_only: true,
            },
        ],
        names_limit: false,
        note: None,
    },
    Risk {
        action: "impersonate other identities",
        cluster_wide: &IMPERSONATE_CLUSTER_WIDE,
        namespaced: &IMPERSONATE,
        permissions: &[
            Permission {
                group: "",
                resources: &["users", "groups"],
                verbs: &["impersonate"],
                cluster_only: true,
            },
            Permission {
                group: "",
                resources: &["serviceaccounts"],
                verbs: &["impersonate"],
                cluster_only: false,
            },
        ],
        names_limit: false,
        note: None,
    },
    Risk {
        action: "start pods",
        cluster_wide: &CREATE_PODS,
        namespaced: &CREATE_PODS,
        permissions: &[
            Permission {
                group: "",
                resources: &["pods"],
                verbs: &["create"],
                cluster_only: false,
            },
            Permission {
                group: "",
                resources: &["replicationcontrollers"],
                verbs: CONTROLLER_WRITE,
                cluster_only: false,
            },
            Permission {
                group: "apps",
                resources: &["deployments", "daemonsets", "statefulsets", "replicasets"],
                verbs: CONTROLLER_WRITE,
                cluster_only: false,
            },
            // A Job's pod template cannot change after creation; a CronJob's can.
            Permission {
                group: "batch",
                resources: &["jobs"],
                verbs: &["create"],
                cluster_only: false,
            },
            Permission {
                group: "batch",
                resources: &["cronjobs"],
                verbs: CONTROLLER_WRITE,
                cluster_only: false,
            },
            Permission {
                group: "extensions",
                resources: &["deployments", "daemonsets", "replicasets"],
                verbs: CONTROLLER_WRITE,
                cluster_only: false,
            },
        ],
        names_limit: true,
        note: Some((
            &["create", "update", "patch"],
            "a new pod can mount any Secret and run as any service account of its namespace",
        )),
    },
    Risk {
        action: "mint service account tokens",
        cluster_wide: &CREATE_TOKENS,
        namespaced: &CREATE_TOKENS,
        permissions: &[Permission {
            group: "",
            resources: &["serviceaccounts/token"],
            verbs: &["create"],
            cluster_only: false,
        }],
        names_limit: true,
        note: None,
    },
];

/// The risk findings of every binding, and of every role no binding grants.
pub fn analyse(permissions: &Permissions, workloads: &Workloads) -> Vec<(usize, Hit)> {
    let mut hits = Vec::new();
    for grant in permissions.grants() {
        hits.extend(
            grant_hits(permissions, workloads, grant)
                .into_iter()
                .map(|hit| (grant.binding, hit)),
        );
    }
    for (id, role) in permissions.roles() {
        if let (Some(entry), false) = (role.entry, permissions.is_bound(id)) {
            hits.extend(
                unbound_role_hits(permissions, id, role)
                    .into_iter()
                    .map(|hit| (entry, hit)),
            );
        }
    }
    hits
}

/// The permissions of one risk a rule grants: per resource, the verbs.
type Matched = Vec<(&'static str, Vec<&'static str>)>;

/// What a set of rules amounts to.
#[derive(Default)]
struct Assessment<'a> {
    /// Per risk (index into `RISKS`): the rules that grant it and how.
    risks: BTreeMap<usize, Vec<(GrantedRule<'a>, Matched)>>,
    /// Wildcard rules and the risks each includes (none: a limited wildcard).
    wildcards: Vec<(GrantedRule<'a>, Vec<usize>)>,
}

fn assess<'a>(rules: &[GrantedRule<'a>], cluster_wide: bool) -> Assessment<'a> {
    let mut assessment = Assessment::default();
    for &granted in rules {
        let rule = granted.rule;
        let matched: Vec<(usize, Matched)> = RISKS
            .iter()
            .enumerate()
            .filter_map(|(index, risk)| Some((index, risk_matches(risk, rule, cluster_wide)?)))
            .collect();
        let unbounded = has_star(rule.resources.as_deref())
            || has_star(rule.api_groups.as_deref())
            || has_star(rule.non_resource_urls.as_deref());
        if unbounded || (has_star(Some(&rule.verbs)) && matched.is_empty()) {
            assessment
                .wildcards
                .push((granted, matched.into_iter().map(|(index, _)| index).collect()));
        } else {
            for (index, how) in matched {
                assessment.risks.entry(index).or_default().push((granted, how));
            }
        }
    }
    assessment
}

fn has_star(items: Option<&[String]>) -> bool {
    items.unwrap_or_default().iter().any(|item| item == "*")
}

/// What of `risk` `rule` grants, if anything.
fn risk_matches(risk: &Risk, rule: &PolicyRule, cluster_wide: bool) -> Option<Matched> {
    if risk.names_limit && rule.resource_names.as_ref().is_some_and(|names| !names.is_empty()) {
        return None;
    }
    let mut matched: Matched = Vec::new();
    for permission in risk.permissions {
        if (permission.cluster_only && !cluster_wide) || !group_matches(rule, permission.group) {
            continue;
        }
        for resource in permission.resources {
            if !resource_matches(rule, resource) {
                continue;
            }
            let verbs: Vec<&'static str> = permission
                .verbs
                .iter()
                .copied()
                .filter(|verb| verb_matches(rule, verb))
                .collect();
            if verbs.is_empty() {
                continue;
            }
            match matched.iter_mut().find(|(r, _)| r == resource) {
                Some((_, existing)) => {
                    for verb in verbs {
                        if !existing.contains(&verb) {
                            existing.push(verb);
                        }
                    }
                }
                None => matched.push((resource, verbs)),
            }
        }
    }
    for (_, verbs) in &mut matched {
        verbs.sort_unstable();
    }
    (!matched.is_empty()).then_some(matched)
}

fn grant_hits(permissions: &Permissions, workloads: &Workloads, grant: &Grant) -> Vec<Hit> {
    let mut hits = Vec::new();
    let role = grant.role.map(|id| permissions.role(id));
    let role_name = match role {
        Some(role) => role.to_string(),
        None => format!("{} {}", grant.role_kind, grant.role_name),
    };
    for (index, subject) in &grant.subjects {
        if subject.kind == SubjectKind::Group && subject.name == MASTERS {
            hits.push(Hit {
                rule: &CLUSTER_ADMIN,
                message: format!(
                    "{grant} grants {role_name} to Group {MASTERS}, whose members bypass every RBAC check whatever they are bound to: credentials in {MASTERS} cannot be restricted or revoked by editing bindings."
                ),
                field: FieldPath::keys("subjects").index(*index),
                container: None,
            });
        }
    }
    // Holders other than system:masters, which needs no grant to do anything.
    let holders: Vec<&Subject> = grant
        .subjects
        .iter()
        .map(|(_, subject)| subject)
        .filter(|subject| !(subject.kind == SubjectKind::Group && subject.name == MASTERS))
        .collect();
    if holders.is_empty() {
        return hits;
    }
    let who = holders_phrase(&holders, workloads);
    let field = FieldPath::keys("roleRef.name");
    if grant.role_kind == RoleKind::ClusterRole && grant.role_name == "cluster-admin" {
        hits.push(Hit {
            rule: &CLUSTER_ADMIN,
            message: format!(
                "{grant} gives {} the cluster-admin ClusterRole {}: every verb on every resource.{}",
                who.names, grant.scope, who.used_by
            ),
            field,
            container: None,
        });
        return hits;
    }
    if grant.role.is_none() {
        hits.push(Hit {
            rule: &UNRESOLVED_ROLE,
            message: format!(
                "{grant} gives {} {role_name} {}, which is neither in the scanned objects nor a built-in role Tailor knows: its permissions were not analysed.{}",
                who.names, grant.scope, who.used_by
            ),
            field,
            container: None,
        });
        return hits;
    }
    let cluster_wide = grant.scope.is_cluster();
    let assessment = assess(permissions.granted_rules(grant), cluster_wide);
    for finding in describe(permissions, &assessment, cluster_wide, None) {
        hits.push(Hit {
            rule: finding.rule,
            message: format!(
                "{grant} lets {} {} {}: {}.{}",
                who.names, finding.action, grant.scope, finding.body, who.used_by
            ),
            field: field.clone(),
            container: None,
        });
    }
    hits
}

fn unbound_role_hits(permissions: &Permissions, id: RoleId, role: &RoleDef) -> Vec<Hit> {
    let own: Vec<GrantedRule> = permissions
        .rules(id)
        .iter()
        .copied()
        .filter(|rule| rule.declared_by == id)
        .collect();
    // Unbound, a ClusterRole may yet be bound cluster-wide: assess the worst case.
    let cluster_wide = role.kind == RoleKind::ClusterRole;
    let how = if cluster_wide {
        " (cluster-wide once a ClusterRoleBinding grants it)"
    } else {
        ""
    };
    describe(permissions, &assess(&own, cluster_wide), cluster_wide, Some(id))
        .into_iter()
        .map(|finding| Hit {
            rule: finding.rule,
            message: format!(
                "{role} lets whoever it is bound to {}{how}: {}; no binding in the scanned objects grants it.",
                finding.action, finding.body
            ),
            field: FieldPath::keys("rules").index(finding.first_rule),
            container: None,
        })
        .collect()
}

/// A finding of an assessment, before it is tied to a binding or a role.
struct Described {
    rule: &'static Rule,
    /// What the holder can do, completing "lets X …".
    action: &'static str,
    /// The permissions and the rules granting them.
    body: String,
    /// The index of the first granting rule in its role's `rules`.
    first_rule: usize,
}

/// The findings an assessment gives: the wildcards, then one per risk. Rules of `subject_role`
/// (the role a finding is about) are cited by index alone.
fn describe(
    permissions: &Permissions,
    assessment: &Assessment,
    cluster_wide: bool,
    subject_role: Option<RoleId>,
) -> Vec<Described> {
    let mut findings = Vec::new();
    if let Some((first, _)) = assessment.wildcards.first() {
        let mut included: Vec<usize> = assessment
            .wildcards
            .iter()
            .flat_map(|(_, risks)| risks.clone())
            .collect();
        included.sort_unstable();
        included.dedup();
        let everything = assessment
            .wildcards
            .iter()
            .any(|(granted, _)| is_everything(granted.rule));
        let extent = if everything && cluster_wide {
            ", equivalent to cluster-admin"
        } else {
            ""
        };
        let consequence = if included.is_empty() {
            "; they also cover verbs and resources added later".to_owned()
        } else {
            let actions: Vec<&str> = included.iter().map(|&index| RISKS[index].action).collect();
            format!(", enough to {}", actions.join("; "))
        };
        let rules: Vec<GrantedRule> = assessment.wildcards.iter().map(|(rule, _)| *rule).collect();
        let cited = cite(permissions, &rules, subject_role, |rule| {
            format!(" ({})", describe_rule(rule))
        });
        findings.push(Described {
            rule: if included.is_empty() {
                &WILDCARD_LIMITED
            } else {
                &WILDCARD
            },
            action: "use wildcard permissions",
            body: format!("{cited}{extent}{consequence}"),
            first_rule: first.index,
        });
    }
    for (&index, granted) in &assessment.risks {
        let risk = &RISKS[index];
        let mut by_verbs: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
        for (_, matched) in granted {
            for (resource, verbs) in matched {
                match by_verbs.iter_mut().find(|(v, _)| v == verbs) {
                    Some((_, resources)) if !resources.contains(resource) => resources.push(resource),
                    Some(_) => {}
                    None => by_verbs.push((verbs.clone(), vec![resource])),
                }
            }
        }
        let what: Vec<String> = by_verbs
            .iter()
            .map(|(verbs, resources)| format!("{} on {}", verbs.join(", "), resources.join(", ")))
            .collect();
        let rules: Vec<GrantedRule> = granted.iter().map(|(rule, _)| *rule).collect();
        let note = risk
            .note
            .filter(|(verbs, _)| {
                by_verbs
                    .iter()
                    .any(|(granted, _)| granted.iter().any(|v| verbs.contains(v)))
            })
            .map(|(_, note)| format!(" ({note})"))
            .unwrap_or_default();
        findings.push(Described {
            rule: if cluster_wide {
                risk.cluster_wide
            } else {
                risk.namespaced
            },
            action: risk.action,
            body: format!(
                "{} in {}{note}",
                what.join("; "),
                cite(permissions, &rules, subject_role, |_| String::new())
            ),
            first_rule: rules[0].index,
        });
    }
    findings
}

/// `*` verbs on `*` resources in `*` API groups.
fn is_everything(rule: &PolicyRule) -> bool {
    has_star(Some(&rule.verbs)) && has_star(rule.resources.as_deref()) && has_star(rule.api_groups.as_deref())
}

/// e.g. `every verb on every resource in every API group`, `get, list on * in API group ""`.
fn describe_rule(rule: &PolicyRule) -> String {
    let list = |items: &[String], every: &str| {
        if items.iter().any(|item| item == "*") {
            every.to_owned()
        } else {
            items.join(", ")
        }
    };
    let verbs = list(&rule.verbs, "every verb");
    if let Some(urls) = rule.non_resource_urls.as_deref().filter(|urls| !urls.is_empty()) {
        return format!("{verbs} on non-resource URLs {}", urls.join(", "));
    }
    let resources = list(rule.resources.as_deref().unwrap_or_default(), "every resource");
    let groups: Vec<String> = rule
        .api_groups
        .iter()
        .flatten()
        .map(|g| if g.is_empty() { "core".to_owned() } else { g.clone() })
        .collect();
    let groups = if groups.iter().any(|g| g == "*") {
        "every API group".to_owned()
    } else {
        format!("API group {}", groups.join(", "))
    };
    format!("{verbs} on {resources} in {groups}")
}

/// The rules, by the role that declares them, each followed by `annotate(rule)`:
/// `ClusterRole x rules[0], rules[2]`; a built-in role is named without indexes, and
/// `subject_role` without its name.
fn cite(
    permissions: &Permissions,
    rules: &[GrantedRule],
    subject_role: Option<RoleId>,
    annotate: impl Fn(&PolicyRule) -> String,
) -> String {
    let mut by_role: Vec<(RoleId, Vec<String>)> = Vec::new();
    for rule in rules {
        let cited = format!("rules[{}]{}", rule.index, annotate(rule.rule));
        match by_role.iter_mut().find(|(id, _)| *id == rule.declared_by) {
            Some((_, cited_rules)) => cited_rules.push(cited),
            None => by_role.push((rule.declared_by, vec![cited])),
        }
    }
    by_role
        .into_iter()
        .map(|(id, cited_rules)| {
            let role = permissions.role(id);
            if role.is_built_in() {
                role.to_string()
            } else if Some(id) == subject_role {
                cited_rules.join(", ")
            } else {
                format!("{role} {}", cited_rules.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// How a finding names the holders of a grant and the workloads that run as them.
pub(super) struct Holders {
    pub names: String,
    /// ` Used by …`, ` No workload in the scanned objects runs as it.`, or empty.
    pub used_by: String,
}

const NAMED_WORKLOADS: usize = 3;

pub(super) fn holders_phrase(holders: &[&Subject], workloads: &Workloads) -> Holders {
    let mut users: Vec<(usize, String)> = holders
        .iter()
        .flat_map(|subject| {
            workloads
                .acting_as(subject)
                .into_iter()
                .map(|workload| (workload.entry, workload.named_as(subject)))
        })
        .collect();
    users.sort_unstable();
    // The same workload loaded from several files is named once.
    let names = distinct(users.into_iter().map(|(_, name)| name).collect());
    let used_by = if names.is_empty() {
        if holders.iter().any(|s| includes_service_accounts(s)) {
            " No workload in the scanned objects runs as it.".to_owned()
        } else {
            String::new()
        }
    } else {
        format!(" Used by {}.", capped_list(&names, NAMED_WORKLOADS))
    };
    Holders {
        names: holders.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
        used_by,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::RBAC;
    use crate::rules::rbac::fixtures::*;
    use crate::{testing, Finding};

    /// The `TLR-rbac-*` findings on `objects`, in report order.
    fn findings(objects: &[Value]) -> Vec<Finding> {
        testing::findings(objects)
            .into_iter()
            .filter(|f| f.rule.starts_with("TLR-rbac-"))
            .collect()
    }

    fn ids(objects: &[Value]) -> Vec<String> {
        testing::rule_ids(objects, "TLR-rbac-")
    }

    /// A ClusterRole `r` with `rules`, bound cluster-wide to ServiceAccount `ops/bot`.
    fn bound_cluster_wide(rules: &[Value]) -> Vec<Value> {
        vec![
            cluster_role("r", rules),
            cluster_role_binding("b", "r", &[service_account_subject("ops", "bot")]),
        ]
    }

    /// A Role `r` of namespace `ml` with `rules`, bound there to ServiceAccount `ml/bot`.
    fn bound_in_namespace(rules: &[Value]) -> Vec<Value> {
        vec![
            role("ml", "r", rules),
            role_binding("ml", "b", "Role", "r", &[subject("ServiceAccount", "bot", None)]),
        ]
    }

    #[test]
    fn cluster_admin_binding_is_one_critical_finding_naming_holders_and_workloads() {
        let found = findings(&[
            cluster_role_binding(
                "support",
                "cluster-admin",
                &[service_account_subject("storage", "support")],
            ),
            deployment(Some("storage"), "collector", Some("support")),
        ]);
        assert_eq!(found.len(), 1, "{found:#?}");
        let finding = &found[0];
        assert_eq!(finding.rule, "TLR-rbac-cluster-admin");
        assert_eq!(
            (finding.kind.as_str(), finding.field.as_str()),
            ("ClusterRoleBinding", "roleRef.name")
        );
        assert_eq!(
            finding.message,
            "ClusterRoleBinding support gives ServiceAccount storage/support the cluster-admin ClusterRole cluster-wide: every verb on every resource. Used by Deployment storage/collector."
        );
    }

    #[test]
    fn binding_to_system_masters_is_critical_at_the_subject() {
        let found = findings(&[cluster_role_binding(
            "masters",
            "view",
            &[subject("User", "alice", None), subject("Group", "system:masters", None)],
        )]);
        let masters: Vec<&Finding> = found.iter().filter(|f| f.rule == "TLR-rbac-cluster-admin").collect();
        assert_eq!(masters.len(), 1);
        assert_eq!(masters[0].field, "subjects[1]");
        assert!(ids(&[role_binding(
            "ml",
            "admins",
            "ClusterRole",
            "admin",
            &[subject("User", "a", None)]
        )])
        .iter()
        .all(|id| id != "TLR-rbac-cluster-admin"));
    }

    #[test]
    fn full_wildcard_is_one_wildcard_finding_equivalent_to_cluster_admin() {
        let mut objects = bound_cluster_wide(&[
            rule(&["*"], &["*"], &["*"]),
            json!({"nonResourceURLs": ["*"], "verbs": ["*"]}),
        ]);
        objects.push(deployment(Some("ops"), "controller", Some("bot")));
        let found = findings(&objects);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].rule, "TLR-rbac-wildcard");
        let message = &found[0].message;
        assert!(message.starts_with("ClusterRoleBinding b lets ServiceAccount ops/bot use wildcard permissions cluster-wide: ClusterRole r rules[0] (every verb on every resource in every API group), rules[1] (every verb on non-resource URLs *), equivalent to cluster-admin, enough to "), "{message}");
        assert!(
            message.contains("read Secrets") && message.ends_with("Used by Deployment ops/controller."),
            "{message}"
        );
    }

    #[test]
    fn wildcards_that_include_nothing_risky_are_low() {
        assert_eq!(
            ids(&bound_cluster_wide(&[rule(
                &["metrics.k8s.io"],
                &["*"],
                &["get", "list"]
            )])),
            ["TLR-rbac-wildcard-limited"]
        );
        assert_eq!(
            ids(&bound_cluster_wide(&[rule(
                &["serving.example.com"],
                &["models"],
                &["*"]
            )])),
            ["TLR-rbac-wildcard-limited"]
        );
        // A resource wildcard in the core group includes Secrets: high, and reported once.
        assert_eq!(
            ids(&bound_in_namespace(&[rule(&[""], &["*"], &["get"])])),
            ["TLR-rbac-wildcard"]
        );
    }

    #[test]
    fn verb_wildcards_on_named_resources_are_the_risks_they_amount_to() {
        let found = findings(&bound_cluster_wide(&[rule(
            &[RBAC],
            &["clusterroles", "clusterrolebindings"],
            &["*"],
        )]));
        let rules: Vec<&str> = found.iter().map(|f| f.rule).collect();
        assert_eq!(rules, ["TLR-rbac-escalate-bind-cluster-wide"]);
        assert!(
            found[0]
                .message
                .contains("bind, escalate on clusterroles in ClusterRole r rules[0]"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn exec_attach_and_port_forward_are_flagged_but_logs_and_named_pods_are_not() {
        let found = findings(&bound_in_namespace(&[rule(
            &[""],
            &["pods/exec", "pods/attach"],
            &["create"],
        )]));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "TLR-rbac-pod-exec");
        assert_eq!(
            found[0].message,
            "RoleBinding ml/b lets ServiceAccount ml/bot exec, attach or port-forward into pods in namespace ml: create on pods/exec, pods/attach in Role ml/r rules[0]. No workload in the scanned objects runs as it."
        );
        assert!(ids(&bound_in_namespace(&[rule(
            &[""],
            &["pods/log", "pods"],
            &["get", "list"]
        )]))
        .is_empty());
        let named = json!({"apiGroups": [""], "resources": ["pods/portforward"], "resourceNames": ["debug"], "verbs": ["create"]});
        assert!(ids(&bound_in_namespace(&[named])).is_empty());
    }

    #[test]
    fn nodes_proxy_counts_only_cluster_wide() {
        let nodes_proxy = rule(&[""], &["nodes/proxy"], &["get"]);
        assert_eq!(
            ids(&bound_cluster_wide(std::slice::from_ref(&nodes_proxy))),
            ["TLR-rbac-nodes-proxy"]
        );
        let in_namespace = vec![
            cluster_role("r", &[nodes_proxy]),
            role_binding("ml", "b", "ClusterRole", "r", &[subject("User", "u", None)]),
        ];
        assert!(
            ids(&in_namespace).is_empty(),
            "a RoleBinding cannot grant a cluster-scoped resource"
        );
        assert!(ids(&bound_cluster_wide(&[rule(
            &[""],
            &["nodes/metrics", "nodes/stats"],
            &["get"]
        )]))
        .is_empty());
    }

    #[test]
    fn reading_secrets_is_high_cluster_wide_and_medium_in_a_namespace() {
        let read = rule(&[""], &["secrets"], &["get", "list", "watch"]);
        let found = findings(&bound_cluster_wide(std::slice::from_ref(&read)));
        assert_eq!(found[0].rule, "TLR-rbac-read-secrets-cluster-wide");
        assert!(found[0]
            .message
            .contains("(list and watch return every Secret's data, not only names)"));
        assert_eq!(ids(&bound_in_namespace(&[read])), ["TLR-rbac-read-secrets"]);
        let get_only = findings(&bound_in_namespace(&[rule(&[""], &["secrets"], &["get"])]));
        assert!(!get_only[0].message.contains("list and watch"));
        let named = json!({"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["tls"], "verbs": ["get"]});
        assert!(
            ids(&bound_cluster_wide(&[named])).is_empty(),
            "named Secrets are least privilege"
        );
        assert!(ids(&bound_cluster_wide(&[rule(&[""], &["secrets"], &["create", "delete"])])).is_empty());
    }

    #[test]
    fn escalate_and_bind_are_critical_cluster_wide_and_high_in_a_namespace() {
        assert_eq!(
            ids(&bound_cluster_wide(&[rule(&[RBAC], &["clusterroles"], &["bind"])])),
            ["TLR-rbac-escalate-bind-cluster-wide"]
        );
        assert_eq!(
            ids(&bound_in_namespace(&[rule(&[RBAC], &["roles"], &["escalate"])])),
            ["TLR-rbac-escalate-bind"]
        );
        // Binding is checked even for named roles: one name can be cluster-admin.
        let named = json!({"apiGroups": [RBAC], "resources": ["clusterroles"], "resourceNames": ["cluster-admin"], "verbs": ["bind"]});
        assert_eq!(
            ids(&bound_cluster_wide(&[named])),
            ["TLR-rbac-escalate-bind-cluster-wide"]
        );
        assert!(ids(&bound_cluster_wide(&[rule(
            &[RBAC],
            &["roles", "clusterroles"],
            &["get", "list"]
        )]))
        .is_empty());
    }

    #[test]
    fn impersonation_is_critical_cluster_wide_and_high_for_a_namespace_service_accounts() {
        assert_eq!(
            ids(&bound_cluster_wide(&[rule(&[""], &["groups"], &["impersonate"])])),
            ["TLR-rbac-impersonate-cluster-wide"]
        );
        assert_eq!(
            ids(&bound_in_namespace(&[rule(
                &[""],
                &["serviceaccounts"],
                &["impersonate"]
            )])),
            ["TLR-rbac-impersonate"]
        );
        // Users and groups are not namespaced: a RoleBinding cannot grant impersonating them.
        assert!(ids(&bound_in_namespace(&[rule(&[""], &["users"], &["impersonate"])])).is_empty());
    }

    #[test]
    fn starting_pods_directly_or_through_controllers_is_flagged() {
        assert_eq!(
            ids(&bound_in_namespace(&[rule(&["apps"], &["deployments"], &["patch"])])),
            ["TLR-rbac-create-pods"]
        );
        assert_eq!(
            ids(&bound_in_namespace(&[rule(&[""], &["pods"], &["create"])])),
            ["TLR-rbac-create-pods"]
        );
        // A Job's pod template is immutable: only creating Jobs starts new pods.
        assert!(ids(&bound_in_namespace(&[rule(
            &["batch"],
            &["jobs"],
            &["update", "patch"]
        )]))
        .is_empty());
        assert!(ids(&bound_in_namespace(&[rule(
            &["", "apps"],
            &["pods", "deployments"],
            &["get", "list", "delete"]
        )]))
        .is_empty());
    }

    #[test]
    fn minting_tokens_is_flagged_unless_limited_to_named_accounts() {
        assert_eq!(
            ids(&bound_in_namespace(&[rule(
                &[""],
                &["serviceaccounts/token"],
                &["create"]
            )])),
            ["TLR-rbac-create-tokens"]
        );
        let named = json!({"apiGroups": [""], "resources": ["serviceaccounts/token"], "resourceNames": ["builder"], "verbs": ["create"]});
        assert!(ids(&bound_in_namespace(&[named])).is_empty());
    }

    #[test]
    fn bindings_to_unknown_roles_say_they_were_not_analysed() {
        let found = findings(&[role_binding(
            "ml",
            "auth",
            "ClusterRole",
            "system:auth-delegator",
            &[subject("ServiceAccount", "api", None)],
        )]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "TLR-rbac-unresolved-role");
        assert_eq!(
            found[0].message,
            "RoleBinding ml/auth gives ServiceAccount ml/api ClusterRole system:auth-delegator in namespace ml, which is neither in the scanned objects nor a built-in role Tailor knows: its permissions were not analysed. No workload in the scanned objects runs as it."
        );
    }

    #[test]
    fn risky_roles_no_binding_grants_are_reported_at_the_rule() {
        let unbound = [role(
            "ml",
            "debugger",
            &[
                rule(&[""], &["configmaps"], &["get"]),
                rule(&[""], &["pods/exec"], &["get"]),
            ],
        )];
        let found = findings(&unbound);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].kind.as_str(), found[0].field.as_str()), ("Role", "rules[1]"));
        assert_eq!(
            found[0].message,
            "Role ml/debugger lets whoever it is bound to exec, attach or port-forward into pods: get on pods/exec in rules[1]; no binding in the scanned objects grants it."
        );
        // Once bound, the binding carries the finding, and the role none.
        let mut bound = unbound.to_vec();
        bound.push(role_binding(
            "ml",
            "debug",
            "Role",
            "debugger",
            &[subject("User", "dev", None)],
        ));
        let found = findings(&bound);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, "RoleBinding");
    }

    #[test]
    fn read_only_roles_give_no_findings() {
        let viewer = cluster_role(
            "viewer",
            &[
                rule(
                    &["", "apps", "batch"],
                    &["pods", "pods/log", "services", "deployments", "jobs"],
                    &["get", "list", "watch"],
                ),
                json!({"nonResourceURLs": ["/metrics"], "verbs": ["get"]}),
            ],
        );
        let objects = [
            viewer,
            cluster_role_binding("viewers", "viewer", &[subject("Group", "system:authenticated", None)]),
            role_binding(
                "ml",
                "view",
                "ClusterRole",
                "view",
                &[service_account_subject("ml", "dashboard")],
            ),
        ];
        assert!(ids(&objects).is_empty(), "{:#?}", findings(&objects));
    }

    #[test]
    fn workloads_without_a_namespace_run_in_the_one_their_file_binds() {
        let found = findings(&[
            cluster_role("controller", &[rule(&[""], &["secrets"], &["list"])]),
            cluster_role_binding(
                "controller",
                "controller",
                &[service_account_subject("argocd", "controller")],
            ),
            deployment(None, "controller", Some("controller")),
        ]);
        assert!(
            found[0].message.ends_with("Used by Deployment argocd/controller."),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn groups_name_their_members_and_the_workloads_among_them() {
        let found = findings(&[
            cluster_role("lister", &[rule(&[""], &["secrets"], &["list"])]),
            cluster_role_binding(
                "everyone",
                "lister",
                &[subject("Group", "system:serviceaccounts:ml", None)],
            ),
            deployment(Some("ml"), "a", None),
            deployment(Some("web"), "b", None),
        ]);
        assert!(
            found[0].message.starts_with(
                "ClusterRoleBinding everyone lets Group system:serviceaccounts:ml (every service account in namespace ml) read Secrets cluster-wide"
            ) && found[0].message.ends_with("Used by Deployment ml/a."),
            "{}",
            found[0].message
        );
    }
}

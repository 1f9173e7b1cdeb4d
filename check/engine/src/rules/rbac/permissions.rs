//! The permission resolver: from the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings
//! loaded together, who holds which rules, where, and through which binding and role.
//!
//! It follows the API server's RBAC authorizer:
//! - an aggregated ClusterRole (`aggregationRule.clusterRoleSelectors`) holds the rules of
//!   every ClusterRole whose labels a selector matches, transitively;
//! - a RoleBinding grants its role (a Role of its namespace, or a ClusterRole) in its own
//!   namespace only; a ClusterRoleBinding grants its ClusterRole in every namespace and on
//!   cluster-scoped resources;
//! - a ServiceAccount subject of a RoleBinding without a namespace is in the binding's
//!   namespace; a User subject named `system:serviceaccount:<ns>:<name>` is that service
//!   account;
//! - service accounts belong to the groups `system:serviceaccounts`,
//!   `system:serviceaccounts:<ns>` and `system:authenticated`, users to
//!   `system:authenticated`.
//!
//! Bindings to roles the input does not define resolve to the built-in `cluster-admin`,
//! `admin`, `edit` and `view` ([`super::builtin`]); any other missing role is unresolved
//! (`Grant::role` is `None`): its permissions are unknown, never guessed.
//!
//! A namespace of `None` is the one the manifests are applied to (`kubectl apply` without
//! `-n`): objects without `metadata.namespace` share it.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use tailor_kube::k8s_openapi::api::rbac::v1::{self as rbac, PolicyRule};
use tailor_kube::k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use tailor_kube::KubeObject;

use super::builtin;
use crate::rules::network::selectors;
use crate::Inventory;

/// The namespace a name is in: `None` when the manifest leaves it unset.
pub type Namespace<'a> = Option<&'a str>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubjectKind {
    User,
    Group,
    ServiceAccount,
}

/// Who a binding grants its role to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subject {
    pub kind: SubjectKind,
    pub name: String,
    /// A service account's namespace (always `None` for users and groups).
    pub namespace: Option<String>,
}

const SERVICE_ACCOUNT_USER_PREFIX: &str = "system:serviceaccount:";
pub const ALL_SERVICE_ACCOUNTS: &str = "system:serviceaccounts";
pub const AUTHENTICATED: &str = "system:authenticated";
pub const MASTERS: &str = "system:masters";

impl Subject {
    pub fn service_account(namespace: Namespace, name: &str) -> Subject {
        Subject {
            kind: SubjectKind::ServiceAccount,
            name: name.to_owned(),
            namespace: namespace.map(str::to_owned),
        }
    }

    pub fn user(name: &str) -> Subject {
        match name
            .strip_prefix(SERVICE_ACCOUNT_USER_PREFIX)
            .and_then(|rest| rest.split_once(':'))
        {
            Some((namespace, account)) => Subject::service_account(Some(namespace), account),
            None => Subject {
                kind: SubjectKind::User,
                name: name.to_owned(),
                namespace: None,
            },
        }
    }

    pub fn group(name: &str) -> Subject {
        Subject {
            kind: SubjectKind::Group,
            name: name.to_owned(),
            namespace: None,
        }
    }

    /// The subject a binding names, with the API server's defaults; `None` for an unknown kind.
    fn of_binding(subject: &rbac::Subject, binding_namespace: Namespace) -> Option<Subject> {
        match subject.kind.as_str() {
            "ServiceAccount" => Some(Subject::service_account(
                subject.namespace.as_deref().or(binding_namespace),
                &subject.name,
            )),
            "User" => Some(Subject::user(&subject.name)),
            "Group" => Some(Subject::group(&subject.name)),
            _ => None,
        }
    }

    /// The groups the API server puts this subject in, whatever its credentials say.
    pub fn implicit_groups(&self) -> Vec<Subject> {
        match self.kind {
            SubjectKind::ServiceAccount => {
                let mut groups = vec![Subject::group(ALL_SERVICE_ACCOUNTS), Subject::group(AUTHENTICATED)];
                if let Some(namespace) = &self.namespace {
                    groups.push(Subject::group(&format!("{ALL_SERVICE_ACCOUNTS}:{namespace}")));
                }
                groups
            }
            SubjectKind::User => vec![Subject::group(AUTHENTICATED)],
            SubjectKind::Group => Vec::new(),
        }
    }

    /// For the groups Kubernetes fills itself, who is in them.
    pub fn membership(&self) -> Option<String> {
        if self.kind != SubjectKind::Group {
            return None;
        }
        match self.name.as_str() {
            AUTHENTICATED => Some("every authenticated user and service account".to_owned()),
            ALL_SERVICE_ACCOUNTS => Some("every service account".to_owned()),
            MASTERS => Some("unrestricted administrators".to_owned()),
            name => name
                .strip_prefix(ALL_SERVICE_ACCOUNTS)
                .and_then(|rest| rest.strip_prefix(':'))
                .map(|namespace| format!("every service account in namespace {namespace}")),
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            SubjectKind::ServiceAccount => {
                write!(f, "ServiceAccount {}", qualified(self.namespace.as_deref(), &self.name))
            }
            SubjectKind::User => write!(f, "User {}", self.name),
            SubjectKind::Group => match self.membership() {
                Some(members) => write!(f, "Group {} ({members})", self.name),
                None => write!(f, "Group {}", self.name),
            },
        }
    }
}

/// `namespace/name`, or `name` alone when the namespace is unset.
pub fn qualified(namespace: Namespace, name: &str) -> String {
    match namespace {
        Some(namespace) => format!("{namespace}/{name}"),
        None => name.to_owned(),
    }
}

/// Where a grant applies.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every namespace and the cluster-scoped resources (a ClusterRoleBinding).
    Cluster,
    /// One namespace (a RoleBinding).
    Namespace(Option<String>),
}

impl Scope {
    pub fn is_cluster(&self) -> bool {
        matches!(self, Scope::Cluster)
    }

    /// Whether a grant with this scope applies to a request in `namespace` (`None`: a
    /// cluster-scoped resource).
    pub fn covers(&self, namespace: Option<&str>) -> bool {
        match self {
            Scope::Cluster => true,
            Scope::Namespace(scope) => namespace.is_some() && scope.as_deref() == namespace,
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Cluster => f.write_str("cluster-wide"),
            Scope::Namespace(Some(namespace)) => write!(f, "in namespace {namespace}"),
            Scope::Namespace(None) => f.write_str("in the namespace it is applied to"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RoleKind {
    Role,
    ClusterRole,
}

impl fmt::Display for RoleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindingKind {
    RoleBinding,
    ClusterRoleBinding,
}

impl fmt::Display for BindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BindingKind::RoleBinding => "RoleBinding",
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
        })
    }
}

/// A role of the resolver, by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleId(pub usize);

/// A Role or ClusterRole: from the input or built in.
#[derive(Debug)]
pub struct RoleDef<'a> {
    pub kind: RoleKind,
    pub name: &'a str,
    pub namespace: Namespace<'a>,
    /// Its entry in the inventory; `None` for a built-in role.
    pub entry: Option<usize>,
    file: Option<&'a str>,
    /// Its own `rules` (an aggregated ClusterRole's come from [`Permissions::rules`]).
    pub own_rules: &'a [PolicyRule],
    labels: Option<&'a BTreeMap<String, String>>,
    selectors: &'a [LabelSelector],
}

impl RoleDef<'_> {
    pub fn is_built_in(&self) -> bool {
        self.entry.is_none()
    }
}

impl fmt::Display for RoleDef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.is_built_in()) {
            (RoleKind::Role, _) => write!(f, "Role {}", qualified(self.namespace, self.name)),
            (RoleKind::ClusterRole, false) => write!(f, "ClusterRole {}", self.name),
            (RoleKind::ClusterRole, true) => write!(f, "built-in ClusterRole {}", self.name),
        }
    }
}

/// A rule a role holds: its own or one of a ClusterRole it aggregates.
#[derive(Clone, Copy, Debug)]
pub struct GrantedRule<'a> {
    pub rule: &'a PolicyRule,
    /// The role whose `rules` declare it.
    pub declared_by: RoleId,
    /// Its index in that role's `rules`.
    pub index: usize,
}

/// What one binding grants.
#[derive(Debug)]
pub struct Grant<'a> {
    /// The binding's entry in the inventory.
    pub binding: usize,
    pub binding_kind: BindingKind,
    pub binding_name: &'a str,
    pub binding_namespace: Namespace<'a>,
    /// The role as `roleRef` names it.
    pub role_kind: RoleKind,
    pub role_name: &'a str,
    /// The role `roleRef` resolves to; `None` when neither the input nor the built-in roles
    /// have it, so what it grants is unknown.
    pub role: Option<RoleId>,
    pub scope: Scope,
    /// The subjects, with their index in the binding's `subjects`.
    pub subjects: Vec<(usize, Subject)>,
}

impl fmt::Display for Grant<'_> {
    /// The binding, e.g. `RoleBinding ml/reader`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.binding_kind {
            BindingKind::RoleBinding => write!(
                f,
                "RoleBinding {}",
                qualified(self.binding_namespace, self.binding_name)
            ),
            BindingKind::ClusterRoleBinding => write!(f, "ClusterRoleBinding {}", self.binding_name),
        }
    }
}

/// A rule a subject holds, with the grant that gives it.
#[derive(Clone, Copy, Debug)]
pub struct EffectiveRule<'p, 'a> {
    pub grant: &'p Grant<'a>,
    pub rule: GrantedRule<'a>,
}

/// A request to the API server for a resource, as the RBAC authorizer sees it.
#[derive(Clone, Copy, Debug)]
pub struct ResourceRequest<'r> {
    pub verb: &'r str,
    pub group: &'r str,
    /// The resource with its subresource, e.g. `pods/exec`.
    pub resource: &'r str,
    /// `None` for a cluster-scoped resource.
    pub namespace: Option<&'r str>,
    pub name: Option<&'r str>,
}

/// Everything the RBAC objects of an inventory grant, indexed by role and subject.
#[derive(Debug)]
pub struct Permissions<'a> {
    roles: Vec<RoleDef<'a>>,
    /// Per role: its own rules and those of the roles it aggregates.
    rules: Vec<Vec<GrantedRule<'a>>>,
    /// Per role: whether a binding reaches it, directly or through aggregation.
    bound: Vec<bool>,
    grants: Vec<Grant<'a>>,
    /// Grants by the subject they name.
    by_subject: HashMap<Subject, Vec<usize>>,
}

impl<'a> Permissions<'a> {
    pub fn resolve(inventory: &'a Inventory) -> Permissions<'a> {
        let mut roles = Vec::new();
        let mut bindings = Vec::new();
        for (index, entry) in inventory.entries.iter().enumerate() {
            let Some(object) = entry.object.kube() else {
                continue;
            };
            let file = Some(entry.source.file.as_str());
            let namespace = entry.source.namespace.as_deref();
            match object {
                KubeObject::Role(role) => roles.push(RoleDef {
                    kind: RoleKind::Role,
                    name: role.metadata.name.as_deref().unwrap_or_default(),
                    namespace,
                    entry: Some(index),
                    file,
                    own_rules: role.rules.as_deref().unwrap_or_default(),
                    labels: role.metadata.labels.as_ref(),
                    selectors: &[],
                }),
                KubeObject::ClusterRole(role) => roles.push(cluster_role_def(role, Some(index), file)),
                KubeObject::RoleBinding(binding) => bindings.push(BindingView {
                    entry: index,
                    file,
                    kind: BindingKind::RoleBinding,
                    name: binding.metadata.name.as_deref().unwrap_or_default(),
                    namespace,
                    role_ref: &binding.role_ref,
                    subjects: binding.subjects.as_deref().unwrap_or_default(),
                }),
                KubeObject::ClusterRoleBinding(binding) => bindings.push(BindingView {
                    entry: index,
                    file,
                    kind: BindingKind::ClusterRoleBinding,
                    name: binding.metadata.name.as_deref().unwrap_or_default(),
                    namespace: None,
                    role_ref: &binding.role_ref,
                    subjects: binding.subjects.as_deref().unwrap_or_default(),
                }),
                _ => {}
            }
        }
        // Built-in roles the input does not redefine.
        for role in builtin::CLUSTER_ROLES.iter() {
            let name = role.metadata.name.as_deref().unwrap_or_default();
            if !roles.iter().any(|r| r.kind == RoleKind::ClusterRole && r.name == name) {
                roles.push(cluster_role_def(role, None, None));
            }
        }

        let mut by_name: HashMap<(RoleKind, Namespace<'a>, &'a str), Vec<RoleId>> = HashMap::new();
        for (id, role) in roles.iter().enumerate() {
            by_name
                .entry((role.kind, role.namespace, role.name))
                .or_default()
                .push(RoleId(id));
        }
        let members = aggregation_members(&roles);
        let rules = aggregated_rules(&roles, &members);

        let grants: Vec<Grant<'a>> = bindings.iter().map(|binding| binding.grant(&roles, &by_name)).collect();
        let mut by_subject: HashMap<Subject, Vec<usize>> = HashMap::new();
        for (index, grant) in grants.iter().enumerate() {
            for (_, subject) in &grant.subjects {
                let list = by_subject.entry(subject.clone()).or_default();
                if list.last() != Some(&index) {
                    list.push(index);
                }
            }
        }
        // Every definition of a name a binding references counts as bound, whichever one the
        // binding resolved to.
        let referenced: std::collections::HashSet<(RoleKind, Namespace, &str)> = grants
            .iter()
            .filter_map(|g| g.role)
            .map(|id| (roles[id.0].kind, roles[id.0].namespace, roles[id.0].name))
            .collect();
        let bound = reachable(
            &members,
            (0..roles.len())
                .filter(|&id| {
                    let role = &roles[id];
                    role.is_built_in() || referenced.contains(&(role.kind, role.namespace, role.name))
                })
                .map(RoleId),
        );
        Permissions {
            roles,
            rules,
            bound,
            grants,
            by_subject,
        }
    }

    pub fn roles(&self) -> impl Iterator<Item = (RoleId, &RoleDef<'a>)> {
        self.roles.iter().enumerate().map(|(id, role)| (RoleId(id), role))
    }

    pub fn role(&self, id: RoleId) -> &RoleDef<'a> {
        &self.roles[id.0]
    }

    /// The rules `id` holds: its own and, for an aggregated ClusterRole, those of every
    /// ClusterRole it aggregates.
    pub fn rules(&self, id: RoleId) -> &[GrantedRule<'a>] {
        &self.rules[id.0]
    }

    /// Whether a binding of the input grants `id`, directly or through an aggregated
    /// ClusterRole; roles aggregated into the built-in `admin`, `edit` and `view` count as
    /// granted, since clusters bind those.
    pub fn is_bound(&self, id: RoleId) -> bool {
        self.bound[id.0]
    }

    pub fn grants(&self) -> &[Grant<'a>] {
        &self.grants
    }

    /// The rules a grant gives (none when its role is unresolved).
    pub fn granted_rules(&self, grant: &Grant<'a>) -> &[GrantedRule<'a>] {
        grant.role.map(|id| self.rules(id)).unwrap_or_default()
    }

    /// Every subject a binding names.
    pub fn subjects(&self) -> impl Iterator<Item = &Subject> {
        self.by_subject.keys()
    }

    /// The grants whose binding names `subject` itself.
    pub fn grants_naming<'p>(&'p self, subject: &Subject) -> impl Iterator<Item = &'p Grant<'a>> {
        self.by_subject
            .get(subject)
            .into_iter()
            .flatten()
            .map(|&index| &self.grants[index])
    }

    /// Every grant `subject` holds: those naming it and those naming a group it is in.
    pub fn grants_to<'p>(&'p self, subject: &Subject) -> Vec<&'p Grant<'a>> {
        let mut indexes: Vec<usize> = std::iter::once(subject.clone())
            .chain(subject.implicit_groups())
            .filter_map(|s| self.by_subject.get(&s))
            .flatten()
            .copied()
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        indexes.into_iter().map(|index| &self.grants[index]).collect()
    }

    /// Every rule `subject` holds, with where it applies and the grant that gives it.
    pub fn effective_rules<'p>(&'p self, subject: &Subject) -> Vec<EffectiveRule<'p, 'a>> {
        self.grants_to(subject)
            .into_iter()
            .flat_map(|grant| {
                self.granted_rules(grant)
                    .iter()
                    .map(move |&rule| EffectiveRule { grant, rule })
            })
            .collect()
    }

    /// The first rule that allows `request` to `subject`, as the RBAC authorizer decides.
    pub fn authorize<'p>(&'p self, subject: &Subject, request: &ResourceRequest) -> Option<EffectiveRule<'p, 'a>> {
        self.effective_rules(subject).into_iter().find(|effective| {
            effective.grant.scope.covers(request.namespace) && rule_allows(effective.rule.rule, request)
        })
    }
}

/// Whether `rule` allows `request` (the RBAC authorizer's `RuleAllows`).
pub fn rule_allows(rule: &PolicyRule, request: &ResourceRequest) -> bool {
    verb_matches(rule, request.verb)
        && group_matches(rule, request.group)
        && resource_matches(rule, request.resource)
        && names_match(rule, request.name)
}

pub fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

pub fn group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().flatten().any(|g| g == "*" || g == group)
}

/// `resource` is `name` or `name/subresource`; a rule's `*` matches any, and `*/sub` any
/// resource's subresource `sub`.
pub fn resource_matches(rule: &PolicyRule, resource: &str) -> bool {
    let subresource = resource.split_once('/').map(|(_, sub)| sub);
    rule.resources
        .iter()
        .flatten()
        .any(|r| r == "*" || r == resource || subresource.is_some_and(|sub| r.strip_prefix("*/") == Some(sub)))
}

/// A rule listing `resourceNames` allows only requests naming one of them (never a create or
/// a list, which name no object).
pub fn names_match(rule: &PolicyRule, name: Option<&str>) -> bool {
    match rule.resource_names.as_deref() {
        None | Some([]) => true,
        Some(names) => name.is_some_and(|name| names.iter().any(|n| n == name)),
    }
}

fn cluster_role_def<'a>(role: &'a rbac::ClusterRole, entry: Option<usize>, file: Option<&'a str>) -> RoleDef<'a> {
    RoleDef {
        kind: RoleKind::ClusterRole,
        name: role.metadata.name.as_deref().unwrap_or_default(),
        namespace: None,
        entry,
        file,
        own_rules: role.rules.as_deref().unwrap_or_default(),
        labels: role.metadata.labels.as_ref(),
        selectors: role
            .aggregation_rule
            .as_ref()
            .and_then(|rule| rule.cluster_role_selectors.as_deref())
            .unwrap_or_default(),
    }
}

/// A binding while grants are being resolved.
struct BindingView<'a> {
    entry: usize,
    file: Option<&'a str>,
    kind: BindingKind,
    name: &'a str,
    namespace: Namespace<'a>,
    role_ref: &'a rbac::RoleRef,
    subjects: &'a [rbac::Subject],
}

impl<'a> BindingView<'a> {
    fn grant(
        &self,
        roles: &[RoleDef<'a>],
        by_name: &HashMap<(RoleKind, Namespace<'a>, &'a str), Vec<RoleId>>,
    ) -> Grant<'a> {
        let role_kind = if self.role_ref.kind == "Role" {
            RoleKind::Role
        } else {
            RoleKind::ClusterRole
        };
        let role_name = self.role_ref.name.as_str();
        // A ClusterRoleBinding cannot reference a Role.
        let key_namespace = match (role_kind, self.kind) {
            (RoleKind::Role, BindingKind::RoleBinding) => Some(self.namespace),
            (RoleKind::Role, BindingKind::ClusterRoleBinding) => None,
            (RoleKind::ClusterRole, _) => Some(None),
        };
        // Several definitions of one name (several installations scanned together): the one
        // nearest the binding (its own file, else its folder, ...), else the last loaded, as
        // `kubectl apply` would leave it.
        let candidates = key_namespace
            .and_then(|namespace| by_name.get(&(role_kind, namespace, role_name)))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let role = candidates
            .iter()
            .max_by_key(|id| shared_path_length(roles[id.0].file, self.file))
            .copied();
        let scope = match self.kind {
            BindingKind::RoleBinding => Scope::Namespace(self.namespace.map(str::to_owned)),
            BindingKind::ClusterRoleBinding => Scope::Cluster,
        };
        Grant {
            binding: self.entry,
            binding_kind: self.kind,
            binding_name: self.name,
            binding_namespace: self.namespace,
            role_kind,
            role_name,
            role,
            scope,
            subjects: self
                .subjects
                .iter()
                .enumerate()
                .filter_map(|(index, subject)| Some((index, Subject::of_binding(subject, self.namespace)?)))
                .collect(),
        }
    }
}

/// How many leading path components two files share (the whole path for the same file).
fn shared_path_length(a: Option<&str>, b: Option<&str>) -> usize {
    match (a, b) {
        (Some(a), Some(b)) if a == b => usize::MAX,
        (Some(a), Some(b)) => a.split('/').zip(b.split('/')).take_while(|(x, y)| x == y).count(),
        _ => 0,
    }
}

/// Per role: the ClusterRoles its aggregation rule selects (never itself).
fn aggregation_members(roles: &[RoleDef]) -> Vec<Vec<RoleId>> {
    static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();
    roles
        .iter()
        .enumerate()
        .map(|(id, role)| {
            if role.kind != RoleKind::ClusterRole || role.selectors.is_empty() {
                return Vec::new();
            }
            roles
                .iter()
                .enumerate()
                .filter(|&(other, candidate)| {
                    other != id
                        && candidate.kind == RoleKind::ClusterRole
                        && role
                            .selectors
                            .iter()
                            .any(|selector| selectors::matches(selector, candidate.labels.unwrap_or(&NO_LABELS)))
                })
                .map(|(other, _)| RoleId(other))
                .collect()
        })
        .collect()
}

/// Per role: its own rules followed by those of its aggregation members, transitively, each
/// once (aggregation cycles end where they close).
fn aggregated_rules<'a>(roles: &[RoleDef<'a>], members: &[Vec<RoleId>]) -> Vec<Vec<GrantedRule<'a>>> {
    let own = |id: RoleId| {
        roles[id.0]
            .own_rules
            .iter()
            .enumerate()
            .map(move |(index, rule)| GrantedRule {
                rule,
                declared_by: id,
                index,
            })
    };
    (0..roles.len())
        .map(|id| {
            let mut rules: Vec<GrantedRule<'a>> = own(RoleId(id)).collect();
            if members[id].is_empty() {
                return rules;
            }
            let reached = reachable(members, [RoleId(id)]);
            for other in (0..roles.len()).filter(|&other| other != id && reached[other]) {
                rules.extend(own(RoleId(other)));
            }
            rules
        })
        .collect()
}

/// Which roles are reached from `roots` through aggregation.
fn reachable(members: &[Vec<RoleId>], roots: impl IntoIterator<Item = RoleId>) -> Vec<bool> {
    let mut reached = vec![false; members.len()];
    let mut stack: Vec<RoleId> = roots.into_iter().collect();
    while let Some(id) = stack.pop() {
        if !std::mem::replace(&mut reached[id.0], true) {
            stack.extend(members[id.0].iter().copied());
        }
    }
    reached
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rules::rbac::fixtures::*;
    use crate::testing;

    fn request<'r>(
        verb: &'r str,
        group: &'r str,
        resource: &'r str,
        namespace: Option<&'r str>,
    ) -> ResourceRequest<'r> {
        ResourceRequest {
            verb,
            group,
            resource,
            namespace,
            name: None,
        }
    }

    fn allowed(permissions: &Permissions, subject: &Subject, request: &ResourceRequest) -> bool {
        permissions.authorize(subject, request).is_some()
    }

    #[test]
    fn aggregated_cluster_role_holds_the_rules_of_the_roles_it_selects_transitively() {
        let inventory = testing::inventory(&[
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "monitoring"},
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"example.com/aggregate-to-monitoring": "true"}}]}}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "metrics", "labels": {"example.com/aggregate-to-monitoring": "true"}},
                "aggregationRule": {"clusterRoleSelectors": [{"matchExpressions": [{"key": "tier", "operator": "In", "values": ["metrics"]}]}]},
                "rules": [rule(&[""], &["services"], &["get"])]}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "node-metrics", "labels": {"tier": "metrics"}},
                "rules": [rule(&[""], &["nodes/metrics"], &["get"])]}),
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "unrelated", "labels": {"tier": "web"}},
                "rules": [rule(&[""], &["secrets"], &["get"])]}),
            cluster_role_binding(
                "monitoring",
                "monitoring",
                &[service_account_subject("mon", "prometheus")],
            ),
        ]);
        let permissions = Permissions::resolve(&inventory);
        let prometheus = Subject::service_account(Some("mon"), "prometheus");
        let rules = permissions.effective_rules(&prometheus);
        let resources: Vec<&str> = rules
            .iter()
            .flat_map(|r| r.rule.rule.resources.iter().flatten())
            .map(String::as_str)
            .collect();
        assert_eq!(resources, ["services", "nodes/metrics"]);
        // Each rule is traced to the role that declares it.
        assert_eq!(permissions.role(rules[1].rule.declared_by).name, "node-metrics");
        assert!(allowed(
            &permissions,
            &prometheus,
            &request("get", "", "nodes/metrics", None)
        ));
        assert!(!allowed(
            &permissions,
            &prometheus,
            &request("get", "", "secrets", Some("mon"))
        ));
        // Aggregated members are granted through the aggregating role; the unrelated role is not.
        let bound: Vec<&str> = permissions
            .roles()
            .filter(|(id, role)| !role.is_built_in() && permissions.is_bound(*id))
            .map(|(_, role)| role.name)
            .collect();
        assert_eq!(bound, ["monitoring", "metrics", "node-metrics"]);
    }

    #[test]
    fn aggregation_cycles_terminate() {
        let aggregating = |name: &str, label: &str, selects: &str| {
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": name, "labels": {label: "true"}},
                "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {selects: "true"}}]},
                "rules": [rule(&[""], &[name], &["get"])]})
        };
        let inventory = testing::inventory(&[aggregating("a", "to-b", "to-a"), aggregating("b", "to-a", "to-b")]);
        let permissions = Permissions::resolve(&inventory);
        for (id, role) in permissions.roles().filter(|(_, role)| !role.is_built_in()) {
            assert_eq!(
                permissions.rules(id).len(),
                2,
                "{} holds its own rule and the other's",
                role.name
            );
        }
    }

    #[test]
    fn role_binding_to_a_cluster_role_grants_it_in_the_binding_namespace_only() {
        let inventory = testing::inventory(&[
            cluster_role("secret-reader", &[rule(&[""], &["secrets"], &["get"])]),
            role_binding(
                "ml",
                "read",
                "ClusterRole",
                "secret-reader",
                &[subject("User", "alice", None)],
            ),
        ]);
        let permissions = Permissions::resolve(&inventory);
        let alice = Subject::user("alice");
        assert_eq!(permissions.grants()[0].scope, Scope::Namespace(Some("ml".to_owned())));
        assert!(allowed(
            &permissions,
            &alice,
            &request("get", "", "secrets", Some("ml"))
        ));
        assert!(!allowed(
            &permissions,
            &alice,
            &request("get", "", "secrets", Some("kube-system"))
        ));
        assert!(!allowed(&permissions, &alice, &request("get", "", "secrets", None)));
    }

    #[test]
    fn role_binding_finds_the_role_of_its_own_namespace() {
        let inventory = testing::inventory(&[
            role("a", "reader", &[rule(&[""], &["configmaps"], &["get"])]),
            role("b", "reader", &[rule(&[""], &["secrets"], &["get"])]),
            role_binding("b", "read", "Role", "reader", &[subject("User", "bob", None)]),
            // A ClusterRoleBinding cannot reference a Role.
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "bad"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
                "subjects": [subject("User", "carol", None)]}),
        ]);
        let permissions = Permissions::resolve(&inventory);
        let role = permissions.grants()[0].role.map(|id| permissions.role(id)).unwrap();
        assert_eq!((role.namespace, role.name), (Some("b"), "reader"));
        assert!(allowed(
            &permissions,
            &Subject::user("bob"),
            &request("get", "", "secrets", Some("b"))
        ));
        assert_eq!(permissions.grants()[1].role, None);
    }

    #[test]
    fn binding_resolves_a_name_defined_twice_to_the_nearest_definition() {
        let mut inventory = testing::inventory(&[
            cluster_role("manager", &[rule(&[""], &["configmaps"], &["get"])]),
            cluster_role("manager", &[rule(&[""], &["secrets"], &["get"])]),
            cluster_role_binding("manager", "manager", &[subject("User", "u", None)]),
            cluster_role("manager", &[rule(&[""], &["pods"], &["get"])]),
        ]);
        for (entry, file) in inventory.entries.iter_mut().zip([
            "a/config/rbac/role.yaml",
            "b/config/rbac/role.yaml",
            "b/config/rbac/binding.yaml",
            "c/install.yaml",
        ]) {
            entry.source.file = file.into();
        }
        let permissions = Permissions::resolve(&inventory);
        let role = permissions.grants()[0].role.unwrap();
        assert_eq!(
            permissions.role(role).entry,
            Some(1),
            "the definition in the binding's folder"
        );
        // Every definition of the name counts as bound, whichever the binding resolved to.
        assert!(permissions
            .roles()
            .filter(|(_, r)| !r.is_built_in())
            .all(|(id, _)| permissions.is_bound(id)));
    }

    #[test]
    fn service_account_subject_without_namespace_is_in_the_binding_namespace() {
        let inventory = testing::inventory(&[
            role("ml", "reader", &[rule(&[""], &["pods"], &["list"])]),
            role_binding(
                "ml",
                "read",
                "Role",
                "reader",
                &[subject("ServiceAccount", "trainer", None)],
            ),
            // The user name of a service account is that service account.
            role_binding(
                "ml",
                "read-as-user",
                "Role",
                "reader",
                &[subject("User", "system:serviceaccount:ml:server", None)],
            ),
        ]);
        let permissions = Permissions::resolve(&inventory);
        assert_eq!(
            permissions.grants()[0].subjects,
            [(0, Subject::service_account(Some("ml"), "trainer"))]
        );
        let server = Subject::service_account(Some("ml"), "server");
        assert!(allowed(&permissions, &server, &request("list", "", "pods", Some("ml"))));
    }

    #[test]
    fn service_accounts_hold_what_their_groups_are_granted() {
        let inventory = testing::inventory(&[
            cluster_role("a", &[rule(&[""], &["configmaps"], &["get"])]),
            cluster_role("b", &[rule(&[""], &["services"], &["get"])]),
            cluster_role("c", &[rule(&[""], &["endpoints"], &["get"])]),
            cluster_role_binding("all", "a", &[subject("Group", "system:serviceaccounts", None)]),
            cluster_role_binding("ml", "b", &[subject("Group", "system:serviceaccounts:ml", None)]),
            cluster_role_binding("everyone", "c", &[subject("Group", "system:authenticated", None)]),
        ]);
        let permissions = Permissions::resolve(&inventory);
        let grants = |subject: &Subject| -> Vec<&str> {
            permissions.grants_to(subject).iter().map(|g| g.binding_name).collect()
        };
        assert_eq!(
            grants(&Subject::service_account(Some("ml"), "x")),
            ["all", "ml", "everyone"]
        );
        assert_eq!(grants(&Subject::service_account(Some("web"), "x")), ["all", "everyone"]);
        assert_eq!(grants(&Subject::user("alice")), ["everyone"]);
        assert!(permissions
            .grants_naming(&Subject::service_account(Some("ml"), "x"))
            .next()
            .is_none());
    }

    #[test]
    fn built_in_roles_are_known_and_extended_by_aggregation() {
        let inventory = testing::inventory(&[
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                "metadata": {"name": "models-view", "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
                "rules": [rule(&["serving.example.com"], &["models"], &["get"])]}),
            cluster_role_binding("admins", "cluster-admin", &[subject("Group", "platform", None)]),
            role_binding(
                "ml",
                "viewers",
                "ClusterRole",
                "view",
                &[subject("User", "viewer", None)],
            ),
            role_binding(
                "ml",
                "editors",
                "ClusterRole",
                "edit",
                &[subject("User", "editor", None)],
            ),
        ]);
        let permissions = Permissions::resolve(&inventory);
        let admin = Subject::group("platform");
        assert!(allowed(
            &permissions,
            &admin,
            &request("escalate", "rbac.authorization.k8s.io", "clusterroles", None)
        ));
        let viewer = Subject::user("viewer");
        assert!(allowed(
            &permissions,
            &viewer,
            &request("list", "apps", "deployments", Some("ml"))
        ));
        assert!(allowed(
            &permissions,
            &viewer,
            &request("get", "serving.example.com", "models", Some("ml"))
        ));
        assert!(
            !allowed(&permissions, &viewer, &request("get", "", "secrets", Some("ml"))),
            "view excludes Secrets"
        );
        // edit aggregates view (and so the input's aggregate-to-view role) and its own rules.
        let editor = Subject::user("editor");
        assert!(allowed(
            &permissions,
            &editor,
            &request("get", "serving.example.com", "models", Some("ml"))
        ));
        assert!(allowed(
            &permissions,
            &editor,
            &request("create", "", "pods/exec", Some("ml"))
        ));
        assert!(!allowed(
            &permissions,
            &editor,
            &request("create", "rbac.authorization.k8s.io", "rolebindings", Some("ml"))
        ));
        // A role aggregated into a built-in one counts as bound.
        let (models, _) = permissions.roles().find(|(_, r)| r.name == "models-view").unwrap();
        assert!(permissions.is_bound(models));
    }

    #[test]
    fn bindings_to_roles_neither_loaded_nor_built_in_are_unresolved() {
        let inventory = testing::inventory(&[cluster_role_binding(
            "delegator",
            "system:auth-delegator",
            &[service_account_subject("ml", "x")],
        )]);
        let permissions = Permissions::resolve(&inventory);
        let grant = &permissions.grants()[0];
        assert_eq!((grant.role, grant.role_name), (None, "system:auth-delegator"));
        assert!(permissions.granted_rules(grant).is_empty());
        assert!(permissions
            .effective_rules(&Subject::service_account(Some("ml"), "x"))
            .is_empty());
    }

    #[test]
    fn rule_matching_follows_the_rbac_authorizer() {
        let named = PolicyRule {
            api_groups: Some(vec![String::new()]),
            resources: Some(vec!["*/scale".to_owned(), "secrets".to_owned()]),
            resource_names: Some(vec!["tls".to_owned()]),
            verbs: vec!["get".to_owned(), "update".to_owned()],
            ..PolicyRule::default()
        };
        let at = |verb, resource, name| ResourceRequest {
            verb,
            group: "",
            resource,
            namespace: Some("ml"),
            name,
        };
        assert!(rule_allows(&named, &at("get", "secrets", Some("tls"))));
        assert!(!rule_allows(&named, &at("get", "secrets", Some("other"))));
        assert!(
            !rule_allows(&named, &at("get", "secrets", None)),
            "a list names no object"
        );
        assert!(rule_allows(
            &named,
            &at("update", "replicationcontrollers/scale", Some("tls"))
        ));
        assert!(!rule_allows(
            &named,
            &at("update", "replicationcontrollers", Some("tls"))
        ));
        assert!(!rule_allows(&named, &at("delete", "secrets", Some("tls"))));
    }
}

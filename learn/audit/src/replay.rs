//! `tailor rbac replay` and `tailor rbac unused`: every event decided again against a set of
//! RBAC objects, with the Kubernetes RBAC authorizer's semantics, through the permission
//! resolver of `tailor-check` (aggregation, bindings, subjects, groups).
//!
//! What this module adds to the resolver is what only a request carries: the requester's own
//! groups (as the audit event records them), non-resource URLs (granted by ClusterRoleBindings
//! only, `*` as a suffix wildcard), and the API server's `system:masters` superuser group,
//! which no RBAC rule is needed for.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::{json, Value};
use tailor_check::rules::rbac::permissions::{
    qualified, verb_matches, EffectiveRule, Grant, Permissions, ResourceRequest, RoleId, Subject, AUTHENTICATED,
    MASTERS,
};
use tailor_kube::k8s_openapi::api::rbac::v1::PolicyRule;

use crate::event::{Event, Request};

/// Whether `rule` allows a non-resource request (the authorizer's `NonResourceURLMatches`).
pub fn non_resource_allows(rule: &PolicyRule, verb: &str, path: &str) -> bool {
    verb_matches(rule, verb)
        && rule.non_resource_urls.iter().flatten().any(|url| {
            url == "*" || url == path || url.strip_suffix('*').is_some_and(|prefix| path.starts_with(prefix))
        })
}

/// How many distinct requests are kept per used rule, to say what a wildcard was used for.
const MAX_USED_FOR: usize = 64;

/// A rule that allowed a request: `(binding's inventory entry, declaring role, rule index)`.
pub type RuleKey = (usize, RoleId, usize);

/// Why a request is allowed.
#[derive(Clone, Copy, Debug)]
pub enum Allowed<'p, 'a> {
    Rule(EffectiveRule<'p, 'a>),
    /// In `system:masters`: the API server allows it before RBAC is asked.
    Superuser,
}

/// Replays events against the RBAC objects of an inventory.
pub struct Replayer<'p, 'a> {
    permissions: &'p Permissions<'a>,
    /// Ignore the `system:masters` bypass: decide by RBAC rules alone (would this requester
    /// still work outside `system:masters`?).
    pub rbac_only: bool,
    /// Every rule some event used, with the requests it allowed (for `unused`).
    used: BTreeMap<RuleKey, BTreeSet<String>>,
}

impl<'p, 'a> Replayer<'p, 'a> {
    pub fn new(permissions: &'p Permissions<'a>) -> Self {
        Replayer {
            permissions,
            rbac_only: false,
            used: BTreeMap::new(),
        }
    }

    /// The subjects whose grants apply: the user (or service account), the groups the event
    /// records, and, when it records none, the groups Kubernetes always adds.
    fn subjects(event: &Event) -> Vec<Subject> {
        let requester = event.requester();
        let user = Subject::user(requester.username);
        let mut subjects: Vec<Subject> = requester.groups.iter().map(|g| Subject::group(g)).collect();
        if subjects.is_empty() {
            subjects = user.implicit_groups();
        } else if !requester.in_group(AUTHENTICATED) && requester.username != "system:anonymous" {
            subjects.push(Subject::group(AUTHENTICATED));
        }
        subjects.insert(0, user);
        subjects
    }

    /// Every grant of the requester, each once, in the order bindings were loaded.
    fn grants(&self, subjects: &[Subject]) -> Vec<&'p Grant<'a>> {
        let mut grants: Vec<&Grant> = subjects
            .iter()
            .flat_map(|s| self.permissions.grants_naming(s))
            .collect();
        grants.sort_by_key(|g| g.binding);
        grants.dedup_by_key(|g| g.binding);
        grants
    }

    /// Decides `event`: the first rule that allows it, `None` when RBAC denies it. Every
    /// allowing rule is recorded as used.
    pub fn decide(&mut self, event: &Event) -> Option<Allowed<'p, 'a>> {
        if !self.rbac_only && event.requester().in_group(MASTERS) {
            return Some(Allowed::Superuser);
        }
        let subjects = Self::subjects(event);
        let request = event.request();
        let mut first = None;
        for grant in self.grants(&subjects) {
            for rule in self.permissions.granted_rules(grant) {
                let allows = match request {
                    Request::Resource {
                        verb,
                        group,
                        resource,
                        subresource,
                        namespace,
                        name,
                    } => {
                        let resource = crate::event::rbac_resource(resource, subresource);
                        let request = ResourceRequest {
                            verb,
                            group,
                            resource: &resource,
                            namespace,
                            name,
                        };
                        grant.scope.covers(namespace)
                            && tailor_check::rules::rbac::permissions::rule_allows(rule.rule, &request)
                    }
                    Request::NonResource { verb, path } => {
                        grant.scope.is_cluster() && non_resource_allows(rule.rule, verb, path)
                    }
                };
                if allows {
                    let used = self
                        .used
                        .entry((grant.binding, rule.declared_by, rule.index))
                        .or_default();
                    // Without object names and bounded: memory stays flat on a long log.
                    if used.len() < MAX_USED_FOR {
                        used.insert(describe(&without_name(request)));
                    }
                    first.get_or_insert(Allowed::Rule(EffectiveRule { grant, rule: *rule }));
                }
            }
        }
        first
    }

    /// The JSON line of one replayed event.
    pub fn verdict_json(&self, event: &Event, allowed: &Option<Allowed>) -> Value {
        let requester = event.requester();
        let mut line = json!({
            "user": requester.username,
            "request": describe(&event.request()),
            "allowed": allowed.is_some(),
        });
        if let Some(code) = event.response_code() {
            line["logged_code"] = json!(code);
        }
        match allowed {
            Some(Allowed::Rule(effective)) => line["granted_by"] = self.rule_json(effective),
            Some(Allowed::Superuser) => line["granted_by"] = json!({"group": MASTERS, "superuser": true}),
            None => {}
        }
        line
    }

    fn rule_json(&self, effective: &EffectiveRule) -> Value {
        let role = self.permissions.role(effective.rule.declared_by);
        json!({
            "binding": effective.grant.to_string(),
            "role": role.to_string(),
            "rule": effective.rule.index,
            "policy": effective.rule.rule,
        })
    }

    /// Per subject a binding names: the rules it holds that no replayed event used, and, for
    /// the rules with wildcards that were used, what they were used for.
    pub fn unused(&self) -> Vec<Value> {
        let mut by_subject: BTreeMap<Subject, (Vec<Value>, Vec<Value>)> = BTreeMap::new();
        let mut seen: HashSet<(Subject, RuleKey)> = HashSet::new();
        for grant in self.permissions.grants() {
            for rule in self.permissions.granted_rules(grant) {
                let key = (grant.binding, rule.declared_by, rule.index);
                let effective = EffectiveRule { grant, rule: *rule };
                for (_, subject) in &grant.subjects {
                    if !seen.insert((subject.clone(), key)) {
                        continue;
                    }
                    let entry = by_subject.entry(subject.clone()).or_default();
                    match self.used.get(&key) {
                        None => entry.0.push(self.rule_json(&effective)),
                        Some(requests) if has_wildcard(rule.rule) => {
                            let mut described = self.rule_json(&effective);
                            described["used_for"] = json!(requests);
                            entry.1.push(described);
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        by_subject
            .into_iter()
            .filter(|(_, (unused, wildcards))| !unused.is_empty() || !wildcards.is_empty())
            .map(|(subject, (unused, wildcards))| {
                json!({
                    "subject": subject_json(&subject),
                    "unused": unused,
                    "wildcards_used_for": wildcards,
                })
            })
            .collect()
    }
}

fn has_wildcard(rule: &PolicyRule) -> bool {
    let star = |list: &Option<Vec<String>>| list.iter().flatten().any(|s| s.contains('*'));
    rule.verbs.iter().any(|v| v == "*")
        || star(&rule.api_groups)
        || star(&rule.resources)
        || star(&rule.non_resource_urls)
}

fn subject_json(subject: &Subject) -> Value {
    json!({
        "kind": format!("{:?}", subject.kind),
        "name": qualified(subject.namespace.as_deref(), &subject.name),
    })
}

fn without_name(mut request: Request) -> Request {
    if let Request::Resource { name, .. } = &mut request {
        *name = None;
    }
    request
}

/// A request as one line: `get pods/log ns1/name` (group-qualified), or `get /healthz`.
pub fn describe(request: &Request) -> String {
    match *request {
        Request::Resource {
            verb,
            group,
            resource,
            subresource,
            namespace,
            name,
        } => {
            let mut out = format!("{verb} {resource}");
            if !group.is_empty() {
                out = format!("{verb} {resource}.{group}");
            }
            if let Some(sub) = subresource {
                out.push('/');
                out.push_str(sub);
            }
            match (namespace, name) {
                (Some(ns), Some(name)) => out.push_str(&format!(" {ns}/{name}")),
                (Some(ns), None) => out.push_str(&format!(" -n {ns}")),
                (None, Some(name)) => out.push_str(&format!(" {name}")),
                (None, None) => {}
            }
            out
        }
        Request::NonResource { verb, path } => format!("{verb} {path}"),
    }
}

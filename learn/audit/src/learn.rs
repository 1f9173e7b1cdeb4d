//! `tailor learn rbac`: the smallest Roles, ClusterRoles and bindings that allow exactly the
//! requests one subject made.
//!
//! Every request of the subject counts, allowed or denied: under a locked-down trial run the
//! denials are exactly the privileges the workload needs (`only_allowed` narrows to what was
//! already granted). Where Kubernetes would reject or ignore a rule, none is written:
//! - `resourceNames` only for verbs whose requests name an object (never create, list, watch,
//!   deletecollection: the authorizer sees no name there, so such a rule never matches);
//! - cluster-scoped resources, requests across all namespaces and non-resource URLs go to a
//!   ClusterRole bound by a ClusterRoleBinding (a Role's, or a RoleBinding's, would be ignored);
//! - a rule holds either resources or non-resource URLs, never both.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use crate::event::{Decision, Event, Request};
use crate::resources::{self, ResourceScope};
use crate::subject::SubjectFilter;

const RBAC_API_VERSION: &str = "rbac.authorization.k8s.io/v1";

/// Verbs whose requests name no object, so `resourceNames` cannot narrow them.
pub const UNNAMED_VERBS: [&str; 4] = ["create", "list", "watch", "deletecollection"];

#[derive(Clone, Copy, Debug, Default)]
pub struct LearnOptions {
    /// Learn from allowed requests only.
    pub only_allowed: bool,
    /// Never narrow rules by `resourceNames`.
    pub expand_names: bool,
    /// Grant namespaced resources in every namespace (one ClusterRole) instead of per namespace.
    pub expand_namespaces: bool,
}

/// The object names a verb was used on; `None`: any (a request named none, or names are not
/// honoured for it).
type Names = Option<BTreeSet<String>>;

/// `(apiGroup, resource[/subresource])` → verb → names.
type ResourceNeeds = BTreeMap<(String, String), BTreeMap<String, Names>>;

/// What one subject needs, gathered event by event.
#[derive(Debug)]
pub struct RbacLearner {
    subject: SubjectFilter,
    options: LearnOptions,
    /// Per namespace (`None`: cluster-wide).
    resources: BTreeMap<Option<String>, ResourceNeeds>,
    /// Non-resource path → verbs.
    non_resource: BTreeMap<String, BTreeSet<String>>,
    /// The subject's events learned from.
    pub events: u64,
}

impl RbacLearner {
    pub fn new(subject: SubjectFilter, options: LearnOptions) -> RbacLearner {
        RbacLearner {
            subject,
            options,
            resources: BTreeMap::new(),
            non_resource: BTreeMap::new(),
            events: 0,
        }
    }

    pub fn observe(&mut self, event: &Event) {
        if !self.subject.matches(&event.requester()) {
            return;
        }
        if self.options.only_allowed && event.decision() != Decision::Allowed {
            return;
        }
        self.events += 1;
        match event.request() {
            Request::Resource {
                verb,
                group,
                resource,
                subresource,
                namespace,
                name,
            } => {
                let cluster_scoped = resources::scope(group, resource) == Some(ResourceScope::Cluster);
                let namespace = match namespace {
                    Some(_) if cluster_scoped || self.options.expand_namespaces => None,
                    namespace => namespace,
                };
                let resource = crate::event::rbac_resource(resource, subresource);
                let honours_names = !self.options.expand_names && !UNNAMED_VERBS.contains(&verb);
                let names = self
                    .resources
                    .entry(namespace.map(str::to_owned))
                    .or_default()
                    .entry((group.to_owned(), resource))
                    .or_default()
                    .entry(verb.to_owned())
                    .or_insert_with(|| Some(BTreeSet::new()));
                match (name, honours_names, names.as_mut()) {
                    (Some(name), true, Some(set)) => {
                        set.insert(name.to_owned());
                    }
                    (_, _, Some(_)) => *names = None,
                    (_, _, None) => {}
                }
            }
            Request::NonResource { verb, path } => {
                self.non_resource
                    .entry(path.to_owned())
                    .or_default()
                    .insert(verb.to_owned());
            }
        }
    }

    /// The RBAC objects: a ClusterRole and ClusterRoleBinding for what is needed cluster-wide,
    /// a Role and RoleBinding per namespace for the rest; nothing for a subject without events.
    pub fn objects(&self) -> Vec<Value> {
        let name = self.subject.role_name();
        let subject = self.subject.rbac_subject();
        let mut objects = Vec::new();
        let cluster = self.resources.get(&None);
        let mut cluster_rules = cluster.map(resource_rules).unwrap_or_default();
        cluster_rules.extend(non_resource_rules(&self.non_resource));
        if !cluster_rules.is_empty() {
            objects.push(json!({"apiVersion": RBAC_API_VERSION, "kind": "ClusterRole",
                "metadata": {"name": name}, "rules": cluster_rules}));
            objects.push(json!({"apiVersion": RBAC_API_VERSION, "kind": "ClusterRoleBinding",
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                "subjects": [subject]}));
        }
        for (namespace, needs) in &self.resources {
            let Some(namespace) = namespace else { continue };
            let needs = match cluster {
                Some(cluster) => not_granted_by(needs, cluster),
                None => needs.clone(),
            };
            let rules = resource_rules(&needs);
            if rules.is_empty() {
                continue;
            }
            objects.push(json!({"apiVersion": RBAC_API_VERSION, "kind": "Role",
                "metadata": {"name": name, "namespace": namespace}, "rules": rules}));
            objects.push(json!({"apiVersion": RBAC_API_VERSION, "kind": "RoleBinding",
                "metadata": {"name": name, "namespace": namespace},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [subject]}));
        }
        objects
    }
}

/// The needs of a namespace that the cluster-wide grant does not already cover.
fn not_granted_by(needs: &ResourceNeeds, cluster: &ResourceNeeds) -> ResourceNeeds {
    let mut left = ResourceNeeds::new();
    for (key, verbs) in needs {
        for (verb, names) in verbs {
            let covered = match cluster.get(key).and_then(|v| v.get(verb)) {
                Some(None) => true,
                Some(Some(granted)) => names.as_ref().is_some_and(|names| names.is_subset(granted)),
                None => false,
            };
            if !covered {
                left.entry(key.clone()).or_default().insert(verb.clone(), names.clone());
            }
        }
    }
    left
}

/// Rules for resource needs, compact: resources of one group that need the same verbs (on
/// any object) share a rule; a rule narrowed by names is per resource.
fn resource_rules(needs: &ResourceNeeds) -> Vec<Value> {
    // (group, verbs, names) → resources
    let mut rules: BTreeMap<(&str, Vec<&str>, Option<Vec<&str>>), Vec<&str>> = BTreeMap::new();
    for ((group, resource), verbs) in needs {
        let mut by_names: BTreeMap<Option<Vec<&str>>, Vec<&str>> = BTreeMap::new();
        for (verb, names) in verbs {
            let names = names.as_ref().map(|n| n.iter().map(String::as_str).collect());
            by_names.entry(names).or_default().push(verb);
        }
        for (names, verbs) in by_names {
            rules.entry((group, verbs, names)).or_default().push(resource);
        }
    }
    let mut out = Vec::new();
    for ((group, verbs, names), resources) in rules {
        match names {
            None => out.push(json!({"apiGroups": [group], "resources": resources, "verbs": verbs})),
            // One rule per resource: names of one resource must not leak onto another.
            Some(names) => out.extend(resources.iter().map(|resource| {
                json!({"apiGroups": [group], "resources": [resource], "resourceNames": names, "verbs": verbs})
            })),
        }
    }
    out
}

/// Rules for non-resource URLs: paths needing the same verbs share a rule.
fn non_resource_rules(needs: &BTreeMap<String, BTreeSet<String>>) -> Vec<Value> {
    let mut rules: BTreeMap<Vec<&str>, Vec<&str>> = BTreeMap::new();
    for (path, verbs) in needs {
        rules
            .entry(verbs.iter().map(String::as_str).collect())
            .or_default()
            .push(path);
    }
    rules
        .into_iter()
        .map(|(verbs, paths)| json!({"nonResourceURLs": paths, "verbs": verbs}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn learn(subject: SubjectFilter, options: LearnOptions, events: &[Value]) -> Vec<Value> {
        let mut learner = RbacLearner::new(subject, options);
        let text: String = events.iter().map(|e| format!("{e}\n")).collect();
        crate::reader::read_events(text.as_bytes(), |_, event| learner.observe(event)).unwrap();
        learner.objects()
    }

    fn event(user: &str, verb: &str, object_ref: Value, code: u16) -> Value {
        json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "verb": verb, "stage": "ResponseComplete",
            "requestURI": "/x", "user": {"username": user, "groups": ["system:authenticated"]},
            "objectRef": object_ref, "responseStatus": {"code": code}})
    }

    #[test]
    fn names_only_where_honoured_and_cluster_scope_from_the_table() {
        let objects = learn(
            SubjectFilter::User("bob".into()),
            LearnOptions::default(),
            &[
                event(
                    "bob",
                    "get",
                    json!({"resource": "configmaps", "namespace": "ns1", "name": "a", "apiVersion": "v1"}),
                    200,
                ),
                event(
                    "bob",
                    "get",
                    json!({"resource": "configmaps", "namespace": "ns1", "name": "b", "apiVersion": "v1"}),
                    403,
                ),
                event(
                    "bob",
                    "create",
                    json!({"resource": "configmaps", "namespace": "ns1", "name": "c", "apiVersion": "v1"}),
                    201,
                ),
                event(
                    "bob",
                    "list",
                    json!({"resource": "configmaps", "namespace": "ns1", "apiVersion": "v1"}),
                    200,
                ),
                event(
                    "bob",
                    "get",
                    json!({"resource": "nodes", "name": "n1", "apiVersion": "v1"}),
                    200,
                ),
                event("bob", "list", json!({"resource": "pods", "apiVersion": "v1"}), 200),
                event(
                    "bob",
                    "list",
                    json!({"resource": "pods", "namespace": "ns1", "apiVersion": "v1"}),
                    200,
                ),
                event(
                    "alice",
                    "delete",
                    json!({"resource": "secrets", "namespace": "ns1", "name": "s", "apiVersion": "v1"}),
                    200,
                ),
            ],
        );
        let kinds: Vec<&str> = objects.iter().map(|o| o["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"]);
        assert_eq!(
            objects[0]["rules"],
            json!([
                {"apiGroups": [""], "resources": ["nodes"], "resourceNames": ["n1"], "verbs": ["get"]},
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
            ])
        );
        // pods list in ns1 is covered by the cluster-wide list; create/list carry no names.
        assert_eq!(
            objects[2]["rules"],
            json!([
                {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "list"]},
                {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a", "b"], "verbs": ["get"]},
            ])
        );
        assert_eq!(
            objects[3]["subjects"],
            json!([{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "bob"}])
        );
    }

    #[test]
    fn only_allowed_expand_names_and_namespaces() {
        let events = [
            event(
                "bob",
                "get",
                json!({"resource": "widgets", "apiGroup": "example.com", "namespace": "a", "name": "w"}),
                403,
            ),
            event(
                "bob",
                "get",
                json!({"resource": "widgets", "apiGroup": "example.com", "namespace": "b", "name": "v"}),
                200,
            ),
        ];
        let options = LearnOptions {
            only_allowed: true,
            expand_names: true,
            expand_namespaces: true,
        };
        let objects = learn(SubjectFilter::User("bob".into()), options, &events);
        assert_eq!(objects.len(), 2);
        assert_eq!(
            objects[0]["rules"],
            json!([{"apiGroups": ["example.com"], "resources": ["widgets"], "verbs": ["get"]}])
        );
        // Unknown resources are namespaced when their requests name a namespace.
        let objects = learn(SubjectFilter::User("bob".into()), LearnOptions::default(), &events);
        let namespaces: Vec<&str> = objects
            .iter()
            .filter_map(|o| o["metadata"]["namespace"].as_str())
            .collect();
        assert_eq!(namespaces, ["a", "a", "b", "b"]);
    }
}

//! `tailor learn pss`: what Pod Security level each namespace could enforce, learned from what
//! the admission plugin wrote into the audit log, and what each workload would have to change.
//!
//! Evidence, per workload (a Pod, or the controller that owns it):
//! - the plugin's annotations: `pod-security.kubernetes.io/enforce-policy` (the level a request
//!   passed), `audit-violations` (a level it would fail, with the reasons), `exempt`;
//! - 403 denials whose message says `violates PodSecurity "<level>:<version>": ...`;
//! - a `requestObject` that holds a pod or workload (RequestResponse-level logs): evaluated
//!   exactly by `tailor-pss`, after the API server's defaulting.
//!
//! Recommendations: each namespace's `enforce` label is the strictest level every workload
//! seen in it passes, with `warn` and `audit` one level stricter; workloads that hold the
//! namespace down and run with a runtime class (`nvidia`) are exempted by runtime class, the
//! narrowest exemption PodSecurity offers, before a whole namespace is.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Value};
use tailor_kube::defaults::apply_admission_defaults;
use tailor_kube::{PodBearingKind, PodTemplate, TypeMeta};
use tailor_pss::admission::{LevelVersion, Policy};
use tailor_pss::{Level, Version};

use crate::event::Event;

/// Everything learned about one workload.
#[derive(Debug, Default, Serialize)]
pub struct WorkloadNeeds {
    /// The strictest level it was seen to pass.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "optional_level")]
    pub passes: Option<Level>,
    /// The least strict level it was seen to fail.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "optional_level")]
    pub fails: Option<Level>,
    /// Whether `tailor-pss` evaluated its pod itself (the levels are then exact).
    pub evaluated: bool,
    /// What the plugin exempted it by (`namespace`, `user`, `runtimeClass`).
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub exempt: BTreeSet<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_class: Option<String>,
    /// Per failed level, each violation as `reason (what to change)`.
    #[serde(serialize_with = "by_level")]
    pub changes: BTreeMap<Level, BTreeSet<String>>,
    /// Requests of it that the plugin denied.
    pub denied: u64,
}

impl WorkloadNeeds {
    /// The strictest level it is known to pass; when only failures were seen, the level below
    /// the least strict failure (`verified` false unless that is privileged).
    pub fn level(&self) -> (Level, bool) {
        match (self.passes, self.fails) {
            (Some(passes), Some(fails)) if passes >= fails => (below(fails), true),
            (Some(passes), _) => (passes, true),
            // Privileged needs no evidence: nothing fails it.
            (None, Some(fails)) => (below(fails), below(fails) == Level::Privileged),
            (None, None) => (Level::Privileged, false),
        }
    }

    fn passed(&mut self, level: Level) {
        self.passes = self.passes.max(Some(level));
    }

    fn failed(&mut self, level: Level, violations: impl IntoIterator<Item = String>) {
        self.fails = Some(self.fails.map_or(level, |f| f.min(level)));
        self.changes.entry(level).or_default().extend(violations);
    }
}

fn optional_level<S: serde::Serializer>(level: &Option<Level>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(level.map_or("", Level::as_str))
}

fn by_level<S: serde::Serializer>(
    changes: &BTreeMap<Level, BTreeSet<String>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(changes.iter().map(|(level, items)| (level.as_str(), items)))
}

fn below(level: Level) -> Level {
    match level {
        Level::Restricted => Level::Baseline,
        _ => Level::Privileged,
    }
}

/// Gathers Pod Security evidence event by event.
#[derive(Debug, Default)]
pub struct PssLearner {
    /// namespace → workload (`Kind/name`) → needs.
    pub namespaces: BTreeMap<String, BTreeMap<String, WorkloadNeeds>>,
    pub events: u64,
}

impl PssLearner {
    pub fn observe(&mut self, event: &Event) {
        let annotations = event.annotations.as_ref();
        let enforce = annotations.and_then(|a| a.pss_enforce_policy.as_deref());
        let audit = annotations.and_then(|a| a.pss_audit_violations.as_deref());
        let exempt = annotations.and_then(|a| a.pss_exempt.as_deref());
        let denial = event
            .response_message()
            .filter(|_| event.response_code() == Some(403))
            .and_then(|m| m.split_once("violates PodSecurity ").map(|(_, rest)| rest));
        let object = event
            .request_object
            .filter(|_| matches!(event.verb.as_deref(), Some("create" | "update" | "patch")))
            .and_then(|raw| serde_json::from_str::<Value>(raw.get()).ok());
        let pod = object.as_ref().and_then(pod_of);
        if enforce.is_none() && audit.is_none() && exempt.is_none() && denial.is_none() && pod.is_none() {
            return;
        }
        let Some(object_ref) = event.object_ref.as_ref() else {
            return;
        };
        if object_ref.subresource.is_some() {
            return;
        }
        self.events += 1;
        let namespace = object_ref.namespace.as_deref().unwrap_or("default").to_owned();
        let workload = workload_name(object_ref, object.as_ref());
        let needs = self
            .namespaces
            .entry(namespace)
            .or_default()
            .entry(workload)
            .or_default();
        if let Some(exempt) = exempt {
            needs.exempt.insert(exempt.to_owned());
        }
        if let Some(pod) = &pod {
            needs.evaluated = true;
            needs.runtime_class = pod.spec.runtime_class_name.clone().or(needs.runtime_class.take());
            // Each stricter level it fails, with its violations: baseline's say what the
            // workload needs to lose to leave `privileged`, restricted's everything to reach it.
            let mut passes = Level::Privileged;
            for level in [Level::Baseline, Level::Restricted] {
                let evaluation = tailor_pss::evaluate(level, Version::Latest, &pod.metadata, &pod.spec);
                if evaluation.allowed() {
                    passes = passes.max(level);
                } else {
                    let changes = evaluation
                        .violations
                        .iter()
                        .map(|v| format!("{} ({})", v.reason, v.detail));
                    needs.failed(level, changes.collect::<Vec<_>>());
                }
            }
            needs.passed(passes);
        }
        if let Some(denial) = denial {
            needs.denied += 1;
            if let Some((level, violations)) = parse_violations(denial) {
                needs.failed(level, violations);
            }
        } else if let Some(level) = enforce.and_then(|p| p.split(':').next()).and_then(|l| l.parse().ok()) {
            needs.passed(level);
        }
        if let Some((level, violations)) = audit
            .and_then(|a| a.strip_prefix("would violate PodSecurity "))
            .and_then(parse_violations)
        {
            needs.failed(level, violations);
        }
    }

    /// Per namespace: the labels to set, the exemptions, and each workload's needs.
    pub fn report(&self) -> Value {
        let recommendations = self.recommendations();
        let namespaces: Vec<Value> = recommendations
            .iter()
            .map(|r| {
                json!({
                    "namespace": r.namespace,
                    "labels": labels(r.enforce),
                    "exempt_runtime_classes": r.runtime_classes,
                    "exempt_namespace": r.exempt_namespace,
                    "held_down_by": r.held_down_by,
                    "workloads": self.namespaces[&r.namespace].iter().map(|(name, needs)| {
                        let (level, verified) = needs.level();
                        json!({"workload": name, "level": level.as_str(), "verified": verified, "needs": needs})
                    }).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({
            "schema": "tailor.learn-pss/v1",
            "events": self.events,
            "namespaces": namespaces,
            "admission_configuration": self.admission_configuration(&recommendations),
        })
    }

    /// The objects to apply: each namespace with its labels, then the AdmissionConfiguration.
    pub fn objects(&self) -> Vec<Value> {
        let recommendations = self.recommendations();
        let mut objects: Vec<Value> = recommendations
            .iter()
            .map(|r| {
                json!({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": r.namespace, "labels": labels(r.enforce)}})
            })
            .collect();
        objects.push(self.admission_configuration(&recommendations));
        objects
    }

    fn recommendations(&self) -> Vec<Recommendation> {
        self.namespaces
            .iter()
            .map(|(namespace, workloads)| {
                let levels: Vec<(&String, &WorkloadNeeds, Level)> = workloads
                    .iter()
                    .map(|(name, needs)| (name, needs, needs.level().0))
                    .collect();
                let others = |skip: &dyn Fn(&WorkloadNeeds) -> bool| {
                    levels
                        .iter()
                        .filter(|(_, n, _)| !skip(n))
                        .map(|(_, _, l)| *l)
                        .min()
                        .unwrap_or(Level::Restricted)
                };
                let enforce_all = others(&|_| false);
                // Workloads with a runtime class that hold the namespace down: exempt the
                // runtime class when every such workload has one.
                let holding: Vec<&(&String, &WorkloadNeeds, Level)> =
                    levels.iter().filter(|(_, _, l)| *l == enforce_all).collect();
                let by_class = enforce_all < Level::Restricted
                    && holding.iter().all(|(_, n, _)| n.runtime_class.is_some())
                    && holding.len() < levels.len();
                let exempt_namespace = !by_class && workloads.values().any(|n| n.exempt.contains("namespace"));
                let (enforce, runtime_classes) = if by_class {
                    let classes: BTreeSet<String> =
                        holding.iter().filter_map(|(_, n, _)| n.runtime_class.clone()).collect();
                    (
                        others(&|n: &WorkloadNeeds| n.runtime_class.as_ref().is_some_and(|c| classes.contains(c))),
                        classes,
                    )
                } else {
                    (enforce_all, BTreeSet::new())
                };
                Recommendation {
                    namespace: namespace.clone(),
                    enforce,
                    runtime_classes,
                    exempt_namespace,
                    held_down_by: holding
                        .iter()
                        .filter(|_| enforce_all < Level::Restricted)
                        .map(|(name, _, _)| (*name).clone())
                        .collect(),
                }
            })
            .collect()
    }

    fn admission_configuration(&self, recommendations: &[Recommendation]) -> Value {
        let runtime_classes: BTreeSet<&String> = recommendations.iter().flat_map(|r| &r.runtime_classes).collect();
        let namespaces: Vec<&String> = recommendations
            .iter()
            .filter(|r| r.exempt_namespace)
            .map(|r| &r.namespace)
            .collect();
        json!({
            "apiVersion": "apiserver.config.k8s.io/v1",
            "kind": "AdmissionConfiguration",
            "plugins": [{
                "name": "PodSecurity",
                "configuration": {
                    "apiVersion": "pod-security.admission.config.k8s.io/v1",
                    "kind": "PodSecurityConfiguration",
                    "defaults": {"enforce": "baseline", "enforce-version": "latest",
                        "audit": "restricted", "audit-version": "latest",
                        "warn": "restricted", "warn-version": "latest"},
                    "exemptions": {"usernames": [], "runtimeClasses": runtime_classes, "namespaces": namespaces},
                },
            }],
        })
    }
}

struct Recommendation {
    namespace: String,
    enforce: Level,
    runtime_classes: BTreeSet<String>,
    exempt_namespace: bool,
    held_down_by: Vec<String>,
}

/// `enforce` at the level, `warn` and `audit` one step stricter (so the next tightening shows
/// up in warnings and the audit log before it is enforced), all at `latest`.
fn labels(enforce: Level) -> Value {
    let next = enforce.stricter().unwrap_or(enforce);
    let policy = Policy {
        enforce: LevelVersion::new(enforce, Version::Latest),
        audit: LevelVersion::new(next, Version::Latest),
        warn: LevelVersion::new(next, Version::Latest),
    };
    json!(policy.to_labels())
}

/// `"restricted:latest": reason (detail), reason (detail)` → the level and each
/// `reason (detail)` (commas inside a detail's parentheses stay in it).
pub fn parse_violations(text: &str) -> Option<(Level, Vec<String>)> {
    let text = text.strip_prefix('"')?;
    let (policy, rest) = text.split_once('"')?;
    let level: Level = policy.split(':').next()?.parse().ok()?;
    let list = rest.strip_prefix(':').unwrap_or(rest).trim();
    let mut items = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    let bytes = list.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b',' if depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                items.push(list[start..i].trim().to_owned());
                start = i + 1;
            }
            _ => {}
        }
    }
    if !list[start..].trim().is_empty() {
        items.push(list[start..].trim().to_owned());
    }
    Some((level, items))
}

/// The pod a request object runs, after the defaulting admission sees.
fn pod_of(object: &Value) -> Option<PodTemplate> {
    let type_meta = TypeMeta {
        api_version: object.get("apiVersion")?.as_str()?.into(),
        kind: object.get("kind")?.as_str()?.into(),
    };
    let kind = PodBearingKind::classify(&type_meta)?;
    let mut pod = PodTemplate::extract(kind, object).ok()??;
    apply_admission_defaults(&mut pod);
    Some(pod)
}

/// `Kind/name` of the workload: a pod's controller (from its owner reference or generated
/// name) rather than each replica, else the object itself.
fn workload_name(object_ref: &crate::event::ObjectReference, object: Option<&Value>) -> String {
    let metadata = object.and_then(|o| o.get("metadata"));
    if let Some(owner) = metadata
        .and_then(|m| m.get("ownerReferences"))
        .and_then(Value::as_array)
        .and_then(|owners| owners.iter().find(|o| o.get("controller") == Some(&Value::Bool(true))))
    {
        let kind = owner.get("kind").and_then(Value::as_str).unwrap_or("Owner");
        let name = owner.get("name").and_then(Value::as_str).unwrap_or_default();
        return format!("{kind}/{name}");
    }
    let kind = object
        .and_then(|o| o.get("kind"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| object_ref.resource.as_deref().unwrap_or("object").to_owned());
    let name = object_ref
        .name
        .as_deref()
        .or_else(|| metadata.and_then(|m| m.get("name")).and_then(Value::as_str))
        .or_else(|| metadata.and_then(|m| m.get("generateName")).and_then(Value::as_str))
        .unwrap_or("<unnamed>");
    format!("{kind}/{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_split_at_top_level_commas_only() {
        let (level, items) = parse_violations(
            "\"restricted:latest\": allowPrivilegeEscalation != false (containers \"a\", \"b\" must set securityContext.allowPrivilegeEscalation=false), runAsNonRoot != true (pod or container \"a\" must set securityContext.runAsNonRoot=true)",
        )
        .unwrap();
        assert_eq!(level, Level::Restricted);
        assert_eq!(items.len(), 2);
        assert!(items[0].ends_with("allowPrivilegeEscalation=false)"));
    }

    fn learn(events: &[Value]) -> PssLearner {
        let mut learner = PssLearner::default();
        let text: String = events.iter().map(|e| format!("{e}\n")).collect();
        crate::reader::read_events(text.as_bytes(), |_, e| learner.observe(e)).unwrap();
        learner
    }

    fn pod_event(namespace: &str, name: &str, annotations: Value, code: u16, message: &str) -> Value {
        json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "verb": "create", "user": {"username": "u"},
            "objectRef": {"resource": "pods", "namespace": namespace, "name": name, "apiVersion": "v1"},
            "annotations": annotations, "responseStatus": {"code": code, "message": message}})
    }

    #[test]
    fn annotations_and_denials_give_levels_and_runtime_class_exemptions_come_first() {
        let learner = learn(&[
            pod_event("ml", "web", json!({"pod-security.kubernetes.io/enforce-policy": "restricted:latest"}), 201, ""),
            pod_event("ml", "batch", json!({"pod-security.kubernetes.io/enforce-policy": "baseline:latest",
                "pod-security.kubernetes.io/audit-violations": "would violate PodSecurity \"restricted:latest\": runAsNonRoot != true (pod or container \"b\" must set securityContext.runAsNonRoot=true)"}), 201, ""),
            pod_event("ops", "agent", json!({}), 403, "pods \"agent\" is forbidden: violates PodSecurity \"baseline:latest\": privileged (container \"a\" must not set securityContext.privileged=true)"),
        ]);
        let report = learner.report();
        let ml = &report["namespaces"][0];
        assert_eq!(ml["labels"]["pod-security.kubernetes.io/enforce"], "baseline");
        assert_eq!(ml["labels"]["pod-security.kubernetes.io/warn"], "restricted");
        assert_eq!(ml["held_down_by"], json!(["pods/batch"]));
        let batch = &ml["workloads"][0];
        assert_eq!(
            (batch["level"].as_str(), batch["verified"].as_bool()),
            (Some("baseline"), Some(true))
        );
        assert!(batch["needs"]["changes"]["restricted"][0]
            .as_str()
            .unwrap()
            .starts_with("runAsNonRoot != true"));
        let ops = &report["namespaces"][1];
        assert_eq!(ops["labels"]["pod-security.kubernetes.io/enforce"], "privileged");
        assert_eq!(ops["workloads"][0]["verified"], true);

        // A GPU pod with a runtime class holding a namespace down is exempted by class.
        let gpu_pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "gpu"},
            "spec": {"runtimeClassName": "nvidia", "containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true}}]}});
        let web_pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "c", "image": "i"}]}});
        let mut gpu = pod_event("ai", "gpu", json!({}), 201, "");
        gpu["requestObject"] = gpu_pod;
        let mut web = pod_event("ai", "web", json!({}), 201, "");
        web["requestObject"] = web_pod;
        let report = learn(&[gpu, web]).report();
        let ai = &report["namespaces"][0];
        assert_eq!(ai["labels"]["pod-security.kubernetes.io/enforce"], "baseline");
        assert_eq!(ai["exempt_runtime_classes"], json!(["nvidia"]));
        assert_eq!(
            report["admission_configuration"]["plugins"][0]["configuration"]["exemptions"]["runtimeClasses"],
            json!(["nvidia"])
        );
    }
}

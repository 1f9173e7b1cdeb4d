//! Test support: builds the engine's inputs from JSON objects, the way the loader does
//! (pod extraction, admission defaulting, typed decoding), with synthetic line numbers
//! (object `i` starts at line `100 * (i + 1)`; fields report the object's line).

#![allow(dead_code)] // shared by the rule families' tests; not every helper is used by each

use serde_json::{json, Value};
use tailor_kube::defaults::apply_admission_defaults;
use tailor_kube::{FieldPath, KubeObject, PodBearingKind, PodTemplate, TypeMeta};

use crate::{check_object, CheckOptions, CheckedObject, Finding, Inventory, Locate, ObjectSource, Rule};

struct FixedLine(u32);

impl Locate for FixedLine {
    fn locate(&self, _: &FieldPath) -> (u32, u32) {
        (self.0, 1)
    }
}

pub fn source(object: &Value, line: u32) -> ObjectSource {
    let metadata = |key: &str| {
        object
            .get("metadata")
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .map(Into::into)
    };
    ObjectSource {
        file: "test.yaml".into(),
        line,
        type_meta: TypeMeta::of(object).expect("test objects have apiVersion and kind"),
        namespace: metadata("namespace"),
        name: metadata("name"),
    }
}

/// The pod of a pod-bearing object, after admission defaulting.
pub fn pod(object: &Value) -> PodTemplate {
    let kind = PodBearingKind::classify(&TypeMeta::of(object).unwrap()).expect("a pod-bearing kind");
    let mut pod = PodTemplate::extract(kind, object).unwrap().expect("a pod template");
    apply_admission_defaults(&mut pod);
    pod
}

/// Runs the per-object checks on each object, as `tailor check` does.
pub fn check_all(objects: &[Value]) -> Vec<CheckedObject> {
    objects
        .iter()
        .enumerate()
        .map(|(i, object)| {
            let line = 100 * (i as u32 + 1);
            let source = source(object, line);
            let pod = PodBearingKind::classify(&source.type_meta).map(|_| pod(object));
            let kube = KubeObject::decode(&source.type_meta, object).unwrap();
            check_object(&CheckOptions::default(), &source, object, pod, kube, &FixedLine(line))
        })
        .collect()
}

/// The per-object findings on `objects` and the inventory the cross-object analyses get, as
/// `tailor check` builds them.
fn check_and_collect(objects: &[Value]) -> (Vec<Finding>, Inventory) {
    let mut inventory = Inventory::default();
    let mut findings = Vec::new();
    for (object_index, checked) in check_all(objects).into_iter().enumerate() {
        findings.extend(inventory.take(object_index, checked).1);
    }
    (findings, inventory)
}

/// The inventory of `objects`, as `tailor check` builds it.
pub fn inventory(objects: &[Value]) -> Inventory {
    check_and_collect(objects).1
}

/// Every finding on `objects`: per-object and cross-object, as `tailor check` reports them.
pub fn findings(objects: &[Value]) -> Vec<Finding> {
    let (mut findings, inventory) = check_and_collect(objects);
    findings.extend(crate::analyse(&inventory).into_iter().map(|(_, f)| f));
    findings
}

/// The findings of `rules` on a Pod named `p` with `spec`.
pub fn pod_findings(spec: Value, rules: &[&Rule]) -> Vec<Finding> {
    let pod = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":spec});
    findings(&[pod])
        .into_iter()
        .filter(|f| rules.iter().any(|rule| rule.id == f.rule))
        .collect()
}

/// The IDs of the findings on `objects` whose rule starts with `prefix`, sorted.
pub fn rule_ids(objects: &[Value], prefix: &str) -> Vec<String> {
    let mut ids: Vec<String> = findings(objects)
        .into_iter()
        .map(|f| f.rule.to_owned())
        .filter(|r| r.starts_with(prefix))
        .collect();
    ids.sort();
    ids
}

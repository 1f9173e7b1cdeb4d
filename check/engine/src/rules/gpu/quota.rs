//! The ResourceQuota analysis across the inventory: GPU consumers in namespaces whose loaded
//! quotas do not cap requests of their GPU resource.

use std::collections::HashMap;

use tailor_kube::k8s_openapi::api::core::v1::{ResourceQuota, ResourceQuotaSpec};
use tailor_kube::{KubeObject, PodTemplate};

use super::classify::{declared_containers, gpu_allocations, GpuRequest};
use crate::report::Severity;
use crate::rules::attack::*;
use crate::rules::text::{capped_list, plain_list};
use crate::rules::Rule;
use crate::{Hit, Inventory, InventoryObject};

pub const NO_RESOURCE_QUOTA: Rule = Rule {
    id: "TLR-gpu-no-resource-quota",
    title: "GPU workload in a namespace without a GPU quota",
    severity: Severity::Medium,
    rationale: "Without a ResourceQuota on requests.<gpu resource>, anyone who can create pods in the namespace can claim every GPU of the cluster: GPU time is what cryptominers and model thieves look for.",
    remediation: "Add a ResourceQuota to the namespace with hard requests.nvidia.com/gpu (or the vendor's resource) set to what the namespace may use. Only the requests. prefix counts for extended resources.",
    attack: &[RESOURCE_HIJACKING],
    ms_threat_matrix: None,
};
/// GPU consumers in namespaces whose loaded ResourceQuotas do not cap their GPU resource.
/// Objects without a namespace land wherever they are applied, beside ResourceQuotas without a
/// namespace loaded with them; if none is, they are reported once, on the first of them.
pub(super) fn analyse(inventory: &Inventory) -> Vec<(usize, Hit)> {
    let mut quotas: HashMap<Option<&str>, Vec<&ResourceQuota>> = HashMap::new();
    for entry in &inventory.entries {
        if let Some(KubeObject::ResourceQuota(quota)) = entry.object.kube() {
            quotas.entry(entry.source.namespace.as_deref()).or_default().push(quota);
        }
    }
    let mut hits = Vec::new();
    let mut without_namespace: Vec<(usize, Vec<GpuRequest>, &PodTemplate, String)> = Vec::new();
    for (index, entry) in inventory.entries.iter().enumerate() {
        let InventoryObject::Workload(pod) = &entry.object else {
            continue;
        };
        let requests = gpu_allocations(pod);
        if requests.is_empty() {
            continue;
        }
        let namespace = entry.source.namespace.as_deref();
        let in_namespace = quotas.get(&namespace).map(Vec::as_slice).unwrap_or_default();
        let Some(gap) = quota_gap(in_namespace, pod, &requests) else {
            continue;
        };
        let Some(namespace) = namespace else {
            without_namespace.push((index, requests, pod, gap));
            continue;
        };
        let message = format!(
            "GPU consumer requests {} in namespace \"{namespace}\", and {gap}: anyone who can create pods in \
             \"{namespace}\" can claim every GPU of the cluster. Add a ResourceQuota to \"{namespace}\" with hard {} \
             set to what the namespace may use",
            describe_requests(&requests),
            quota_keys(&requests),
        );
        hits.push((index, quota_hit(pod, &requests, message)));
    }
    if let Some(((index, requests, pod, gap), others)) = without_namespace.split_first() {
        let names: Vec<String> = others
            .iter()
            .map(|(i, _, _, _)| {
                let source = &inventory.entries[*i].source;
                format!(
                    "{}/{}",
                    source.type_meta.kind,
                    source.name.as_deref().unwrap_or("(unnamed)")
                )
            })
            .collect();
        let company = match names.len() {
            0 => "it".to_owned(),
            1 => format!("it and {}", names[0]),
            n if n <= 3 => format!(
                "it and {n} other GPU workloads without a namespace ({})",
                plain_list(&names)
            ),
            n => format!(
                "it and {n} other GPU workloads without a namespace ({})",
                capped_list(&names, 3)
            ),
        };
        let quotas_beside = if quotas.contains_key(&None) {
            format!("among the ResourceQuotas without a namespace loaded beside {company}, {gap}")
        } else {
            format!("no ResourceQuota without a namespace is loaded beside {company}")
        };
        let message = format!(
            "GPU consumer requests {} and sets no namespace, and {quotas_beside}: unless the namespace they are \
             applied to has a ResourceQuota with hard {}, anyone who can create pods there can claim every GPU of the \
             cluster",
            describe_requests(requests),
            quota_keys(requests),
        );
        hits.push((*index, quota_hit(pod, requests, message)));
    }
    hits
}

fn quota_hit(pod: &PodTemplate, requests: &[GpuRequest], message: String) -> Hit {
    Hit {
        rule: &NO_RESOURCE_QUOTA,
        message,
        field: pod.path.join(&requests[0].field()),
        container: Some(requests[0].container.name().to_owned()),
    }
}

/// `nvidia.com/gpu: 1 (container "vllm")`, one entry per request.
fn describe_requests(requests: &[GpuRequest]) -> String {
    let described: Vec<String> = requests
        .iter()
        .map(|r| format!("{} (container \"{}\")", r.describe(), r.container.name()))
        .collect();
    plain_list(&described)
}

/// The distinct GPU resources requested, as quota keys: `requests.nvidia.com/gpu`.
fn resources<'r>(requests: &[GpuRequest<'r>]) -> Vec<&'r str> {
    let mut resources: Vec<&str> = requests.iter().map(|r| r.resource).collect();
    resources.sort_unstable();
    resources.dedup();
    resources
}

fn quota_keys(requests: &[GpuRequest]) -> String {
    let keys: Vec<String> = resources(requests).iter().map(|r| format!("requests.{r}")).collect();
    plain_list(&keys).replace(" and ", " or ")
}

/// Why no quota of the namespace caps the pod's GPUs (`None` when one does): no quota at
/// all, quotas that do not select the pod, or keys that quota never counts for extended
/// resources (`limits.nvidia.com/gpu`, bare `nvidia.com/gpu`).
fn quota_gap(quotas: &[&ResourceQuota], pod: &PodTemplate, requests: &[GpuRequest]) -> Option<String> {
    let resources = resources(requests);
    let mut near_misses = Vec::new();
    for quota in quotas {
        let Some(spec) = &quota.spec else {
            continue;
        };
        let hard = spec.hard.as_ref();
        let name = quota.metadata.name.as_deref().unwrap_or("(unnamed)");
        let caps = |key: String| hard.is_some_and(|h| h.contains_key(&key));
        let covered = resources.iter().any(|r| caps(format!("requests.{r}")));
        if covered && selects(spec, pod) {
            return None;
        }
        if covered {
            near_misses.push(format!(
                "ResourceQuota \"{name}\" caps it only for pods its scopes select, not this one"
            ));
        }
        for resource in &resources {
            for key in [format!("limits.{resource}"), resource.to_string()] {
                if caps(key.clone()) {
                    near_misses.push(format!(
                        "ResourceQuota \"{name}\" sets {key}, which quota never counts for extended resources (only \
                         requests.{resource} is)"
                    ));
                }
            }
        }
    }
    let keys = quota_keys(requests);
    Some(match (quotas.is_empty(), near_misses.is_empty()) {
        (true, _) => format!("no ResourceQuota loaded for it caps {keys}"),
        (false, true) => format!("none of the ResourceQuotas loaded for it caps {keys}"),
        (false, false) => format!("no ResourceQuota caps {keys}: {}", near_misses.join("; ")),
    })
}

/// Whether a quota's scopes select the pod (scopes Tailor cannot evaluate are taken to match).
fn selects(spec: &ResourceQuotaSpec, pod: &PodTemplate) -> bool {
    let plain = spec
        .scopes
        .iter()
        .flatten()
        .all(|scope| scope_matches(scope, "Exists", &[], pod));
    let expressions = spec
        .scope_selector
        .iter()
        .flat_map(|s| s.match_expressions.iter().flatten());
    plain
        && expressions
            .into_iter()
            .all(|e| scope_matches(&e.scope_name, &e.operator, e.values.as_deref().unwrap_or_default(), pod))
}

fn scope_matches(scope: &str, operator: &str, values: &[String], pod: &PodTemplate) -> bool {
    let spec = &pod.spec;
    match scope {
        "Terminating" => spec.active_deadline_seconds.is_some(),
        "NotTerminating" => spec.active_deadline_seconds.is_none(),
        "BestEffort" => is_best_effort(pod),
        "NotBestEffort" => !is_best_effort(pod),
        "PriorityClass" => {
            let class = spec.priority_class_name.as_deref();
            match operator {
                "In" => class.is_some_and(|c| values.iter().any(|v| v == c)),
                "NotIn" => class.is_none_or(|c| !values.iter().any(|v| v == c)),
                "DoesNotExist" => class.is_none(),
                _ => class.is_some(),
            }
        }
        _ => true,
    }
}

/// BestEffort QoS: no container requests or limits CPU or memory (extended resources do not count).
fn is_best_effort(pod: &PodTemplate) -> bool {
    !declared_containers(pod).any(|c| {
        c.resources().is_some_and(|r| {
            [&r.limits, &r.requests]
                .into_iter()
                .flatten()
                .any(|m| m.contains_key("cpu") || m.contains_key("memory"))
        })
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::super::tests::{deployment, gpu_container, gpu_findings};
    use crate::Finding;

    fn quota(namespace: Option<&str>, hard: Value, scope_selector: Option<Value>) -> Value {
        let mut object =
            json!({"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"gpu"},"spec":{"hard": hard}});
        if let Some(namespace) = namespace {
            object["metadata"]["namespace"] = json!(namespace);
        }
        if let Some(selector) = scope_selector {
            object["spec"]["scopeSelector"] = selector;
        }
        object
    }

    fn quota_findings(objects: &[Value]) -> Vec<Finding> {
        gpu_findings(objects)
            .into_iter()
            .filter(|f| f.rule == "TLR-gpu-no-resource-quota")
            .collect()
    }

    #[test]
    fn gpu_consumers_need_a_quota_on_requests_of_their_gpu_resource() {
        let llm = deployment(
            "llm",
            Some("ml"),
            json!({"containers":[gpu_container("server", json!({}))]}),
        );
        let found = quota_findings(std::slice::from_ref(&llm));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].field,
            "spec.template.spec.containers[0].resources.limits[\"nvidia.com/gpu\"]"
        );
        assert_eq!(found[0].attack, ["T1496"]);
        assert!(
            found[0]
                .message
                .contains("in namespace \"ml\", and no ResourceQuota loaded for it caps requests.nvidia.com/gpu"),
            "{}",
            found[0].message
        );

        assert!(quota_findings(&[
            llm.clone(),
            quota(Some("ml"), json!({"requests.nvidia.com/gpu": 4}), None)
        ])
        .is_empty());
        assert_eq!(
            quota_findings(&[
                llm.clone(),
                quota(Some("other"), json!({"requests.nvidia.com/gpu": 4}), None)
            ])
            .len(),
            1
        );

        // limits.<extended resource> is accepted by the API server but never counted.
        let found = quota_findings(&[
            llm.clone(),
            quota(Some("ml"), json!({"limits.nvidia.com/gpu": 4, "pods": 10}), None),
        ]);
        assert!(
            found[0]
                .message
                .contains("ResourceQuota \"gpu\" sets limits.nvidia.com/gpu, which quota never counts"),
            "{}",
            found[0].message
        );

        // A quota scoped to another priority class does not cap this pod.
        let scoped = json!({"matchExpressions":[{"scopeName":"PriorityClass","operator":"In","values":["batch"]}]});
        let found = quota_findings(&[
            llm.clone(),
            quota(Some("ml"), json!({"requests.nvidia.com/gpu": 4}), Some(scoped.clone())),
        ]);
        assert!(
            found[0].message.contains("caps it only for pods its scopes select"),
            "{}",
            found[0].message
        );
        let mut batch = llm.clone();
        batch["spec"]["template"]["spec"]["priorityClassName"] = json!("batch");
        assert!(quota_findings(&[
            batch,
            quota(Some("ml"), json!({"requests.nvidia.com/gpu": 4}), Some(scoped))
        ])
        .is_empty());

        // Other vendors: the quota key follows the resource.
        let amd = deployment(
            "rocm",
            Some("ml"),
            json!({"containers":[{"name":"c","image":"rocm/pytorch","resources":{"limits":{"amd.com/gpu":1}}}]}),
        );
        assert!(quota_findings(std::slice::from_ref(&amd))[0]
            .message
            .contains("requests.amd.com/gpu"));
        assert_eq!(
            quota_findings(&[amd, quota(Some("ml"), json!({"requests.nvidia.com/gpu": 4}), None)]).len(),
            1
        );

        // Providers and pods asking for zero GPUs use none.
        let zero = deployment(
            "cpu",
            Some("ml"),
            json!({"containers":[{"name":"c","image":"x","resources":{"limits":{"nvidia.com/gpu":0}}}]}),
        );
        assert!(quota_findings(&[zero]).is_empty());
    }

    #[test]
    fn workloads_without_a_namespace_are_reported_once() {
        let a = deployment("a", None, json!({"containers":[gpu_container("server", json!({}))]}));
        let b = deployment("b", None, json!({"containers":[gpu_container("server", json!({}))]}));
        let found = quota_findings(&[a.clone(), b.clone()]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].name.as_deref(), Some("a"));
        assert!(
            found[0].message.contains(
                "sets no namespace, and no ResourceQuota without a namespace is loaded beside it and Deployment/b"
            ),
            "{}",
            found[0].message
        );
        // A quota without a namespace is applied beside them, to the same namespace.
        assert!(quota_findings(&[a.clone(), b, quota(None, json!({"requests.nvidia.com/gpu": 2}), None)]).is_empty());
        let found = quota_findings(&[a, quota(None, json!({"limits.nvidia.com/gpu": 2}), None)]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains(
                "among the ResourceQuotas without a namespace loaded beside it, no ResourceQuota caps \
                 requests.nvidia.com/gpu: ResourceQuota \"gpu\" sets limits.nvidia.com/gpu"
            ),
            "{}",
            found[0].message
        );
    }
}

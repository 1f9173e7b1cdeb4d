//! GPU workloads whose pods can reach the cloud metadata API (169.254.169.254, HTTP on port
//! 80 on AWS, GCP, Azure and OCI): no egress policy selects them, or one admits the address
//! through an empty `to`, or an `ipBlock` without an `except` covering it, on port 80.
//!
//! A GPU workload is one whose containers request a GPU resource (the GPU rules' own
//! [`gpu_requests`]); the finding points at that request.

use std::net::{IpAddr, Ipv4Addr};

use tailor_kube::{FieldPath, PodTemplate};

use super::index::{NamespaceView, Workload};
use super::policies::Direction;
use super::METADATA_API_REACHABLE;
use crate::rules::gpu::classify::{gpu_requests, GpuRequest};
use crate::Hit;

pub const METADATA_ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254));
const METADATA_PORT: u16 = 80;

pub fn check(view: &NamespaceView) -> Vec<(usize, Hit)> {
    view.workloads
        .iter()
        .filter_map(|workload| {
            let gpu = first_gpu_request(workload.pod)?;
            let how = metadata_route(view, workload)?;
            let message = format!(
                "{} requests {} in container {:?} and its pods can reach the cloud metadata API at \
                 {METADATA_ADDRESS}:{METADATA_PORT}: {how}",
                workload.describe(),
                gpu.resource,
                gpu.container.name(),
            );
            let field = if workload.host_network() {
                FieldPath::keys("spec.hostNetwork")
            } else {
                gpu.field()
            };
            Some((
                workload.entry,
                Hit {
                    rule: &METADATA_API_REACHABLE,
                    message,
                    field: workload.pod.path.join(&field),
                    container: Some(gpu.container.name().to_owned()),
                },
            ))
        })
        .collect()
}

/// How the workload's pods reach the metadata address; `None` when every egress policy
/// selecting them keeps it out.
fn metadata_route(view: &NamespaceView, workload: &Workload) -> Option<String> {
    if workload.host_network() {
        return Some("they run on the host network, where NetworkPolicies do not apply".to_owned());
    }
    let selecting = workload.policies(Direction::Egress);
    if selecting.is_empty() {
        return Some("no NetworkPolicy in the scanned objects restricts their egress".to_owned());
    }
    selecting.iter().find_map(|&index| {
        let policy = &view.policies[index].1;
        let (rule, peer) = policy.egress_admits(METADATA_ADDRESS, "TCP", METADATA_PORT)?;
        let through = match peer {
            None => "admits every destination".to_owned(),
            Some(peer) => {
                let rules = policy.rules(Direction::Egress);
                let cidr = rules[rule].peers[peer]
                    .ip_block
                    .as_ref()
                    .map_or("", |block| block.cidr.as_str());
                format!("to[{peer}].ipBlock {cidr} has no except covering the address")
            }
        };
        Some(format!(
            "NetworkPolicy {} spec.egress[{rule}] {through} on port {METADATA_PORT}",
            policy.name
        ))
    })
}

/// The first GPU resource a container of the pod asks for, leaving out explicit zeros
/// (`nvidia.com/gpu: 0` keeps a pod off GPUs).
fn first_gpu_request(pod: &PodTemplate) -> Option<GpuRequest<'_>> {
    gpu_requests(pod).into_iter().find(|request| {
        let amount = request.limit.or(request.request).unwrap_or_default();
        !amount.trim().parse::<f64>().is_ok_and(|n| n == 0.0)
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::{testing, Finding};

    fn gpu_deployment(name: &str, resource: &str) -> Value {
        json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":name,"namespace":"ml"},
            "spec":{"template":{"metadata":{"labels":{"app":name}},"spec":{"containers":[
                {"name":"server","image":"i","resources":{"limits":{resource:1}}}]}}}})
    }

    fn egress_policy(egress: Value) -> Value {
        json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"egress","namespace":"ml"},
            "spec":{"podSelector":{},"policyTypes":["Ingress","Egress"],"egress":egress}})
    }

    fn metadata_findings(objects: &[Value]) -> Vec<Finding> {
        testing::findings(objects)
            .into_iter()
            .filter(|f| f.rule == "TLR-netpol-gpu-metadata-egress")
            .collect()
    }

    #[test]
    fn gpu_pods_without_egress_policy_are_reported_on_their_gpu_container() {
        for resource in [
            "nvidia.com/gpu",
            "nvidia.com/mig-1g.10gb",
            "amd.com/gpu",
            "gpu.intel.com/i915",
        ] {
            let found = metadata_findings(&[gpu_deployment("llm", resource)]);
            assert_eq!(found.len(), 1, "{resource}");
            assert_eq!(found[0].container.as_deref(), Some("server"));
            assert_eq!(found[0].severity, crate::Severity::High);
            assert_eq!(found[0].attack, ["T1552.005"]);
            assert_eq!(
                found[0].field,
                format!("spec.template.spec.containers[0].resources.limits[\"{resource}\"]")
            );
            assert!(
                found[0].message.contains(&format!("requests {resource}")),
                "{}",
                found[0].message
            );
            assert!(found[0]
                .message
                .contains("no NetworkPolicy in the scanned objects restricts their egress"));
        }
    }

    #[test]
    fn pods_without_gpus_are_not_this_rules_concern() {
        let cpu = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"cpu","namespace":"ml"},
            "spec":{"template":{"spec":{"containers":[{"name":"c","image":"i","resources":{"limits":{"cpu":"1","nvidia.com/gpu":0}}}]}}}});
        assert!(metadata_findings(&[cpu]).is_empty());
    }

    #[test]
    fn egress_blocking_the_address_or_port_80_is_not_reported() {
        for egress in [
            json!([]),
            json!([{"ports":[{"port":53,"protocol":"UDP"},{"port":53,"protocol":"TCP"}]}]),
            json!([{"to":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["169.254.169.254/32"]}}]}]),
            json!([{"to":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["169.254.0.0/16"]}}]}]),
            json!([{"to":[{"ipBlock":{"cidr":"0.0.0.0/0"}}],"ports":[{"port":443}]}]),
            json!([{"to":[{"namespaceSelector":{}}]}]),
        ] {
            let found = metadata_findings(&[gpu_deployment("llm", "nvidia.com/gpu"), egress_policy(egress.clone())]);
            assert!(found.is_empty(), "{egress}: {found:?}");
        }
    }

    #[test]
    fn egress_admitting_the_address_names_the_policy_rule() {
        let cases = [
            (
                json!([{}]),
                "NetworkPolicy egress spec.egress[0] admits every destination on port 80",
            ),
            (
                json!([{"ports":[{"port":53,"protocol":"UDP"}]},{"to":[],"ports":[{"port":1,"endPort":1024}]}]),
                "spec.egress[1] admits every destination",
            ),
            (
                json!([{"to":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["10.0.0.0/8"]}}]}]),
                "spec.egress[0] to[0].ipBlock 0.0.0.0/0 has no except covering the address",
            ),
        ];
        for (egress, expected) in cases {
            let found = metadata_findings(&[gpu_deployment("llm", "nvidia.com/gpu"), egress_policy(egress.clone())]);
            assert_eq!(found.len(), 1, "{egress}");
            assert!(found[0].message.contains(expected), "{egress}: {}", found[0].message);
        }
    }

    #[test]
    fn additive_policies_any_admitting_rule_opens_the_address() {
        let mut open = egress_policy(json!([{"to":[{"ipBlock":{"cidr":"169.254.169.254/32"}}],"ports":[{"port":80}]}]));
        open["metadata"]["name"] = json!("allow-metadata");
        open["spec"]["podSelector"] = json!({"matchLabels":{"app":"llm"}});
        let found = metadata_findings(&[gpu_deployment("llm", "nvidia.com/gpu"), egress_policy(json!([])), open]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("NetworkPolicy allow-metadata"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn host_network_gpu_pods_are_reported_whatever_the_policies() {
        let mut pod = gpu_deployment("llm", "nvidia.com/gpu");
        pod["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
        let found = metadata_findings(&[pod, egress_policy(json!([]))]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "spec.template.spec.hostNetwork");
        assert!(found[0].message.contains("host network"));
    }
}

//! Services that expose pods outside the cluster (NodePort, LoadBalancer): pods no ingress
//! policy protects, and external load balancers open to any source.
//!
//! A Service selects the pods of its own namespace whose labels contain its selector; the
//! pods are the workloads' pod templates.

use tailor_kube::k8s_openapi::api::core::v1::Service;
use tailor_kube::FieldPath;

use super::cidr::Cidr;
use super::index::{describe, NamespaceView};
use super::policies::Direction;
use super::selectors::service_selects;
use super::{list, EXPOSED_WITHOUT_POLICY, LOAD_BALANCER_OPEN};
use crate::rules::text::distinct;
use crate::Hit;

/// The legacy annotation that does what `spec.loadBalancerSourceRanges` does.
const SOURCE_RANGES_ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

/// Cloud annotations that make a LoadBalancer internal (reachable from the VPC only), with
/// the values that do.
const INTERNAL_ANNOTATIONS: &[(&str, &[&str])] = &[
    ("networking.gke.io/load-balancer-type", &["Internal"]),
    ("cloud.google.com/load-balancer-type", &["Internal", "internal"]),
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        &["true", "0.0.0.0/0"],
    ),
    ("service.beta.kubernetes.io/aws-load-balancer-scheme", &["internal"]),
    ("service.beta.kubernetes.io/azure-load-balancer-internal", &["true"]),
    ("service.beta.kubernetes.io/oci-load-balancer-internal", &["true"]),
    ("service.beta.kubernetes.io/openstack-internal-load-balancer", &["true"]),
    (
        "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
        &["private"],
    ),
];

pub fn check(view: &NamespaceView) -> Vec<(usize, Hit)> {
    let mut hits = Vec::new();
    for &(entry, source, service) in &view.services {
        let Some(spec) = &service.spec else {
            continue;
        };
        let kind = spec.type_.as_deref().unwrap_or("ClusterIP");
        if kind != "NodePort" && kind != "LoadBalancer" {
            continue;
        }
        let unprotected: Vec<String> = view
            .workloads
            .iter()
            .filter(|w| service_selects(spec.selector.as_ref(), w.labels))
            .filter_map(|w| {
                if w.host_network() {
                    Some(format!("{} (host network: NetworkPolicies do not apply)", w.describe()))
                } else if w.policies(Direction::Ingress).is_empty() {
                    Some(w.describe())
                } else {
                    None
                }
            })
            .collect();
        let unprotected = distinct(unprotected);
        if !unprotected.is_empty() {
            let message = format!(
                "{kind} Service {} exposes {} outside the cluster, and no ingress NetworkPolicy in the scanned \
                 objects selects the pods of {}: they accept any connection on any port",
                source.name.as_deref().unwrap_or("(unnamed)"),
                ports(service),
                list(&unprotected),
            );
            hits.push((
                entry,
                hit(&EXPOSED_WITHOUT_POLICY, message, FieldPath::keys("spec.type")),
            ));
        }
        if kind == "LoadBalancer" && !is_internal(service) {
            hits.extend(open_to_any_source(service).map(|(message, field)| {
                let message = format!("{}: {message}", describe(source));
                (entry, hit(&LOAD_BALANCER_OPEN, message, field))
            }));
        }
    }
    hits
}

/// Why an external load balancer accepts any source, and where: no source ranges, or a
/// range covering every address.
fn open_to_any_source(service: &Service) -> Option<(String, FieldPath)> {
    let spec = service.spec.as_ref()?;
    if let Some(ranges) = spec.load_balancer_source_ranges.as_ref().filter(|r| !r.is_empty()) {
        let index = ranges.iter().position(|range| covers_everything(range))?;
        let message = format!(
            "loadBalancerSourceRanges includes {}, so {} open to the whole internet",
            ranges[index],
            ports_are(service)
        );
        return Some((message, FieldPath::keys("spec.loadBalancerSourceRanges").index(index)));
    }
    let annotation = annotation(service, SOURCE_RANGES_ANNOTATION);
    if let Some(ranges) = annotation.filter(|r| !r.trim().is_empty()) {
        let covers = ranges.split(',').find(|range| covers_everything(range.trim()))?;
        let message = format!(
            "the {SOURCE_RANGES_ANNOTATION} annotation includes {}, so {} open to the whole internet",
            covers.trim(),
            ports_are(service)
        );
        let field = FieldPath::keys("metadata.annotations").key(SOURCE_RANGES_ANNOTATION);
        return Some((message, field));
    }
    let message = format!(
        "no loadBalancerSourceRanges: {} open to the whole internet",
        ports_are(service)
    );
    Some((message, FieldPath::keys("spec.type")))
}

fn covers_everything(range: &str) -> bool {
    range.parse::<Cidr>().is_ok_and(|cidr| cidr.is_everything())
}

fn is_internal(service: &Service) -> bool {
    INTERNAL_ANNOTATIONS
        .iter()
        .any(|(key, values)| annotation(service, key).is_some_and(|value| values.contains(&value)))
}

fn annotation<'s>(service: &'s Service, key: &str) -> Option<&'s str> {
    service.metadata.annotations.as_ref()?.get(key).map(String::as_str)
}

/// The Service's ports for a message, e.g. `port 80/TCP, 443/TCP`.
fn ports(service: &Service) -> String {
    let ports: Vec<String> = service
        .spec
        .iter()
        .flat_map(|spec| spec.ports.iter().flatten())
        .map(|port| format!("{}/{}", port.port, port.protocol.as_deref().unwrap_or("TCP")))
        .collect();
    match ports.len() {
        0 => "its ports".to_owned(),
        1 => format!("port {}", ports[0]),
        _ => format!("ports {}", ports.join(", ")),
    }
}

/// The ports followed by the verb agreeing with them: `port 80/TCP is`, `ports 80/TCP, 443/TCP are`.
fn ports_are(service: &Service) -> String {
    let ports = ports(service);
    let verb = if ports.starts_with("ports") { "are" } else { "is" };
    format!("{ports} {verb}")
}

fn hit(rule: &'static crate::Rule, message: String, field: FieldPath) -> Hit {
    Hit {
        rule,
        message,
        field,
        container: None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::{testing, Finding};

    fn web() -> Value {
        json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"shop","labels":{"app":"other"}},
            "spec":{"template":{"metadata":{"labels":{"app":"web","tier":"front"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})
    }

    fn service(kind: &str, selector: Value) -> Value {
        json!({"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"shop"},
            "spec":{"type":kind,"selector":selector,"ports":[{"port":80,"targetPort":8080}]}})
    }

    fn ingress_policy() -> Value {
        json!({"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"web","namespace":"shop"},
            "spec":{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"ports":[{"port":8080}]}]}})
    }

    fn svc_findings(objects: &[Value]) -> Vec<Finding> {
        testing::findings(objects)
            .into_iter()
            .filter(|f| f.rule.starts_with("TLR-svc-"))
            .collect()
    }

    fn rules(found: &[Finding]) -> Vec<&str> {
        found.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn node_port_selecting_unprotected_pods_is_reported_on_the_service_type() {
        let found = svc_findings(&[web(), service("NodePort", json!({"app": "web"}))]);
        assert_eq!(rules(&found), ["TLR-svc-exposed-without-netpol"]);
        let finding = &found[0];
        assert_eq!(
            (finding.kind.as_str(), finding.field.as_str()),
            ("Service", "spec.type")
        );
        assert!(
            finding
                .message
                .starts_with("NodePort Service web exposes port 80/TCP outside the cluster"),
            "{}",
            finding.message
        );
        assert!(
            finding.message.contains("selects the pods of Deployment web"),
            "{}",
            finding.message
        );
        assert_eq!(finding.attack, ["T1133", "T1190"]);
    }

    #[test]
    fn an_ingress_policy_selecting_the_pods_protects_them() {
        let found = svc_findings(&[web(), service("NodePort", json!({"app": "web"})), ingress_policy()]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn an_egress_only_policy_does_not_protect_ingress() {
        let mut egress_only = ingress_policy();
        egress_only["spec"]["policyTypes"] = json!(["Egress"]);
        let found = svc_findings(&[web(), service("NodePort", json!({"app": "web"})), egress_only]);
        assert_eq!(rules(&found), ["TLR-svc-exposed-without-netpol"]);
    }

    #[test]
    fn services_select_pod_template_labels_of_their_namespace_only() {
        // The Deployment's own labels (app=other) are not its pods'.
        assert!(svc_findings(&[web(), service("NodePort", json!({"app": "other"}))]).is_empty());
        // All selector labels must match.
        assert!(svc_findings(&[web(), service("NodePort", json!({"app": "web", "tier": "back"}))]).is_empty());
        // Another namespace.
        let mut elsewhere = service("NodePort", json!({"app": "web"}));
        elsewhere["metadata"]["namespace"] = json!("other");
        assert!(svc_findings(&[web(), elsewhere]).is_empty());
        // No selector: endpoints managed elsewhere.
        assert!(svc_findings(&[web(), service("NodePort", json!({}))]).is_empty());
        // ClusterIP is not exposed.
        assert!(svc_findings(&[web(), service("ClusterIP", json!({"app": "web"}))]).is_empty());
    }

    #[test]
    fn load_balancers_need_source_ranges_unless_internal() {
        let found = svc_findings(&[web(), service("LoadBalancer", json!({"app": "web"})), ingress_policy()]);
        assert_eq!(rules(&found), ["TLR-svc-lb-no-source-ranges"]);
        assert!(
            found[0].message.contains("no loadBalancerSourceRanges: port 80/TCP"),
            "{}",
            found[0].message
        );

        let mut restricted = service("LoadBalancer", json!({"app": "web"}));
        restricted["spec"]["loadBalancerSourceRanges"] = json!(["203.0.113.0/24"]);
        assert!(svc_findings(&[web(), restricted.clone(), ingress_policy()]).is_empty());

        restricted["spec"]["loadBalancerSourceRanges"] = json!(["203.0.113.0/24", "0.0.0.0/0"]);
        let found = svc_findings(&[web(), restricted, ingress_policy()]);
        assert_eq!(found[0].field, "spec.loadBalancerSourceRanges[1]");
        assert!(found[0].message.contains("includes 0.0.0.0/0"), "{}", found[0].message);

        let mut annotated = service("LoadBalancer", json!({"app": "web"}));
        annotated["metadata"]["annotations"] =
            json!({"service.beta.kubernetes.io/load-balancer-source-ranges": "203.0.113.0/24, 198.51.100.0/24"});
        assert!(svc_findings(&[web(), annotated, ingress_policy()]).is_empty());

        let mut internal = service("LoadBalancer", json!({"app": "web"}));
        internal["metadata"]["annotations"] = json!({"networking.gke.io/load-balancer-type": "Internal"});
        assert!(svc_findings(&[web(), internal, ingress_policy()]).is_empty());
    }

    #[test]
    fn host_network_pods_behind_a_service_are_never_protected() {
        let mut agent = web();
        agent["spec"]["template"]["spec"]["hostNetwork"] = json!(true);
        let found = svc_findings(&[agent, service("NodePort", json!({"app": "web"})), ingress_policy()]);
        assert_eq!(rules(&found), ["TLR-svc-exposed-without-netpol"]);
        assert!(found[0].message.contains("host network"), "{}", found[0].message);
    }
}

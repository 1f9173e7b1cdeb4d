//! NetworkPolicy semantics (`networking.k8s.io/v1`): which directions a policy isolates
//! (`policyTypes` defaulting), which pods of its namespace it selects, whether it is a
//! default deny, and which peers and ports its rules admit.
//!
//! Policies are additive: a pod selected by at least one policy for a direction is isolated
//! in that direction, and a connection is allowed when any rule of any policy selecting the
//! pod admits it.

use std::net::IpAddr;

use tailor_kube::k8s_openapi::api::networking::v1::{NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec};
use tailor_kube::k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::cidr::Cidr;
use super::selectors::{self, Labels};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub const BOTH: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// One rule of a policy, whichever its direction: the peers it admits (`from` or `to`) and
/// on which ports. An absent or empty list admits every peer, or every port.
#[derive(Clone, Copy, Debug)]
pub struct PolicyRule<'a> {
    pub peers: &'a [NetworkPolicyPeer],
    pub ports: &'a [NetworkPolicyPort],
}

impl PolicyRule<'_> {
    /// Whether the rule admits all traffic: any peer, any port. A peer `ipBlock` covering a
    /// whole address family without exceptions counts as any peer.
    pub fn admits_everything(&self) -> bool {
        let any_peer = self.peers.is_empty()
            || self.peers.iter().any(|peer| {
                peer.ip_block.as_ref().is_some_and(|block| {
                    block.except.as_ref().is_none_or(Vec::is_empty)
                        && block.cidr.parse::<Cidr>().is_ok_and(|cidr| cidr.is_everything())
                })
            });
        any_peer && self.ports.is_empty()
    }
}

/// A NetworkPolicy, with its `policyTypes` defaulted as the API server does.
#[derive(Clone, Debug)]
pub struct Policy<'a> {
    pub name: &'a str,
    /// `metadata.namespace`: a policy only ever selects pods of its own namespace.
    pub namespace: Option<&'a str>,
    spec: Option<&'a NetworkPolicySpec>,
    ingress: bool,
    egress: bool,
}

impl<'a> Policy<'a> {
    pub fn new(name: &'a str, namespace: Option<&'a str>, spec: Option<&'a NetworkPolicySpec>) -> Self {
        let (ingress, egress) = policy_types(spec);
        Policy {
            name,
            namespace,
            spec,
            ingress,
            egress,
        }
    }

    /// Whether the policy isolates the pods it selects in `direction`.
    pub fn affects(&self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }

    /// Whether the policy selects a pod of its namespace carrying `labels`. An absent
    /// `podSelector` is the empty selector: every pod.
    pub fn selects(&self, labels: &Labels) -> bool {
        self.pod_selector()
            .is_none_or(|selector| selectors::matches(selector, labels))
    }

    /// Whether the policy selects every pod of its namespace.
    pub fn selects_every_pod(&self) -> bool {
        self.pod_selector().is_none_or(selectors::is_empty)
    }

    /// Whether the policy isolates every pod of its namespace in `direction` without admitting
    /// all traffic: the namespace's default deny. A catch-all policy with narrow exceptions
    /// (the usual "deny all egress but DNS") counts; one with an allow-all rule does not.
    pub fn is_default_deny(&self, direction: Direction) -> bool {
        self.affects(direction)
            && self.selects_every_pod()
            && !self.rules(direction).iter().any(PolicyRule::admits_everything)
    }

    /// The rules of `direction` (none when the policy does not affect it).
    pub fn rules(&self, direction: Direction) -> Vec<PolicyRule<'a>> {
        if !self.affects(direction) {
            return Vec::new();
        }
        let Some(spec) = self.spec else {
            return Vec::new();
        };
        match direction {
            Direction::Ingress => spec
                .ingress
                .iter()
                .flatten()
                .map(|rule| PolicyRule {
                    peers: rule.from.as_deref().unwrap_or_default(),
                    ports: rule.ports.as_deref().unwrap_or_default(),
                })
                .collect(),
            Direction::Egress => spec
                .egress
                .iter()
                .flatten()
                .map(|rule| PolicyRule {
                    peers: rule.to.as_deref().unwrap_or_default(),
                    ports: rule.ports.as_deref().unwrap_or_default(),
                })
                .collect(),
        }
    }

    /// The first egress rule that admits a connection to `address` on `protocol`/`port`, as
    /// its index in `spec.egress` and the index of the admitting peer in its `to` (`None`
    /// when the rule admits every destination).
    pub fn egress_admits(&self, address: IpAddr, protocol: &str, port: u16) -> Option<(usize, Option<usize>)> {
        self.rules(Direction::Egress)
            .iter()
            .enumerate()
            .find_map(|(index, rule)| {
                if !ports_admit(rule.ports, protocol, port) {
                    return None;
                }
                if rule.peers.is_empty() {
                    return Some((index, None));
                }
                let peer = rule.peers.iter().position(|peer| peer_admits_address(peer, address))?;
                Some((index, Some(peer)))
            })
    }

    fn pod_selector(&self) -> Option<&'a tailor_kube::k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector> {
        self.spec.and_then(|spec| spec.pod_selector.as_ref())
    }
}

/// `policyTypes` after defaulting: as written when non-empty; otherwise Ingress always, and
/// Egress only when the policy has at least one egress rule (`egress: []` does not count).
pub fn policy_types(spec: Option<&NetworkPolicySpec>) -> (bool, bool) {
    let declared = spec.and_then(|s| s.policy_types.as_deref()).unwrap_or_default();
    if declared.is_empty() {
        let has_egress_rules = spec
            .and_then(|s| s.egress.as_ref())
            .is_some_and(|rules| !rules.is_empty());
        return (true, has_egress_rules);
    }
    (
        declared.iter().any(|t| t == "Ingress"),
        declared.iter().any(|t| t == "Egress"),
    )
}

/// Whether `peer` admits traffic to or from `address`: an `ipBlock` containing it with no
/// `except` containing it. Pod and namespace selectors match pods, never other addresses
/// such as the cloud metadata API's. A block that does not parse (the API server rejects
/// it) admits nothing.
pub fn peer_admits_address(peer: &NetworkPolicyPeer, address: IpAddr) -> bool {
    let Some(block) = &peer.ip_block else {
        return false;
    };
    let contains = |text: &str| text.parse::<Cidr>().is_ok_and(|cidr| cidr.contains(address));
    contains(&block.cidr) && !block.except.iter().flatten().any(|except| contains(except))
}

/// Whether `ports` admit `protocol`/`port`. An empty list admits every port; an entry admits
/// its protocol (TCP when unset) on its port, its range up to `endPort`, or every port when
/// it names none. A named port (`http`) is resolved against the peer pod's container ports,
/// so it never admits a destination that is not a pod.
pub fn ports_admit(ports: &[NetworkPolicyPort], protocol: &str, port: u16) -> bool {
    ports.is_empty()
        || ports.iter().any(|entry| {
            entry.protocol.as_deref().unwrap_or("TCP") == protocol
                && match &entry.port {
                    None => true,
                    Some(IntOrString::Int(first)) => {
                        let last = entry.end_port.unwrap_or(*first);
                        (*first..=last).contains(&i32::from(port))
                    }
                    Some(IntOrString::String(_)) => false,
                }
        })
}

/// Whether `peer` of a policy in `policy_namespace` selects a pod of `pod_namespace` carrying
/// `pod_labels`, where `namespace_labels` are the labels of the pod's namespace (with the
/// automatic `kubernetes.io/metadata.name`). With a `namespaceSelector`, the peer selects the
/// pods matching its `podSelector` (every pod when it has none) in the namespaces the
/// selector matches; without one, the pods matching its `podSelector` in the policy's own
/// namespace. `ipBlock` peers select addresses, not pods, and an empty peer is invalid.
pub fn peer_selects_pod(
    peer: &NetworkPolicyPeer,
    policy_namespace: Option<&str>,
    pod_namespace: Option<&str>,
    pod_labels: &Labels,
    namespace_labels: &Labels,
) -> bool {
    if peer.ip_block.is_some() {
        return false;
    }
    match (&peer.namespace_selector, &peer.pod_selector) {
        (None, None) => false,
        (None, Some(pods)) => pod_namespace == policy_namespace && selectors::matches(pods, pod_labels),
        (Some(namespaces), pods) => {
            selectors::matches(namespaces, namespace_labels)
                && pods.as_ref().is_none_or(|pods| selectors::matches(pods, pod_labels))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    use crate::rules::network::selectors::NO_LABELS;

    fn spec(value: Value) -> NetworkPolicySpec {
        serde_json::from_value(value).unwrap()
    }

    fn peer(value: Value) -> NetworkPolicyPeer {
        serde_json::from_value(value).unwrap()
    }

    fn ports(value: Value) -> Vec<NetworkPolicyPort> {
        serde_json::from_value(value).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const METADATA: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(169, 254, 169, 254));

    #[test]
    fn policy_types_default_to_ingress_plus_egress_when_egress_rules_exist() {
        assert_eq!(
            policy_types(None),
            (true, false),
            "a policy without spec denies ingress"
        );
        assert_eq!(policy_types(Some(&spec(json!({"podSelector": {}})))), (true, false));
        assert_eq!(policy_types(Some(&spec(json!({"egress": [{}]})))), (true, true));
        assert_eq!(
            policy_types(Some(&spec(json!({"egress": []})))),
            (true, false),
            "an empty egress list is no egress section"
        );
        assert_eq!(
            policy_types(Some(&spec(json!({"policyTypes": [], "egress": [{}]})))),
            (true, true)
        );
        assert_eq!(
            policy_types(Some(&spec(json!({"policyTypes": ["Egress"]})))),
            (false, true)
        );
        assert_eq!(
            policy_types(Some(&spec(json!({"policyTypes": ["Egress"], "ingress": [{}]})))),
            (false, true),
            "declared types win over rules"
        );
        assert_eq!(
            policy_types(Some(&spec(json!({"policyTypes": ["Ingress", "Egress"]})))),
            (true, true)
        );
    }

    #[test]
    fn absent_pod_selector_selects_every_pod_of_the_namespace() {
        let s = spec(json!({"policyTypes": ["Ingress"]}));
        let policy = Policy::new("p", Some("ns"), Some(&s));
        assert!(policy.selects(&NO_LABELS));
        assert!(policy.selects_every_pod());
        let s = spec(json!({"podSelector": {"matchLabels": {"app": "web"}}}));
        let policy = Policy::new("p", Some("ns"), Some(&s));
        assert!(policy.selects(&labels(&[("app", "web")])));
        assert!(!policy.selects(&labels(&[("app", "db")])));
        assert!(!policy.selects_every_pod());
    }

    #[test]
    fn default_deny_is_a_catch_all_policy_that_does_not_admit_everything() {
        let deny_all = spec(json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}));
        let policy = Policy::new("deny", None, Some(&deny_all));
        assert!(policy.is_default_deny(Direction::Ingress));
        assert!(policy.is_default_deny(Direction::Egress));

        // Defaulting: no egress rules means the policy does not touch egress.
        let ingress_only = spec(json!({"podSelector": {}}));
        let policy = Policy::new("deny", None, Some(&ingress_only));
        assert!(policy.is_default_deny(Direction::Ingress));
        assert!(!policy.is_default_deny(Direction::Egress));

        // Deny all egress but DNS is still the namespace's default deny.
        let dns_only = spec(json!({"podSelector": {}, "policyTypes": ["Egress"],
            "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]}));
        assert!(Policy::new("dns", None, Some(&dns_only)).is_default_deny(Direction::Egress));

        for allow_all in [
            json!({"podSelector": {}, "ingress": [{}]}),
            json!({"podSelector": {}, "ingress": [{"from": []}]}),
            json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}),
        ] {
            let s = spec(allow_all.clone());
            assert!(
                !Policy::new("all", None, Some(&s)).is_default_deny(Direction::Ingress),
                "{allow_all}"
            );
        }
        // An exception inside 0.0.0.0/0 makes it narrower than everything.
        let s = spec(
            json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}]}),
        );
        assert!(Policy::new("most", None, Some(&s)).is_default_deny(Direction::Ingress));

        let selective = spec(json!({"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]}));
        assert!(!Policy::new("web", None, Some(&selective)).is_default_deny(Direction::Ingress));
    }

    #[test]
    fn ip_blocks_admit_addresses_outside_their_excepts() {
        assert!(peer_admits_address(
            &peer(json!({"ipBlock": {"cidr": "0.0.0.0/0"}})),
            METADATA
        ));
        assert!(!peer_admits_address(
            &peer(json!({"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}})),
            METADATA
        ));
        assert!(!peer_admits_address(
            &peer(json!({"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "169.254.0.0/16"]}})),
            METADATA
        ));
        assert!(
            peer_admits_address(
                &peer(json!({"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.0/32"]}})),
                METADATA
            ),
            "an except beside the address does not cover it"
        );
        assert!(!peer_admits_address(
            &peer(json!({"ipBlock": {"cidr": "10.0.0.0/8"}})),
            METADATA
        ));
        assert!(!peer_admits_address(
            &peer(json!({"ipBlock": {"cidr": "::/0"}})),
            METADATA
        ));
        assert!(
            !peer_admits_address(&peer(json!({"namespaceSelector": {}})), METADATA),
            "selectors match pods"
        );
        assert!(!peer_admits_address(
            &peer(json!({"ipBlock": {"cidr": "not-a-cidr"}})),
            METADATA
        ));
    }

    #[test]
    fn ports_admit_their_protocol_port_and_range() {
        assert!(ports_admit(&[], "TCP", 80), "no ports: every port");
        assert!(!ports_admit(
            &ports(json!([{"port": 53, "protocol": "UDP"}, {"port": 53}])),
            "TCP",
            80
        ));
        assert!(ports_admit(&ports(json!([{"port": 80}])), "TCP", 80), "TCP by default");
        assert!(!ports_admit(
            &ports(json!([{"port": 80, "protocol": "UDP"}])),
            "TCP",
            80
        ));
        assert!(
            ports_admit(&ports(json!([{"protocol": "TCP"}])), "TCP", 80),
            "no port: every port"
        );
        assert!(ports_admit(&ports(json!([{"port": 1, "endPort": 1024}])), "TCP", 80));
        assert!(!ports_admit(&ports(json!([{"port": 81, "endPort": 1024}])), "TCP", 80));
        assert!(
            !ports_admit(&ports(json!([{"port": "http"}])), "TCP", 80),
            "named ports resolve on pods only"
        );
    }

    #[test]
    fn egress_to_the_metadata_address_needs_a_rule_admitting_port_80() {
        let egress = |rules: Value| spec(json!({"podSelector": {}, "policyTypes": ["Egress"], "egress": rules}));
        let admits = |s: &NetworkPolicySpec| Policy::new("p", None, Some(s)).egress_admits(METADATA, "TCP", 80);

        assert_eq!(
            admits(&egress(json!([{}]))),
            Some((0, None)),
            "an empty rule admits everything"
        );
        assert_eq!(
            admits(&egress(json!([{"to": []}]))),
            Some((0, None)),
            "to: [] is every destination"
        );
        assert_eq!(admits(&egress(json!([]))), None, "no rules: deny");
        // DNS only: port 53 does not let port 80 through.
        assert_eq!(
            admits(&egress(
                json!([{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53}]}])
            )),
            None
        );
        // Port 80 to anywhere, in a second rule.
        assert_eq!(
            admits(&egress(
                json!([{"ports": [{"port": 53, "protocol": "UDP"}]}, {"to": [], "ports": [{"port": 80}]}])
            )),
            Some((1, None))
        );
        // 0.0.0.0/0 but the metadata address.
        assert_eq!(
            admits(&egress(
                json!([{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}}]}])
            )),
            None
        );
        assert_eq!(
            admits(&egress(
                json!([{"to": [{"podSelector": {}}, {"ipBlock": {"cidr": "169.254.0.0/16"}}]}])
            )),
            Some((0, Some(1)))
        );
        // Pod peers never reach it.
        assert_eq!(admits(&egress(json!([{"to": [{"namespaceSelector": {}}]}]))), None);
        // An ingress-only policy says nothing about egress.
        let ingress_only = spec(json!({"podSelector": {}, "egress": [{}], "policyTypes": ["Ingress"]}));
        assert_eq!(admits(&ingress_only), None);
    }

    #[test]
    fn peers_select_pods_by_namespace_and_labels() {
        let web = labels(&[("app", "web")]);
        let prod_ns = labels(&[("kubernetes.io/metadata.name", "prod"), ("env", "prod")]);
        let dev_ns = labels(&[("kubernetes.io/metadata.name", "dev")]);

        // podSelector alone: the policy's own namespace only.
        let pods = peer(json!({"podSelector": {"matchLabels": {"app": "web"}}}));
        assert!(peer_selects_pod(&pods, Some("prod"), Some("prod"), &web, &prod_ns));
        assert!(!peer_selects_pod(&pods, Some("dev"), Some("prod"), &web, &prod_ns));

        // namespaceSelector alone: every pod of the matching namespaces.
        let namespaces = peer(json!({"namespaceSelector": {"matchLabels": {"env": "prod"}}}));
        assert!(peer_selects_pod(
            &namespaces,
            Some("dev"),
            Some("prod"),
            &NO_LABELS,
            &prod_ns
        ));
        assert!(!peer_selects_pod(&namespaces, Some("prod"), Some("dev"), &web, &dev_ns));

        // An empty namespaceSelector is every namespace; with a podSelector, both must hold.
        let both = peer(json!({"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}}));
        assert!(peer_selects_pod(&both, Some("dev"), Some("prod"), &web, &prod_ns));
        assert!(!peer_selects_pod(
            &both,
            Some("dev"),
            Some("prod"),
            &NO_LABELS,
            &prod_ns
        ));

        // The automatic name label selects a namespace by name.
        let by_name = peer(json!({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "dev"}}}));
        assert!(peer_selects_pod(&by_name, Some("prod"), Some("dev"), &web, &dev_ns));
        assert!(!peer_selects_pod(&by_name, Some("prod"), Some("prod"), &web, &prod_ns));

        assert!(!peer_selects_pod(
            &peer(json!({"ipBlock": {"cidr": "0.0.0.0/0"}})),
            None,
            None,
            &web,
            &NO_LABELS
        ));
        assert!(
            !peer_selects_pod(&peer(json!({})), None, None, &web, &NO_LABELS),
            "an empty peer is invalid"
        );
    }
}

//! Label-selector evaluation with the API server's semantics (`metav1.LabelSelectorAsSelector`
//! and `labels.SelectorFromSet`), for NetworkPolicy pod and namespace selectors and Service
//! selectors.
//!
//! The empty selector `{}` selects everything. What an absent (null) selector means depends
//! on where it sits, so callers decide: an absent `spec.podSelector` of a NetworkPolicy is the
//! empty selector, an absent `podSelector` in a peer means "every pod" of the selected
//! namespaces, and a Service without a selector selects no pod at all.

use std::collections::BTreeMap;

use tailor_kube::k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

/// A set of labels (a pod's or a namespace's).
pub type Labels = BTreeMap<String, String>;

/// The labels of an object without any.
pub static NO_LABELS: Labels = BTreeMap::new();

/// Whether `selector` selects an object carrying `labels`: every `matchLabels` pair and every
/// `matchExpressions` requirement must hold. A selector the API server would reject (an
/// unknown operator, `In`/`NotIn` without values, `Exists`/`DoesNotExist` with values)
/// selects nothing.
pub fn matches(selector: &LabelSelector, labels: &Labels) -> bool {
    let labels_match = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(key, value)| labels.get(key) == Some(value));
    labels_match
        && selector
            .match_expressions
            .iter()
            .flatten()
            .all(|requirement| requirement_holds(requirement, labels) == Some(true))
}

/// Whether `selector` is the empty selector, which selects every object.
pub fn is_empty(selector: &LabelSelector) -> bool {
    selector.match_labels.as_ref().is_none_or(BTreeMap::is_empty)
        && selector.match_expressions.as_ref().is_none_or(Vec::is_empty)
}

/// Whether a Service selector (a plain label map) selects an object carrying `labels`. An
/// absent or empty Service selector selects nothing: such a Service's endpoints are managed
/// outside Kubernetes.
pub fn service_selects(selector: Option<&Labels>, labels: &Labels) -> bool {
    match selector {
        Some(selector) if !selector.is_empty() => selector.iter().all(|(key, value)| labels.get(key) == Some(value)),
        _ => false,
    }
}

/// `Some(holds)` for a valid requirement, `None` for one the API server rejects.
fn requirement_holds(requirement: &LabelSelectorRequirement, labels: &Labels) -> Option<bool> {
    let values = requirement.values.as_deref().unwrap_or_default();
    let value = labels.get(&requirement.key);
    match requirement.operator.as_str() {
        "In" if !values.is_empty() => Some(value.is_some_and(|v| values.contains(v))),
        // A missing key satisfies NotIn.
        "NotIn" if !values.is_empty() => Some(value.is_none_or(|v| !values.contains(v))),
        "Exists" if values.is_empty() => Some(value.is_some()),
        "DoesNotExist" if values.is_empty() => Some(value.is_none()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn selector(value: serde_json::Value) -> LabelSelector {
        serde_json::from_value(value).unwrap()
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn empty_selector_selects_everything_even_unlabelled_objects() {
        let empty = selector(json!({}));
        assert!(is_empty(&empty));
        assert!(matches(&empty, &NO_LABELS));
        assert!(matches(&empty, &labels(&[("app", "x")])));
        // Empty lists are still the empty selector.
        let lists = selector(json!({"matchLabels": {}, "matchExpressions": []}));
        assert!(is_empty(&lists));
        assert!(matches(&lists, &NO_LABELS));
        assert!(!is_empty(&selector(json!({"matchLabels": {"app": "x"}}))));
    }

    #[test]
    fn match_labels_require_every_pair() {
        let s = selector(json!({"matchLabels": {"app": "web", "tier": "front"}}));
        assert!(matches(
            &s,
            &labels(&[("app", "web"), ("tier", "front"), ("extra", "1")])
        ));
        assert!(!matches(&s, &labels(&[("app", "web")])));
        assert!(!matches(&s, &labels(&[("app", "web"), ("tier", "back")])));
    }

    #[test]
    fn in_and_not_in_follow_kubernetes_semantics() {
        let is_in =
            selector(json!({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod", "staging"]}]}));
        assert!(matches(&is_in, &labels(&[("env", "prod")])));
        assert!(!matches(&is_in, &labels(&[("env", "dev")])));
        assert!(!matches(&is_in, &NO_LABELS), "In needs the key");

        let not_in = selector(json!({"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}));
        assert!(matches(&not_in, &labels(&[("env", "dev")])));
        assert!(!matches(&not_in, &labels(&[("env", "prod")])));
        assert!(matches(&not_in, &NO_LABELS), "NotIn matches when the key is absent");
    }

    #[test]
    fn exists_and_does_not_exist_look_at_the_key_only() {
        let exists = selector(json!({"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}));
        assert!(matches(&exists, &labels(&[("gpu", "")])));
        assert!(!matches(&exists, &labels(&[("cpu", "1")])));
        let absent = selector(json!({"matchExpressions": [{"key": "gpu", "operator": "DoesNotExist"}]}));
        assert!(matches(&absent, &labels(&[("cpu", "1")])));
        assert!(!matches(&absent, &labels(&[("gpu", "a100")])));
    }

    #[test]
    fn labels_and_expressions_are_anded() {
        let s = selector(json!({"matchLabels": {"app": "web"},
            "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]}));
        assert!(matches(&s, &labels(&[("app", "web")])));
        assert!(!matches(&s, &labels(&[("app", "web"), ("env", "prod")])));
        assert!(!matches(&s, &labels(&[("env", "dev")])));
    }

    #[test]
    fn invalid_requirements_select_nothing() {
        for requirement in [
            json!({"key": "env", "operator": "In", "values": []}),
            json!({"key": "env", "operator": "NotIn"}),
            json!({"key": "env", "operator": "Exists", "values": ["x"]}),
            json!({"key": "env", "operator": "in", "values": ["x"]}),
            json!({"key": "env", "operator": "Gt", "values": ["1"]}),
        ] {
            let s = selector(json!({"matchExpressions": [requirement.clone()]}));
            assert!(!matches(&s, &labels(&[("env", "x")])), "{requirement}");
            assert!(!matches(&s, &NO_LABELS), "{requirement}");
        }
    }

    #[test]
    fn service_selectors_need_at_least_one_label() {
        let pod = labels(&[("app", "web"), ("tier", "front")]);
        assert!(service_selects(Some(&labels(&[("app", "web")])), &pod));
        assert!(!service_selects(Some(&labels(&[("app", "api")])), &pod));
        assert!(
            !service_selects(Some(&labels(&[])), &pod),
            "an empty Service selector selects nothing"
        );
        assert!(!service_selects(None, &pod));
    }
}

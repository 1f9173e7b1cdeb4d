//! RBAC and service-account rules end to end, on real third-party manifests of the corpus:
//! longhorn's support-bundle account bound to cluster-admin, argo-cd's application
//! controller holding `*` on everything, gpu-operator and longhorn able to bind any role,
//! falco's deliberately risky roles, volcano's monitoring stack sharing the `default`
//! account, and read-only roles that must stay quiet.

mod common;

use std::path::Path;

use serde_json::Value;

use common::{check, corpus_paths, findings_of_rules};

/// The RBAC and service-account findings (`TLR-rbac-*`, `TLR-sa-*`).
fn rbac_findings(report: &Value) -> Vec<&Value> {
    findings_of_rules(report, &["TLR-rbac-", "TLR-sa-"])
}

fn finding<'a>(report: &'a Value, rule: &str, kind: &str, name: &str) -> &'a Value {
    rbac_findings(report)
        .into_iter()
        .find(|f| f["rule"] == rule && f["kind"] == kind && f["name"] == name)
        .unwrap_or_else(|| panic!("no {rule} on {kind} {name}"))
}

fn message(finding: &Value) -> &str {
    finding["message"].as_str().unwrap()
}

/// The 1-based line of `text` (trimmed) in the YAML document of `kind` `name` in `file`.
fn line_in_object(file: &Path, kind: &str, name: &str, text: &str) -> u64 {
    let source = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = source.lines().collect();
    let kind_line = format!("kind: {kind}");
    let name_line = format!("name: {name}");
    let start = (0..lines.len())
        .find(|&i| lines[i] == kind_line && lines[i..].iter().take(4).any(|l| l.trim() == name_line))
        .unwrap_or_else(|| panic!("no {kind} {name} in {}", file.display()));
    let offset = lines[start..]
        .iter()
        .position(|l| l.trim() == text)
        .expect("text present");
    (start + offset + 1) as u64
}

#[test]
fn longhorn_support_bundle_account_is_bound_to_cluster_admin() {
    let Some(paths) = corpus_paths(&["longhorn__longhorn/deploy/longhorn.yaml"]) else {
        return;
    };
    let report = check(&paths);
    let admins: Vec<&Value> = rbac_findings(&report)
        .into_iter()
        .filter(|f| f["rule"] == "TLR-rbac-cluster-admin")
        .collect();
    assert_eq!(admins.len(), 1, "{admins:#?}");
    let admin = admins[0];
    assert_eq!(
        (admin["kind"].as_str(), admin["name"].as_str()),
        (Some("ClusterRoleBinding"), Some("longhorn-support-bundle"))
    );
    assert_eq!(admin["severity"], "critical");
    assert_eq!(admin["attack"], serde_json::json!(["T1098.006"]));
    assert_eq!(
        admin["line"],
        line_in_object(
            &paths[0],
            "ClusterRoleBinding",
            "longhorn-support-bundle",
            "name: cluster-admin"
        ),
        "the finding points at roleRef.name"
    );
    assert!(
        message(admin).contains(
            "gives ServiceAccount longhorn-system/longhorn-support-bundle the cluster-admin ClusterRole cluster-wide"
        ),
        "{}",
        message(admin)
    );

    // longhorn-manager's account may bind any ClusterRole: cluster-admin one call away.
    let bind = finding(
        &report,
        "TLR-rbac-escalate-bind-cluster-wide",
        "ClusterRoleBinding",
        "longhorn-bind",
    );
    assert!(
        message(bind).contains("Used by DaemonSet longhorn-system/longhorn-manager"),
        "{}",
        message(bind)
    );
}

#[test]
fn argo_cd_application_controller_holds_wildcards_on_everything() {
    let Some(paths) = corpus_paths(&["argoproj__argo-cd/manifests/install.yaml"]) else {
        return;
    };
    let report = check(&paths);
    let wildcard = finding(
        &report,
        "TLR-rbac-wildcard",
        "ClusterRoleBinding",
        "argocd-application-controller",
    );
    assert_eq!(wildcard["severity"], "high");
    assert_eq!(wildcard["field"], "roleRef.name");
    let text = message(wildcard);
    for expected in [
        "lets ServiceAccount argocd/argocd-application-controller use wildcard permissions cluster-wide",
        "ClusterRole argocd-application-controller rules[0] (every verb on every resource in every API group), rules[1] (every verb on non-resource URLs *)",
        "equivalent to cluster-admin",
        // The StatefulSet has no namespace: it runs where install.yaml's bindings put it.
        "Used by StatefulSet argocd/argocd-application-controller.",
    ] {
        assert!(text.contains(expected), "{expected:?} missing from: {text}");
    }
    // The wildcard is reported once, not once per risk it includes.
    let on_binding: Vec<&Value> = rbac_findings(&report)
        .into_iter()
        .filter(|f| f["kind"] == "ClusterRoleBinding" && f["name"] == "argocd-application-controller")
        .collect();
    assert_eq!(on_binding.len(), 1, "{on_binding:#?}");
}

#[test]
fn gpu_operator_can_grant_itself_anything() {
    let Some(paths) = corpus_paths(&["NVIDIA__gpu-operator/config/rbac"]) else {
        return;
    };
    let report = check(&paths);
    let bind = finding(
        &report,
        "TLR-rbac-escalate-bind-cluster-wide",
        "ClusterRoleBinding",
        "gpu-operator-rolebinding",
    );
    assert_eq!(bind["severity"], "critical");
    assert!(
        message(bind).contains("ServiceAccount system/gpu-operator"),
        "{}",
        message(bind)
    );
    finding(
        &report,
        "TLR-rbac-read-secrets-cluster-wide",
        "ClusterRoleBinding",
        "gpu-operator-rolebinding",
    );
}

#[test]
fn falco_deliberately_risky_roles_are_flagged_at_their_rules() {
    let Some(paths) = corpus_paths(&["falcosecurity__event-generator/events/k8saudit/yaml"]) else {
        return;
    };
    let report = check(&paths);
    for (rule, role) in [
        ("TLR-rbac-pod-exec", "pod-exec-role"),
        ("TLR-rbac-wildcard", "wildcard-resources-role"),
        ("TLR-rbac-create-pods", "write-privileges-role"),
    ] {
        let found = finding(&report, rule, "Role", role);
        assert_eq!(found["field"], "rules[0]");
        assert!(
            message(found).ends_with("no binding in the scanned objects grants it."),
            "{}",
            message(found)
        );
    }
}

#[test]
fn workloads_sharing_a_default_account_with_bindings_are_flagged() {
    let Some(paths) = corpus_paths(&["volcano-sh__volcano/installer/volcano-monitoring.yaml"]) else {
        return;
    };
    let report = check(&paths);
    // Prometheus is granted nodes/proxy through `default`, so Grafana holds it too.
    let proxy = finding(
        &report,
        "TLR-rbac-nodes-proxy",
        "ClusterRoleBinding",
        "prometheus-volcano",
    );
    assert!(
        message(proxy).contains(
            "Used by Deployment volcano-monitoring/prometheus-deployment, Deployment volcano-monitoring/grafana"
        ),
        "{}",
        message(proxy)
    );
    for workload in ["prometheus-deployment", "grafana"] {
        let shared = finding(&report, "TLR-sa-default-with-bindings", "Deployment", workload);
        assert!(
            message(shared).contains("ClusterRoleBinding prometheus-volcano"),
            "{}",
            message(shared)
        );
    }
}

#[test]
fn read_only_roles_give_no_high_findings() {
    let viewers = [
        "NVIDIA__gpu-operator/config/rbac",
        "kubernetes-sigs__lws/config/rbac",
        "projectbeskar__virtrigaud/config/rbac",
        "ray-project__kuberay/ray-operator/config/rbac",
        "vllm-project__production-stack/operator/config/rbac",
        "prometheus-operator__kube-prometheus/manifests",
    ];
    let Some(paths) = corpus_paths(&viewers) else { return };
    let report = check(&paths);
    let read_only: Vec<&str> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "ClusterRole")
        .filter_map(|o| o["name"].as_str())
        .filter(|name| name.ends_with("-viewer-role") || *name == "prometheus-k8s")
        .collect();
    assert!(
        read_only.len() >= 15,
        "the read-only roles are in the corpus: {read_only:?}"
    );
    let noisy: Vec<&Value> = rbac_findings(&report)
        .into_iter()
        .filter(|f| read_only.contains(&f["name"].as_str().unwrap_or_default()))
        .collect();
    assert!(
        noisy.is_empty(),
        "read-only roles and their bindings have no findings: {noisy:#?}"
    );
}

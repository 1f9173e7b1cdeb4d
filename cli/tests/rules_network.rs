//! NetworkPolicy and Service rules end to end, on real third-party manifests of the corpus:
//! kube-prometheus (a policy per component), Online Boutique (per-service policies plus a
//! deny-all), and a GKE GPU fine-tuning sample without any policy.

mod common;

use std::path::PathBuf;

use serde_json::Value;

use common::{check, corpus_path, findings_of_rules, temp_dir};

/// The findings of the network rules (`TLR-netpol-*`, `TLR-svc-*`).
fn network_findings(report: &Value) -> Vec<&Value> {
    findings_of_rules(report, &["TLR-netpol-", "TLR-svc-"])
}

/// `(rule, kind, name)` of each network finding, sorted.
fn summary(report: &Value) -> Vec<(String, String, String)> {
    let mut found: Vec<_> = network_findings(report)
        .iter()
        .map(|f| {
            let text = |key: &str| f[key].as_str().unwrap_or_default().to_owned();
            (text("rule"), text("kind"), text("name"))
        })
        .collect();
    found.sort();
    found
}

fn triple(rule: &str, kind: &str, name: &str) -> (String, String, String) {
    (rule.to_owned(), kind.to_owned(), name.to_owned())
}

fn finding<'a>(report: &'a Value, rule: &str, name: &str) -> &'a Value {
    network_findings(report)
        .into_iter()
        .find(|f| f["rule"] == rule && f["name"] == name)
        .unwrap_or_else(|| panic!("no {rule} on {name}"))
}

#[test]
fn kube_prometheus_policies_select_every_pod_and_only_the_default_deny_is_missing() {
    let Some(folder) = corpus_path("prometheus-operator__kube-prometheus") else {
        return;
    };
    let report = check(&[&folder]);
    // Six workloads (blackbox-exporter, grafana, kube-state-metrics, node-exporter,
    // prometheus-adapter, prometheus-operator), each selected by its own policy for both
    // directions (matchLabels on the pod templates' labels): none is reported as unselected,
    // and the namespace has policies.
    let workloads = report["summary"]["workloads"].as_u64().unwrap();
    assert_eq!(workloads, 6);
    assert_eq!(
        summary(&report),
        [triple("TLR-netpol-no-default-deny", "Namespace", "monitoring")],
        "the per-component policies leave only the catch-all default deny missing"
    );
    let deny = finding(&report, "TLR-netpol-no-default-deny", "monitoring");
    assert_eq!(deny["severity"], "low");
    assert!(deny["file"]
        .as_str()
        .unwrap()
        .ends_with("manifests/setup/namespace.yaml"));
    assert_eq!(deny["field"], "metadata.name");
    assert!(
        deny["message"]
            .as_str()
            .unwrap()
            .contains("no default deny for ingress and egress"),
        "{}",
        deny["message"]
    );
}

/// kube-prometheus's manifests (with its Namespace) in a temporary folder, without the files
/// `leave_out` names.
fn kube_prometheus_without(name: &str, leave_out: impl Fn(&str) -> bool) -> Option<PathBuf> {
    let folder = corpus_path("prometheus-operator__kube-prometheus/manifests")?;
    let copy = temp_dir(name);
    for file in std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()) {
        let name = file.file_name().unwrap().to_str().unwrap().to_owned();
        if file.is_file() && !leave_out(&name) {
            std::fs::copy(&file, copy.join(&name)).unwrap();
        }
    }
    std::fs::copy(folder.join("setup/namespace.yaml"), copy.join("namespace.yaml")).unwrap();
    Some(copy)
}

#[test]
fn kube_prometheus_without_its_policies_is_an_unprotected_namespace() {
    // The control for the test above: the same manifests without any NetworkPolicy.
    let Some(copy) = kube_prometheus_without("no-policies", |name| name.ends_with("networkPolicy.yaml")) else {
        return;
    };
    let report = check(&[&copy]);
    assert_eq!(
        summary(&report),
        [triple("TLR-netpol-namespace-no-policy", "Namespace", "monitoring")]
    );
    let finding = finding(&report, "TLR-netpol-namespace-no-policy", "monitoring");
    assert_eq!(finding["severity"], "medium");
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("restricts ingress and egress in namespace \"monitoring\""),
        "{message}"
    );
    // node-exporter runs on the host network, where NetworkPolicies do not apply.
    assert!(message.contains("its 5 workload(s)"), "{message}");
    assert!(!message.contains("node-exporter"), "{message}");
    let _ = std::fs::remove_dir_all(&copy);
}

#[test]
fn kube_prometheus_without_grafanas_policy_leaves_grafana_unselected() {
    let Some(copy) = kube_prometheus_without("no-grafana-policy", |name| name == "grafana-networkPolicy.yaml") else {
        return;
    };
    let report = check(&[&copy]);
    assert_eq!(
        summary(&report),
        [
            triple("TLR-netpol-no-default-deny", "Namespace", "monitoring"),
            triple("TLR-netpol-pod-not-selected", "Deployment", "grafana"),
        ]
    );
    let grafana = finding(&report, "TLR-netpol-pod-not-selected", "grafana");
    assert_eq!(grafana["field"], "spec.template.metadata.labels");
    let message = grafana["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "No ingress or egress NetworkPolicy in the scanned objects selects the pods of Deployment grafana"
        ),
        "{message}"
    );
    let _ = std::fs::remove_dir_all(&copy);
}

#[test]
fn online_boutique_with_its_policies_only_has_an_open_load_balancer() {
    let Some(folder) = corpus_path("GoogleCloudPlatform__microservices-demo") else {
        return;
    };
    // The deny-all policy selects every pod; `frontend`'s own policy selects the pods behind
    // the public LoadBalancer, so only the missing source ranges remain.
    let report = check(&[&folder]);
    assert_eq!(
        summary(&report),
        [triple("TLR-svc-lb-no-source-ranges", "Service", "frontend-external")]
    );
    let open = finding(&report, "TLR-svc-lb-no-source-ranges", "frontend-external");
    assert_eq!(open["severity"], "low");
    assert_eq!(open["field"], "spec.type");
    assert!(open["message"]
        .as_str()
        .unwrap()
        .contains("port 80/TCP is open to the whole internet"));
}

#[test]
fn online_boutique_release_alone_exposes_its_frontend_unprotected() {
    let Some(folder) = corpus_path("GoogleCloudPlatform__microservices-demo/release") else {
        return;
    };
    // Without the network-policies component nothing selects the frontend's pods. The
    // manifests set no namespace and ship no policy, so the namespace is not judged.
    let report = check(&[&folder]);
    assert_eq!(
        summary(&report),
        [
            triple("TLR-svc-exposed-without-netpol", "Service", "frontend-external"),
            triple("TLR-svc-lb-no-source-ranges", "Service", "frontend-external"),
        ]
    );
    let exposed = finding(&report, "TLR-svc-exposed-without-netpol", "frontend-external");
    assert_eq!(exposed["severity"], "medium");
    assert_eq!(exposed["attack"], serde_json::json!(["T1133", "T1190"]));
    let message = exposed["message"].as_str().unwrap();
    assert!(
        message.starts_with("LoadBalancer Service frontend-external exposes port 80/TCP outside the cluster"),
        "{message}"
    );
    assert!(
        message.contains("selects the pods of Deployment frontend:"),
        "{message}"
    );
}

#[test]
fn gke_gpu_fine_tuning_job_can_reach_the_metadata_api() {
    let Some(folder) =
        corpus_path("GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/axolotl-multimodal-finetuning-gemma")
    else {
        return;
    };
    let report = check(&[&folder]);
    assert_eq!(
        summary(&report),
        [
            triple("TLR-netpol-gpu-metadata-egress", "Job", "gemma3-melanoma-training"),
            triple("TLR-svc-exposed-without-netpol", "Service", "tensorboard"),
            triple("TLR-svc-lb-no-source-ranges", "Service", "tensorboard"),
        ],
        "the GPU training Job reaches 169.254.169.254; TensorBoard (no GPU) is public and unfiltered"
    );
    let metadata = finding(&report, "TLR-netpol-gpu-metadata-egress", "gemma3-melanoma-training");
    assert_eq!(metadata["severity"], "high");
    assert_eq!(metadata["attack"], serde_json::json!(["T1552.005"]));
    assert_eq!(metadata["container"], "axolotl");
    // At the GPU request, the reason the rule looks at this Job.
    assert_eq!(
        metadata["field"],
        "spec.template.spec.containers[0].resources.limits[\"nvidia.com/gpu\"]"
    );
    assert_eq!(metadata["line"], 58);
    assert_eq!(metadata["namespace"], "axolotl-training");
    let message = metadata["message"].as_str().unwrap();
    assert!(message.contains("requests nvidia.com/gpu"), "{message}");
    assert!(
        message.contains("169.254.169.254:80: no NetworkPolicy in the scanned objects restricts their egress"),
        "{message}"
    );
}

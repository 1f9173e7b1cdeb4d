//! `tailor check --cluster` end to end: the real `kube` client, over real TLS (a CA made by
//! rcgen, a kubeconfig with `certificate-authority-data` and a bearer token), against a local
//! server that answers like the API server (`tailor_cluster::fake_apiserver`): paged `XList`
//! documents with `continue` tokens, 403 `Status` objects, 410 on a stale `continue`.

mod common;

use std::collections::BTreeMap;
use std::process::Output;

use serde_json::{json, Value};
use tailor_cluster::fake_apiserver::{corpus_objects, start, Fixture, Server};
use tailor_cluster::resources::report_order;

/// Serves `fixture` on a runtime kept alive for the test.
fn serve(fixture: Fixture) -> (tokio::runtime::Runtime, Server) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(start(fixture)).unwrap();
    (runtime, server)
}

/// `tailor check --cluster ARGS... -o json` against `server`.
fn check_cluster(server: &Server, name: &str, args: &[&str]) -> (Output, Value) {
    let kubeconfig = common::temp_dir(name).join("kubeconfig");
    std::fs::write(&kubeconfig, server.kubeconfig("default")).unwrap();
    let mut all = vec![
        "check",
        "--cluster",
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "-o",
        "json",
    ];
    all.extend(args);
    let output = common::tailor(&all);
    let report = common::json(&output);
    (output, report)
}

/// A report's findings without where they were read from (file, line, column), as a multiset.
fn findings_modulo_source(report: &Value) -> BTreeMap<String, usize> {
    let mut findings = BTreeMap::new();
    for finding in report["findings"].as_array().unwrap() {
        let mut finding = finding.clone();
        let map = finding.as_object_mut().unwrap();
        for key in ["file", "line", "column"] {
            map.remove(key);
        }
        *findings.entry(finding.to_string()).or_default() += 1;
    }
    findings
}

fn objects_modulo_source(report: &Value) -> BTreeMap<String, usize> {
    let mut objects = BTreeMap::new();
    for object in report["objects"].as_array().unwrap() {
        let key = json!([
            object["apiVersion"],
            object["kind"],
            object["namespace"],
            object["name"],
            object["pss"]
        ]);
        *objects.entry(key.to_string()).or_default() += 1;
    }
    objects
}

#[test]
fn cluster_findings_equal_those_of_the_same_objects_as_files() {
    let Some(corpus) = common::corpus() else { return };
    let mut objects = corpus_objects(&corpus);
    // The files hold the objects in the order a cluster scan reports them, so that findings
    // naming several objects name them in the same order.
    objects.sort_by_cached_key(|o| {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let (namespace, name) = (text(&o["metadata"]["namespace"]), text(&o["metadata"]["name"]));
        report_order(
            o["apiVersion"].as_str().unwrap(),
            o["kind"].as_str().unwrap(),
            namespace.as_deref(),
            name.as_deref(),
        )
    });
    assert!(
        objects.len() > 500,
        "the corpus holds many objects Tailor reads: {}",
        objects.len()
    );
    let files = common::temp_dir("cluster-equal");
    let list = json!({"apiVersion": "v1", "kind": "List", "items": objects});
    std::fs::write(files.join("objects.json"), list.to_string()).unwrap();
    let by_files = common::tailor(&["check", files.to_str().unwrap(), "-o", "json"]);
    let by_files_report = common::json(&by_files);

    let (_runtime, server) = serve(Fixture {
        objects,
        seccomp_profile_crd: true,
        // Small pages: every big list goes through several continue tokens.
        max_page: 40,
        expire_first_continue: ["pods", "deployments", "clusterroles"].map(str::to_owned).into(),
        ..Fixture::default()
    });
    let (by_cluster, report) = check_cluster(&server, "cluster-equal", &["-A"]);
    let stderr = String::from_utf8_lossy(&by_cluster.stderr);

    assert_eq!(
        report["not_assessed"],
        json!([]),
        "everything was listable; stderr: {stderr}"
    );
    assert_eq!(report["errors"], json!([]), "stderr: {stderr}");
    assert_eq!(objects_modulo_source(&report), objects_modulo_source(&by_files_report));
    let (cluster_findings, file_findings) = (
        findings_modulo_source(&report),
        findings_modulo_source(&by_files_report),
    );
    assert!(file_findings.len() > 100, "the corpus has findings");
    for (finding, n) in &file_findings {
        assert_eq!(
            cluster_findings.get(finding),
            Some(n),
            "finding from files, not from the cluster: {finding}"
        );
    }
    assert_eq!(
        cluster_findings.len(),
        file_findings.len(),
        "the cluster scan found more"
    );
    assert_eq!(report["summary"]["findings"], by_files_report["summary"]["findings"]);
    assert_eq!(by_cluster.status.code(), by_files.status.code());
    // Cluster objects are named by a pseudo-source, with no line.
    let first = &report["objects"][0];
    assert!(first["file"].as_str().unwrap().starts_with("cluster://"), "{first}");

    let served = server.served();
    assert!(served.continued > 20, "paged with continue tokens: {served:?}");
    assert_eq!(
        served.gone, 3,
        "a stale continue token got 410 on three lists: {served:?}"
    );
    assert!(
        served.paths.iter().all(|p| !p.contains("secrets")),
        "never reads Secrets"
    );
}

#[test]
fn kinds_the_credentials_cannot_list_are_not_assessed_and_exit_2() {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ml", "uid": "n1",
            "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "ml", "uid": "p1"},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]}}),
    ];
    let (_runtime, server) = serve(Fixture {
        objects,
        forbidden: vec![("clusterroles".into(), None), ("pods".into(), Some("ml".into()))],
        ..Fixture::default()
    });

    let (output, report) = check_cluster(&server, "cluster-forbidden-ns", &["-n", "ml", "--fail-on", "critical"]);
    assert_eq!(output.status.code(), Some(2), "not assessed is never a pass");
    let not_assessed = report["not_assessed"].as_array().unwrap();
    let kinds: Vec<(&str, &Value)> = not_assessed
        .iter()
        .map(|n| (n["kind"].as_str().unwrap(), &n["namespace"]))
        .collect();
    assert_eq!(kinds, [("ClusterRole", &Value::Null), ("Pod", &json!("ml"))]);
    for entry in not_assessed {
        let reason = entry["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("403 (Forbidden): ") && reason.contains("cannot list resource"),
            "{reason}"
        );
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not assessed: Pod in namespace ml: 403"), "{stderr}");
    // What could be read is still reported: the namespace, read with `get`.
    assert!(report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["kind"] == "Namespace" && o["name"] == "ml"));
    assert!(server.served().paths.iter().any(|p| p == "/api/v1/namespaces/ml"));

    // The same credentials without the Pod restriction, over every namespace: the pod is read.
    let (_runtime, server) = serve(Fixture {
        objects: vec![
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "ml", "uid": "p1"},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]}}),
        ],
        ..Fixture::default()
    });
    let (output, report) = check_cluster(&server, "cluster-all", &["-A", "--fail-on", "critical"]);
    assert_eq!(report["not_assessed"], json!([]));
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(common::object(&report, "Pod", "web")["pss"].is_object());
}

fn owned(kind: &str, name: &str, uid: &str, owner: Option<&str>, pod_spec: &Value) -> Value {
    let mut object = match kind {
        "Pod" => json!({"apiVersion": "v1", "kind": "Pod", "spec": pod_spec}),
        "ReplicaSet" | "Deployment" => json!({"apiVersion": "apps/v1", "kind": kind,
            "spec": {"selector": {}, "template": {"spec": pod_spec}}}),
        "Job" => json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"template": {"spec": pod_spec}}}),
        "CronJob" => json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec": pod_spec}}}}}),
        _ => unreachable!(),
    };
    object["metadata"] = json!({"name": name, "namespace": "ml", "uid": uid});
    if let Some(owner) = owner {
        object["metadata"]["ownerReferences"] =
            json!([{"apiVersion": "apps/v1", "kind": "Owner", "name": "owner", "uid": owner, "controller": true}]);
    }
    object
}

#[test]
fn replicas_fold_into_their_top_level_owner_and_bare_pods_stand_alone() {
    let spec = json!({"containers": [{"name": "app", "image": "nginx", "securityContext": {"privileged": true}}]});
    let objects = vec![
        owned("Deployment", "web", "d1", None, &spec),
        owned("ReplicaSet", "web-5d4f", "r1", Some("d1"), &spec),
        owned("Pod", "web-5d4f-a", "p1", Some("r1"), &spec),
        owned("Pod", "web-5d4f-b", "p2", Some("r1"), &spec),
        owned("CronJob", "backup", "c1", None, &spec),
        owned("Job", "backup-28000", "j1", Some("c1"), &spec),
        owned("Pod", "backup-28000-x", "p3", Some("j1"), &spec),
        owned("Pod", "debug", "p4", None, &spec),
        owned("Pod", "rollout-7c9-z", "p5", Some("argo-rollout-uid"), &spec),
    ];
    let (_runtime, server) = serve(Fixture {
        objects,
        ..Fixture::default()
    });
    let (_, report) = check_cluster(&server, "cluster-fold", &["-A"]);
    let mut workloads: Vec<String> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["pss"].is_object())
        .map(|o| format!("{}/{}", o["kind"].as_str().unwrap(), o["name"].as_str().unwrap()))
        .collect();
    workloads.sort();
    assert_eq!(
        workloads,
        ["CronJob/backup", "Deployment/web", "Pod/debug", "Pod/rollout-7c9-z"],
        "replicas are folded; bare pods and pods of owners Tailor cannot see stand alone"
    );
    let privileged: Vec<&Value> = common::findings_of_rules(&report, &["PSS-privileged"]);
    assert_eq!(privileged.len(), 4, "one finding per workload, not per replica");
}

#[test]
fn a_kubeconfig_that_cannot_be_read_is_an_input_error() {
    let output = common::tailor(&["check", "--cluster", "--kubeconfig", "/nonexistent/kubeconfig"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/kubeconfig"));
}

#[test]
fn each_namespace_gets_its_dry_run_and_the_labels_to_apply() {
    let hardened = json!({
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "nginx", "securityContext": {
            "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]});
    let root = json!({"containers": [{"name": "app", "image": "nginx"}]});
    let privileged =
        json!({"containers": [{"name": "app", "image": "nginx", "securityContext": {"privileged": true}}]});
    let namespace = |name: &str, labels: Value| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "uid": name, "labels": labels}});
    let mut objects = vec![
        namespace("prod", json!({})),
        namespace("ml", json!({"pod-security.kubernetes.io/enforce": "baseline"})),
        owned("Deployment", "web", "d1", None, &hardened),
        owned("Deployment", "train", "d2", None, &root),
        owned("Pod", "debug", "p1", None, &privileged),
    ];
    objects[2]["metadata"]["namespace"] = json!("prod");
    let (_runtime, server) = serve(Fixture {
        objects,
        ..Fixture::default()
    });
    let (_, report) = check_cluster(&server, "cluster-dry-run", &["-A"]);
    let runs = report["namespace_dry_run"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{runs:?}");
    let (ml, prod) = (&runs[0], &runs[1]);

    assert_eq!(prod["namespace"], "prod");
    assert_eq!(prod["enforce"], "privileged:latest");
    assert!(prod["stricter"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["warnings"] == json!([])));
    assert_eq!(prod["labels"]["pod-security.kubernetes.io/enforce"], "restricted");

    assert_eq!(ml["enforce"], "baseline:latest");
    assert_eq!(
        ml["violating_today"],
        json!([
            "existing pods in namespace \"ml\" violate the new PodSecurity enforce level \"baseline:latest\"",
            "pod/debug: privileged"
        ])
    );
    let restricted = &ml["stricter"][0];
    assert_eq!(restricted["enforce"], "restricted:latest");
    let warnings: Vec<&str> = restricted["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("deployment/train: allowPrivilegeEscalation != false")),
        "{warnings:?}"
    );
    assert_eq!(
        ml["labels"]["pod-security.kubernetes.io/enforce"], "baseline",
        "never looser than today"
    );
}

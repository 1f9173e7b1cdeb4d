//! `tailor learn pss`: namespace labels from the audit corpus agree with `tailor pss` run on
//! the very pods the log recorded; admission annotations and denials without request objects;
//! the YAML output is the Namespaces and the AdmissionConfiguration.

mod common;

use std::collections::BTreeMap;

use common::{corpus_path, tailor, tailor_stdin, temp_dir};
use serde_json::{json, Value};

fn level_rank(level: &str) -> u8 {
    match level {
        "privileged" => 0,
        "baseline" => 1,
        "restricted" => 2,
        other => panic!("level {other}"),
    }
}

#[test]
fn enforce_labels_are_the_strictest_level_every_recorded_pod_passes() {
    let Some(audit) = corpus_path("audit") else { return };
    // The pods the corpus log created, each with its namespace, read without tailor.
    let dir = temp_dir("pods");
    let mut pods: Vec<(String, std::path::PathBuf)> = Vec::new();
    let mut stack = vec![audit.clone()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let Ok(event) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if event["verb"] == "create"
                && event["requestObject"]["kind"] == "Pod"
                && event["objectRef"]["subresource"].is_null()
            {
                let file = dir.join(format!("{}.json", pods.len()));
                std::fs::write(&file, event["requestObject"].to_string()).unwrap();
                pods.push((event["objectRef"]["namespace"].as_str().unwrap().to_owned(), file));
            }
        }
    }
    assert!(pods.len() >= 10, "{} pods", pods.len());
    let mut expected: BTreeMap<String, u8> = BTreeMap::new();
    for (namespace, file) in &pods {
        let allowed_at = |level: &str| {
            let output = tailor(&["pss", file.to_str().unwrap(), "--level", level]);
            common::json(&output)["allowed"] == true
        };
        let level = if allowed_at("restricted") {
            2
        } else if allowed_at("baseline") {
            1
        } else {
            0
        };
        let entry = expected.entry(namespace.clone()).or_insert(2);
        *entry = (*entry).min(level);
    }

    let output = tailor(&["learn", "pss", "--audit-log", audit.to_str().unwrap()]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = common::json(&output);
    assert_eq!(report["schema"], "tailor.learn-pss/v1");
    let learned: BTreeMap<String, u8> = report["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let labels = &n["labels"];
            let enforce = labels["pod-security.kubernetes.io/enforce"].as_str().unwrap();
            // warn and audit are one step stricter, where there is one.
            let warn = labels["pod-security.kubernetes.io/warn"].as_str().unwrap();
            assert_eq!(level_rank(warn), (level_rank(enforce) + 1).min(2));
            assert!(n["exempt_runtime_classes"].as_array().unwrap().is_empty());
            (n["namespace"].as_str().unwrap().to_owned(), level_rank(enforce))
        })
        .collect();
    assert_eq!(learned, expected);
    // Every workload that holds a namespace below restricted says what to change.
    for namespace in report["namespaces"].as_array().unwrap() {
        for workload in namespace["workloads"].as_array().unwrap() {
            if workload["level"] != "restricted" {
                assert!(
                    !workload["needs"]["changes"]["restricted"]
                        .as_array()
                        .unwrap()
                        .is_empty(),
                    "{workload}"
                );
            }
        }
    }
}

fn pod_event(namespace: &str, name: &str, annotations: Value, code: u16, message: &str) -> Value {
    json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "verb": "create", "user": {"username": "u"},
        "objectRef": {"resource": "pods", "namespace": namespace, "name": name, "apiVersion": "v1"},
        "annotations": annotations, "responseStatus": {"code": code, "message": message}})
}

#[test]
fn annotations_denials_and_runtime_class_exemptions_as_yaml() {
    let gpu_pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "triton", "namespace": "ai"},
        "spec": {"runtimeClassName": "nvidia", "containers": [{"name": "c", "image": "i",
            "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}}}]}});
    let mut gpu = pod_event("ai", "triton", json!({}), 201, "");
    gpu["requestObject"] = gpu_pod;
    let events = [
        gpu,
        pod_event("ai", "web", json!({"pod-security.kubernetes.io/enforce-policy": "restricted:latest"}), 201, ""),
        pod_event("ops", "agent", json!({"pod-security.kubernetes.io/enforce-policy": "baseline:latest"}), 403,
            "pods \"agent\" is forbidden: violates PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true), hostPath volumes (volumes \"a\", \"b\")"),
    ];
    let log: String = events.iter().map(|e| format!("{e}\n")).collect();
    let output = tailor_stdin(&["learn", "pss", "--audit-log", "-", "-o", "yaml"], &log);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let objects: Vec<Value> = tailor_manifest::parse_stream(&String::from_utf8(output.stdout).unwrap())
        .into_iter()
        .map(|d| d.unwrap().value)
        .collect();
    let kinds: Vec<&str> = objects.iter().map(|o| o["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Namespace", "Namespace", "AdmissionConfiguration"]);
    // The GPU pod needs SYS_ADMIN (privileged level): its runtime class is exempted, so the
    // namespace can enforce restricted for the rest.
    assert_eq!(
        objects[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "restricted"
    );
    let configuration = &objects[2]["plugins"][0]["configuration"];
    assert_eq!(configuration["kind"], "PodSecurityConfiguration");
    assert_eq!(configuration["exemptions"]["runtimeClasses"], json!(["nvidia"]));
    // The denied agent fails baseline: privileged, from the denial alone.
    assert_eq!(
        objects[1]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"],
        "privileged"
    );

    let report = common::json(&tailor_stdin(&["learn", "pss", "--audit-log", "-"], &log));
    let agent = &report["namespaces"][1]["workloads"][0];
    assert_eq!(agent["needs"]["denied"], 1);
    assert_eq!(
        agent["needs"]["changes"]["baseline"],
        json!([
            "host namespaces (hostNetwork=true)",
            "hostPath volumes (volumes \"a\", \"b\")"
        ])
    );
}

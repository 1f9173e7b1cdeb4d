//! End-to-end tests of the `tailor` binary: real files, real processes, real exit codes.

mod common;

use serde_json::Value;

use common::{json, object, repo_root, tailor, tailor_stdin, temp_dir};

fn findings<'a>(report: &'a Value, name: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == name)
        .collect()
}

#[test]
fn check_examples_reports_levels_blockers_and_field_lines() {
    let out = tailor(&["check", "examples/", "-o", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the privileged device plugin is a critical finding"
    );
    let report = json(&out);
    assert_eq!(report["schema"], "tailor.check/v1");
    assert_eq!(report["summary"]["errors"], 0);

    let triton = object(&report, "Deployment", "triton");
    assert_eq!(triton["pss"]["level"], "baseline");
    let blockers: Vec<&str> = triton["pss"]["blocking_restricted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        blockers,
        [
            "allowPrivilegeEscalation != false",
            "unrestricted capabilities",
            "runAsNonRoot != true",
            "seccompProfile"
        ]
    );

    let plugin = object(&report, "DaemonSet", "nvidia-device-plugin");
    assert_eq!(plugin["pss"]["level"], "privileged");
    let blockers: Vec<&str> = plugin["pss"]["blocking_baseline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        blockers,
        ["hostPath volumes", "privileged"],
        "`privileged: yes` is YAML 1.1 true"
    );

    let nim = object(&report, "Deployment", "nim-llm");
    assert_eq!(nim["pss"]["level"], "restricted");
    assert!(
        findings(&report, "nim-llm").is_empty(),
        "the hardened example has no findings"
    );

    // The privileged finding points at the `privileged: yes` line of the source file.
    let privileged = findings(&report, "nvidia-device-plugin")
        .into_iter()
        .find(|f| f["rule"] == "PSS-privileged")
        .unwrap();
    let source = std::fs::read_to_string(repo_root().join("examples/gpu-inference/nvidia-device-plugin.yaml")).unwrap();
    let line = privileged["line"].as_u64().unwrap() as usize;
    assert!(
        source.lines().nth(line - 1).unwrap().contains("privileged: yes"),
        "line {line}"
    );
    assert_eq!(privileged["severity"], "critical");
    assert_eq!(privileged["container"], "nvidia-device-plugin");
    assert_eq!(
        privileged["field"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert!(privileged["attack"].as_array().unwrap().contains(&Value::from("T1611")));

    // Per namespace: what each could enforce today, and what blocks the next level.
    let namespaces: Vec<(&str, &str)> = report["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ns| (ns["namespace"].as_str().unwrap(), ns["level"].as_str().unwrap()))
        .collect();
    assert_eq!(
        namespaces,
        [
            ("gpu-system", "privileged"),
            ("inference", "baseline"),
            ("nim", "restricted")
        ]
    );
    assert_eq!(
        report["namespaces"][0]["blocking"],
        serde_json::json!(["hostPath volumes", "privileged"])
    );

    // Non-pod objects are listed too, without a PSS standing.
    assert!(object(&report, "Service", "triton")["pss"].is_null());
}

#[test]
fn fail_on_threshold_sets_the_exit_code() {
    let triton = "examples/gpu-inference/triton-inference.yaml";
    // Its worst finding is high: GPU pods that can reach the cloud metadata API.
    assert_eq!(tailor(&["check", triton, "-o", "json"]).status.code(), Some(1));
    assert_eq!(
        tailor(&["check", triton, "-o", "json", "--fail-on", "critical"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        tailor(&["check", "examples/", "-o", "json", "--fail-on", "critical"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        tailor(&[
            "check",
            "examples/gpu-inference/nim-hardened.yaml",
            "-o",
            "json",
            "--fail-on",
            "info"
        ])
        .status
        .code(),
        Some(0)
    );
}

#[test]
fn broken_document_is_reported_with_its_line_and_the_others_still_checked() {
    let dir = temp_dir("broken");
    let file = dir.join("mixed.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: first\nspec:\n  hostPID: true\n  containers: [{name: a, image: busybox}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: broken\nspec: {}\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: last\nspec:\n  containers:\n  - name: b\n    image: busybox\n    securityContext: {privileged: on}\n",
    )
    .unwrap();
    let out = tailor(&["check", file.to_str().unwrap(), "-o", "json"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let prefix = format!("{}:1", file.display());
    assert!(
        stderr.lines().any(|l| l.starts_with(&prefix)),
        "error names the file and a line of the broken document:\n{stderr}"
    );
    let report = json(&out);
    assert_eq!(report["summary"]["errors"], 1);
    assert_eq!(object(&report, "Pod", "first")["pss"]["level"], "privileged");
    assert_eq!(object(&report, "Pod", "last")["pss"]["level"], "privileged");
    let error = &report["errors"][0];
    assert!(
        error["line"].as_u64().unwrap() >= 11 && error["line"].as_u64().unwrap() <= 13,
        "{error}"
    );
}

#[test]
fn type_errors_name_the_field_and_its_line() {
    let out = tailor_stdin(
        &["check", "-", "-o", "json"],
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        ports:\n        - containerPort: eighty\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(":10:"), "{stderr}");
    assert!(
        stderr.contains("spec.template.spec.containers[0].ports[0].containerPort"),
        "{stderr}"
    );
}

#[test]
fn non_kubernetes_documents_are_skipped_and_counted() {
    let out = tailor_stdin(
        &["check", "-", "-o", "json"],
        "replicaCount: 3\nimage: {tag: latest}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    );
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out);
    assert_eq!(report["summary"]["skipped"], 1);
    assert_eq!(report["summary"]["objects"], 1);
}

#[test]
fn helm_templates_get_a_hint() {
    let out = tailor_stdin(
        &["check", "-", "-o", "json"],
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n{{- if .Values.x }}\nspec: {}\n{{- end }}\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("helm template"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pss_prints_one_admission_identical_line_per_object() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: test\n  namespace: ml\nspec:\n  containers:\n  - name: triton\n    image: x\n";
    let out = tailor_stdin(&["pss", "-", "--level", "restricted", "--version", "v1.40"], pod);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["version"], "v1.40");
    assert_eq!(line["policy_version"], "v1.37");
    assert_eq!(line["allowed"], false);
    assert_eq!(line["namespace"], "ml");
    assert_eq!(
        line["message"],
        "violates PodSecurity \"restricted:v1.40\": allowPrivilegeEscalation != false (container \"triton\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"triton\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"triton\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"triton\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
    );

    let allowed = tailor_stdin(&["pss", "-", "--level", "baseline"], pod);
    assert_eq!(allowed.status.code(), Some(0));
    let line: Value = serde_json::from_slice(&allowed.stdout).unwrap();
    assert_eq!(line["message"], "");
    assert_eq!(line["reasons"], Value::Array(vec![]));
}

#[test]
fn bad_flags_are_usage_errors() {
    assert_eq!(
        tailor(&["pss", "examples/", "--version", "1.25"]).status.code(),
        Some(2)
    );
    assert_eq!(
        tailor(&["check", "examples/", "--level", "Restricted"]).status.code(),
        Some(2)
    );
    let missing = tailor(&["check", "no/such/path.yaml", "-o", "json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no/such/path.yaml"));
}

#[cfg(unix)]
#[test]
fn output_file_is_written_with_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("output");
    let file = dir.join("report.json");
    std::fs::write(&file, "old").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = tailor(&[
        "check",
        "examples/",
        "-o",
        "json",
        "--output-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(report["schema"], "tailor.check/v1");
}

#[test]
fn table_output_is_readable_and_uncoloured_off_a_terminal() {
    let out = tailor(&["check", "examples/", "-o", "table"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\x1b'), "no ANSI escapes when stdout is not a terminal");
    assert!(text.contains("CRITICAL PSS-privileged"), "{text}");
    assert!(
        text.contains("Pod Security level met by workloads: restricted 1, baseline 1, privileged 1"),
        "{text}"
    );
    assert!(text.contains("could enforce restricted today"), "{text}");
}

#[test]
fn config_exemptions_suppress_with_a_reason_and_expired_ones_are_reported() {
    let dir = temp_dir("config");
    let config = dir.join("tailor.yaml");
    std::fs::write(
        &config,
        "apiVersion: tailor.dev/v1alpha1\nkind: Config\nexemptions:\n  - rules: [PSS-privileged]\n    kind: DaemonSet\n    namespace: gpu-*\n    container: nvidia-device-plugin\n    image: nvcr.io/nvidia/k8s-device-plugin:*\n    reason: compatWithCPUManager needs privileged\n    expires: \"2999-12-31\"\n",
    )
    .unwrap();
    let check_with_config = || {
        tailor(&[
            "check",
            "examples/",
            "-o",
            "json",
            "--fail-on",
            "critical",
            "--config",
            config.to_str().unwrap(),
        ])
    };
    let out = check_with_config();
    let report = json(&out);
    let privileged = findings(&report, "nvidia-device-plugin")
        .into_iter()
        .find(|f| f["rule"] == "PSS-privileged")
        .unwrap()
        .clone();
    assert_eq!(privileged["suppressed"], true);
    assert_eq!(
        privileged["suppression"]["reason"],
        "compatWithCPUManager needs privileged"
    );
    assert_eq!(report["summary"]["suppressed"], 1);
    assert_eq!(out.status.code(), Some(0), "the only critical finding is exempt");

    std::fs::write(
        &config,
        "exemptions:\n  - rules: [PSS-privileged]\n    reason: was temporary\n    expires: 2020-01-31\n",
    )
    .unwrap();
    let out = check_with_config();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["summary"]["suppressed"], 0);
    let expired = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "TLR-exemption-expired")
        .expect("expired exemption reported");
    assert_eq!(expired["file"], config.to_str().unwrap());
    assert_eq!(expired["line"], 2);
}

#[test]
fn unknown_rule_ids_in_config_are_input_errors_with_a_line() {
    let dir = temp_dir("bad-config");
    let config = dir.join("tailor.yaml");
    std::fs::write(
        &config,
        "exemptions:\n  - rules:\n      - PSS-privileged\n      - TLR-no-such-rule\n    reason: typo\n",
    )
    .unwrap();
    let out = tailor(&["check", "examples/", "-o", "json", "--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:4:9: unknown rule ID \"TLR-no-such-rule\"",
            config.display()
        )),
        "{stderr}"
    );
}

#[test]
fn inline_ignore_annotations_suppress_and_bad_ones_are_errors() {
    let pod = |annotation: &str| {
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n    tailor.dev/ignore: \"{annotation}\"\nspec:\n  hostPID: true\n  containers: [{{name: a, image: busybox}}]\n")
    };
    let out = tailor_stdin(
        &["check", "-", "-o", "json"],
        &pod("PSS-hostNamespaces -- node exporter reads host processes"),
    );
    let report = json(&out);
    let host = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "PSS-hostNamespaces")
        .unwrap();
    assert_eq!(host["suppressed"], true);
    assert_eq!(host["suppression"]["source"], "annotation");
    assert_eq!(out.status.code(), Some(0));

    let out = tailor_stdin(&["check", "-", "-o", "json"], &pod("PSS-hostnamespaces -- wrong case"));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("-:6:5: annotation tailor.dev/ignore: unknown rule ID"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn rules_and_explain_list_the_registry() {
    let out = tailor(&["rules", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let rules = json(&out);
    let privileged = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "PSS-privileged")
        .unwrap();
    assert_eq!(privileged["severity"], "critical");
    assert_eq!(privileged["ms_threat_matrix"], "MS-TA9018");
    let explain = tailor(&["explain", "PSS-privileged"]);
    assert!(String::from_utf8_lossy(&explain.stdout).contains("T1611  Escape to Host"));
    assert_eq!(tailor(&["explain", "PSS-nope"]).status.code(), Some(2));
}

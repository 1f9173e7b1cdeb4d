//! End-to-end tests of the workload rules (`TLR-` rules of `tailor check` that look at one
//! pod: host paths, capabilities, users, root file systems, env secrets, images, limits) on the
//! real-world corpus in `../shared/corpus` and on the bundled examples.

mod common;

use std::path::Path;

use serde_json::Value;

use common::{check, corpus, repo_root};

/// The rules these tests are about.
const WORKLOAD_RULES: &[&str] = &[
    "TLR-runtime-socket",
    "TLR-host-root-mount",
    "TLR-sensitive-host-path-writable",
    "TLR-sensitive-host-path-read-only",
    "TLR-capability-escape",
    "TLR-capability-dangerous",
    "TLR-net-raw-not-dropped",
    "TLR-run-as-root",
    "TLR-may-run-as-root",
    "TLR-root-filesystem-writable",
    "TLR-env-credential",
    "TLR-env-secret-literal",
    "TLR-image-mutable-tag",
    "TLR-image-no-digest",
    "TLR-resource-limits-missing",
];

/// What `restricted` already rules out: root users and capabilities beyond NET_BIND_SERVICE.
const IMPLIED_BY_RESTRICTED: &[&str] = &[
    "TLR-run-as-root",
    "TLR-may-run-as-root",
    "TLR-capability-escape",
    "TLR-capability-dangerous",
    "TLR-net-raw-not-dropped",
];

/// The findings of `rule` on the object named `name`.
fn findings<'a>(report: &'a Value, rule: &str, name: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule && f["name"] == name)
        .collect()
}

fn source_line(file: &Path, line: &Value) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let line = line.as_u64().unwrap() as usize;
    text.lines().nth(line - 1).unwrap_or_default().to_owned()
}

#[test]
fn falco_is_flagged_for_the_containerd_crio_and_docker_sockets() {
    let Some(corpus) = corpus() else { return };
    let file = corpus.join("falcosecurity__deploy-kubernetes/kubernetes/falco/templates/daemonset.yaml");
    let report = check(&[&file]);
    let sockets = findings(&report, "TLR-runtime-socket", "falco");
    let messages: Vec<&str> = sockets.iter().map(|f| f["message"].as_str().unwrap()).collect();
    for (runtime, path) in [
        ("docker", "/var/run/docker.sock"),
        ("containerd", "/run/containerd/containerd.sock"),
        ("cri-o", "/run/crio/crio.sock"),
        ("k3s containerd", "/run/k3s/containerd/containerd.sock"),
        ("podman", "/run/podman/podman.sock"),
    ] {
        let expected = format!("mounts the {runtime} socket {path} writable, in container \"falco\"");
        assert!(
            messages.iter().any(|m| m.contains(&expected)),
            "no finding says {expected:?}:\n{messages:#?}"
        );
    }
    for finding in &sockets {
        assert_eq!(finding["severity"], "critical");
        assert_eq!(finding["kind"], "DaemonSet");
        assert_eq!(finding["container"], "falco");
        assert!(finding["attack"].as_array().unwrap().contains(&Value::from("T1611")));
        // The finding points at the volume's `path:` line.
        let field = finding["field"].as_str().unwrap();
        assert!(
            field.starts_with("spec.template.spec.volumes[") && field.ends_with("].hostPath.path"),
            "{field}"
        );
        let line = source_line(&file, &finding["line"]);
        assert!(
            line.trim_start().starts_with("path: /") && line.contains(".sock"),
            "{line:?}"
        );
    }
    // The six socket volumes (the host-containerd one included), nothing else.
    assert_eq!(sockets.len(), 6, "{messages:#?}");

    // Its other host mounts: /proc writable and /etc read-only. Its privileged container has
    // every host device anyway, so the /dev mount is left to PSS-privileged.
    let writable = findings(&report, "TLR-sensitive-host-path-writable", "falco");
    assert!(
        writable
            .iter()
            .any(|f| f["message"].as_str().unwrap().contains("mounts /proc writable")),
        "{writable:#?}"
    );
    let read_only = findings(&report, "TLR-sensitive-host-path-read-only", "falco");
    let read_only: Vec<&str> = read_only.iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(
        read_only.iter().any(|m| m.contains("mounts /etc read-only")),
        "{read_only:#?}"
    );
    assert!(!read_only.iter().any(|m| m.contains("mounts /dev")), "{read_only:#?}");
}

#[test]
fn gpu_operator_driver_mounts_the_host_root() {
    let Some(corpus) = corpus() else { return };
    let file = corpus.join("NVIDIA__gpu-operator/assets/state-driver/0500_daemonset.yaml");
    let report = check(&[&file]);
    let root = findings(&report, "TLR-host-root-mount", "nvidia-driver-daemonset");
    assert_eq!(root.len(), 1, "{root:#?}");
    let finding = root[0];
    assert_eq!(finding["severity"], "critical");
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.starts_with("hostPath volume \"host-root\" mounts the node's root file system / read-only"),
        "{message}"
    );
    assert!(message.contains("runtime sockets"), "{message}");
    let line = source_line(&file, &finding["line"]);
    assert_eq!(line.trim(), "path: \"/\"");
    // /var/log is written by the driver containers.
    let logs = findings(&report, "TLR-sensitive-host-path-writable", "nvidia-driver-daemonset");
    assert!(
        logs.iter()
            .any(|f| f["message"].as_str().unwrap().contains("mounts /var/log writable")),
        "{logs:#?}"
    );
}

#[test]
fn the_hardened_nim_example_has_no_workload_findings() {
    let report = check(&[repo_root().join("examples/gpu-inference/nim-hardened.yaml")]);
    let workload: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| WORKLOAD_RULES.contains(&f["rule"].as_str().unwrap()))
        .collect();
    let medium_or_above: Vec<&&Value> = workload
        .iter()
        .filter(|f| ["medium", "high", "critical"].contains(&f["severity"].as_str().unwrap()))
        .collect();
    assert!(medium_or_above.is_empty(), "{medium_or_above:#?}");
    // Digest, limits, read-only root, non-root user, no capabilities: nothing at all.
    assert!(workload.is_empty(), "{workload:#?}");
}

#[test]
fn restricted_pods_have_no_root_or_capability_findings() {
    let Some(corpus) = corpus() else { return };
    let report = check(&[&corpus]);
    let key = |v: &Value| {
        (
            v["file"].clone(),
            v["kind"].clone(),
            v["namespace"].clone(),
            v["name"].clone(),
        )
    };
    let restricted: Vec<_> = report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["pss"]["level"] == "restricted")
        .map(key)
        .collect();
    assert!(
        restricted.len() >= 30,
        "the corpus has restricted pods ({})",
        restricted.len()
    );
    let false_positives: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| IMPLIED_BY_RESTRICTED.contains(&f["rule"].as_str().unwrap()) && restricted.contains(&key(f)))
        .collect();
    assert!(false_positives.is_empty(), "{false_positives:#?}");
}

#[test]
fn kubernetes_docs_security_context_examples_honour_pod_level_users() {
    let Some(corpus) = corpus() else { return };
    let examples = corpus.join("kubernetes__website/content/en/examples/pods/security");
    // Pod-level runAsUser: 1000, inherited (or overridden with 2000) by the container.
    for file in [
        "security-context.yaml",
        "security-context-2.yaml",
        "security-context-5.yaml",
        "security-context-6.yaml",
    ] {
        let report = check(&[examples.join(file)]);
        let root: Vec<&Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "TLR-run-as-root" || f["rule"] == "TLR-may-run-as-root")
            .collect();
        assert!(root.is_empty(), "{file}: {root:#?}");
    }
    // No securityContext at all: the image decides, reported apart from an explicit root.
    let report = check(&[examples.join("security-context-3.yaml")]);
    let may = findings(&report, "TLR-may-run-as-root", "security-context-demo-3");
    assert_eq!(may.len(), 1);
    assert_eq!(may[0]["severity"], "info");
    assert!(findings(&report, "TLR-run-as-root", "security-context-demo-3").is_empty());
    // The NET_ADMIN example is reported by name.
    let report = check(&[examples.join("security-context-4.yaml")]);
    let capability = findings(&report, "TLR-capability-dangerous", "security-context-demo-4");
    assert_eq!(capability.len(), 1);
    assert!(capability[0]["message"]
        .as_str()
        .unwrap()
        .starts_with("container \"sec-ctx-4\" adds NET_ADMIN"));
    assert_eq!(
        capability[0]["field"],
        "spec.containers[0].securityContext.capabilities.add[0]"
    );
}

#[test]
fn gpu_and_node_agents_on_the_corpus() {
    let Some(corpus) = corpus() else { return };
    // dcgm-exporter runs as root with SYS_ADMIN.
    let report = check(&[corpus.join("NVIDIA__dcgm-exporter/dcgm-exporter.yaml")]);
    let escape = findings(&report, "TLR-capability-escape", "dcgm-exporter");
    assert_eq!(escape.len(), 1);
    assert!(escape[0]["message"].as_str().unwrap().contains("adds SYS_ADMIN"));
    assert_eq!(findings(&report, "TLR-run-as-root", "dcgm-exporter").len(), 1);
    // kube-bench reads the node's credentials read-only.
    let report = check(&[corpus.join("aquasecurity__kube-bench/job.yaml")]);
    let read_only: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "TLR-sensitive-host-path-read-only")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    for path in ["/var/lib/etcd", "/var/lib/kubelet", "/etc/kubernetes"] {
        assert!(
            read_only
                .iter()
                .any(|m| m.contains(&format!("mounts {path} read-only"))),
            "{path}: {read_only:#?}"
        );
    }
    // Archived monitoring agents mount the docker socket.
    let report = check(&[corpus.join("kubernetes__examples/_archived/sysdig-cloud/sysdig-daemonset.yaml")]);
    let socket = findings(&report, "TLR-runtime-socket", "sysdig-agent");
    assert_eq!(socket.len(), 1);
    assert!(socket[0]["message"]
        .as_str()
        .unwrap()
        .contains("the docker socket /var/run/docker.sock"));
}

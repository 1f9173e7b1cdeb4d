//! End-to-end tests of the GPU rules (`TLR-gpu-…`) on real third-party manifests of the corpus
//! in `../shared/corpus`: gpu-operator's driver DaemonSet is a privileged GPU provider, NIM and
//! KServe GPU samples are consumers with exact blockers to `restricted`, and providers are told
//! what their vendors' own manifests need instead of being shouted at.

mod common;

use std::path::Path;

use serde_json::{json, Value};

use common::{check, check_stdin, corpus_path, corpus_paths, object, repo_root};

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("{value} is a list"))
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// The GPU findings on the objects named `name` (in the file ending with `file`, if given).
fn gpu_findings<'a>(report: &'a Value, file: Option<&str>, name: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("TLR-gpu-") && f["name"] == name)
        .filter(|f| file.is_none_or(|file| f["file"].as_str().unwrap().ends_with(file)))
        .collect()
}

fn rules<'a>(findings: &[&'a Value]) -> Vec<&'a str> {
    let mut rules: Vec<&str> = findings.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    rules.sort_unstable();
    rules
}

fn message<'a>(findings: &[&'a Value], rule: &str) -> &'a str {
    let finding = findings
        .iter()
        .find(|f| f["rule"] == rule)
        .unwrap_or_else(|| panic!("a {rule} finding"));
    finding["message"].as_str().unwrap()
}

/// The blockers that every pod without a securityContext meets on its way to `restricted`.
const DEFAULT_BLOCKERS: [&str; 4] = [
    "allowPrivilegeEscalation != false",
    "unrestricted capabilities",
    "runAsNonRoot != true",
    "seccompProfile",
];

#[test]
fn gpu_operator_driver_is_a_privileged_provider_with_host_pid_and_host_root() {
    let Some(file) = corpus_path("NVIDIA__gpu-operator/assets/state-driver/0500_daemonset.yaml") else {
        return;
    };
    let report = check(&[&file]);
    let driver = object(&report, "DaemonSet", "nvidia-driver-daemonset");
    assert_eq!(driver["pss"]["level"], "privileged");
    assert_eq!(
        strings(&driver["pss"]["blocking_baseline"]),
        ["host namespaces", "hostPath volumes", "privileged"]
    );

    let found = gpu_findings(&report, None, "nvidia-driver-daemonset");
    assert_eq!(
        rules(&found),
        ["TLR-gpu-provider-privileged"],
        "a provider, not a consumer: no consumer rule"
    );
    let finding = found[0];
    assert_eq!(finding["severity"], "info");
    let message = finding["message"].as_str().unwrap();
    for expected in [
        "GPU provider (NVIDIA GPU driver: name nvidia-driver-daemonset;",
        "holds 6 privileged containers (\"k8s-driver-manager\", \"nvidia-driver-ctr\", \"nvidia-peermem-ctr\", \
         \"nvidia-fs-ctr\", \"nvidia-gdrcopy-ctr\" and \"openshift-driver-toolkit-ctr\"), hostPID, the host's / (at \
         /host, read-only, in \"k8s-driver-manager\") and 13 other host paths",
        "What it genuinely needs: it builds and loads GPU kernel modules",
        "hostPID lets its driver manager find and stop GPU clients on the host",
        "Narrowest setup: preinstall the driver in the node image",
    ] {
        assert!(message.contains(expected), "{expected:?} not in {message}");
    }
    // The finding points at the first `privileged: true`, the driver manager's.
    let source = std::fs::read_to_string(&file).unwrap();
    let line = source
        .lines()
        .nth(finding["line"].as_u64().unwrap() as usize - 1)
        .unwrap();
    assert_eq!(line.trim(), "privileged: true");
    assert_eq!(
        finding["field"],
        "spec.template.spec.initContainers[0].securityContext.privileged"
    );
}

#[test]
fn nim_samples_are_gpu_consumers_with_exact_restricted_blockers() {
    let Some(download) = corpus_path("NVIDIA__nim-deploy/kserve/scripts/download-single.yaml") else {
        return;
    };
    let Some(gke) =
        corpus_path("GoogleCloudPlatform__kubernetes-engine-samples/ai-ml/nemo-rl-on-gke/nemoRL/gemma3-27b-it/nim-gemma-deployment.yaml")
    else {
        return;
    };
    for (file, kind, name, request) in [
        (
            &download,
            "Job",
            "nim-download-single-job",
            "nvidia.com/gpu: 1 (container \"nim-download-single\")",
        ),
        (
            &gke,
            "Deployment",
            "nim-gemma-3-27b-deployment",
            "nvidia.com/gpu: 8 (container \"nim-gemma-3-27b-container\")",
        ),
    ] {
        let report = check(&[file]);
        let workload = object(&report, kind, name);
        assert_eq!(workload["pss"]["level"], "baseline", "{name}");
        assert_eq!(
            strings(&workload["pss"]["blocking_restricted"]),
            DEFAULT_BLOCKERS,
            "{name}"
        );
        // A consumer without a namespace: the quota finding is its only GPU finding (no
        // privileged, device or environment findings to make).
        let found = gpu_findings(&report, None, name);
        assert_eq!(rules(&found), ["TLR-gpu-no-resource-quota"], "{name}");
        let message = message(&found, "TLR-gpu-no-resource-quota");
        assert!(
            message.starts_with(&format!("GPU consumer requests {request} and sets no namespace")),
            "{message}"
        );
        assert_eq!(found[0]["attack"], json!(["T1496"]));
    }
}

/// The pod KServe runs for an InferenceService predictor: the runtime's pod spec, whose
/// `kserve-container` gets the predictor's resources (the predictor's values win), on the
/// predictor's node selector. Tailor does not expand InferenceServices yet, so the test builds
/// the pod from the two real manifests.
fn kserve_predictor_pod(isvc: &Path, runtime: &Path) -> Value {
    let read = |path: &Path| {
        let text = std::fs::read_to_string(path).unwrap();
        let documents = tailor_manifest::parse_stream(&text);
        documents.into_iter().next().unwrap().unwrap().value
    };
    let (isvc, runtime) = (read(isvc), read(runtime));
    let predictor = &isvc["spec"]["predictor"];
    let mut spec = runtime["spec"].clone();
    let fields: Vec<String> = spec.as_object().unwrap().keys().cloned().collect();
    for field in fields {
        if !["containers", "volumes", "imagePullSecrets"].contains(&field.as_str()) {
            spec.as_object_mut().unwrap().remove(&field);
        }
    }
    let container = spec["containers"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["name"] == "kserve-container")
        .unwrap();
    for list in ["limits", "requests"] {
        for (resource, amount) in predictor["model"]["resources"][list].as_object().unwrap() {
            container["resources"][list][resource] = amount.clone();
        }
    }
    if let Some(selector) = predictor.get("nodeSelector") {
        spec["nodeSelector"] = selector.clone();
    }
    json!({"apiVersion":"v1","kind":"Pod","metadata":{"name": isvc["metadata"]["name"]},"spec": spec})
}

#[test]
fn kserve_gpu_predictors_are_consumers_with_exact_restricted_blockers() {
    let pairs = [
        (
            "kserve__kserve/docs/samples/fluid/fluid-isvc.yaml",
            "kserve__kserve/docs/samples/fluid/kserve-huggingfaceserver.yaml",
        ),
        (
            "NVIDIA__nim-deploy/kserve/nim-models/llama-3.1-8b-instruct_1xgpu_1.1.0.yaml",
            "NVIDIA__nim-deploy/kserve/runtimes/llama-3.1-8b-instruct-1.1.0.yaml",
        ),
    ];
    for (isvc, runtime) in pairs {
        let (Some(isvc), Some(runtime)) = (corpus_path(isvc), corpus_path(runtime)) else {
            return;
        };
        let pod = kserve_predictor_pod(&isvc, &runtime);
        let name = pod["metadata"]["name"].as_str().unwrap().to_owned();
        let report = check_stdin(&pod.to_string());
        let predictor = object(&report, "Pod", &name);
        assert_eq!(predictor["pss"]["level"], "baseline", "{name}");
        assert_eq!(
            strings(&predictor["pss"]["blocking_restricted"]),
            DEFAULT_BLOCKERS,
            "{name}"
        );
        let found = gpu_findings(&report, None, &name);
        assert_eq!(rules(&found), ["TLR-gpu-no-resource-quota"], "{name}");
        assert!(
            message(&found, "TLR-gpu-no-resource-quota")
                .starts_with("GPU consumer requests nvidia.com/gpu: 1 (container \"kserve-container\")"),
            "{name}"
        );
    }
}

#[test]
fn hardened_nim_example_has_no_gpu_findings_and_its_quota_key_matters() {
    let example = std::fs::read_to_string(repo_root().join("examples/gpu-inference/nim-hardened.yaml")).unwrap();
    let gpu = |report: &Value| -> Vec<Value> {
        let findings = report["findings"].as_array().unwrap().iter();
        findings
            .filter(|f| f["rule"].as_str().unwrap().starts_with("TLR-gpu-"))
            .cloned()
            .collect()
    };
    let report = check_stdin(&example);
    assert_eq!(object(&report, "Deployment", "nim-llm")["pss"]["level"], "restricted");
    assert!(gpu(&report).is_empty(), "{:?}", gpu(&report));

    // The same quota on limits.nvidia.com/gpu caps nothing: quota counts extended resources
    // under requests. only.
    let limits_only = example.replace("requests.nvidia.com/gpu:", "limits.nvidia.com/gpu:");
    assert_ne!(limits_only, example, "the example caps requests.nvidia.com/gpu");
    let found = gpu(&check_stdin(&limits_only));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["rule"], "TLR-gpu-no-resource-quota");
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains("sets limits.nvidia.com/gpu, which quota never counts for extended resources"),
        "{message}"
    );
}

#[test]
fn gpu_providers_are_told_what_their_vendors_run_them_with() {
    let paths = [
        "NVIDIA__k8s-device-plugin/deployments/static",
        "NVIDIA__k8s-device-plugin/testdata/job-1.yaml",
        "NVIDIA__dcgm-exporter/dcgm-exporter.yaml",
        "intel__intel-device-plugins-for-kubernetes/deployments/gpu_plugin/base/intel-gpu-plugin.yaml",
        "ROCm__k8s-device-plugin/k8s-ds-amdgpu-labeller.yaml",
    ];
    let Some(paths) = corpus_paths(&paths) else {
        return;
    };
    let report = check(&paths);
    let on = |file: &str, name: &str| gpu_findings(&report, Some(file), name);

    // NVIDIA's default plugin drops ALL capabilities: nothing to say.
    assert!(on("static/nvidia-device-plugin.yml", "nvidia-device-plugin-daemonset").is_empty());
    // compatWithCPUManager passes device specs, which takes privileged mode.
    let compat = on(
        "nvidia-device-plugin-compat-with-cpumanager.yml",
        "nvidia-device-plugin-daemonset",
    );
    assert_eq!(rules(&compat), ["TLR-gpu-provider-privileged"]);
    // GPU feature discovery never needs privileged mode (SYS_ADMIN with MIG at most).
    let gfd = on("static/gpu-feature-discovery-daemonset.yaml", "gpu-feature-discovery");
    assert_eq!(rules(&gfd), ["TLR-gpu-provider-excess-privilege"]);
    assert_eq!(gfd[0]["severity"], "low");
    assert!(message(&gfd, "TLR-gpu-provider-excess-privilege")
        .contains("NVIDIA GPU feature discovery does not need privileged mode in \"gpu-feature-discovery\""));
    // DCGM exporter: SYS_ADMIN is what profiling metrics take.
    let dcgm = on("dcgm-exporter.yaml", "dcgm-exporter");
    assert_eq!(rules(&dcgm), ["TLR-gpu-provider-privileged"]);
    assert!(message(&dcgm, "TLR-gpu-provider-privileged").contains("holds SYS_ADMIN in \"dcgm-exporter\""));
    // Intel's GPU plugin is already as narrow as a device plugin gets.
    assert!(on("intel-gpu-plugin.yaml", "intel-gpu-plugin").is_empty());
    // ROCm's labeller mounts the whole /dev.
    let labeller = on("k8s-ds-amdgpu-labeller.yaml", "amdgpu-labeller-daemonset");
    assert_eq!(
        rules(&labeller),
        ["TLR-gpu-provider-device-hostpath", "TLR-gpu-provider-privileged"]
    );
    assert!(
        message(&labeller, "TLR-gpu-provider-device-hostpath").contains("mount only /dev/kfd and /dev/dri, read-only")
    );
    // The device plugin's own e2e Job is a consumer.
    assert_eq!(
        rules(&on("testdata/job-1.yaml", "j-e2e-1")),
        ["TLR-gpu-no-resource-quota"]
    );
}

#[test]
fn on_the_whole_corpus_provider_findings_stay_on_daemonsets_and_no_consumer_leaks() {
    let Some(all) = corpus_path(".") else {
        return;
    };
    let report = check(&[&all]);
    let gpu: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("TLR-gpu-"))
        .collect();
    let count = |rule: &str| gpu.iter().filter(|f| f["rule"] == rule).count();
    // gpu-operator's providers set NVIDIA_VISIBLE_DEVICES=all, void or none on purpose: no leak;
    // and no consumer in the corpus mounts device nodes or runs privileged.
    for rule in [
        "TLR-gpu-env-leak",
        "TLR-gpu-consumer-privileged",
        "TLR-gpu-device-hostpath",
    ] {
        assert_eq!(count(rule), 0, "{rule}");
    }
    // gpu-operator alone: the driver and its golden renderings, toolkit, device plugin, MIG
    // manager, validators... are providers; every provider finding is on a DaemonSet.
    assert!(
        count("TLR-gpu-provider-privileged") >= 30,
        "{}",
        count("TLR-gpu-provider-privileged")
    );
    for finding in gpu
        .iter()
        .filter(|f| f["rule"].as_str().unwrap().starts_with("TLR-gpu-provider-"))
    {
        assert_eq!(finding["kind"], "DaemonSet", "{finding}");
    }
    // Workloads without a namespace are reported once, the namespaced ones each.
    let quota: Vec<&&Value> = gpu
        .iter()
        .filter(|f| f["rule"] == "TLR-gpu-no-resource-quota")
        .collect();
    assert_eq!(quota.iter().filter(|f| f["namespace"].is_null()).count(), 1);
    assert!(quota.iter().any(|f| f["namespace"] == "axolotl-training"));
}

//! Per-pod evaluation cost at `restricted:latest` (every check runs): a realistic GPU
//! inference Deployment's pod (two containers), the same pod with typical violations
//! (messages and field paths get built), and a minimal pod.

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use std::hint::black_box;
use tailor_kube::defaults::apply_admission_defaults;
use tailor_kube::{PodBearingKind, PodTemplate};
use tailor_pss::{evaluate, Level, Version};

fn template(kind: PodBearingKind, object: &Value) -> PodTemplate {
    let mut pod = PodTemplate::extract(kind, object).unwrap().unwrap();
    apply_admission_defaults(&mut pod);
    pod
}

fn gpu_deployment(hardened: bool) -> Value {
    let security_context = |hardened: bool| {
        if hardened {
            json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                   "capabilities": {"drop": ["ALL"]}})
        } else {
            json!({"capabilities": {"add": ["SYS_PTRACE"]}})
        }
    };
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "llm-inference", "namespace": "ml"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "llm"}}, "template": {
            "metadata": {"labels": {"app": "llm"}, "annotations": {"prometheus.io/scrape": "true"}},
            "spec": {
                "runtimeClassName": "nvidia",
                "securityContext": {"runAsNonRoot": true, "runAsUser": 1000, "fsGroup": 1000,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "nodeSelector": {"nvidia.com/gpu.present": "true"},
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                "containers": [
                    {"name": "server", "image": "vllm/vllm-openai:v0.6.0",
                     "args": ["--model", "/models/llama", "--tensor-parallel-size", "2"],
                     "ports": [{"name": "http", "containerPort": 8000}],
                     "env": [{"name": "HF_HOME", "value": "/cache"}],
                     "resources": {"limits": {"nvidia.com/gpu": "2", "memory": "64Gi"},
                                   "requests": {"cpu": "8", "memory": "64Gi"}},
                     "readinessProbe": {"httpGet": {"path": "/health", "port": 8000}},
                     "livenessProbe": {"httpGet": {"path": "/health", "port": 8000}, "periodSeconds": 30},
                     "volumeMounts": [{"name": "models", "mountPath": "/models"},
                                      {"name": "shm", "mountPath": "/dev/shm"},
                                      {"name": "cache", "mountPath": "/cache"}],
                     "securityContext": security_context(true)},
                    {"name": "metrics-exporter", "image": "nvcr.io/nvidia/k8s/dcgm-exporter:3.3.5",
                     "ports": [{"name": "metrics", "containerPort": 9400}],
                     "resources": {"limits": {"cpu": "200m", "memory": "256Mi"}},
                     "securityContext": security_context(hardened)}
                ],
                "volumes": [
                    {"name": "models", "persistentVolumeClaim": {"claimName": "llama-weights"}},
                    {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "16Gi"}},
                    {"name": "cache"}
                ]
            }
        }}
    })
}

fn bench(c: &mut Criterion) {
    let minimal = template(
        PodBearingKind::Pod,
        &json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                "spec": {"containers": [{"name": "app", "image": "busybox"}]}}),
    );
    let hardened = template(PodBearingKind::Deployment, &gpu_deployment(true));
    let violating = template(PodBearingKind::Deployment, &gpu_deployment(false));
    assert!(evaluate(Level::Restricted, Version::Latest, &hardened.metadata, &hardened.spec).allowed());
    assert_eq!(
        evaluate(Level::Restricted, Version::Latest, &violating.metadata, &violating.spec)
            .violations
            .len(),
        2
    );

    let mut group = c.benchmark_group("evaluate restricted:latest");
    for (name, pod) in [
        ("gpu deployment, allowed", &hardened),
        ("gpu deployment, 2 violations", &violating),
        ("minimal pod, 4 violations", &minimal),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                evaluate(
                    Level::Restricted,
                    Version::Latest,
                    black_box(&pod.metadata),
                    black_box(&pod.spec),
                )
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

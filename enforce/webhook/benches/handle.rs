//! The admission handler alone (no TLS, no HTTP): time per AdmissionReview for the mix that
//! `bench/webhook-load.sh` sends over the wire (restricted pod allowed, privileged pod denied,
//! baseline pod warned, a Deployment warned, a GPU pod patched by /mutate and validated).
//! `cargo bench -p tailor-webhook`. What the handler costs is most of what a request costs the
//! server: this is where its p99 is won.

use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use tailor_webhook::review::{handle, Endpoint};
use tailor_webhook::{Config, Namespaces};

const NAMESPACES: &str = r#"
apiVersion: v1
kind: List
items:
  - {apiVersion: v1, kind: Namespace, metadata: {name: prod, labels: {pod-security.kubernetes.io/enforce: restricted}}}
  - {apiVersion: v1, kind: Namespace, metadata: {name: dev, labels: {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/warn: restricted, pod-security.kubernetes.io/audit: restricted}}}
  - {apiVersion: v1, kind: Namespace, metadata: {name: ml}}
"#;

const CONFIG: &str = r#"
podSecurity: {exemptions: {namespaces: [kube-system]}}
deny: [TLR-runtime-socket, TLR-gpu-env-leak]
inject:
  - name: inference
    namespaces: [ml]
    images: ["nvcr.io/*"]
    profile: {seccomp: RuntimeDefault, capabilities: {add: [NET_BIND_SERVICE]}, allowPrivilegeEscalation: false, runAsNonRoot: true, automountServiceAccountToken: false}
"#;

fn review(resource: &str, group: &str, namespace: &str, object: Value) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
        "uid":"b1a2","kind":{"group":group,"version":"v1","kind":"X"},
        "resource":{"group":group,"version":"v1","resource":resource},"namespace":namespace,"name":"n",
        "operation":"CREATE","userInfo":{"username":"system:serviceaccount:kube-system:replicaset-controller"},
        "object":object}}),
    )
    .unwrap()
}

fn bodies() -> Vec<(&'static str, Endpoint, Vec<u8>)> {
    let restricted = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"n","labels":{"app":"web"}},"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":8080}],"resources":{"limits":{"cpu":"1","memory":"256Mi"}},"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}]}});
    let privileged = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"n"},"spec":{"hostPID":true,"containers":[{"name":"agent","image":"agent:1","securityContext":{"privileged":true},"volumeMounts":[{"name":"root","mountPath":"/host"}]}],"volumes":[{"name":"root","hostPath":{"path":"/"}}]}});
    let plain = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"n"},"spec":{"containers":[{"name":"app","image":"app:1","env":[{"name":"MODE","value":"x"}]},{"name":"sidecar","image":"proxy:2"}]}});
    let deployment = json!({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"n"},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"a"}},"template":{"metadata":{"labels":{"app":"a"}},"spec":{"containers":[{"name":"app","image":"app:1"}]}}}});
    let gpu = json!({"apiVersion":"v1","kind":"Pod","metadata":{"name":"n","labels":{"app":"triton"}},"spec":{"containers":[{"name":"triton","image":"nvcr.io/nvidia/tritonserver:24.08-py3","resources":{"limits":{"nvidia.com/gpu":"1"}}}]}});
    vec![
        (
            "validate restricted pod (allowed)",
            Endpoint::Validate,
            review("pods", "", "prod", restricted),
        ),
        (
            "validate privileged pod (denied)",
            Endpoint::Validate,
            review("pods", "", "prod", privileged),
        ),
        (
            "validate plain pod (warned)",
            Endpoint::Validate,
            review("pods", "", "dev", plain),
        ),
        (
            "validate deployment (warned)",
            Endpoint::Validate,
            review("deployments", "apps", "dev", deployment),
        ),
        (
            "mutate gpu pod (patched)",
            Endpoint::Mutate,
            review("pods", "", "ml", gpu.clone()),
        ),
        (
            "validate gpu pod (allowed)",
            Endpoint::Validate,
            review("pods", "", "ml", gpu),
        ),
    ]
}

fn handler(c: &mut Criterion) {
    let config = Config::parse("config.yaml", CONFIG).expect("bench config parses");
    let namespaces = Namespaces::parse("namespaces.yaml", NAMESPACES).expect("bench namespaces parse");
    let mut group = c.benchmark_group("handle");
    for (name, endpoint, body) in bodies() {
        assert!(
            handle(endpoint, &body, &config, &namespaces).is_ok(),
            "{name} is answered"
        );
        group.bench_function(name, |b| {
            b.iter(|| handle(endpoint, &body, &config, &namespaces).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, handler);
criterion_main!(benches);

//! The admission handler alone (no TLS, no HTTP): time per AdmissionReview for the mix that
//! `bench/webhook-load.sh` sends over the wire, read from the same files (`bench/webhook/`):
//! restricted pod allowed, privileged pod denied, baseline pod warned, a Deployment warned, a
//! GPU pod patched by /mutate and validated. `cargo bench -p tailor-webhook`. What the handler
//! costs is most of what a request costs the server: this is where its p99 is won.

use criterion::{criterion_group, criterion_main, Criterion};
use tailor_webhook::review::{handle, Endpoint};
use tailor_webhook::{Config, Namespaces};

macro_rules! input {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/webhook/", $path))
    };
}

/// The mix: what each review is, the endpoint it is sent to, the AdmissionReview.
const REVIEWS: [(&str, Endpoint, &str); 6] = [
    (
        "validate restricted pod (allowed)",
        Endpoint::Validate,
        input!("reviews/1-validate.json"),
    ),
    (
        "validate privileged pod (denied)",
        Endpoint::Validate,
        input!("reviews/2-validate.json"),
    ),
    (
        "validate plain pod (warned)",
        Endpoint::Validate,
        input!("reviews/3-validate.json"),
    ),
    (
        "validate deployment (warned)",
        Endpoint::Validate,
        input!("reviews/4-validate.json"),
    ),
    (
        "mutate gpu pod (patched)",
        Endpoint::Mutate,
        input!("reviews/5-mutate.json"),
    ),
    (
        "validate gpu pod (allowed)",
        Endpoint::Validate,
        input!("reviews/6-validate.json"),
    ),
];

fn handler(c: &mut Criterion) {
    let config = Config::parse("config.yaml", input!("config.yaml")).expect("bench config parses");
    let namespaces = Namespaces::parse("namespaces.yaml", input!("namespaces.yaml")).expect("bench namespaces parse");
    let mut group = c.benchmark_group("handle");
    for (name, endpoint, body) in REVIEWS {
        let body = body.as_bytes();
        assert!(
            handle(endpoint, body, &config, &namespaces).is_ok(),
            "{name} is answered"
        );
        group.bench_function(name, |b| {
            b.iter(|| handle(endpoint, body, &config, &namespaces).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, handler);
criterion_main!(benches);

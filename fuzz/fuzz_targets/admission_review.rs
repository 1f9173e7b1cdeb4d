//! The webhook's request handler on arbitrary bodies: it must answer or refuse, never panic.
//! Run: `cargo fuzz run admission_review` (nightly, or RUSTC_BOOTSTRAP=1 on stable).
#![no_main]

use std::collections::HashMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tailor_webhook::{handle, Config, Endpoint, Namespaces};

fn state() -> &'static (Config, Namespaces) {
    static STATE: OnceLock<(Config, Namespaces)> = OnceLock::new();
    STATE.get_or_init(|| {
        let config = Config::parse(
            "fuzz.yaml",
            "deny: [TLR-runtime-socket]\ninject:\n  - name: all\n    profile: {seccomp: RuntimeDefault, capabilities: {add: [NET_BIND_SERVICE]}, allowPrivilegeEscalation: false, runAsNonRoot: true}\n",
        )
        .expect("valid fuzz config");
        let mut labels = HashMap::new();
        labels.insert(
            "default".to_owned(),
            [("pod-security.kubernetes.io/enforce".to_owned(), "restricted".to_owned())].into(),
        );
        (config, Namespaces::from_map(labels))
    })
}

fuzz_target!(|data: &[u8]| {
    let (config, namespaces) = state();
    let endpoint = if data.first().is_some_and(|b| b & 1 == 1) { Endpoint::Mutate } else { Endpoint::Validate };
    let _ = handle(endpoint, data, config, namespaces);
});

//! The exact reasons and details of the upstream unit tests (`unit_messages.jsonl`): each case
//! runs one check implementation at `impl_version`, on the pod as given (no defaulting: the
//! restrictedVolumes case relies on a sourceless volume being `unknown`).

mod common;

use tailor_kube::{PodBearingKind, PodTemplate};
use tailor_pss::{check_result, Version};

#[test]
fn every_unit_message_matches_byte_for_byte() {
    let Some(dir) = common::conformance_dir() else {
        return;
    };
    let cases = common::read_jsonl(&dir.join("unit_messages.jsonl"));
    assert_eq!(cases.len(), 96, "unit_messages.jsonl line count");

    let mut failures = Vec::new();
    for case in &cases {
        let source = case["source"].as_str().unwrap();
        let check = case["check"].as_str().unwrap();
        let version: Version = case["impl_version"].as_str().unwrap().parse().unwrap();
        let pod = PodTemplate::extract(PodBearingKind::Pod, &case["pod"])
            .unwrap_or_else(|e| panic!("{source}: {e}"))
            .unwrap();
        let Some(result) = check_result(check, version, &pod.metadata, &pod.spec) else {
            failures.push(format!("{source}: no implementation of {check} at {version}"));
            continue;
        };
        let expected = (
            case["allowed"].as_bool().unwrap(),
            case["reason"].as_str().unwrap(),
            case["detail"].as_str().unwrap(),
        );
        let actual = (result.allowed, result.reason.as_str(), result.detail.as_str());
        if actual != expected {
            failures.push(format!(
                "{source} ({check} {version}):\n    expected {expected:?}\n    actual   {actual:?}"
            ));
        }
    }
    for failure in &failures {
        eprintln!("UNIT MESSAGE FAILURE {failure}");
    }
    assert!(
        failures.is_empty(),
        "{} of 96 unit messages differ (listed above)",
        failures.len()
    );
}

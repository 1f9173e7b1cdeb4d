//! The upstream pod-security-admission fixture corpus (`shared/conformance/psa`): every
//! fixture evaluated at its own level and version after API-server defaulting, with the
//! upstream harness's assertions (README "Harness semantics"), plus the full message
//! compared with `derived/fixture_verdicts.jsonl`.

mod common;

use std::collections::HashMap;

use serde_json::Value;
use tailor_kube::defaults::apply_admission_defaults;
use tailor_kube::{PodBearingKind, PodTemplate};
use tailor_pss::{evaluate, Evaluation, Level, Version};

const FIXTURE_COUNT: usize = 4537;

/// Checks one evaluation against an `expected.jsonl` case; `None` when it conforms.
fn verdict_failure(case: &Value, evaluation: &Evaluation) -> Option<String> {
    let detail = evaluation.aggregate_detail();
    match case["expect"].as_str().unwrap() {
        "allow" if evaluation.allowed() => None,
        "allow" => Some(format!("expected allow, got: {}", evaluation.message())),
        "deny" => {
            let substring = case["error_substring"].as_str().unwrap();
            if evaluation.allowed() {
                Some("expected deny, got allow".to_owned())
            } else if !detail.contains(substring) {
                Some(format!("denial lacks {substring:?}: {detail}"))
            } else if detail.contains("unknown forbidden reason") {
                Some(format!("unknown forbidden reason: {detail}"))
            } else {
                None
            }
        }
        other => panic!("unknown expectation {other}"),
    }
}

/// The derived violations and message, compared field by field; `None` when identical.
fn message_mismatch(derived: &Value, evaluation: &Evaluation) -> Option<String> {
    let ours: Vec<(&str, &str, &str)> = evaluation
        .violations
        .iter()
        .map(|v| (v.check, v.reason.as_str(), v.detail.as_str()))
        .collect();
    let theirs: Vec<(&str, &str, &str)> = derived["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["check"].as_str().unwrap(),
                v["reason"].as_str().unwrap(),
                v["detail"].as_str().unwrap(),
            )
        })
        .collect();
    let expected_message = derived.get("enforce_message").and_then(Value::as_str).unwrap_or("");
    if ours != theirs || evaluation.message() != expected_message {
        return Some(format!(
            "message differs:\n    ours:    {:?}\n    derived: {:?}",
            evaluation.message(),
            expected_message
        ));
    }
    let expected_reason = derived.get("forbidden_reason").and_then(Value::as_str).unwrap_or("");
    if evaluation.aggregate_reason() != expected_reason {
        return Some(format!(
            "aggregate reason differs: {:?} vs {:?}",
            evaluation.aggregate_reason(),
            expected_reason
        ));
    }
    None
}

#[test]
fn every_fixture_matches_the_reference_verdict_and_message() {
    let Some(dir) = common::conformance_dir() else {
        return;
    };
    let cases = common::read_jsonl(&dir.join("expected.jsonl"));
    let derived: HashMap<String, Value> = common::read_jsonl(&dir.join("derived/fixture_verdicts.jsonl"))
        .into_iter()
        .map(|d| (d["file"].as_str().unwrap().to_owned(), d))
        .collect();
    assert_eq!(cases.len(), FIXTURE_COUNT, "expected.jsonl line count");
    assert_eq!(
        derived.len(),
        FIXTURE_COUNT,
        "derived/fixture_verdicts.jsonl line count"
    );

    let mut failures = Vec::new();
    let mut mismatches = Vec::new();
    let (mut evaluated, mut at_latest) = (0, 0);
    for case in &cases {
        let file = case["file"].as_str().unwrap();
        let level: Level = case["level"].as_str().unwrap().parse().unwrap();
        let version: Version = case["version"].as_str().unwrap().parse().unwrap();
        let object = common::read_yaml(&dir.join("testdata").join(file));
        let mut pod = PodTemplate::extract(PodBearingKind::Pod, &object)
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .expect("a Pod always has a template");
        apply_admission_defaults(&mut pod);

        let evaluation = evaluate(level, version, &pod.metadata, &pod.spec);
        evaluated += 1;
        if let Some(failure) = verdict_failure(case, &evaluation) {
            failures.push(format!("{file} at {level}:{version}: {failure}"));
        }
        match derived.get(file) {
            Some(d) => mismatches.extend(message_mismatch(d, &evaluation).map(|m| format!("{file}: {m}"))),
            None => mismatches.push(format!("{file}: missing from the derived verdicts")),
        }

        // `latest` and versions past the newest policy evaluate as the newest policy (v1.37).
        if version == Version::V1(37) {
            for alias in [Version::Latest, Version::V1(40)] {
                let aliased = evaluate(level, alias, &pod.metadata, &pod.spec);
                at_latest += 1;
                if let Some(failure) = verdict_failure(case, &aliased) {
                    failures.push(format!("{file} at {level}:{alias}: {failure}"));
                }
                if aliased.violations != evaluation.violations || aliased.policy_version != Version::V1(37) {
                    failures.push(format!("{file} at {level}:{alias}: differs from v1.37"));
                }
            }
        }
    }

    for failure in &failures {
        eprintln!("VERDICT FAILURE {failure}");
    }
    for mismatch in &mismatches {
        eprintln!("MESSAGE MISMATCH {mismatch}");
    }
    eprintln!(
        "conformance: {evaluated} fixtures, {at_latest} aliased evaluations, {} verdict failures, {} message mismatches",
        failures.len(),
        mismatches.len()
    );
    assert_eq!(evaluated, FIXTURE_COUNT);
    assert!(
        failures.is_empty() && mismatches.is_empty(),
        "{} verdict failures, {} message mismatches (listed above)",
        failures.len(),
        mismatches.len()
    );
}

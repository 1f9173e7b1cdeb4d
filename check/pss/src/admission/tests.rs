//! Unit tests from `spec/pss-checks.md` §6 and §7.

use serde_json::{json, Value};
use tailor_kube::{PodBearingKind, PodTemplate};

use super::*;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (format!("{LABEL_PREFIX}{k}"), v.to_string()))
        .collect()
}

fn lv(level: Level, version: Version) -> LevelVersion {
    LevelVersion::new(level, version)
}

fn pod(spec: Value) -> PodTemplate {
    PodTemplate::extract(PodBearingKind::Pod, &json!({ "metadata": {"name": "p"}, "spec": spec }))
        .unwrap()
        .unwrap()
}

fn restricted_pod() -> PodTemplate {
    pod(json!({
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{"name": "app", "image": "app:1", "securityContext": {
            "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]
    }))
}

fn root_pod() -> PodTemplate {
    pod(json!({"containers": [{"name": "app", "image": "app:1"}]}))
}

fn privileged_pod() -> PodTemplate {
    pod(json!({"containers": [{"name": "app", "image": "app:1", "securityContext": {"privileged": true}}]}))
}

fn request(operation: Operation, resource: &'static str, namespace: &'static str) -> Request<'static> {
    Request {
        operation,
        resource,
        subresource: "",
        namespace,
        name: "test",
        username: "alice",
    }
}

#[test]
fn no_labels_give_the_defaults() {
    let defaults = Policy {
        enforce: lv(Level::Baseline, Version::V1(30)),
        ..Policy::default()
    };
    let p = namespace_policy(&Labels::new(), &defaults);
    assert_eq!(p.policy, defaults);
    assert!(p.errors.is_empty());
}

#[test]
fn labels_set_each_mode_and_warn_follows_enforce() {
    let p = namespace_policy(
        &labels(&[("enforce", "restricted"), ("enforce-version", "v1.25")]),
        &Policy::default(),
    );
    assert_eq!(p.policy.enforce, lv(Level::Restricted, Version::V1(25)));
    assert_eq!(p.policy.audit, LevelVersion::PRIVILEGED_LATEST);
    assert_eq!(p.policy.warn, lv(Level::Restricted, Version::V1(25)));

    // An explicit warn-version is kept; an explicit warn level stops the following.
    let p = namespace_policy(
        &labels(&[("enforce", "baseline"), ("warn-version", "v1.20")]),
        &Policy::default(),
    );
    assert_eq!(p.policy.warn, lv(Level::Baseline, Version::V1(20)));
    let p = namespace_policy(
        &labels(&[("enforce", "restricted"), ("warn", "baseline")]),
        &Policy::default(),
    );
    assert_eq!(p.policy.warn.level, Level::Baseline);

    // Not stricter than the default warn: no following.
    let defaults = Policy {
        warn: lv(Level::Restricted, Version::V1(30)),
        ..Policy::default()
    };
    let p = namespace_policy(&labels(&[("enforce", "baseline")]), &defaults);
    assert_eq!(p.policy.warn, lv(Level::Restricted, Version::V1(30)));
}

#[test]
fn parse_errors_fall_back_closed_for_enforce_and_open_for_audit_and_warn() {
    let p = namespace_policy(
        &labels(&[
            ("enforce", "strict"),
            ("enforce-version", "1.25"),
            ("audit", "Restricted"),
            ("warn", "x"),
        ]),
        &Policy::default(),
    );
    assert_eq!(p.policy.enforce, lv(Level::Restricted, Version::Latest));
    assert_eq!(p.policy.audit.level, Level::Privileged);
    assert_eq!(p.policy.warn.level, Level::Privileged);
    assert_eq!(p.errors.len(), 4);
    assert_eq!(
        p.errors[0].to_string(),
        "metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"strict\": must be one of privileged, baseline, restricted"
    );
    assert_eq!(
        p.errors[1].to_string(),
        "metadata.labels[pod-security.kubernetes.io/enforce-version]: Invalid value: \"1.25\": must be \"latest\" or \"v1.x\""
    );
    assert!(p
        .error_text()
        .starts_with("[metadata.labels[pod-security.kubernetes.io/enforce]"));

    // An invalid enforce does not count as "set": warn does not follow it.
    let p = namespace_policy(&labels(&[("enforce", "bad")]), &Policy::default());
    assert_eq!(p.policy.warn.level, Level::Privileged);
}

#[test]
fn configuration_validation_names_the_field() {
    let mut config = Configuration::default();
    assert_eq!(config.validate(), Ok(()));
    config.exemptions.namespaces = vec!["a".into(), "a".into(), "Bad_NS".into()];
    config.exemptions.usernames = vec!["".into()];
    config.exemptions.runtime_classes = vec!["gvisor.example.com".into()];
    let errors = config.validate().unwrap_err();
    assert_eq!(
        errors,
        vec![
            "exemptions.usernames[0]: Invalid value: \"\"",
            "exemptions.namespaces[1]: Duplicate value: \"a\"",
            "exemptions.namespaces[2]: Invalid value: \"Bad_NS\"",
        ]
    );
}

#[test]
fn dispatch_follows_the_registered_resources() {
    assert_eq!(target(Operation::Create, "", "pods"), Target::Pod);
    assert_eq!(target(Operation::Update, "", "namespaces"), Target::Namespace);
    assert_eq!(target(Operation::Create, "apps", "deployments"), Target::Workload);
    assert_eq!(target(Operation::Create, "batch", "cronjobs"), Target::Workload);
    assert_eq!(target(Operation::Delete, "", "pods"), Target::Ignored);
    assert_eq!(target(Operation::Create, "", "services"), Target::Ignored);
    assert_eq!("CONNECT".parse::<Operation>(), Ok(Operation::Connect));
}

#[test]
fn enforce_denies_a_pod_with_the_plugin_message_audit_annotates_and_warnings_are_suppressed() {
    let config = Configuration::default();
    let ns = labels(&[("enforce", "baseline"), ("audit", "restricted"), ("warn", "restricted")]);
    let pod = privileged_pod();
    let d = admit_pod(
        &config,
        &request(Operation::Create, "pods", "ns"),
        Ok(&ns),
        Ok(&pod),
        None,
    );
    assert!(!d.allowed);
    let status = d.status.unwrap();
    assert_eq!((status.code, status.reason), (403, "Forbidden"));
    assert_eq!(
        status.message,
        "pods \"test\" is forbidden: violates PodSecurity \"baseline:latest\": privileged (container \"app\" must not set securityContext.privileged=true)"
    );
    assert_eq!(d.audit_annotations["enforce-policy"], "baseline:latest");
    assert!(d.audit_annotations["audit-violations"]
        .starts_with("would violate PodSecurity \"restricted:latest\": privileged"));
    assert!(d.warnings.is_empty(), "warnings are suppressed when enforce denies");

    let mut unnamed = request(Operation::Create, "pods", "ns");
    unnamed.name = "";
    let d = admit_pod(&config, &unnamed, Ok(&ns), Ok(&pod), None);
    assert!(d.status.unwrap().message.starts_with("pods is forbidden: violates"));
}

#[test]
fn warn_gives_one_warning_when_allowed() {
    let config = Configuration::default();
    let ns = labels(&[("warn", "restricted"), ("warn-version", "v1.30")]);
    let d = admit_pod(
        &config,
        &request(Operation::Create, "pods", "ns"),
        Ok(&ns),
        Ok(&root_pod()),
        None,
    );
    assert!(d.allowed);
    assert_eq!(d.warnings.len(), 1);
    assert!(
        d.warnings[0].starts_with("would violate PodSecurity \"restricted:v1.30\": allowPrivilegeEscalation != false")
    );
    assert_eq!(d.audit_annotations["enforce-policy"], "privileged:latest");

    let d = admit_pod(
        &config,
        &request(Operation::Create, "pods", "ns"),
        Ok(&ns),
        Ok(&restricted_pod()),
        None,
    );
    assert!(d.allowed && d.warnings.is_empty());
}

#[test]
fn fully_privileged_namespaces_short_circuit_with_privileged_latest() {
    let config = Configuration::default();
    let ns = labels(&[("enforce", "privileged"), ("enforce-version", "v1.20")]);
    let d = admit_pod(
        &config,
        &request(Operation::Create, "pods", "ns"),
        Ok(&ns),
        Err("bad".into()),
        None,
    );
    assert!(d.allowed);
    assert_eq!(d.audit_annotations["enforce-policy"], "privileged:latest");
}

#[test]
fn exemptions_by_namespace_user_and_runtime_class() {
    let config = Configuration {
        exemptions: Exemptions {
            usernames: vec!["alice".into()],
            runtime_classes: vec!["kata".into()],
            namespaces: vec!["kube-system".into()],
        },
        ..Configuration::default()
    };
    let ns = labels(&[("enforce", "restricted")]);
    let pod = privileged_pod();
    let d = admit_pod(
        &config,
        &request(Operation::Create, "pods", "kube-system"),
        Ok(&ns),
        Ok(&pod),
        None,
    );
    assert_eq!((d.allowed, d.audit_annotations["exempt"].as_str()), (true, "namespace"));
    let d = admit_pod(
        &config,
        &request(Operation::Create, "pods", "ns"),
        Ok(&ns),
        Ok(&pod),
        None,
    );
    assert_eq!((d.allowed, d.audit_annotations["exempt"].as_str()), (true, "user"));

    let mut bob = request(Operation::Create, "pods", "ns");
    bob.username = "bob";
    let d = admit_pod(&config, &bob, Ok(&ns), Ok(&pod), None);
    assert!(!d.allowed);
    let mut kata = pod.clone();
    kata.spec.runtime_class_name = Some("kata".into());
    let d = admit_pod(&config, &bob, Ok(&ns), Ok(&kata), None);
    assert_eq!(
        (d.allowed, d.audit_annotations["exempt"].as_str()),
        (true, "runtimeClass")
    );
}

#[test]
fn namespace_lookup_failure_denies_pods_but_allows_workloads() {
    let config = Configuration::default();
    let pod = privileged_pod();
    let d = admit_pod(
        &config,
        &request(Operation::Create, "pods", "ns"),
        Err("gone".into()),
        Ok(&pod),
        None,
    );
    assert_eq!(d.status.as_ref().unwrap().code, 500);
    assert_eq!(
        d.status.unwrap().message,
        "Internal error occurred: failed to lookup namespace \"ns\""
    );
    let d = admit_workload(
        &config,
        &request(Operation::Create, "deployments", "ns"),
        Err("gone".into()),
        Ok(Some(&pod)),
    );
    assert!(d.allowed);
    assert_eq!(d.audit_annotations["error"], "failed to lookup namespace \"ns\": gone");
}

#[test]
fn label_parse_errors_are_audited_and_evaluation_uses_the_fallbacks() {
    let config = Configuration::default();
    let ns = labels(&[("enforce", "nope")]);
    let d = admit_pod(
        &config,
        &request(Operation::Create, "pods", "ns"),
        Ok(&ns),
        Ok(&root_pod()),
        None,
    );
    assert!(!d.allowed, "enforce falls back to restricted");
    assert_eq!(
        d.audit_annotations["error"],
        "Failed to parse policy: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"nope\": must be one of privileged, baseline, restricted"
    );
}

#[test]
fn updates_are_evaluated_only_when_significant() {
    let config = Configuration::default();
    let ns = labels(&[("enforce", "restricted")]);
    let old = root_pod();
    let mut relabelled = old.clone();
    relabelled.metadata.labels = Some([("a".to_owned(), "b".to_owned())].into());
    relabelled.spec.active_deadline_seconds = Some(5);
    let update = request(Operation::Update, "pods", "ns");
    let d = admit_pod(&config, &update, Ok(&ns), Ok(&relabelled), Some(Ok(&old)));
    assert!(d.allowed && d.audit_annotations.is_empty());

    let mut new_image = old.clone();
    new_image.spec.containers[0].image = Some("app:2".into());
    assert!(!admit_pod(&config, &update, Ok(&ns), Ok(&new_image), Some(Ok(&old))).allowed);

    // A new ephemeral container re-evaluates the whole pod, through the subresource too.
    let mut debug = restricted_pod();
    let base = debug.clone();
    debug.spec.ephemeral_containers = Some(vec![
        serde_json::from_value(json!({"name": "dbg", "image": "busybox"})).unwrap()
    ]);
    let mut ephemeral = update;
    ephemeral.subresource = "ephemeralcontainers";
    let d = admit_pod(&config, &ephemeral, Ok(&ns), Ok(&debug), Some(Ok(&base)));
    assert!(!d.allowed);
    assert!(d.status.unwrap().message.contains("\"dbg\""));
    assert!(significant_update(&base.spec, &debug.spec));
    assert!(!significant_update(&debug.spec, &debug.spec));

    // Ignored subresources are never evaluated.
    let mut status = update;
    status.subresource = "status";
    assert!(admit_pod(&config, &status, Ok(&ns), Ok(&new_image), Some(Ok(&old))).allowed);
}

#[test]
fn workloads_are_never_denied_only_warned_and_audited() {
    let config = Configuration::default();
    let ns = labels(&[("enforce", "restricted"), ("audit", "baseline")]);
    let template = privileged_pod();
    let d = admit_workload(
        &config,
        &request(Operation::Create, "deployments", "ns"),
        Ok(&ns),
        Ok(Some(&template)),
    );
    assert!(d.allowed);
    assert!(!d.audit_annotations.contains_key("enforce-policy"));
    assert!(d.audit_annotations["audit-violations"].starts_with("would violate PodSecurity \"baseline:latest\""));
    assert!(d.warnings[0].starts_with("would violate PodSecurity \"restricted:latest\""));

    // warn and audit privileged: nothing evaluated.
    let only_enforce = labels(&[("enforce", "restricted"), ("warn", "privileged")]);
    let d = admit_workload(
        &config,
        &request(Operation::Create, "deployments", "ns"),
        Ok(&only_enforce),
        Ok(Some(&template)),
    );
    assert_eq!(d, Decision::allow());
    let d = admit_workload(
        &config,
        &request(Operation::Create, "deployments", "ns"),
        Ok(&ns),
        Err("bad template".into()),
    );
    assert_eq!(
        (d.allowed, d.audit_annotations["error"].as_str()),
        (true, "bad template")
    );
}

fn no_pods() -> Result<Vec<ListedPod>, String> {
    panic!("no dry run expected")
}

#[test]
fn namespace_create_with_invalid_labels_is_invalid() {
    let config = Configuration::default();
    let ns = labels(&[("enforce", "bad")]);
    let d = admit_namespace(
        &config,
        &request(Operation::Create, "namespaces", "test"),
        &ns,
        None,
        &mut no_pods,
        &mut || false,
    );
    let status = d.status.unwrap();
    assert_eq!((status.code, status.reason), (422, "Invalid"));
    assert_eq!(
        status.message,
        "Namespace \"test\" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: \"bad\": must be one of privileged, baseline, restricted"
    );
    // An update keeping exactly the same errors is allowed.
    let mut with_other = ns.clone();
    with_other.insert("team".into(), "a".into());
    let d = admit_namespace(
        &config,
        &request(Operation::Update, "namespaces", "test"),
        &with_other,
        Some(&ns),
        &mut no_pods,
        &mut || false,
    );
    assert!(d.allowed);
}

#[test]
fn exempt_namespace_warns_that_its_policy_is_ignored() {
    let config = Configuration {
        exemptions: Exemptions {
            namespaces: vec!["test".into()],
            ..Exemptions::default()
        },
        ..Configuration::default()
    };
    let ns = labels(&[
        ("enforce", "restricted"),
        ("enforce-version", "v1.0"),
        ("audit", "restricted"),
        ("warn", "baseline"),
    ]);
    let d = admit_namespace(
        &config,
        &request(Operation::Create, "namespaces", "test"),
        &ns,
        None,
        &mut no_pods,
        &mut || false,
    );
    assert_eq!(
        d.warnings,
        vec!["namespace \"test\" is exempt from Pod Security, and the policy (enforce=restricted:v1.0, audit=restricted:latest, warn=baseline:latest) will be ignored"]
    );
}

#[test]
fn tightening_enforce_dry_runs_existing_pods() {
    let config = Configuration::default();
    let listed = |name: &str, controller: Option<&str>, pod: PodTemplate| ListedPod {
        name: name.into(),
        controller_uid: controller.map(str::to_owned),
        pod,
    };
    let mut list = || {
        Ok(vec![
            listed("pod4", Some("rs1"), root_pod()),
            listed("pod1", Some("rs1"), root_pod()),
            listed("ok", None, restricted_pod()),
            listed("pod9", None, root_pod()),
            listed("priv", None, privileged_pod()),
        ])
    };
    let old = labels(&[("enforce", "baseline")]);
    let new = labels(&[("enforce", "restricted")]);
    let update = request(Operation::Update, "namespaces", "test");
    let d = admit_namespace(&config, &update, &new, Some(&old), &mut list, &mut || false);
    assert!(d.allowed);
    assert_eq!(
        d.warnings[0],
        "existing pods in namespace \"test\" violate the new PodSecurity enforce level \"restricted:latest\""
    );
    assert_eq!(d.warnings[1], "pod1 (and 2 other pods): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile");
    assert!(d.warnings[2].starts_with("priv: privileged, allowPrivilegeEscalation != false"));
    assert_eq!(d.warnings.len(), 3);

    // Loosening, or the same level, needs no dry run.
    admit_namespace(&config, &update, &old, Some(&new), &mut no_pods, &mut || false);
    admit_namespace(&config, &update, &new, Some(&new), &mut no_pods, &mut || false);

    // Out of time after the first pod: the prioritised first pod of rs1 was checked.
    let d = admit_namespace(&config, &update, &new, Some(&old), &mut list, &mut || true);
    assert_eq!(
        d.warnings[0],
        "new PodSecurity enforce level only checked against the first 1 of 5 existing pods"
    );
    assert_eq!(
        d.warnings[2],
        "pod4: allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile"
    );

    let d = admit_namespace(
        &config,
        &update,
        &new,
        Some(&old),
        &mut || Err("forbidden".into()),
        &mut || false,
    );
    assert_eq!(
        d.warnings,
        vec!["failed to list pods while checking new PodSecurity enforce level"]
    );
}

#[test]
fn policy_labels_round_trip() {
    let policy = Policy {
        enforce: lv(Level::Restricted, Version::V1(30)),
        audit: lv(Level::Baseline, Version::Latest),
        warn: lv(Level::Restricted, Version::Latest),
    };
    assert_eq!(namespace_policy(&policy.to_labels(), &Policy::default()).policy, policy);
}

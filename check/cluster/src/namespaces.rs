//! The namespace dry run: for each namespace, what its Pod Security labels enforce today, what
//! a stricter `enforce` label would break — the API server's own warnings for that label
//! change (`tailor_pss::admission::dry_run`, spec §7.8) over the namespace's workloads — and
//! the label set to apply. Pure: it takes the namespaces' labels and the workloads' pods.
//!
//! Workloads stand for their pods (replicas are folded into their owner), so a warning names
//! `deployment/web` where the API server would name one of its pods.

use std::collections::BTreeMap;

use tailor_check::report::{EnforceDryRun, NamespaceDryRun};
use tailor_kube::PodTemplate;
use tailor_pss::admission::{self, ExistingPod, Labels, LevelVersion, Policy};
use tailor_pss::{Level, Version};

/// One workload of a namespace: `kind/name` and its pod (after admission defaulting).
pub struct Workload<'a> {
    pub name: String,
    pub pod: &'a PodTemplate,
}

/// The dry run of one namespace with `labels`, over its `workloads`, for label changes to
/// `version` (the `--version` of the check).
pub fn dry_run(namespace: &str, labels: &Labels, workloads: &[Workload<'_>], version: Version) -> NamespaceDryRun {
    let resolved = admission::namespace_policy(labels, &Policy::default());
    let policy = resolved.policy;
    let pods: Vec<ExistingPod<'_>> = workloads
        .iter()
        .map(|w| ExistingPod {
            name: &w.name,
            controller_uid: None,
            metadata: &w.pod.metadata,
            spec: &w.pod.spec,
        })
        .collect();
    let warnings = |enforce: LevelVersion| {
        admission::dry_run(
            namespace,
            enforce,
            &admission::Exemptions::default(),
            &pods,
            &mut || false,
        )
    };
    let violating_today = if policy.enforce.level == Level::Privileged {
        Vec::new()
    } else {
        warnings(policy.enforce)
    };
    let stricter: Vec<EnforceDryRun> = [Level::Baseline, Level::Restricted]
        .into_iter()
        .filter(|&level| level > policy.enforce.level)
        .map(|level| {
            let enforce = LevelVersion::new(level, version);
            EnforceDryRun {
                enforce: enforce.to_string(),
                warnings: warnings(enforce),
            }
        })
        .collect();
    // The strictest level nothing breaks at; never looser than what is enforced today.
    let passing = stricter
        .iter()
        .zip(
            [Level::Baseline, Level::Restricted]
                .into_iter()
                .filter(|&l| l > policy.enforce.level),
        )
        .take_while(|(run, _)| run.warnings.is_empty())
        .last()
        .map(|(_, level)| level)
        .unwrap_or(policy.enforce.level);
    NamespaceDryRun {
        namespace: namespace.to_owned(),
        enforce: policy.enforce.to_string(),
        audit: policy.audit.to_string(),
        warn: policy.warn.to_string(),
        label_errors: resolved.errors.iter().map(ToString::to_string).collect(),
        violating_today,
        stricter,
        labels: labels_to_apply(passing, version),
    }
}

/// Enforce `level`, warn and audit at restricted (so the next step shows up in warnings and
/// audit logs), every version pinned to the policy version `version` stands for today.
fn labels_to_apply(level: Level, version: Version) -> BTreeMap<String, String> {
    let pinned = version.policy();
    let policy = Policy {
        enforce: LevelVersion::new(level, pinned),
        audit: LevelVersion::new(Level::Restricted, pinned),
        warn: LevelVersion::new(Level::Restricted, pinned),
    };
    policy.to_labels()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use tailor_kube::PodBearingKind;

    fn pod(spec: serde_json::Value) -> PodTemplate {
        let object = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec});
        let mut pod = PodTemplate::extract(PodBearingKind::Pod, &object).unwrap().unwrap();
        tailor_kube::defaults::apply_admission_defaults(&mut pod);
        pod
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (format!("pod-security.kubernetes.io/{k}"), v.to_string()))
            .collect()
    }

    #[test]
    fn a_privileged_workload_breaks_baseline_and_restricted_and_the_labels_stay_privileged() {
        let privileged =
            pod(json!({"containers": [{"name": "c", "image": "i", "securityContext": {"privileged": true}}]}));
        let run = dry_run(
            "gpu",
            &Labels::new(),
            &[Workload {
                name: "daemonset/driver".into(),
                pod: &privileged,
            }],
            Version::Latest,
        );
        assert_eq!(run.enforce, "privileged:latest");
        assert_eq!(run.stricter.len(), 2);
        assert_eq!(
            run.stricter[0].warnings,
            [
                "existing pods in namespace \"gpu\" violate the new PodSecurity enforce level \"baseline:latest\"",
                "daemonset/driver: privileged",
            ]
        );
        assert_eq!(run.labels["pod-security.kubernetes.io/enforce"], "privileged");
        assert_eq!(run.labels["pod-security.kubernetes.io/warn"], "restricted");
    }

    #[test]
    fn a_baseline_namespace_whose_workloads_meet_restricted_can_enforce_restricted() {
        let hardened = pod(json!({
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{"name": "c", "image": "i", "securityContext": {
                "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}}}]}));
        let run = dry_run(
            "ml",
            &labels(&[("enforce", "baseline"), ("enforce-version", "v1.30")]),
            &[Workload {
                name: "deployment/web".into(),
                pod: &hardened,
            }],
            Version::Latest,
        );
        assert_eq!(run.enforce, "baseline:v1.30");
        assert_eq!(run.warn, "baseline:v1.30", "warn follows enforce");
        assert_eq!(run.stricter.len(), 1);
        assert!(run.stricter[0].warnings.is_empty());
        assert_eq!(run.labels["pod-security.kubernetes.io/enforce"], "restricted");
        assert_eq!(
            run.labels["pod-security.kubernetes.io/enforce-version"],
            Version::Latest.policy().to_string()
        );
    }

    #[test]
    fn workloads_already_rejected_by_todays_label_are_reported_and_the_label_is_not_loosened() {
        let root = pod(json!({"hostNetwork": true, "containers": [{"name": "c", "image": "i"}]}));
        let run = dry_run(
            "edge",
            &labels(&[("enforce", "restricted")]),
            &[Workload {
                name: "pod/old".into(),
                pod: &root,
            }],
            Version::Latest,
        );
        assert!(
            run.violating_today
                .iter()
                .any(|w| w.starts_with("pod/old: host namespaces")),
            "{:?}",
            run.violating_today
        );
        assert!(run.stricter.is_empty());
        assert_eq!(run.labels["pod-security.kubernetes.io/enforce"], "restricted");
    }
}

//! The check registry: which check implementations run, in which order, for a level and
//! version (spec §1.3 to §1.5).
//!
//! For every (level, numbered version) the list of active implementations is computed once,
//! on first use, so evaluating a pod is a plain loop over function pointers:
//! - `baseline`: every baseline check with an implementation at the version;
//! - `restricted`: the active baseline checks that no active restricted implementation
//!   overrides, then the active restricted checks;
//! - each group ordered by check ID, byte-wise (so `seLinuxOptions` < `seccompProfile_baseline`).
//!
//! `latest` and versions newer than [`MAX_VERSION`] evaluate as [`MAX_VERSION`].

use std::sync::OnceLock;

use tailor_kube::{ObjectMeta, PodSpec};

use crate::checks::{self, Check, CheckFn, CheckResult};
use crate::{Evaluation, Level, Version, Violation, MAX_VERSION};

/// One check implementation scheduled to run.
#[derive(Clone, Copy)]
struct Scheduled {
    id: &'static str,
    check: CheckFn,
}

/// Scheduled implementations for baseline and restricted, indexed by policy minor version.
struct Plans {
    baseline: Vec<Vec<Scheduled>>,
    restricted: Vec<Vec<Scheduled>>,
}

fn plans() -> &'static Plans {
    static PLANS: OnceLock<Plans> = OnceLock::new();
    PLANS.get_or_init(|| {
        let minors = 0..=MAX_VERSION.minor();
        Plans {
            baseline: minors
                .clone()
                .map(|m| schedule(Level::Baseline, Version::V1(m)))
                .collect(),
            restricted: minors.map(|m| schedule(Level::Restricted, Version::V1(m))).collect(),
        }
    })
}

/// The checks of `level` in ID order, each with its implementation at `version`.
fn active(level: Level, version: Version) -> Vec<(&'static Check, &'static checks::VersionedCheck)> {
    let mut active: Vec<_> = checks::ALL
        .iter()
        .copied()
        .filter(|check| check.level == level)
        .filter_map(|check| Some((check, check.at(version)?)))
        .collect();
    active.sort_by_key(|(check, _)| check.id);
    active
}

fn schedule(level: Level, version: Version) -> Vec<Scheduled> {
    let scheduled = |(check, implementation): (&'static Check, &'static checks::VersionedCheck)| Scheduled {
        id: check.id,
        check: implementation.check,
    };
    match level {
        Level::Privileged => Vec::new(),
        Level::Baseline => active(Level::Baseline, version).into_iter().map(scheduled).collect(),
        Level::Restricted => {
            let restricted = active(Level::Restricted, version);
            let overridden: Vec<&str> = restricted
                .iter()
                .flat_map(|(_, implementation)| implementation.overrides.iter().copied())
                .collect();
            active(Level::Baseline, version)
                .into_iter()
                .filter(|(check, _)| !overridden.contains(&check.id))
                .chain(restricted)
                .map(scheduled)
                .collect()
        }
    }
}

fn scheduled(level: Level, version: Version) -> &'static [Scheduled] {
    let minor = version.minor() as usize;
    match level {
        Level::Privileged => &[],
        Level::Baseline => &plans().baseline[minor],
        Level::Restricted => &plans().restricted[minor],
    }
}

/// The IDs of the checks that run at `level` and `version`, in evaluation order.
pub fn check_ids(level: Level, version: Version) -> Vec<&'static str> {
    scheduled(level, version).iter().map(|s| s.id).collect()
}

/// Evaluates a pod at `level` and `version`, exactly as the admission library does. The pod
/// must already carry the API-server defaults admission sees (`tailor_kube::defaults`).
pub fn evaluate(level: Level, version: Version, metadata: &ObjectMeta, spec: &PodSpec) -> Evaluation {
    let violations = scheduled(level, version)
        .iter()
        .filter_map(|s| {
            let result = (s.check)(metadata, spec);
            (!result.allowed).then_some(Violation {
                check: s.id,
                reason: result.reason,
                detail: result.detail,
                fields: result.fields,
            })
        })
        .collect();
    Evaluation {
        level,
        version,
        policy_version: version.policy(),
        violations,
    }
}

/// Runs the one implementation of check `id` that is active at `version` (capped like
/// [`evaluate`]), regardless of level and overrides. `None` for an unknown ID or a version
/// before the check existed.
pub fn check_result(id: &str, version: Version, metadata: &ObjectMeta, spec: &PodSpec) -> Option<CheckResult> {
    let check = checks::ALL.iter().find(|check| check.id == id)?;
    let implementation = check.at(version.policy())?;
    Some((implementation.check)(metadata, spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_version_is_the_newest_implementation() {
        let newest = checks::ALL
            .iter()
            .flat_map(|check| check.versions.iter().map(|v| v.min_version))
            .max();
        assert_eq!(newest, Some(MAX_VERSION));
    }

    #[test]
    fn implementations_are_in_ascending_version_order_with_unique_ids() {
        for check in checks::ALL {
            assert!(
                check.versions.windows(2).all(|w| w[0].min_version < w[1].min_version),
                "{}",
                check.id
            );
            assert_eq!(checks::ALL.iter().filter(|c| c.id == check.id).count(), 1);
        }
    }

    #[test]
    fn overrides_name_baseline_checks() {
        for check in checks::ALL {
            for implementation in check.versions {
                assert!(implementation.overrides.is_empty() || check.level == Level::Restricted);
                for id in implementation.overrides {
                    let target = checks::ALL.iter().find(|c| c.id == *id).expect(id);
                    assert_eq!(target.level, Level::Baseline, "{id}");
                }
            }
        }
    }

    #[test]
    fn baseline_order_at_latest() {
        assert_eq!(
            check_ids(Level::Baseline, Version::Latest),
            [
                "appArmorProfile",
                "capabilities_baseline",
                "hostNamespaces",
                "hostPathVolumes",
                "hostPorts",
                "hostProbesAndHostLifecycle",
                "privileged",
                "procMount",
                "seLinuxOptions",
                "seccompProfile_baseline",
                "sysctls",
                "windowsHostProcess",
            ]
        );
    }

    #[test]
    fn restricted_applies_overrides_from_their_versions() {
        assert_eq!(
            check_ids(Level::Restricted, Version::Latest),
            [
                "appArmorProfile",
                "hostNamespaces",
                "hostPorts",
                "hostProbesAndHostLifecycle",
                "privileged",
                "seLinuxOptions",
                "sysctls",
                "windowsHostProcess",
                "allowPrivilegeEscalation",
                "capabilities_restricted",
                "procMount_restricted",
                "restrictedVolumes",
                "runAsNonRoot",
                "runAsUser",
                "seccompProfile_restricted",
            ]
        );
        assert_eq!(
            check_ids(Level::Restricted, Version::V1(0)),
            [
                "appArmorProfile",
                "capabilities_baseline",
                "hostNamespaces",
                "hostPorts",
                "privileged",
                "procMount",
                "seLinuxOptions",
                "seccompProfile_baseline",
                "sysctls",
                "windowsHostProcess",
                "restrictedVolumes",
                "runAsNonRoot",
            ]
        );
        let at = |minor| check_ids(Level::Restricted, Version::V1(minor));
        assert!(at(18).contains(&"seccompProfile_baseline") && !at(19).contains(&"seccompProfile_baseline"));
        assert!(at(21).contains(&"capabilities_baseline") && !at(22).contains(&"capabilities_baseline"));
        assert!(at(34).contains(&"procMount") && !at(35).contains(&"procMount"));
        assert!(!at(7).contains(&"allowPrivilegeEscalation") && at(8).contains(&"allowPrivilegeEscalation"));
        assert!(!at(22).contains(&"runAsUser") && at(23).contains(&"runAsUser"));
        assert!(!at(33).contains(&"hostProbesAndHostLifecycle") && at(34).contains(&"hostProbesAndHostLifecycle"));
    }

    #[test]
    fn privileged_runs_nothing_and_future_versions_are_capped() {
        assert!(check_ids(Level::Privileged, Version::Latest).is_empty());
        assert_eq!(
            check_ids(Level::Restricted, Version::V1(10000)),
            check_ids(Level::Restricted, MAX_VERSION)
        );
    }

    #[test]
    fn check_result_runs_one_implementation() {
        let spec = PodSpec {
            host_pid: Some(true),
            ..PodSpec::default()
        };
        let meta = ObjectMeta::default();
        let result = check_result("hostNamespaces", Version::V1(0), &meta, &spec).unwrap();
        assert_eq!(
            (result.reason.as_str(), result.detail.as_str()),
            ("host namespaces", "hostPID=true")
        );
        assert!(check_result("runAsUser", Version::V1(22), &meta, &spec).is_none());
        assert!(check_result("noSuchCheck", Version::Latest, &meta, &spec).is_none());
    }
}

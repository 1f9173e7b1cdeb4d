//! The library on the real profiles of `../shared/corpus/seccomp`: moby's default profile
//! (and its fixtures), the Security Profiles Operator's profiles and CRD examples, the
//! Kubernetes website example. Prints a loud SKIPPED when `../shared` is absent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use tailor_seccomp::kube::{read_profiles, to_seccomp_profile_crd, NamedProfile};
use tailor_seccomp::score::{runtime_default_names, RUNTIME_DEFAULT_BY_ARCH, RUNTIME_DEFAULT_BY_CAPABILITY};
use tailor_seccomp::{diff, merge, score, Arch, Profile};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus/seccomp");

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(CORPUS);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("\n==================== SKIPPED: ../shared not found ({CORPUS}) ====================\n");
        None
    }
}

fn read(path: &Path) -> Vec<NamedProfile> {
    let text = std::fs::read_to_string(path).unwrap();
    read_profiles(&text).unwrap_or_else(|err| panic!("{}:{err}", path.display()))
}

fn one(path: &Path) -> Profile {
    let mut profiles = read(path);
    assert_eq!(profiles.len(), 1, "{}", path.display());
    profiles.remove(0).profile
}

/// Every profile file of the corpus: JSON profiles and YAML streams holding SeccompProfiles.
fn profile_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json")
                || std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .any(|line| line == "kind: SeccompProfile")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn moby_default(dir: &Path) -> Profile {
    one(&dir.join("moby__moby/profiles/seccomp/default.json"))
}

#[test]
fn embedded_runtime_default_matches_the_real_moby_profile() {
    let Some(dir) = corpus() else { return };
    let moby = moby_default(&dir);
    let as_strings = |names: BTreeSet<&str>| -> BTreeSet<String> { names.into_iter().map(str::to_string).collect() };
    for arch in Arch::ALL {
        let none = moby.effective(arch, &BTreeSet::new());
        assert_eq!(
            none.allowed,
            as_strings(runtime_default_names(arch, &BTreeSet::new())),
            "{arch}: regenerate the RUNTIME_DEFAULT_* tables from moby's default.json"
        );
        for (cap, _) in RUNTIME_DEFAULT_BY_CAPABILITY {
            let caps: BTreeSet<String> = [cap.to_string()].into_iter().collect();
            let with_cap = moby.effective(arch, &caps);
            assert_eq!(
                with_cap.allowed,
                as_strings(runtime_default_names(arch, &caps)),
                "{arch} {cap}"
            );
        }
    }
    // The x86_64 default counts 366 names (some of other architectures): a tripwire for
    // tables edited by hand.
    assert_eq!(runtime_default_names(Arch::X86_64, &BTreeSet::new()).len(), 366);
    // Every capability and architecture moby's profile conditions on is in the tables.
    let unconditional_allow = || {
        moby.syscalls
            .iter()
            .filter(|rule| rule.action.lets_syscall_run() && rule.args.is_empty())
    };
    let conditioned: BTreeSet<&str> = unconditional_allow()
        .flat_map(|rule| rule.includes.caps.iter().map(String::as_str))
        .collect();
    let embedded_caps: BTreeSet<&str> = RUNTIME_DEFAULT_BY_CAPABILITY.iter().map(|(cap, _)| *cap).collect();
    assert_eq!(conditioned, embedded_caps);
    let arch_lists: BTreeSet<Vec<&str>> = unconditional_allow()
        .filter(|rule| !rule.includes.arches.is_empty())
        .map(|rule| rule.includes.arches.iter().map(String::as_str).collect())
        .collect();
    let embedded_arches: BTreeSet<Vec<&str>> = RUNTIME_DEFAULT_BY_ARCH
        .iter()
        .map(|(arches, _)| arches.to_vec())
        .collect();
    assert_eq!(arch_lists, embedded_arches);
}

#[test]
fn every_profile_parses_and_round_trips_byte_identically() {
    let Some(dir) = corpus() else { return };
    let files = profile_files(&dir);
    assert!(files.len() >= 10, "{files:?}");
    let mut profiles = 0;
    for path in &files {
        for named in read(path) {
            let emitted = named.profile.to_oci_json();
            let again =
                Profile::from_oci_json(&emitted).unwrap_or_else(|err| panic!("{}: re-reading: {err}", path.display()));
            assert_eq!(again, named.profile, "{}", path.display());
            assert_eq!(again.to_oci_json(), emitted, "{}", path.display());
            profiles += 1;
        }
    }
    assert!(profiles >= 15, "{profiles}");
}

#[test]
fn moby_profile_keeps_its_structure() {
    let Some(dir) = corpus() else { return };
    let moby = moby_default(&dir);
    assert_eq!(moby.default_errno_ret, Some(1));
    assert!(moby
        .arch_map
        .iter()
        .any(|entry| entry.architecture == "SCMP_ARCH_X86_64" && entry.sub_architectures.len() == 2));
    assert!(moby
        .syscalls
        .iter()
        .any(|rule| rule.names == ["clone"] && rule.args[0].op == "SCMP_CMP_MASKED_EQ"));
    assert!(moby
        .syscalls
        .iter()
        .any(|rule| rule.names == ["clone3"] && rule.errno_ret == Some(38)));
    let old = one(&dir.join("moby__profiles/seccomp/fixtures/default-old-format.json"));
    assert!(
        !old.syscalls.is_empty() && old.syscalls.iter().all(|rule| !rule.names.is_empty()),
        "legacy `name` folded into names"
    );
}

#[test]
fn spo_crds_round_trip_through_the_crd_form() {
    let Some(dir) = corpus() else { return };
    let examples = dir.join("kubernetes-sigs__security-profiles-operator/examples");
    let all = read(&examples.join("seccompprofile.yaml"));
    assert!(all.len() >= 4, "{}", all.len());
    for named in all.iter().chain(read(&examples.join("baseprofile-crun.yaml")).iter()) {
        let name = named.name.as_deref().unwrap();
        let yaml = to_seccomp_profile_crd(&named.profile, name, Some("default")).unwrap();
        let back = read_profiles(&yaml).unwrap();
        assert_eq!(back[0].profile, named.profile, "{name}");
        assert_eq!(
            to_seccomp_profile_crd(&back[0].profile, name, Some("default")).unwrap(),
            yaml
        );
    }
}

#[test]
fn merge_of_real_profiles_is_a_deterministic_union() {
    let Some(dir) = corpus() else { return };
    let spo = dir.join("kubernetes-sigs__security-profiles-operator");
    let inputs = [
        one(&spo.join("deploy/base/profiles/security-profiles-operator.json")),
        one(&spo.join("deploy/base/profiles/bpf-recorder.json")),
        read(&spo.join("examples/baseprofile-crun.yaml")).remove(0).profile,
    ];
    let merged = merge(&inputs, &[]).unwrap();
    let reversed: Vec<Profile> = inputs.iter().rev().cloned().collect();
    let merged_again = merge(&inputs, &[]).unwrap();
    assert_eq!(merged.profile.to_oci_json(), merged_again.profile.to_oci_json());
    let caps = BTreeSet::new();
    let union: BTreeSet<String> = inputs
        .iter()
        .flat_map(|p| p.effective(Arch::X86_64, &caps).allowed)
        .collect();
    assert_eq!(merged.profile.effective(Arch::X86_64, &caps).allowed, union);
    let reversed = merge(&reversed, &[]).unwrap();
    assert_eq!(
        reversed.profile.effective(Arch::X86_64, &caps).allowed,
        union,
        "order changes layout, not meaning"
    );
    // Nothing an input allowed is lost: A -> merged removes nothing.
    for input in &inputs {
        let d = diff(input, &merged.profile);
        assert!(d.removed.is_empty(), "{d:?}");
    }

    // The moby profile merged with itself is itself, in meaning.
    let moby = moby_default(&dir);
    let twice = merge(&[moby.clone(), moby.clone()], &[]).unwrap();
    for arch in [Arch::X86_64, Arch::Aarch64, Arch::S390x] {
        for caps in [vec![], vec!["CAP_SYS_ADMIN".to_string()]] {
            let caps: BTreeSet<String> = caps.into_iter().collect();
            assert_eq!(
                twice.profile.effective(arch, &caps),
                moby.effective(arch, &caps),
                "{arch} {caps:?}"
            );
        }
    }
    assert!(
        diff(&moby, &twice.profile).is_empty(),
        "{:?}",
        diff(&moby, &twice.profile)
    );
}

#[test]
fn diff_of_real_profiles() {
    let Some(dir) = corpus() else { return };
    let examples = dir.join("kubernetes-sigs__security-profiles-operator/examples");
    let before = read(&examples.join("seccompprofile-allowed-syscalls-validation.yaml"));
    let after = read(&examples.join("seccompprofile-allowed-syscalls-change.yaml"));
    let d = diff(&before[0].profile, &after[0].profile);
    eprintln!("{}", d.to_text("validation", "change"));
    assert!(diff(&before[0].profile, &before[0].profile).is_empty());

    let moby = moby_default(&dir);
    let crun = read(&examples.join("baseprofile-crun.yaml")).remove(0).profile;
    let d = diff(&crun, &moby);
    let text = d.to_text("crun", "moby");
    assert!(!d.is_empty());
    // moby refuses clone3 without CAP_SYS_ADMIN (ENOSYS, 38): a change or an addition.
    assert!(text.contains("clone3"), "{text}");
}

#[test]
fn score_of_real_profiles() {
    let Some(dir) = corpus() else { return };
    let moby = moby_default(&dir);
    let s = score(&moby, Some(Arch::X86_64), &[]);
    assert_eq!(s.allowed, s.runtime_default, "the runtime default scores as itself");
    assert!(s.beyond_runtime_default.is_empty(), "{:?}", s.beyond_runtime_default);
    assert!(s.conditional.contains(&"clone".to_string()) && s.conditional.contains(&"personality".to_string()));
    let dangerous: BTreeSet<&str> = s.dangerous.iter().map(|d| d.syscall.as_str()).collect();
    // moby keeps ptrace & co. (kernel >= 4.8) and refuses io_uring, keyctl, mount, bpf, … .
    assert_eq!(
        dangerous,
        ["process_vm_readv", "process_vm_writev", "ptrace"]
            .into_iter()
            .collect()
    );
    let admin = score(&moby, Some(Arch::X86_64), &["CAP_SYS_ADMIN".to_string()]);
    assert!(admin.dangerous.iter().any(|d| d.syscall == "mount" && d.reachable));

    let violation =
        one(&dir.join("kubernetes__website/content/en/examples/pods/security/seccomp/profiles/violation.json"));
    let s = score(&violation, None, &[]);
    assert_eq!(s.allowed, 0);
}

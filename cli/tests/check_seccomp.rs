//! End-to-end tests of the Localhost seccomp rules of `tailor check` (issue 4, item 4): the
//! binary reads the profiles workloads reference from `--seccomp-dir` or from
//! `SeccompProfile` objects among the manifests, scores them, and reports privileged containers
//! whose profile the runtime does not apply.

mod common;

use std::ffi::OsStr;
use std::path::Path;

use serde_json::{json, Value};

use common::{findings_of_rules, json, tailor, temp_dir};

/// A tight profile that still allows `mount` and `bpf`.
fn agent_profile() -> String {
    json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["read", "write", "exit_group", "futex", "mount", "bpf"], "action": "SCMP_ACT_ALLOW"}]
    })
    .to_string()
}

const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: agent
  namespace: ops
spec:
  containers:
  - name: agent
    image: example/agent:1
    securityContext:
      privileged: true
      seccompProfile:
        type: Localhost
        localhostProfile: profiles/agent.json
  - name: sidecar
    image: example/sidecar:1
    securityContext:
      capabilities:
        add: [SYS_ADMIN]
      seccompProfile:
        type: Localhost
        localhostProfile: profiles/agent.json
  - name: gone
    image: example/gone:1
    securityContext:
      seccompProfile:
        type: Localhost
        localhostProfile: profiles/gone.json
";

/// `tailor check MANIFEST [--seccomp-dir DIR] -o json`: the seccomp findings and the exit code.
fn check(manifest: &Path, seccomp_dir: Option<&Path>) -> (Vec<Value>, Option<i32>) {
    let mut args = vec![OsStr::new("check"), manifest.as_os_str()];
    if let Some(dir) = seccomp_dir {
        args.extend([OsStr::new("--seccomp-dir"), dir.as_os_str()]);
    }
    args.extend([OsStr::new("-o"), OsStr::new("json")]);
    let output = tailor(&args);
    let report = json(&output);
    let findings = findings_of_rules(&report, &["TLR-seccomp-"])
        .into_iter()
        .cloned()
        .collect();
    (findings, output.status.code())
}

fn by_container<'a>(findings: &'a [Value], container: &str) -> &'a Value {
    findings
        .iter()
        .find(|f| f["container"] == container)
        .unwrap_or_else(|| panic!("no seccomp finding on {container}: {findings:#?}"))
}

#[test]
fn privileged_pod_with_a_profile_from_the_seccomp_dir() {
    let dir = temp_dir("privileged");
    let root = dir.join("seccomp");
    std::fs::create_dir_all(root.join("profiles")).unwrap();
    std::fs::write(root.join("profiles/agent.json"), agent_profile()).unwrap();
    let manifest = dir.join("pod.yaml");
    std::fs::write(&manifest, PRIVILEGED_POD).unwrap();

    let (findings, code) = check(&manifest, Some(&root));
    assert_eq!(code, Some(1), "high findings fail the run by default");
    assert_eq!(findings.len(), 3, "{findings:#?}");

    let agent = by_container(&findings, "agent");
    assert_eq!(agent["rule"], "TLR-seccomp-privileged-ignored");
    assert_eq!(agent["severity"], "high");
    assert_eq!(agent["line"], 11, "points at privileged: true");
    let message = agent["message"].as_str().unwrap();
    assert!(
        message.contains("apply no seccomp profile to privileged containers"),
        "{message}"
    );
    assert!(
        message.contains("kernel's syscall filter become the real boundary"),
        "{message}"
    );
    assert!(message.contains("allows 6 syscalls on x86_64"), "{message}");
    assert!(message.ends_with("would still allow bpf, mount"), "{message}");

    let sidecar = by_container(&findings, "sidecar");
    assert_eq!(sidecar["rule"], "TLR-seccomp-localhost-unlocked");
    assert_eq!(sidecar["line"], 22);
    let message = sidecar["message"].as_str().unwrap();
    assert!(
        message.contains("mount (the container holds CAP_SYS_ADMIN)"),
        "{message}"
    );
    assert!(
        message.contains(&root.join("profiles/agent.json").display().to_string()),
        "{message}"
    );

    let gone = by_container(&findings, "gone");
    assert_eq!(gone["rule"], "TLR-seccomp-localhost-missing");
    assert_eq!(gone["severity"], "medium");
    assert!(
        gone["message"].as_str().unwrap().contains("CreateContainerError"),
        "{gone}"
    );

    // Without --seccomp-dir only what the manifest alone tells is reported.
    let (findings, _) = check(&manifest, None);
    let rules: Vec<&str> = findings.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["TLR-seccomp-privileged-ignored"]);
}

#[test]
fn deployment_and_seccomp_profile_object_in_one_file() {
    let dir = temp_dir("operator");
    let manifest = dir.join("app.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpd
  namespace: web
spec:
  selector:
    matchLabels: {app: httpd}
  template:
    metadata:
      labels: {app: httpd}
    spec:
      securityContext:
        seccompProfile:
          type: Localhost
          localhostProfile: operator/web/httpd.json
      containers:
      - name: httpd
        image: example/httpd:1
        securityContext:
          capabilities:
            drop: [ALL]
---
apiVersion: security-profiles-operator.x-k8s.io/v1beta1
kind: SeccompProfile
metadata:
  name: httpd
  namespace: web
spec:
  defaultAction: SCMP_ACT_ERRNO
  architectures: [SCMP_ARCH_X86_64]
  syscalls:
  - action: SCMP_ACT_ALLOW
    names: [accept4, bind, close, exit_group, listen, read, write, mount]
",
    )
    .unwrap();
    // An empty seccomp root: the operator's object wins over what the node holds today.
    let root = dir.join("seccomp");
    std::fs::create_dir_all(&root).unwrap();
    for seccomp_dir in [None, Some(root.as_path())] {
        let (findings, code) = check(&manifest, seccomp_dir);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        let finding = &findings[0];
        assert_eq!(finding["rule"], "TLR-seccomp-localhost-profile");
        assert_eq!(finding["severity"], "info");
        assert_eq!(finding["kind"], "Deployment");
        assert_eq!(finding["line"], 16, "points at localhostProfile");
        let message = finding["message"].as_str().unwrap();
        assert!(message.contains("(SeccompProfile web/httpd at "), "{message}");
        assert!(message.contains("allows 8 syscalls on x86_64"), "{message}");
        assert!(
            message.contains("out of reach without their capabilities: mount"),
            "{message}"
        );
        assert_eq!(code, Some(0), "{message}");
    }
}

#[test]
fn unreadable_profiles_are_input_errors_naming_the_file() {
    let dir = temp_dir("errors");
    let root = dir.join("seccomp");
    std::fs::create_dir_all(root.join("profiles")).unwrap();
    std::fs::write(
        root.join("profiles/agent.json"),
        "{\"defaultAction\": \"SCMP_ACT_NOPE\"}",
    )
    .unwrap();
    let manifest = dir.join("pod.yaml");
    std::fs::write(
        &manifest,
        PRIVILEGED_POD.replace("privileged: true", "privileged: false"),
    )
    .unwrap();
    let output = tailor(&[
        OsStr::new("check"),
        manifest.as_os_str(),
        OsStr::new("--seccomp-dir"),
        root.as_os_str(),
        OsStr::new("-o"),
        OsStr::new("json"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let file = root.join("profiles/agent.json").display().to_string();
    assert!(stderr.contains(&format!("{file}:1:")), "{stderr}");
    assert!(stderr.contains("defaultAction"), "{stderr}");
    // The other containers are still evaluated and reported.
    let report = json(&output);
    let rules: Vec<&str> = findings_of_rules(&report, &["TLR-seccomp-"])
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["TLR-seccomp-localhost-missing"]);

    // A seccomp root that does not exist is a usage error, not a list of missing profiles.
    let output = tailor(&[
        OsStr::new("check"),
        manifest.as_os_str(),
        OsStr::new("--seccomp-dir"),
        dir.join("nope").as_os_str(),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nope"));

    // A broken SeccompProfile object is an input error at its spec.
    let broken = dir.join("broken.yaml");
    std::fs::write(
        &broken,
        "apiVersion: security-profiles-operator.x-k8s.io/v1alpha1\nkind: SeccompProfile\nmetadata:\n  name: b\nspec:\n  defaultAction: SCMP_ACT_NOPE\n",
    )
    .unwrap();
    let output = tailor(&[
        OsStr::new("check"),
        broken.as_os_str(),
        OsStr::new("-o"),
        OsStr::new("json"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("broken.yaml:6:") && stderr.contains("SeccompProfile b: spec.defaultAction"),
        "{stderr}"
    );
}

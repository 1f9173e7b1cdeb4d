//! `tailor record`: runs real programs and checks the recorded profile, the exit status
//! and signals. Skips loudly where the kernel refuses seccomp user notification (no
//! seccomp, or `pidfd_getfd` not permitted by a ptrace policy).

#![cfg(target_os = "linux")]

mod common;

use std::process::Output;

use serde_json::Value;

/// `tailor record ARGS...`.
fn record(args: &[&str]) -> Output {
    let mut all = vec!["record"];
    all.extend_from_slice(args);
    common::tailor(&all)
}

/// Whether recording works here; prints a loud SKIPPED line when it does not.
fn recording_permitted() -> bool {
    let probe = record(&["--", "/bin/true"]);
    if probe.status.success() {
        return true;
    }
    let stderr = String::from_utf8_lossy(&probe.stderr);
    assert!(
        stderr.contains("seccomp") || stderr.contains("pidfd"),
        "recording /bin/true failed for another reason than permissions:\n{stderr}"
    );
    eprintln!("\n==================== SKIPPED: tailor record is not permitted here ====================\n{stderr}");
    false
}

/// The allowed syscall names of an OCI profile, checking its shape on the way.
fn allowed(output: &Output) -> Vec<String> {
    let profile = common::json(output);
    assert_eq!(profile["defaultAction"], "SCMP_ACT_ERRNO");
    assert_eq!(profile["defaultErrnoRet"], 1, "EPERM");
    let architectures = profile["architectures"].as_array().expect("architectures");
    assert!(!architectures.is_empty());
    let rules = profile["syscalls"].as_array().expect("syscalls");
    assert_eq!(rules.len(), 1, "one allow rule: {profile}");
    assert_eq!(rules[0]["action"], "SCMP_ACT_ALLOW");
    let names: Vec<String> = rules[0]["names"]
        .as_array()
        .expect("names")
        .iter()
        .map(|name| name.as_str().expect("name is a string").to_string())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted, "names are sorted and unique");
    names
}

fn has(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n == name)
}

#[test]
fn a_shell_command_is_recorded_and_its_exit_code_passes_through() {
    if !recording_permitted() {
        return;
    }
    let output = record(&["--", "sh", "-c", "ls / > /dev/null; exit 3"]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let names = allowed(&output);
    for expected in ["execve", "exit_group", "getdents64", "openat"] {
        assert!(has(&names, expected), "{expected} missing from {names:?}");
    }
    // ls runs in a forked child: its directory reading is only there if children are followed.
    assert!(has(&names, "clone") || has(&names, "clone3") || has(&names, "fork") || has(&names, "vfork"));
}

#[test]
fn descendants_that_outlive_the_command_are_recorded() {
    if !recording_permitted() {
        return;
    }
    // The subshell's `sleep` is orphaned when sh exits; recording waits for it.
    let output = record(&["--", "sh", "-c", "(sleep 0.2 &) ; exit 0"]);
    assert_eq!(output.status.code(), Some(0));
    let names = allowed(&output);
    assert!(
        has(&names, "clock_nanosleep") || has(&names, "nanosleep"),
        "sleep's syscall missing: {names:?}"
    );
}

#[test]
fn threads_are_recorded() {
    if !recording_permitted() {
        return;
    }
    // `tailor check` itself is multi-threaded (rayon): record it checking two manifests.
    let dir = std::env::temp_dir().join(format!("tailor-record-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pod = dir.join("pod.yaml");
    std::fs::write(
        &pod,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\n",
    )
    .unwrap();
    let pod = pod.to_str().unwrap();
    let plain = common::tailor(&["check", pod, pod]);
    // The recorded program's report goes to stdout: the profile goes to a file.
    let profile = dir.join("profile.json");
    let output = record(&[
        "-o",
        profile.to_str().unwrap(),
        "--",
        env!("CARGO_BIN_EXE_tailor"),
        "check",
        pod,
        pod,
    ]);
    assert_eq!(
        output.status.code(),
        plain.status.code(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.stdout, plain.stdout, "the program's own output passes through");
    let names = allowed(&Output {
        stdout: std::fs::read(&profile).unwrap(),
        ..output
    });
    assert!(
        has(&names, "clone3") || has(&names, "clone"),
        "no thread was started: {names:?}"
    );
    assert!(has(&names, "futex"), "{names:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_signal_ending_the_command_gives_128_plus_the_signal() {
    if !recording_permitted() {
        return;
    }
    let output = record(&["--", "sh", "-c", "kill -TERM $$"]);
    assert_eq!(
        output.status.code(),
        Some(143),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let names = allowed(&output);
    assert!(has(&names, "kill"), "{names:?}");
}

#[test]
fn sigint_to_tailor_reaches_the_command_and_the_profile_is_still_written() {
    if !recording_permitted() {
        return;
    }
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(["record", "--", "sleep", "30"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SAFETY-free: `kill` the binary by its own pid only.
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let names = allowed(&output);
    assert!(has(&names, "clock_nanosleep") || has(&names, "nanosleep"), "{names:?}");
}

#[test]
fn recording_is_deterministic_and_written_0600() {
    if !recording_permitted() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("tailor-record-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = dir.join("first.json");
    let second = dir.join("second.json");
    for file in [&first, &second] {
        let output = record(&["-o", file.to_str().unwrap(), "--", "/bin/true"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.stdout.is_empty());
    }
    let first_text = std::fs::read(&first).unwrap();
    assert_eq!(
        first_text,
        std::fs::read(&second).unwrap(),
        "two recordings of /bin/true differ"
    );
    let profile: Value = serde_json::from_slice(&first_text).unwrap();
    assert!(profile["syscalls"][0]["names"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "execve"));
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&first).unwrap().permissions().mode() & 0o777, 0o600);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_missing_command_is_an_input_error() {
    let output = record(&["--", "tailor-no-such-command-xyz"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("tailor-no-such-command-xyz: command not found"));
    if !recording_permitted() {
        return;
    }
    // A path is executed as is: the failure comes from execve in the recorded child.
    let output = record(&["--", "/nonexistent-dir/prog"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot run /nonexistent-dir/prog: No such file or directory"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no profile for a program that never ran");
}

#[test]
fn kubernetes_forms_carry_the_recorded_names() {
    if !recording_permitted() {
        return;
    }
    let crd = record(&["--format", "seccompprofile", "--name", "my-true", "--", "/bin/true"]);
    assert_eq!(
        crd.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&crd.stderr)
    );
    let crd = String::from_utf8(crd.stdout).unwrap();
    assert!(
        crd.starts_with("apiVersion: security-profiles-operator.x-k8s.io/"),
        "{crd}"
    );
    assert!(
        crd.contains("kind: SeccompProfile\n") && crd.contains("name: \"my-true\""),
        "{crd}"
    );
    assert!(
        crd.contains("  - execve\n") && crd.contains("  - exit_group\n"),
        "{crd}"
    );

    let dir = std::env::temp_dir().join(format!("tailor-record-localhost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("true.json");
    let localhost = record(&[
        "--format",
        "k8s-localhost",
        "-o",
        file.to_str().unwrap(),
        "--",
        "/bin/true",
    ]);
    assert_eq!(
        localhost.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&localhost.stderr)
    );
    let guide = String::from_utf8(localhost.stdout).unwrap();
    assert!(guide.contains("/var/lib/kubelet/seccomp/tailor/true.json"), "{guide}");
    assert!(
        guide.contains("type: Localhost\n") && guide.contains("localhostProfile: \"tailor/true.json\""),
        "{guide}"
    );
    let profile: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(profile["defaultAction"], "SCMP_ACT_ERRNO");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_runtimes_calls_after_their_filter_are_added_unless_none() {
    if !recording_permitted() {
        return;
    }
    // /bin/true never calls epoll_ctl or fstatfs; runc's init does after installing the filter.
    let plain = allowed(&record(&["--runtime", "none", "--", "/bin/true"]));
    assert!(!has(&plain, "epoll_ctl") && !has(&plain, "fstatfs"), "{plain:?}");
    let for_runc = allowed(&record(&["--runtime", "runc", "--", "/bin/true"]));
    let by_default = allowed(&record(&["--", "/bin/true"]));
    for name in tailor_seccomp::runtime::Runtime::Runc.after_filter() {
        assert!(has(&for_runc, name) && has(&by_default, name), "{name} missing");
    }
}

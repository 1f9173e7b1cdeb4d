//! `tailor seccomp merge|diff|import|score`, run as a user runs them: files in, files or
//! stdout out, exit codes (0 done / no difference, 1 `diff` found differences, 2 bad input).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn allow_profile(names: &[&str]) -> String {
    let names: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    format!(
        r#"{{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64"],
            "syscalls":[{{"names":[{}],"action":"SCMP_ACT_ALLOW"}}]}}"#,
        names.join(",")
    )
}

fn code(output: &Output) -> i32 {
    output.status.code().expect("exited")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn allowed_names(profile: &Value) -> Vec<&str> {
    assert_eq!(profile["defaultAction"], "SCMP_ACT_ERRNO");
    assert_eq!(profile["defaultErrnoRet"], 1);
    let rules = profile["syscalls"].as_array().unwrap();
    assert_eq!(rules.len(), 1, "{profile}");
    assert_eq!(rules[0]["action"], "SCMP_ACT_ALLOW");
    rules[0]["names"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect()
}

#[test]
fn merge_writes_the_union_to_a_private_file_deterministically() {
    let dir = common::temp_dir("merge");
    let a = write(&dir, "a.json", &allow_profile(&["write", "read"]));
    let b = write(&dir, "b.json", &allow_profile(&["openat", "read"]));
    let out = dir.join("merged.json");
    let run = common::tailor(&[
        "seccomp".as_ref(),
        "merge".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let first = std::fs::read(&out).unwrap();
    let profile: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(allowed_names(&profile), ["openat", "read", "write"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let again = common::tailor(&["seccomp".as_ref(), "merge".as_ref(), a.as_os_str(), b.as_os_str()]);
    assert_eq!(again.stdout, first, "same input, same bytes");

    let crd = common::tailor(&[
        "seccomp".as_ref(),
        "merge".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "--format".as_ref(),
        "seccompprofile".as_ref(),
        "--name".as_ref(),
        "web".as_ref(),
        "--namespace".as_ref(),
        "shop".as_ref(),
    ]);
    assert_eq!(code(&crd), 0, "{}", stderr(&crd));
    let yaml = String::from_utf8(crd.stdout).unwrap();
    assert!(
        yaml.starts_with("apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"),
        "{yaml}"
    );
    assert!(yaml.contains("  name: \"web\"\n  namespace: \"shop\"\n"), "{yaml}");
    assert!(
        yaml.contains("    names:\n    - openat\n    - read\n    - write\n"),
        "{yaml}"
    );
}

#[test]
fn diff_exit_code_and_json() {
    let dir = common::temp_dir("diff");
    let a = write(&dir, "a.json", &allow_profile(&["read", "write"]));
    let b = write(&dir, "b.json", &allow_profile(&["read", "openat"]));
    let same = common::tailor(&["seccomp".as_ref(), "diff".as_ref(), a.as_os_str(), a.as_os_str()]);
    assert_eq!(code(&same), 0, "{}", stderr(&same));
    let text = common::tailor(&["seccomp".as_ref(), "diff".as_ref(), a.as_os_str(), b.as_os_str()]);
    assert_eq!(code(&text), 1, "differences exit 1: {}", stderr(&text));
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("+ SCMP_ACT_ALLOW (1): openat") && text.contains("- SCMP_ACT_ALLOW (1): write"),
        "{text}"
    );
    let json = common::tailor(&[
        "seccomp".as_ref(),
        "diff".as_ref(),
        a.as_os_str(),
        b.as_os_str(),
        "-o".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(code(&json), 1);
    let report = common::json(&json);
    assert_eq!(report["added"]["SCMP_ACT_ALLOW"], serde_json::json!(["openat"]));
    assert_eq!(report["removed"]["SCMP_ACT_ALLOW"], serde_json::json!(["write"]));
}

#[test]
fn import_audit_lines() {
    let dir = common::temp_dir("audit");
    let log = write(
        &dir,
        "audit.log",
        "type=SYSCALL msg=audit(1.1:1): arch=c000003e syscall=165 success=no\n\
         type=SECCOMP msg=audit(1700000000.1:2): auid=4294967295 uid=0 pid=7 comm=\"httpd\" sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000\n\
         type=SECCOMP msg=audit(1700000000.1:3): auid=4294967295 uid=0 pid=7 comm=\"httpd\" sig=0 arch=c000003e syscall=231 compat=0 ip=0x1 code=0x7ffc0000\n",
    );
    let run = common::tailor(&[
        "seccomp".as_ref(),
        "import".as_ref(),
        "--from".as_ref(),
        "audit".as_ref(),
        log.as_os_str(),
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let profile = common::json(&run);
    assert_eq!(allowed_names(&profile), ["exit_group", "read"]);
    assert_eq!(profile["architectures"][0], "SCMP_ARCH_X86_64");

    let bad = write(
        &dir,
        "bad.log",
        "type=SECCOMP msg=audit(1.1:2): pid=7 arch=c000003e syscall=99999\n",
    );
    let run = common::tailor(&[
        "seccomp".as_ref(),
        "import".as_ref(),
        "--from".as_ref(),
        "audit".as_ref(),
        bad.as_os_str(),
    ]);
    assert_eq!(code(&run), 2);
    assert!(
        stderr(&run).contains(&format!("{}:1:", bad.display())),
        "{}",
        stderr(&run)
    );
}

#[test]
fn import_real_strace_output() {
    let strace = Path::new("/usr/bin/strace");
    if !strace.exists() {
        eprintln!("\n==================== SKIPPED: /usr/bin/strace not installed ====================\n");
        return;
    }
    let dir = common::temp_dir("strace");
    let trace = dir.join("trace.txt");
    // A shell that forks a child: pid prefixes and (usually) unfinished/resumed pairs.
    let traced = std::process::Command::new(strace)
        .args(["-f", "-o"])
        .arg(&trace)
        .args(["sh", "-c", "/bin/true & wait; echo done > /dev/null"])
        .output()
        .unwrap();
    if !traced.status.success() {
        eprintln!(
            "\n==================== SKIPPED: strace cannot trace here (ptrace refused?) ====================\n{}",
            String::from_utf8_lossy(&traced.stderr)
        );
        return;
    }
    let text = std::fs::read_to_string(&trace).unwrap();
    let arch = std::env::consts::ARCH;
    let out = dir.join("profile.json");
    let run = common::tailor(&[
        "seccomp".as_ref(),
        "import".as_ref(),
        "--from".as_ref(),
        "strace".as_ref(),
        trace.as_os_str(),
        "--arch".as_ref(),
        arch.as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code(&run), 0, "{}\n{text}", stderr(&run));
    let profile: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let names = allowed_names(&profile);
    for expected in ["execve", "exit_group", "wait4"] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}\n{text}");
    }
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("clone") || *n == "fork" || *n == "vfork"),
        "{names:?}"
    );
}

#[test]
fn score_json_and_table() {
    let dir = common::temp_dir("score");
    let profile = write(
        &dir,
        "p.json",
        &allow_profile(&["read", "write", "exit_group", "mount", "unshare", "ptrace"]),
    );
    let run = common::tailor(&[
        "seccomp".as_ref(),
        "score".as_ref(),
        profile.as_os_str(),
        "-o".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(code(&run), 0, "{}", stderr(&run));
    let score = common::json(&run);
    assert_eq!(score["allowed"], 6);
    assert!(score["runtime_default"].as_u64().unwrap() > 300, "{score}");
    let dangerous: Vec<&str> = score["dangerous"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["syscall"].as_str().unwrap())
        .collect();
    assert_eq!(dangerous, ["ptrace", "mount", "unshare"]);
    // mount is reachable through the user namespace unshare can create.
    assert_eq!(score["dangerous"][1]["reachable"], true, "{score}");

    let with_caps = common::tailor(&[
        "seccomp".as_ref(),
        "score".as_ref(),
        profile.as_os_str(),
        "--capabilities".as_ref(),
        "SYS_ADMIN,net_bind_service".as_ref(),
        "-o".as_ref(),
        "json".as_ref(),
    ]);
    let with_caps = common::json(&with_caps);
    assert_eq!(
        with_caps["capabilities"],
        serde_json::json!(["CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"])
    );
    assert!(with_caps["runtime_default"].as_u64() > score["runtime_default"].as_u64());
    assert!(with_caps["dangerous"][1]["reachability"]
        .as_str()
        .unwrap()
        .contains("CAP_SYS_ADMIN"));

    let table = common::tailor(&["seccomp".as_ref(), "score".as_ref(), profile.as_os_str()]);
    assert_eq!(code(&table), 0);
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains("allowed syscalls  6 (") && table.contains("! mount"),
        "{table}"
    );
}

#[test]
fn bad_input_exits_2_with_a_position() {
    let dir = common::temp_dir("bad");
    let broken = write(&dir, "broken.json", "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_MAYBE\"}]\n}\n");
    for verb in [&["score"][..], &["merge"], &["diff", broken.to_str().unwrap()]] {
        let mut args: Vec<&std::ffi::OsStr> = vec!["seccomp".as_ref()];
        args.extend(verb.iter().map(|a| std::ffi::OsStr::new(*a)));
        args.push(broken.as_os_str());
        let run = common::tailor(&args);
        assert_eq!(code(&run), 2, "{verb:?}");
        let err = stderr(&run);
        assert!(
            err.contains(&format!("{}:3:", broken.display())) && err.contains("syscalls[0].action"),
            "{err}"
        );
    }
    let strace = write(&dir, "not-strace.txt", "read(0, \"\", 1) = 0\nhello\n");
    let run = common::tailor(&[
        "seccomp".as_ref(),
        "import".as_ref(),
        "--from".as_ref(),
        "strace".as_ref(),
        strace.as_os_str(),
        "--arch".as_ref(),
        "x86_64".as_ref(),
    ]);
    assert_eq!(code(&run), 2);
    assert!(
        stderr(&run).contains(&format!("{}:2:1:", strace.display())),
        "{}",
        stderr(&run)
    );
}

#[test]
fn corpus_profiles_through_every_verb() {
    let Some(moby) = common::corpus_path("seccomp/moby__moby/profiles/seccomp/default.json") else {
        return;
    };
    let spo = common::corpus_path(
        "seccomp/kubernetes-sigs__security-profiles-operator/deploy/base/profiles/security-profiles-operator.json",
    )
    .unwrap();
    let crds = common::corpus_path("seccomp/kubernetes-sigs__security-profiles-operator/examples/seccompprofile.yaml")
        .unwrap();

    let score = common::tailor(&[
        "seccomp".as_ref(),
        "score".as_ref(),
        moby.as_os_str(),
        "-o".as_ref(),
        "json".as_ref(),
    ]);
    let score = common::json(&score);
    assert_eq!(
        score["allowed"], score["runtime_default"],
        "moby's profile is the runtime default"
    );

    let merged = common::tailor(&["seccomp".as_ref(), "merge".as_ref(), moby.as_os_str(), spo.as_os_str()]);
    assert_eq!(code(&merged), 0, "{}", stderr(&merged));
    let dir = common::temp_dir("corpus");
    let merged_path = write(&dir, "merged.json", std::str::from_utf8(&merged.stdout).unwrap());
    // Nothing moby or SPO allowed is removed by the merge.
    for input in [&moby, &spo] {
        let diff = common::tailor(&[
            "seccomp".as_ref(),
            "diff".as_ref(),
            input.as_os_str(),
            merged_path.as_os_str(),
            "-o".as_ref(),
            "json".as_ref(),
        ]);
        let report = common::json(&diff);
        assert_eq!(report["removed"], serde_json::json!({}), "{report}");
    }

    // A file of several SeccompProfiles needs --name to be scored.
    let many = common::tailor(&["seccomp".as_ref(), "score".as_ref(), crds.as_os_str()]);
    assert_eq!(code(&many), 2);
    assert!(stderr(&many).contains("--name"), "{}", stderr(&many));
    let one = common::tailor(&[
        "seccomp".as_ref(),
        "score".as_ref(),
        crds.as_os_str(),
        "--name".as_ref(),
        "profile-allow-unsafe".as_ref(),
        "-o".as_ref(),
        "json".as_ref(),
    ]);
    let one = common::json(&one);
    assert!(
        one["allowed"].as_u64().unwrap() > one["runtime_default"].as_u64().unwrap(),
        "SCMP_ACT_ALLOW by default allows everything: {one}"
    );
}

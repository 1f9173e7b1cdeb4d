//! What a packager relies on: `tailor --version` names the commit, the completion scripts load
//! in their shells and complete the verbs, the man pages cover every visible command and render.

mod common;

use std::path::Path;
use std::process::Command;

use common::tailor;

fn stdout(output: &std::process::Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .unwrap()
        .status
        .success();
    if !found {
        eprintln!("SKIPPED: {program} is not installed (.ci/run installs it)");
    }
    found
}

#[test]
fn version_names_the_commit_it_was_built_from() {
    let version = stdout(&tailor(&["--version"]));
    let expected_commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(common::repo_root())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8(output.stdout).unwrap().trim().to_owned());
    let prefix = format!("tailor {} (commit ", env!("CARGO_PKG_VERSION"));
    let commit = version
        .trim()
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| {
            panic!("unexpected --version: {version:?}");
        });
    match expected_commit {
        // A test binary built before the last commit may lag; it still names a real commit.
        Some(head) => assert!(
            commit == head
                || Command::new("git")
                    .args(["cat-file", "-e", commit])
                    .current_dir(common::repo_root())
                    .status()
                    .unwrap()
                    .success(),
            "{commit} is not a commit of this repository (HEAD {head})"
        ),
        None => assert_eq!(commit, "unknown"),
    }
}

#[test]
fn bash_completion_loads_and_completes_verbs_and_flags() {
    let script = stdout(&tailor(&["completion", "bash"]));
    let dir = tempdir();
    let path = dir.join("tailor.bash");
    std::fs::write(&path, script).unwrap();
    // What bash does on <TAB>: the words so far, the index of the one being completed.
    let complete = |words: &[&str]| {
        let quoted: Vec<String> = words.iter().map(|word| format!("'{word}'")).collect();
        let line = words.join(" ");
        let program = format!(
            "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; COMP_LINE='{line}'; COMP_POINT={}; \
             _tailor tailor \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            path.display(),
            quoted.join(" "),
            words.len() - 1,
            line.len()
        );
        let output = Command::new("bash").args(["-c", &program]).output().unwrap();
        stdout(&output).lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let verbs = complete(&["tailor", ""]);
    for verb in [
        "check",
        "pss",
        "record",
        "seccomp",
        "learn",
        "rbac",
        "harden",
        "model",
        "webhook",
        "completion",
    ] {
        assert!(verbs.contains(&verb.to_owned()), "{verb} missing from {verbs:?}");
    }
    assert!(
        !verbs.contains(&"man".to_owned()) && !verbs.contains(&"debug-parse".to_owned()),
        "{verbs:?}"
    );
    let flags = complete(&["tailor", "check", "--le"]);
    assert_eq!(flags, ["--level"]);
}

#[test]
fn zsh_and_fish_completions_parse() {
    for (shell, check) in [("zsh", "-n"), ("fish", "--no-execute")] {
        let script = stdout(&tailor(&["completion", shell]));
        assert!(script.contains("tailor"), "{shell}: {script}");
        if !have(shell) {
            continue;
        }
        let dir = tempdir();
        let path = dir.join(format!("tailor.{shell}"));
        std::fs::write(&path, script).unwrap();
        let output = Command::new(shell).arg(check).arg(&path).output().unwrap();
        assert!(
            output.status.success(),
            "{shell}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn man_pages_cover_every_visible_command_and_render() {
    let dir = tempdir();
    stdout(&tailor(&["man".as_ref(), "--out-dir".as_ref(), dir.as_os_str()]));
    let help = stdout(&tailor(&["--help"]));
    // Every verb `tailor --help` lists has its page, and the page documents that verb.
    let verbs: Vec<&str> = help
        .lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| !line.is_empty())
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|verb| *verb != "help")
        .collect();
    assert!(verbs.len() >= 10, "{verbs:?}");
    for verb in &verbs {
        let page = std::fs::read_to_string(dir.join(format!("tailor-{verb}.1")))
            .unwrap_or_else(|e| panic!("tailor-{verb}.1: {e}"));
        assert!(
            page.starts_with(".ie") || page.contains(".TH"),
            "tailor-{verb}.1 is not a man page"
        );
        assert!(
            page.contains(&format!("tailor\\-{verb}")),
            "tailor-{verb}.1 does not name its command"
        );
    }
    assert!(
        dir.join("tailor-seccomp-merge.1").is_file(),
        "nested subcommands get pages too"
    );
    assert!(!dir.join("tailor-man.1").exists() && !dir.join("tailor-debug-parse.1").exists());
    if have("groff") {
        let output = Command::new("groff")
            .args(["-man", "-Tascii", "-P", "-cbou"])
            .arg(dir.join("tailor-check.1"))
            .output()
            .unwrap();
        let text = stdout(&output);
        assert!(text.contains("--level") && text.contains("SYNOPSIS"), "{text}");
    }
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tailor-release-test-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    assert!(Path::new(&dir).is_dir());
    dir
}

/// The dependency policy (`deny.toml`): permissive licenses only, no OpenSSL or unmaintained
/// YAML crates, crates.io as the only source. Advisories are not checked here: the RustSec
/// database cannot be fetched on CI machines (README).
#[test]
fn dependency_policy_holds() {
    let installed = Command::new("cargo")
        .args(["deny", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        eprintln!("SKIPPED: cargo-deny is not installed (.ci/run installs it: cargo install --locked cargo-deny)");
        return;
    }
    let output = Command::new("cargo")
        .args(["deny", "check", "licenses", "bans", "sources"])
        .current_dir(common::repo_root())
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "cargo deny check failed:\n{log}");
    for check in ["bans ok", "licenses ok", "sources ok"] {
        assert!(log.contains(check), "no '{check}' in:\n{log}");
    }
}

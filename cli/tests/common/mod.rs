//! What the end-to-end tests share: running the `tailor` binary from the repository root,
//! reading its JSON report, and finding the corpus in `../shared`, skipping loudly where it is
//! absent.

// Each test file is a crate of its own that uses only some of these helpers; the others would
// be reported as dead code there.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// `tailor ARGS...`, run from the repository root.
pub fn tailor<S: AsRef<OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("tailor runs")
}

/// `tailor ARGS...` with `stdin` on its standard input, run from the repository root.
pub fn tailor_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .args(args)
        .current_dir(repo_root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tailor runs");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The JSON on `output`'s stdout.
pub fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// The report of `tailor check PATHS... -o json`.
pub fn check<P: AsRef<Path>>(paths: &[P]) -> Value {
    let mut args = vec![OsStr::new("check")];
    args.extend(paths.iter().map(|p| p.as_ref().as_os_str()));
    args.extend(["-o", "json"].map(OsStr::new));
    json(&tailor(&args))
}

/// The report of `tailor check - -o json` on `stdin`.
pub fn check_stdin(stdin: &str) -> Value {
    json(&tailor_stdin(&["check", "-", "-o", "json"], stdin))
}

/// The object of `kind` called `name` in a report.
pub fn object<'a>(report: &'a Value, kind: &str, name: &str) -> &'a Value {
    report["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == kind && o["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in the report"))
}

/// The findings of a report whose rule ID starts with one of `prefixes`.
pub fn findings_of_rules<'a>(report: &'a Value, prefixes: &[&str]) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let rule = f["rule"].as_str().unwrap();
            prefixes.iter().any(|prefix| rule.starts_with(prefix))
        })
        .collect()
}

/// The corpus, or `None` (after a loud notice) where `../shared/corpus` is absent.
pub fn corpus() -> Option<PathBuf> {
    let corpus = Path::new(CORPUS);
    if !corpus.is_dir() {
        eprintln!("SKIPPED: ../shared/corpus not found ({CORPUS})");
        return None;
    }
    Some(corpus.to_path_buf())
}

/// A file or folder of the corpus, or `None` (after a loud notice) where the corpus is absent.
pub fn corpus_path(path: &str) -> Option<PathBuf> {
    let path = corpus()?.join(path);
    assert!(path.exists(), "{} is part of the corpus", path.display());
    Some(path)
}

/// Files or folders of the corpus, or `None` (after a loud notice) where the corpus is absent.
pub fn corpus_paths(paths: &[&str]) -> Option<Vec<PathBuf>> {
    corpus()?;
    paths.iter().map(|path| corpus_path(path)).collect()
}

/// An empty folder of its own for the test `name` of this test binary.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tailor-{}-{}-{name}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

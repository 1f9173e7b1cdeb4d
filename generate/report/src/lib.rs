//! # tailor-report: reports people use
//!
//! Renders a [`tailor_check::Report`] where people look: code scanning ([`sarif`], SARIF
//! 2.1.0), CI test tabs ([`junit`]), pull-request annotations ([`github`]), a page to paste
//! ([`markdown`]) and one a security lead reads ([`html`], a single self-contained file). It
//! also states an application's security model ([`model`], `tailor model`): per workload the
//! privileges it holds, the way a careful SECURITY.md lists them.
//!
//! Pure: renderers take a report (and, for the model, the check's inventory) and return
//! values or write to a `std::io::Write`; no file system, no network, no terminal. Where the
//! reports name files they use [`SourcePaths`], which the caller builds from the current
//! directory and repository root, so the crate itself never asks the operating system.
//! It must not depend on the CLI, on how objects were loaded, or on a cluster client.

pub mod attack;
pub mod github;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod sarif;

use std::path::{Component, Path, PathBuf};

use tailor_check::{Finding, Severity};

/// How reports name the files findings are in: relative to a source root (the repository
/// root, or the current directory outside a repository), never absolute, so that code
/// scanning and annotations land on the right file of the checkout.
#[derive(Clone, Debug)]
pub struct SourcePaths {
    /// The absolute directory relative paths in findings were given from.
    pub current_dir: PathBuf,
    /// The absolute directory reports name files relative to.
    pub root: PathBuf,
}

impl SourcePaths {
    /// Paths relative to `root`, for files named relative to `current_dir` (or absolute).
    pub fn new(current_dir: PathBuf, root: PathBuf) -> SourcePaths {
        SourcePaths { current_dir, root }
    }

    /// `file` (as a finding names it) relative to the root, with `/` separators; `..` leads
    /// out of the root for files outside it. Standard input (`-`) stays `-`.
    pub fn relative(&self, file: &str) -> String {
        if file == "-" {
            return file.to_owned();
        }
        let absolute = normalise(&self.current_dir.join(file));
        let root = normalise(&self.root);
        let ours: Vec<Component> = absolute.components().collect();
        let base: Vec<Component> = root.components().collect();
        let common = ours.iter().zip(&base).take_while(|(a, b)| a == b).count();
        let mut parts: Vec<String> = std::iter::repeat_n("..".to_owned(), base.len() - common).collect();
        parts.extend(
            ours[common..]
                .iter()
                .map(|c| c.as_os_str().to_string_lossy().into_owned()),
        );
        parts.join("/")
    }

    /// [`Self::relative`] as a URI reference (percent-encoded), for SARIF.
    pub fn uri(&self, file: &str) -> String {
        percent_encode_path(&self.relative(file))
    }
}

/// Resolves `.` and `..` lexically (the files may be gone or links; reports only name them).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`.
fn percent_encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The object a finding is about, as people name it: `Kind namespace/name`.
pub fn object_name(finding: &Finding) -> String {
    let name = finding.name.as_deref().unwrap_or("<unnamed>");
    match &finding.namespace {
        Some(namespace) => format!("{} {namespace}/{name}", finding.kind),
        None => format!("{} {name}", finding.kind),
    }
}

/// Severities from the most severe down, the order every report lists them in.
pub fn severities_descending() -> impl Iterator<Item = Severity> {
    Severity::ALL.into_iter().rev()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_root_and_encoded() {
        let paths = SourcePaths::new("/repo/deploy".into(), "/repo".into());
        assert_eq!(paths.relative("app.yaml"), "deploy/app.yaml");
        assert_eq!(paths.relative("./k8s/../app.yaml"), "deploy/app.yaml");
        assert_eq!(paths.relative("/repo/x/y.yaml"), "x/y.yaml");
        assert_eq!(paths.relative("../../other/z.yaml"), "../other/z.yaml");
        assert_eq!(paths.relative("-"), "-");
        assert_eq!(paths.uri("my app #1.yaml"), "deploy/my%20app%20%231.yaml");
    }
}

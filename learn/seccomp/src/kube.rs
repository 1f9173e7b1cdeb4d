//! Profiles in Kubernetes: the Security Profiles Operator `SeccompProfile` CRD and the kubelet
//! `Localhost` layout.
//!
//! The CRD's `spec` is the OCI profile minus moby's extensions: no `includes`/`excludes`, no
//! `archMap` (folded into `architectures`), no `defaultErrnoRet` (runtimes return `EPERM` for
//! `SCMP_ACT_ERRNO` without one, which is what Tailor writes anyway).

use std::fmt::Write;

use serde_json::Value;

use crate::{Error, Profile, EPERM};

/// The group/version Tailor writes. Reading accepts any version of the group (the SPO
/// examples use `v1`).
pub const SPO_API_VERSION: &str = "security-profiles-operator.x-k8s.io/v1beta1";
const SPO_GROUP: &str = "security-profiles-operator.x-k8s.io/";

/// Where the kubelet looks for `Localhost` profiles: `localhostProfile` is relative to it.
pub const KUBELET_SECCOMP_ROOT: &str = "/var/lib/kubelet/seccomp";

/// A profile read from a file, with its CRD name when it came from one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedProfile {
    pub name: Option<String>,
    pub profile: Profile,
}

/// Reads an OCI JSON profile (or OCI `config.json`), or a YAML/JSON stream of
/// `SeccompProfile` CRDs (other kinds in the stream are skipped; none at all is an error).
pub fn read_profiles(text: &str) -> Result<Vec<NamedProfile>, Error> {
    let looks_like_oci = text.trim_start().starts_with('{')
        && serde_json::from_str::<Value>(text)
            .map(|v| v.get("kind").is_none())
            .unwrap_or(true);
    if looks_like_oci {
        return Ok(vec![NamedProfile {
            name: None,
            profile: Profile::from_oci_json(text)?,
        }]);
    }
    let mut profiles = Vec::new();
    for document in tailor_manifest::parse_stream(text) {
        let document = document.map_err(|err| Error::at(err.line as usize, err.column as usize, err.message))?;
        for object in document.objects().0 {
            let value = object.value;
            if !is_seccomp_profile_object(value) {
                continue;
            }
            let name = value
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .map(str::to_string);
            let spec = value.get("spec").cloned().unwrap_or(Value::Null);
            let spec_path = object.path.clone().key("spec");
            let locate = |path: &str| {
                let at = document.positions.locate(&field_path(&spec_path, path));
                Some((at.line as usize, at.column as usize))
            };
            let profile = Profile::from_value_at(&spec, locate).map_err(|err| Error {
                path: if err.path.is_empty() || err.path == "." {
                    "spec".to_string()
                } else {
                    format!("spec.{}", err.path)
                },
                message: format!("SeccompProfile {}: {}", name.as_deref().unwrap_or("?"), err.message),
                ..err
            })?;
            profiles.push(NamedProfile { name, profile });
        }
    }
    if profiles.is_empty() {
        return Err(Error::at(
            1,
            1,
            "neither an OCI seccomp profile (JSON) nor a SeccompProfile CRD",
        ));
    }
    Ok(profiles)
}

/// Whether `value` is a Security Profiles Operator `SeccompProfile` object (any version of
/// the group).
pub fn is_seccomp_profile_object(value: &Value) -> bool {
    value["kind"] == "SeccompProfile" && value["apiVersion"].as_str().is_some_and(|v| v.starts_with(SPO_GROUP))
}

/// `base` joined with a path as serde_path_to_error prints it (`syscalls[3].action`, the
/// `path` of an [`Error`]).
pub fn field_path(base: &tailor_kube::FieldPath, dotted: &str) -> tailor_kube::FieldPath {
    let mut path = base.clone();
    for part in dotted.split('.').filter(|part| !part.is_empty()) {
        let mut pieces = part.split('[');
        if let Some(key) = pieces.next().filter(|key| !key.is_empty()) {
            path = path.key(key);
        }
        for index in pieces.filter_map(|piece| piece.trim_end_matches(']').parse().ok()) {
            path = path.index(index);
        }
    }
    path
}

/// What the CRD cannot express.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the SeccompProfile CRD cannot express {0}; use the OCI form (--format oci) for this profile")]
pub struct NotExpressible(pub String);

/// The profile as a `SeccompProfile` object, in YAML. Names and namespaces are quoted as JSON
/// strings (valid YAML), so no value can change the document's structure.
pub fn to_seccomp_profile_crd(
    profile: &Profile,
    name: &str,
    namespace: Option<&str>,
) -> Result<String, NotExpressible> {
    if let Some((index, _)) = profile
        .syscalls
        .iter()
        .enumerate()
        .find(|(_, r)| !r.includes.is_empty() || !r.excludes.is_empty())
    {
        return Err(NotExpressible(format!(
            "syscalls[{index}]: conditions on architecture, capability or kernel (includes/excludes)"
        )));
    }
    if profile.default_errno_ret.is_some_and(|errno| errno != EPERM) {
        return Err(NotExpressible("a defaultErrnoRet other than EPERM (1)".to_string()));
    }
    let quote = |text: &str| serde_json::to_string(text).expect("strings serialize");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "apiVersion: {SPO_API_VERSION}\nkind: SeccompProfile\nmetadata:\n  name: {}",
        quote(name)
    );
    if let Some(namespace) = namespace {
        let _ = writeln!(out, "  namespace: {}", quote(namespace));
    }
    let _ = writeln!(out, "spec:\n  defaultAction: {}", profile.default_action.oci_name());
    let mut architectures = profile.architectures.clone();
    for entry in &profile.arch_map {
        for arch in std::iter::once(&entry.architecture).chain(&entry.sub_architectures) {
            if !architectures.contains(arch) {
                architectures.push(arch.clone());
            }
        }
    }
    write_list(&mut out, "  ", "architectures", &architectures, &quote);
    write_list(&mut out, "  ", "flags", &profile.flags, &quote);
    if let Some(path) = &profile.listener_path {
        let _ = writeln!(out, "  listenerPath: {}", quote(path));
    }
    if let Some(metadata) = &profile.listener_metadata {
        let _ = writeln!(out, "  listenerMetadata: {}", quote(metadata));
    }
    if !profile.syscalls.is_empty() {
        out.push_str("  syscalls:\n");
    }
    for rule in &profile.syscalls {
        let _ = writeln!(out, "  - action: {}", rule.action.oci_name());
        if let Some(errno) = rule.errno_ret {
            let _ = writeln!(out, "    errnoRet: {errno}");
        }
        write_list(&mut out, "    ", "names", &rule.names, &quote);
        if !rule.args.is_empty() {
            out.push_str("    args:\n");
            for arg in &rule.args {
                let _ = writeln!(out, "    - index: {}\n      value: {}", arg.index, arg.value);
                if arg.value_two != 0 {
                    let _ = writeln!(out, "      valueTwo: {}", arg.value_two);
                }
                let _ = writeln!(out, "      op: {}", quote(&arg.op));
            }
        }
    }
    Ok(out)
}

/// `key:` then `- item` lines; syscall and architecture names are plain identifiers and go
/// unquoted (readable); anything else is quoted.
fn write_list(out: &mut String, indent: &str, key: &str, items: &[String], quote: &dyn Fn(&str) -> String) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}{key}:");
    for item in items {
        let plain = !item.is_empty()
            && item.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !item.chars().next().is_some_and(|c| c.is_ascii_digit())
            && !matches!(
                item.to_ascii_lowercase().as_str(),
                "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
            );
        let _ = writeln!(out, "{indent}- {}", if plain { item.clone() } else { quote(item) });
    }
}

/// Where a profile goes on each node for `type: Localhost`, and how a pod refers to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Localhost {
    /// `localhostProfile`: the path relative to the kubelet's seccomp root.
    pub relative_path: String,
    /// The absolute path on the node.
    pub node_path: String,
    /// A `securityContext` YAML snippet selecting it.
    pub security_context: String,
}

impl Localhost {
    /// What to do with the profile file: where it goes on the nodes, and the
    /// `securityContext` that selects it, as YAML comments and the snippet.
    pub fn guide(&self) -> String {
        format!(
            "# Copy the profile to {} on every node that may run the pod, then select it with:\n{}",
            self.node_path, self.security_context
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("localhostProfile {0:?} must be a relative path inside {KUBELET_SECCOMP_ROOT} (no leading /, no ..)")]
pub struct BadLocalhostPath(pub String);

/// The Localhost layout for a profile stored at `relative_path` (e.g. `tailor/httpd.json`).
pub fn localhost(relative_path: &str) -> Result<Localhost, BadLocalhostPath> {
    let bad = relative_path.is_empty()
        || relative_path.starts_with('/')
        || relative_path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
        || relative_path.chars().any(|c| c.is_control());
    if bad {
        return Err(BadLocalhostPath(relative_path.to_string()));
    }
    let quoted = serde_json::to_string(relative_path).expect("strings serialize");
    Ok(Localhost {
        relative_path: relative_path.to_string(),
        node_path: format!("{KUBELET_SECCOMP_ROOT}/{relative_path}"),
        security_context: format!(
            "securityContext:\n  seccompProfile:\n    type: Localhost\n    localhostProfile: {quoted}\n"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Arch;

    #[test]
    fn crd_round_trips_through_the_kubectl_reader() {
        let profile = Profile::allow_list(Arch::X86_64, ["write".to_string(), "read".to_string()]);
        let yaml = to_seccomp_profile_crd(&profile, "httpd", Some("web")).unwrap();
        assert!(
            yaml.starts_with("apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n"),
            "{yaml}"
        );
        assert!(
            yaml.contains("  - action: SCMP_ACT_ALLOW\n    names:\n    - read\n    - write\n"),
            "{yaml}"
        );
        let read = read_profiles(&yaml).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].name.as_deref(), Some("httpd"));
        // defaultErrnoRet is not part of the CRD: EPERM is the runtimes' default for ERRNO.
        let expected = Profile {
            default_errno_ret: None,
            ..profile
        };
        assert_eq!(read[0].profile, expected);
    }

    #[test]
    fn crd_refuses_what_it_cannot_say() {
        let text = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}}]}"#;
        let profile = Profile::from_oci_json(text).unwrap();
        let err = to_seccomp_profile_crd(&profile, "x", None).unwrap_err();
        assert!(err.to_string().contains("syscalls[0]"), "{err}");
    }

    #[test]
    fn crd_errors_point_at_the_field() {
        let yaml = "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\nmetadata:\n  name: a\nspec:\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - action: SCMP_ACT_ALLOW\n    names: [read]\n  - action: SCMP_ACT_NOPE\n    names: [write]\n";
        let err = read_profiles(yaml).unwrap_err();
        assert_eq!((err.line, err.path.as_str()), (10, "spec.syscalls[1].action"), "{err}");
        let yaml = yaml
            .replace("    names: [write]\n", "")
            .replace("SCMP_ACT_NOPE", "SCMP_ACT_ERRNO");
        let err = read_profiles(&yaml).unwrap_err();
        assert_eq!((err.line, err.path.as_str()), (10, "spec.syscalls[1]"), "{err}");
    }

    #[test]
    fn hostile_names_stay_scalars() {
        let profile = Profile::allow_list(Arch::X86_64, ["read".to_string()]);
        let yaml = to_seccomp_profile_crd(&profile, "a\nkind: Secret", None).unwrap();
        let read = read_profiles(&yaml).unwrap();
        assert_eq!(read[0].name.as_deref(), Some("a\nkind: Secret"));
    }

    #[test]
    fn localhost_layout() {
        let layout = localhost("tailor/httpd.json").unwrap();
        assert_eq!(layout.node_path, "/var/lib/kubelet/seccomp/tailor/httpd.json");
        assert_eq!(
            layout.security_context,
            "securityContext:\n  seccompProfile:\n    type: Localhost\n    localhostProfile: \"tailor/httpd.json\"\n"
        );
        assert!(layout.guide().contains("/var/lib/kubelet/seccomp/tailor/httpd.json"));
        assert!(layout.guide().ends_with(&layout.security_context));
        for bad in ["/etc/x.json", "../x.json", "a//b.json", ""] {
            assert!(localhost(bad).is_err(), "{bad}");
        }
    }
}

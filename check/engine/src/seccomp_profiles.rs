//! The seccomp profiles available to `tailor check` for workloads' `Localhost` references, and
//! how a reference resolves to one of them.
//!
//! Two sources, both parsed by the caller (the engine does no I/O):
//! - Security Profiles Operator `SeccompProfile` objects loaded among the manifests: the
//!   operator installs each on the nodes as `operator/<namespace>/<name>.json` under the
//!   kubelet's seccomp root, which is what `localhostProfile` then names;
//! - files read from a copy of the kubelet's seccomp root (`tailor check --seccomp-dir`),
//!   including the knowledge that a referenced file is not there.
//!
//! A reference neither source knows about is [`Resolution::Unknown`]: the profile may well be on
//! the nodes, so nothing is claimed about it.

use std::collections::BTreeMap;

use tailor_seccomp::Profile;

/// A `SeccompProfile` object loaded among the manifests.
#[derive(Clone, Debug)]
pub struct OperatorProfile {
    /// `None` when the manifest leaves it to `kubectl apply -n`.
    pub namespace: Option<String>,
    pub name: String,
    pub profile: Profile,
    /// Where the object was read, for messages: `file:line`.
    pub origin: String,
}

/// What a copy of the kubelet's seccomp root holds at one `localhostProfile` path.
#[derive(Clone, Debug)]
pub enum NodeFile {
    Found {
        profile: Profile,
        path: String,
    },
    /// Looked for at `path`, not there.
    Missing {
        path: String,
    },
}

/// What a `localhostProfile` reference resolves to.
#[derive(Debug)]
pub enum Resolution<'a> {
    Found {
        profile: &'a Profile,
        origin: String,
    },
    /// Known not to exist where the kubelet will look: `looked_at` says where.
    Missing {
        looked_at: String,
    },
    /// Nothing Tailor was given says either way.
    Unknown,
}

/// The profiles available locally, by source.
#[derive(Clone, Debug, Default)]
pub struct LocalSeccompProfiles {
    operator: Vec<OperatorProfile>,
    node_files: BTreeMap<String, NodeFile>,
}

/// The `localhostProfile` under which the Security Profiles Operator installs a
/// `SeccompProfile`.
pub fn operator_reference(namespace: &str, name: &str) -> String {
    format!("operator/{namespace}/{name}.json")
}

impl LocalSeccompProfiles {
    pub fn add_operator_profile(&mut self, profile: OperatorProfile) {
        self.operator.push(profile);
    }

    /// Records what the copy of the kubelet's seccomp root holds for `reference`.
    pub fn add_node_file(&mut self, reference: &str, file: NodeFile) {
        self.node_files.insert(reference.to_owned(), file);
    }

    /// The loaded `SeccompProfile` object the operator would install as `reference`.
    fn operator_profile(&self, reference: &str) -> Option<&OperatorProfile> {
        let (namespace, file) = reference.strip_prefix("operator/")?.split_once('/')?;
        let name = file.strip_suffix(".json")?;
        let exact = self
            .operator
            .iter()
            .find(|p| p.name == name && p.namespace.as_deref() == Some(namespace));
        // An object without a namespace lands in whichever one it is applied to.
        exact.or_else(|| self.operator.iter().find(|p| p.name == name && p.namespace.is_none()))
    }

    /// Whether a loaded `SeccompProfile` object provides `reference` (its file on the nodes is
    /// then the operator's to write, whatever a copy of the seccomp root holds today).
    pub fn provided_by_operator(&self, reference: &str) -> bool {
        self.operator_profile(reference).is_some()
    }

    pub fn resolve(&self, reference: &str) -> Resolution<'_> {
        if let Some(object) = self.operator_profile(reference) {
            let namespace = object.namespace.as_deref().map(|n| format!("{n}/")).unwrap_or_default();
            return Resolution::Found {
                profile: &object.profile,
                origin: format!("SeccompProfile {namespace}{} at {}", object.name, object.origin),
            };
        }
        match self.node_files.get(reference) {
            Some(NodeFile::Found { profile, path }) => Resolution::Found {
                profile,
                origin: path.clone(),
            },
            Some(NodeFile::Missing { path }) => Resolution::Missing {
                looked_at: path.clone(),
            },
            None => Resolution::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tailor_seccomp::Arch;

    fn operator(namespace: Option<&str>, name: &str) -> OperatorProfile {
        OperatorProfile {
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
            profile: Profile::allow_list(Arch::X86_64, ["read".to_owned()]),
            origin: "p.yaml:1".to_owned(),
        }
    }

    #[test]
    fn operator_objects_resolve_by_namespace_and_name() {
        let mut profiles = LocalSeccompProfiles::default();
        profiles.add_operator_profile(operator(Some("ml"), "httpd"));
        profiles.add_operator_profile(operator(None, "loose"));
        assert!(matches!(
            profiles.resolve("operator/ml/httpd.json"),
            Resolution::Found { .. }
        ));
        assert!(matches!(
            profiles.resolve("operator/web/httpd.json"),
            Resolution::Unknown
        ));
        assert!(matches!(
            profiles.resolve("operator/any/loose.json"),
            Resolution::Found { .. }
        ));
        assert!(matches!(profiles.resolve("httpd.json"), Resolution::Unknown));
    }

    #[test]
    fn operator_objects_take_precedence_over_node_files() {
        let mut profiles = LocalSeccompProfiles::default();
        let reference = operator_reference("ml", "httpd");
        profiles.add_node_file(
            &reference,
            NodeFile::Missing {
                path: "dir/x".to_owned(),
            },
        );
        assert!(matches!(profiles.resolve(&reference), Resolution::Missing { .. }));
        profiles.add_operator_profile(operator(Some("ml"), "httpd"));
        let Resolution::Found { origin, .. } = profiles.resolve(&reference) else {
            panic!("the operator installs it");
        };
        assert_eq!(origin, "SeccompProfile ml/httpd at p.yaml:1");
    }
}

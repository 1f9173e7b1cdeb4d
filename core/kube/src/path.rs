//! Paths to fields inside a Kubernetes object, e.g.
//! `spec.template.spec.containers[0].securityContext.privileged`.
//!
//! Checks report the fields they object to as paths relative to the evaluated pod
//! (`spec.…`, `metadata.annotations[…]`); the loader joins them with the template's position
//! in the object and maps them to a line of the source file.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// A mapping key.
    Key(String),
    /// A sequence index.
    Index(usize),
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Builds a path from dotted keys, e.g. `FieldPath::keys("spec.securityContext")`.
    pub fn keys(dotted: &str) -> Self {
        Self(
            dotted
                .split('.')
                .filter(|k| !k.is_empty())
                .map(|k| Segment::Key(k.to_owned()))
                .collect(),
        )
    }

    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.0.push(Segment::Key(key.into()));
        self
    }

    pub fn index(mut self, index: usize) -> Self {
        self.0.push(Segment::Index(index));
        self
    }

    /// This path followed by `other`.
    pub fn join(&self, other: &FieldPath) -> FieldPath {
        let mut segments = self.0.clone();
        segments.extend(other.0.iter().cloned());
        FieldPath(segments)
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// This path followed by the path at which serde failed to decode a value.
    pub fn join_serde(mut self, path: &serde_path_to_error::Path) -> FieldPath {
        for segment in path.iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => self = self.index(*index),
                serde_path_to_error::Segment::Map { key } => self = self.key(key.clone()),
                serde_path_to_error::Segment::Enum { variant } => self = self.key(variant.clone()),
                serde_path_to_error::Segment::Unknown => {}
            }
        }
        self
    }
}

impl fmt::Display for FieldPath {
    /// kubectl-style rendering: keys joined by `.`, indexes in brackets; keys that contain a
    /// `.` (annotation keys) are bracketed and quoted so the path stays unambiguous.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(n) => write!(f, "[{n}]")?,
                Segment::Key(k) if k.contains(['.', '[', ']']) || k.is_empty() => write!(f, "[{k:?}]")?,
                Segment::Key(k) if i == 0 => write!(f, "{k}")?,
                Segment::Key(k) => write!(f, ".{k}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_kubectl_field_paths() {
        let p = FieldPath::keys("spec.containers")
            .index(2)
            .key("securityContext")
            .key("privileged");
        assert_eq!(p.to_string(), "spec.containers[2].securityContext.privileged");
        let a = FieldPath::keys("metadata.annotations").key("container.apparmor.security.beta.kubernetes.io/app");
        assert_eq!(
            a.to_string(),
            "metadata.annotations[\"container.apparmor.security.beta.kubernetes.io/app\"]"
        );
    }

    #[test]
    fn join_appends_segments() {
        let base = FieldPath::keys("spec.template");
        let rel = FieldPath::keys("spec.hostPID");
        assert_eq!(base.join(&rel).to_string(), "spec.template.spec.hostPID");
    }
}

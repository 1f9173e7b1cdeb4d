//! Every container of a pod seen through one view: `Container` and `EphemeralContainer` are
//! distinct API types with the same fields, and the rules treat them alike.

use std::fmt;

use tailor_kube::k8s_openapi::api::core::v1::{EnvVar, ResourceRequirements, VolumeMount};
use tailor_kube::{FieldPath, PodSpec, SecurityContext};

/// Which list of the pod spec a container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContainerList {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerList {
    /// What a container of this list is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            ContainerList::Init => "init container",
            ContainerList::Regular => "container",
            ContainerList::Ephemeral => "ephemeral container",
        }
    }

    fn key(self) -> &'static str {
        match self {
            ContainerList::Init => "initContainers",
            ContainerList::Regular => "containers",
            ContainerList::Ephemeral => "ephemeralContainers",
        }
    }
}

/// The fields of a container the workload rules read, and where the container is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ContainerView<'a> {
    pub list: ContainerList,
    pub index: usize,
    pub name: &'a str,
    pub image: Option<&'a str>,
    pub security_context: Option<&'a SecurityContext>,
    pub env: &'a [EnvVar],
    pub resources: Option<&'a ResourceRequirements>,
    pub volume_mounts: &'a [VolumeMount],
}

macro_rules! view {
    ($list:expr, $index:expr, $c:expr) => {{
        let c = $c;
        ContainerView {
            list: $list,
            index: $index,
            name: &c.name,
            image: c.image.as_deref(),
            security_context: c.security_context.as_ref(),
            env: c.env.as_deref().unwrap_or_default(),
            resources: c.resources.as_ref(),
            volume_mounts: c.volume_mounts.as_deref().unwrap_or_default(),
        }
    }};
}

/// Every container of `spec`: init containers, then containers, then ephemeral containers.
pub(crate) fn containers(spec: &PodSpec) -> impl Iterator<Item = ContainerView<'_>> {
    let init = spec.init_containers.as_deref().unwrap_or_default();
    let ephemeral = spec.ephemeral_containers.as_deref().unwrap_or_default();
    let init = init.iter().enumerate().map(|(i, c)| view!(ContainerList::Init, i, c));
    let regular = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| view!(ContainerList::Regular, i, c));
    let ephemeral = ephemeral
        .iter()
        .enumerate()
        .map(|(i, c)| view!(ContainerList::Ephemeral, i, c));
    init.chain(regular).chain(ephemeral)
}

impl ContainerView<'_> {
    /// `spec.<list>[<index>]`, relative to the pod.
    pub fn path(&self) -> FieldPath {
        FieldPath::keys("spec").key(self.list.key()).index(self.index)
    }

    /// A field of the container, e.g. `field("securityContext.runAsUser")`.
    pub fn field(&self, dotted: &str) -> FieldPath {
        self.path().join(&FieldPath::keys(dotted))
    }

    /// Where to point at a security setting the container lacks: its `securityContext` when it
    /// has one, otherwise the container itself.
    pub fn security_context_or_container(&self) -> FieldPath {
        if self.security_context.is_some() {
            self.field("securityContext")
        } else {
            self.path()
        }
    }

    pub fn is_privileged(&self) -> bool {
        self.security_context.and_then(|sc| sc.privileged) == Some(true)
    }
}

/// `container "a"`, `init container "b"`, `ephemeral container "c"`.
impl fmt::Display for ContainerView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.list.noun(), self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn visits_every_list_with_its_path() {
        let spec: PodSpec = serde_json::from_value(json!({
            "initContainers":[{"name":"i"}],
            "containers":[{"name":"a"},{"name":"b","securityContext":{}}],
            "ephemeralContainers":[{"name":"e"}]}))
        .unwrap();
        let views: Vec<(String, String)> = containers(&spec)
            .map(|c| (c.to_string(), c.path().to_string()))
            .collect();
        assert_eq!(
            views,
            [
                ("init container \"i\"".to_owned(), "spec.initContainers[0]".to_owned()),
                ("container \"a\"".to_owned(), "spec.containers[0]".to_owned()),
                ("container \"b\"".to_owned(), "spec.containers[1]".to_owned()),
                (
                    "ephemeral container \"e\"".to_owned(),
                    "spec.ephemeralContainers[0]".to_owned()
                ),
            ]
        );
        let b = containers(&spec).nth(2).unwrap();
        assert_eq!(
            b.security_context_or_container().to_string(),
            "spec.containers[1].securityContext"
        );
        let a = containers(&spec).nth(1).unwrap();
        assert_eq!(a.security_context_or_container().to_string(), "spec.containers[0]");
    }
}

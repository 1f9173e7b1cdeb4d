//! Every container of a pod seen through one view, with its place in the pod.
//!
//! `Container` and `EphemeralContainer` are distinct API types with the same fields, and the
//! Pod Security checks and the rules treat them alike. [`containers`] visits them in the order
//! the Pod Security admission library does: all `initContainers`, then all `containers`, then
//! all `ephemeralContainers`; paths are relative to the pod (`spec.containers[0]`).

use std::fmt;

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvVar, EphemeralContainer, Lifecycle, PodSpec, Probe, ResourceRequirements,
    SecurityContext, VolumeMount,
};

use crate::path::{FieldPath, Segment};

/// Which list of the pod spec a container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerList {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerList {
    /// The list's key in the pod spec: `initContainers`, `containers`, `ephemeralContainers`.
    pub fn key(self) -> &'static str {
        match self {
            ContainerList::Init => "initContainers",
            ContainerList::Regular => "containers",
            ContainerList::Ephemeral => "ephemeralContainers",
        }
    }

    /// The list whose key is `key`, if it is one of the three.
    pub fn from_key(key: &str) -> Option<ContainerList> {
        match key {
            "initContainers" => Some(ContainerList::Init),
            "containers" => Some(ContainerList::Regular),
            "ephemeralContainers" => Some(ContainerList::Ephemeral),
            _ => None,
        }
    }

    /// What a container of this list is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            ContainerList::Init => "init container",
            ContainerList::Regular => "container",
            ContainerList::Ephemeral => "ephemeral container",
        }
    }
}

/// A container of any of the three lists, and where it is. It reads the container's fields on
/// demand: Pod Security evaluation visits every container once per check, and a view that
/// copied every field up front measurably slowed it down.
#[derive(Clone, Copy, Debug)]
pub struct ContainerView<'a> {
    pub list: ContainerList,
    pub index: usize,
    container: AnyContainer<'a>,
}

#[derive(Clone, Copy, Debug)]
enum AnyContainer<'a> {
    Container(&'a Container),
    Ephemeral(&'a EphemeralContainer),
}

/// `Container` and `EphemeralContainer` have the same field names for everything read here:
/// `read!(self, c => expression of c)`.
macro_rules! read {
    ($view:ident, $c:ident => $field:expr) => {
        match $view.container {
            AnyContainer::Container($c) => $field,
            AnyContainer::Ephemeral($c) => $field,
        }
    };
}

/// The container's own fields; absent lists read as empty slices.
impl<'a> ContainerView<'a> {
    pub fn name(&self) -> &'a str {
        read!(self, c => &c.name)
    }

    pub fn image(&self) -> Option<&'a str> {
        read!(self, c => c.image.as_deref())
    }

    pub fn command(&self) -> &'a [String] {
        read!(self, c => c.command.as_deref().unwrap_or_default())
    }

    pub fn args(&self) -> &'a [String] {
        read!(self, c => c.args.as_deref().unwrap_or_default())
    }

    pub fn security_context(&self) -> Option<&'a SecurityContext> {
        read!(self, c => c.security_context.as_ref())
    }

    pub fn ports(&self) -> &'a [ContainerPort] {
        read!(self, c => c.ports.as_deref().unwrap_or_default())
    }

    pub fn liveness_probe(&self) -> Option<&'a Probe> {
        read!(self, c => c.liveness_probe.as_ref())
    }

    pub fn readiness_probe(&self) -> Option<&'a Probe> {
        read!(self, c => c.readiness_probe.as_ref())
    }

    pub fn startup_probe(&self) -> Option<&'a Probe> {
        read!(self, c => c.startup_probe.as_ref())
    }

    pub fn lifecycle(&self) -> Option<&'a Lifecycle> {
        read!(self, c => c.lifecycle.as_ref())
    }

    pub fn env(&self) -> &'a [EnvVar] {
        read!(self, c => c.env.as_deref().unwrap_or_default())
    }

    pub fn resources(&self) -> Option<&'a ResourceRequirements> {
        read!(self, c => c.resources.as_ref())
    }

    pub fn volume_mounts(&self) -> &'a [VolumeMount] {
        read!(self, c => c.volume_mounts.as_deref().unwrap_or_default())
    }
}

/// The view of an init or regular container.
fn view(list: ContainerList, index: usize, container: &Container) -> ContainerView<'_> {
    ContainerView {
        list,
        index,
        container: AnyContainer::Container(container),
    }
}

fn ephemeral_view(index: usize, container: &EphemeralContainer) -> ContainerView<'_> {
    ContainerView {
        list: ContainerList::Ephemeral,
        index,
        container: AnyContainer::Ephemeral(container),
    }
}

/// Every container of `spec`: init containers, then containers, then ephemeral containers.
pub fn containers(spec: &PodSpec) -> impl Iterator<Item = ContainerView<'_>> {
    let init = spec.init_containers.as_deref().unwrap_or_default();
    let ephemeral = spec.ephemeral_containers.as_deref().unwrap_or_default();
    let init = init.iter().enumerate().map(|(i, c)| view(ContainerList::Init, i, c));
    let regular = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| view(ContainerList::Regular, i, c));
    let ephemeral = ephemeral.iter().enumerate().map(|(i, c)| ephemeral_view(i, c));
    init.chain(regular).chain(ephemeral)
}

/// The containers of one list of `spec`, in order.
pub fn containers_in(spec: &PodSpec, list: ContainerList) -> impl Iterator<Item = ContainerView<'_>> {
    containers(spec).filter(move |c| c.list == list)
}

/// The container at `index` of `list`, if there is one.
pub fn container_at(spec: &PodSpec, list: ContainerList, index: usize) -> Option<ContainerView<'_>> {
    match list {
        ContainerList::Init => spec
            .init_containers
            .as_deref()?
            .get(index)
            .map(|c| view(list, index, c)),
        ContainerList::Regular => spec.containers.get(index).map(|c| view(list, index, c)),
        ContainerList::Ephemeral => spec
            .ephemeral_containers
            .as_deref()?
            .get(index)
            .map(|c| ephemeral_view(index, c)),
    }
}

/// The first container of `list` called `name`.
pub fn container_named<'a>(spec: &'a PodSpec, list: ContainerList, name: &str) -> Option<ContainerView<'a>> {
    containers_in(spec, list).find(|c| c.name() == name)
}

impl ContainerView<'_> {
    /// `spec.<list>[<index>]`, relative to the pod.
    pub fn path(&self) -> FieldPath {
        // Room for the deepest field the checks name (`…lifecycle.preStop.tcpSocket.host`).
        let mut segments = Vec::with_capacity(8);
        segments.extend([
            Segment::Key("spec".to_owned()),
            Segment::Key(self.list.key().to_owned()),
            Segment::Index(self.index),
        ]);
        FieldPath(segments)
    }

    /// A field below the container, e.g. `path_to("securityContext.privileged")`.
    pub fn path_to(&self, dotted: &str) -> FieldPath {
        dotted.split('.').fold(self.path(), FieldPath::key)
    }

    /// Where a missing `securityContext.<field>` belongs: the security context when there is
    /// one, otherwise the container itself.
    pub fn security_context_or_container(&self) -> FieldPath {
        match self.security_context() {
            Some(_) => self.path_to("securityContext"),
            None => self.path(),
        }
    }

    /// Whether its own `securityContext` sets `privileged: true`.
    pub fn is_privileged(&self) -> bool {
        self.security_context().and_then(|sc| sc.privileged) == Some(true)
    }
}

/// `container "a"`, `init container "b"`, `ephemeral container "c"`.
impl fmt::Display for ContainerView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.list.noun(), self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn visits_init_then_regular_then_ephemeral_with_their_paths() {
        let named = |n: &str| Container {
            name: n.into(),
            ..Container::default()
        };
        let spec = PodSpec {
            containers: vec![named("c0"), named("c1")],
            init_containers: Some(vec![named("i0")]),
            ephemeral_containers: Some(vec![EphemeralContainer {
                name: "e0".into(),
                ..EphemeralContainer::default()
            }]),
            ..PodSpec::default()
        };
        let seen: Vec<(String, String)> = containers(&spec)
            .map(|c| (c.name().to_owned(), c.path().to_string()))
            .collect();
        assert_eq!(
            seen,
            [
                ("i0", "spec.initContainers[0]"),
                ("c0", "spec.containers[0]"),
                ("c1", "spec.containers[1]"),
                ("e0", "spec.ephemeralContainers[0]"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
    }

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

    #[test]
    fn looks_containers_up_by_list_index_and_name() {
        let spec: PodSpec = serde_json::from_value(json!({
            "initContainers":[{"name":"i"}],
            "containers":[{"name":"a","image":"x"},{"name":"b"}],
            "ephemeralContainers":[{"name":"e"}]}))
        .unwrap();
        for list in [ContainerList::Init, ContainerList::Regular, ContainerList::Ephemeral] {
            assert_eq!(ContainerList::from_key(list.key()), Some(list));
        }
        assert_eq!(ContainerList::from_key("volumes"), None);
        let b = container_at(&spec, ContainerList::Regular, 1).unwrap();
        assert_eq!(
            b.path_to("securityContext.capabilities.add").to_string(),
            "spec.containers[1].securityContext.capabilities.add"
        );
        assert!(container_at(&spec, ContainerList::Init, 1).is_none());
        assert_eq!(container_at(&spec, ContainerList::Ephemeral, 0).unwrap().name(), "e");
        let a = container_named(&spec, ContainerList::Regular, "a").unwrap();
        assert_eq!((a.index, a.image()), (0, Some("x")));
        assert!(container_named(&spec, ContainerList::Init, "a").is_none());
        let names: Vec<&str> = containers_in(&spec, ContainerList::Regular).map(|c| c.name()).collect();
        assert_eq!(names, ["a", "b"]);
    }
}

//! Visiting every container of a pod, in the reference order: all `initContainers`, then all
//! `containers`, then all `ephemeralContainers` (spec §1.6). Ephemeral containers have their
//! own type in the API, but every container check treats them like ordinary containers, so
//! both are seen through one [`ContainerRef`].

use tailor_kube::k8s_openapi::api::core::v1::{ContainerPort, Lifecycle, Probe};
use tailor_kube::{FieldPath, PodSpec, SecurityContext, Segment};

/// Which list of the pod spec a container is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContainerList {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerList {
    fn key(self) -> &'static str {
        match self {
            ContainerList::Init => "initContainers",
            ContainerList::Regular => "containers",
            ContainerList::Ephemeral => "ephemeralContainers",
        }
    }
}

/// The fields of a container (of any of the three lists) that the checks read, and where it is.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ContainerRef<'a> {
    pub list: ContainerList,
    pub index: usize,
    pub name: &'a str,
    pub security_context: Option<&'a SecurityContext>,
    pub ports: &'a [ContainerPort],
    pub liveness_probe: Option<&'a Probe>,
    pub readiness_probe: Option<&'a Probe>,
    pub startup_probe: Option<&'a Probe>,
    pub lifecycle: Option<&'a Lifecycle>,
}

/// `Container` and `EphemeralContainer` have the same field names for everything read here.
macro_rules! container_ref {
    ($list:expr, $index:expr, $c:expr) => {{
        let c = $c;
        ContainerRef {
            list: $list,
            index: $index,
            name: &c.name,
            security_context: c.security_context.as_ref(),
            ports: c.ports.as_deref().unwrap_or_default(),
            liveness_probe: c.liveness_probe.as_ref(),
            readiness_probe: c.readiness_probe.as_ref(),
            startup_probe: c.startup_probe.as_ref(),
            lifecycle: c.lifecycle.as_ref(),
        }
    }};
}

/// Every container of `spec`, init containers first, then containers, then ephemeral ones.
pub(crate) fn containers(spec: &PodSpec) -> impl Iterator<Item = ContainerRef<'_>> {
    let init = spec.init_containers.as_deref().unwrap_or_default();
    let ephemeral = spec.ephemeral_containers.as_deref().unwrap_or_default();
    let init = init
        .iter()
        .enumerate()
        .map(|(i, c)| container_ref!(ContainerList::Init, i, c));
    let regular = spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| container_ref!(ContainerList::Regular, i, c));
    let ephemeral = ephemeral
        .iter()
        .enumerate()
        .map(|(i, c)| container_ref!(ContainerList::Ephemeral, i, c));
    init.chain(regular).chain(ephemeral)
}

impl ContainerRef<'_> {
    /// `spec.<list>[<index>]`.
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
        match self.security_context {
            Some(_) => self.path_to("securityContext"),
            None => self.path(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tailor_kube::k8s_openapi::api::core::v1::EphemeralContainer;
    use tailor_kube::Container;

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
            .map(|c| (c.name.to_owned(), c.path().to_string()))
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
}

//! # tailor-kube: the Kubernetes object model
//!
//! The one crate of the workspace that depends on `k8s-openapi`; every other crate reaches the
//! Kubernetes types through the re-exports here, so the heavy generated code is compiled once
//! and the API version is chosen in one place.
//!
//! What it holds:
//! - [`FieldPath`]: a path to a field inside an object, used to point a finding at a line;
//! - [`workload`]: which kinds carry a pod (Pod, PodTemplate, ReplicationController, ReplicaSet,
//!   Deployment, StatefulSet, DaemonSet, Job, CronJob and their legacy API groups) and how to
//!   extract the pod metadata and spec that Pod Security admission evaluates;
//! - [`containers`](mod@containers): every container of a pod (init, regular, ephemeral) through one
//!   [`ContainerView`], with its path in the pod;
//! - [`objects`]: typed RBAC, ServiceAccount, NetworkPolicy, Service, Namespace and
//!   ResourceQuota objects for the analyses that look across objects;
//! - [`defaults`]: the API-server defaulting that admission decisions depend on.
//!
//! It is pure: no I/O, no async, no printing. It must not depend on any other Tailor crate.

pub mod containers;
pub mod defaults;
pub mod objects;
pub mod path;
pub mod workload;

pub use arcstr::ArcStr;
pub use containers::{container_at, container_named, containers, containers_in, ContainerList, ContainerView};
pub use k8s_openapi;
pub use k8s_openapi::api::core::v1::{
    Capabilities, Container, EphemeralContainer, PodSecurityContext, PodSpec, SecurityContext, Volume,
};
pub use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
pub use objects::KubeObject;
pub use path::{FieldPath, Segment};
pub use workload::{DecodeError, PodBearingKind, PodTemplate, TypeMeta};

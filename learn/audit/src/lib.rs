//! # tailor-audit: least privilege learned from API-server audit logs
//!
//! The forensic approach to policy: run a workload under a locked-down trial, capture the API
//! server's audit log, and derive exactly what it used.
//!
//! - [`reader`]: a streaming reader of `audit.k8s.io/v1` and `v1beta1` events (JSON lines,
//!   pretty-printed values, arrays, `EventList`s; plain or gzip) over any `BufRead`, with flat
//!   memory; malformed lines are counted with their line numbers, never fatal;
//! - [`learn`]: the minimal Roles, ClusterRoles and bindings for one subject (`tailor learn rbac`);
//! - [`replay`]: every event decided again against RBAC objects with the Kubernetes authorizer's
//!   semantics, and the rules never used (`tailor rbac replay|unused`), on top of the permission
//!   resolver of `tailor-check` (never a second one);
//! - [`pss`]: the Pod Security needs the admission plugin's annotations and denials reveal
//!   (`tailor learn pss`).
//!
//! Pure except [`files`], which finds the logs behind command-line paths (directories, rotated
//! sets); no async, no printing. Built-in resource scopes come from k8s-openapi through
//! `tailor-kube` ([`resources`]).

pub mod event;
pub mod files;
pub mod learn;
pub mod pss;
pub mod reader;
pub mod replay;
pub mod resources;
pub mod subject;

pub use event::{Decision, Event, Request, Requester};
pub use learn::{LearnOptions, RbacLearner};
pub use reader::{decompress, read_events, Malformed, ReadStats};
pub use replay::Replayer;
pub use subject::SubjectFilter;

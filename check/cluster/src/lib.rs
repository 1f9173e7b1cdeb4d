//! # tailor-cluster: `tailor check --cluster`
//!
//! Reads the objects `tailor check` analyses from a live cluster, read-only, so that they feed
//! the same analysis as manifest files:
//! - [`scan`] lists every kind of [`resources::READ`] through the `kube` client — paged
//!   (`limit`/`continue`, a `410 Gone` on a stale `continue` restarts that list), with bounded
//!   in-flight requests and a client-side rate limit — and streams the objects out page by
//!   page. It never reads Secrets and never execs: the kinds it reads are exactly the ones in
//!   the table, which `deploy/rbac/` grants and nothing more.
//! - Pods owned by a controller are folded into their top-level owner ([`owners`]): the report
//!   is about workloads, not replicas. Bare pods, and pods whose owner could not be listed,
//!   stand alone.
//! - Anything the credentials cannot list becomes a [`NotAssessed`] entry with the API
//!   server's reason: never a silent pass.
//! - [`namespaces`] computes the namespace dry run: what each namespace's Pod Security labels
//!   enforce today, what would break at each stricter level, the labels to apply.
//!
//! Async lives here and in the CLI only: the check engine (`tailor-check`) and the Pod
//! Security engine stay pure. This crate hands out plain `serde_json::Value` objects and uses
//! the check engine only for its report types; it must not depend on the CLI, and its scan
//! must never grow a write, a watch, a Secret read or an exec. (The webhook reuses its client
//! setup for its Namespace watch; the test-only `fake-apiserver` answers watches for that.)

pub mod namespaces;
pub mod owners;
pub mod resources;
mod scan;

#[cfg(feature = "fake-apiserver")]
pub mod fake_apiserver;

pub use scan::{client, scan, ClusterObject, ConnectOptions, Scan, ScanOptions, Scope};
pub use tailor_check::report::NotAssessed;

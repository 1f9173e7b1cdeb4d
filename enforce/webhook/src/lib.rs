//! # tailor-webhook: the admission webhook (`tailor webhook serve|certs|manifests`)
//!
//! Pod Security admission with the in-tree plugin's semantics (decisions come from
//! [`tailor_pss::admission`]), Tailor's own rules denied where the configuration says so, and
//! the injection of tailored security profiles into pods as a JSONPatch.
//!
//! Layout:
//! - [`config`]: the webhook configuration (Pod Security defaults and exemptions, rules to deny,
//!   injection policies), read from YAML;
//! - [`namespaces`]: the namespace labels the decisions need, from a file of Namespace objects
//!   or kept current by [`watch`], a `kube` watcher on Namespaces (the only API the webhook reads);
//! - [`review`]: `AdmissionReview` in, `AdmissionReview` out, for `/validate` and `/mutate`.
//!   Pure (no I/O): the server, the tests and the fuzz target call it alike;
//! - [`mutate`]: the patch that applies an injection profile, idempotent and never loosening;
//! - [`server`]: HTTPS (rustls, TLS 1.2+, certificate reload), HTTP/1.1 and HTTP/2, limits,
//!   health, metrics, graceful shutdown;
//! - [`certs`]: a CA and serving certificate for the webhook's Service (rcgen);
//! - [`metrics`]: the Prometheus registry.
//!
//! It must not print pod contents or secrets in logs, keep a cache of pods, or depend on the
//! CLI crate.

pub mod certs;
pub mod config;
pub mod metrics;
pub mod mutate;
pub mod namespaces;
pub mod review;
pub mod server;
pub mod watch;

pub use config::Config;
pub use namespaces::Namespaces;
pub use review::{handle, Endpoint};
